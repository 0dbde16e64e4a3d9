"""KPIs of a slot-level run (ITU-R M.2412-0 7.1 / Report ITU-R M.2410-0 definitions).

- User throughput: correctly received (acknowledged) bits of a UE over the measured time
  (all slots after the warm-up, UL slots included).
- Cell (average) spectral efficiency, M.2412 7.1.3: sum over UEs of correctly received bits
  / (measured time x effective bandwidth x number of cells).
- 5th-percentile user spectral efficiency, M.2412 7.1.2: 5th percentile of user throughput
  / effective bandwidth.
- Effective bandwidth (M.2410 4.4/4.5): the channel bandwidth "normalised appropriately
  considering the uplink/downlink ratio", here times the share of DL symbols of the TDD
  pattern (times the UL slot share for the uplink); the FDD share is 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from nrsim.kpi.metrics import percentiles


def file_columns(log, n_ue: int, t0_s: float) -> dict[str, np.ndarray]:
    """Per-UE FTP columns of a :class:`nrsim.traffic.FileLog`: ``files_completed`` (files that
    arrived at or after ``t0_s`` [s], the end of the warm-up, and completed) and
    ``mean_file_delay_s`` (their mean delay, arrival to the end of the slot of the last ACK;
    NaN with none)."""
    done = np.isfinite(log.completion_s) & (log.arrival_s >= t0_s)
    cnt = np.bincount(log.ue, weights=done.astype(float), minlength=n_ue)
    tot = np.bincount(log.ue, weights=np.where(done, log.delay_s, 0.0), minlength=n_ue)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"files_completed": cnt.astype(np.int64), "mean_file_delay_s": tot / cnt}


def slot_tables(run) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ue_slots, cell_slots) DataFrames of a :class:`nrsim.engine.slots.SlotRun`."""
    ue = pd.concat([pd.DataFrame(d.ue) for d in run.drops], ignore_index=True)
    cell = pd.concat([pd.DataFrame(d.cell) for d in run.drops], ignore_index=True)
    return ue, cell


def _throughput_stats(thr_bps: np.ndarray, w_eff_hz: float, n_cells_total: int) -> dict[str, Any]:
    thr = np.asarray(thr_bps, dtype=np.float64)
    p = percentiles(thr, (5, 50))
    return {
        "user_throughput_bps": {"5": p["5"], "50": p["50"], "mean": float(thr.mean()) if thr.size else float("nan")},
        "cell_spectral_efficiency_bps_per_hz": float(thr.sum() / (w_eff_hz * n_cells_total)) if n_cells_total else float("nan"),
        "user_spectral_efficiency_5pct_bps_per_hz": p["5"] / w_eff_hz,
    }


def _histogram(counts: np.ndarray) -> dict[str, int]:
    return {str(i): int(c) for i, c in enumerate(counts) if c}


