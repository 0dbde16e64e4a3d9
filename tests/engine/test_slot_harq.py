"""HARQ counts and chase combining; OLLA drives the first-transmission BLER to its target."""

from __future__ import annotations

import numpy as np
import pytest

import nrsim
from nrsim.engine.slot_harq import HarqEntity
from nrsim.link.level import link_level
from nrsim.units import db_to_lin

OLLA_BLER_TOL = 0.01
"""Unit loop: 80,000 first transmissions after convergence (binomial std 0.001; the jump
algorithm's own wander adds about as much)."""
ENGINE_BLER_TOL = 0.015
"""Whole simulator, UEs whose MCS is not pinned at MCS 0: ~30,000 first transmissions."""


def _entity(n_ue=3, n_proc=4, max_tx=3, rtt=4, olla=True, target=0.1):
    return HarqEntity(n_ue, n_proc, 2, max_transmissions=max_tx, rtt_slots=rtt, mcs_table_index=1,
                      olla=olla, olla_target_bler=target, olla_step_db=0.5, olla_max_offset_db=20.0)


def test_harq_counts_retransmissions_and_drop() -> None:
    h = _entity()
    ue = np.array([0, 1, 2])
    rbg = np.array([[True, False]] * 3)
    proc = h.start(ue, np.full(3, 10), np.full(3, 1800), np.full(3, 1800.0), 12, rbg)
    assert proc.tolist() == [0, 0, 0] and h.has_free_process().all()
    low = np.full(3, db_to_lin(-30.0))
    out = h.transmit(ue, proc, low, 0, np.full(3, 0.5))
    assert not out.ack.any() and out.first.all() and not out.dropped.any()
    assert h.retx_candidates(3, 12)[0].size == 0  # RTT 4 slots
    c_ue, c_proc = h.retx_candidates(4, 12)
    assert c_ue.tolist() == [0, 1, 2] and c_proc.tolist() == [0, 0, 0]
    assert h.retx_candidates(4, 10)[0].size == 0  # a 12-symbol TB needs 12 symbols
    out = h.transmit(c_ue, c_proc, low, 4, np.full(3, 0.5))
    assert not out.first.any() and not out.dropped.any()
    # chase combining: the SINRs add
    assert np.allclose(h.acc_sinr_lin[ue, proc], 2 * low)
    out = h.transmit(ue, proc, low, 8, np.full(3, 0.5))
    assert out.dropped.all() and not h.active.any()  # third failure = max transmissions
    assert h.n_tx[ue, proc].tolist() == [3, 3, 3]
    assert np.allclose(out.payload_bits, 1800.0)


def test_harq_ack_frees_process_and_processes_run_out() -> None:
    h = _entity(n_ue=1, n_proc=2)
    for _ in range(2):
        h.start(np.array([0]), np.array([0]), np.array([24]), np.array([24.0]), 12, np.array([[True, True]]))
    assert not h.has_free_process()[0]
    out = h.transmit(np.array([0]), np.array([1]), np.array([db_to_lin(30.0)]), 0, np.array([0.5]))
    assert out.ack.all() and h.has_free_process()[0] and h.active[0].tolist() == [True, False]
    # combining two transmissions at -3 dB each decodes what one cannot (MCS 0, thr about -6 dB)
    h2 = _entity(n_ue=1, n_proc=1, max_tx=4, olla=False)
    h2.start(np.array([0]), np.array([0]), np.array([1000]), np.array([1000.0]), 12, np.array([[True, True]]))
    g = np.array([db_to_lin(-9.0)])
    assert not h2.transmit(np.array([0]), np.array([0]), g, 0, np.array([0.5])).ack[0]
    assert h2.transmit(np.array([0]), np.array([0]), g * 3, 8, np.array([0.5])).ack[0]


def test_olla_converges_to_target_bler_unit() -> None:
    """400 independent UEs, one TB per step each: per-TB effective SINR N(10 dB, 2 dB), reports
    fixed at 12 dB (2 dB optimistic). After 150 steps the pooled BLER is the target."""
    rng = np.random.default_rng(5)
    ll = link_level(1)
    n = 400
    ue = np.arange(n)
    h = _entity(n_ue=n, n_proc=1, max_tx=1, target=0.1)
    rbg = np.ones((n, 2), dtype=bool)
    nacks = firsts = 0
    for t in range(350):
        true_db = 10.0 + 2.0 * rng.standard_normal(n)
        mcs = ll.mcs_for_sinr(12.0 - h.olla_offset_db)
        proc = h.start(ue, mcs, np.full(n, 8000), np.full(n, 8000.0), 12, rbg)
        out = h.transmit(ue, proc, db_to_lin(true_db), t, rng.random(n))
        if t >= 150:
            firsts += n
            nacks += int((~out.ack).sum())
    assert abs(nacks / firsts - 0.1) < OLLA_BLER_TOL
    assert np.median(h.olla_offset_db) > 1.0  # learnt the optimism of the reports


def _engine(over):
    cfg = nrsim.load_config("uma-default", [
        "deployment.rings=1", "deployment.ue.per_sector=4", "radio.bandwidth_mhz=20",
        "slots.enabled=true", *over], drops=1)
    return nrsim.run(cfg)


@pytest.mark.slow
def test_olla_drives_engine_bler_to_target() -> None:
    r = _engine(["slots.n_slots=2500", "slots.warmup_slots=500"])
    u = r.ue_slots
    free = u["mean_mcs"] > 0.5  # UEs pinned at MCS 0 cannot lower their MCS further
    first = u["first_transmissions"][free]
    bler = float((u["bler_first_tx"][free] * first).sum() / first.sum())
    assert free.mean() > 0.7
    assert abs(bler - 0.1) < ENGINE_BLER_TOL, bler


def test_engine_harq_counts_single_transmission() -> None:
    r = _engine(["slots.n_slots=300", "slots.warmup_slots=50", "slots.link_adaptation.harq_max_transmissions=1"])
    u = r.ue_slots
    assert np.array_equal(u["transmissions"], u["first_transmissions"])
    ok = u["first_transmissions"] > 0
    assert np.allclose(u["residual_bler"][ok], u["bler_first_tx"][ok])
    r2 = _engine(["slots.n_slots=300", "slots.warmup_slots=50", "slots.link_adaptation.harq_max_transmissions=4"])
    u2 = r2.ue_slots
    assert np.all(u2["transmissions"] >= u2["first_transmissions"])
    assert u2["transmissions"].sum() > u2["first_transmissions"].sum()
    assert r2.summary["kpis"]["slots"]["residual_bler"] < r2.summary["kpis"]["slots"]["bler_first_tx"]


@pytest.mark.parametrize("bad", ["slots.warmup_slots=2000", "slots.link_adaptation.olla_target_bler=0.7"])
def test_config_ranges(bad) -> None:
    with pytest.raises(nrsim.ConfigError):
        nrsim.load_config("uma-default", ["slots.enabled=true", bad])
