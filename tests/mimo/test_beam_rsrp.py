"""SSB beams over panel ports and the beam-based cell RSRP (nrsim.mimo.ssb port beams,
nrsim.mimo.beam_rsrp) against an element-by-element oracle and hand values; the named array
types (nrsim.channel.tr38901.arrays)."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.channel.tr38901.arrays import BS_ARRAYS, bs_array
from nrsim.channel.tr38901.panel import bs_array_panel, ue_array
from nrsim.channel.tr38901.panel import PanelArray
from nrsim.errors import ConfigError
from nrsim.mimo.beam_rsrp import CellBeams, cell_beams, default_n_beams, ssb_cell_rsrp
from nrsim.mimo.ssb import (
    beam_power_lin,
    consolidate_cell_rsrp_dbm,
    ssb_beam_gain_dbi,
    ssb_beam_grid,
    ssb_port_beam_weights,
)

ORACLE_TOL = 1e-9  # relative, float64 sums in another order
HAND_TOL_DB = 1e-9


def _oracle_power(panel: PanelArray, w_port: np.ndarray, theta_deg, phi_deg) -> np.ndarray:
    """|sum_e w_port(e) v_e exp(j 2 pi r . d_e)|^2 element by element (isotropic, vertically
    polarised elements, panel in the GCS: no bearing or tilt), from PanelArray.elements()."""
    pos, _, port, v = panel.elements()
    t, p = np.radians(np.atleast_1d(theta_deg)), np.radians(np.atleast_1d(phi_deg))
    r = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], axis=-1)  # [dir, 3]
    af = np.exp(2j * np.pi * (r @ pos.T))  # [dir, element]
    return np.abs((af * v) @ w_port[:, port].T) ** 2  # [dir, beam]


def test_port_beams_match_the_element_oracle() -> None:
    panel = PanelArray(8, 4, slant="v", element="isotropic", port_map="subarray", subarray_rows=2, etilt_deg=100.0)
    az, zen = ssb_beam_grid(8, (100.0, 106.0))
    w = ssb_port_beam_weights(panel, az, zen)
    assert w.shape == (16, panel.n_ports) and np.allclose(np.linalg.norm(w, axis=1), 1.0)
    rng = np.random.default_rng(5)
    th, ph = rng.uniform(60, 140, 50), rng.uniform(-90, 90, 50)
    np.testing.assert_allclose(beam_power_lin(panel, w, th, ph), _oracle_power(panel, w, th, ph), rtol=ORACLE_TOL,
                               atol=1e-12)


def test_port_beam_peak_is_the_hand_value() -> None:
    # 32T32R-8x4 untilted: 32 ports of 2 elements; a cross-polarised pair fed alike radiates
    # vertically, so the beam towards its own direction has gain G_E,max + 10 log10(64 / 2)
    # = 8 + 15.0515 dBi (TR 38.901 Table 7.3-1 element)
    panel = bs_array_panel(bs_array("32T32R-8x4"), 90.0)
    w = ssb_port_beam_weights(panel, [0.0], [90.0])
    assert ssb_beam_gain_dbi(panel, w, 90.0, 0.0, over="port")[0] == pytest.approx(
        8.0 + 10 * np.log10(32), abs=HAND_TOL_DB)
    with pytest.raises(ConfigError):
        ssb_beam_gain_dbi(panel, w, 90.0, 0.0, over="ports")


def test_named_arrays_have_their_port_counts() -> None:
    assert {k: bs_array_panel(bs_array(k), 102.0).n_ports for k in BS_ARRAYS} == {
        "4T4R": 4, "32T32R": 32, "32T32R-8x4": 32, "64T64R": 64}
    assert [ue_array(n).n_ports for n in (1, 2, 4)] == [1, 2, 4]
    with pytest.raises(ConfigError) as exc:
        bs_array("32t32r")
    assert exc.value.field == "antenna.array" and "32T32R" in str(exc.value)
    with pytest.raises(ConfigError):
        ue_array(3)


def test_beam_count_per_frequency_range() -> None:
    assert default_n_beams(3.5, None) == 8 and default_n_beams(28.0, None) == 64
    assert default_n_beams(3.5, 4) == 4
    for fc, n in ((3.5, 64), (28.0, 8)):
        with pytest.raises(ConfigError) as exc:
            default_n_beams(fc, n)
        assert exc.value.field == "ssb.n_beams"


def test_cell_rsrp_against_hand_and_oracle_values() -> None:
    # cell 0: one isotropic element (0 dBi, one beam): cell RSRP = the 0 dBi power per RE;
    # cell 1: an isotropic 'v' sub-array panel with 8 port beams: the oracle's gains, then the
    # TS 38.331 consolidation of the best 3 beams above -100 dBm
    panel = PanelArray(4, 4, slant="v", element="isotropic", port_map="subarray", subarray_rows=2, etilt_deg=90.0)
    az, zen = ssb_beam_grid(8, (90.0,))
    w = ssb_port_beam_weights(panel, az, zen)
    beams = CellBeams(groups=((np.array([0]), PanelArray(1, 1, slant="v", element="isotropic"),
                               np.ones((1, 1), complex)), (np.array([1]), panel, w)), n_cells=2)
    re_rx = np.array([[-95.0, -103.0], [-120.0, -90.0]])  # [ue, cell] dBm at 0 dBi
    th = np.array([[90.0, 90.0], [95.0, 90.0]])
    ph = np.array([[10.0, az[2]], [0.0, az[5] + 3.0]])
    r = ssb_cell_rsrp(beams, re_rx, th, ph, np.zeros(2), np.zeros(2), n_consolidate=3, threshold_dbm=-100.0)
    np.testing.assert_allclose(r.cell_rsrp_dbm[:, 0], re_rx[:, 0], atol=HAND_TOL_DB)
    assert r.best_beam[:, 0].tolist() == [0, 0]
    g = 10 * np.log10(_oracle_power(panel, w, th[:, 1], ph[:, 1]))  # [ue, beam]
    l1 = re_rx[:, 1, None] + g
    np.testing.assert_allclose(r.cell_rsrp_dbm[:, 1], consolidate_cell_rsrp_dbm(l1, 3, -100.0), atol=1e-9)
    assert r.best_beam[:, 1].tolist() == [2, 5]
    np.testing.assert_allclose(r.best_gain_dbi[:, 1], g.max(axis=1), atol=1e-9)
    np.testing.assert_allclose(r.mean_gain_dbi[:, 1], 10 * np.log10((10 ** (g / 10)).mean(axis=1)), atol=1e-9)
    # UE 0 on beam 2 of cell 1: 4 x 4 isotropic elements co-phased, 10 log10 16 = 12.04 dB
    assert g[0].max() == pytest.approx(10 * np.log10(16), abs=1e-9)


def test_cell_beams_group_cells_by_array_and_tilt() -> None:
    b = cell_beams(["single-column", "32T32R", "32T32R", "4T4R"], [102.0, 102.0, 96.0, 102.0], fc_ghz=3.5)
    sizes = [(cells.tolist(), w.shape) for cells, _, w in b.groups]
    assert sizes == [([0], (1, 1)), ([1], (8, 32)), ([2], (8, 32)), ([3], (8, 4))]
    assert b.any_array
    assert not cell_beams(["single-column"] * 3, [102.0] * 3, fc_ghz=3.5).any_array