def _nanmean(values) -> float:
    """Mean of the finite values; NaN (without a warning) when there are none."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


def video_kpis(run, ue: pd.DataFrame) -> dict[str, Any]:
    """The ``kpis.slots.video`` section: calls, the share of satisfied calls and the
    distribution of the call KPIs (:mod:`nrsim.kpi.video`; docs/video.md)."""
    tr = run.config.slots.traffic
    calls = ue[ue["call"].to_numpy(dtype=bool)]
    bg = ue[~ue["call"].to_numpy(dtype=bool)]
    n_cells = int(sum(np.unique(d.cell["cell"]).size for d in run.drops)) or 1
    n_calls = int(len(calls))
    return {
        "n_calls": n_calls,
        "calls_per_cell": n_calls / n_cells,
        "satisfied_share": float(calls["call_satisfied"].mean()) if n_calls else float("nan"),
        "thresholds": {"max_loss": tr.call_max_frame_loss, "max_p95_delay_s": tr.call_max_p95_delay_s},
        "video_pdb_s": tr.video_pdb_s,
        "voice_pdb_s": tr.voice_pdb_s if tr.voice else None,
        "video_bitrate_offered_bps": tr.video_bitrate_bps,
        "video_bitrate_bps": percentiles(calls["video_bitrate_bps"].to_numpy(), (5, 50)),
        "video_frame_loss": {**percentiles(calls["video_frame_loss"].to_numpy()),
                             "mean": _nanmean(calls["video_frame_loss"])},
        "video_p95_delay_s": percentiles(calls["video_p95_delay_s"].to_numpy()),
        "video_jitter_s": percentiles(calls["video_jitter_s"].to_numpy()),
        "video_freeze_s": {**percentiles(calls["video_freeze_s"].to_numpy()),
                           "mean": _nanmean(calls["video_freeze_s"])},
        "voice_packet_loss": percentiles(calls["voice_packet_loss"].to_numpy()) if tr.voice else None,
        "background_ues": int(len(bg)),
        "background_throughput_bps": percentiles(bg["throughput_bps"].to_numpy(), (5, 50)),
    }


def slot_kpis(run, ue: pd.DataFrame, cell: pd.DataFrame) -> dict[str, Any]:
    """The ``kpis.slots`` section of ``summary.json``."""
    cfg = run.config
    sc = cfg.slots
    meta = run.meta
    bw_hz = cfg.radio.bandwidth_mhz * 1e6
    n_cells_total = int(len(cell))
    w_dl = bw_hz * meta["dl_time_share"]
    mcs_dl = np.sum([d.mcs_hist_dl for d in run.drops], axis=0)
    first = ue["first_transmissions"].to_numpy()
    nack = np.nansum(ue["bler_first_tx"].to_numpy() * first)
    out: dict[str, Any] = {
        "n_slots": sc.n_slots,
        "warmup_slots": sc.warmup_slots,
        "slot_duration_s": meta["slot_duration_s"],
        "measured_time_s": meta["measured_time_s"],
        "n_prb": meta["n_prb"],
        "n_rbg": meta["n_rbg"],
        "duplex": sc.duplex,
        "tdd_pattern": sc.tdd_pattern if sc.duplex == "tdd" else None,
        "dl_time_share": meta["dl_time_share"],
        "overhead_share": meta["overhead_share"],
        "effective_bandwidth_hz": w_dl,
        "scheduler": sc.scheduler.name,
        "traffic": sc.traffic.model,
        "fading": sc.fading.model if sc.fading.enabled else None,
        "n_links_per_ue": meta["n_links_per_ue"],
        **_throughput_stats(ue["throughput_bps"].to_numpy(), w_dl, n_cells_total),
        "cell_spectral_efficiency_full_band_bps_per_hz": float(
            ue["throughput_bps"].sum() / (bw_hz * n_cells_total)
        ) if n_cells_total else float("nan"),
        "bler_first_tx": float(nack / first.sum()) if first.sum() else float("nan"),
        "residual_bler": float(
            np.nansum(ue["residual_bler"].to_numpy() * first) / first.sum()
        ) if first.sum() else float("nan"),
        "mcs_table": sc.link_adaptation.mcs_table,
        "mcs_histogram": _histogram(mcs_dl),
        "rank_histogram": {"1": int(mcs_dl.sum())},
        "prb_utilisation": float(cell["prb_utilisation"].mean()) if n_cells_total else float("nan"),
        "mean_sinr_db": percentiles(ue["mean_sinr_db"].to_numpy()),
    }
    if sc.traffic.model == "ftp3":
        n_ue = int(len(ue))
        size = 8.0 * sc.traffic.ftp_file_size_bytes
        delays = []
        n_arr = 0
        for d in run.drops:
            log = d.files
            meas = log.arrival_s >= sc.warmup_slots * meta["slot_duration_s"]
            n_arr += int(meas.sum())
            delays.append(log.delay_s[meas & np.isfinite(log.completion_s)])
        dl = np.concatenate(delays) if delays else np.zeros(0)
        out["ftp"] = {
            "offered_load_bps": sc.traffic.ftp_arrival_rate_hz * size * n_ue / max(len(run.drops), 1),
            "served_load_bps": float(ue["throughput_bps"].sum()) / max(len(run.drops), 1),
            "files_arrived": n_arr,
            "files_completed": int(dl.size),
            "file_delay_s": {**percentiles(dl), "mean": float(dl.mean()) if dl.size else float("nan")},
            "user_perceived_throughput_bps": {
                **percentiles(size / dl if dl.size else dl, (5, 50)),
                "mean": float(np.mean(size / dl)) if dl.size else float("nan"),
            },
        }
    if sc.traffic.model == "video_call":
        out["video"] = video_kpis(run, ue)
    if sc.uplink.enabled:
        w_ul = bw_hz * meta["ul_time_share"]
        mcs_ul = np.sum([d.mcs_hist_ul for d in run.drops], axis=0)
        first_ul = np.nan_to_num(ue["ul_transmissions"].to_numpy(), nan=0.0)
        out["uplink"] = {
            "ul_time_share": meta["ul_time_share"],
            "effective_bandwidth_hz": w_ul,
            **_throughput_stats(ue["ul_throughput_bps"].to_numpy(), w_ul, n_cells_total),
            "bler_first_tx": float(np.nanmean(ue["ul_bler_first_tx"])) if len(ue) else float("nan"),
            "mcs_histogram": _histogram(mcs_ul),
            "tx_power_dbm": percentiles(ue["ul_mean_tx_power_dbm"].to_numpy()),
            "max_tx_power_dbm": float(np.nanmax(ue["ul_max_tx_power_dbm"])) if first_ul.sum() else float("nan"),
            "mean_sinr_db": percentiles(ue["ul_mean_sinr_db"].to_numpy()),
            "prb_utilisation": float(cell["ul_prb_utilisation"].mean()) if n_cells_total else float("nan"),
        }
    return out
