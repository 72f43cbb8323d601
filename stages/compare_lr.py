"""Stage `compare-lr`: validation-accuracy curves of one-cycle vs both constant LRs, and the verdict."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lib.lr_study import compare_runs
from lib.plotting import curves_figure
from stages.common import read_json, remove_outputs, run, write_json, write_with
from stages.lenet_common import run_paths

RUNS = {"onecycle": "one-cycle", "constant_lr_max": "constant lr_max", "constant_lr_min": "constant lr_min"}
FIGURE = Path("plots/lr_comparison.png")
METRICS = Path("metrics/lr_study.json")


def main() -> None:
    remove_outputs(FIGURE, METRICS)
    means = {name: pd.read_csv(run_paths(name)["mean"]) for name in RUNS}
    summaries = {name: read_json(run_paths(name)["metrics"]) for name in RUNS}
    epochs = means["onecycle"]["epoch"].to_numpy() + 1
    fig = curves_figure(
        epochs,
        {RUNS[n]: m["val_accuracy"].to_numpy() for n, m in means.items()},
        bands={RUNS[n]: m["val_accuracy_std"].to_numpy() for n, m in means.items()},
        xlabel="epoch", ylabel="validation accuracy (mean over seeds, band = +-1 std)",
        title="LeNet-5 on 30% of CIFAR-10: one-cycle vs constant learning rates")
    write_with(FIGURE, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
    verdict = compare_runs(summaries)
    write_json(METRICS, {
        "final_val_accuracy": {n: s["final_val_accuracy"] for n, s in summaries.items()},
        "test_accuracy": {n: s["test_accuracy"] for n, s in summaries.items()},
        "onecycle_vs": verdict["versus"],
        "onecycle_beats_both_by_more_than_spread": verdict["beats_all_by_more_than_spread"],
    })
    for n, s in summaries.items():
        print(f"{RUNS[n]:16s} final val {s['final_val_accuracy']['mean']:.4f} +- {s['final_val_accuracy']['std']:.4f}"
              f"  test {s['test_accuracy']['mean']:.4f} +- {s['test_accuracy']['std']:.4f}")
    print(f"one-cycle beats both by more than the seed spread: {verdict['beats_all_by_more_than_spread']}")


if __name__ == "__main__":
    run(main)
