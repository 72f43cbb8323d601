"""Optimizers that update parameters in place (PyTorch semantics)."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from lib.autograd import Tensor


class SGD:
    """Stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay.

    As torch.optim.SGD, for each parameter p with gradient g:
        g = g + weight_decay * p
        b = g (first step) or momentum * b + (1 - dampening) * g
        g = g + momentum * b if nesterov else b          (when momentum > 0)
        p = p - lr * g
    """

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False):
        self.params = list(params)
        if not self.params:
            raise ValueError("SGD got an empty parameter list")
        if lr <= 0:
            raise ValueError(f"lr must be > 0, got {lr}")
        if momentum < 0 or weight_decay < 0:
            raise ValueError(f"momentum and weight_decay must be >= 0, got {momentum}, {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov needs momentum > 0 and dampening = 0")
        self.lr, self.momentum, self.dampening = lr, momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov
        self._buffers: list[np.ndarray | None] = [None] * len(self.params)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                buf = self._buffers[i]
                if buf is None:
                    buf = self._buffers[i] = np.array(g, copy=True)  # never alias a .grad
                else:
                    buf *= self.momentum
                    buf += (1 - self.dampening) * g if self.dampening else g
                g = g + self.momentum * buf if self.nesterov else buf
            p.data -= self.lr * g
