import io

import numpy as np
import pytest

from lib.cifar import CifarFormatError, read_cifar_batch
from lib.mnist import IdxFormatError, read_idx, select_digits, split_indices
from tests.synthetic import cifar_batch_bytes, idx_bytes


def test_idx_round_trip_images_and_labels():
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    labels = np.array([7, 2, 9], dtype=np.uint8)
    np.testing.assert_array_equal(read_idx(io.BytesIO(idx_bytes(images))), images)
    np.testing.assert_array_equal(read_idx(io.BytesIO(idx_bytes(labels))), labels)


def test_idx_big_endian_int32():
    raw = bytes([0, 0, 0x0C, 1, 0, 0, 0, 2]) + np.array([1, -2], dtype=">i4").tobytes()
    assert read_idx(io.BytesIO(raw)).tolist() == [1, -2]


@pytest.mark.parametrize("raw, message", [
    (b"", r"bad magic number \(empty\)"),
    (b"\x01\x00\x08\x01", "bad magic number 01000801"),
    (b"\x00\x00\x07\x01", "unknown IDX type code 0x07"),
    (b"\x00\x00\x08\x02\x00\x00", "truncated header"),
    (bytes([0, 0, 8, 1, 0, 0, 0, 5]) + b"abc", r"header says \(5,\) \(5 data bytes\), file has 3"),
    (bytes([0, 0, 8, 1, 0, 0, 0, 2]) + b"abc", r"file has 3 or more"),
])
def test_idx_malformed(raw, message):
    with pytest.raises(IdxFormatError, match=message):
        read_idx(io.BytesIO(raw), "x.idx")


def test_cifar_batch_layout_is_label_then_rgb_planes():
    images = np.zeros((2, 32, 32, 3), dtype=np.uint8)
    images[0, 0, 1, 0] = 11   # red, row 0, column 1
    images[1, 31, 31, 2] = 99  # blue, last pixel
    data = cifar_batch_bytes(images, np.array([3, 9], dtype=np.uint8))
    assert data[0] == 3 and data[2] == 11 and data[3073 + 3072] == 99
    parsed, labels = read_cifar_batch(data)
    np.testing.assert_array_equal(parsed, images)
    assert labels.tolist() == [3, 9]


@pytest.mark.parametrize("data, message", [
    (b"", "0 bytes is not a whole number of 3073-byte records"),
    (b"\x00" * 3074, "3,074 bytes"),
    (b"\x0a" + b"\x00" * 3072, "label 10 is not a CIFAR-10 class"),
])
def test_cifar_malformed(data, message):
    with pytest.raises(CifarFormatError, match=message):
        read_cifar_batch(data)


def test_select_digits_relabels_in_order():
    images = np.arange(5 * 4, dtype=np.uint8).reshape(5, 2, 2)
    labels = np.array([7, 1, 2, 7, 3], dtype=np.uint8)
    x, y = select_digits(images, labels, [2, 7])
    assert y.tolist() == [1, 0, 1]
    np.testing.assert_array_equal(x, images[[0, 2, 3]].reshape(3, 4))


def test_split_indices_is_seeded_disjoint_and_complete():
    train, val = split_indices(100, 0.1, seed=3)
    assert len(val) == 10 and len(train) == 90
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(100))
    again = split_indices(100, 0.1, seed=3)
    np.testing.assert_array_equal(train, again[0])
    assert not np.array_equal(val, split_indices(100, 0.1, seed=4)[1])
