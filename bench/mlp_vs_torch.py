"""Train the founding report's MLP with lib (NumPy autograd) and with PyTorch eager, alternating.

Same data (the filter stage's CSVs, or synthetic data with --synthetic), same model,
batch size, epochs, learning rate and per-epoch validation. Only the training loop is
timed (data already in memory). Prints each pair and the median time ratio lib / torch.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python -m bench.mlp_vs_torch --repeats 5
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from bench.common import compare
from lib.data import DataLoader, read_classification_csv
from lib.init import manual_seed
from lib.metrics import accuracy
from lib.mlp import build_mlp
from lib.nn import BCEWithLogitsLoss
from lib.optim import SGD
from lib.training import fit, predict_logits


def load(synthetic: bool):
    root = Path("data/mnist27")
    if synthetic or not (root / "train.csv").exists():
        rng = np.random.default_rng(0)
        x = rng.random((12223, 784), dtype=np.float32)
        y = (x[:, :392].sum(1) > x[:, 392:].sum(1)).astype(np.int64)
        return (x[:11001], y[:11001]), (x[11001:], y[11001:]), "synthetic 11001/1222 x 784"
    return read_classification_csv(root / "train.csv"), read_classification_csv(root / "val.csv"), str(root)


def run_lib(train, val, args, seed):
    manual_seed(seed)
    model = build_mlp(784, args.hidden, args.dropout)
    opt = SGD(model.parameters(), lr=args.lr)
    batches = DataLoader(*train, args.batch_size, seed=seed)
    start = time.perf_counter()
    fit(model, batches, *val, BCEWithLogitsLoss(), opt, args.epochs)
    elapsed = time.perf_counter() - start
    return elapsed, f"(val {accuracy(predict_logits(model, val[0]), val[1]):.4f})"


def run_torch(train, val, args, seed):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, args.hidden), nn.Dropout(args.dropout), nn.ReLU(),
                          nn.Linear(args.hidden, 1))
    opt = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss_fn = nn.BCEWithLogitsLoss()
    x, y = torch.from_numpy(train[0]), torch.from_numpy(train[1].astype(np.float32)).reshape(-1, 1)
    xv = torch.from_numpy(val[0])
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(args.epochs):
        model.train()
        order = torch.randperm(len(x), generator=gen)
        for b in range(0, len(x), args.batch_size):
            idx = order[b:b + args.batch_size]
            opt.zero_grad()
            logits = model(x[idx])
            loss = loss_fn(logits, y[idx])
            loss.backward()
            opt.step()
            loss.item()  # read the loss each step, as lib's loop does (for the divergence check)
        model.eval()
        with torch.no_grad():
            val_acc = float(((model(xv).reshape(-1) > 0).numpy() == val[1]).mean())
    return time.perf_counter() - start, f"(val {val_acc:.4f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--synthetic", action="store_true")
    args = parser.parse_args()

    import torch

    train, val, source = load(args.synthetic)
    print(f"data: {source}; torch {torch.__version__}, threads {torch.get_num_threads()}; "
          f"batch {args.batch_size}, {args.epochs} epochs")
    warm = argparse.Namespace(**{**vars(args), "epochs": 1})
    run_lib(train, val, warm, 0)  # warm-up both
    run_torch(train, val, warm, 0)
    compare(("lib", lambda seed: run_lib(train, val, args, seed)),
            ("torch", lambda seed: run_torch(train, val, args, seed)), args.repeats, "<= 1.0")


if __name__ == "__main__":
    main()
