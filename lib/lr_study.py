"""Summaries of the learning-rate study: per-seed results, means and spreads. Pure NumPy/pandas."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

HISTORY_COLUMNS = ("loss", "accuracy", "val_loss", "val_accuracy", "lr")


def history_frame(histories: Mapping[int, Mapping[str, Sequence[float]]]) -> pd.DataFrame:
    """Per-seed, per-epoch rows: seed, epoch, loss, accuracy, val_loss, val_accuracy, lr."""
    frames = []
    for seed, history in histories.items():
        frame = pd.DataFrame({k: history[k] for k in HISTORY_COLUMNS})
        frame.insert(0, "epoch", np.arange(len(frame)))
        frame.insert(0, "seed", seed)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def mean_frame(per_seed: pd.DataFrame) -> pd.DataFrame:
    """Per-epoch mean over seeds of every metric, plus the (population) std of val_accuracy."""
    grouped = per_seed.groupby("epoch")
    out = grouped[list(HISTORY_COLUMNS)].mean()
    out["val_accuracy_std"] = grouped["val_accuracy"].std(ddof=0)
    return out.reset_index()


def _mean_std(values: Sequence[float]) -> dict[str, float]:
    arr = np.asarray(values, dtype=np.float64)
    return {"mean": round(float(arr.mean()), 6), "std": round(float(arr.std()), 6)}


def run_summary(histories: Mapping[int, Mapping[str, Sequence[float]]],
                test_accuracy: Mapping[int, float]) -> dict:
    """Final and best val accuracy and test accuracy, per seed and as mean/std (std over seeds, ddof=0)."""
    per_seed = {
        f"seed_{seed}": {
            "final_val_accuracy": round(h["val_accuracy"][-1], 6),
            "best_val_accuracy": round(max(h["val_accuracy"]), 6),
            "test_accuracy": round(test_accuracy[seed], 6),
        }
        for seed, h in histories.items()
    }
    summary = {key: _mean_std([s[key] for s in per_seed.values()])
               for key in ("final_val_accuracy", "best_val_accuracy", "test_accuracy")}
    return {**summary, "seeds": per_seed}


def compare_runs(summaries: Mapping[str, dict], challenger: str = "onecycle") -> dict:
    """Does ``challenger`` beat every other run's mean final val accuracy by more than the spread?

    The spread is the larger of the two runs' seed-to-seed std; the margin is the difference of means.
    """
    mine = summaries[challenger]["final_val_accuracy"]
    verdicts = {}
    for name, other in summaries.items():
        if name == challenger:
            continue
        theirs = other["final_val_accuracy"]
        margin = mine["mean"] - theirs["mean"]
        spread = max(mine["std"], theirs["std"])
        verdicts[name] = {"margin": round(margin, 6), "spread": round(spread, 6),
                          "beats_by_more_than_spread": bool(margin > spread)}
    return {"challenger": challenger, "versus": verdicts,
            "beats_all_by_more_than_spread": all(v["beats_by_more_than_spread"] for v in verdicts.values())}
