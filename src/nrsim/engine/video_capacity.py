"""Video-call capacity: the share of satisfied calls against the number of calls per cell.

:func:`capacity_table` / :func:`video_capacity` run a ``video_call`` scenario (the static
slot engine, or moving UEs when ``mobility.enabled``) for several numbers of calls per cell
(UEs per cell = calls / (1 - ``background_ftp_share``), rounded) and report the
satisfied-call share of each (docs/video.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nrsim.config.schema import ScenarioConfig
from nrsim.errors import ConfigError

CAPACITY_TARGET = 0.95
"""Satisfied-call share that defines the capacity (the issue's 95 %)."""


@dataclass(frozen=True)
class VideoCapacity:
    """calls_per_cell [point] (measured mean), satisfied_share [point], capacity_calls_per_cell:
    the calls per cell at which the share crosses ``target`` (linear interpolation between
    the last point at or above it and the first point below it; the largest point when none is
    below; 0 when the first point is already below)."""

    calls_per_cell: NDArray[np.float64]
    satisfied_share: NDArray[np.float64]
    capacity_calls_per_cell: float
    target: float


def capacity_crossing(calls: Sequence[float], share: Sequence[float], target: float = CAPACITY_TARGET) -> float:
    """Calls per cell where ``share`` [point] (against ascending ``calls`` [point]) first
    falls below ``target``, linearly interpolated (see :class:`VideoCapacity`)."""
    x = np.asarray(calls, dtype=np.float64)
    y = np.asarray(share, dtype=np.float64)
    below = np.flatnonzero(~(y >= target))
    if below.size == 0:
        return float(x[-1])
    i = int(below[0])
    if i == 0:
        return 0.0
    x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
    return float(x0 + (y0 - target) / (y0 - y1) * (x1 - x0))


def _with_calls_per_cell(cfg: ScenarioConfig, calls: int) -> ScenarioConfig:
    """``cfg`` with UEs per sector for ``calls`` calls per cell (UEs = calls / (1 - the
    background FTP share), rounded) and no capacity sweep of its own."""
    bg = cfg.slots.traffic.background_ftp_share
    per_sector = max(int(round(calls / (1.0 - bg))), 1)
    dep = cfg.deployment.model_copy(update={"ue": cfg.deployment.ue.model_copy(update={"per_sector": per_sector})})
    tr = cfg.slots.traffic.model_copy(update={"capacity_calls_per_cell": []})
    slots = cfg.slots.model_copy(update={"traffic": tr})
    return cfg.model_copy(update={"deployment": dep, "slots": slots})


def _check(cfg: ScenarioConfig, calls_per_cell: Sequence[int]) -> list[int]:
    if cfg.slots.traffic.model != "video_call" or not cfg.slots.enabled:
        raise ConfigError("video_capacity needs slots.enabled and slots.traffic.model = 'video_call'", field="slots.traffic.model")
    pts = [int(n) for n in calls_per_cell]
    if not pts or any(n < 1 for n in pts) or pts != sorted(pts):
        raise ConfigError(f"calls_per_cell = {pts}: ascending integers >= 1", field="calls_per_cell")
    return pts


def _point(cfg: ScenarioConfig, progress=None) -> dict[str, float]:
    """Calls per cell and satisfied shares of one run (static slot engine, or moving UEs)."""
    if cfg.mobility.enabled:
        from nrsim.engine.calls import run_mobile_calls

        res = run_mobile_calls(cfg, progress=progress)
        k = res.kpis["calls"]
        return {"calls_per_cell": k["calls_per_cell"], "n_calls": k["n_calls"], "satisfied_share": k["satisfied_share"],
                "dl_satisfied_share": k["dl_satisfied_share"], "ul_satisfied_share": k["ul_satisfied_share"],
                "handovers_per_ue_per_min": res.kpis["mobility"]["handovers_per_ue_per_min"]}
    from nrsim.engine.slots import run_slots
    from nrsim.kpi.slot_metrics import slot_tables

    ue, cell = slot_tables(run_slots(cfg, progress=progress))
    calls = ue["call"].to_numpy(dtype=bool)
    share = float(ue["call_satisfied"].to_numpy()[calls].mean()) if calls.any() else float("nan")
    return {"calls_per_cell": calls.sum() / max(len(cell), 1), "n_calls": int(calls.sum()), "satisfied_share": share,
            "dl_satisfied_share": share, "ul_satisfied_share": float("nan"), "handovers_per_ue_per_min": float("nan")}


def capacity_point(cfg: ScenarioConfig, calls_per_cell: int) -> dict[str, float]:
    """One row of the capacity table: ``cfg`` run at ``calls_per_cell`` calls per cell (a
    module-level function, so that a process pool or Dask cluster can run the points)."""
    return {"calls_per_cell_target": int(calls_per_cell), **_point(_with_calls_per_cell(cfg, int(calls_per_cell)))}


def check_capacity_points(cfg: ScenarioConfig, calls_per_cell: Sequence[int]) -> list[int]:
    """The points as ints, after checking the scenario and the points (ConfigError)."""
    return _check(cfg, calls_per_cell)


def capacity_table(cfg: ScenarioConfig, calls_per_cell: Sequence[int], *, progress=None):
    """One run of ``cfg`` per entry of ``calls_per_cell`` (ascending; same seed): a
    DataFrame with columns ``calls_per_cell_target``, ``calls_per_cell`` (measured: calls /
    cells), ``n_calls``, ``satisfied_share``, ``dl_satisfied_share``, ``ul_satisfied_share``
    (NaN for the static engine, whose uplink carries no calls) and
    ``handovers_per_ue_per_min`` (NaN without mobility). ``progress(done, total)`` counts
    the time steps (or slots) of all points together."""
    import pandas as pd

    pts = _check(cfg, calls_per_cell)
    rows = []
    for i, n in enumerate(pts):
        cb = None
        if progress is not None:
            cb = (lambda done, total, i=i: progress(i * total + done, len(pts) * total))
        rows.append({"calls_per_cell_target": n, **_point(_with_calls_per_cell(cfg, n), cb)})
    return pd.DataFrame(rows)


def video_capacity(
    cfg: ScenarioConfig, calls_per_cell: Sequence[int], *, target: float = CAPACITY_TARGET
) -> VideoCapacity:
    """Run ``cfg`` (slot engine or moving UEs, ``slots.traffic.model = "video_call"``) once per
    entry of ``calls_per_cell`` (ascending) and return the capacity curve."""
    t = capacity_table(cfg, calls_per_cell)
    x = t["calls_per_cell"].to_numpy(dtype=np.float64)
    y = t["satisfied_share"].to_numpy(dtype=np.float64)
    return VideoCapacity(x, y, capacity_crossing(x, y, target), float(target))
