"""CDF plots (matplotlib imported lazily, Agg backend)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise ImportError("plots need matplotlib: pip install matplotlib") from exc
    return plt


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
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=110)
    try:
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
        ax.grid(True, alpha=0.3)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8, loc="best")
        fig.text(0.99, 0.005, stamp, ha="right", va="bottom", fontsize=6, color="gray")
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)


def plot_capacity(path: Path, table, *, title: str, stamp: str, target: float = 0.95) -> None:
    """Capacity curve (PNG): satisfied-call share (all, DL, UL) against the measured calls
    per cell of a ``capacity.parquet`` table, with the target share as a line."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=110)
    try:
        x = np.asarray(table["calls_per_cell"], dtype=np.float64)
        for col, label, style in (("satisfied_share", "satisfied calls", "o-"),
                                  ("dl_satisfied_share", "DL satisfied", "s--"),
                                  ("ul_satisfied_share", "UL satisfied", "^--")):
            y = np.asarray(table[col], dtype=np.float64)
            if np.isfinite(y).any():
                ax.plot(x, y, style, lw=1.6, ms=4, label=label)
        ax.axhline(target, color="k", lw=1, ls=":", label=f"target {target:.0%}")
        ax.set_xlabel("Calls per cell")
        ax.set_ylabel("Share of calls satisfied")
        ax.set_ylim(0, 1.02)
        ax.grid(True, alpha=0.3)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8, loc="best")
        fig.text(0.99, 0.005, stamp, ha="right", va="bottom", fontsize=6, color="gray")
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
