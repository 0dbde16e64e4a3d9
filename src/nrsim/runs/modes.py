"""Run modes: one object per kind of run, each with the same four steps.

* ``check(cfg)``: what the mode's engine can run; called inside :func:`nrsim.load_config`,
  so an unsupported scenario raises :class:`~nrsim.errors.ConfigError` naming the field
  before any work (the engines keep their own defensive checks).
* ``plan(cfg, ...)``: how to run it (chunk size, which options apply).
* ``execute(cfg, plan, ...)``: run the engine; returns a :class:`~nrsim.runs.result.Result`
  in memory (a snapshot run streams its tables into ``out_dir`` as it goes).
* ``finish(result, out_dir)``: write it with the one writer (:mod:`nrsim.runs.writer`) and
  return it with its ``path``.

:func:`mode_for` picks the mode from the config (``slots.enabled`` and ``mobility.enabled``).
Calibration runs (``nrsim calibrate``) are many snapshot runs; :mod:`nrsim.calibration`
drives them through :func:`nrsim.run`."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from nrsim._version import __version__
from nrsim.config.loading import config_hash
from nrsim.config.schema import ScenarioConfig
from nrsim.deployment.build import area_drop_polygons
from nrsim.deployment.identity import geo_metadata
from nrsim.engine.calls import (
    check_call_config,
    check_static_core_config,
    run_mobile_calls,
    run_static_calls,
    static_run_on_core,
)
from nrsim.engine.mobility import run_mobility
from nrsim.engine.slots import run_slots
from nrsim.engine.snapshot import build_layout, is_sparse, snapshot_drop
from nrsim.engine.ssb_link import has_beams
from nrsim.engine.video_capacity import (
    CAPACITY_TARGET,
    CI_LEVEL,
    XR_TARGET,
    capacity_estimate,
    capacity_point,
    capacity_table,
    check_capacity_points,
    pool_seeds,
)
from nrsim.errors import ConfigError
from nrsim.kpi.metrics import snapshot_kpis
from nrsim.kpi.slot_metrics import slot_kpis, slot_tables
from nrsim.link.frame import slot_duration_s
from nrsim.mimo.beam_rsrp import default_n_beams
from nrsim.parallel.backends import make_backend
from nrsim.parallel.runner import DEFAULT_CHUNK_UES, execute as execute_chunks
from nrsim.rng import stream
from nrsim.runs.result import Kpis, Provenance, Result, Tables
from nrsim.runs.stages import drop_stages, staged_progress, sweep_stages
from nrsim.runs.writer import write_result

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(done, total)``."""


@dataclass(frozen=True)
class RunPlan:
    """How a run is executed: Dask ``workers``/``scheduler`` (snapshot chunks and capacity
    sweeps) and UEs per chunk (snapshot runs)."""

    workers: int = 0
    scheduler: str | None = None
    chunk_ues: int = DEFAULT_CHUNK_UES


def provenance(cfg: ScenarioConfig, kind: str) -> Provenance:
    """The provenance of a run of ``cfg`` (version, config hash, seed; CRS of a site list)."""
    return Provenance(kind=kind, nrsim_version=__version__, scenario=cfg.name, seed=cfg.seed, drops=cfg.drops,
                      config_hash=config_hash(cfg), geo=geo_metadata(cfg))


def make_result(cfg: ScenarioConfig, kind: str, kpis: dict[str, Any], tables: dict[str, pd.DataFrame | None],
                *, summary: dict[str, Any] | None = None, path: Path | None = None) -> Result:
    """A :class:`Result` of ``kind`` from its KPI dict and tables (``summary`` when the
    engine wrote it already, else built here: provenance, ``kpis``, ``config``)."""
    prov = provenance(cfg, kind)
    if summary is None:
        summary = {**prov.to_json(), "kpis": kpis, "config": cfg.model_dump(mode="json")}
    return Result(kind=kind, config=cfg, provenance=prov, kpis=Kpis.from_json(kind, summary["kpis"]),
                  tables=Tables(tables, path), summary=summary, path=path)


