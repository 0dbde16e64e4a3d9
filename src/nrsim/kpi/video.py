"""Call-level KPIs of video calls (docs/video.md).

Per call (UE), over the packets that arrive in the measured window ``[t0, t1)`` and whose
deadline (arrival + PDB) is <= ``t1`` (so that their outcome is known):

- delivered video bitrate: bits of the video frames delivered by their deadline / the time
  in which the counted frames arrive, (t1 - PDB) - t0;
- video frame delay: completion (end of the slot of the last bit's ACK) - arrival, of the
  delivered frames; its 95th percentile (linear interpolation) and jitter (population
  standard deviation of the delay);
- frame loss ratio: frames not delivered by their deadline / frames;
- freeze time: the receiver repeats the last good frame from the (nominal) arrival of a lost
  frame until the arrival of the next delivered frame, or the end of the window;
- voice packet loss ratio and 95th-percentile voice delay (5QI 1 packets);
- satisfied: frame loss <= ``max_loss`` and voice loss <= ``max_loss`` and the 95th-percentile
  frame delay <= ``max_p95_delay_s``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nrsim.config.schema import ScenarioConfig
from nrsim.kpi.metrics import percentiles

VIDEO_5QI = 2
VOICE_5QI = 1


def freeze_time_s(arrival_s: NDArray[np.float64], delivered: NDArray[np.bool_], end_s: float) -> float:
    """Freeze time [s] of one video stream: frames ``arrival_s`` [frame] (ascending) with
    ``delivered`` [frame]; each run of lost frames freezes the picture from the first lost
    frame's arrival to the next delivered frame's arrival (``end_s`` when none follows)."""
    t = np.asarray(arrival_s, dtype=np.float64)
    ok = np.asarray(delivered, dtype=bool)
    if t.size == 0:
        return 0.0
    lost = ~ok
    start = lost & np.concatenate([[True], ok[:-1]])  # first frame of each lost run
    # index of the first delivered frame at or after each frame (t.size: none)
    idx = np.where(ok, np.arange(t.size), t.size)
    nxt = np.minimum.accumulate(idx[::-1])[::-1]
    nxt_t = np.append(t, float(end_s))[nxt]
    return float(np.sum(nxt_t[start] - t[start]))


def delay_stats(delay_s: NDArray[np.float64]) -> tuple[float, float]:
    """(95th percentile, population standard deviation) of the finite delays [s]; NaN, NaN
    when there are none."""
    d = np.asarray(delay_s, dtype=np.float64)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return float("nan"), float("nan")
    return float(np.percentile(d, 95)), float(np.std(d))


def call_columns(
    log, call: NDArray[np.bool_], t0_s: float, t1_s: float, *, max_loss: float, max_p95_delay_s: float
) -> dict[str, NDArray]:
    """Per-UE call columns for ``ue_slots.parquet`` from a :class:`nrsim.traffic.PacketLog`;
    UEs that are not in a call get NaN (and ``call_satisfied`` False)."""
    call = np.asarray(call, dtype=bool)
    n = call.size
    keys = (
        "video_bitrate_bps", "video_frames", "video_frame_loss", "video_p95_delay_s", "video_jitter_s",
        "video_freeze_s", "voice_packet_loss", "voice_p95_delay_s",
    )
    out = {k: np.full(n, np.nan) for k in keys}
    satisfied = np.zeros(n, dtype=bool)
    meas = (log.arrival_s >= t0_s) & (log.deadline_s <= t1_s)
    ok_all = log.delivered
    delay_all = log.delay_s
    first = np.searchsorted(log.ue, np.arange(n), side="left")
    last = np.searchsorted(log.ue, np.arange(n), side="right")
    span = max(t1_s - t0_s, 1e-12)
    for u in np.flatnonzero(call):  # post-processing, one pass per call
        s = slice(first[u], last[u])
        m, qi, ok, d = meas[s], log.five_qi[s], ok_all[s], delay_all[s]
        v = m & (qi == VIDEO_5QI)
        a = m & (qi == VOICE_5QI)
        nv = int(v.sum())
        out["video_frames"][u] = nv
        if nv:  # frames counted arrive in [t0, t1 - PDB]
            pdb = float(np.max(log.deadline_s[s][v] - log.arrival_s[s][v]))
            out["video_bitrate_bps"][u] = float(log.size_bits[s][v & ok].sum()) / max(span - pdb, 1e-12)
        if nv:
            out["video_frame_loss"][u] = 1.0 - ok[v].mean()
            out["video_freeze_s"][u] = freeze_time_s(log.arrival_s[s][v], ok[v], t1_s)
        out["video_p95_delay_s"][u], out["video_jitter_s"][u] = delay_stats(d[v & ok])
        if a.any():
            out["voice_packet_loss"][u] = 1.0 - ok[a].mean()
            out["voice_p95_delay_s"][u] = delay_stats(d[a & ok])[0]
        vl = out["video_frame_loss"][u]
        al = out["voice_packet_loss"][u]
        p95 = out["video_p95_delay_s"][u]
        satisfied[u] = bool(
            nv > 0 and vl <= max_loss and (np.isnan(al) or al <= max_loss) and np.isfinite(p95) and p95 <= max_p95_delay_s
        )
    out["video_frames"] = np.where(call, np.nan_to_num(out["video_frames"]), 0).astype(np.int64)
    return {"call": call.copy(), **out, "call_satisfied": satisfied}


def call_kpis(cfg: ScenarioConfig, ue: pd.DataFrame, *, n_cells_total: int) -> dict[str, Any]:
    """The ``kpis.calls`` section (docs/video.md)."""
    tr = cfg.slots.traffic
    call = ue["call"].to_numpy(dtype=bool)
    c = ue[call]
    bg = ue[~call]
    n_calls = int(call.sum())
    ho = c["handovers"].to_numpy() > 0
    ho_fail = c["handover_failures"].to_numpy() > 0

    def share(x: pd.Series) -> float:
        return float(x.mean()) if len(x) else float("nan")

    def mean(x: pd.Series) -> float:
        v = x.to_numpy(dtype=np.float64)
        v = v[np.isfinite(v)]
        return float(v.mean()) if v.size else float("nan")

    out: dict[str, Any] = {
        "n_calls": n_calls,
        "calls_per_cell": n_calls / max(n_cells_total, 1),
        "satisfied_share": share(c["call_satisfied"]),
        "dl_satisfied_share": share(c["dl_call_satisfied"]),
        "ul_satisfied_share": share(c["ul_call_satisfied"]) if cfg.slots.uplink.enabled else float("nan"),
        "satisfied_share_with_handover": share(c["call_satisfied"][ho]),
        "satisfied_share_without_handover": share(c["call_satisfied"][~ho]),
        "calls_with_handover": int(ho.sum()),
        "satisfied_share_with_handover_failure": share(c["call_satisfied"][ho_fail]),
        "calls_with_handover_failure": int(ho_fail.sum()),
        "thresholds": {"max_loss": tr.call_max_frame_loss, "max_p95_delay_s": tr.call_max_p95_delay_s},
        "video_bitrate_offered_bps": tr.video_bitrate_bps,
        "ul_video_bitrate_offered_bps": tr.ul_video_bitrate_bps or tr.video_bitrate_bps,
    }
    for pre in ("", "ul_"):
        key = "dl" if pre == "" else "ul"
        out[key] = {
            "video_bitrate_bps": percentiles(c[f"{pre}video_bitrate_bps"].to_numpy(), (5, 50)),
            "video_frame_loss": {**percentiles(c[f"{pre}video_frame_loss"].to_numpy()),
                                 "mean": mean(c[f"{pre}video_frame_loss"])},
            "video_p95_delay_s": percentiles(c[f"{pre}video_p95_delay_s"].to_numpy()),
            "video_freeze_s": {**percentiles(c[f"{pre}video_freeze_s"].to_numpy()), "mean": mean(c[f"{pre}video_freeze_s"])},
            "voice_packet_loss": percentiles(c[f"{pre}voice_packet_loss"].to_numpy()) if tr.voice else None,
            "bler_first_tx": mean(ue[f"{pre}bler_first_tx"]),
        }
    out["background_ues"] = int(len(bg))
    out["background_throughput_bps"] = percentiles(bg["throughput_bps"].to_numpy(), (5, 50))
    return out
