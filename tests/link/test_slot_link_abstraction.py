"""Link abstraction: TS 38.214 MCS/CQI tables, EESM, and the shipped logistic BLER curves
checked against the published AWGN tables in shared/reference/link/bler-pdsch/."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from nrsim.link.level import link_level
from nrsim.link.bler import bler_curves, code_block_bler, logistic_bler, transport_block_bler
from nrsim.link.eesm import eesm_effective_sinr_db, eesm_effective_sinr_lin
from nrsim.link.mcs import ModulationCodingTable, cqi_table, mcs_table
from nrsim.link.tbs import code_block_segmentation

SNR10_TOL_DB = 1.0
"""Shipped SNR at 10 % BLER against the value read off the published tables; those are
themselves only good to about +-0.5 dB (1.6-1.8 dB SNR grid)."""
PUB_HIGH, MODEL_HIGH = 0.9, 0.5
PUB_LOW, MODEL_LOW = 0.01, 0.1
"""Waterfall check at every published grid point: where the published BLER is >= 0.9 the
model gives >= 0.5; where it is <= 0.01 the model gives <= 0.1 (the grid is too coarse to
compare values inside the waterfall)."""


def test_mcs_tables_match_reference(reference_dir) -> None:
    rows = list(csv.DictReader(open(reference_dir / "link" / "ts38214_pdsch_mcs_tables.csv")))
    for t, name in ((1, "5.1.3.1-1"), (2, "5.1.3.1-2")):
        ref = [r for r in rows if r["ts38214_table"] == name]
        tab = mcs_table(t)
        assert tab.n_mcs == len(ref) == (29 if t == 1 else 28)
        assert tab.qm.tolist() == [int(r["Qm"]) for r in ref]
        assert np.allclose(tab.r_x1024, [float(r["R_x1024"]) for r in ref])
        assert np.allclose(tab.spectral_efficiency_bit_per_re, tab.qm * tab.r_x1024 / 1024, atol=6e-5)
        assert np.all(tab.eesm_beta > 0)


@pytest.mark.parametrize("t", [1, 2])
def test_cqi_maps_to_mcs_with_same_modulation_and_rate(t: int) -> None:
    cq, tab = cqi_table(t), mcs_table(t)
    assert cq.n_cqi == 15
    m = cq.mcs_same_qm_r[cq.has_mcs]
    assert np.array_equal(tab.qm[m], cq.qm[cq.has_mcs])
    assert np.allclose(tab.r_x1024[m], cq.r_x1024[cq.has_mcs])
    assert cq.has_mcs.tolist() == [False] + [True] * 14  # only CQI 1 (QPSK 78) has no MCS
    # both tables are ModulationCodingTables: the same code rate where they share (Qm, R)
    assert isinstance(cq, ModulationCodingTable) and isinstance(tab, ModulationCodingTable)
    assert np.array_equal(cq.code_rate[cq.has_mcs], tab.code_rate[m])
    assert cq.code_rate[0] == 78 / 1024  # CQI 1: QPSK 78/1024 (TS 38.214 Table 5.2.2.1-2/-3)


def test_eesm_properties_and_oracle() -> None:
    rng = np.random.default_rng(0)
    g = rng.exponential(size=(50, 24)) * 10.0
    beta = rng.uniform(1.0, 30.0, size=50)
    eff = eesm_effective_sinr_lin(g, beta)
    # oracle: the definition, term by term
    oracle = np.array([-b * np.log(np.mean(np.exp(-row / b))) for row, b in zip(g, beta)])
    assert np.allclose(eff, oracle, rtol=1e-10)
    assert np.all(eff <= g.mean(axis=1) + 1e-12) and np.all(eff >= g.min(axis=1) - 1e-12)
    # flat channel: effective SINR = the SINR
    assert np.allclose(eesm_effective_sinr_db(np.full((3, 7), 12.5), 5.0), 12.5)
    # no underflow at high SINR / small beta
    assert np.isclose(eesm_effective_sinr_lin(np.array([1e4, 2e4]), 0.5), 1e4 - 0.5 * np.log(0.5), rtol=1e-9)
    m = np.zeros((2, 24), dtype=bool)
    m[0, :5] = True
    out = eesm_effective_sinr_lin(g[:2], beta[:2], mask=m)
    assert np.isclose(out[0], eesm_effective_sinr_lin(g[0, :5], beta[0])) and np.isnan(out[1])


def _published(reference_dir, t):
    d = json.loads((reference_dir / "link" / "bler-pdsch" / f"PDSCH_table{t}.json").read_text())
    return d["category"]["1"]["index"][str(t)]["MCS"]


@pytest.mark.parametrize("t", [1, 2])
def test_snr_at_10pct_bler_matches_published(reference_dir, t: int) -> None:
    curves = bler_curves(t)
    rows = list(csv.DictReader(open(reference_dir / "link" / "bler-pdsch" / "derived_snr_at_bler10_pdsch.csv")))
    n = 0
    for r in rows:
        if int(r["mcs_table"]) != t or not r["snr_dB_at_BLER_0.1"]:
            continue
        s10, _ = curves.parameters(np.array([int(r["mcs"])]), np.array([int(r["code_block_size_bits"])]))
        assert abs(s10[0] - float(r["snr_dB_at_BLER_0.1"])) <= SNR10_TOL_DB, r
        n += 1
    assert n >= 120


@pytest.mark.parametrize("t", [1, 2])
def test_curves_follow_published_waterfalls(reference_dir, t: int) -> None:
    pub = _published(reference_dir, t)
    for m_key, entry in pub.items():
        snr = np.asarray(entry["SNR_db"])
        for cbs, v in entry["CBS"].items():
            b = np.asarray(v["BLER"])
            model = code_block_bler(snr, np.full(snr.size, int(m_key)), np.full(snr.size, int(cbs)), mcs_table_index=t)
            assert np.all(model[b >= PUB_HIGH] >= MODEL_HIGH), (t, m_key, cbs)
            assert np.all(model[b <= PUB_LOW] <= MODEL_LOW), (t, m_key, cbs)


@pytest.mark.parametrize("t", [1, 2])
def test_thresholds_increase_with_mcs_and_cqi(t: int) -> None:
    c = bler_curves(t)
    for k in (500, 1000, 2000):
        assert np.all(np.diff(c.threshold_db(k)) > 0)
    ll = link_level(t)
    assert np.all(np.diff(ll.cqi_thr_db) > 0)
    assert np.all(np.diff(ll.mcs_thr_db) > 0)


def test_logistic_and_tb_bler_oracle() -> None:
    assert np.isclose(logistic_bler(3.0, 3.0, 0.5), 0.1)
    assert logistic_bler(-50.0, 3.0, 0.5) > 0.999 and logistic_bler(50.0, 3.0, 0.5) < 1e-30
    # TB BLER = 1 - (1 - p_cb)^C with C and K' of the segmentation
    tbs = np.array([1800, 192624])
    mcs = np.array([10, 27])
    snr = np.array([3.0, 19.0])
    got = transport_block_bler(snr, mcs, tbs)
    c, k = code_block_segmentation(tbs, mcs_table(1).code_rate[mcs])
    p = code_block_bler(snr, mcs, k)
    assert np.allclose(got, 1 - (1 - p) ** c)
    assert transport_block_bler(0.0, 5, 0) == 0.0
