"""The compiled call KPIs equal the per-call NumPy definitions bit for bit: np.percentile
(linear), np.std and np.sum of each call's packets (the slow per-UE loop, kept here as the
oracle), on random packet logs with lost, late, discarded and never-completed packets."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.kpi.video import _sum, call_columns, delay_stats, freeze_time_s
from nrsim.traffic import PacketLog


def _freeze_oracle(t: np.ndarray, ok: np.ndarray, end_s: float) -> float:
    if t.size == 0:
        return 0.0
    start = ~ok & np.concatenate([[True], ok[:-1]])
    idx = np.where(ok, np.arange(t.size), t.size)
    nxt = np.minimum.accumulate(idx[::-1])[::-1]
    return float(np.sum(np.append(t, end_s)[nxt][start] - t[start]))


def _stats_oracle(d: np.ndarray) -> tuple[float, float]:
    d = d[np.isfinite(d)]
    if d.size == 0:
        return float("nan"), float("nan")
    return float(np.percentile(d, 95)), float(np.std(d))


def _call_columns_oracle(log: PacketLog, call: np.ndarray, t0: float, t1: float, max_loss: float, max_p95: float):
    """The per-UE loop of the definitions in docs/video.md (nrsim 0.x before the compiled pass)."""
    n = call.size
    keys = ("video_bitrate_bps", "video_frames", "video_frame_loss", "video_p95_delay_s", "video_jitter_s",
            "video_freeze_s", "voice_packet_loss", "voice_p95_delay_s")
    out = {k: np.full(n, np.nan) for k in keys}
    sat = np.zeros(n, dtype=bool)
    meas = (log.arrival_s >= t0) & (log.deadline_s <= t1)
    ok_all, d_all = log.delivered, log.delay_s
    span = max(t1 - t0, 1e-12)
    for u in np.flatnonzero(call):
        s = log.ue == u
        m, qi, ok, d = meas[s], log.five_qi[s], ok_all[s], d_all[s]
        v, a = m & (qi == 2), m & (qi == 1)
        nv = int(v.sum())
        out["video_frames"][u] = nv
        if nv:
            pdb = float(np.max(log.deadline_s[s][v] - log.arrival_s[s][v]))
            out["video_bitrate_bps"][u] = float(log.size_bits[s][v & ok].sum()) / max(span - pdb, 1e-12)
            out["video_frame_loss"][u] = 1.0 - ok[v].mean()
            out["video_freeze_s"][u] = _freeze_oracle(log.arrival_s[s][v], ok[v], t1)
        out["video_p95_delay_s"][u], out["video_jitter_s"][u] = _stats_oracle(d[v & ok])
        if a.any():
            out["voice_packet_loss"][u] = 1.0 - ok[a].mean()
            out["voice_p95_delay_s"][u] = _stats_oracle(d[a & ok])[0]
        vl, al, p95 = out["video_frame_loss"][u], out["voice_packet_loss"][u], out["video_p95_delay_s"][u]
        sat[u] = bool(nv > 0 and vl <= max_loss and (np.isnan(al) or al <= max_loss) and np.isfinite(p95)
                      and p95 <= max_p95)
    out["video_frames"] = np.where(call, np.nan_to_num(out["video_frames"]), 0).astype(np.int64)
    return out, sat


def _random_log(rng: np.random.Generator, n_ue: int) -> PacketLog:
    counts = rng.integers(0, 700, n_ue)
    counts[:3] = 0, 1, 2  # no packet, one, two
    ue = np.repeat(np.arange(n_ue), counts)
    qi = rng.choice([1, 2, 2, 9], ue.size)
    qi[ue == 5] = 1  # a call with voice only
    t = rng.random(ue.size) * 10.0
    order = np.lexsort((t, ue))
    ue, qi, t = ue[order], qi[order], t[order]
    pdb = np.where(qi == 2, 0.15, np.where(qi == 1, 0.1, np.inf))
    delay = rng.exponential(0.03, ue.size) * np.where(ue % 4 == 0, 4.0, 1.0)  # some calls mostly late
    done = t + delay
    done[rng.random(ue.size) < 0.05] = np.nan
    disc = rng.random(ue.size) < np.where(ue % 7 == 0, 0.5, 0.02)
    return PacketLog(ue=ue, five_qi=qi, arrival_s=t, size_bits=np.round(rng.uniform(5e3, 9e4, ue.size)),
                     deadline_s=t + pdb, completion_s=done, discarded=disc)


@pytest.mark.parametrize("seed", [0, 1])
def test_call_columns_equal_the_per_call_definitions(seed: int) -> None:
    rng = np.random.default_rng(seed)
    log = _random_log(rng, 40)
    call = rng.random(40) < 0.8
    call[:3] = True
    call[5] = True
    got = call_columns(log, call, 1.0, 9.0, max_loss=0.05, max_p95_delay_s=0.08)
    want, sat = _call_columns_oracle(log, call, 1.0, 9.0, 0.05, 0.08)
    for k, w in want.items():
        assert got[k].dtype == w.dtype, k
        assert got[k].tobytes() == w.tobytes(), k
    np.testing.assert_array_equal(got["call_satisfied"], sat)
    assert 0 < sat.sum() < call.sum()  # both outcomes occur


def test_sum_std_percentile_and_freeze_match_numpy_bit_for_bit() -> None:
    rng = np.random.default_rng(7)
    for n in [*range(1, 300), 1000, 4097]:
        d = rng.exponential(0.02, n) * 10.0 ** rng.uniform(-2, 1, n)
        assert _sum(d, n) == np.sum(d)
        assert delay_stats(d) == (float(np.percentile(d, 95)), float(np.std(d)))
        ok = rng.random(n) < 0.8
        t = np.cumsum(rng.random(n))
        assert freeze_time_s(t, ok, t[-1] + 0.5) == _freeze_oracle(t, ok, t[-1] + 0.5)
