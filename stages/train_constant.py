"""Stage `train-constant@<which>`: LeNet-5 at a constant LR, `lr_max` or `lr_min` of the range test.

    python -m stages.train_constant lr_max
"""

from __future__ import annotations

import sys

import numpy as np

from lib.config import ParamsError
from stages.common import load_params, read_json, run
from stages.lenet_common import LENET_SCHEMA, LR_RANGE, train_seeds

CHOICES = ("lr_max", "lr_min")


def main(which: str | None = None, params_path: str = "params.yaml") -> None:
    which = which or (sys.argv[1] if len(sys.argv) > 1 else "")
    if which not in CHOICES:
        raise ParamsError(f"train-constant needs one of {', '.join(CHOICES)} as its argument, got {which!r}")
    lenet = load_params("lenet", LENET_SCHEMA, params_path)
    lr = float(read_json(LR_RANGE)[which])
    train_seeds(f"constant_{which}", lenet, lambda total: np.full(total, lr), extra_metrics={"lr": lr})


if __name__ == "__main__":
    run(main)
