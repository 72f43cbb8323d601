"""Stage `lr-range-test`: Smith's LR range test for LeNet-5 on the CIFAR-10 subset; suggests lr_max."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lib.config import Field, ParamsError
from lib.lenet import build_lenet5, lr_range_test, seed_everything, steps_per_epoch
from lib.plotting import curves_figure
from lib.schedules import range_test_lrs, suggest_lr
from stages.common import load_params, remove_outputs, run, write_json, write_with
from stages.lenet_common import LENET_SCHEMA, LR_RANGE, load_cifar

CURVE = Path("plots/lr_range.csv")
FIGURE = Path("plots/lr_range.png")

SCHEMA = {
    "start_lr": Field(float, low=0, low_open=True),
    "end_lr": Field(float, low=0, low_open=True),
    "mode": Field(str, choices=("linear", "exponential"), default="linear"),
    "beta": Field(float, low=0, high=1, high_open=True, default=0.98),
    "stop_factor": Field(float, low=1, low_open=True, default=4.0),
    "safety_factor": Field(float, low=1, default=2.0),
    "div_factor": Field(float, low=1, low_open=True, default=10.0),
    "lr_max": Field(float, low=0, low_open=True, nullable=True, default=None),
    "seed": Field(int, low=0, default=0),
}


def main(params_path: str = "params.yaml") -> None:
    lenet = load_params("lenet", LENET_SCHEMA, params_path)
    p = load_params("lr_range", SCHEMA, params_path)
    if p["start_lr"] >= p["end_lr"]:
        raise ParamsError(f"lr_range.start_lr must be below lr_range.end_lr, got {p['start_lr']} >= {p['end_lr']}")
    remove_outputs(CURVE, FIGURE, LR_RANGE)
    (x, y), _, _ = load_cifar(lenet, with_test=False)

    seed_everything(p["seed"])
    model = build_lenet5(x.shape[1:], 10, activation=lenet["activation"], pooling=lenet["pooling"])
    lrs = range_test_lrs(p["start_lr"], p["end_lr"], steps_per_epoch(len(x), lenet["batch_size"]), p["mode"])
    result = lr_range_test(model, x, y, lrs, batch_size=lenet["batch_size"], seed=p["seed"],
                           beta=p["beta"], stop_factor=p["stop_factor"])
    suggested, lr_at_min, min_loss = suggest_lr(result.lrs, result.smoothed, p["safety_factor"])
    lr_max = p["lr_max"] if p["lr_max"] is not None else suggested

    curve = pd.DataFrame({"lr": result.lrs, "loss": result.losses, "smoothed_loss": result.smoothed})
    write_with(CURVE, lambda tmp: curve.to_csv(tmp, index=False, float_format="%.6g"))
    fig = curves_figure(result.lrs, {"loss": result.losses, "smoothed loss": result.smoothed},
                        xlabel="learning rate (log scale)", ylabel="training loss",
                        title="LR range test: LeNet-5 on 30% of CIFAR-10, one epoch",
                        logx=True, marker=(lr_max, f"lr_max = {lr_max:.3g}"))
    write_with(FIGURE, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
    write_json(LR_RANGE, {
        "lr_max": lr_max,
        "lr_min": lr_max / p["div_factor"],
        "suggested_lr_max": suggested,
        "manual_override": p["lr_max"] is not None,
        "min_smoothed_loss": round(min_loss, 6),
        "lr_at_min_loss": lr_at_min,
        "batches_run": len(result.lrs),
        "stopped_early": result.stopped_early,
    })
    print(f"lr-range-test: {len(result.lrs)} batches{' (stopped early)' if result.stopped_early else ''}; "
          f"min smoothed loss {min_loss:.4f} at lr {lr_at_min:.4g}; lr_max {lr_max:.4g}, "
          f"lr_min {lr_max / p['div_factor']:.4g}")


if __name__ == "__main__":
    run(main)
