import sys

import numpy as np
import pytest

from lib.autograd import Tensor, linear, no_grad, unbroadcast
from lib.nn import BCEWithLogitsLoss
from tests.gradcheck import check_gradients

rng = np.random.default_rng(42)


def r(*shape):
    return rng.standard_normal(shape)


def pos(*shape):
    return rng.uniform(0.5, 2.0, shape)


def away_from_zero(*shape):
    # keeps |x| >= 0.1 so that relu/abs/max kinks are not within eps of a sample
    x = rng.uniform(0.1, 2.0, shape)
    return x * rng.choice([-1.0, 1.0], shape)


def bce_reference(z, y):
    s = 1 / (1 + np.exp(-z))
    return np.mean(-y * np.log(s) - (1 - y) * np.log(1 - s))


# name, op, inputs, reference value (None: value checked elsewhere)
CASES = [
    ("add", lambda a, b: a + b, [r(3, 4), r(3, 4)], np.add),
    ("add broadcast row", lambda a, b: a + b, [r(3, 4), r(4)], np.add),
    ("add broadcast col", lambda a, b: a + b, [r(3, 1), r(1, 4)], np.add),
    ("add scalar-shaped", lambda a, b: a + b, [r(2, 3, 4), r(1, 1)], np.add),
    ("sub", lambda a, b: a - b, [r(3, 4), r(4)], np.subtract),
    ("rsub const", lambda a: 2.0 - a, [r(3)], lambda a: 2.0 - a),
    ("mul", lambda a, b: a * b, [r(3, 4), r(3, 4)], np.multiply),
    ("mul broadcast", lambda a, b: a * b, [r(2, 3, 4), r(3, 1)], np.multiply),
    ("div", lambda a, b: a / b, [r(3, 4), pos(3, 4)], np.divide),
    ("div broadcast", lambda a, b: a / b, [r(3, 4), pos(4)], np.divide),
    ("rdiv const", lambda a: 1.0 / a, [pos(5)], lambda a: 1.0 / a),
    ("neg", lambda a: -a, [r(3, 4)], np.negative),
    ("pow 2", lambda a: a ** 2, [r(3, 4)], lambda a: a ** 2),
    ("pow -1.5", lambda a: a ** -1.5, [pos(3, 4)], lambda a: a ** -1.5),
    ("matmul 2d", lambda a, b: a @ b, [r(3, 4), r(4, 5)], np.matmul),
    ("matmul batched broadcast", lambda a, b: a @ b, [r(2, 3, 4), r(4, 5)], np.matmul),
    ("matmul vec-mat", lambda a, b: a @ b, [r(4), r(4, 5)], np.matmul),
    ("matmul mat-vec", lambda a, b: a @ b, [r(3, 4), r(4)], np.matmul),
    ("sum all", lambda a: a.sum(), [r(3, 4)], np.sum),
    ("sum axis 0", lambda a: a.sum(axis=0), [r(3, 4)], lambda a: a.sum(axis=0)),
    ("sum axis -1 keepdims", lambda a: a.sum(axis=-1, keepdims=True), [r(2, 3, 4)],
     lambda a: a.sum(axis=-1, keepdims=True)),
    ("sum axes (0, 2)", lambda a: a.sum(axis=(0, 2)), [r(2, 3, 4)], lambda a: a.sum(axis=(0, 2))),
    ("mean all", lambda a: a.mean(), [r(3, 4)], np.mean),
    ("mean axis 1 keepdims", lambda a: a.mean(axis=1, keepdims=True), [r(3, 4)],
     lambda a: a.mean(axis=1, keepdims=True)),
    ("exp", lambda a: a.exp(), [r(3, 4)], np.exp),
    ("log", lambda a: a.log(), [pos(3, 4)], np.log),
    ("relu", lambda a: a.relu(), [away_from_zero(3, 4)], lambda a: np.maximum(a, 0)),
    ("sigmoid", lambda a: a.sigmoid(), [r(3, 4) * 3], lambda a: 1 / (1 + np.exp(-a))),
    ("tanh", lambda a: a.tanh(), [r(3, 4)], np.tanh),
    ("abs", lambda a: a.abs(), [away_from_zero(3, 4)], np.abs),
    ("maximum", lambda a, b: a.maximum(b), [r(3, 4), r(3, 4) + 5 * np.eye(3, 4)], np.maximum),
    ("maximum broadcast", lambda a, b: a.maximum(b), [r(3, 4), r(4) + 0.05], np.maximum),
    ("clip", lambda a: a.clip(-0.5, 0.5), [away_from_zero(4, 4) * np.where(rng.random((4, 4)) < .5, 1, .3)],
     lambda a: np.clip(a, -0.5, 0.5)),
    ("reshape", lambda a: a.reshape(4, 3) * Tensor(np.arange(12.0).reshape(4, 3)), [r(3, 4)],
     lambda a: a.reshape(4, 3) * np.arange(12.0).reshape(4, 3)),
    ("transpose .T", lambda a: a.T, [r(3, 4)], np.transpose),
    ("transpose axes", lambda a: a.transpose(1, 2, 0), [r(2, 3, 4)], lambda a: a.transpose(1, 2, 0)),
    ("getitem repeated", lambda a: a[[0, 2, 0]], [r(3, 4)], lambda a: a[[0, 2, 0]]),
    ("linear", lambda x, w, b: linear(x, w, b), [r(5, 4), r(3, 4), r(3)], lambda x, w, b: x @ w.T + b),
    ("linear no bias", lambda x, w: linear(x, w), [r(5, 4), r(3, 4)], lambda x, w: x @ w.T),
    ("bce with logits", lambda z: BCEWithLogitsLoss()(z, np.array([[1.0], [0.0], [1.0], [0.0]])),
     [r(4, 1) * 3], lambda z: bce_reference(z, np.array([[1.0], [0.0], [1.0], [0.0]]))),
    ("composite mlp", lambda x, w1, w2: (((x @ w1).tanh() @ w2).sigmoid() * 2.0).mean(),
     [r(4, 3), r(3, 5), r(5, 2)], None),
    ("reused operand", lambda a: a * a + a.exp() * a, [r(3)], lambda a: a * a + np.exp(a) * a),
]


