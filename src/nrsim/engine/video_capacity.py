"""Video-call capacity: the share of satisfied calls against the number of calls per cell.

:func:`capacity_table` / :func:`video_capacity` run a ``video_call`` scenario (the static
slot engine, or moving UEs when ``mobility.enabled``) for several numbers of calls per cell
(UEs per cell = calls / (1 - ``background_ftp_share``), rounded) and report the
satisfied-call share of each (docs/video.md). With ``slots.traffic.capacity_seeds`` > 1 each
point runs with several seeds and their calls are pooled; :func:`capacity_estimate` gives the
crossings of the 95 % target and of the 90 % one (the XR capacity of TR 38.838 V17.0.0 and
TR 38.835 V18.0.0: UEs per cell with at least 90 % of UEs satisfied), each with a confidence
interval and the per-seed crossings; ``capacity_refine`` adds the whole numbers of calls per
cell between the points around each crossing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nrsim.config.schema import ScenarioConfig
from nrsim.errors import ConfigError
from nrsim.kpi.capacity import (  # noqa: F401  (public names of this module too)
    CAPACITY_TARGET,
    CI_LEVEL,
    CI_DRAWS,
    XR_TARGET,
    capacity_crossing,
    capacity_estimate,
    crossing_interval,
    pool_seeds,
    refine_points,
)
from nrsim.rng import stream



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
    ci_calls_per_cell: tuple[float, float] = (float("nan"), float("nan"))
    """``CI_LEVEL`` confidence interval of the capacity (:func:`crossing_interval`)."""


def with_calls_per_cell(cfg: ScenarioConfig, calls: int) -> ScenarioConfig:
    """``cfg`` with UEs per sector for ``calls`` calls per cell (UEs = calls / (1 - the
    background FTP share), rounded) and no capacity sweep of its own."""
    bg = cfg.slots.traffic.background_ftp_share
    per_sector = max(int(round(calls / (1.0 - bg))), 1)
    dep = cfg.deployment.model_copy(update={"ue": cfg.deployment.ue.model_copy(update={"per_sector": per_sector})})
    tr = cfg.slots.traffic.model_copy(update={"capacity_calls_per_cell": []})
    slots = cfg.slots.model_copy(update={"traffic": tr})
    return cfg.model_copy(update={"deployment": dep, "slots": slots})


_with_calls_per_cell = with_calls_per_cell  # the former private name (nrsim.sizing uses it)


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
        c = res.ue[res.ue["call"].to_numpy(dtype=bool)]
        return {"calls_per_cell": k["calls_per_cell"], "n_calls": k["n_calls"], "satisfied_share": k["satisfied_share"],
                "dl_satisfied_share": k["dl_satisfied_share"], "ul_satisfied_share": k["ul_satisfied_share"],
                "handovers_per_ue_per_min": res.kpis["mobility"]["handovers_per_ue_per_min"],
                "n_satisfied": int(c["call_satisfied"].to_numpy(dtype=bool).sum())}
    from nrsim.engine.calls import run_static_calls, static_run_on_core
    from nrsim.engine.slots import run_slots
    from nrsim.kpi.slot_metrics import slot_tables

    if static_run_on_core(cfg):  # a static video-call run on the call core: both directions
        res = run_static_calls(cfg, progress=progress)[1]
        k = res.kpis["calls"]
        c = res.ue[res.ue["call"].to_numpy(dtype=bool)]
        return {"calls_per_cell": k["calls_per_cell"], "n_calls": k["n_calls"], "satisfied_share": k["satisfied_share"],
                "dl_satisfied_share": k["dl_satisfied_share"], "ul_satisfied_share": k["ul_satisfied_share"],
                "handovers_per_ue_per_min": float("nan"),
                "n_satisfied": int(c["call_satisfied"].to_numpy(dtype=bool).sum())}
    ue, cell = slot_tables(run_slots(cfg, progress=progress))
    calls = ue["call"].to_numpy(dtype=bool)
    share = float(ue["call_satisfied"].to_numpy()[calls].mean()) if calls.any() else float("nan")
    return {"calls_per_cell": calls.sum() / max(len(cell), 1), "n_calls": int(calls.sum()), "satisfied_share": share,
            "dl_satisfied_share": share, "ul_satisfied_share": float("nan"), "handovers_per_ue_per_min": float("nan"),
            "n_satisfied": int(ue["call_satisfied"].to_numpy(dtype=bool)[calls].sum())}


def capacity_point(cfg: ScenarioConfig, calls_per_cell: int, seed: int | None = None) -> dict[str, float]:
    """One row of the capacity table: ``cfg`` run at ``calls_per_cell`` calls per cell, with
    ``seed`` (default: the config's) (a module-level function, so that a process pool or Dask
    cluster can run the points)."""
    run_cfg = _with_calls_per_cell(cfg, int(calls_per_cell))
    if seed is not None:
        run_cfg = run_cfg.model_copy(update={"seed": int(seed)})
    return {"calls_per_cell_target": int(calls_per_cell), "seed": int(run_cfg.seed), **_point(run_cfg)}


def check_capacity_points(cfg: ScenarioConfig, calls_per_cell: Sequence[int]) -> list[int]:
    """The points as ints, after checking the scenario and the points (ConfigError)."""
    return _check(cfg, calls_per_cell)


Job = tuple[int, int]
"""(calls per cell, seed) of one run of a sweep."""
RunJobs = Callable[[list[Job]], list[dict[str, Any]]]


def capacity_jobs(cfg: ScenarioConfig, calls_per_cell: Sequence[int]) -> list[Job]:
    """The runs of a sweep over ``calls_per_cell``: every point with seeds ``cfg.seed`` ..
    ``cfg.seed + slots.traffic.capacity_seeds - 1``."""
    n_seeds = int(cfg.slots.traffic.capacity_seeds)
    return [(int(n), int(cfg.seed) + i) for n in calls_per_cell for i in range(n_seeds)]


def capacity_table(cfg: ScenarioConfig, calls_per_cell: Sequence[int], *, progress=None,
                   run_jobs: RunJobs | None = None, pooled: bool = True):
    """The runs of ``cfg`` at each entry of ``calls_per_cell`` (ascending), each with
    ``slots.traffic.capacity_seeds`` seeds (``seed``, ``seed + 1``, ...), plus the refined
    points with ``slots.traffic.capacity_refine``. Returns the pooled table
    (:func:`pool_seeds`: ``calls_per_cell_target``, ``calls_per_cell`` (measured: calls /
    cells), ``n_calls``, ``satisfied_share``, ``dl_satisfied_share``, ``ul_satisfied_share``
    (NaN for the static engine, whose uplink carries no calls), ``handovers_per_ue_per_min``
    (NaN without mobility), ``n_satisfied``, ``n_seeds``, ``satisfied_share_min/max``), or
    with ``pooled = False`` one row per run (with ``seed``). ``run_jobs`` maps a list of
    (calls, seed) jobs to their rows (default: serially in this process);
    ``progress(done, total)`` counts the time steps (or slots) of the serial runs together."""
    import pandas as pd

    pts = _check(cfg, calls_per_cell)
    jobs = capacity_jobs(cfg, pts)
    if run_jobs is None:
        run_jobs = _serial_runner(cfg, progress, len(jobs))
    rows = list(run_jobs(jobs))
    if cfg.slots.traffic.capacity_refine:
        extra = refine_points(pool_seeds(pd.DataFrame(rows)))
        if extra:
            rows += list(run_jobs(capacity_jobs(cfg, extra)))
    long = pd.DataFrame(rows).sort_values(["calls_per_cell_target", "seed"], kind="stable").reset_index(drop=True)
    return pool_seeds(long) if pooled else long


def _serial_runner(cfg: ScenarioConfig, progress, n_planned: int) -> RunJobs:
    """Runs jobs one after the other; progress over ``n_planned`` runs (more with refinement)."""
    done = [0]

    def run(jobs: list[Job]) -> list[dict[str, Any]]:
        out = []
        for n, seed in jobs:
            cb = None
            if progress is not None:
                i = done[0]
                total_runs = max(n_planned, i + 1)
                cb = (lambda d, total, i=i, k=total_runs: progress(i * total + d, k * total))
            run_cfg = _with_calls_per_cell(cfg, n).model_copy(update={"seed": int(seed)})
            out.append({"calls_per_cell_target": int(n), "seed": int(seed), **_point(run_cfg, cb)})
            done[0] += 1
        return out

    return run


def video_capacity(
    cfg: ScenarioConfig, calls_per_cell: Sequence[int], *, target: float = CAPACITY_TARGET
) -> VideoCapacity:
    """Run ``cfg`` (slot engine or moving UEs, ``slots.traffic.model = "video_call"``) at each
    entry of ``calls_per_cell`` (ascending; ``capacity_seeds`` seeds each) and return the
    capacity curve with its confidence interval."""
    t = capacity_table(cfg, calls_per_cell)
    x = t["calls_per_cell"].to_numpy(dtype=np.float64)
    y = t["satisfied_share"].to_numpy(dtype=np.float64)
    ci = crossing_interval(x, t["n_calls"].to_numpy(), t["n_satisfied"].to_numpy(), target,
                           rng=stream(cfg.seed, "capacity/interval"))
    return VideoCapacity(x, y, capacity_crossing(x, y, target), float(target), ci)
