import json
import shutil

import pandas as pd
import pytest

from lib.config import ParamsError
from stages import filter as filter_stage
from tests.synthetic import idx_bytes, mnist_arrays


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    raw = tmp_path / "data/raw/mnist"
    raw.mkdir(parents=True)
    arrays = mnist_arrays(n_train=400, n_test=120, seed=1)
    for name, array in arrays.items():
        (raw / name).write_bytes(idx_bytes(array))
    monkeypatch.chdir(tmp_path)
    return tmp_path, arrays


def test_filter_writes_csvs_and_split_sizes(workdir):
    tmp_path, arrays = workdir
    (tmp_path / "params.yaml").write_text("filter: {digits: [2, 7], val_fraction: 0.25, seed: 0}\n")
    filter_stage.main()
    labels = arrays["train-labels-idx1-ubyte"]
    n27 = int(((labels == 2) | (labels == 7)).sum())
    n_test = int(((arrays["t10k-labels-idx1-ubyte"] == 2) | (arrays["t10k-labels-idx1-ubyte"] == 7)).sum())
    metrics = json.loads((tmp_path / "metrics/filter.json").read_text())
    n_val = round(n27 * 0.25)
    assert metrics["label_map"] == {"2": 0, "7": 1}
    assert metrics["sizes"] == {"train": n27 - n_val, "val": n_val, "test": n_test}
    train = pd.read_csv(tmp_path / "data/mnist27/train.csv")
    assert list(train.columns) == ["label"] + [f"pixel{i}" for i in range(784)]
    assert set(train["label"]) == {0, 1} and len(train) == n27 - n_val
    assert train.drop(columns="label").to_numpy().max() <= 255
    test = pd.read_csv(tmp_path / "data/mnist27/test.csv")
    # The first test digit that is a 2 or a 7 keeps its pixels and gets the mapped label.
    t_labels = arrays["t10k-labels-idx1-ubyte"]
    first = int(((t_labels == 2) | (t_labels == 7)).argmax())
    assert test.iloc[0, 0] == (1 if t_labels[first] == 7 else 0)
    assert test.iloc[0, 1:].tolist() == arrays["t10k-images-idx3-ubyte"][first].ravel().tolist()


def test_filter_same_seed_same_files(workdir):
    tmp_path, _ = workdir
    (tmp_path / "params.yaml").write_text("filter: {val_fraction: 0.1, seed: 5}\n")
    filter_stage.main()
    first = (tmp_path / "data/mnist27/val.csv").read_bytes()
    shutil.rmtree(tmp_path / "data/mnist27")
    filter_stage.main()
    assert (tmp_path / "data/mnist27/val.csv").read_bytes() == first


@pytest.mark.parametrize("params, message", [
    ("filter: {val_fraction: 1.5}", r"filter.val_fraction must be in \(0, 1\), got 1.5"),
    ("filter: {digits: [2, 2]}", r"filter.digits must be two different digits, got \[2, 2\]"),
    ("filter: {digits: [2, 17]}", r"filter.digits\[1\] must be in \[0, 9\], got 17"),
])
def test_filter_rejects_bad_params_and_writes_nothing(workdir, params, message):
    tmp_path, _ = workdir
    (tmp_path / "params.yaml").write_text(params + "\n")
    with pytest.raises(ParamsError, match=message):
        filter_stage.main()
    assert not (tmp_path / "data/mnist27").exists() and not (tmp_path / "metrics").exists()
