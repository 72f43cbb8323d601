"""What the three LeNet stages share: the `lenet` params, the CIFAR-10 split, and writing a run's results."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from lib.cifar import read_cifar_batch, scale_images, stratified_subset_split
from lib.config import Field
from lib.lr_study import history_frame, mean_frame, run_summary
from stages.common import remove_outputs, write_json, write_with

RAW = Path("data/raw/cifar10")
TRAIN_BATCHES = [f"data_batch_{i}.bin" for i in range(1, 6)]
LR_RANGE = Path("metrics/lr_range.json")

LENET_SCHEMA = {
    "subset_fraction": Field(float, low=0, high=1, low_open=True),
    "val_fraction": Field(float, low=0, high=1, low_open=True, high_open=True),
    "split_seed": Field(int, low=0),
    "standardize": Field(bool, default=False),
    "activation": Field(str, choices=("relu", "tanh", "sigmoid", "elu"), default="relu"),
    "pooling": Field(str, choices=("max", "average"), default="max"),
    "batch_size": Field(int, low=1),
    "epochs": Field(int, low=1),
    "seeds": Field(list, item_kind=int, low=0),
    "verbose": Field(int, low=0, high=2, default=2),
}


def _read_batch(name: str) -> tuple[np.ndarray, np.ndarray]:
    with open(RAW / name, "rb") as fh:
        return read_cifar_batch(fh.read(), name)


def load_cifar(p: dict, *, with_test: bool = True):
    """(x_train, y_train), (x_val, y_val), (x_test, y_test) as float32 NHWC, scaled with train statistics."""
    parts = [_read_batch(name) for name in TRAIN_BATCHES]
    images = np.concatenate([im for im, _ in parts])
    labels = np.concatenate([lb for _, lb in parts])
    train_idx, val_idx = stratified_subset_split(labels, p["subset_fraction"], p["val_fraction"], p["split_seed"])
    x_train, stats = scale_images(images[train_idx], standardize=p["standardize"])
    x_val, _ = scale_images(images[val_idx], standardize=p["standardize"], stats=stats)
    test = None
    if with_test:
        test_images, test_labels = _read_batch("test_batch.bin")
        test = (scale_images(test_images, standardize=p["standardize"], stats=stats)[0], test_labels)
    return (x_train, labels[train_idx]), (x_val, labels[val_idx]), test


def run_paths(name: str) -> dict[str, Path]:
    return {
        "history": Path(f"plots/lenet/{name}_history.csv"),
        "mean": Path(f"plots/lenet/{name}_mean.csv"),
        "metrics": Path(f"metrics/lenet/{name}.json"),
        "models": Path(f"data/models/lenet/{name}"),
    }


def train_seeds(name: str, p: dict, lr_values: Callable[[int], np.ndarray],
                momentum_values: Callable[[int], np.ndarray | None] = lambda n: None,
                extra_metrics: dict | None = None) -> dict:
    """Train LeNet-5 once per seed with the per-step schedule(s) and write the run's outputs.

    ``lr_values(total_steps)`` and ``momentum_values(total_steps)`` give the per-step tables.
    """
    from lib.lenet import build_lenet5, fit_scheduled, seed_everything, steps_per_epoch

    paths = run_paths(name)
    remove_outputs(*paths.values())
    train, val, test = load_cifar(p)
    total = steps_per_epoch(len(train[0]), p["batch_size"]) * p["epochs"]
    print(f"{name}: {len(train[0])} train / {len(val[0])} val / {len(test[0])} test images, "
          f"{total} steps per run, seeds {p['seeds']}", flush=True)
    lrs, momentums = lr_values(total), momentum_values(total)  # the same tables for every seed
    histories, test_accuracy = {}, {}
    paths["models"].mkdir(parents=True)
    try:
        for seed in p["seeds"]:
            seed_everything(seed)
            model = build_lenet5(train[0].shape[1:], 10, activation=p["activation"], pooling=p["pooling"])
            histories[seed] = fit_scheduled(model, *train, *val, lr_values=lrs,
                                            momentum_values=momentums, epochs=p["epochs"],
                                            batch_size=p["batch_size"], verbose=p["verbose"])
            test_accuracy[seed] = float(model.evaluate(*test, batch_size=1000, verbose=0, return_dict=True)["accuracy"])
            model.save(paths["models"] / f"seed{seed}.keras")
            h = histories[seed]
            print(f"{name} seed {seed}: final val_accuracy {h['val_accuracy'][-1]:.4f}, "
                  f"test accuracy {test_accuracy[seed]:.4f}", flush=True)
    except BaseException:
        remove_outputs(*paths.values())
        raise
    per_seed = history_frame(histories)
    write_with(paths["history"], lambda tmp: per_seed.to_csv(tmp, index=False, float_format="%.6g"))
    write_with(paths["mean"], lambda tmp: mean_frame(per_seed).to_csv(tmp, index=False, float_format="%.6g"))
    summary = {**(extra_metrics or {}), "steps_per_epoch": total // p["epochs"],
               **run_summary(histories, test_accuracy)}
    write_json(paths["metrics"], summary)
    print(f"{name}: final val accuracy {summary['final_val_accuracy']['mean']:.4f} "
          f"+- {summary['final_val_accuracy']['std']:.4f}, test {summary['test_accuracy']['mean']:.4f} "
          f"+- {summary['test_accuracy']['std']:.4f}")
    return summary
