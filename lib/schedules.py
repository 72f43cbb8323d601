"""Learning-rate schedules and LR-range-test analysis (Smith, "Super-Convergence", 2017). Pure NumPy.

One-cycle, as in the founding report: over ``total_steps`` the LR rises linearly
from ``lr_min = lr_max / div_factor`` to ``lr_max`` at the middle of the cycle and
falls back linearly to ``lr_min``. With ``annihilate_fraction = a > 0`` the cycle
takes the first ``(1 - a)`` of the steps and the last ``a`` of them decay linearly
from ``lr_min`` to ``lr_min / annihilate_div`` (Smith's final annihilation).
Cyclical momentum mirrors the LR: ``momentum_max`` at the ends, ``momentum_min`` at
the peak, and ``momentum_max`` through the annihilation phase.
"""

from __future__ import annotations

import numpy as np


def _cycle_position(steps: np.ndarray, total_steps: int, annihilate_fraction: float):
    """For each step: (triangle height in [0, 1], annihilation progress in [0, 1] or NaN in the cycle)."""
    if total_steps < 2:
        raise ValueError(f"a one-cycle schedule needs at least 2 steps, got {total_steps}")
    if not 0 <= annihilate_fraction < 1:
        raise ValueError(f"annihilate_fraction must be in [0, 1), got {annihilate_fraction}")
    last = total_steps - 1
    cycle_end = last * (1.0 - annihilate_fraction)  # step at which the triangle returns to its base
    half = cycle_end / 2.0
    t = np.asarray(steps, dtype=np.float64)
    height = np.clip(1.0 - np.abs(t - half) / half, 0.0, 1.0) if half > 0 else np.zeros_like(t)
    with np.errstate(invalid="ignore", divide="ignore"):
        tail = np.where(t > cycle_end, (t - cycle_end) / (last - cycle_end), np.nan)
    return height, tail


def one_cycle_lr(steps, total_steps: int, lr_max: float, div_factor: float = 10.0,
                 annihilate_fraction: float = 0.0, annihilate_div: float = 100.0) -> np.ndarray:
    """The LR at each 0-based ``steps`` of a ``total_steps`` one-cycle schedule (see the module doc)."""
    lr_min = lr_max / div_factor
    height, tail = _cycle_position(steps, total_steps, annihilate_fraction)
    lr = lr_min + (lr_max - lr_min) * height
    annihilated = lr_min + (lr_min / annihilate_div - lr_min) * tail
    return np.where(np.isnan(tail), lr, annihilated)


def one_cycle_momentum(steps, total_steps: int, momentum_max: float = 0.95, momentum_min: float = 0.85,
                       annihilate_fraction: float = 0.0) -> np.ndarray:
    """Momentum mirroring :func:`one_cycle_lr`: high where the LR is low."""
    height, tail = _cycle_position(steps, total_steps, annihilate_fraction)
    momentum = momentum_max - (momentum_max - momentum_min) * height
    return np.where(np.isnan(tail), momentum, momentum_max)


def range_test_lrs(start_lr: float, end_lr: float, num_steps: int, mode: str = "linear") -> np.ndarray:
    """The LR for each batch of a range test: ``linear`` (the report) or ``exponential`` from start to end."""
    if not 0 < start_lr < end_lr:
        raise ValueError(f"need 0 < start_lr < end_lr, got {start_lr}, {end_lr}")
    if mode == "linear":
        return np.linspace(start_lr, end_lr, num_steps)
    if mode == "exponential":
        return np.geomspace(start_lr, end_lr, num_steps)
    raise ValueError(f"mode must be 'linear' or 'exponential', got {mode!r}")


def smooth_losses(losses, beta: float = 0.98) -> np.ndarray:
    """Exponential moving average with bias correction: avg_i / (1 - beta^(i+1)).

    The correction removes the pull towards the zero the average starts from,
    so the first smoothed values are not too small.
    """
    losses = np.asarray(losses, dtype=np.float64)
    out = np.empty_like(losses)
    avg = 0.0
    for i, loss in enumerate(losses):
        avg = beta * avg + (1 - beta) * loss
        out[i] = avg / (1 - beta ** (i + 1))
    return out


def divergence_index(smoothed, stop_factor: float = 4.0) -> int | None:
    """First index where the smoothed loss is NaN/inf or above ``stop_factor`` x its best so far; else None."""
    best = np.inf
    for i, value in enumerate(np.asarray(smoothed, dtype=np.float64)):
        if not np.isfinite(value) or (i > 0 and value > stop_factor * best):
            return i
        best = min(best, value)
    return None


def suggest_lr(lrs, smoothed, safety_factor: float = 2.0) -> tuple[float, float, float]:
    """Smith's rule of thumb, as the report applies it: just below the LR of the lowest smoothed loss.

    Returns (suggested LR = LR at the minimum / safety_factor, LR at the minimum, the minimum loss).
    Only finite points count.
    """
    lrs, smoothed = np.asarray(lrs, dtype=np.float64), np.asarray(smoothed, dtype=np.float64)
    finite = np.isfinite(smoothed)
    if not finite.any():
        raise ValueError("the range test has no finite loss to pick an LR from")
    i = int(np.argmin(np.where(finite, smoothed, np.inf)))
    return float(lrs[i] / safety_factor), float(lrs[i]), float(smoothed[i])
