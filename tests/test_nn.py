import io
import math

import numpy as np
import pytest

from lib.autograd import Tensor
from lib.data import CSVDataLoader, DataLoader
from lib.init import kaiming_normal, kaiming_uniform, manual_seed
from lib.metrics import accuracy, confusion_matrix, normalize_confusion
from lib.mlp import build_mlp, mlp_from_state
from lib.nn import Dropout, Linear, ReLU, Sequential
from lib.optim import SGD


def test_report_model_is_writable_as_in_the_report():
    model = Sequential([Linear(784, 100), Dropout(0.2), ReLU(), Linear(100, 1)])
    assert [n for n, _ in model.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.3.weight", "layers.3.bias"]
    assert [p.shape for p in model.parameters()] == [(100, 784), (100,), (1, 100), (1,)]
    assert model(Tensor(np.zeros((5, 784)))).shape == (5, 1)


@pytest.mark.parametrize("init, expected_std", [
    (kaiming_normal, math.sqrt(2 / 400)),
    (kaiming_uniform, math.sqrt(2 / 400)),  # bound sqrt(6/fan_in) has the same variance
])
def test_kaiming_variance_is_two_over_fan_in(init, expected_std):
    w = init((300, 400), rng=np.random.default_rng(0), dtype=np.float64)
    assert w.std() == pytest.approx(expected_std, rel=0.02)
    assert abs(w.mean()) < 0.01 * expected_std * 10


def test_kaiming_uniform_bound():
    w = kaiming_uniform((50, 6), rng=np.random.default_rng(0))
    assert np.abs(w).max() <= math.sqrt(6 / 6) and np.abs(w).max() > 0.9


def test_manual_seed_makes_init_reproducible():
    manual_seed(3)
    a = Linear(4, 2).weight.data.copy()
    manual_seed(3)
    assert np.array_equal(a, Linear(4, 2).weight.data)


def test_dropout_train_and_eval():
    drop = Dropout(0.25, rng=np.random.default_rng(0))
    x = Tensor(np.ones((200, 50), dtype=np.float32), requires_grad=True)
    y = drop(x)
    kept = y.data != 0
    assert set(np.unique(y.data)) == {0.0, np.float32(1 / 0.75)}  # inverted: survivors scaled by 1/(1-p)
    assert kept.mean() == pytest.approx(0.75, abs=0.01)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.data)  # gradient passes exactly where the mask kept
    drop.eval()
    assert drop(x) is x


def test_dropout_rejects_p_of_one():
    with pytest.raises(ValueError, match=r"dropout probability must be in \[0, 1\), got 1"):
        Dropout(1)


def test_train_eval_propagate_to_children():
    model = build_mlp(4, 3, 0.5)
    model.eval()
    assert not model[1].training
    model.train()
    assert model[1].training


def test_state_dict_round_trip_through_npz():
    manual_seed(0)
    model = build_mlp(6, 4, 0.2)
    buf = io.BytesIO()
    np.savez(buf, **model.state_dict())
    buf.seek(0)
    with np.load(buf) as npz:
        restored = mlp_from_state(dict(npz))
    x = Tensor(np.random.default_rng(1).standard_normal((3, 6)).astype(np.float32))
    model.eval()
    np.testing.assert_array_equal(model(x).data, restored(x).data)


def test_load_state_dict_errors_name_the_key():
    model = build_mlp(6, 4)
    state = model.state_dict()
    with pytest.raises(KeyError, match=r"missing \['layers.3.bias'\]"):
        model.load_state_dict({k: v for k, v in state.items() if k != "layers.3.bias"})
    state["layers.0.weight"] = np.zeros((4, 5))
    with pytest.raises(ValueError, match=r"state_dict\['layers.0.weight'\] has shape \(4, 5\)"):
        model.load_state_dict(state)


def _param(value, grad):
    p = Tensor(np.array(value, dtype=np.float64), requires_grad=True)
    p.grad = np.array(grad, dtype=np.float64)
    return p


