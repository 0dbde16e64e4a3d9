"""What the mobile call engine does to a UE's link state at a handover and at a radio-link
failure (nrsim.engine.calls._Drop.serve; docs/video.md, issue 18), and the ablation switches
of ``mobility.handover``. A tiny drop (one site, two UEs per sector); the state is set by hand
and the expected values follow from the documented rules."""

from __future__ import annotations

import numpy as np
import pytest

import nrsim
from nrsim.engine import call_kernels as ck
from nrsim.engine import calls as calls_mod
from nrsim.engine.calls import _Drop
from nrsim.engine.mobility import handover_params, mobility_steps, motion_drop
from nrsim.engine.snapshot import build_layout

VIDEO_DL = 1  # queue index of the DL video channel (N_LCH x DL + 1)


def _drop(*ov: str) -> _Drop:
    cfg = nrsim.load_config("video-calls-uma", [
        "deployment.rings=0", "deployment.ue.per_sector=2", "mobility.duration_s=0.05", "slots.warmup_slots=10",
        "slots.fading.bank_rows=256", "slots.traffic.capacity_calls_per_cell=[]", *ov], seed=3)
    layout = build_layout(cfg)
    md = motion_drop(cfg, 0, layout)
    dr = _Drop(cfg, md, layout.n_cells)
    _, _, _, rx, hstate = next(mobility_steps(cfg, md, handover_params(cfg)))
    dr.channel(rx)
    dr.serve(hstate.serving)
    return dr


def _busy(dr: _Drop, u: int, bits: float = 1000.0) -> None:
    """UE u: OLLA at 7 dB in both directions and one DL HARQ process holding ``bits`` of video."""
    dr.olla_db[:, u] = 7.0
    dr.H["act"][ck.DL, u, 0] = True
    dr.H["part_bits"][ck.DL, u, 0, 1] = bits
    dr.Q["taken"][VIDEO_DL, u] = bits
    dr.Q["arrived"][VIDEO_DL, u] = bits


def test_radio_link_failure_back_to_the_same_cell_resets_the_link() -> None:
    # RRC re-establishment resets the MAC (TS 38.331 5.3.7.2) even when the UE comes back to
    # the cell it failed in; before the fix only a change of serving cell did
    dr = _drop()
    _busy(dr, 0)
    _busy(dr, 1)
    dr.reported_db[0] = 30.0
    lost = np.zeros(dr.n_ue, dtype=bool)
    lost[0] = True
    dr.serve(dr.serving.copy(), lost)
    assert dr.olla_db[:, 0].tolist() == [0.0, 0.0]
    assert not dr.H["act"][ck.DL, 0].any()
    assert dr.Q["taken"][VIDEO_DL, 0] == 0.0  # the TB's bits are queued again
    assert dr.reported_db[0, 0] == pytest.approx(dr.geometry_db(np.array([0]))[0])
    # the other UE keeps its state
    assert dr.olla_db[:, 1].tolist() == [7.0, 7.0]
    assert dr.H["act"][ck.DL, 1, 0] and dr.Q["taken"][VIDEO_DL, 1] == 1000.0


def _handover(dr: _Drop, u: int = 0) -> None:
    serving = dr.serving.copy()
    serving[u] = (serving[u] + 1) % dr.n_cells
    dr.serve(serving)


def test_handover_resets_by_default() -> None:
    dr = _drop()
    _busy(dr, 0)
    _handover(dr)
    assert dr.olla_db[:, 0].tolist() == [0.0, 0.0]
    assert not dr.H["act"][ck.DL, 0].any() and dr.Q["taken"][VIDEO_DL, 0] == 0.0


def test_switches_keep_harq_and_olla() -> None:
    dr = _drop("mobility.handover.harq_reset_at_handover=false", "mobility.handover.olla_reset_at_handover=false")
    _busy(dr, 0)
    _handover(dr)
    assert dr.olla_db[:, 0].tolist() == [7.0, 7.0]
    assert dr.H["act"][ck.DL, 0, 0] and dr.Q["taken"][VIDEO_DL, 0] == 1000.0


def test_olla_start_offset_at_start_and_reset_within_the_bound() -> None:
    dr = _drop("mobility.handover.olla_start_offset_db=3")
    assert np.all(dr.olla_db == 3.0)
    _busy(dr, 0)
    _handover(dr)
    assert dr.olla_db[:, 0].tolist() == [3.0, 3.0]
    dr = _drop("mobility.handover.olla_start_offset_db=20", "slots.link_adaptation.olla_max_offset_db=6")
    assert np.all(dr.olla_db == 6.0)


def test_csi_switch_keeps_the_reports() -> None:
    dr = _drop("mobility.handover.csi_reset_at_handover=false")
    dr.reported_db[0] = 30.0
    dr.csi_ok[:, 0] = True
    _handover(dr)
    assert np.all(dr.reported_db[0] == 30.0) and dr.csi_ok[:, 0].all()
    dr = _drop()
    dr.reported_db[0] = 30.0
    dr.csi_ok[:, 0] = True
    _handover(dr)
    assert not dr.csi_ok[:, 0].any() and dr.reported_db[0, 0] < 30.0


def test_doppler_speed_overrides_every_ues_speed(monkeypatch) -> None:
    seen = []
    real = calls_mod.build_fading_bank

    def spy(model, ds_s, freqs, classes, *a, **k):
        seen.append(np.asarray(classes, dtype=float).copy())
        return real(model, ds_s, freqs, classes, *a, **k)

    monkeypatch.setattr(calls_mod, "build_fading_bank", spy)
    _drop("deployment.ue.indoor_fraction=0")  # every UE at 30 or 60 km/h
    assert set(seen[-1]) <= {30.0, 60.0} and seen[-1].size >= 1
    _drop("deployment.ue.indoor_fraction=0", "slots.fading.doppler_speed_kmh=3")
    assert seen[-1].tolist() == [3.0]


def test_handover_marks_the_cached_subband_rates_stale() -> None:
    # the frequency-selective scheduler caches each UE's DL rate per RBG from its CSI and OLLA;
    # a handover resets both, so the cache must be recomputed before the next scheduling
    dr = _drop("slots.scheduler.frequency_selective=true")
    dr.UE["dl_stale"][:] = False
    _busy(dr, 0)
    _handover(dr)
    assert dr.UE["dl_stale"][0]
    assert not dr.UE["dl_stale"][1]
