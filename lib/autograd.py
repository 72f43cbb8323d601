"""A small reverse-mode autodiff engine over NumPy arrays (PyTorch-like, dynamic graph).

Every op builds its output with :func:`_node`, giving the parents and a closure
that maps the output's gradient to one gradient per parent; the forward and
the backward of an op sit next to each other. ``Tensor.backward`` walks the
graph in reverse topological order (iteratively, so deep graphs need no
recursion) and accumulates into ``.grad`` of the leaves that require it.

Derived ops are built from primitives (``a - b`` is ``a + (-b)``, ``a / b`` is
``a * b**-1``, ``mean`` is ``sum`` scaled). A few ops are fused primitives for
numerical stability or speed: ``sigmoid``, ``linear`` and the BCE-with-logits
loss in :mod:`lib.nn`.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator, Sequence

import numpy as np

Array = np.ndarray
BackwardFn = Callable[[Array], Sequence["Array | None"]]

_grad_enabled = True


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block ops record no graph (inference, optimizer updates)."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    return _grad_enabled


def _as_array(data, dtype=None) -> Array:
    if dtype is not None:
        return np.asarray(data, dtype=dtype)
    # NumPy floating arrays keep their precision (float64 for gradient checks);
    # Python numbers, lists and integer arrays become float32, as in PyTorch.
    if isinstance(data, (np.ndarray, np.floating)) and data.dtype.kind == "f":
        return np.asarray(data)
    return np.asarray(data, dtype=np.float32)


def unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``grad`` down to ``shape``: undo NumPy broadcasting for a binary op's operand."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


class Tensor:
    """An n-dimensional array that records the ops applied to it for ``backward()``."""

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_backward", "op")
    __array_priority__ = 100  # ndarray (op) Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        self.data = _as_array(data.data if isinstance(data, Tensor) else data, dtype)
        self.grad: Array | None = None
        self.requires_grad = bool(requires_grad)
        self._parents: tuple[Tensor, ...] = ()
        self._backward: BackwardFn | None = None
        self.op = ""

    # ----- construction helpers -------------------------------------------------
    def _lift(self, other) -> "Tensor":
        """Wrap a scalar/array operand as a constant of this tensor's dtype (never upcasts float32)."""
        if isinstance(other, Tensor):
            return other
        return Tensor(np.asarray(other, dtype=self.data.dtype))

    # ----- properties -------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.data, precision=4, threshold=20)}{grad})"

    def numpy(self) -> Array:
        return self.data

    def item(self) -> float:
        return self.data.item()

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's data, cut from the graph."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        self.grad = None

    # ----- autodiff ---------------------------------------------------------------
    def backward(self, grad: Array | None = None) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``grad`` defaults to 1 and may be omitted only for a scalar (size-1) tensor.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward() needs a gradient for a non-scalar of shape {self.shape}")
            grad = np.ones_like(self.data)
        grad = np.asarray(grad, dtype=self.data.dtype)
        if grad.shape != self.shape:
            raise ValueError(f"gradient shape {grad.shape} does not match tensor shape {self.shape}")

        grads: dict[Tensor, Array] = {self: grad}
        for node in reversed(self._topological_order()):
            g = grads.pop(node, None)
            if g is None:
                continue
            if node._backward is None:  # a leaf
                if not g.flags.writeable:  # e.g. a broadcast view: give the user a real array
                    g = g.copy()
                node.grad = g if node.grad is None else node.grad + g
                continue
            for parent, pg in zip(node._parents, node._backward(g)):
                if pg is None or not parent.requires_grad:
                    continue
                assert pg.shape == parent.shape, (
                    f"{node.op}: gradient of shape {pg.shape} for an operand of shape {parent.shape}")
                held = grads.get(parent)
                grads[parent] = pg if held is None else held + pg

    def _topological_order(self) -> list["Tensor"]:
        order: list[Tensor] = []
        visited: set[int] = set()
        stack: list[tuple[Tensor, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            for parent in node._parents:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
        return order

    # ----- primitive ops ------------------------------------------------------
    def __add__(self, other) -> "Tensor":
        other = self._lift(other)
        a_shape, b_shape = self.shape, other.shape
        return _node(self.data + other.data, (self, other), "add",
                     lambda g: (unbroadcast(g, a_shape), unbroadcast(g, b_shape)))

    def __mul__(self, other) -> "Tensor":
        other = self._lift(other)
        a, b = self.data, other.data
        return _node(a * b, (self, other), "mul",
                     lambda g: (unbroadcast(g * b, a.shape), unbroadcast(g * a, b.shape)))

    def __neg__(self) -> "Tensor":
        return _node(-self.data, (self,), "neg", lambda g: (-g,))

    def __pow__(self, exponent: float) -> "Tensor":
        if isinstance(exponent, Tensor):
            raise TypeError("only a constant exponent is supported: tensor ** number")
        a = self.data
        p = np.asarray(exponent, dtype=a.dtype)
        # d/da a^p = p * a^(p-1)
        return _node(a ** p, (self,), "pow", lambda g: (g * p * a ** (p - 1),))

    def __matmul__(self, other) -> "Tensor":
        other = self._lift(other)
        a, b = self.data, other.data
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul needs operands of at least one dimension")

        def backward(g):
            # Promote 1-D operands as NumPy does, then undo the promotion on the way back.
            a2 = a[None, :] if a.ndim == 1 else a
            b2 = b[:, None] if b.ndim == 1 else b
            g2 = g
            if a.ndim == 1:
                g2 = np.expand_dims(g2, -2)
            if b.ndim == 1:
                g2 = np.expand_dims(g2, -1)
            ga = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
            gb = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
            return ga, gb

        return _node(a @ b, (self, other), "matmul", backward)

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> "Tensor":
        shape = self.shape
        axes = _normalize_axes(axis, self.ndim)

        def backward(g):
            if not keepdims:
                g = np.expand_dims(g, axes)
            return (np.broadcast_to(g, shape),)

        return _node(self.data.sum(axis=axes, keepdims=keepdims), (self,), "sum", backward)

    def exp(self) -> "Tensor":
        out = np.exp(self.data)
        return _node(out, (self,), "exp", lambda g: (g * out,))

    def log(self) -> "Tensor":
        a = self.data
        return _node(np.log(a), (self,), "log", lambda g: (g / a,))

    def relu(self) -> "Tensor":
        mask = self.data > 0
        return _node(np.maximum(self.data, 0), (self,), "relu", lambda g: (g * mask,))

    def sigmoid(self) -> "Tensor":
        out = stable_sigmoid(self.data)
        return _node(out, (self,), "sigmoid", lambda g: (g * out * (1 - out),))

    def tanh(self) -> "Tensor":
        out = np.tanh(self.data)
        return _node(out, (self,), "tanh", lambda g: (g * (1 - out * out),))

    def maximum(self, other) -> "Tensor":
        """Elementwise max; at a tie the gradient goes to ``self``."""
        other = self._lift(other)
        a, b = self.data, other.data
        take_a = a >= b
        return _node(np.maximum(a, b), (self, other), "maximum",
                     lambda g: (unbroadcast(g * take_a, a.shape), unbroadcast(g * ~take_a, b.shape)))

    def clip(self, low: float | None, high: float | None) -> "Tensor":
        a = self.data
        inside = np.ones(a.shape, dtype=bool)
        if low is not None:
            inside &= a >= low
        if high is not None:
            inside &= a <= high
        return _node(np.clip(a, low, high), (self,), "clip", lambda g: (g * inside,))

    def abs(self) -> "Tensor":
        sign = np.sign(self.data)
        return _node(np.abs(self.data), (self,), "abs", lambda g: (g * sign,))

    def reshape(self, *shape) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        old = self.shape
        return _node(self.data.reshape(shape), (self,), "reshape", lambda g: (g.reshape(old),))

    def transpose(self, *axes) -> "Tensor":
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        axes = axes or tuple(reversed(range(self.ndim)))
        inverse = tuple(np.argsort(axes))
        return _node(self.data.transpose(axes), (self,), "transpose",
                     lambda g: (g.transpose(inverse),))

    def __getitem__(self, index) -> "Tensor":
        shape, dtype = self.shape, self.dtype

        def backward(g):
            full = np.zeros(shape, dtype=dtype)
            np.add.at(full, index, g)  # repeated indices accumulate
            return (full,)

        return _node(self.data[index], (self,), "getitem", backward)

    # ----- derived ops --------------------------------------------------------
    @property
    def T(self) -> "Tensor":
        return self.transpose()

    def __radd__(self, other) -> "Tensor":
        return self + other

    def __sub__(self, other) -> "Tensor":
        return self + (-self._lift(other))

    def __rsub__(self, other) -> "Tensor":
        return self._lift(other) + (-self)

    def __rmul__(self, other) -> "Tensor":
        return self * other

    def __truediv__(self, other) -> "Tensor":
        return self * self._lift(other) ** -1

    def __rtruediv__(self, other) -> "Tensor":
        return self._lift(other) * self ** -1

    def __rmatmul__(self, other) -> "Tensor":
        return self._lift(other) @ self

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> "Tensor":
        axes = _normalize_axes(axis, self.ndim)
        count = int(np.prod([self.shape[i] for i in axes])) if axes else 1
        return self.sum(axis=axes, keepdims=keepdims) * (1.0 / count)


def _normalize_axes(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(sorted(a % ndim for a in axes))


def _node(data: Array, parents: tuple[Tensor, ...], op: str, backward: BackwardFn) -> Tensor:
    """The output of an op: it records parents and backward only if some parent needs a gradient."""
    out = Tensor.__new__(Tensor)
    out.data = data
    out.grad = None
    out.op = op
    if _grad_enabled and any(p.requires_grad for p in parents):
        out.requires_grad = True
        out._parents = parents
        out._backward = backward
    else:
        out.requires_grad = False
        out._parents = ()
        out._backward = None
    return out


def stable_sigmoid(z: Array) -> Array:
    """1 / (1 + e^-z) without overflow: e^-|z| never exceeds 1."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Fused ``x @ weight.T + bias`` for x (N, in), weight (out, in), bias (out,): one graph node."""
    xd, wd = x.data, weight.data
    out = xd @ wd.T
    if bias is not None:
        out += bias.data

    def backward(g):
        # y = x W^T + b  =>  dx = g W, dW = g^T x, db = sum over the batch of g
        gb = g.sum(axis=0) if bias is not None else None
        return g @ wd, g.T @ xd, gb

    parents = (x, weight) if bias is None else (x, weight, bias)
    if xd.ndim != 2 or wd.ndim != 2 or xd.shape[1] != wd.shape[1]:
        raise ValueError(f"linear: input {xd.shape} does not match weight {wd.shape} (out, in)")
    return _node(out, parents, "linear", backward)
