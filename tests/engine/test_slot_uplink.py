"""Uplink: PUSCH open-loop power control (TS 38.213 7.1.1) by hand, power never above the
maximum in the simulator, and the UL interference kernel against a slow loop oracle."""

from __future__ import annotations

import numpy as np

import nrsim
from nrsim.engine import slot_kernels as sk
from nrsim.radio.uplink import pusch_tx_power_dbm


def test_pusch_power_by_hand() -> None:
    # P0 -60 dBm, alpha 0.8, PL 110 dB, 10 PRBs at mu = 1: -60 + 10 log10(20) + 88 = 41.0 -> 23
    assert np.isclose(pusch_tx_power_dbm(-60.0, 0.8, 110.0, 10, 1, 23.0), 23.0)
    # PL 80 dB: -60 + 13.0103 + 64 = 17.0103 dBm (below P_CMAX)
    assert np.isclose(pusch_tx_power_dbm(-60.0, 0.8, 80.0, 10, 1, 23.0), -60 + 10 * np.log10(20) + 64)
    # full compensation, 1 PRB at 15 kHz: P0 + PL
    assert np.isclose(pusch_tx_power_dbm(-100.0, 1.0, 90.0, 1, 0, 23.0), -10.0)
    p = pusch_tx_power_dbm(-80.0, 0.6, np.array([70.0, 100.0, 140.0]), np.array([5, 50, 100]), 1, 23.0)
    assert np.all(p <= 23.0) and p[0] < p[1]


def test_uplink_power_never_above_maximum_and_ul_runs() -> None:
    cfg = nrsim.load_config("uma-default", [
        "deployment.rings=1", "deployment.ue.per_sector=4", "radio.bandwidth_mhz=20",
        "slots.enabled=true", "slots.n_slots=400", "slots.warmup_slots=50", "slots.uplink.enabled=true",
        "slots.uplink.p_max_dbm=20", "slots.uplink.p0_dbm=-70", "slots.uplink.alpha=0.8",
    ], drops=1)
    r = nrsim.run(cfg)
    u = r.ue_slots
    assert np.nanmax(u["ul_max_tx_power_dbm"]) <= 20.0 + 1e-9
    assert (u["ul_mean_tx_power_dbm"] < 19.0).any()  # close UEs are not at the maximum
    ul = r.summary["kpis"]["slots"]["uplink"]
    assert ul["max_tx_power_dbm"] <= 20.0 + 1e-9
    assert ul["cell_spectral_efficiency_bps_per_hz"] > 0 and ul["user_throughput_bps"]["mean"] > 0
    assert 0 < r.cell_slots["ul_prb_utilisation"].mean() <= 1.0


def test_ul_interference_kernel_matches_loop() -> None:
    rng = np.random.default_rng(7)
    n_ue, n_cells, n_prb, n_link = 12, 4, 10, 3
    rbg_first = np.array([0, 4, 8, 10])
    serving = rng.integers(0, n_cells, n_ue)
    gain = rng.exponential(1e-10, (n_ue, n_cells))
    link_cell = np.stack([serving, (serving + 1) % n_cells, (serving + 2) % n_cells], axis=1)
    bank = rng.exponential(1.0, (20, n_prb)).astype(np.float32)
    rows = rng.integers(0, 20, (n_ue, n_link))
    tx_ue = np.array([0, 3, 5, 9])
    tx_rbg = rng.random((4, 3)) < 0.6
    p = rng.uniform(1.0, 100.0, 4)
    out = np.empty((n_cells, n_prb))
    sk.ul_interference(tx_ue, tx_rbg, p, rbg_first, serving, gain, link_cell, rows, bank, n_prb, out)
    ref = np.zeros((n_cells, n_prb))
    for i, u in enumerate(tx_ue):
        for c in range(n_cells):
            if c == serving[u]:
                continue
            k = list(link_cell[u]).index(c) if c in link_cell[u] else None
            for r in range(3):
                if tx_rbg[i, r]:
                    for q in range(rbg_first[r], rbg_first[r + 1]):
                        fade = bank[rows[u, k], q] if k is not None else 1.0
                        ref[c, q] += p[i] * gain[u, c] * fade
    assert np.allclose(out, ref, rtol=1e-6)
