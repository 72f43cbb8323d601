"""Stage `evaluate`: test accuracy, confusion matrix (metrics + DVC confusion data) and one sample per cell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lib.data import read_classification_csv
from lib.metrics import binary_predictions, confusion_matrix, normalize_confusion
from lib.mlp import mlp_from_state
from lib.plotting import confusion_samples_figure
from lib.training import predict_logits
from stages.common import read_json, remove_outputs, run, write_json, write_with

TEST = Path("data/mnist27/test.csv")
MODEL = Path("data/models/mlp.npz")
LABELS = Path("metrics/filter.json")
METRICS = Path("metrics/evaluate.json")
CONFUSION = Path("plots/confusion.csv")
SAMPLES = Path("plots/confusion_samples.png")


def _by_label(matrix: np.ndarray, names: list[str], cast) -> dict:
    return {f"true_{t}": {f"pred_{p}": cast(matrix[i, j]) for j, p in enumerate(names)}
            for i, t in enumerate(names)}


def main() -> None:
    remove_outputs(METRICS, CONFUSION, SAMPLES)
    label_map = read_json(LABELS)["label_map"]  # digit -> class index
    names = [digit for digit, _ in sorted(label_map.items(), key=lambda kv: kv[1])]
    with np.load(MODEL) as npz:
        model = mlp_from_state(dict(npz))
    x, y = read_classification_csv(TEST)
    y_pred = binary_predictions(predict_logits(model, x))

    counts = confusion_matrix(y, y_pred, num_classes=len(names))
    normalized = normalize_confusion(counts)
    accuracy = float(np.trace(counts) / counts.sum())
    frame = pd.DataFrame({"actual": np.array(names)[y], "predicted": np.array(names)[y_pred]})
    write_with(CONFUSION, lambda tmp: frame.to_csv(tmp, index=False))
    fig = confusion_samples_figure(x, y, y_pred, names)
    write_with(SAMPLES, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
    write_json(METRICS, {
        "test_accuracy": round(accuracy, 6),
        "test_samples": int(counts.sum()),
        "confusion_counts": _by_label(counts, names, int),
        "confusion_normalized": _by_label(normalized, names, lambda v: round(float(v), 6)),
    })
    print(f"evaluate: test accuracy {accuracy:.4f} on {counts.sum()} samples\n"
          f"confusion (rows true {names}, columns predicted):\n{counts}\n{normalized.round(4)}")


if __name__ == "__main__":
    run(main)
