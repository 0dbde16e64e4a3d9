"""The one writer of result folders: every table of a :class:`~nrsim.runs.result.Result`
as ``<name>.parquet``, ``summary.json``, ``config.json`` and the plots of its kind, into a
folder that replaces the target atomically (:func:`nrsim.kpi.outdir.atomic_directory`: a
failed write leaves no result folder and keeps an older one).

A snapshot run streams its per-UE table chunk by chunk into the folder
(:mod:`nrsim.parallel.runner`, which uses the same atomic folder) and calls
:func:`write_snapshot_plots` there; every other kind is written by :func:`write_result`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nrsim.config.schema import ScenarioConfig
from nrsim.kpi.outdir import atomic_directory
from nrsim.kpi.writers import write_json
from nrsim.report.plots import plot_capacity, plot_cdf
from nrsim.runs.result import Result

STORED_TABLES: dict[str, tuple[tuple[str, bool], ...]] = {
    "slots": (("ue", True), ("ue_slots", True), ("cell", False), ("cell_slots", False), ("capacity", False)),
    "mobility": (("ue_mobility", False), ("handover_events", False)),
    "calls": (("ue_calls", False), ("cell_calls", False), ("handover_events", False), ("capacity", False)),
}
"""The tables each kind writes, in order, as (name, only with ``output.per_ue``); a table
the result does not hold (``capacity`` without a sweep) is not written. New columns of a
table pass through unchanged."""


def stamp(cfg: ScenarioConfig, version: str, config_hash: str) -> str:
    """The provenance line on every figure (guide rule 7)."""
    return f"nrsim {version} | config {config_hash} | seed {cfg.seed}"


def write_result(result: Result, folder: str | Path) -> Path:
    """Write ``result`` (any kind but ``snapshot``) to ``folder`` atomically; returns it."""
    target = Path(folder)
    cfg = result.config
    with atomic_directory(target) as tmp:
        for name, per_ue_only in STORED_TABLES[result.kind]:
            if name in result.tables and (cfg.output.per_ue or not per_ue_only):
                result.tables[name].to_parquet(tmp / f"{name}.parquet", index=False)
        s = stamp(cfg, result.provenance.nrsim_version, result.provenance.config_hash)
        if "capacity" in result.tables and cfg.output.plots:
            cap = result.kpis.video_capacity
            plot_capacity(tmp / "capacity.png", result.tables["capacity"], title=f"{cfg.name}: video-call capacity",
                          stamp=s, capacity_calls_per_cell=cap.capacity_calls_per_cell if cap else None)
        write_json(tmp / "summary.json", result.summary)
        write_json(tmp / "config.json", result.summary["config"])
        if cfg.output.plots and result.kind == "slots":
            write_slot_plots(tmp, cfg, result.tables["ue"], result.tables["ue_slots"], s)
        elif cfg.output.plots and result.kind == "calls":
            write_call_plots(tmp, cfg, result.tables["ue_calls"], s)
    return target


def write_snapshot_plots(folder: Path, cfg: ScenarioConfig, acc, stamp_text: str) -> None:
    """CDF plots of a snapshot run from its streaming accumulator
    (:class:`nrsim.kpi.streaming.SnapshotAccumulator`)."""
    if not cfg.output.plots:
        return
    title = f"{cfg.name}: {cfg.drops} drops, {acc.n_ue} UEs"
    specs = [
        ("cdf_sinr.png", {"SINR": acc.db["sinr_db"].cdf(), "SIR (geometry)": acc.db["sir_db"].cdf()}, "SINR / SIR [dB]"),
        ("cdf_coupling_loss.png", {"coupling loss": acc.db["coupling_loss_db"].cdf()}, "Serving-cell coupling loss [dB]"),
        ("cdf_rsrp.png", {"RSRP": acc.db["rsrp_dbm"].cdf()}, "RSRP [dBm]"),
        ("cdf_throughput.png", {"user throughput": acc.throughput_cdf(scale=1e-6)}, "User throughput [Mbit/s]"),
    ]
    for name, curves, xlabel in specs:
        plot_cdf(folder / name, {}, curves=curves, xlabel=xlabel, title=title, stamp=stamp_text)


def write_slot_plots(folder: Path, cfg: ScenarioConfig, ue: pd.DataFrame, ue_slots: pd.DataFrame,
                     stamp_text: str) -> None:
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
        plot_cdf(folder / name, series, xlabel=xlabel, title=title, stamp=stamp_text)


def write_call_plots(folder: Path, cfg: ScenarioConfig, ue: pd.DataFrame, stamp_text: str) -> None:
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
        plot_cdf(folder / name, series, xlabel=xlabel, title=title, stamp=stamp_text)
