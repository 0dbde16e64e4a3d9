"""Sub-array port virtualisation of TR 38.901 V17.0.0 7.3 panels (TXRU sub-array partition of
TR 36.897 V13.0.0 5.2.2): port count and order, the weights, boresight gain and electrical
tilt against the closed-form array factor of K elements (Dirichlet kernel). The
element-by-element oracle of every port's field is in
tests/channel_full/test_keyed_draws_and_speed.py (sub-array panels included)."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.channel.tr38901.panel import PanelArray, port_gain_dbi
from nrsim.errors import ConfigError
from nrsim.mimo import panel_to_csirs_ports


def _dirichlet_gain_db(k: int, dv_wl: float, theta_deg: float, etilt_deg: float) -> float:
    """|sum_m exp(j 2 pi m d_V (cos theta - cos theta_etilt))|^2 / K in dB, closed form
    sin^2(K x / 2) / (K sin^2(x / 2)), x = 2 pi d_V (cos theta - cos theta_etilt)."""
    x = 2 * np.pi * dv_wl * (np.cos(np.radians(theta_deg)) - np.cos(np.radians(etilt_deg)))
    if abs(np.sin(x / 2)) < 1e-15:
        return 10 * np.log10(k)
    return 10 * np.log10(np.sin(k * x / 2) ** 2 / (k * np.sin(x / 2) ** 2))


@pytest.mark.parametrize("m, n, k", [(8, 4, 2), (8, 8, 4), (4, 4, 1)])
def test_port_count_and_order(m, n, k) -> None:
    """2 N M / K ports; element (pol, row m, column n) drives port (pol M / K + m // K) N + n
    with weight exp(-j 2 pi (m mod K) d_V cos theta_etilt) / sqrt(K)."""
    panel = PanelArray(m, n, "x45", port_map="subarray", subarray_rows=k, etilt_deg=102.0)
    assert panel.n_ports == 2 * m * n // k
    pos, _, port, wgt = panel.elements()
    for e in range(pos.shape[0]):
        pol, row, col = e // (m * n), (e // n) % m, e % n
        assert port[e] == (pol * (m // k) + row // k) * n + col
        assert wgt[e] == pytest.approx(np.exp(-1j * np.pi * (row % k) * np.cos(np.radians(102.0))) / np.sqrt(k))
    assert np.bincount(port).tolist() == [k] * panel.n_ports


def test_32_ports_from_8x8x2_map_to_csirs_ports() -> None:
    """(8, 8, 2) with K = 4: 2 x 2 rows x 8 columns = 32 ports, the CSI-RS order of
    (N1, N2) = (8, 2) by panel_to_csirs_ports(2, 8)."""
    panel = PanelArray(8, 8, "x45", port_map="subarray", subarray_rows=4)
    perm = panel_to_csirs_ports(2, 8)
    assert panel.n_ports == 32 and sorted(perm.tolist()) == list(range(32))
    # CSI-RS port n1 N2 + n2 of polarisation 0 is the sub-array in row group n2, column n1
    assert perm[1 * 2 + 1] == 1 * 8 + 1 and perm[16 + 7 * 2 + 0] == 16 + 0 * 8 + 7


@pytest.mark.parametrize("k", [2, 4])
def test_boresight_gain_is_element_gain_plus_10log10_k(k) -> None:
    """No electrical tilt: every sub-array's K elements add in phase at boresight; gain
    8 dBi (Table 7.3-1 element) + 10 log10 K (each port's total weight power is 1)."""
    for element, g_e in (("3gpp", 8.0), ("isotropic", 0.0)):
        panel = PanelArray(8, 4, "x45", port_map="subarray", subarray_rows=k, element=element)
        g = port_gain_dbi(panel, 90.0, 0.0)
        np.testing.assert_allclose(g, g_e + 10 * np.log10(k), atol=1e-9)


@pytest.mark.parametrize("k, etilt", [(4, 100.0), (2, 102.0), (4, 96.0)])
def test_electrical_tilt_steers_the_subarray(k, etilt) -> None:
    """Isotropic elements, polarisation V: the port gain over the zenith equals the Dirichlet
    kernel of K elements steered to theta_etilt; its maximum is at theta_etilt."""
    panel = PanelArray(8, 2, "v", port_map="subarray", subarray_rows=k, etilt_deg=etilt, element="isotropic")
    theta = np.linspace(60.0, 150.0, 901)
    g = port_gain_dbi(panel, theta, 0.0)  # [theta, port]
    ref = np.array([_dirichlet_gain_db(k, 0.5, t, etilt) for t in theta])
    for p in range(panel.n_ports):
        np.testing.assert_allclose(g[:, p], ref, atol=1e-9)
    assert theta[np.argmax(g[:, 0])] == pytest.approx(etilt, abs=0.1)
    # hand value: K = 4, tilt 100, boresight: x = -pi cos(100 deg) = 0.54553, sin^2(2x) / (4 sin^2(x / 2)) = 4.3312 dB
    if (k, etilt) == (4, 100.0):
        assert port_gain_dbi(panel, 90.0, 0.0)[0] == pytest.approx(4.3312, abs=1e-4)


def test_bad_subarray_rows() -> None:
    with pytest.raises(ConfigError, match="subarray_rows"):
        PanelArray(8, 4, port_map="subarray", subarray_rows=3)
    with pytest.raises(ConfigError, match="subarray_rows"):
        PanelArray(8, 4, port_map="subarray", subarray_rows=0)
    with pytest.raises(ConfigError, match="etilt_deg"):
        PanelArray(8, 4, etilt_deg=190.0)
