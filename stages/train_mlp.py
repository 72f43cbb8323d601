"""Stage `train-mlp`: the founding report's 784-100-1 MLP on MNIST 2 vs 7 with lib (NumPy autograd)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lib.config import Field
from lib.data import DataLoader, read_classification_csv
from lib.init import manual_seed
from lib.mlp import build_mlp
from lib.nn import BCEWithLogitsLoss
from lib.optim import SGD
from lib.training import EpochResult, fit
from stages.common import load_params, remove_outputs, run, write_json, write_with

DATA = Path("data/mnist27")
MODEL = Path("data/models/mlp.npz")
METRICS = Path("metrics/train_mlp.json")
HISTORY = Path("plots/train_mlp_history.csv")

SCHEMA = {
    "lr": Field(float, low=0, low_open=True),
    "batch_size": Field(int, low=1),
    "epochs": Field(int, low=1),
    "dropout": Field(float, low=0, high=1, high_open=True),
    "hidden": Field(int, low=1),
    "momentum": Field(float, low=0, high=1, high_open=True, default=0.0),
    "weight_decay": Field(float, low=0, default=0.0),
    "seed": Field(int, low=0),
}


def _print_epoch(r: EpochResult) -> None:
    print(f"epoch {r.epoch:2d}  train_loss {r.train_loss:.4f}  train_acc {r.train_accuracy:.4f}  "
          f"val_acc {r.val_accuracy:.4f}", flush=True)


def main(params_path: str = "params.yaml") -> None:
    p = load_params("train_mlp", SCHEMA, params_path)
    remove_outputs(MODEL, METRICS, HISTORY)
    x_train, y_train = read_classification_csv(DATA / "train.csv")
    x_val, y_val = read_classification_csv(DATA / "val.csv")

    manual_seed(p["seed"])  # Kaiming init and dropout masks
    model = build_mlp(x_train.shape[1], p["hidden"], p["dropout"])
    optimizer = SGD(model.parameters(), lr=p["lr"], momentum=p["momentum"], weight_decay=p["weight_decay"])
    batches = DataLoader(x_train, y_train, p["batch_size"], shuffle=True, seed=p["seed"])
    print(f"train-mlp: {model!r}\n{len(x_train)} train / {len(x_val)} val samples, "
          f"{len(batches)} batches per epoch")
    history = fit(model, batches, x_val, y_val, BCEWithLogitsLoss(), optimizer, p["epochs"],
                  on_epoch=_print_epoch)

    best = max(history, key=lambda r: r.val_accuracy)  # first epoch with the best val accuracy
    last = history[-1]
    state = model.state_dict()

    def save_weights(tmp: Path) -> None:
        with open(tmp, "wb") as fh:  # a file object: np.savez would append .npz to a bare path
            np.savez(fh, **state)

    write_with(MODEL, save_weights)
    frame = pd.DataFrame([vars(r) for r in history])
    write_with(HISTORY, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.6f"))
    write_json(METRICS, {
        "train_loss": round(last.train_loss, 6),
        "train_accuracy": round(last.train_accuracy, 6),
        "val_accuracy": round(last.val_accuracy, 6),
        "best_epoch": best.epoch,
        "best_val_accuracy": round(best.val_accuracy, 6),
    })


if __name__ == "__main__":
    run(main)
