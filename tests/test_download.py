import gzip
import hashlib
import tarfile

import pytest

from lib.download import (CIFAR10_SHA256, MNIST_SHA256, DownloadError, RetryPolicy, download_cifar10,
                          download_mnist, fetch, read_sha256sums, source_urls, SourceError)
from tests.synthetic import CIFAR_META_TEXT, cifar_arrays, cifar_members, sha256sums_text, tar_gz

FAST = RetryPolicy(timeout=5, retries=2, backoff=0.01)
NO_CANONICAL = ()


def mnist_sums(sums):
    return {k: sums[k] for k in MNIST_SHA256}


def cifar_sums(sums):
    return {k: sums[k] for k in CIFAR10_SHA256}


def test_canonical_checksums_match_shared_mirror_listing():
    # The values in the code are the canonical ones (SHA256SUMS of ../shared/datasets), copied verbatim.
    assert MNIST_SHA256["train-images-idx3-ubyte"].startswith("ba891046")
    assert CIFAR10_SHA256["test_batch.bin"].startswith("8e2eb146")
    assert len(MNIST_SHA256) == 4 and len(CIFAR10_SHA256) == 6


def test_source_urls_put_the_mirror_first():
    assert source_urls("mnist/a.gz", "http://m/x/", ["https://c1/", "https://c2"]) == [
        "http://m/x/mnist/a.gz", "https://c1/a.gz", "https://c2/a.gz"]
    assert source_urls("mnist/a.gz", None, ["https://c1/"]) == ["https://c1/a.gz"]


def test_read_sha256sums_parses_paths_and_rejects_garbage():
    sums = read_sha256sums("# c\n" + "a" * 64 + "  mnist/x\n" + "b" * 64 + " *y.bin\n")
    assert sums == {"x": "a" * 64, "y.bin": "b" * 64}
    with pytest.raises(ValueError, match="line 1"):
        read_sha256sums("nothex x\n")


def test_mnist_from_http_mirror(http_mirror, tmp_path):
    server, sums = http_mirror
    paths = download_mnist(tmp_path / "mnist", mirror=server.url, canonical=NO_CANONICAL,
                           checksums=mnist_sums(sums), policy=FAST)
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(MNIST_SHA256)
    for p in paths:
        assert hashlib.sha256(p.read_bytes()).hexdigest() == sums[p.name]


def test_cifar_from_local_directory_mirror(mirror, tmp_path):
    root, sums = mirror
    download_cifar10(tmp_path / "c", mirror=str(root), canonical=NO_CANONICAL,
                     checksums=cifar_sums(sums), policy=FAST)
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == sorted([*CIFAR10_SHA256, "batches.meta.txt"])
    assert (tmp_path / "c" / "batches.meta.txt").read_text() == CIFAR_META_TEXT


def test_checksum_mismatch_names_file_source_and_hashes_and_writes_nothing(http_mirror, tmp_path):
    server, sums = http_mirror
    wrong = mnist_sums(sums) | {"t10k-labels-idx1-ubyte": "0" * 64}
    with pytest.raises(DownloadError) as err:
        download_mnist(tmp_path / "mnist", mirror=server.url, canonical=NO_CANONICAL,
                       checksums=wrong, policy=FAST)
    message = str(err.value)
    assert "SHA-256 mismatch for t10k-labels-idx1-ubyte" in message
    assert f"{server.url}/mnist/t10k-labels-idx1-ubyte.gz" in message
    assert "expected " + "0" * 64 in message and "got " + sums["t10k-labels-idx1-ubyte"] in message
    assert list(tmp_path.iterdir()) == []  # no output, no staging leftovers


def test_truncated_gzip_is_a_clear_error(mirror, tmp_path):
    root, sums = mirror
    gz = root / "mnist" / "train-labels-idx1-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:-20])
    with pytest.raises(DownloadError, match=r"corrupt or truncated gzip file train-labels-idx1-ubyte\.gz"):
        download_mnist(tmp_path / "mnist", mirror=str(root), canonical=NO_CANONICAL,
                       checksums=mnist_sums(sums), policy=FAST)
    assert list(tmp_path.iterdir()) == []


def test_truncated_http_body_is_retried_then_reported(http_mirror, tmp_path):
    server, sums = http_mirror
    server.cut_after["mnist/train-images-idx3-ubyte.gz"] = 100
    with pytest.raises(DownloadError, match="network error after 3 attempts"):
        download_mnist(tmp_path / "mnist", mirror=server.url, canonical=NO_CANONICAL,
                       checksums=mnist_sums(sums), policy=FAST)
    assert server.requests.count("mnist/train-images-idx3-ubyte.gz") == 3
    assert list(tmp_path.iterdir()) == []


def test_server_error_then_success_through_retry(http_mirror, tmp_path):
    server, sums = http_mirror
    server.errors["mnist/train-labels-idx1-ubyte.gz"] = 2
    download_mnist(tmp_path / "mnist", mirror=server.url, canonical=NO_CANONICAL,
                   checksums=mnist_sums(sums), policy=FAST)
    assert server.requests.count("mnist/train-labels-idx1-ubyte.gz") == 3
    assert (tmp_path / "mnist" / "train-labels-idx1-ubyte").exists()


