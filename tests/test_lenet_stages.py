import json

import numpy as np
import pytest

from lib.cifar import stratified_subset_split
from stages import compare_lr, lr_range_test, train_constant, train_onecycle
from tests.synthetic import cifar_arrays, cifar_batch_bytes

PARAMS = """
lenet: {subset_fraction: 0.5, val_fraction: 0.3, split_seed: 0, batch_size: 16, epochs: 2,
        seeds: [0, 1], verbose: 0}
lr_range: {start_lr: 1.0e-3, end_lr: 0.5, mode: exponential, seed: 0}
onecycle: {annihilate_fraction: 0.25, cyclical_momentum: true}
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("lenet")
    raw = root / "data/raw/cifar10"
    raw.mkdir(parents=True)
    for name, (images, labels) in cifar_arrays(per_batch=60, seed=3).items():
        (raw / name).write_bytes(cifar_batch_bytes(images, labels))
    (root / "params.yaml").write_text(PARAMS)
    return root


def test_split_is_stratified_disjoint_and_seeded():
    labels = np.repeat(np.arange(10), 100)
    train, val = stratified_subset_split(labels, 0.3, 0.3, seed=1)
    assert len(set(train) & set(val)) == 0
    assert np.bincount(labels[train]).tolist() == [21] * 10  # 30 per class, 9 of them held out
    assert np.bincount(labels[val]).tolist() == [9] * 10
    again = stratified_subset_split(labels, 0.3, 0.3, seed=1)
    assert np.array_equal(train, again[0]) and np.array_equal(val, again[1])
    assert not np.array_equal(val, stratified_subset_split(labels, 0.3, 0.3, seed=2)[1])


def test_lr_study_stages_end_to_end(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    lr_range_test.main()
    lr_range = json.loads((workdir / "metrics/lr_range.json").read_text())
    assert 1e-3 <= lr_range["lr_at_min_loss"] <= 0.5
    assert lr_range["lr_max"] == pytest.approx(lr_range["suggested_lr_max"])
    assert lr_range["lr_min"] == pytest.approx(lr_range["lr_max"] / 10)
    curve = (workdir / "plots/lr_range.csv").read_text().splitlines()
    assert curve[0] == "lr,loss,smoothed_loss" and len(curve) == 1 + lr_range["batches_run"]
    assert (workdir / "plots/lr_range.png").exists()

    train_onecycle.main()
    for which in ("lr_max", "lr_min"):
        train_constant.main(which)
    compare_lr.main()

    onecycle = json.loads((workdir / "metrics/lenet/onecycle.json").read_text())
    assert set(onecycle["seeds"]) == {"seed_0", "seed_1"}
    accs = [s["final_val_accuracy"] for s in onecycle["seeds"].values()]
    assert onecycle["final_val_accuracy"]["mean"] == pytest.approx(np.mean(accs), abs=1e-6)
    assert onecycle["final_val_accuracy"]["std"] == pytest.approx(np.std(accs), abs=1e-6)
    assert 0 <= onecycle["test_accuracy"]["mean"] <= 1
    schedule = np.genfromtxt(workdir / "plots/lenet/onecycle_schedule.csv", delimiter=",", names=True)
    steps = len(schedule)
    assert steps == onecycle["steps_per_epoch"] * 2
    assert schedule["lr"][0] == pytest.approx(lr_range["lr_min"], rel=1e-5)
    assert schedule["lr"].max() == pytest.approx(lr_range["lr_max"], rel=0.05)
    assert schedule["lr"][-1] == pytest.approx(lr_range["lr_min"] / 100, rel=1e-5)  # annihilated
    assert schedule["momentum"].min() < schedule["momentum"][0]
    history = (workdir / "plots/lenet/onecycle_history.csv").read_text().splitlines()
    assert history[0] == "seed,epoch,loss,accuracy,val_loss,val_accuracy,lr" and len(history) == 1 + 2 * 2
    assert sorted(p.name for p in (workdir / "data/models/lenet/constant_lr_min").iterdir()) == [
        "seed0.keras", "seed1.keras"]
    study = json.loads((workdir / "metrics/lr_study.json").read_text())
    assert set(study["onecycle_vs"]) == {"constant_lr_max", "constant_lr_min"}
    assert (workdir / "plots/lr_comparison.png").read_bytes()[:4] == b"\x89PNG"


def test_same_seed_twice_gives_identical_metrics(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    if not (workdir / "metrics/lr_range.json").exists():
        lr_range_test.main()
    train_constant.main("lr_max")
    first = (workdir / "metrics/lenet/constant_lr_max.json").read_text()
    train_constant.main("lr_max")
    assert (workdir / "metrics/lenet/constant_lr_max.json").read_text() == first


def test_saved_model_reloads_with_the_custom_schedule(workdir, monkeypatch):
    import keras

    import lib.lenet  # noqa: F401  registers StepwiseSchedule and ScheduledMomentumSGD
    monkeypatch.chdir(workdir)
    if not (workdir / "data/models/lenet/onecycle").exists():
        pytest.skip("runs after the end-to-end test")
    model = keras.models.load_model(workdir / "data/models/lenet/onecycle/seed0.keras")
    assert model.output_shape == (None, 10)


def test_divergent_training_is_a_clear_error(workdir, monkeypatch):
    from lib.errors import DivergenceError

    monkeypatch.chdir(workdir)
    (workdir / "metrics").mkdir(exist_ok=True)
    saved = (workdir / "metrics/lr_range.json").read_text() if (workdir / "metrics/lr_range.json").exists() else None
    (workdir / "metrics/lr_range.json").write_text(json.dumps({"lr_max": 1e12, "lr_min": 1e11}))
    try:
        with pytest.raises(DivergenceError, match="training diverged: mean loss is nan in epoch 0"):
            train_constant.main("lr_max")
        assert not (workdir / "metrics/lenet/constant_lr_max.json").exists()
        assert not (workdir / "data/models/lenet/constant_lr_max").exists()
    finally:
        if saved is not None:
            (workdir / "metrics/lr_range.json").write_text(saved)


def test_constant_needs_a_known_argument(workdir, monkeypatch):
    from lib.config import ParamsError

    monkeypatch.chdir(workdir)
    with pytest.raises(ParamsError, match="train-constant needs one of lr_max, lr_min as its argument, got 'lr_mid'"):
        train_constant.main("lr_mid")
