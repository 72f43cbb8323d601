"""Verified download of MNIST (gzip IDX) and CIFAR-10 (binary version).

Every dataset is fetched from a list of sources tried in order (a mirror
first, if any, then the canonical hosts). What is checked is the *content*:
the SHA-256 of every decompressed / extracted file must equal the canonical
value, so any honest mirror passes even if it re-compressed the archives.

Nothing is written to the destination until every file of a dataset is
verified: files are built in a hidden staging directory next to it and
renamed into place at the end; on any error the staging directory is removed.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.client
import os
import shutil
import socket
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, ContextManager, Iterable, Mapping, Protocol

from lib.errors import PipelineError

CHUNK = 1 << 20

# SHA-256 of the files AFTER decompression / extraction (canonical contents).
MNIST_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
CIFAR10_SHA256: dict[str, str] = {
    "data_batch_1.bin": "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5",
    "data_batch_2.bin": "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed",
    "data_batch_3.bin": "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67",
    "data_batch_4.bin": "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48",
    "data_batch_5.bin": "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add",
    "test_batch.bin": "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b",
}
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")

MNIST_CANONICAL = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)
CIFAR10_CANONICAL = ("https://www.cs.toronto.edu/~kriz/",)
CIFAR10_ARCHIVE = "cifar-10-binary.tar.gz"
CIFAR10_DIR = "cifar-10-batches-bin"
CIFAR10_META = "batches.meta.txt"

# Upper bounds on what one decompressed file may be (guards against gzip/tar bombs).
MAX_MNIST_FILE = 64 << 20  # the largest canonical file is 47,040,016 bytes
MAX_CIFAR_MEMBER = 40 << 20  # each batch is 30,730,000 bytes
MAX_META = 4096


class DownloadError(PipelineError, RuntimeError):
    """A file could not be fetched or verified from any source."""


class SourceError(Exception):
    """One source failed for one file (network, HTTP status, missing, corrupt)."""


class Progress(Protocol):
    def update(self, n: int) -> object: ...


ProgressFactory = Callable[[int | None, str], ContextManager[Progress]]


@dataclass(frozen=True)
class RetryPolicy:
    """Network behaviour: per-request timeout (s), retries after the first try, backoff base (s)."""

    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0


def read_sha256sums(text: str) -> dict[str, str]:
    """Parse ``sha256sum`` output (``<hex>  <path>``) into {basename: hex}."""
    sums: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[0]) != 64:
            raise ValueError(f"SHA256SUMS line {lineno} is not '<sha256>  <path>': {line!r}")
        sums[parts[1].lstrip("*").rsplit("/", 1)[-1]] = parts[0].lower()
    return sums


def source_urls(relative: str, mirror: str | None, canonical: Iterable[str]) -> list[str]:
    """The places to try for ``relative`` (e.g. ``mnist/x.gz``): mirror first, then canonical hosts.

    ``mirror`` is a local directory or an ``http(s)://``/``file://`` prefix laid out like the
    canonical mirror (``mnist/<file>.gz``, ``cifar10/cifar-10-binary.tar.gz``).
    """
    urls = []
    if mirror:
        if "://" in mirror:
            urls.append(mirror.rstrip("/") + "/" + relative)
        else:
            urls.append(str(Path(mirror) / relative))
    name = relative.rsplit("/", 1)[-1]
    urls.extend(base.rstrip("/") + "/" + name for base in canonical)
    return urls


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code >= 500 or exc.code == 429
    return isinstance(exc, (urllib.error.URLError, socket.timeout, TimeoutError,
                            ConnectionError, http.client.HTTPException))


def _stream_http(url: str, out: IO[bytes], policy: RetryPolicy, progress: ProgressFactory | None,
                 desc: str) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "dvc-dl-experiments/1.0"})
    with urllib.request.urlopen(request, timeout=policy.timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        received = 0
        with (progress(total, desc) if progress else nullcontext()) as bar:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                received += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        if total is not None and received != total:
            raise http.client.IncompleteRead(b"", total - received)


def fetch(url: str, dest: Path, *, policy: RetryPolicy = RetryPolicy(),
          progress: ProgressFactory | None = None,
          sleep: Callable[[float], None] = time.sleep) -> None:
    """Copy ``url`` (http(s), file:// or a local path) to ``dest``.

    Transient network errors and HTTP 5xx/429 are retried ``policy.retries``
    times with exponential backoff; anything else raises :class:`SourceError`.
    ``dest`` is only ever the complete body: a failed attempt truncates it.
    """
    parsed = urllib.parse.urlparse(url)
    desc = url.rsplit("/", 1)[-1]
    if parsed.scheme in ("", "file"):
        path = Path(urllib.request.url2pathname(parsed.path)) if parsed.scheme else Path(url)
        try:
            shutil.copyfile(path, dest)
        except OSError as exc:
            raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
        return
    if parsed.scheme not in ("http", "https"):
        raise SourceError(f"unsupported URL scheme {parsed.scheme!r}")
    for attempt in range(policy.retries + 1):
        try:
            with open(dest, "wb") as out:
                _stream_http(url, out, policy, progress, desc)
            return
        except Exception as exc:  # classified below; anything unexpected is re-raised
            if isinstance(exc, urllib.error.HTTPError) and not _is_transient(exc):
                raise SourceError(f"HTTP {exc.code} {exc.reason}") from exc
            if not _is_transient(exc):
                raise
            if attempt == policy.retries:
                raise SourceError(f"network error after {attempt + 1} attempts: {exc}") from exc
            sleep(policy.backoff * 2 ** attempt)


def _copy_hashed(src: IO[bytes], dest: Path, limit: int, what: str) -> str:
    """Copy ``src`` into ``dest`` while hashing it; refuse more than ``limit`` bytes."""
    digest = hashlib.sha256()
    written = 0
    with open(dest, "wb") as out:
        while chunk := src.read(CHUNK):
            written += len(chunk)
            if written > limit:
                raise SourceError(f"{what} is larger than the {limit:,}-byte limit")
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _check_hash(name: str, url: str, expected: str, actual: str) -> None:
    if actual != expected:
        raise SourceError(
            f"SHA-256 mismatch for {name} from {url}: expected {expected}, got {actual}"
        )


def _try_sources(name: str, urls: list[str], attempt: Callable[[str], None]) -> None:
    """Run ``attempt(url)`` for each url until one succeeds; else raise a DownloadError listing all."""
    failures = []
    for url in urls:
        try:
            attempt(url)
            return
        except SourceError as exc:
            failures.append(f"  - {url}: {exc}")
    raise DownloadError(f"could not get a verified {name} from any source:\n" + "\n".join(failures))


class _Staging:
    """A hidden sibling directory that becomes ``dest`` only on success."""

    def __init__(self, dest: Path):
        self.dest = dest
        self.path = dest.parent / f".{dest.name}.partial-{os.getpid()}"

    def __enter__(self) -> Path:
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir()
        return self.path

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            if self.dest.exists():
                shutil.rmtree(self.dest)
            os.replace(self.path, self.dest)
        else:
            shutil.rmtree(self.path, ignore_errors=True)


def _fetch_gzip_verified(url: str, *, target: Path, expected: str, policy: RetryPolicy,
                         progress: ProgressFactory | None, max_size: int) -> None:
    """Fetch ``url`` (a .gz), decompress it into ``target`` and check the SHA-256 of the result."""
    archive = target.with_name(target.name + ".gz.part")
    fetch(url, archive, policy=policy, progress=progress)
    try:
        with gzip.open(archive, "rb") as src:
            actual = _copy_hashed(src, target, max_size, target.name)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise SourceError(f"corrupt or truncated gzip file {target.name}.gz: {exc}") from exc
    finally:
        archive.unlink(missing_ok=True)
    _check_hash(target.name, url, expected, actual)


def download_mnist(dest: Path, *, mirror: str | None = None,
                   canonical: Iterable[str] = MNIST_CANONICAL,
                   checksums: Mapping[str, str] = MNIST_SHA256,
                   policy: RetryPolicy = RetryPolicy(),
                   progress: ProgressFactory | None = None,
                   max_size: int = MAX_MNIST_FILE) -> list[Path]:
    """Download the four MNIST IDX files into ``dest`` (decompressed, verified).

    Returns the written paths. Raises :class:`DownloadError` (and leaves
    ``dest`` untouched) if any file cannot be verified from any source.
    """
    canonical = tuple(canonical)
    with _Staging(Path(dest)) as stage:
        for name in MNIST_SHA256:
            attempt = functools.partial(_fetch_gzip_verified, target=stage / name, expected=checksums[name],
                                        policy=policy, progress=progress, max_size=max_size)
            _try_sources(name, source_urls(f"mnist/{name}.gz", mirror, canonical), attempt)
    return [Path(dest) / name for name in MNIST_SHA256]


def _safe_member(member: tarfile.TarInfo, allowed: set[str]) -> str | None:
    """The member's base name if it is one we want, None to skip; raise on an unsafe member."""
    name = member.name
    parts = Path(name).parts
    if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        raise SourceError(f"unsafe path in archive: {name!r}")
    if member.isdir() and name.rstrip("/") == CIFAR10_DIR:
        return None
    if len(parts) != 2 or parts[0] != CIFAR10_DIR or parts[1] not in allowed:
        raise SourceError(f"unexpected archive member: {name!r}")
    if not member.isreg():
        raise SourceError(f"archive member {name!r} is not a regular file (links are refused)")
    return parts[1]


def _check_meta(text: str) -> None:
    classes = tuple(line.strip() for line in text.splitlines() if line.strip())
    if classes != CIFAR10_CLASSES:
        raise SourceError(f"{CIFAR10_META} lists {classes}, expected {CIFAR10_CLASSES}")


def download_cifar10(dest: Path, *, mirror: str | None = None,
                     canonical: Iterable[str] = CIFAR10_CANONICAL,
                     checksums: Mapping[str, str] = CIFAR10_SHA256,
                     policy: RetryPolicy = RetryPolicy(),
                     progress: ProgressFactory | None = None,
                     max_member: int = MAX_CIFAR_MEMBER) -> list[Path]:
    """Download CIFAR-10 (binary version) into ``dest``: the six ``.bin`` batches and ``batches.meta.txt``.

    Only the expected members of ``cifar-10-batches-bin/`` are extracted; absolute
    paths, ``..``, links and oversized members are refused. Every batch is verified
    against ``checksums``; the meta file must list the ten CIFAR-10 classes.
    """
    canonical = tuple(canonical)
    wanted = set(CIFAR10_SHA256) | {CIFAR10_META}
    with _Staging(Path(dest)) as stage:
        archive = stage / (CIFAR10_ARCHIVE + ".part")

        def attempt(url: str) -> None:
            for leftover in stage.iterdir():
                if leftover != archive:
                    leftover.unlink()
            fetch(url, archive, policy=policy, progress=progress)
            seen: set[str] = set()
            try:
                with tarfile.open(archive, "r:gz") as tar:
                    for member in tar:
                        name = _safe_member(member, wanted)
                        if name is None:
                            continue
                        if name in seen:
                            raise SourceError(f"archive has {name} twice")
                        limit = MAX_META if name == CIFAR10_META else max_member
                        if member.size > limit:
                            raise SourceError(f"{name} is {member.size:,} bytes, over the {limit:,}-byte limit")
                        src = tar.extractfile(member)
                        actual = _copy_hashed(src, stage / name, limit, name)
                        if name == CIFAR10_META:
                            _check_meta((stage / name).read_text(encoding="ascii", errors="replace"))
                        else:
                            _check_hash(name, url, checksums[name], actual)
                        seen.add(name)
            except (tarfile.TarError, OSError, EOFError) as exc:
                raise SourceError(f"corrupt or truncated archive {CIFAR10_ARCHIVE}: {exc}") from exc
            finally:
                archive.unlink(missing_ok=True)
            missing = sorted(wanted - seen)
            if missing:
                raise SourceError(f"archive lacks {', '.join(missing)}")

        _try_sources(CIFAR10_ARCHIVE, source_urls(f"cifar10/{CIFAR10_ARCHIVE}", mirror, canonical), attempt)
    return [Path(dest) / name for name in sorted(wanted)]
