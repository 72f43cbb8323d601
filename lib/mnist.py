"""MNIST IDX parsing and the two-digit subset used by the MLP experiment."""

from __future__ import annotations

from typing import IO, Sequence

import numpy as np
import pandas as pd

from lib.errors import PipelineError

# IDX type codes (third magic byte) -> big-endian NumPy dtypes.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class IdxFormatError(PipelineError, ValueError):
    """The bytes are not a well-formed IDX file."""


def read_idx(fileobj: IO[bytes], name: str = "IDX file") -> np.ndarray:
    """Parse an (uncompressed) IDX file into an array of its declared shape and dtype.

    Layout: two zero bytes, a type code, the number of dimensions, one big-endian
    uint32 per dimension, then the data in C order.
    """
    header = fileobj.read(4)
    if len(header) < 4 or header[0] != 0 or header[1] != 0:
        raise IdxFormatError(f"{name}: bad magic number {header.hex() or '(empty)'}")
    code, ndim = header[2], header[3]
    if code not in _IDX_DTYPES:
        raise IdxFormatError(f"{name}: unknown IDX type code 0x{code:02x}")
    if ndim == 0:
        raise IdxFormatError(f"{name}: zero dimensions")
    dims_raw = fileobj.read(4 * ndim)
    if len(dims_raw) < 4 * ndim:
        raise IdxFormatError(f"{name}: truncated header")
    shape = tuple(int(d) for d in np.frombuffer(dims_raw, dtype=">u4"))
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = int(np.prod(shape)) * dtype.itemsize
    body = fileobj.read(expected + 1)
    if len(body) != expected:
        raise IdxFormatError(
            f"{name}: header says {shape} ({expected:,} data bytes), file has {len(body):,}"
            + (" or more" if len(body) > expected else "")
        )
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def select_digits(images: np.ndarray, labels: np.ndarray,
                  digits: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Keep the samples whose label is in ``digits``; relabel ``digits[i]`` as ``i``.

    Returns (N, H*W) pixels and (N,) int64 class indices, in the original order.
    """
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{images.shape[0]} images but {labels.shape[0]} labels")
    keep = np.isin(labels, digits)
    mapping = np.full(256, -1, dtype=np.int64)
    mapping[list(digits)] = np.arange(len(digits))
    x = images[keep].reshape(int(keep.sum()), -1)
    return x, mapping[labels[keep]]


def split_indices(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random split of ``range(n)`` into (train, val) with ``round(n * val_fraction)`` in val.

    Both index arrays are sorted so that the written files keep MNIST's order.
    """
    n_val = int(round(n * val_fraction))
    if not 0 < n_val < n:
        raise ValueError(f"val_fraction={val_fraction} leaves {n_val} of {n} samples for validation")
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def to_frame(pixels: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """A DataFrame with a ``label`` column followed by ``pixel0 .. pixel{D-1}``."""
    frame = pd.DataFrame(pixels, columns=[f"pixel{i}" for i in range(pixels.shape[1])])
    frame.insert(0, "label", labels)
    return frame
