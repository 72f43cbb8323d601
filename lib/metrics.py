"""Classification metrics on NumPy arrays."""

from __future__ import annotations

import numpy as np


def binary_predictions(logits: np.ndarray) -> np.ndarray:
    """Class 1 where the logit is > 0 (sigmoid > 0.5), else class 0; shape (N,)."""
    return (np.asarray(logits).reshape(-1) > 0).astype(np.int64)


def accuracy(logits: np.ndarray, targets: np.ndarray) -> float:
    """Share of binary predictions (logit threshold 0) equal to the 0/1 targets."""
    targets = np.asarray(targets).reshape(-1)
    if targets.size == 0:
        raise ValueError("accuracy of an empty batch is undefined")
    return float((binary_predictions(logits) == targets).mean())


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = 2) -> np.ndarray:
    """Counts with rows = true class, columns = predicted class."""
    y_true = np.asarray(y_true, dtype=np.int64).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=np.int64).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{y_true.size} true labels but {y_pred.size} predictions")
    return np.bincount(y_true * num_classes + y_pred, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def normalize_confusion(counts: np.ndarray) -> np.ndarray:
    """Counts divided by the total, so all cells sum to 1 (as in the founding report)."""
    total = counts.sum()
    return counts / total if total else counts.astype(float)
