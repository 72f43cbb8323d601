"""Mini-batch loading for classification: from arrays, or from a CSV with a label column."""

from __future__ import annotations

import math
from typing import IO, Iterator

import numpy as np
import pandas as pd


def read_classification_csv(source: str | IO[str], label_column: str = "label", *,
                            scale: float | None = 255.0, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Read a CSV into features (N, D) and labels (N,) int64; features divided by ``scale`` if given."""
    frame = pd.read_csv(source)
    if label_column not in frame.columns:
        raise KeyError(f"CSV has no column {label_column!r} (columns: {', '.join(frame.columns[:5])}, ...)")
    labels = frame.pop(label_column).to_numpy()
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels in column {label_column!r} must be integers, got {labels.dtype}")
    x = frame.to_numpy(dtype=dtype)
    if scale:
        x /= dtype(scale)
    return x, labels.astype(np.int64)


class DataLoader:
    """Yields (x, y) mini-batches; y is a float column (N, 1) for binary losses.

    With ``shuffle`` each epoch draws a new permutation from a generator seeded
    once with ``seed``: the sequence of epochs is reproducible.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, *, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False):
        if len(x) != len(y):
            raise ValueError(f"{len(x)} samples but {len(y)} labels")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.x = x
        self.y = np.asarray(y, dtype=x.dtype).reshape(-1, 1)
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        n = len(self.x) / self.batch_size
        return math.floor(n) if self.drop_last else math.ceil(n)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n = len(self.x)
        order = self._rng.permutation(n) if self.shuffle else None
        for b in range(len(self)):
            sl = slice(b * self.batch_size, min((b + 1) * self.batch_size, n))
            if order is None:
                yield self.x[sl], self.y[sl]
            else:
                idx = order[sl]
                yield self.x[idx], self.y[idx]


class CSVDataLoader(DataLoader):
    """A :class:`DataLoader` over a CSV file (path or text file object) with a label column."""

    def __init__(self, source: str | IO[str], batch_size: int, *, label_column: str = "label",
                 scale: float | None = 255.0, shuffle: bool = True, seed: int = 0, drop_last: bool = False):
        x, y = read_classification_csv(source, label_column, scale=scale)
        super().__init__(x, y, batch_size, shuffle=shuffle, seed=seed, drop_last=drop_last)
