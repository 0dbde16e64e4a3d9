"""Video-call capacity: the share of satisfied calls against the number of calls per cell.

:func:`video_capacity` runs the slot simulation of a ``video_call`` scenario for several
numbers of calls per cell (UEs per cell = calls / (1 - ``background_ftp_share``), rounded)
and reports the satisfied-call share of each (docs/video.md).
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


def video_capacity(
    cfg: ScenarioConfig, calls_per_cell: Sequence[int], *, target: float = CAPACITY_TARGET
) -> VideoCapacity:
    """Run ``cfg`` (slot engine, ``slots.traffic.model = "video_call"``) once per entry of
    ``calls_per_cell`` (ascending) and return the capacity curve."""
    from nrsim.engine.slots import run_slots
    from nrsim.kpi.slot_metrics import slot_tables

    if cfg.slots.traffic.model != "video_call" or not cfg.slots.enabled:
        raise ConfigError("video_capacity needs slots.enabled and slots.traffic.model = 'video_call'", field="slots.traffic.model")
    pts = [int(n) for n in calls_per_cell]
    if not pts or any(n < 1 for n in pts) or pts != sorted(pts):
        raise ConfigError(f"calls_per_cell = {pts}: ascending integers >= 1", field="calls_per_cell")
    bg = cfg.slots.traffic.background_ftp_share
    x, y = [], []
    for n in pts:
        per_sector = max(int(round(n / (1.0 - bg))), 1)
        c = cfg.model_copy(update={"deployment": cfg.deployment.model_copy(
            update={"ue": cfg.deployment.ue.model_copy(update={"per_sector": per_sector})})})
        ue, cell = slot_tables(run_slots(c))
        calls = ue["call"].to_numpy(dtype=bool)
        x.append(calls.sum() / max(len(cell), 1))
        y.append(float(ue["call_satisfied"].to_numpy()[calls].mean()) if calls.any() else float("nan"))
    return VideoCapacity(np.array(x), np.array(y), capacity_crossing(x, y, target), float(target))