@pytest.mark.parametrize("name, op, inputs, reference", CASES, ids=[c[0] for c in CASES])
def test_op_value_and_gradient(name, op, inputs, reference):
    check_gradients(op, inputs, reference)


def test_gradcheck_catches_a_wrong_gradient():
    from lib.autograd import _node

    def wrong_square(a):  # forward a^2, backward claims 3a instead of 2a
        return _node(a.data ** 2, (a,), "wrong", lambda g: (g * 3 * a.data,))

    with pytest.raises(AssertionError, match="gradient of input 0"):
        check_gradients(wrong_square, [r(3)])


def test_unbroadcast_sums_back_to_the_operand_shape():
    g = np.ones((2, 3, 4))
    assert unbroadcast(g, (4,)).tolist() == [6.0] * 4
    assert unbroadcast(g, (3, 1)).tolist() == [[8.0]] * 3
    assert unbroadcast(g, ()).item() == 24.0


def test_gradients_accumulate_over_backward_calls():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    x.zero_grad()
    assert x.grad is None


def test_backward_on_a_deep_graph_needs_no_recursion():
    x = Tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(sys.getrecursionlimit() * 3):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0


def test_no_grad_and_detach_record_nothing():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = x * 2
    assert not y.requires_grad and y._parents == ()
    z = (x * 2).detach()
    assert not z.requires_grad
    w = x * 2
    assert w.requires_grad


def test_backward_errors():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()
    with pytest.raises(RuntimeError, match=r"non-scalar of shape \(2,\)"):
        (Tensor([1.0, 2.0], requires_grad=True) * 2).backward()


@pytest.mark.parametrize("data, dtype", [
    ([1, 2], np.float32), (np.arange(3), np.float32), (np.zeros(2, np.float64), np.float64),
    (0.5, np.float32), (np.zeros(2, np.float32), np.float32),
])
def test_default_dtypes(data, dtype):
    assert Tensor(data).dtype == dtype


def test_float32_stays_float32_with_python_scalars():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = ((x * 0.5 + 1.0) / 3.0 - 2.0) ** 2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("z", [1e4, -1e4])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_bce_is_finite_and_exact_at_extreme_logits(z, y):
    logits = Tensor(np.array([[z]]), requires_grad=True)
    loss = BCEWithLogitsLoss()(logits, np.array([[y]]))
    loss.backward()
    # Right answer: loss ~ 0 and gradient ~ 0; wrong answer: loss = |z| = 1e4, gradient = +-1.
    right = (z > 0) == (y == 1.0)
    assert loss.item() == pytest.approx(0.0 if right else 1e4, abs=1e-12)
    assert logits.grad.item() == pytest.approx(0.0 if right else np.sign(z), abs=1e-12)
    assert np.isfinite(loss.item()) and np.isfinite(logits.grad).all()


def test_bce_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r"target shape \(3,\) does not match logits shape \(3, 1\)"):
        BCEWithLogitsLoss()(Tensor(np.zeros((3, 1))), np.zeros(3))
