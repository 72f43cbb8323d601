"""The founding report's MLP, built with lib.nn."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from lib.nn import Dropout, Linear, ReLU, Sequential


def build_mlp(in_features: int = 784, hidden: int = 100, dropout: float = 0.2) -> Sequential:
    """Linear(in, hidden) -> Dropout -> ReLU -> Linear(hidden, 1): one logit per sample."""
    return Sequential([Linear(in_features, hidden), Dropout(dropout), ReLU(), Linear(hidden, 1)])


def mlp_from_state(state: Mapping[str, np.ndarray]) -> Sequential:
    """Rebuild the MLP whose sizes the saved weights imply, and load them."""
    hidden, in_features = np.shape(state["layers.0.weight"])
    model = build_mlp(int(in_features), int(hidden), dropout=0.0)
    model.load_state_dict(state)
    return model
