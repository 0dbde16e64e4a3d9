"""KPIs of a snapshot run (ITU-R M.2412-0 definitions where they exist)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

PERCENTILES: tuple[int, ...] = (5, 50, 95)
"""Percentiles reported in ``summary.json``."""
PERCENTILE_COLUMNS: tuple[str, ...] = (
    "coupling_loss_db", "rsrp_dbm", "sinr_db", "sir_db", "throughput_bps",
)


def percentiles(values: np.ndarray, pcts: tuple[int, ...] = PERCENTILES) -> dict[str, float]:
    """{"5": ..., "50": ..., "95": ...} of the finite values (linear interpolation);
    NaN when there are none."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {str(p): float("nan") for p in pcts}
    q = np.percentile(v, pcts)
    return {str(p): float(x) for p, x in zip(pcts, q, strict=True)}


def percentiles_with_inf(values: np.ndarray, pcts: tuple[int, ...] = PERCENTILES) -> dict[str, float]:
    """{"5": ..., "50": ..., "95": ...} of the non-NaN values, -inf and +inf included as the
    smallest and largest order statistics (NumPy ``linear`` interpolation between finite
    neighbours; the nearer neighbour when one is infinite, as
    :meth:`nrsim.kpi.streaming.Histogram.percentile`). NaN when there are none. Used for
    the snapshot percentiles, where +inf is a real value: the SIR of a UE that no cell
    interferes with (a one-cell network)."""
    v = np.sort(np.asarray(values, dtype=np.float64))
    v = v[~np.isnan(v)]
    if v.size == 0:
        return {str(p): float("nan") for p in pcts}
    out = {}
    for p in pcts:
        pos = p / 100.0 * (v.size - 1)
        k = int(np.floor(pos))
        frac = pos - k
        a = float(v[k])
        if frac == 0.0 or k + 1 >= v.size:
            out[str(p)] = a
            continue
        b = float(v[k + 1])
        out[str(p)] = a + frac * (b - a) if np.isfinite(a) and np.isfinite(b) else (a if frac < 0.5 else b)
    return out


ONE_CELL_SIR_NOTE = ("the network has one cell, so no cell interferes: the SIR is unbounded (+inf in ue.parquet "
                     "and in memory; null in summary.json, which has no infinity)")
"""Text of ``kpis.notes.sir_db`` (:func:`kpi_notes`)."""


def kpi_notes(n_cells: int) -> dict[str, str]:
    """Notes on KPIs that have no finite value: ``{"sir_db": ONE_CELL_SIR_NOTE}`` for a
    one-cell network, else empty."""
    return {"sir_db": ONE_CELL_SIR_NOTE} if n_cells == 1 else {}


def _with_notes(kpis: dict[str, Any]) -> dict[str, Any]:
    notes = kpi_notes(kpis["n_cells"])
    return {**kpis, "notes": notes} if notes else kpis


def snapshot_kpis(ue: pd.DataFrame, cell: pd.DataFrame, bandwidth_hz: float) -> dict[str, Any]:
    """KPIs of a run from its per-UE and per-cell tables.

    - ``cell_spectral_efficiency_bps_per_hz``: mean over cells and drops of the aggregate
      throughput of a cell divided by the bandwidth (M.2412-0 7.1.3, bit/s/Hz/TRxP).
    - ``user_spectral_efficiency_5pct_bps_per_hz``: 5th percentile of user throughput divided
      by the bandwidth (M.2412-0 7.1.2).
    """
    n_ue = int(len(ue))
    out: dict[str, Any] = {
        "n_ue": n_ue,
        "n_cells": int(cell["cell"].nunique()) if len(cell) else 0,
        "percentiles": {c: percentiles_with_inf(ue[c].to_numpy()) for c in PERCENTILE_COLUMNS},
        "mean_throughput_bps": float(ue["throughput_bps"].mean()) if n_ue else float("nan"),
        "cell_spectral_efficiency_bps_per_hz": float(
            cell["spectral_efficiency_bps_per_hz"].mean()
        )
        if len(cell)
        else float("nan"),
        "user_spectral_efficiency_5pct_bps_per_hz": percentiles(
            ue["throughput_bps"].to_numpy() / bandwidth_hz, (5,)
        )["5"],
        "los_share": float(ue["los"].mean()) if n_ue else float("nan"),
        "indoor_share": float(ue["indoor"].mean()) if n_ue else float("nan"),
        "outage_share": float((ue["spectral_efficiency_bps_per_hz"] <= 0).mean())
        if n_ue
        else float("nan"),
    }
    return _with_notes(out)


def kpis_from_accumulator(acc, cell: pd.DataFrame, bandwidth_hz: float) -> dict[str, Any]:
    """The same KPIs as :func:`snapshot_kpis`, from a
    :class:`nrsim.kpi.streaming.SnapshotAccumulator` (percentiles within one histogram bin:
    0.001 dB, or 2.3e-5 relative for throughput)."""
    n = acc.n_ue
    nan = float("nan")
    pct = {k: {str(p): h.percentile(p) for p in PERCENTILES} for k, h in acc.db.items()}
    pct["throughput_bps"] = {str(p): acc.throughput_percentile(p) for p in PERCENTILES}
    return _with_notes({
        "n_ue": n,
        "n_cells": int(cell["cell"].nunique()) if len(cell) else 0,
        "percentiles": {c: pct[c] for c in PERCENTILE_COLUMNS},
        # from the per-cell sums (exact per cell, fixed order), not from chunk sums
        "mean_throughput_bps": float(cell["throughput_bps"].sum()) / n if n else nan,
        "cell_spectral_efficiency_bps_per_hz": float(cell["spectral_efficiency_bps_per_hz"].mean())
        if len(cell)
        else nan,
        "user_spectral_efficiency_5pct_bps_per_hz": acc.throughput_percentile(5) / bandwidth_hz
        if n
        else nan,
        "los_share": acc.n_los / n if n else nan,
        "indoor_share": acc.n_indoor / n if n else nan,
        "outage_share": acc.n_outage / n if n else nan,
        "percentile_error_bound": {"db": 0.001, "throughput_relative": 2.3e-5},
    })
