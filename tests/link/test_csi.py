"""The slot core's CSI reports (:mod:`nrsim.link.csi`) against the static slot engine's
measurement (:func:`nrsim.engine.slot_kernels.csi_measure`) and a brute-force EESM oracle:
a subband CQI is that of all PRBs of the subband, a wideband CQI that of all PRBs of the band
(TS 38.214 V17 5.2.2.1; :func:`nrsim.link.adaptation.subband_cqi`, one core for both engines)."""

from __future__ import annotations

import numpy as np

from nrsim.engine import slot_kernels as sk
from nrsim.link.level import link_level
from nrsim.link.csi import cqi_records, middle_prb_gains, subband_report, wideband_report
from nrsim.link.eesm import eesm_effective_sinr_lin

THR_REL_TOL = 1e-9
"""A CQI threshold met within this relative margin may round either way (float32 gains,
different operation order): such draws are skipped, not compared."""


def _tables():
    ll = link_level(1)
    thr_lin = 10 ** (ll.cqi_thr_db / 10)
    return ll, thr_lin, cqi_records(ll.cqi_thr_db, thr_lin, ll.cqi_beta, ll.cqi_sinr_db)


def _eesm_cqi(x, thr_lin, beta) -> tuple[int, bool]:
    """(the highest CQI whose EESM over ``x`` meets its threshold, 0 if none; whether any CQI
    sits within :data:`THR_REL_TOL` of its threshold) by trying every CQI from the top."""
    ratio = np.array([float(eesm_effective_sinr_lin(x, b)) for b in beta]) / thr_lin
    met = np.flatnonzero(ratio >= 1.0)
    return (int(met[-1]) + 1 if met.size else 0), bool((np.abs(ratio - 1.0) < THR_REL_TOL).any())


def _rbgs(rng, n_rbg: int, size: int) -> np.ndarray:
    """RBG boundaries [rbg + 1] of ``n_rbg`` RBGs of ``size`` PRBs, the last one shorter."""
    first = np.arange(n_rbg + 1, dtype=np.int64) * size
    first[-1] -= int(rng.integers(0, size))
    return first


def test_subband_report_is_the_static_engines_csi_on_the_same_prb_sinrs() -> None:
    """The same per-PRB SINRs (serving link faded, interferers unfaded with per-RBG activity)
    through the static engine's kernel and the core's report: equal subband CQIs, equal mean
    SINR, and each CQI the EESM oracle's."""
    ll, thr_lin, CQ = _tables()
    rng = np.random.default_rng(21)
    n_ue, n_int, n_rbg = 40, 3, 9
    first = _rbgs(rng, n_rbg, 16)
    n_prb = int(first[-1])
    bank = np.ones((n_ue + 1, n_prb), dtype=np.float32)  # row n_ue: the interferers' flat channel
    bank[:n_ue] = rng.exponential(size=(n_ue, n_prb)).astype(np.float32)  # Rayleigh-faded PRBs
    n_cells = 1 + n_int
    link_cell = np.tile(np.arange(n_cells, dtype=np.int64), (n_ue, 1))  # serving cell 0
    rows = np.full((n_ue, n_cells), n_ue, dtype=np.int64)
    rows[:, 0] = np.arange(n_ue)
    noise_mw = 1e-12
    link_rx_mw = noise_mw * 10 ** rng.uniform(-1.0, 3.0, (n_ue, n_cells))
    link_rx_mw[:, 0] = noise_mw * 10 ** rng.uniform(-0.5, 3.0, n_ue)
    active = rng.random((n_cells, n_rbg)) < 0.5
    resid_mw = noise_mw * rng.uniform(0.0, 2.0, n_ue)
    old_cqi = np.empty((n_ue, n_rbg), dtype=np.int64)
    old_wb = np.empty(n_ue)
    sk.csi_measure(np.arange(n_ue), first, link_cell, link_rx_mw, rows, bank, active, resid_mw, noise_mw,
                   np.ascontiguousarray(thr_lin), np.ascontiguousarray(ll.cqi_beta), old_cqi, old_wb)
    ring = np.zeros((1, n_ue, n_rbg))
    buf = np.empty(n_prb)
    n_checked = 0
    for u in range(n_ue):
        i_rbg_mw = resid_mw[u] + noise_mw + link_rx_mw[u, 1:] @ active[1:]  # [rbg]
        _, mean_lin = subband_report(link_rx_mw[u, 0], np.repeat(i_rbg_mw, np.diff(first)), bank, u, first, CQ, buf, ring, 0, u)
        np.testing.assert_allclose(mean_lin, old_wb[u], rtol=1e-12)
        for r in range(n_rbg):
            x = link_rx_mw[u, 0] / i_rbg_mw[r] * bank[u, first[r]:first[r + 1]].astype(np.float64)
            want, tie = _eesm_cqi(x, thr_lin, ll.cqi_beta)
            if tie:
                continue
            assert old_cqi[u, r] == want, (u, r)
            assert ring[0, u, r] == CQ["sinr_db"][want], (u, r, ring[0, u, r], want)
            n_checked += 1
    assert n_checked > 0.95 * n_ue * n_rbg
    assert len(np.unique(old_cqi)) > 8  # the draws span the CQI range


