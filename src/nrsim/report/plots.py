"""CDF plots (matplotlib imported lazily; figures made without pyplot)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd


def new_figure(nrows: int = 1, ncols: int = 1, **kwargs):
    """A matplotlib ``(Figure, axes)`` drawn without pyplot: no global figure registry and no
    backend switch, so nrsim's plots neither leak figures nor change the backend of the
    caller's session (a notebook keeps its inline plots). ``kwargs``: ``figsize``, ``dpi`` go
    to the Figure, the rest (``sharex``...) to :meth:`Figure.subplots`."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise ImportError("plots need matplotlib: pip install matplotlib") from exc
    fig_kw = {k: kwargs.pop(k) for k in ("figsize", "dpi") if k in kwargs}
    fig = Figure(**fig_kw)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def empirical_cdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    v = np.sort(np.asarray(values, dtype=np.float64)[np.isfinite(values)])
    return v, np.arange(1, v.size + 1) / max(v.size, 1)


def plot_cdf(
    path: Path,
    series: Mapping[str, np.ndarray],
    *,
    xlabel: str,
    title: str,
    stamp: str,
    reference: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    band: Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float]]] | None = None,
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
) -> None:
    """Write a CDF plot of each named series to ``path`` (PNG). ``reference`` maps a label to
    (x values, CDF in [0, 1]); ``band`` maps a label to (lower x, upper x, CDF). ``stamp`` is
    printed in the corner (version, config hash, seed). ``curves`` maps a label to an
    already computed (x values, CDF) drawn like a series (e.g. from a histogram)."""
    fig, ax = new_figure(figsize=(6.4, 4.4), dpi=110)
    for label, (lo, hi, p) in (band or {}).items():
        ax.fill_betweenx(p, lo, hi, alpha=0.25, color="tab:gray", label=label)
    for label, (x, p) in (reference or {}).items():
        ax.plot(x, p, "k--", lw=1.5, label=label)
    for label, values in series.items():
        x, p = empirical_cdf(values)
        ax.plot(x, p, lw=1.8, label=label)
    for label, (x, p) in (curves or {}).items():
        ax.plot(x, p, lw=1.8, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("CDF")
    ax.set_ylim(0, 1)
    _finish(fig, ax, path, title, stamp)


def draw_capacity(ax, table, *, target: float = 0.95, capacity_calls_per_cell: float | None = None) -> None:
    """Draw a capacity curve on ``ax``: the satisfied-call share (all calls, and DL and UL
    where finite: the static engine's UL carries no calls) against the measured calls per
    cell of ``table`` (a ``capacity.parquet`` table or its rows), the ``target`` share as a
    dashed line and, when given and positive, the capacity as a dotted one."""
    t = pd.DataFrame(table)
    x = pd.to_numeric(t["calls_per_cell"], errors="coerce").to_numpy(dtype=np.float64)
    for col, label, style, lw in (("satisfied_share", "satisfied calls", "o-", 2.2),
                                  ("dl_satisfied_share", "DL satisfied", "s--", 1.2),
                                  ("ul_satisfied_share", "UL satisfied", "^--", 1.2)):
        if col not in t:
            continue
        y = pd.to_numeric(t[col], errors="coerce").to_numpy(dtype=np.float64)
        if np.isfinite(y).any():
            ax.plot(x, y, style, lw=lw, ms=4, label=label, zorder=3 if col == "satisfied_share" else 2)
    ax.axhline(target, color="k", lw=1, ls="--", label=f"target {100 * target:g} %")
    if capacity_calls_per_cell is not None and np.isfinite(capacity_calls_per_cell) and capacity_calls_per_cell > 0:
        ax.axvline(capacity_calls_per_cell, color="gray", lw=1, ls=":", label=f"capacity {capacity_calls_per_cell:.2f}")
    ax.set_xlabel("Calls per cell")
    ax.set_ylabel("Share of calls satisfied")
    ax.set_ylim(0, 1.02)


def plot_capacity(path: Path, table, *, title: str, stamp: str, target: float = 0.95,
                  capacity_calls_per_cell: float | None = None) -> None:
    """Capacity curve of a ``capacity.parquet`` table as a PNG (:func:`draw_capacity`)."""
    fig, ax = new_figure(figsize=(6.4, 4.4), dpi=110)
    draw_capacity(ax, table, target=target, capacity_calls_per_cell=capacity_calls_per_cell)
    _finish(fig, ax, path, title, stamp)


def _finish(fig, ax, path: Path, title: str, stamp: str) -> None:
    """Grid, title, legend and the provenance stamp; save as PNG."""
    ax.grid(True, alpha=0.3)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="best")
    fig.text(0.99, 0.005, stamp, ha="right", va="bottom", fontsize=6, color="gray")
    fig.tight_layout()
    fig.savefig(path, format="png")
