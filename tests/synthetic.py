"""Tiny datasets in the real on-disk formats (IDX gzip, CIFAR-10 binary tar.gz) for tests."""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
import tarfile
from pathlib import Path

import numpy as np

from lib.download import CIFAR10_CLASSES, CIFAR10_DIR, CIFAR10_META, CIFAR10_SHA256

CIFAR_META_TEXT = "\n".join(CIFAR10_CLASSES) + "\n\n"


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array as an IDX file."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def cifar_batch_bytes(images: np.ndarray, labels: np.ndarray) -> bytes:
    """Encode (N, 32, 32, 3) uint8 images + labels as CIFAR-10 binary records (label, R, G, B planes)."""
    planes = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    return np.concatenate([labels.astype(np.uint8)[:, None], planes], axis=1).tobytes()


def mnist_arrays(n_train: int = 300, n_test: int = 100, seed: int = 0) -> dict[str, np.ndarray]:
    """Separable fake digits: each label lights up its own 3-row band of a 28x28 image, plus noise."""
    rng = np.random.default_rng(seed)
    out = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        images = rng.integers(0, 60, size=(n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):
            images[i, 2 + 2 * label: 5 + 2 * label, 4:24] = 230
        out[f"{prefix}-images-idx3-ubyte"] = images
        out[f"{prefix}-labels-idx1-ubyte"] = labels
    return out


def cifar_arrays(per_batch: int = 40, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Six small batches whose class shows as a colour bias, balanced over the ten classes."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in CIFAR10_SHA256:
        labels = np.arange(per_batch) % 10
        rng.shuffle(labels)
        images = rng.integers(0, 120, size=(per_batch, 32, 32, 3)).astype(np.uint8)
        images[:, :, :, 0] += (labels * 12).astype(np.uint8)[:, None, None]
        out[name] = (images, labels.astype(np.uint8))
    return out


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def tar_gz(members: dict[str, bytes], extra: list[tarfile.TarInfo] | None = None) -> bytes:
    """A .tar.gz holding ``members`` (name -> bytes) plus raw TarInfo entries (e.g. links)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra or []:
            tar.addfile(info)
    return buf.getvalue()


def cifar_members(batches: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, bytes]:
    members = {f"{CIFAR10_DIR}/{name}": cifar_batch_bytes(*arrays) for name, arrays in batches.items()}
    members[f"{CIFAR10_DIR}/{CIFAR10_META}"] = CIFAR_META_TEXT.encode()
    return members


def write_mirror(root: Path, *, seed: int = 0, n_train: int = 300, n_test: int = 100,
                 per_batch: int = 40) -> dict[str, str]:
    """Lay out a synthetic mirror like ../shared/datasets under ``root``; return its SHA-256 values."""
    sums = {}
    (root / "mnist").mkdir(parents=True, exist_ok=True)
    for name, array in mnist_arrays(n_train, n_test, seed).items():
        raw = idx_bytes(array)
        sums[name] = hashlib.sha256(raw).hexdigest()
        (root / "mnist" / f"{name}.gz").write_bytes(gzip_bytes(raw))
    members = cifar_members(cifar_arrays(per_batch, seed))
    for name, data in members.items():
        if name.endswith(".bin"):
            sums[name.rsplit("/", 1)[-1]] = hashlib.sha256(data).hexdigest()
    (root / "cifar10").mkdir(parents=True, exist_ok=True)
    (root / "cifar10" / "cifar-10-binary.tar.gz").write_bytes(tar_gz(members))
    return sums


def sha256sums_text(sums: dict[str, str]) -> str:
    return "".join(f"{digest}  {name}\n" for name, digest in sums.items())
