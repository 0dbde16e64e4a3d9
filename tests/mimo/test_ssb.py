"""SSB beams: grid, beam gains and L1-RSRP against hand values, and the TS 38.331 5.5.3.3
consolidation of beam RSRPs into a cell RSRP against hand-computed averages."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.channel.tr38901.panel import PanelArray
from nrsim.errors import ConfigError
from nrsim.mimo.ssb import (
    best_beam,
    consolidate_cell_rsrp_dbm,
    l1_rsrp_w,
    ssb_beam_gain_dbi,
    ssb_beam_grid,
    ssb_beam_weights,
)

BEAMS = [-80.0, -83.0, -90.0, -100.0]


def test_consolidation_hand_values() -> None:
    # N = 3, T = -85: the beams above T are -80 and -83 -> linear mean of 10^-8 and 10^-8.3 mW
    two = 10 * np.log10((10 ** -8.0 + 10 ** -8.3) / 2)  # -81.2459 dBm
    assert consolidate_cell_rsrp_dbm(BEAMS, 3, -85.0) == pytest.approx(two, abs=1e-9)
    assert two == pytest.approx(-81.2459, abs=1e-4)
    # N = 1: the best beam only
    assert consolidate_cell_rsrp_dbm(BEAMS, 1, -85.0) == pytest.approx(-80.0)
    # N = 4, T = -95: three beams -80, -83, -90
    three = 10 * np.log10((10 ** -8.0 + 10 ** -8.3 + 10 ** -9.0) / 3)
    assert consolidate_cell_rsrp_dbm(BEAMS, 4, -95.0) == pytest.approx(three, abs=1e-9)
    # no beam above T (best -80 <= -79), or a parameter not configured: the best beam
    assert consolidate_cell_rsrp_dbm(BEAMS, 3, -79.0) == pytest.approx(-80.0)
    assert consolidate_cell_rsrp_dbm(BEAMS, 3, -80.0) == pytest.approx(-80.0)  # "above" is strict
    assert consolidate_cell_rsrp_dbm(BEAMS, None, -85.0) == pytest.approx(-80.0)
    assert consolidate_cell_rsrp_dbm(BEAMS, 3, None) == pytest.approx(-80.0)


def test_consolidation_is_vectorised_over_leading_axes() -> None:
    x = np.array([[BEAMS, BEAMS[::-1]], [[-70.0, -70.0, -70.0, -70.0], [-90.0, -89.0, -88.0, -87.0]]])
    got = consolidate_cell_rsrp_dbm(x, 2, -85.0)
    two = 10 * np.log10((10 ** -8.0 + 10 ** -8.3) / 2)
    np.testing.assert_allclose(got, [[two, two], [-70.0, -87.0]], atol=1e-9)
    assert best_beam(x).tolist() == [[0, 3], [0, 3]]
    with pytest.raises(ConfigError, match="n_average"):
        consolidate_cell_rsrp_dbm(BEAMS, 0, -85.0)


def test_beam_grid_fr1_and_fr2() -> None:
    az, zen = ssb_beam_grid()
    np.testing.assert_allclose(az, [-52.5, -37.5, -22.5, -7.5, 7.5, 22.5, 37.5, 52.5])
    np.testing.assert_allclose(zen, 90.0)
    az2, zen2 = ssb_beam_grid(16, (84, 90, 96, 102))
    assert az2.shape == (64,) and zen2[:16].tolist() == [84.0] * 16 and zen2[-1] == 102.0


def test_beam_gain_hand_values() -> None:
    """A row of 8 isotropic, vertically polarised elements at lambda/2: a beam steered to
    azimuth a has gain 8 (9.03 dBi) towards a and a null where sin(phi) - sin(a) = 2/8."""
    panel = PanelArray(m_rows=1, n_cols=8, slant="v", element="isotropic")
    w = ssb_beam_weights(panel, [0.0, 30.0], [90.0, 90.0])
    np.testing.assert_allclose(np.linalg.norm(w, axis=1), 1.0)
    null_deg = np.degrees(np.arcsin(0.25))
    g = ssb_beam_gain_dbi(panel, w, np.array([90.0, 90.0, 90.0, 90.0]), np.array([0.0, 30.0, null_deg, 20.0]))
    assert g[0, 0] == pytest.approx(10 * np.log10(8), abs=1e-9)
    assert g[1, 1] == pytest.approx(10 * np.log10(8), abs=1e-9)
    assert g[2, 0] < -100.0
    # array factor by hand at 20 deg for the boresight beam: |sum_n e^{j pi n sin 20}|^2 / 8
    # = sin^2(4 pi sin 20) / (8 sin^2(pi sin 20 / 2))
    u = np.pi * np.sin(np.radians(20.0))
    af = np.sin(4 * u) ** 2 / (8 * np.sin(u / 2) ** 2)
    assert g[3, 0] == pytest.approx(10 * np.log10(af), abs=1e-9)
    assert g[3, 0] < g[0, 0] - 3.0


def test_cross_polarised_panel_gain() -> None:
    """+-45 deg pairs fed alike radiate vertical polarisation: 4 x 4 x 2 isotropic elements
    give a boresight gain of 16 (the 16 co-located pairs, 12.04 dBi)."""
    panel = PanelArray(m_rows=4, n_cols=4, slant="x45", element="isotropic")
    w = ssb_beam_weights(panel, [0.0], [90.0])
    assert ssb_beam_gain_dbi(panel, w, 90.0, 0.0)[0] == pytest.approx(10 * np.log10(16), abs=1e-9)


def test_l1_rsrp_hand_value_and_best_beam() -> None:
    """h = 2 rx branches, the second 3 dB weaker, each a plane wave from beam 5's direction
    over 2 PRBs: RSRP_5 = EPRE * N * |a|^2 of the best branch = 1e-3 * 8 * 1."""
    panel = PanelArray(m_rows=1, n_cols=8, slant="v", element="isotropic")
    az, zen = ssb_beam_grid()
    w = ssb_beam_weights(panel, az, zen)
    steer = np.conj(w[5]) * np.sqrt(8)  # unit-modulus array response towards beam 5
    h = np.stack([steer, np.sqrt(0.5) * steer])[None].repeat(2, axis=0)  # [prb, rx, element]
    rsrp = l1_rsrp_w(h, w, 1e-3)
    assert rsrp.shape == (8,)
    assert rsrp[5] == pytest.approx(1e-3 * 8.0, rel=1e-12)
    assert best_beam(rsrp) == 5
    # the DFT grid is not orthogonal at these angles, but every other beam is weaker
    assert np.all(np.delete(rsrp, 5) < rsrp[5])


SSB_C64_RTOL = 1e-5
"""complex64 channels are multiplied in complex64 (weights rounded to it): relative error of a
beam power about 1e-7 times the square root of the element count, far below this."""


def test_l1_rsrp_equals_the_per_element_sum_in_both_precisions() -> None:
    """Oracle: the explicit double loop over PRBs, branches and elements; a complex64 channel
    gives the same powers to complex64 rounding; a wrong element count is a ConfigError."""
    panel = PanelArray(m_rows=2, n_cols=2, slant="x45", element="isotropic", port_map="element")
    w = ssb_beam_weights(panel, *ssb_beam_grid(4, (90.0, 100.0)))
    rng = np.random.default_rng(3)
    h = rng.standard_normal((3, 2, 5, 2, 8)) + 1j * rng.standard_normal((3, 2, 5, 2, 8))
    want = np.zeros((3, 2, w.shape[0]))
    for idx in np.ndindex(3, 2):
        for b in range(w.shape[0]):
            per_rx = [np.mean([abs(np.sum(h[idx][p, r] * w[b])) ** 2 for p in range(5)]) for r in range(2)]
            want[idx][b] = 2.0 * max(per_rx)
    np.testing.assert_allclose(l1_rsrp_w(h, w, 2.0), want, rtol=1e-12)
    got64 = l1_rsrp_w(h.astype(np.complex64), w, 2.0)
    assert got64.dtype == np.float64
    np.testing.assert_allclose(got64, want, rtol=SSB_C64_RTOL)
    with pytest.raises(ConfigError):
        l1_rsrp_w(h[..., :7], w, 1.0)
