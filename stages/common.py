"""Helpers every stage shares: reading its params section and writing outputs atomically."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import yaml

from lib.config import Field, ParamsError, validate_section
from lib.errors import PipelineError

PARAMS_FILE = "params.yaml"


def load_params(section: str, schema: Mapping[str, Field], path: str | Path = PARAMS_FILE) -> dict[str, Any]:
    """Read ``path`` and return its validated ``section``."""
    try:
        with open(path, encoding="utf-8") as fh:
            params = yaml.safe_load(fh) or {}
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path} is not valid YAML: {exc}") from exc
    return validate_section(params, section, schema)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling path; on success it replaces ``path``, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_json(path: str | Path, obj: Any) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, sort_keys=False)
        fh.write("\n")


def write_with(path: str | Path, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` and move the result to ``path`` only if it succeeded."""
    with atomic_path(path) as tmp:
        writer(tmp)


def read_json(path: str | Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def remove_outputs(*paths: str | Path) -> None:
    """Delete stale outputs (files or directories) before a stage writes new ones."""
    for p in map(Path, paths):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)


def run(main: Callable[[], None]) -> None:
    """Run a stage's ``main``; known user errors print one clear line and exit 1."""
    try:
        main()
    except (PipelineError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
