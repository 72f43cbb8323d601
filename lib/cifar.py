"""CIFAR-10 binary-version parsing, the seeded stratified subset/validation split, and scaling."""

from __future__ import annotations

import numpy as np

from lib.errors import PipelineError

RECORD = 1 + 32 * 32 * 3  # label byte, then 1024 red, 1024 green, 1024 blue (row-major)
NUM_CLASSES = 10


class CifarFormatError(PipelineError, ValueError):
    """The bytes are not CIFAR-10 binary records."""


def read_cifar_batch(data: bytes, name: str = "CIFAR-10 batch") -> tuple[np.ndarray, np.ndarray]:
    """Parse binary records into (N, 32, 32, 3) uint8 images (HWC) and (N,) int64 labels."""
    if len(data) == 0 or len(data) % RECORD:
        raise CifarFormatError(f"{name}: {len(data):,} bytes is not a whole number of {RECORD}-byte records")
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() >= NUM_CLASSES:
        raise CifarFormatError(f"{name}: label {labels.max()} is not a CIFAR-10 class (0-9)")
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def stratified_subset_split(labels: np.ndarray, subset_fraction: float, val_fraction: float,
                            seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded, per-class: take ``subset_fraction`` of each class, hold out ``val_fraction`` of that.

    Returns sorted, disjoint (train_idx, val_idx). The same seed always gives the same split.
    """
    if not 0 < subset_fraction <= 1 or not 0 < val_fraction < 1:
        raise ValueError(f"fractions out of range: subset={subset_fraction}, val={val_fraction}")
    rng = np.random.default_rng(seed)
    train, val = [], []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        rng.shuffle(members)
        n_subset = int(round(len(members) * subset_fraction))
        n_val = int(round(n_subset * val_fraction))
        val.append(members[:n_val])
        train.append(members[n_val:n_subset])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def scale_images(images: np.ndarray, *, standardize: bool = False,
                 stats: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Pixels to float32 in [0, 1]; optionally standardized per channel.

    ``stats`` (mean, std per channel) computed on the training images must be
    passed for validation/test images so that no statistics leak from them.
    Returns the scaled images and the stats used.
    """
    x = images.astype(np.float32) / 255.0
    if stats is None:
        stats = (x.mean(axis=(0, 1, 2)), x.std(axis=(0, 1, 2)) + 1e-7)
    if standardize:
        x = (x - stats[0]) / stats[1]
    return x, stats
