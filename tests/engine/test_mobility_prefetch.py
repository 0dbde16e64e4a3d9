"""The channel refresh of moving UEs computed ahead on a worker thread
(:data:`nrsim.engine.mobility.PREFETCH_CHANNEL`) gives the numbers of the inline refresh,
bit for bit, and the worker ends with the step loop."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import nrsim
import nrsim.engine.mobility as em
from nrsim.engine.mobility import handover_params, large_scale_channel, mobility_steps, motion_drop
from nrsim.engine.snapshot import build_layout

CFG = ["deployment.rings=1", "deployment.ue.per_sector=8", "mobility.duration_s=0.6",
       "mobility.channel_update_ms=50", "mobility.speeds_kmh=[120]", "mobility.speed_shares=[1]"]


def _steps(prefetch: bool, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(em, "PREFETCH_CHANNEL", prefetch)
    cfg = nrsim.load_config("mobility-uma", CFG)
    md = motion_drop(cfg, 0, build_layout(cfg))
    load = np.full(md.state.layout.n_cells, 0.7)
    rows = []
    for k, _t, updated, rx, h in mobility_steps(cfg, md, handover_params(cfg), load=load):
        rows.append((k, updated, rx.copy(), h.serving.copy(), h.filtered["rsrp"].copy()))
        load *= 0.97  # the caller changes the load between steps, as a call run does
    return cfg, md, rows, h


def test_prefetched_refresh_is_the_inline_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, md, inline, h0 = _steps(False, monkeypatch)
    _, _, ahead, h1 = _steps(True, monkeypatch)
    assert sum(r[1] for r in ahead) == 12  # a refresh every 5 steps of 10 ms
    for a, b in zip(inline, ahead, strict=True):
        assert a[:2] == b[:2]
        for x, y in zip(a[2:], b[2:], strict=True):
            np.testing.assert_array_equal(x, y)
    assert h0.events == h1.events
    # the refresh is the large-scale channel at the step's positions (moving UEs: it changes)
    k = 35
    rx_k, _ = large_scale_channel(cfg, md, k)
    np.testing.assert_array_equal(ahead[k][2], rx_k)
    assert not np.array_equal(ahead[k][2], ahead[k - 5][2])


def test_worker_ends_when_the_caller_stops_early(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(em, "PREFETCH_CHANNEL", True)
    cfg = nrsim.load_config("mobility-uma", CFG)
    md = motion_drop(cfg, 0, build_layout(cfg))
    before = threading.active_count()
    steps = mobility_steps(cfg, md, handover_params(cfg))
    for k, *_ in steps:
        if k == 7:
            assert threading.active_count() == before + 1  # the worker computes step 10's channel
            break
    steps.close()
    assert threading.active_count() == before
