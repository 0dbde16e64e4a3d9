"""The compiled link-adaptation cores (nrsim.link.adaptation) against their NumPy references."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.link.level import link_level
from nrsim.link import adaptation as la
from nrsim.link.bler import bler_curves, logistic_bler, transport_block_bler
from nrsim.link.eesm import eesm_effective_sinr_lin
from nrsim.link.mcs import mcs_table
from nrsim.link.tbs import code_block_segmentation


def test_eesm_accumulator_matches_the_array_form() -> None:
    rng = np.random.default_rng(1)
    for _ in range(200):
        n = int(rng.integers(1, 40))
        x = 10 ** rng.uniform(-2, 3, n)
        beta = float(rng.uniform(0.5, 60.0))
        m, s = -np.inf, 0.0
        for v in x:
            m, s = la.eesm_add(float(v), beta, m, s)
        assert la.eesm_value(beta, m, s, n) == pytest.approx(float(eesm_effective_sinr_lin(x, beta)), rel=1e-12)
    assert la.eesm_value(1.0, -np.inf, 0.0, 0) == 0.0
    # EESM of equal SINRs is that SINR; it never exceeds the arithmetic mean
    m, s = -np.inf, 0.0
    for _ in range(5):
        m, s = la.eesm_add(7.0, 3.0, m, s)
    assert la.eesm_value(3.0, m, s, 5) == pytest.approx(7.0, rel=1e-12)


def test_mcs_choice_is_the_highest_threshold_met() -> None:
    thr = np.ascontiguousarray(link_level(1).mcs_thr_db)
    x = np.linspace(thr[0] - 5, thr[-1] + 5, 997)
    ref = np.clip(np.searchsorted(thr, x, side="right") - 1, 0, thr.size - 1)
    got = la.mcs_for_sinr_array(thr, x)
    assert np.array_equal(got, ref)
    assert [la.mcs_for_sinr(thr, float(v)) for v in x[::50]] == ref[::50].tolist()
    assert la.mcs_for_sinr(thr, float(thr[5])) == 5  # a threshold met exactly counts
    assert la.mcs_for_sinr_array(thr, x.reshape(997, 1)).shape == (997, 1)


def test_tb_bler_matches_the_link_module() -> None:
    rng = np.random.default_rng(2)
    tab = mcs_table(1)
    for _ in range(300):
        mcs = int(rng.integers(0, tab.n_mcs))
        tbs = int(rng.choice([0, 24, 500, 3800, 20000, 150000]))
        snr_db = float(rng.uniform(-10, 30))
        c, k = code_block_segmentation(np.array([tbs]), tab.code_rate[[mcs]])
        s10, sc = bler_curves(1).parameters(np.array([mcs]), np.maximum(k, 1))
        ref = float(transport_block_bler(snr_db, mcs, tbs, mcs_table_index=1))
        got = la.tb_bler(10 ** (snr_db / 10), float(s10[0]), float(sc[0]), int(c[0]))
        assert got == pytest.approx(ref, rel=1e-9, abs=1e-12)
        if c[0] == 1:
            assert got == pytest.approx(float(logistic_bler(snr_db, s10[0], sc[0])), rel=1e-9)
    assert la.tb_bler(0.0, 1.0, 1.0, 3) == 1.0 and la.tb_bler(5.0, 1.0, 1.0, 0) == 0.0


def test_olla_and_harq_step() -> None:
    p = la.HarqOlla(3, 8, True, 0.5, float(la.olla_step_down_db(0.5, 0.1)), 2.0)
    assert p.step_down_db == pytest.approx(0.5 * 0.1 / 0.9)
    assert la.olla_update(1.9, False, 0.5, 0.05, 2.0) == 2.0  # bounded
    assert la.olla_update(-1.99, True, 0.5, 0.05, 2.0) == -2.0
    assert la.olla_after(0.0, True, False, p) == 0.5
    assert la.olla_after(0.0, False, False, p) == 0.0  # only first transmissions move OLLA
    assert la.olla_after(0.0, True, False, p._replace(olla=False)) == 0.0
    # chase combining: SINRs add; NACK below the BLER, drop at the last transmission
    n, acc, bler, out = la.harq_step(0, 0.0, 0.1, 0.0, 1.0, 1, 0.5, 3)
    assert (n, acc, out) == (1, 0.1, la.HARQ_RETRY) and bler > 0.5
    n, acc, bler, out = la.harq_step(n, acc, 0.1, 0.0, 1.0, 1, 0.5, 3)
    assert (n, out) == (2, la.HARQ_RETRY) and acc == pytest.approx(0.2)
    n, acc, bler, out = la.harq_step(n, acc, 0.1, 0.0, 1.0, 1, 0.5, 3)
    assert (n, out) == (3, la.HARQ_DROP)
    assert la.harq_step(0, 0.0, 100.0, 0.0, 1.0, 1, 0.5, 3)[3] == la.HARQ_ACK


def test_subband_cqi_is_the_highest_cqi_whose_eesm_meets_its_threshold() -> None:
    ll = link_level(1)
    thr = np.ascontiguousarray(10 ** (ll.cqi_thr_db / 10))
    beta = np.ascontiguousarray(ll.cqi_beta)
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(1, 17))
        x = 10 ** (rng.uniform(-10, 30) / 10) * rng.exponential(1.0, n)  # Rayleigh-faded PRBs
        ref = 0
        for q in range(15, 0, -1):  # brute force over all CQIs
            if float(eesm_effective_sinr_lin(x, beta[q - 1])) >= thr[q - 1] * (1 + 1e-12):
                ref = q
                break
        got = la.subband_cqi(x, n, thr, beta)
        assert got == ref or (ref > 0 and abs(float(eesm_effective_sinr_lin(x, beta[ref - 1])) / thr[ref - 1] - 1) < 1e-9)
    # one resource: the CQI is the number of thresholds its SINR meets
    for s_db in (-20.0, 0.0, 7.3, 40.0):
        one = np.array([10 ** (s_db / 10)])
        assert la.subband_cqi(one, 1, thr, beta) == int(np.searchsorted(ll.cqi_thr_db, s_db, side="right"))


def test_count_at_most_is_searchsorted_right() -> None:
    """The one bisection of link adaptation (CQI thresholds met, MCS for an SINR) against
    ``numpy.searchsorted(side="right")``, ties and both ends included."""
    rng = np.random.default_rng(12)
    for n in (0, 1, 2, 15, 28):
        thr = np.sort(rng.integers(-5, 6, n).astype(np.float64))  # integer values: many ties
        for x in np.concatenate([thr, thr + 0.5, [-np.inf, -10.0, 10.0, np.inf]]):
            assert la.count_at_most(thr, float(x)) == np.searchsorted(thr, x, side="right")
            assert la.mcs_for_sinr(thr, float(x)) == max(int(np.searchsorted(thr, x, side="right")) - 1, 0)
