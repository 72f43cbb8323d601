"""Stage `download`: fetch MNIST and CIFAR-10 (binary), verify every file's SHA-256, write data/raw/.

Environment:
  DATA_MIRROR       a local directory or http(s):// prefix laid out like the canonical
                    mirror (mnist/<file>.gz, cifar10/cifar-10-binary.tar.gz); tried first.
  DATA_SHA256SUMS   (testing only) a SHA256SUMS file that replaces the canonical checksums,
                    for synthetic mirrors. A warning is printed when it is used.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tqdm import tqdm

from lib.config import Field, ParamsError
from lib.download import (CIFAR10_CANONICAL, CIFAR10_SHA256, MNIST_CANONICAL, MNIST_SHA256, RetryPolicy,
                          download_cifar10, download_mnist, read_sha256sums)
from stages.common import load_params, remove_outputs, run

MNIST_DIR = Path("data/raw/mnist")
CIFAR10_DIR = Path("data/raw/cifar10")

SCHEMA = {
    "timeout": Field(float, low=0, low_open=True, default=30.0),
    "retries": Field(int, low=0, high=10, default=3),
    "backoff": Field(float, low=0, default=1.0),
    "canonical_fallback": Field(bool, default=True),
}


def _checksums() -> tuple[dict[str, str], dict[str, str]]:
    override = os.environ.get("DATA_SHA256SUMS")
    if not override:
        return MNIST_SHA256, CIFAR10_SHA256
    print(f"WARNING: DATA_SHA256SUMS={override} replaces the canonical checksums", file=sys.stderr)
    with open(override, encoding="utf-8") as fh:
        sums = read_sha256sums(fh.read())
    # A file missing from the override gets an empty checksum, which never matches.
    return ({k: sums.get(k, "") for k in MNIST_SHA256}, {k: sums.get(k, "") for k in CIFAR10_SHA256})


def _progress(total: int | None, desc: str) -> tqdm:
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, leave=False,
                disable=None if sys.stderr.isatty() else True)


def main(params_path: str = "params.yaml") -> None:
    params = load_params("download", SCHEMA, params_path)
    mirror = os.environ.get("DATA_MIRROR") or None
    policy = RetryPolicy(timeout=params["timeout"], retries=params["retries"], backoff=params["backoff"])
    mnist_sums, cifar_sums = _checksums()
    fallback = params["canonical_fallback"]
    if not mirror and not fallback:
        raise ParamsError("download.canonical_fallback is false but DATA_MIRROR is not set: no source to try")
    print(f"download: mirror={mirror or '(none: canonical hosts only)'}, canonical fallback={fallback}")
    try:
        written = download_mnist(MNIST_DIR, mirror=mirror, checksums=mnist_sums,
                                 canonical=MNIST_CANONICAL if fallback else (),
                                 policy=policy, progress=_progress)
        print(f"download: MNIST verified ({len(written)} files) -> {MNIST_DIR}")
        written = download_cifar10(CIFAR10_DIR, mirror=mirror, checksums=cifar_sums,
                                   canonical=CIFAR10_CANONICAL if fallback else (),
                                   policy=policy, progress=_progress)
        print(f"download: CIFAR-10 verified ({len(written)} files) -> {CIFAR10_DIR}")
    except BaseException:
        remove_outputs(MNIST_DIR, CIFAR10_DIR)  # all or nothing
        raise


if __name__ == "__main__":
    run(main)