def test_next_source_is_tried_after_a_404(http_mirror, tmp_path):
    server, sums = http_mirror
    # The "mirror" has no such layout (404), the second source is the real mirror.
    download_mnist(tmp_path / "mnist", mirror=server.url + "/nothing-here",
                   canonical=[server.url + "/mnist"], checksums=mnist_sums(sums), policy=FAST)
    assert (tmp_path / "mnist" / "t10k-images-idx3-ubyte").exists()


def test_retry_backoff_doubles(tmp_path):
    waits = []
    with pytest.raises(SourceError, match="network error after 4 attempts"):
        fetch("http://127.0.0.1:9/x", tmp_path / "x", policy=RetryPolicy(timeout=1, retries=3, backoff=0.5),
              sleep=waits.append)
    assert waits == [0.5, 1.0, 2.0]


def _evil_archive(kind):
    members = cifar_members(cifar_arrays(per_batch=10))
    if kind == "dotdot":
        members["cifar-10-batches-bin/../evil.bin"] = b"x"
        return tar_gz(members), r"unsafe path in archive: 'cifar-10-batches-bin/\.\./evil\.bin'"
    if kind == "absolute":
        members["/etc/evil"] = b"x"
        return tar_gz(members), "unsafe path in archive: '/etc/evil'"
    if kind == "unexpected":
        members["cifar-10-batches-bin/readme.html"] = b"x"
        return tar_gz(members), "unexpected archive member: 'cifar-10-batches-bin/readme.html'"
    if kind == "symlink":
        link = tarfile.TarInfo("cifar-10-batches-bin/data_batch_1.bin")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        del members["cifar-10-batches-bin/data_batch_1.bin"]
        return tar_gz(members, extra=[link]), "is not a regular file"
    if kind == "missing":
        del members["cifar-10-batches-bin/test_batch.bin"]
        return tar_gz(members), "archive lacks test_batch.bin"
    if kind == "meta":
        members["cifar-10-batches-bin/batches.meta.txt"] = b"cat\ndog\n"
        return tar_gz(members), r"batches.meta.txt lists \('cat', 'dog'\)"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "unexpected", "symlink", "missing", "meta"])
def test_unsafe_or_incomplete_archives_are_refused(kind, tmp_path):
    data, message = _evil_archive(kind)
    root = tmp_path / "m" / "cifar10"
    root.mkdir(parents=True)
    (root / "cifar-10-binary.tar.gz").write_bytes(data)
    sums = {name: hashlib.sha256(b).hexdigest() for name, b in cifar_members(cifar_arrays(per_batch=10)).items()}
    sums = {k.rsplit("/", 1)[-1]: v for k, v in sums.items()}
    out = tmp_path / "out"
    with pytest.raises(DownloadError, match=message):
        download_cifar10(out / "cifar10", mirror=str(tmp_path / "m"), canonical=NO_CANONICAL,
                         checksums=cifar_sums(sums), policy=FAST)
    assert not (tmp_path / "evil.bin").exists() and not (out / "evil.bin").exists()
    assert list(out.iterdir()) == []


def test_oversized_member_is_refused(mirror, tmp_path):
    root, sums = mirror
    with pytest.raises(DownloadError, match="over the 100-byte limit"):
        download_cifar10(tmp_path / "c", mirror=str(root), canonical=NO_CANONICAL,
                         checksums=cifar_sums(sums), policy=FAST, max_member=100)


def test_gzip_bomb_is_refused(mirror, tmp_path):
    root, sums = mirror
    (root / "mnist" / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"\0" * 5000))
    with pytest.raises(DownloadError, match="larger than the 1,000-byte limit"):
        download_mnist(tmp_path / "m", mirror=str(root), canonical=NO_CANONICAL,
                       checksums=mnist_sums(sums), policy=FAST, max_size=1000)


PARAMS = "download: {timeout: 5, retries: 0, backoff: 0, canonical_fallback: false}\n"


def test_download_stage_with_checksum_override(mirror, tmp_path, monkeypatch):
    from stages import download

    root, sums = mirror
    (tmp_path / "SUMS").write_text(sha256sums_text(sums))
    (tmp_path / "params.yaml").write_text(PARAMS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_MIRROR", str(root))
    monkeypatch.setenv("DATA_SHA256SUMS", str(tmp_path / "SUMS"))
    download.main()
    assert len(list((tmp_path / "data/raw/mnist").iterdir())) == 4
    assert len(list((tmp_path / "data/raw/cifar10").iterdir())) == 7


def test_download_stage_corrupt_mirror_leaves_nothing(mirror, tmp_path, monkeypatch):
    from stages import download

    root, sums = mirror
    sums = dict(sums, **{"data_batch_3.bin": "f" * 64})
    (tmp_path / "SUMS").write_text(sha256sums_text(sums))
    (tmp_path / "params.yaml").write_text(PARAMS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_MIRROR", str(root))
    monkeypatch.setenv("DATA_SHA256SUMS", str(tmp_path / "SUMS"))
    with pytest.raises(DownloadError, match="SHA-256 mismatch for data_batch_3.bin"):
        download.main()
    assert list((tmp_path / "data/raw").iterdir()) == []