@pytest.mark.parametrize("kwargs, expected", [
    # p = 1, g = 0.5, lr = 0.1, two steps with the same gradient, computed by hand:
    ({}, [0.95, 0.90]),
    ({"weight_decay": 0.1}, [1 - 0.1 * 0.6, 0.94 - 0.1 * (0.5 + 0.094)]),
    ({"momentum": 0.9}, [0.95, 0.95 - 0.1 * (0.9 * 0.5 + 0.5)]),
    ({"momentum": 0.9, "nesterov": True}, [1 - 0.1 * (0.5 + 0.9 * 0.5), 0.905 - 0.1 * (0.5 + 0.9 * 0.95)]),
    ({"momentum": 0.9, "dampening": 0.5}, [0.95, 0.95 - 0.1 * (0.9 * 0.5 + 0.5 * 0.5)]),
])
def test_sgd_matches_hand_computed_updates(kwargs, expected):
    p = _param([1.0], [0.5])
    opt = SGD([p], lr=0.1, **kwargs)
    got = []
    for _ in range(2):
        opt.step()
        got.append(p.data.item())
    assert got == pytest.approx(expected, abs=1e-12)


def test_sgd_momentum_buffer_does_not_alias_grad():
    p = _param([1.0], [0.5])
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    grad = p.grad
    opt.step()
    assert grad.tolist() == [0.5]


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": 0}, "lr must be > 0"),
    ({"lr": 0.1, "nesterov": True}, "nesterov needs momentum"),
])
def test_sgd_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SGD([_param([1.0], [0.0])], **kwargs)


def test_accuracy_and_confusion():
    logits = np.array([2.0, -1.0, 0.5, -0.2, 0.0])
    y = np.array([1, 0, 0, 1, 0])
    assert accuracy(logits, y) == pytest.approx(3 / 5)
    counts = confusion_matrix(y, (logits > 0).astype(int))
    assert counts.tolist() == [[2, 1], [1, 1]]
    assert normalize_confusion(counts).tolist() == [[0.4, 0.2], [0.2, 0.2]]


CSV = "label,p0,p1\n1,255,0\n0,0,51\n1,10,20\n0,1,2\n1,3,4\n"


@pytest.mark.parametrize("batch_size, drop_last, sizes", [
    (2, False, [2, 2, 1]), (2, True, [2, 2]), (5, False, [5]), (10, True, []),
])
def test_csv_loader_batches(batch_size, drop_last, sizes):
    loader = CSVDataLoader(io.StringIO(CSV), batch_size, drop_last=drop_last, seed=0)
    assert len(loader) == len(sizes)
    assert [len(x) for x, _ in loader] == sizes


def test_csv_loader_scales_and_keeps_rows_with_their_labels():
    loader = CSVDataLoader(io.StringIO(CSV), 5, shuffle=True, seed=1)
    (x, y), = list(loader)
    assert y.shape == (5, 1) and x.dtype == np.float32
    rows = sorted(zip(y.ravel().tolist(), (x * 255).round().astype(int).tolist()))
    assert rows == [(0, [0, 51]), (0, [1, 2]), (1, [3, 4]), (1, [10, 20]), (1, [255, 0])]


def test_loader_shuffle_is_seeded_and_changes_between_epochs():
    x = np.arange(20, dtype=np.float32).reshape(20, 1)
    a, b = DataLoader(x, np.zeros(20), 20, seed=7), DataLoader(x, np.zeros(20), 20, seed=7)
    first_a, second_a = [next(iter(a))[0].ravel().tolist() for _ in range(2)]
    assert first_a == next(iter(b))[0].ravel().tolist()
    assert first_a != second_a and sorted(first_a) == list(range(20))


def test_csv_loader_missing_label_column():
    with pytest.raises(KeyError, match="CSV has no column 'target'"):
        CSVDataLoader(io.StringIO(CSV), 2, label_column="target")
