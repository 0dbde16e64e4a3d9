"""Traffic: Poisson file arrivals, per-UE FIFO buffers and file delays of FTP model 3, and
served load = offered load below saturation in the full simulator."""

from __future__ import annotations

import numpy as np
import pytest

import nrsim
from nrsim.traffic import FtpModel3, FullBuffer, poisson_arrivals

SERVED_VS_ARRIVED_TOL = 0.05
"""Served bits over the window against the bits that arrived in it: they differ only by the
files in flight at the window's two edges (a few files out of ~400 at ~40 % load)."""
SERVED_VS_OFFERED_TOL = 0.15
"""Against the nominal offered load lambda x size x n_ue: about 3 standard deviations of the
Poisson number of arrivals (~420 files)."""


def test_poisson_arrivals_statistics() -> None:
    ue, t = poisson_arrivals(2000, 3.0, 10.0, rng=np.random.default_rng(1))
    counts = np.bincount(ue, minlength=2000)
    assert abs(counts.mean() - 30.0) < 0.5 and abs(counts.var() - 30.0) < 3.0  # Poisson: mean = var
    assert np.all(np.diff(ue) >= 0)
    same = np.diff(ue) == 0
    assert np.all(np.diff(t)[same] >= 0) and t.min() >= 0 and t.max() < 10.0
    # N uniform points on [0, T) leave gaps of mean T / (N + 1) between them
    gaps = np.diff(t)[same]
    n_gaps = np.maximum(counts - 1, 0)
    expected = np.sum(n_gaps * 10.0 / (counts + 1)) / n_gaps.sum()
    assert abs(gaps.mean() - expected) < 0.005


def test_ftp_buffer_and_file_completion_by_hand() -> None:
    ftp = FtpModel3(2, file_size_bits=1000.0, arrival_rate_hz=5.0, duration_s=2.0, rng=np.random.default_rng(3))
    log = ftp.file_log()
    n0 = int((log.ue == 0).sum())
    assert n0 >= 3
    a0 = log.arrival_s[log.ue == 0]
    ftp.advance_to(a0[1] + 1e-9)  # the first two files of UE 0 have arrived
    assert ftp.queued_bits()[0] == 2000.0
    ftp.take(np.array([1500.0, 0.0]))
    assert ftp.queued_bits()[0] == 500.0
    ftp.deliver(np.array([999.0, 0.0]), 1.0)
    assert np.isnan(ftp.file_log().completion_s[0])
    ftp.deliver(np.array([1.0, 0.0]), 1.5)  # file 1 complete at 1.5 s
    ftp.give_back(np.array([500.0, 0.0]))  # a dropped TB returns its bits
    assert ftp.queued_bits()[0] == 1000.0
    ftp.take(np.array([1000.0, 0.0]))
    ftp.deliver(np.array([1000.0, 0.0]), 2.0)
    c = ftp.file_log().completion_s
    assert c[0] == 1.5 and c[1] == 2.0 and np.all(np.isnan(c[2:n0]))
    fb = FullBuffer(3)
    assert np.all(np.isinf(fb.queued_bits()))


@pytest.mark.slow
def test_ftp_served_load_equals_offered_load() -> None:
    size_bytes, rate_hz = 100_000.0, 2.0
    cfg = nrsim.load_config("uma-default", [
        "deployment.rings=1", "deployment.ue.per_sector=5", "radio.bandwidth_mhz=20", "radio.scs_khz=15",
        "slots.enabled=true", "slots.n_slots=2200", "slots.warmup_slots=200", "slots.traffic.model=ftp3",
        f"slots.traffic.ftp_file_size_bytes={size_bytes}", f"slots.traffic.ftp_arrival_rate_hz={rate_hz}",
    ], drops=1)
    r = nrsim.run(cfg)
    ftp = r.summary["kpis"]["slots"]["ftp"]
    n_ue = len(r.ue_slots)
    offered = rate_hz * 8 * size_bytes * n_ue
    assert np.isclose(ftp["offered_load_bps"], offered)
    t_meas = r.summary["kpis"]["slots"]["measured_time_s"]
    arrived = ftp["files_arrived"] * 8 * size_bytes / t_meas
    assert abs(ftp["served_load_bps"] / arrived - 1.0) < SERVED_VS_ARRIVED_TOL
    assert abs(ftp["served_load_bps"] / offered - 1.0) < SERVED_VS_OFFERED_TOL
    assert r.summary["kpis"]["slots"]["prb_utilisation"] < 0.7  # below saturation
    assert ftp["files_completed"] > 0.8 * ftp["files_arrived"]  # the rest arrive near the end
    d = ftp["file_delay_s"]
    assert 0 < d["5"] <= d["50"] <= d["95"]
