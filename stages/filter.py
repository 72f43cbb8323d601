"""Stage `filter`: MNIST digits 2 and 7 -> train/val/test CSVs (label + 784 pixels) and split sizes."""

from __future__ import annotations

from pathlib import Path

from lib.config import Field, ParamsError
from lib.mnist import read_idx, select_digits, split_indices, to_frame
from stages.common import load_params, run, write_json, write_with

RAW = Path("data/raw/mnist")
OUT = Path("data/mnist27")
METRICS = Path("metrics/filter.json")

SCHEMA = {
    "digits": Field(list, item_kind=int, low=0, high=9, default=[2, 7]),
    "val_fraction": Field(float, low=0, high=1, low_open=True, high_open=True, default=0.1),
    "seed": Field(int, low=0, default=0),
}


def _load(prefix: str):
    with open(RAW / f"{prefix}-images-idx3-ubyte", "rb") as fh:
        images = read_idx(fh, f"{prefix}-images-idx3-ubyte")
    with open(RAW / f"{prefix}-labels-idx1-ubyte", "rb") as fh:
        labels = read_idx(fh, f"{prefix}-labels-idx1-ubyte")
    return images, labels


def main(params_path: str = "params.yaml") -> None:
    params = load_params("filter", SCHEMA, params_path)
    digits = params["digits"]
    if len(set(digits)) != 2:
        raise ParamsError(f"filter.digits must be two different digits, got {digits}")

    x_train, y_train = select_digits(*_load("train"), digits)
    x_test, y_test = select_digits(*_load("t10k"), digits)
    train_idx, val_idx = split_indices(len(y_train), params["val_fraction"], params["seed"])

    splits = {
        "train": (x_train[train_idx], y_train[train_idx]),
        "val": (x_train[val_idx], y_train[val_idx]),
        "test": (x_test, y_test),
    }
    for name, (x, y) in splits.items():
        write_with(OUT / f"{name}.csv", lambda tmp, x=x, y=y: to_frame(x, y).to_csv(tmp, index=False))
    sizes = {name: int(len(y)) for name, (_, y) in splits.items()}
    write_json(METRICS, {
        "label_map": {str(d): i for i, d in enumerate(digits)},
        "sizes": sizes,
        "class_counts": {name: {str(d): int((y == i).sum()) for i, d in enumerate(digits)}
                         for name, (_, y) in splits.items()},
    })
    print(f"filter: digits {digits[0]} -> 0, {digits[1]} -> 1; sizes {sizes}")


if __name__ == "__main__":
    run(main)
