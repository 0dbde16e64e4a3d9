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

from nrsim.compiled import jit
from nrsim.config.schema import ScenarioConfig
from nrsim.kpi.metrics import percentiles

VIDEO_5QI = 2
VOICE_5QI = 1


P95 = 0.95
"""The delay percentile of a call (95th), as a fraction."""
_PAIRWISE_BLOCK = 128
"""Block length of NumPy's pairwise summation (``PW_BLOCKSIZE`` in its ``loops_utils``)."""


@jit
def _block_sum(a: NDArray[np.float64], lo: int, n: int) -> float:
    """NumPy's pairwise-summation leaf (n <= 128): a plain loop below 8 values, else 8
    interleaved accumulators combined as a tree, then the remainder."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    m = n - n % 8
    while i < m:
        b = lo + i
        r0 += a[b]
        r1 += a[b + 1]
        r2 += a[b + 2]
        r3 += a[b + 3]
        r4 += a[b + 4]
        r5 += a[b + 5]
        r6 += a[b + 6]
        r7 += a[b + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@jit
def _pairwise_sum(a: NDArray[np.float64], lo: int, n: int) -> float:
    """Sum of ``a[lo:lo + n]`` in the order of NumPy's pairwise summation (``np.sum`` of a
    contiguous float64 array: blocks of up to 128 values (:func:`_block_sum`), longer runs
    split in two halves on a multiple of 8 and the halves' sums added), so per-call sums here
    equal ``np.sum`` to the last bit. The recursion runs on an explicit stack."""
    if n <= _PAIRWISE_BLOCK:
        return _block_sum(a, lo, n)
    t_lo = np.empty(128, dtype=np.int64)  # task stack: (lo, n); n = -1 adds the top two sums
    t_n = np.empty(128, dtype=np.int64)
    vals = np.empty(128)  # sums of the finished halves
    nt, nv = 1, 0
    t_lo[0], t_n[0] = lo, n
    while nt:
        nt -= 1
        l0, m = t_lo[nt], t_n[nt]
        if m < 0:  # both halves done: left + right
            vals[nv - 2] = vals[nv - 2] + vals[nv - 1]
            nv -= 1
        elif m <= _PAIRWISE_BLOCK:
            vals[nv] = _block_sum(a, l0, m)
            nv += 1
        else:
            m2 = m // 2
            m2 -= m2 % 8
            t_lo[nt], t_n[nt] = 0, -1  # then add them
            t_lo[nt + 1], t_n[nt + 1] = l0 + m2, m - m2  # then the right half
            t_lo[nt + 2], t_n[nt + 2] = l0, m2  # the left half first
            nt += 3
    return vals[0]


@jit
def _sum(a: NDArray[np.float64], n: int) -> float:
    """``np.sum(a[:n])`` (the reduction starts from the identity 0.0)."""
    return 0.0 + _pairwise_sum(a, 0, n)


@jit
def delay_stats_core(d: NDArray[np.float64], n: int) -> tuple[float, float]:
    """(95th percentile, population standard deviation) of the ``n`` first values of ``d``
    (finite delays [s], in arrival order; not modified): ``np.percentile(d, 95)`` (linear
    interpolation between the order statistics at rank 0.95 (n - 1), NumPy's ``_lerp``) and
    ``np.std(d)``, to the last bit; NaN, NaN when n is 0."""
    if n == 0:
        return np.nan, np.nan
    rank = (n - 1) * P95
    if rank >= n - 1:
        p95 = np.max(d[:n])
    else:
        k = int(np.floor(rank))
        gamma = rank - k
        part = np.partition(d[:n], k)  # the k-th smallest at k, larger ones after it
        lo, hi = part[k], np.min(part[k + 1:])
        diff = hi - lo
        p95 = hi - diff * (1.0 - gamma) if gamma >= 0.5 else lo + diff * gamma
    mean = _sum(d, n) / n
    x = np.empty(n)
    for i in range(n):
        x[i] = (d[i] - mean) * (d[i] - mean)
    return p95, np.sqrt(_sum(x, n) / n)


@jit
def freeze_time_core(t: NDArray[np.float64], ok: NDArray[np.bool_], n: int, end_s: float) -> float:
    """Freeze time [s] of the ``n`` first frames (see :func:`freeze_time_s`), summed as
    ``np.sum`` sums the frozen spans (first to last)."""
    span = np.empty(n)  # [run] frozen span of each run of lost frames
    n_run = 0
    nxt_t = end_s  # arrival of the next delivered frame after frame i
    for i in range(n - 1, -1, -1):  # runs found back to front, stored front to back below
        if ok[i]:
            nxt_t = t[i]
        elif i == 0 or ok[i - 1]:
            span[n_run] = nxt_t - t[i]
            n_run += 1
    span[:n_run] = span[:n_run][::-1].copy()
    return _sum(span, n_run)


@jit
def _call_stats(first, end, call, meas, five_qi, ok, delay_s, arrival_s, deadline_s, size_bits, span_s, end_s, out):
    """Per-call video and voice statistics, one pass over each call's packets (grouped by UE,
    arrival order): ``out`` [8, ue] rows video_bitrate_bps, video_frames, video_frame_loss,
    video_p95_delay_s, video_jitter_s, video_freeze_s, voice_packet_loss, voice_p95_delay_s
    (NaN where undefined; rows of UEs not in a call are left as they are)."""
    cap = 0
    for u in range(call.size):
        cap = max(cap, end[u] - first[u])
    t_v = np.empty(cap)  # [frame] arrival of the measured video frames
    ok_v = np.empty(cap, dtype=np.bool_)
    d_v = np.empty(cap)  # [frame] delay of the delivered ones
    bits = np.empty(cap)
    d_a = np.empty(cap)
    for u in range(call.size):
        if not call[u]:
            continue
        nv = nok = na = naok = nd = ndv = 0
        pdb = -np.inf
        for p in range(first[u], end[u]):
            if not meas[p]:
                continue
            if five_qi[p] == VIDEO_5QI:
                t_v[nv] = arrival_s[p]
                ok_v[nv] = ok[p]
                nv += 1
                pdb = max(pdb, deadline_s[p] - arrival_s[p])
                if ok[p]:
                    bits[nok] = size_bits[p]
                    nok += 1
                    if np.isfinite(delay_s[p]):
                        d_v[ndv] = delay_s[p]
                        ndv += 1
            elif five_qi[p] == VOICE_5QI:
                na += 1
                if ok[p]:
                    naok += 1
                    if np.isfinite(delay_s[p]):
                        d_a[nd] = delay_s[p]
                        nd += 1
        out[1, u] = nv
        if nv:  # frames counted arrive in [t0, t1 - PDB]
            out[0, u] = _sum(bits, nok) / max(span_s - pdb, 1e-12)
            out[2, u] = 1.0 - nok / nv
            out[5, u] = freeze_time_core(t_v, ok_v, nv, end_s)
        out[3, u], out[4, u] = delay_stats_core(d_v, ndv)
        if na:
            out[6, u] = 1.0 - naok / na
            out[7, u] = delay_stats_core(d_a, nd)[0]


def freeze_time_s(arrival_s: NDArray[np.float64], delivered: NDArray[np.bool_], end_s: float) -> float:
    """Freeze time [s] of one video stream: frames ``arrival_s`` [frame] (ascending) with
    ``delivered`` [frame]; each run of lost frames freezes the picture from the first lost
    frame's arrival to the next delivered frame's arrival (``end_s`` when none follows)."""
    t = np.ascontiguousarray(arrival_s, dtype=np.float64)
    ok = np.ascontiguousarray(delivered, dtype=bool)
    return float(freeze_time_core(t, ok, t.size, float(end_s)))


def delay_stats(delay_s: NDArray[np.float64]) -> tuple[float, float]:
    """(95th percentile, population standard deviation) of the finite delays [s]; NaN, NaN
    when there are none."""
    d = np.asarray(delay_s, dtype=np.float64)
    d = np.ascontiguousarray(d[np.isfinite(d)])
    p95, std = delay_stats_core(d, d.size)
    return float(p95), float(std)


_CALL_KEYS = (
    "video_bitrate_bps", "video_frames", "video_frame_loss", "video_p95_delay_s", "video_jitter_s",
    "video_freeze_s", "voice_packet_loss", "voice_p95_delay_s",
)


def call_columns(
    log, call: NDArray[np.bool_], t0_s: float, t1_s: float, *, max_loss: float, max_p95_delay_s: float
) -> dict[str, NDArray]:
    """Per-UE call columns for ``ue_slots.parquet`` from a :class:`nrsim.traffic.PacketLog`
    (grouped by UE, arrival order within a UE); UEs that are not in a call get NaN (and
    ``call_satisfied`` False). One compiled pass over the packets."""
    call = np.ascontiguousarray(call, dtype=bool)
    n = call.size
    stats = np.full((len(_CALL_KEYS), n), np.nan)  # [column, ue]
    ue = np.asarray(log.ue, dtype=np.int64)
    first = np.searchsorted(ue, np.arange(n), side="left")
    last = np.searchsorted(ue, np.arange(n), side="right")
    meas = (log.arrival_s >= t0_s) & (log.deadline_s <= t1_s)
    _call_stats(first, last, call, meas, np.ascontiguousarray(log.five_qi, dtype=np.int64),
                np.ascontiguousarray(log.delivered), *(np.ascontiguousarray(x, dtype=np.float64) for x in (
                    log.delay_s, log.arrival_s, log.deadline_s, log.size_bits)),
                float(max(t1_s - t0_s, 1e-12)), float(t1_s), stats)
    out = dict(zip(_CALL_KEYS, stats))
    nv = np.nan_to_num(out["video_frames"])
    vl, al, p95 = out["video_frame_loss"], out["voice_packet_loss"], out["video_p95_delay_s"]
    with np.errstate(invalid="ignore"):
        satisfied = call & (nv > 0) & (vl <= max_loss) & (np.isnan(al) | (al <= max_loss)) & np.isfinite(p95) & (
            p95 <= max_p95_delay_s)
    out["video_frames"] = np.where(call, nv, 0).astype(np.int64)
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
