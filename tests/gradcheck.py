"""Central finite-difference checks of values and gradients, in float64."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from lib.autograd import Tensor


def numeric_grad(f: Callable[[Sequence[np.ndarray]], float], arrays: list[np.ndarray], i: int,
                 eps: float = 1e-6) -> np.ndarray:
    """d f / d arrays[i] by central differences: (f(x + eps) - f(x - eps)) / (2 eps) per element."""
    grad = np.zeros_like(arrays[i])
    flat, gflat = arrays[i].reshape(-1), grad.reshape(-1)
    for k in range(flat.size):
        old = flat[k]
        flat[k] = old + eps
        up = f(arrays)
        flat[k] = old - eps
        down = f(arrays)
        flat[k] = old
        gflat[k] = (up - down) / (2 * eps)
    return grad


def check_gradients(op: Callable[..., Tensor], inputs: Sequence[np.ndarray],
                    reference: Callable[..., np.ndarray] | None = None,
                    rtol: float = 1e-5, atol: float = 1e-7) -> None:
    """Assert ``op``'s value equals ``reference`` (if given) and its analytic gradients match numeric ones.

    The scalar that is differentiated is sum(op(*inputs) * w) for a fixed random w,
    so every output element's gradient is exercised with a different weight.
    """
    arrays = [np.array(x, dtype=np.float64) for x in inputs]
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    out = op(*tensors)
    assert out.dtype == np.float64, f"op changed float64 into {out.dtype}"
    if reference is not None:
        np.testing.assert_allclose(out.data, reference(*arrays), rtol=1e-12, atol=1e-12)
    weights = np.random.default_rng(0).standard_normal(out.shape)
    (out * Tensor(weights)).sum().backward()

    def scalar(xs):
        return float((op(*[Tensor(x) for x in xs]).data * weights).sum())

    for i, t in enumerate(tensors):
        assert t.grad is not None, f"input {i} got no gradient"
        assert t.grad.shape == t.shape, f"input {i}: gradient shape {t.grad.shape} != {t.shape}"
        np.testing.assert_allclose(t.grad, numeric_grad(scalar, arrays, i), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")
