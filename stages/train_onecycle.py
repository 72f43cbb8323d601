"""Stage `train-onecycle`: LeNet-5 with the one-cycle LR policy, lr_max from the range test, over seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lib.config import Field, ParamsError
from lib.plotting import curves_figure
from lib.schedules import one_cycle_lr, one_cycle_momentum
from stages.common import load_params, read_json, remove_outputs, run, write_with
from stages.lenet_common import LENET_SCHEMA, LR_RANGE, train_seeds

SCHEDULE = Path("plots/lenet/onecycle_schedule.csv")
FIGURE = Path("plots/lr_schedule.png")

SCHEMA = {
    "annihilate_fraction": Field(float, low=0, high=1, high_open=True, default=0.0),
    "annihilate_div": Field(float, low=1, default=100.0),
    "cyclical_momentum": Field(bool, default=False),
    "momentum_max": Field(float, low=0, high=1, high_open=True, default=0.95),
    "momentum_min": Field(float, low=0, high=1, high_open=True, default=0.85),
}


def main(params_path: str = "params.yaml") -> None:
    lenet = load_params("lenet", LENET_SCHEMA, params_path)
    p = load_params("onecycle", SCHEMA, params_path)
    if p["momentum_min"] > p["momentum_max"]:
        raise ParamsError(f"onecycle.momentum_min must be <= onecycle.momentum_max, "
                          f"got {p['momentum_min']} > {p['momentum_max']}")
    lr_range = read_json(LR_RANGE)
    lr_max, div_factor = lr_range["lr_max"], lr_range["lr_max"] / lr_range["lr_min"]
    remove_outputs(SCHEDULE, FIGURE)

    def lr_values(total: int) -> np.ndarray:
        return one_cycle_lr(np.arange(total), total, lr_max, div_factor,
                            p["annihilate_fraction"], p["annihilate_div"])

    def momentum_values(total: int) -> np.ndarray | None:
        if not p["cyclical_momentum"]:
            return None
        return one_cycle_momentum(np.arange(total), total, p["momentum_max"], p["momentum_min"],
                                  p["annihilate_fraction"])

    summary = train_seeds("onecycle", lenet, lr_values, momentum_values,
                          extra_metrics={"lr_max": lr_max, "lr_min": lr_range["lr_min"]})

    # The schedule is the same for every seed: write it once, per step, with epochs as fractions.
    per_epoch = summary["steps_per_epoch"]
    total = per_epoch * lenet["epochs"]
    schedule = pd.DataFrame({"step": np.arange(total), "epoch": np.arange(total) / per_epoch,
                             "lr": lr_values(total)})
    momentum = momentum_values(total)
    if momentum is not None:
        schedule["momentum"] = momentum
    write_with(SCHEDULE, lambda tmp: schedule.to_csv(tmp, index=False, float_format="%.6g"))
    fig = curves_figure(schedule["epoch"].to_numpy(), {"learning rate": schedule["lr"].to_numpy()},
                        xlabel="epoch", ylabel="learning rate",
                        title=f"One-cycle schedule: {lr_max / div_factor:.3g} -> {lr_max:.3g} -> "
                              f"{lr_max / div_factor:.3g}, stepped per batch")
    write_with(FIGURE, lambda tmp: fig.savefig(tmp, format="png", dpi=100))


if __name__ == "__main__":
    run(main)
