"""Validation of one `params.yaml` section against a small declarative schema.

Stages load their own section and call :func:`validate_section`; every error
names the full key (``section.key``), what was expected and what was found.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

from lib.errors import PipelineError


class ParamsError(PipelineError, ValueError):
    """A params.yaml value is missing, unknown, of the wrong type or out of range."""


_MISSING = object()
_YAML11_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


@dataclass(frozen=True)
class Field:
    """One expected key: its type, optional bounds, choices and default.

    ``kind`` is a type (``int``, ``float``, ``bool``, ``str``, ``list``) or a tuple of types;
    ``nullable`` also admits null. Bounds are inclusive unless the matching ``*_open`` flag
    is set; for lists they apply to each item, checked as ``item_kind``.
    """

    kind: type | tuple[type, ...]
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[Any, ...] | None = None
    default: Any = _MISSING
    nullable: bool = False
    item_kind: type | None = None  # for lists: the type of each item

    def range_text(self) -> str:
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"{left}{low}, {high}{right}"


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join("number" if k is float else k.__name__ for k in kinds)


def _coerce(key: str, value: Any, field: Field) -> Any:
    kinds = field.kind if isinstance(field.kind, tuple) else (field.kind,)
    # bool is an int subclass in Python; never accept it where a number is meant.
    if isinstance(value, bool) and bool not in kinds:
        raise ParamsError(f"{key} must be {_type_name(field.kind)}, got {value!r}")
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if float in kinds and isinstance(value, str) and _YAML11_FLOAT.fullmatch(value.strip()):
        # YAML 1.1 (PyYAML) reads `1e-3` (no dot) as a string; it is plainly meant as a number.
        value = float(value)
    if not isinstance(value, kinds):
        raise ParamsError(f"{key} must be {_type_name(field.kind)}, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ParamsError(f"{key} must be a finite number, got {value!r}")
    return value


def _check_range(key: str, value: Any, field: Field) -> None:
    if field.low is None and field.high is None:
        return
    too_low = field.low is not None and (value <= field.low if field.low_open else value < field.low)
    too_high = field.high is not None and (value >= field.high if field.high_open else value > field.high)
    if too_low or too_high:
        raise ParamsError(f"{key} must be in {field.range_text()}, got {value!r}")


def validate_value(key: str, value: Any, field: Field) -> Any:
    """Check one value against its field; return it (ints widened to float where a float is meant)."""
    if value is None:
        if field.nullable:
            return None
        raise ParamsError(f"{key} must be {_type_name(field.kind)}, got null")
    value = _coerce(key, value, field)
    if isinstance(value, list):
        if not value:
            raise ParamsError(f"{key} must be a non-empty list, got []")
        if field.item_kind is not None:
            item_field = Field(field.item_kind, low=field.low, high=field.high,
                               low_open=field.low_open, high_open=field.high_open)
            value = [validate_value(f"{key}[{i}]", item, item_field) for i, item in enumerate(value)]
        return value
    if field.choices is not None and value not in field.choices:
        allowed = ", ".join(repr(c) for c in field.choices)
        raise ParamsError(f"{key} must be one of {allowed}, got {value!r}")
    _check_range(key, value, field)
    return value


def validate_section(params: Mapping[str, Any], section: str, schema: Mapping[str, Field]) -> dict[str, Any]:
    """Return the validated ``params[section]`` with defaults filled in.

    Raises :class:`ParamsError` naming ``section.key`` for a missing section,
    a missing or unknown key, a wrong type or an out-of-range value.
    """
    if not isinstance(params, Mapping):
        raise ParamsError(f"params must be a mapping of sections, got {type(params).__name__}")
    raw = params.get(section)
    if raw is None:
        raw = {}
        if any(f.default is _MISSING for f in schema.values()):
            raise ParamsError(f"params section '{section}' is missing")
    if not isinstance(raw, Mapping):
        raise ParamsError(f"params section '{section}' must be a mapping, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(schema))
    if unknown:
        raise ParamsError(
            f"{section}.{unknown[0]} is not a known key (known: {', '.join(sorted(schema))})"
        )
    out: dict[str, Any] = {}
    for name, field in schema.items():
        key = f"{section}.{name}"
        if name not in raw:
            if field.default is _MISSING:
                raise ParamsError(f"{key} is missing")
            out[name] = field.default
            continue
        out[name] = validate_value(key, raw[name], field)
    return out
