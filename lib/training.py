"""Training and evaluation loops for lib.nn models (binary classification from logits)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from lib.autograd import Tensor, no_grad
from lib.errors import DivergenceError
from lib.metrics import accuracy
from lib.nn import Module
from lib.optim import SGD


@dataclass(frozen=True)
class EpochResult:
    epoch: int
    train_loss: float
    train_accuracy: float
    val_accuracy: float


def train_epoch(model: Module, batches: Iterable[tuple[np.ndarray, np.ndarray]], loss_fn: Module,
                optimizer: SGD, epoch: int = 0) -> tuple[float, float]:
    """One pass over ``batches``; returns the sample-weighted mean loss and accuracy (in training mode)."""
    model.train()
    total_loss = correct = seen = 0.0
    for step, (x, y) in enumerate(batches):
        optimizer.zero_grad()
        logits = model(Tensor(x))
        loss = loss_fn(logits, y)
        value = float(loss.data)
        if not math.isfinite(value):
            raise DivergenceError(f"training diverged: loss is {value} at epoch {epoch}, step {step}")
        loss.backward()
        optimizer.step()
        n = len(y)
        total_loss += value * n
        correct += accuracy(logits.data, y) * n
        seen += n
    return total_loss / seen, correct / seen


def predict_logits(model: Module, x: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """Logits of ``model`` (in eval mode, no graph) for every row of ``x``, shape (N,)."""
    model.eval()
    with no_grad():
        parts = [model(Tensor(x[i:i + batch_size])).data.reshape(-1) for i in range(0, len(x), batch_size)]
    return np.concatenate(parts)


def fit(model: Module, train_batches, val_x: np.ndarray, val_y: np.ndarray, loss_fn: Module,
        optimizer: SGD, epochs: int,
        on_epoch: Callable[[EpochResult], None] | None = None) -> list[EpochResult]:
    """Train for ``epochs``, validating after each; ``on_epoch`` sees each result as it comes."""
    history = []
    for epoch in range(epochs):
        loss, acc = train_epoch(model, train_batches, loss_fn, optimizer, epoch)
        result = EpochResult(epoch, loss, acc, accuracy(predict_logits(model, val_x), val_y))
        history.append(result)
        if on_epoch:
            on_epoch(result)
    return history
