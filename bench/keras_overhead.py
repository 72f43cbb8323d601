"""The pipeline's LeNet training step vs a bare `model.fit` on the same in-memory arrays, alternating.

Pipeline: lib.lenet.fit_scheduled (per-step LR table as a Keras schedule, divergence guard,
history with LR). Bare: keras.optimizers.SGD(constant LR) + model.fit, nothing else.
Both train the same LeNet-5, data, batch size and epochs. Prints each pair and the median ratio.

    .venv/bin/python -m bench.keras_overhead --repeats 3
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.common import compare
from stages.lenet_common import RAW, load_cifar


def data(args):
    if (RAW / "data_batch_1.bin").exists():
        p = {"subset_fraction": 0.3, "val_fraction": 0.3, "split_seed": 0, "standardize": False}
        train, val, _ = load_cifar(p, with_test=False)
        return train, val, str(RAW)
    rng = np.random.default_rng(0)
    x = rng.random((15000, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, 15000)
    return (x[:10500], y[:10500]), (x[10500:], y[10500:]), "synthetic 10500/4500"


def fresh_session():
    """Each run starts from an empty Keras/TF state, so neither side pays for the other's graphs."""
    import gc

    import keras

    keras.backend.clear_session()
    gc.collect()


def run_pipeline(train, val, args, seed):
    from lib.lenet import build_lenet5, fit_scheduled, seed_everything, steps_per_epoch
    from lib.schedules import one_cycle_lr

    fresh_session()
    seed_everything(seed)
    model = build_lenet5()
    total = steps_per_epoch(len(train[0]), args.batch_size) * args.epochs
    lrs = one_cycle_lr(np.arange(total), total, args.lr)
    start = time.perf_counter()
    history = fit_scheduled(model, *train, *val, lr_values=lrs, epochs=args.epochs, batch_size=args.batch_size,
                            verbose=0)
    return time.perf_counter() - start, f"(val {history['val_accuracy'][-1]:.4f})"


def run_bare(train, val, args, seed):
    import keras

    from lib.lenet import build_lenet5, seed_everything

    fresh_session()
    seed_everything(seed)
    model = build_lenet5()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=args.lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(*train, batch_size=args.batch_size, epochs=args.epochs, validation_data=val, verbose=0)
    return time.perf_counter() - start, f"(val {history.history['val_accuracy'][-1]:.4f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args()
    train, val, source = data(args)
    print(f"data: {source}; {len(train[0])} train / {len(val[0])} val; batch {args.batch_size}, {args.epochs} epochs")
    compare(("pipeline", lambda seed: run_pipeline(train, val, args, seed)),
            ("bare", lambda seed: run_bare(train, val, args, seed)), args.repeats, "<= 1.1")


if __name__ == "__main__":
    main()