def test_subband_cqi_reads_every_prb_not_the_middle_one() -> None:
    """A subband whose middle PRB is strong and the others deep-faded reports the low CQI of
    the whole subband (a one-PRB sample reports the middle PRB's CQI 15)."""
    ll, thr_lin, CQ = _tables()
    first = np.array([0, 16, 32], dtype=np.int64)
    bank = np.full((1, 32), 0.05, dtype=np.float32)
    bank[0, (first[:-1] + first[1:]) // 2] = 20.0
    s_mw, i_mw = 1.0, np.array([0.01, 0.01])  # 20 dB mean SINR: the middle PRB at 33 dB, the rest at 7 dB
    ring = np.zeros((1, 1, 2))
    subband_report(s_mw, np.repeat(i_mw, 16), bank, 0, first, CQ, np.empty(32), ring, 0, 0)
    want, _ = _eesm_cqi(s_mw / i_mw[0] * bank[0, :16].astype(np.float64), thr_lin, ll.cqi_beta)
    middle = int(np.searchsorted(thr_lin, s_mw / i_mw[0] * 20.0, side="right"))
    assert middle == 15 and want <= 8
    np.testing.assert_array_equal(ring[0, 0], CQ["sinr_db"][[want, want]])


def test_wideband_report_is_the_mi_cqi_of_the_rbg_middle_prbs() -> None:
    """The wideband CQI is that of the mutual-information average SINR of each RBG's middle
    PRB, and its mean SINR the mean over those PRBs."""
    ll, thr_lin, CQ = _tables()
    rng = np.random.default_rng(4)
    first = _rbgs(rng, 17, 16)
    n_prb = int(first[-1])
    mid = (first[:-1] + first[1:]) // 2
    bank = rng.exponential(size=(30, n_prb)).astype(np.float32)
    ring = np.zeros((1, 30, 17))
    seen = set()
    thr_db = 10.0 * np.log10(thr_lin)
    for u in range(30):
        inv = 10 ** rng.uniform(-1.0, 3.0)
        eff_db, mean_lin = wideband_report(inv, np.ones(17), middle_prb_gains(bank, first), u, CQ, ring, 0, u)
        x = inv * bank[u, mid].astype(np.float64)
        np.testing.assert_allclose(mean_lin, x.mean(), rtol=1e-12)
        mi_db = 10.0 * np.log10(2.0 ** np.mean(np.log2(1.0 + x)) - 1.0)
        np.testing.assert_allclose(eff_db, mi_db, rtol=1e-9, atol=1e-9)
        if np.min(np.abs(thr_db - mi_db)) > 1e-6:
            want = int(np.searchsorted(thr_db, mi_db, side="right"))
            assert ring[0, u, 0] == CQ["sinr_db"][want], u
            seen.add(want)
    assert len(seen) > 5
