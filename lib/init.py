"""Weight initialization (Kaiming/He) and the seeded default random generator.

Kaiming initialization keeps the variance of activations constant through
ReLU layers (He et al., 2015). For a weight of shape (fan_out, fan_in) and
gain g = sqrt(2) (ReLU):
  normal:  W ~ N(0, std^2),        std   = g / sqrt(fan_in)
  uniform: W ~ U(-bound, bound),   bound = g * sqrt(3 / fan_in)   (same variance)
"""

from __future__ import annotations

import math

import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reseed the generator used by layers created without an explicit ``rng`` (like torch.manual_seed)."""
    global _generator
    _generator = np.random.default_rng(seed)


def default_rng() -> np.random.Generator:
    return _generator


def _fan_in(shape: tuple[int, ...]) -> int:
    if len(shape) < 2:
        raise ValueError(f"fan-in needs a weight of at least 2 dimensions, got shape {shape}")
    # (out, in, *kernel): fan_in = in * prod(kernel)
    return int(shape[1] * math.prod(shape[2:]))


def kaiming_normal(shape: tuple[int, ...], gain: float = math.sqrt(2.0),
                   rng: np.random.Generator | None = None, dtype=np.float32) -> np.ndarray:
    std = gain / math.sqrt(_fan_in(shape))
    return ((rng or _generator).standard_normal(shape) * std).astype(dtype)


def kaiming_uniform(shape: tuple[int, ...], gain: float = math.sqrt(2.0),
                    rng: np.random.Generator | None = None, dtype=np.float32) -> np.ndarray:
    bound = gain * math.sqrt(3.0 / _fan_in(shape))
    return (rng or _generator).uniform(-bound, bound, size=shape).astype(dtype)
