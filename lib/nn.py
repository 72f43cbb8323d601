"""Modules (PyTorch-like): Module, Linear, ReLU, Dropout, Sequential, and BCEWithLogitsLoss."""

from __future__ import annotations

from typing import Iterator, Mapping, Sequence

import numpy as np

from lib.autograd import Tensor, _node, linear, stable_sigmoid
from lib.init import default_rng, kaiming_normal, kaiming_uniform, manual_seed

__all__ = ["Module", "Linear", "ReLU", "Dropout", "Sequential", "BCEWithLogitsLoss",
           "kaiming_normal", "kaiming_uniform", "manual_seed"]


class Module:
    """Base class: parameters are Tensor attributes with requires_grad, found recursively."""

    training = True

    def __call__(self, *args, **kwargs) -> Tensor:
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs) -> Tensor:
        raise NotImplementedError

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        for name, value in vars(self).items():
            if isinstance(value, Tensor) and value.requires_grad:
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child.named_parameters(f"{prefix}{name}.")

    def parameters(self) -> list[Tensor]:
        return [p for _, p in self.named_parameters()]

    def train(self, mode: bool = True) -> "Module":
        self.training = mode
        for _, child in self.named_children():
            child.train(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter, keyed by dotted name (e.g. ``layers.0.weight``)."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Copy ``state`` into the parameters; keys and shapes must match exactly."""
        params = dict(self.named_parameters())
        missing, unexpected = sorted(set(params) - set(state)), sorted(set(state) - set(params))
        if missing or unexpected:
            raise KeyError(f"state_dict mismatch: missing {missing}, unexpected {unexpected}")
        for name, p in params.items():
            value = np.asarray(state[name])
            if value.shape != p.shape:
                raise ValueError(f"state_dict[{name!r}] has shape {value.shape}, parameter has {p.shape}")
            p.data = value.astype(p.dtype, copy=True)


class Linear(Module):
    """y = x W^T + b with W of shape (out, in), Kaiming-initialized; b starts at zero."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 init: str = "kaiming_normal", rng: np.random.Generator | None = None,
                 dtype=np.float32):
        initializers = {"kaiming_normal": kaiming_normal, "kaiming_uniform": kaiming_uniform}
        if init not in initializers:
            raise ValueError(f"init must be one of {sorted(initializers)}, got {init!r}")
        self.in_features, self.out_features = in_features, out_features
        self.weight = Tensor(initializers[init]((out_features, in_features), rng=rng, dtype=dtype),
                             requires_grad=True)
        self.bias = Tensor(np.zeros(out_features, dtype=dtype), requires_grad=True) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.weight, self.bias)

    def __repr__(self) -> str:
        return f"Linear({self.in_features}, {self.out_features}, bias={self.bias is not None})"


class ReLU(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.relu()

    def __repr__(self) -> str:
        return "ReLU()"


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability p and scale the rest by 1/(1-p)."""

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | None = None):
        if not 0 <= p < 1:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p
        self.rng = rng

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0:
            return x
        rng = self.rng or default_rng()
        keep = rng.random(x.shape, dtype=np.float32) >= self.p
        # The mask folded with the scale: one multiply forward, the same one backward.
        scale = (keep * np.asarray(1.0 / (1.0 - self.p), dtype=x.dtype)).astype(x.dtype, copy=False)
        return x * Tensor(scale)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class Sequential(Module):
    """Applies its modules in order; parameters are named ``layers.<i>.<name>``."""

    def __init__(self, layers: Sequence[Module]):
        self.layers = _ModuleList(layers)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        inner = ",\n".join(f"  {layer!r}" for layer in self.layers)
        return f"Sequential([\n{inner}\n])"


class _ModuleList(Module):
    def __init__(self, modules: Sequence[Module]):
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"layer {i} is {type(module).__name__}, not a Module")
            setattr(self, str(i), module)
        self._n = len(modules)

    def __iter__(self) -> Iterator[Module]:
        return (getattr(self, str(i)) for i in range(self._n))

    def __getitem__(self, i: int) -> Module:
        return getattr(self, str(range(self._n)[i]))

    def __len__(self) -> int:
        return self._n


class BCEWithLogitsLoss(Module):
    """Mean binary cross-entropy of sigmoid(z) against y, computed from the logits z in one stable step.

    loss_i = max(z, 0) - z*y + log(1 + e^-|z|)   (= -y log s - (1-y) log(1-s), s = sigmoid(z))
    d loss_i / dz = sigmoid(z) - y
    Both stay finite for any finite z (e^-|z| <= 1).
    """

    def forward(self, logits: Tensor, target) -> Tensor:
        z = logits.data
        y = target.data if isinstance(target, Tensor) else np.asarray(target, dtype=z.dtype)
        if y.shape != z.shape:
            raise ValueError(f"target shape {y.shape} does not match logits shape {z.shape}")
        losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        scale = 1.0 / z.size

        def backward(g):
            return ((stable_sigmoid(z) - y) * (g * scale),)

        return _node(np.asarray(losses.mean(), dtype=z.dtype), (logits,), "bce_with_logits", backward)