def _check_beams(cfg: ScenarioConfig, kind: str) -> None:
    """Load-time checks of a config with SSB beams (a BS array, docs/mimo.md): only snapshot
    runs (and coverage maps) use them yet, in the dense link form, with an L_max allowed in
    the carrier's frequency range."""
    layout = build_layout(cfg)
    if not has_beams(cfg, layout):
        return
    if kind != "snapshot":
        raise ConfigError(
            f"antenna.array = {cfg.antenna.array!r} (or a site list's antenna_model naming an array type): BS "
            f"arrays and SSB beams run in snapshot runs and coverage maps only, not yet in {kind} runs (the MIMO "
            "slot core of issue 14); allowed here: single-column", field="antenna.array")
    if is_sparse(cfg, layout):
        raise ConfigError(
            "SSB beams (antenna.array or a site list's antenna_model naming an array) need the dense "
            "link form: interference.mode = 'dense' (or 'auto' with at most "
            f"interference.auto_dense_max_sites = {cfg.interference.auto_dense_max_sites} sites)",
            field="interference.mode")
    default_n_beams(cfg.channel.fc_ghz, cfg.ssb.n_beams)


def _check_common(cfg: ScenarioConfig) -> None:
    """Checks of the drop every mode makes: the sparse link form and the area drop."""
    if cfg.interference.mode == "sparse":  # sparse needs a layout without wrap-around
        is_sparse(cfg, build_layout(cfg))
    if cfg.deployment.ue.placement == "area":  # the area and density polygons
        area_drop_polygons(cfg, build_layout(cfg))


class RunMode:
    """A kind of run (see the module docstring)."""

    kind: ClassVar[str]

    def check(self, cfg: ScenarioConfig) -> None:
        _check_common(cfg)
        _check_beams(cfg, self.kind)

    def plan(self, cfg: ScenarioConfig, *, workers: int = 0, scheduler: str | None = None,
             chunk_ues: int | None = None) -> RunPlan:
        if (workers or scheduler) and not cfg.slots.traffic.capacity_calls_per_cell:
            warnings.warn("workers/scheduler apply to snapshot runs and capacity sweeps; slot-level and mobility "
                          "runs run serially in this process", RuntimeWarning, stacklevel=3)
        return RunPlan(workers=workers, scheduler=scheduler)

    def execute(self, cfg: ScenarioConfig, plan: RunPlan, *, out_dir: Path | None = None,
                progress: ProgressCallback | None = None, status: Callable[[str], None] | None = None,
                write_outputs: Callable[..., None] | None = None) -> Result:
        raise NotImplementedError

    def finish(self, result: Result, out_dir: Path | None) -> Result:
        if out_dir is None:
            return result
        write_result(result, out_dir)
        return dataclasses.replace(result, path=Path(out_dir))


class SnapshotMode(RunMode):
    """Independent drops of a static network (docs/kpis.md); chunks of UEs, on Dask with
    ``workers``/``scheduler``; the tables stream into the result folder as chunks finish."""

    kind = "snapshot"

    def plan(self, cfg: ScenarioConfig, *, workers: int = 0, scheduler: str | None = None,
             chunk_ues: int | None = None) -> RunPlan:
        chunk = int(chunk_ues) if chunk_ues is not None else DEFAULT_CHUNK_UES
        if chunk < 1:
            raise ConfigError(f"chunk_ues = {chunk}: must be >= 1", field="chunk_ues")
        return RunPlan(workers=workers, scheduler=scheduler, chunk_ues=chunk)

    def execute(self, cfg: ScenarioConfig, plan: RunPlan, *, out_dir: Path | None = None,
                progress: ProgressCallback | None = None, status: Callable[[str], None] | None = None,
                write_outputs: Callable[..., None] | None = None) -> Result:
        prov = provenance(cfg, self.kind)
        summary, cell, ue = execute_chunks(
            cfg, out_dir=out_dir, provenance=prov.to_json(),
            write_outputs=write_outputs or (lambda folder, acc, cell_df: None),
            progress=progress, workers=plan.workers, scheduler=plan.scheduler, chunk_ues=plan.chunk_ues,
            keep_ue_in_memory=out_dir is None, status=status)
        return make_result(cfg, self.kind, summary["kpis"], {"ue": ue, "cell": cell}, summary=summary, path=out_dir)

    def finish(self, result: Result, out_dir: Path | None) -> Result:
        return result  # written while executing


class SlotsMode(RunMode):
    """A slot-level run of a static network (docs/slots.md): each drop's snapshot tables plus
    the slot simulation; a video-call capacity sweep with ``capacity_calls_per_cell``.

    Engine (:func:`nrsim.engine.calls.static_run_on_core`): video calls, full buffer and FTP
    model 3 with a built-in scheduler or a plugin, TDL fading, on the dense or the sparse link
    form, run on the call engine's core with the static mobility model
    (:func:`nrsim.engine.calls.run_static_calls`); full-buffer/FTP CDL fading and CDL fading on
    the sparse link form on :mod:`nrsim.engine.slots`."""

    kind = "slots"

    def check(self, cfg: ScenarioConfig) -> None:
        super().check(cfg)
        if getattr(build_layout(cfg), "site_scenario", None) is not None:
            raise ConfigError("slots.enabled: the slot simulation needs a single-scenario layout (hex or "
                              "inh-office), not one with an environment per site", field="slots.enabled")
        check_static_core_config(cfg)

    def execute(self, cfg: ScenarioConfig, plan: RunPlan, *, out_dir: Path | None = None,
                progress: ProgressCallback | None = None, status: Callable[[str], None] | None = None,
                write_outputs: Callable[..., None] | None = None) -> Result:
        say = status if status is not None else (lambda text: None)
        say("building the layout and the drops")
        layout = build_layout(cfg)
        parts = [snapshot_drop(cfg, d, layout=layout) for d in range(cfg.drops)]
        ue = pd.concat([pd.DataFrame(p.ue) for p in parts], ignore_index=True)
        cell = pd.concat([pd.DataFrame(p.cell) for p in parts], ignore_index=True)
        slot_cb = staged_progress(drop_stages("slots", cfg.drops, cfg.slots.n_slots), progress, status)
        crun = None
        if static_run_on_core(cfg):
            srun, crun = run_static_calls(cfg, progress=slot_cb)
        else:
            srun = run_slots(cfg, progress=slot_cb)
        ue_slots, cell_slots = slot_tables(srun)
        kpis = snapshot_kpis(ue, cell, cfg.radio.bandwidth_mhz * 1e6)
        kpis["slots"] = slot_kpis(srun, ue_slots, cell_slots)
        if crun is not None:  # on the core
            kpis["slots"]["engine"] = "calls"
            if "calls" in crun.kpis:  # one video-call schema: the moving run's kpis.calls keys added
                kpis["slots"]["video"] = {**crun.kpis["calls"], **kpis["slots"]["video"]}
        if cfg.slots.traffic.model == "video_call" and cfg.slots.traffic.capacity_calls_per_cell:
            say(f"capacity sweep: {len(cfg.slots.traffic.capacity_calls_per_cell)} points")
        runs = (capacity_sweep(cfg, None, plan) if cfg.slots.traffic.model == "video_call" else None)
        capacity = None
        if runs is not None:
            capacity = pool_seeds(runs)
            kpis["video_capacity"] = capacity_kpis(runs, seed=cfg.seed)
        return make_result(cfg, self.kind, kpis, {"ue": ue, "ue_slots": ue_slots, "cell": cell,
                                                  "cell_slots": cell_slots, "capacity": capacity})


def _n_steps(cfg: ScenarioConfig) -> int:
    return int(round(cfg.mobility.duration_s / (cfg.mobility.step_ms / 1e3)))


def _check_moving(cfg: ScenarioConfig, *, sparse_ok: bool = False) -> None:
    """Checks of a run with moving UEs; ``sparse_ok``: its engine steps the sparse link form
    (call runs, :mod:`nrsim.engine.link_steps`; a mobility run without slots needs the dense)."""
    mode = cfg.interference.mode
    if mode == "sparse" and not sparse_ok:
        raise ConfigError("interference.mode = 'sparse': runs with moving UEs need the dense form",
                          field="interference.mode")
    if mode == "auto" and not sparse_ok and is_sparse(cfg, build_layout(cfg)):
        raise ConfigError(f"interference.mode = 'auto' picks the sparse form for this layout (more than "
                          f"interference.auto_dense_max_sites = {cfg.interference.auto_dense_max_sites} sites): "
                          "runs with moving UEs need the dense form; set interference.mode = 'dense'",
                          field="interference.mode")
    if _n_steps(cfg) < 1:
        raise ConfigError(f"mobility.duration_s = {cfg.mobility.duration_s:g} is shorter than one step "
                          f"(mobility.step_ms = {cfg.mobility.step_ms:g})", field="mobility.duration_s")


class MobilityMode(RunMode):
    """Moving UEs with handover and RLF (docs/mobility.md)."""

    kind = "mobility"

    def check(self, cfg: ScenarioConfig) -> None:
        _check_moving(cfg)
        super().check(cfg)

    def execute(self, cfg: ScenarioConfig, plan: RunPlan, *, out_dir: Path | None = None,
                progress: ProgressCallback | None = None, status: Callable[[str], None] | None = None,
                write_outputs: Callable[..., None] | None = None) -> Result:
        res = run_mobility(cfg, progress=staged_progress(drop_stages("time steps", cfg.drops, _n_steps(cfg)),
                                                         progress, status))
        return make_result(cfg, self.kind, {"mobility": res.kpis},
                           {"ue_mobility": res.ue, "handover_events": res.events})


class CallsMode(RunMode):
    """Moving UEs with video calls: mobility plus the slot-level link (docs/video.md)."""

    kind = "calls"

    def check(self, cfg: ScenarioConfig) -> None:
        """The capabilities of the mobile call engine (:func:`nrsim.engine.calls.check_call_config`)."""
        _check_moving(cfg, sparse_ok=True)
        check_call_config(cfg)
        super().check(cfg)

    def execute(self, cfg: ScenarioConfig, plan: RunPlan, *, out_dir: Path | None = None,
                progress: ProgressCallback | None = None, status: Callable[[str], None] | None = None,
                write_outputs: Callable[..., None] | None = None) -> Result:
        pts = cfg.slots.traffic.capacity_calls_per_cell
        n_runs = 1 + len(pts)
        units = cfg.drops * _n_steps(cfg)  # of the main run, and of each sweep point
        stages = drop_stages("video calls", cfg.drops, _n_steps(cfg)) + (
            sweep_stages(pts, cfg.drops, _n_steps(cfg)) if not (plan.workers or plan.scheduler)
            else [(f"capacity sweep on Dask: {len(pts)} points", len(pts) * units)])
        cb = staged_progress(stages, progress, status)
        main_cb = sweep_cb = None
        if cb is not None:  # one bar over the main run and the sweep's runs
            main_cb = lambda done, total: cb(done, total * n_runs)  # noqa: E731
            sweep_cb = lambda done, total: cb(total // (n_runs - 1) + done, total + total // (n_runs - 1))  # noqa: E731
        res = run_mobile_calls(cfg, progress=main_cb)
        runs = capacity_sweep(cfg, sweep_cb, plan)
        kpis: dict[str, Any] = dict(res.kpis)
        capacity = None
        if runs is not None:
            capacity = pool_seeds(runs)
            kpis["video_capacity"] = capacity_kpis(runs, seed=cfg.seed)
        return make_result(cfg, self.kind, kpis, {"ue_calls": res.ue, "cell_calls": res.cell,
                                                  "handover_events": res.events, "capacity": capacity})


MODES: dict[str, RunMode] = {m.kind: m for m in (SnapshotMode(), SlotsMode(), MobilityMode(), CallsMode())}
"""The run modes by kind."""


def kind_of(cfg: ScenarioConfig) -> str:
    """The kind of run ``cfg`` asks for."""
    if cfg.slots.enabled:
        return "calls" if cfg.mobility.enabled else "slots"
    return "mobility" if cfg.mobility.enabled else "snapshot"


def mode_for(cfg: ScenarioConfig) -> RunMode:
    """The run mode of ``cfg``."""
    return MODES[kind_of(cfg)]


def capacity_sweep(cfg: ScenarioConfig, progress: ProgressCallback | None, plan: RunPlan) -> pd.DataFrame | None:
    """The runs of the capacity curve of ``slots.traffic.capacity_calls_per_cell`` (None when
    empty): one row per (point, seed), refined points included
    (:func:`nrsim.engine.video_capacity.capacity_table` with ``pooled = False``). With
    ``workers``/``scheduler`` the runs go in parallel on Dask (each is a whole run with its
    seed: the table is the same as the serial one)."""
    pts = list(cfg.slots.traffic.capacity_calls_per_cell)
    if not pts:
        return None
    if not plan.workers and not plan.scheduler:
        return capacity_table(cfg, pts, progress=progress, pooled=False)
    pts = check_capacity_points(cfg, pts)
    units = (_n_steps(cfg) if cfg.mobility.enabled else cfg.slots.n_slots) * cfg.drops
    planned = len(pts) * cfg.slots.traffic.capacity_seeds
    finished = [0]

    def run_jobs(jobs: list[tuple[int, int]]) -> list[dict[str, Any]]:
        backend = make_backend(plan.workers, plan.scheduler)
        rows: dict[int, dict[str, Any]] = {}
        try:
            for i, row in backend.map_unordered(capacity_point, [(cfg, n, seed) for n, seed in jobs]):
                rows[i] = row
                finished[0] += 1
                if progress is not None:  # in the serial sweep's units (time steps or slots)
                    progress(finished[0] * units, max(planned, finished[0]) * units)
        finally:
            backend.close()
        return [rows[i] for i in range(len(jobs))]

    return capacity_table(cfg, pts, run_jobs=run_jobs, pooled=False)


def capacity_kpis(table: pd.DataFrame, *, seed: int = 1) -> dict[str, Any]:
    """``kpis.video_capacity`` of a capacity table (one row per run with ``seed``, or one per
    point): the 95 % crossing of the pooled curve (``capacity_calls_per_cell``), its
    confidence interval and per-seed crossings, the same for the 90 % XR target, and the
    pooled points (docs/video.md). The interval's draws use stream ``capacity/interval``
    of ``seed``."""
    pooled = pool_seeds(table) if "seed" in table else table
    y = pooled["satisfied_share"].to_numpy()
    est = capacity_estimate(table, rng=stream(seed, "capacity/interval"))
    e95, e90 = est[CAPACITY_TARGET], est[XR_TARGET]
    return {
        "target_satisfied_share": CAPACITY_TARGET,
        "capacity_calls_per_cell": e95["capacity_calls_per_cell"],
        "reached": bool(y[0] >= CAPACITY_TARGET) if len(y) else False,
        "points": pooled.to_dict(orient="records"),
        "ci_level": CI_LEVEL,
        "capacity_ci_calls_per_cell": e95["ci"],
        "capacity_per_seed": e95["per_seed"],
        "seeds_per_point": int(pooled["n_seeds"].max()) if "n_seeds" in pooled and len(pooled) else 1,
        "xr_target_satisfied_share": XR_TARGET,
        "xr_capacity_calls_per_cell": e90["capacity_calls_per_cell"],
        "xr_capacity_ci_calls_per_cell": e90["ci"],
        "xr_capacity_per_seed": e90["per_seed"],
    }