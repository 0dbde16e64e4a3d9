"""Call KPI definitions on constructed delay and loss sequences (values by hand), the
capacity crossing, and a small end-to-end video-call run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nrsim
from nrsim.engine.video_capacity import capacity_crossing, video_capacity
from nrsim.kpi.video import call_columns, delay_stats, freeze_time_s
from nrsim.traffic import PacketLog


def test_p95_and_jitter_by_hand() -> None:
    d = np.arange(1, 21) * 1e-3  # 1..20 ms
    p95, jit = delay_stats(d)
    # linear interpolation: rank 0.95 x 19 = 18.05 -> 19 ms + 0.05 ms; std = sqrt((n^2 - 1) / 12)
    assert p95 == pytest.approx(19.05e-3)
    assert jit == pytest.approx(np.sqrt((20**2 - 1) / 12) * 1e-3)
    assert all(np.isnan(delay_stats(np.array([np.nan]))))


def test_freeze_time_by_hand() -> None:
    t = np.arange(10.0)  # frames at 0..9 s
    ok = np.array([1, 1, 0, 0, 1, 1, 1, 1, 0, 0], bool)
    assert freeze_time_s(t, ok, 10.0) == pytest.approx((4 - 2) + (10 - 8))
    assert freeze_time_s(t, np.ones(10, bool), 10.0) == 0.0
    assert freeze_time_s(t, np.zeros(10, bool), 10.0) == pytest.approx(10.0)


def test_call_columns_on_a_constructed_log() -> None:
    # UE 0: 4 video frames (one lost) + 2 voice packets; UE 1: background (not a call)
    arrival = np.array([0.0, 0.1, 0.2, 0.3, 0.0, 0.02, 0.0])
    log = PacketLog(
        ue=np.array([0, 0, 0, 0, 0, 0, 1]), five_qi=np.array([2, 2, 2, 2, 1, 1, 9]),
        arrival_s=arrival, size_bits=np.array([1000.0, 1000.0, 1000.0, 1000.0, 300.0, 300.0, 8e6]),
        deadline_s=arrival + np.array([0.15] * 4 + [0.1, 0.1, np.inf]),
        completion_s=arrival + np.array([0.01, 0.02, np.nan, 0.03, 0.005, 0.005, 0.5]),
        discarded=np.array([False, False, True, False, False, False, False]),
    )
    order = np.lexsort((log.arrival_s, log.ue))
    log = PacketLog(**{k: getattr(log, k)[order] for k in
                       ("ue", "five_qi", "arrival_s", "size_bits", "deadline_s", "completion_s", "discarded")})
    c = call_columns(log, np.array([True, False]), 0.0, 1.0, max_loss=0.3, max_p95_delay_s=0.05)
    assert c["call"].tolist() == [True, False]
    assert c["video_frames"].tolist() == [4, 0]
    assert c["video_frame_loss"][0] == pytest.approx(0.25)
    assert c["video_bitrate_bps"][0] == pytest.approx(3000.0 / (1.0 - 0.15))
    # delivered delays 10, 20, 30 ms: rank 0.95 x 2 = 1.9 -> 20 + 0.9 x 10 ms
    assert c["video_p95_delay_s"][0] == pytest.approx(0.029)
    assert c["video_freeze_s"][0] == pytest.approx(0.1)  # frame at 0.2 lost, next delivered at 0.3
    assert c["voice_packet_loss"][0] == 0.0
    assert c["call_satisfied"].tolist() == [True, False]
    strict = call_columns(log, np.array([True, False]), 0.0, 1.0, max_loss=0.01, max_p95_delay_s=0.05)
    assert not strict["call_satisfied"][0]
    assert np.isnan(c["video_frame_loss"][1])


def test_capacity_crossing() -> None:
    assert capacity_crossing([2, 4, 6, 8], [1.0, 0.97, 0.93, 0.5]) == pytest.approx(4 + 0.02 / 0.04 * 2)
    assert capacity_crossing([2, 4], [1.0, 0.99]) == 4.0
    assert capacity_crossing([2, 4], [0.9, 0.8]) == 0.0


VIDEO_SMALL = ["deployment.rings=0", "deployment.ue.per_sector=4", "radio.bandwidth_mhz=20",
               "slots.enabled=true", "slots.n_slots=1200", "slots.warmup_slots=100",
               "slots.traffic.model=video_call", "slots.traffic.background_ftp_share=0.25",
               "slots.scheduler.name=qos"]


def test_video_call_run_end_to_end(tmp_path: Path) -> None:
    cfg = nrsim.load_config("uma-default", VIDEO_SMALL, drops=1)
    r = nrsim.run(cfg, out_dir=tmp_path / "a")
    ue = pd.read_parquet(tmp_path / "a" / "ue_slots.parquet")
    for col in ("call", "video_bitrate_bps", "video_p95_delay_s", "video_jitter_s", "video_frame_loss",
                "video_freeze_s", "voice_packet_loss", "call_satisfied"):
        assert col in ue, col
    v = json.loads((tmp_path / "a" / "summary.json").read_text())["kpis"]["slots"]["video"]
    calls = ue[ue["call"]]
    assert v["n_calls"] == len(calls) > 0
    assert v["satisfied_share"] == pytest.approx(calls["call_satisfied"].mean())
    # light load (about 2 Mbit/s per call in 20 MHz): video is carried at its offered rate
    assert calls["video_bitrate_bps"].median() == pytest.approx(cfg.slots.traffic.video_bitrate_bps, rel=0.2)
    # (a call with no delivered frame, here a cell-edge UE below MCS 0, has no delay: NaN)
    delay = calls["video_p95_delay_s"].dropna()
    assert len(delay) >= len(calls) - 1 and (delay <= cfg.slots.traffic.video_pdb_s).all()
    b = nrsim.run(cfg)
    pd.testing.assert_frame_equal(r.ue_slots, b.ue_slots)


def test_video_capacity_curve() -> None:
    cfg = nrsim.load_config("uma-default", [*VIDEO_SMALL, "slots.n_slots=600"], drops=1)
    cap = video_capacity(cfg, [1, 3])
    assert cap.calls_per_cell.shape == (2,) and np.all((cap.satisfied_share >= 0) & (cap.satisfied_share <= 1))
    assert 0.0 <= cap.capacity_calls_per_cell <= cap.calls_per_cell[-1]


def test_freeze_time_against_a_loop_oracle() -> None:
    """The vectorised freeze time equals a plain loop over the frames (random streams)."""
    rng = np.random.default_rng(4)
    for _ in range(50):
        n = int(rng.integers(1, 60))
        t = np.sort(rng.uniform(0, 2, n))
        ok = rng.random(n) < rng.uniform(0.2, 1.0)
        end = 2.5
        total, i = 0.0, 0
        while i < n:  # oracle: each lost run freezes until the next delivered frame (or the end)
            if ok[i]:
                i += 1
                continue
            j = i
            while j < n and not ok[j]:
                j += 1
            total += (t[j] if j < n else end) - t[i]
            i = j
        assert freeze_time_s(t, ok, end) == pytest.approx(total, abs=1e-12)
