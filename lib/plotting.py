"""Figures for the README and DVC (each function returns a matplotlib Figure; callers save it)."""

from __future__ import annotations

from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402


def confusion_samples_figure(images: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray,
                             class_names: Sequence[str]) -> plt.Figure:
    """A grid with one sample per confusion-matrix cell (rows = true, columns = predicted).

    The first sample (in data order) of each cell is shown; an empty cell says so.
    """
    k = len(class_names)
    fig, axes = plt.subplots(k, k, figsize=(2.4 * k, 2.6 * k), squeeze=False)
    side = int(round(np.sqrt(images.shape[1])))
    for t in range(k):
        for p in range(k):
            ax = axes[t][p]
            ax.set_xticks([])
            ax.set_yticks([])
            hits = np.flatnonzero((y_true == t) & (y_pred == p))
            title = f"true {class_names[t]} / pred {class_names[p]}"
            if hits.size:
                ax.imshow(images[hits[0]].reshape(side, side), cmap="gray_r")
                title += f"\n({hits.size} samples)"
            else:
                ax.text(0.5, 0.5, "no sample", ha="center", va="center", transform=ax.transAxes)
            ax.set_title(title, fontsize=9, color="black" if t == p else "firebrick")
    fig.suptitle("One test sample per confusion-matrix cell")
    fig.tight_layout()
    return fig


def curves_figure(x: np.ndarray, series: dict[str, np.ndarray], *, xlabel: str, ylabel: str, title: str,
                  logx: bool = False, bands: dict[str, np.ndarray] | None = None,
                  marker: tuple[float, str] | None = None) -> plt.Figure:
    """Lines ``series`` (label -> y) over ``x``; optional +-std ``bands`` and a vertical ``marker`` (x, label)."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, y in series.items():
        line, = ax.plot(x, y, label=label)
        if bands and label in bands:
            ax.fill_between(x, y - bands[label], y + bands[label], alpha=0.2, color=line.get_color())
    if marker is not None:
        ax.axvline(marker[0], color="firebrick", linestyle="--", label=marker[1])
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig
