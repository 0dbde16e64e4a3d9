"""The public Python API; the CLI is a thin wrapper over these functions."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nrsim import __version__
from nrsim.boundary import check_load_args, check_run_args
from nrsim.channel.tr38901.pathloss import check_validity
from nrsim.config.loading import (
    apply_overrides,
    config_hash,
    read_scenario_source,
    validate_mapping,
)
from nrsim.config.schema import ScenarioConfig
from nrsim.deployment.identity import geo_metadata
from nrsim.errors import ConfigError, ModelValidityError, ModelValidityWarning
from nrsim.link.numerology import n_rb
from nrsim.plugins import check_plugins_allowed

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each drop."""


def check_model_validity(cfg: ScenarioConfig) -> None:
    """Check the config against the validity ranges of the models it uses (TR 38.901
    frequency and heights; TS 38.101 bandwidth/SCS). Raises :class:`ConfigError` naming the
    field; under ``channel.validity = "warn"`` a range violation only warns."""
    dep, ue = cfg.deployment, cfg.deployment.ue
    heights = [ue.outdoor_height_m] if ue.indoor_fraction < 1.0 else []
    if ue.indoor_fraction > 0.0:
        if ue.indoor_floors:
            heights.append(3.0 * (ue.building_floors_max - 1) + 1.5)
            heights.append(1.5)
        else:
            heights.append(ue.indoor_height_m)
    if dep.layout == "sites":  # site list: its environments and antenna heights
        from nrsim.deployment.sites import validity_checks

        checks = validity_checks(cfg)
    elif cfg.channel.scenario == "mixed":  # national layout: its environments' own BS heights
        checks = [("umi", 10.0), ("uma", 25.0), ("rma", 35.0)]
    else:
        checks = [(cfg.channel.scenario, dep.bs_height_m)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", ModelValidityWarning)
            for scenario, h_bs in checks:
                check_validity(
                    scenario,
                    fc_ghz=cfg.channel.fc_ghz,
                    h_bs_m=h_bs,
                    h_ut_m=np.asarray(heights) if heights else None,
                    policy=cfg.channel.validity,
                )
    except ModelValidityError as exc:
        field = exc.field or "channel"
        if not field.startswith(("channel.", "deployment.")):
            field = {
                "fc_ghz": "channel.fc_ghz",
                "h_bs_m": "deployment.bs_height_m",
                "h_ut_m": "deployment.ue",
            }.get(field, f"channel.{field}")
        raise ConfigError(f"{field}: {exc}", field=field) from None
    n_rb(cfg.radio.bandwidth_mhz, cfg.radio.scs_khz, cfg.channel.fc_ghz)


def load_config(
    source: str | Path | Mapping[str, Any] = "uma-default",
    overrides: Iterable[str] = (),
    *,
    seed: int | None = None,
    drops: int | None = None,
) -> ScenarioConfig:
    """Resolve a scenario: a preset name, a TOML file path or a mapping, then dotted
    ``key=value`` overrides, then ``seed``/``drops``; validated once.

    Raises :class:`~nrsim.errors.ConfigError` with the field and what is allowed (an
    argument of the wrong type: :class:`~nrsim.errors.ArgumentTypeError`, e.g. ``seed=1.7``)."""
    overrides = check_load_args(source, overrides, seed=seed, drops=drops)
    if isinstance(source, Mapping):
        data = dict(source)
    else:
        data, _ = read_scenario_source(source)
    extra = list(overrides)
    if seed is not None:
        extra.append(f"seed={int(seed)}")
    if drops is not None:
        extra.append(f"drops={int(drops)}")
    cfg = validate_mapping(apply_overrides(data, extra))
    check_model_validity(cfg)
    if cfg.deployment.layout == "sites":  # read and check the site list once, at the boundary
        from nrsim.deployment.sites import config_layout

        config_layout(cfg)
    if cfg.interference.mode == "sparse":  # sparse needs a layout without wrap-around
        from nrsim.engine.snapshot import build_layout, is_sparse

        is_sparse(cfg, build_layout(cfg))
    if cfg.mobility.enabled and cfg.slots.enabled:  # moving UEs with video calls
        from nrsim.engine.calls import check_call_config

        check_call_config(cfg)
    if cfg.deployment.ue.placement == "area":  # check the area and density polygons now
        from nrsim.engine.snapshot import area_drop_polygons, build_layout

        area_drop_polygons(cfg, build_layout(cfg))
    from nrsim.deployment.guards import check_config_geometry

    check_config_geometry(cfg)  # minimum distance and path-loss distance range (docs/sites.md)
    return cfg


class RunResult:
    """Outputs of :func:`run`: per-UE and per-cell tables, the summary, and where they were
    written (None when not written). With an ``out_dir`` the per-UE table is read from
    ``ue.parquet`` on first access (a national run need not fit in memory)."""

    def __init__(self, config: ScenarioConfig, ue: pd.DataFrame | None, cell: pd.DataFrame,
                 summary: dict[str, Any], out_dir: Path | None) -> None:
        self.config = config
        self._ue = ue
        self.cell = cell
        self.summary = summary
        self.out_dir = out_dir
        self.ue_slots: pd.DataFrame | None = None
        """Per-UE slot-level KPIs (``slots.enabled`` runs; see docs/slots.md)."""
        self.cell_slots: pd.DataFrame | None = None
        """Per-cell slot-level KPIs (``slots.enabled`` runs)."""

    @property
    def ue(self) -> pd.DataFrame:
        if self._ue is None:
            if self.out_dir is None or not (self.out_dir / "ue.parquet").exists():
                raise FileNotFoundError("this run kept no per-UE table (output.per_ue = false)")
            self._ue = pd.read_parquet(self.out_dir / "ue.parquet")
        return self._ue


def _provenance(cfg: ScenarioConfig) -> dict[str, Any]:
    return {
        "nrsim_version": __version__,
        "scenario": cfg.name,
        "seed": cfg.seed,
        "drops": cfg.drops,
        "config_hash": config_hash(cfg),
        "geo": geo_metadata(cfg),  # CRS and origin of x_m/y_m (nrsim.deployment.identity)
    }


def run(
    config: ScenarioConfig | str | Path,
    *,
    out_dir: str | Path | None = None,
    progress: ProgressCallback | None = None,
    workers: int = 0,
    scheduler: str | None = None,
    chunk_ues: int | None = None,
    force: bool = False,
    size_check: bool = True,
    status: Callable[[str], None] | None = None,
    allow_plugins: bool = False,
) -> RunResult:
    """Run all drops of a scenario and compute its KPIs.

    With ``out_dir``, write ``ue.parquet``, ``cell.parquet``, ``summary.json``,
    ``config.json`` and CDF plots there, atomically (a failed run leaves no result folder;
    its finished chunks stay in a hidden work folder beside it, and the same call resumes
    from them). ``workers`` > 0 runs the chunks on a local Dask cluster of that many
    processes, ``scheduler`` on an existing cluster; the results are the same bytes as a
    serial run. ``progress(done, total)`` is called as chunks finish, ``status(text)`` with
    the current phase (snapshot runs).

    Before any work (and before any folder is made) the run's peak memory is estimated and a
    run that would not fit in this machine's memory is refused with a :class:`ConfigError`
    (:func:`nrsim.sizing.check_size`; ``size_check=False`` or ``NRSIM_NO_SIZE_CHECK=1`` skip it).
    Then ``out_dir`` is checked and locked (:mod:`nrsim.kpi.outdir`): an existing file or a
    non-empty folder that is not an nrsim result raises :class:`~nrsim.errors.OutputPathError`
    unless ``force``, as does a target another run is writing. Losing every Dask worker
    raises :class:`~nrsim.errors.ExecutionError`. A scenario that names Python code (a
    scheduler plugin) runs only with ``allow_plugins=True`` (docs/slots.md). Arguments of the
    wrong type raise :class:`~nrsim.errors.ArgumentTypeError` before any work."""
    from nrsim.kpi.outdir import claim_output

    check_run_args(config, out_dir=out_dir, progress=progress, workers=workers, scheduler=scheduler,
                   chunk_ues=chunk_ues, allow_plugins=allow_plugins)
    cfg = config if isinstance(config, ScenarioConfig) else load_config(config)
    check_plugins_allowed(cfg, allow_plugins)
    if size_check:
        from nrsim.sizing import check_size

        check_size(cfg, chunk_ues=chunk_ues, workers=workers, scheduler=scheduler, in_memory=out_dir is None)
    with claim_output(out_dir, kind="run", config_hash=config_hash(cfg), force=force):
        return _run_claimed(cfg, out_dir=out_dir, progress=progress, workers=workers, scheduler=scheduler,
                            chunk_ues=chunk_ues, status=status)


def _run_claimed(cfg: ScenarioConfig, *, out_dir: str | Path | None, progress: ProgressCallback | None,
                 workers: int, scheduler: str | None, chunk_ues: int | None,
                 status: Callable[[str], None] | None) -> RunResult:
    from nrsim.parallel.runner import DEFAULT_CHUNK_UES, execute

    sweep = cfg.slots.enabled and bool(cfg.slots.traffic.capacity_calls_per_cell)
    if (cfg.slots.enabled or cfg.mobility.enabled) and (workers or scheduler) and not sweep:
        warnings.warn("workers/scheduler apply to snapshot runs and capacity sweeps; slot-level and mobility "
                      "runs run serially in this process", RuntimeWarning, stacklevel=3)
    if cfg.slots.enabled and cfg.mobility.enabled:  # moving UEs with video calls (docs/video.md)
        return _run_calls(cfg, out_dir=out_dir, progress=progress, workers=workers, scheduler=scheduler)
    if cfg.slots.enabled:  # slot-level simulation (docs/slots.md)
        return _run_slots(cfg, out_dir=out_dir, progress=progress, workers=workers, scheduler=scheduler)
    if cfg.mobility.enabled:  # moving UEs, handover and RLF (docs/mobility.md)
        return _run_mobility(cfg, out_dir=out_dir, progress=progress)
    chunk = int(chunk_ues) if chunk_ues is not None else DEFAULT_CHUNK_UES
    if chunk < 1:
        raise ConfigError(f"chunk_ues = {chunk}: must be >= 1", field="chunk_ues")
    target = Path(out_dir) if out_dir is not None else None
    summary, cell, ue = execute(
        cfg,
        out_dir=target,
        provenance=_provenance(cfg),
        write_outputs=lambda folder, acc, cell_df: _write_plots(folder, cfg, acc),
        progress=progress,
        workers=workers,
        scheduler=scheduler,
        chunk_ues=chunk,
        keep_ue_in_memory=target is None,
        status=status,
    )
    return RunResult(config=cfg, ue=ue, cell=cell, summary=summary, out_dir=target)


def _write_plots(folder: Path, cfg: ScenarioConfig, acc) -> None:
    if not cfg.output.plots:
        return
    from nrsim.report.plots import plot_cdf

    prov = _provenance(cfg)
    stamp = f"nrsim {prov['nrsim_version']} | config {prov['config_hash']} | seed {cfg.seed}"
    title = f"{cfg.name}: {cfg.drops} drops, {acc.n_ue} UEs"
    specs = [
        ("cdf_sinr.png", {"SINR": acc.db["sinr_db"].cdf(), "SIR (geometry)": acc.db["sir_db"].cdf()}, "SINR / SIR [dB]"),
        ("cdf_coupling_loss.png", {"coupling loss": acc.db["coupling_loss_db"].cdf()}, "Serving-cell coupling loss [dB]"),
        ("cdf_rsrp.png", {"RSRP": acc.db["rsrp_dbm"].cdf()}, "RSRP [dBm]"),
        ("cdf_throughput.png", {"user throughput": acc.throughput_cdf(scale=1e-6)}, "User throughput [Mbit/s]"),
    ]
    for name, curves, xlabel in specs:
        plot_cdf(folder / name, {}, curves=curves, xlabel=xlabel, title=title, stamp=stamp)


def _run_slots(
    cfg: ScenarioConfig, *, out_dir: str | Path | None, progress: ProgressCallback | None,
    workers: int = 0, scheduler: str | None = None
) -> RunResult:
    """A slot-level run: each drop's snapshot tables (``ue.parquet``, ``cell.parquet`` and
    the snapshot KPIs, from the same large-scale drop) plus the slot simulation
    (``ue_slots.parquet``, ``cell_slots.parquet``, ``kpis.slots``, slot plots);
    ``progress(done, total)`` counts slots."""
    from nrsim.engine.slots import run_slots
    from nrsim.engine.snapshot import build_layout, snapshot_drop
    from nrsim.kpi.metrics import snapshot_kpis
    from nrsim.kpi.slot_metrics import slot_kpis, slot_tables
    from nrsim.kpi.writers import atomic_directory, write_json

    layout = build_layout(cfg)
    parts = [snapshot_drop(cfg, d, layout=layout) for d in range(cfg.drops)]
    ue = pd.concat([pd.DataFrame(p.ue) for p in parts], ignore_index=True)
    cell = pd.concat([pd.DataFrame(p.cell) for p in parts], ignore_index=True)
    srun = run_slots(cfg, progress=progress)
    ue_slots, cell_slots = slot_tables(srun)
    kpis = snapshot_kpis(ue, cell, cfg.radio.bandwidth_mhz * 1e6)
    kpis["slots"] = slot_kpis(srun, ue_slots, cell_slots)
    capacity = (_capacity_sweep(cfg, None, workers=workers, scheduler=scheduler)
                if cfg.slots.traffic.model == "video_call" else None)
    if capacity is not None:
        kpis["video_capacity"] = _capacity_kpis(capacity)
    summary = {**_provenance(cfg), "kpis": kpis, "config": cfg.model_dump(mode="json")}
    target = Path(out_dir) if out_dir is not None else None
    if target is not None:
        with atomic_directory(target) as tmp:
            if cfg.output.per_ue:
                ue.to_parquet(tmp / "ue.parquet", index=False)
                ue_slots.to_parquet(tmp / "ue_slots.parquet", index=False)
            cell.to_parquet(tmp / "cell.parquet", index=False)
            cell_slots.to_parquet(tmp / "cell_slots.parquet", index=False)
            _write_capacity(tmp, cfg, capacity)
            write_json(tmp / "summary.json", summary)
            write_json(tmp / "config.json", summary["config"])
            if cfg.output.plots:
                _write_slot_plots(tmp, cfg, ue, ue_slots)
    result = RunResult(config=cfg, ue=ue, cell=cell, summary=summary, out_dir=target)
    result.ue_slots, result.cell_slots = ue_slots, cell_slots
    return result


def _write_slot_plots(folder: Path, cfg: ScenarioConfig, ue: pd.DataFrame, ue_slots: pd.DataFrame) -> None:
    from nrsim.report.plots import plot_cdf

    prov = _provenance(cfg)
    stamp = f"nrsim {prov['nrsim_version']} | config {prov['config_hash']} | seed {cfg.seed}"
    title = f"{cfg.name}: {cfg.drops} drops x {cfg.slots.n_slots} slots, {len(ue_slots)} UEs"
    thr = {"DL user throughput": ue_slots["throughput_bps"].to_numpy() / 1e6}
    if "ul_throughput_bps" in ue_slots:
        thr["UL user throughput"] = ue_slots["ul_throughput_bps"].to_numpy() / 1e6
    specs = [
        ("cdf_sinr.png", {"SINR (snapshot)": ue["sinr_db"].to_numpy(), "SIR (geometry)": ue["sir_db"].to_numpy()}, "SINR / SIR [dB]"),
        ("cdf_coupling_loss.png", {"coupling loss": ue["coupling_loss_db"].to_numpy()}, "Serving-cell coupling loss [dB]"),
        ("cdf_slots_throughput.png", thr, "User throughput [Mbit/s]"),
        ("cdf_slots_sinr.png", {"mean measured SINR (fast fading)": ue_slots["mean_sinr_db"].to_numpy(),
                                "geometry SINR": ue_slots["geometry_sinr_db"].to_numpy()}, "SINR [dB]"),
        ("cdf_slots_mcs.png", {"mean first-transmission MCS": ue_slots["mean_mcs"].to_numpy()}, "MCS index"),
        ("cdf_slots_bler.png", {"first-transmission BLER": ue_slots["bler_first_tx"].to_numpy()}, "BLER"),
    ]
    for name, series, xlabel in specs:
        plot_cdf(folder / name, series, xlabel=xlabel, title=title, stamp=stamp)


def _capacity_sweep(cfg: ScenarioConfig, progress: ProgressCallback | None, *, workers: int = 0,
                    scheduler: str | None = None) -> pd.DataFrame | None:
    """The capacity curve of ``slots.traffic.capacity_calls_per_cell`` (None when empty). With
    ``workers``/``scheduler`` the points run in parallel on Dask (each point is a whole run
    with the same seed: the table is the same as the serial one)."""
    pts = list(cfg.slots.traffic.capacity_calls_per_cell)
    if not pts:
        return None
    from nrsim.engine.video_capacity import capacity_point, capacity_table, check_capacity_points

    if not workers and not scheduler:
        return capacity_table(cfg, pts, progress=progress)
    from nrsim.parallel.backends import make_backend

    pts = check_capacity_points(cfg, pts)
    backend = make_backend(workers, scheduler)
    rows: dict[int, dict[str, float]] = {}
    try:
        for i, row in backend.map_unordered(capacity_point, [(cfg, n) for n in pts]):
            rows[i] = row
            if progress is not None:  # in the serial sweep's units (time steps or slots)
                units = (int(round(cfg.mobility.duration_s / (cfg.mobility.step_ms / 1e3))) if cfg.mobility.enabled
                         else cfg.slots.n_slots) * cfg.drops
                progress(len(rows) * units, len(pts) * units)
    finally:
        backend.close()
    return pd.DataFrame([rows[i] for i in range(len(pts))])


def _capacity_kpis(table: pd.DataFrame | None) -> dict[str, Any] | None:
    if table is None:
        return None
    from nrsim.engine.video_capacity import CAPACITY_TARGET, capacity_crossing

    x = table["calls_per_cell"].to_numpy()
    y = table["satisfied_share"].to_numpy()
    return {
        "target_satisfied_share": CAPACITY_TARGET,
        "capacity_calls_per_cell": capacity_crossing(x, y, CAPACITY_TARGET),
        "reached": bool(y[0] >= CAPACITY_TARGET) if len(y) else False,
        "points": table.to_dict(orient="records"),
    }


def _run_calls(
    cfg: ScenarioConfig, *, out_dir: str | Path | None, progress: ProgressCallback | None,
    workers: int = 0, scheduler: str | None = None
) -> RunResult:
    """Moving UEs with video calls (mobility + slot-level link): ``ue_calls.parquet``,
    ``cell_calls.parquet``, ``handover_events.parquet``, ``kpis.mobility`` and ``kpis.calls``
    (plus ``capacity.parquet`` and ``kpis.video_capacity`` with a capacity sweep);
    ``progress(done, total)`` counts mobility steps of the main run."""
    from nrsim.engine.calls import run_mobile_calls
    from nrsim.kpi.writers import atomic_directory, write_json

    n_runs = 1 + len(cfg.slots.traffic.capacity_calls_per_cell)
    main_cb = sweep_cb = None
    if progress is not None:  # one bar over the main run and the sweep's runs
        main_cb = lambda done, total: progress(done, total * n_runs)  # noqa: E731
        sweep_cb = lambda done, total: progress(total // (n_runs - 1) + done, total + total // (n_runs - 1))  # noqa: E731
    res = run_mobile_calls(cfg, progress=main_cb)
    capacity = _capacity_sweep(cfg, sweep_cb, workers=workers, scheduler=scheduler)
    kpis: dict[str, Any] = dict(res.kpis)
    if capacity is not None:
        kpis["video_capacity"] = _capacity_kpis(capacity)
    summary = {**_provenance(cfg), "kpis": kpis, "config": cfg.model_dump(mode="json")}
    target = Path(out_dir) if out_dir is not None else None
    if target is not None:
        with atomic_directory(target) as tmp:
            res.ue.to_parquet(tmp / "ue_calls.parquet", index=False)
            res.cell.to_parquet(tmp / "cell_calls.parquet", index=False)
            res.events.to_parquet(tmp / "handover_events.parquet", index=False)
            _write_capacity(tmp, cfg, capacity)
            write_json(tmp / "summary.json", summary)
            write_json(tmp / "config.json", summary["config"])
            if cfg.output.plots:
                _write_call_plots(tmp, cfg, res.ue)
    result = RunResult(config=cfg, ue=res.ue, cell=res.cell, summary=summary, out_dir=None)
    result.out_dir = target
    result.events = res.events  # type: ignore[attr-defined]
    result.capacity = capacity  # type: ignore[attr-defined]
    return result


def _write_capacity(folder: Path, cfg: ScenarioConfig, capacity: pd.DataFrame | None) -> None:
    """``capacity.parquet`` and (with plots) ``capacity.png`` of a capacity sweep."""
    if capacity is None:
        return
    capacity.to_parquet(folder / "capacity.parquet", index=False)
    if cfg.output.plots:
        from nrsim.report.plots import plot_capacity

        prov = _provenance(cfg)
        plot_capacity(folder / "capacity.png", capacity, title=f"{cfg.name}: video-call capacity",
                      stamp=f"nrsim {prov['nrsim_version']} | config {prov['config_hash']} | seed {cfg.seed}",
                      capacity_calls_per_cell=_capacity_kpis(capacity)["capacity_calls_per_cell"])


def _write_call_plots(folder: Path, cfg: ScenarioConfig, ue: pd.DataFrame) -> None:
    from nrsim.report.plots import plot_cdf

    prov = _provenance(cfg)
    stamp = f"nrsim {prov['nrsim_version']} | config {prov['config_hash']} | seed {cfg.seed}"
    calls = ue[ue["call"].to_numpy(dtype=bool)]
    title = f"{cfg.name}: {len(calls)} calls, {cfg.mobility.duration_s:g} s"
    specs = [
        ("cdf_call_frame_loss.png", {"DL video frame loss": calls["video_frame_loss"].to_numpy(),
                                     "UL video frame loss": calls["ul_video_frame_loss"].to_numpy()}, "Frame loss ratio"),
        ("cdf_call_delay.png", {"DL 95 % frame delay": calls["video_p95_delay_s"].to_numpy() * 1e3,
                                "UL 95 % frame delay": calls["ul_video_p95_delay_s"].to_numpy() * 1e3},
         "95th-percentile video frame delay [ms]"),
        ("cdf_call_bitrate.png", {"DL video": calls["video_bitrate_bps"].to_numpy() / 1e6,
                                  "UL video": calls["ul_video_bitrate_bps"].to_numpy() / 1e6},
         "Delivered video bitrate [Mbit/s]"),
    ]
    for name, series, xlabel in specs:
        plot_cdf(folder / name, series, xlabel=xlabel, title=title, stamp=stamp)


def _run_mobility(
    cfg: ScenarioConfig, *, out_dir: str | Path | None, progress: ProgressCallback | None
) -> RunResult:
    """A mobility run: ``ue_mobility.parquet`` (per UE), ``handover_events.parquet`` (every
    handover, failure, RLF and re-establishment) and ``kpis.mobility`` in summary.json;
    ``progress(done, total)`` counts time steps."""
    from nrsim.engine.mobility import run_mobility
    from nrsim.kpi.writers import atomic_directory, write_json

    res = run_mobility(cfg, progress=progress)
    summary = {**_provenance(cfg), "kpis": {"mobility": res.kpis}, "config": cfg.model_dump(mode="json")}
    target = Path(out_dir) if out_dir is not None else None
    if target is not None:
        with atomic_directory(target) as tmp:
            res.ue.to_parquet(tmp / "ue_mobility.parquet", index=False)
            res.events.to_parquet(tmp / "handover_events.parquet", index=False)
            write_json(tmp / "summary.json", summary)
            write_json(tmp / "config.json", summary["config"])
    result = RunResult(config=cfg, ue=res.ue, cell=pd.DataFrame(), summary=summary, out_dir=None)
    result.out_dir = target
    result.events = res.events  # type: ignore[attr-defined]
    return result
