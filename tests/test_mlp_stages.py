import json

import pytest

from lib.errors import DivergenceError
from stages import evaluate, filter as filter_stage, train_mlp
from tests.synthetic import idx_bytes, mnist_arrays

MLP_PARAMS = """
filter: {digits: [2, 7], val_fraction: 0.2, seed: 0}
train_mlp: {lr: %s, batch_size: 16, epochs: 3, dropout: 0.2, hidden: 16, momentum: 0.0, seed: 0}
"""


@pytest.fixture
def mnist27(tmp_path, monkeypatch):
    raw = tmp_path / "data/raw/mnist"
    raw.mkdir(parents=True)
    for name, array in mnist_arrays(n_train=600, n_test=200, seed=2).items():
        (raw / name).write_bytes(idx_bytes(array))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(MLP_PARAMS % 0.1)
    filter_stage.main()
    return tmp_path


def test_train_and_evaluate_end_to_end(mnist27, capsys):
    train_mlp.main()
    evaluate.main()
    out = capsys.readouterr().out
    assert "epoch  2  train_loss" in out
    train = json.loads((mnist27 / "metrics/train_mlp.json").read_text())
    test = json.loads((mnist27 / "metrics/evaluate.json").read_text())
    assert set(train) == {"train_loss", "train_accuracy", "val_accuracy", "best_epoch", "best_val_accuracy"}
    # The synthetic 2s and 7s are separable: a working library learns them in 3 epochs.
    assert train["val_accuracy"] >= 0.95 and test["test_accuracy"] >= 0.95
    counts = test["confusion_counts"]
    assert sum(v for row in counts.values() for v in row.values()) == test["test_samples"]
    assert set(counts) == {"true_2", "true_7"}
    history = (mnist27 / "plots/train_mlp_history.csv").read_text().splitlines()
    assert history[0] == "epoch,train_loss,train_accuracy,val_accuracy" and len(history) == 4
    confusion = (mnist27 / "plots/confusion.csv").read_text().splitlines()
    assert confusion[0] == "actual,predicted" and len(confusion) == test["test_samples"] + 1
    assert (mnist27 / "plots/confusion_samples.png").read_bytes()[:4] == b"\x89PNG"


def test_same_seed_same_metrics(mnist27):
    train_mlp.main()
    first = (mnist27 / "metrics/train_mlp.json").read_text()
    weights = (mnist27 / "data/models/mlp.npz").read_bytes()
    train_mlp.main()
    assert (mnist27 / "metrics/train_mlp.json").read_text() == first
    assert (mnist27 / "data/models/mlp.npz").read_bytes() == weights


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point
def test_divergence_is_a_clear_error_with_no_outputs(mnist27):
    (mnist27 / "params.yaml").write_text(MLP_PARAMS % 1e38)
    with pytest.raises(DivergenceError, match=r"training diverged: loss is (nan|inf) at epoch 0, step \d+"):
        train_mlp.main()
    assert not (mnist27 / "metrics/train_mlp.json").exists()
    assert not (mnist27 / "data/models/mlp.npz").exists()
    assert not (mnist27 / "plots/train_mlp_history.csv").exists()


def test_bad_params_name_the_key(mnist27):
    (mnist27 / "params.yaml").write_text(MLP_PARAMS.replace("dropout: 0.2", "dropout: 1.0") % 0.1)
    from lib.config import ParamsError
    with pytest.raises(ParamsError, match=r"train_mlp.dropout must be in \[0, 1\), got 1.0"):
        train_mlp.main()
