"""Clusters and rays (TR 38.901 V17.0.0 7.5 steps 5-11), panels (7.3) and channel
coefficients (7.5-22, 7.5-28..30) against hand-worked values and slow oracles."""

import numpy as np
import pytest

from nrsim.channel.tr38901.antenna import bs_antenna_gain_dbi, angles_from_vector_deg
from nrsim.channel.tr38901.clusters import (
    c_phi, c_theta, circular_angle_spread_deg, cluster_powers, cut_weak_clusters, generate_clusters,
    los_delay_scaling, los_powers, ray_offsets, ray_power_table, rms_delay_spread_s, subcluster_map,
)
from nrsim.channel.tr38901.coefficients import RayLinks, channel_taps, frequency_response, polarisation_matrix
from nrsim.channel.tr38901.lsp import lsp_parameters, lsps_from_normals
from nrsim.channel.tr38901.panel import PanelArray, port_fields, port_gain_dbi


def test_ray_offsets_table_7_5_3():
    a = ray_offsets()
    assert a.size == 20
    assert a[0] == 0.0447 and a[1] == -0.0447 and a[-2] == 2.1551 and a[-1] == -2.1551
    # the offsets have unit RMS (hand sum of squares of the 10 values: 10.0009 -> x2/20)
    assert np.sqrt(np.mean(a**2)) == pytest.approx(1.0, abs=1e-3)


def test_subcluster_table_7_5_5():
    sub, off = subcluster_map()
    assert np.bincount(sub).tolist() == [10, 6, 4]
    assert sub[[0, 7, 18, 19]].tolist() == [0, 0, 0, 0] and sub[[8, 16]].tolist() == [1, 1]
    assert off.tolist() == [0.0, 1.28, 2.56]


def test_cluster_powers_hand_values():
    # zeta = 0: P'_n = exp(-tau (r - 1) / (r DS)); tau = [0, DS], r = 2 -> [1, e^-0.5] / sum
    rng = np.random.default_rng(0)
    p = cluster_powers(np.array([[0.0, 1e-7]]), np.array([1e-7]), 2.0, 0.0, rng=rng)
    e = np.exp(-0.5)
    np.testing.assert_allclose(p, [[1 / (1 + e), e / (1 + e)]])
    # eq. (7.5-8): K_R = 3, P = [0.5, 0.5] -> [0.5/4 + 3/4, 0.5/4]
    np.testing.assert_allclose(los_powers(np.array([[0.5, 0.5]]), np.array([3.0])), [[0.875, 0.125]])
    # 25 dB cut
    q = cut_weak_clusters(np.array([[1.0, 10 ** -2.4, 10 ** -2.6]]))
    assert q[0, 1] > 0 and q[0, 2] == 0


def test_scaling_factors_hand_values():
    assert c_phi(12, None) == 1.146 and c_theta(19, None) == 1.184
    k = 9.0
    assert c_phi(12, np.array(k)) == pytest.approx(1.146 * (1.1035 - 0.028 * 9 - 2e-3 * 81 + 1e-4 * 729))
    assert c_theta(12, np.array(k)) == pytest.approx(1.104 * (1.3086 + 0.0339 * 9 - 0.0077 * 81 + 2e-4 * 729))
    assert los_delay_scaling(np.array(0.0)) == pytest.approx(0.7705)


def test_circular_angle_spread_hand_values():
    p = np.array([[0.5, 0.5], [0.5, 0.5], [1.0, 0.0]])
    a = np.array([[170.0, -170.0], [0.0, 90.0], [33.0, 100.0]])
    s = circular_angle_spread_deg(a, p)
    # +-170: 20 deg apart across the wrap -> 10 deg (a linear spread would give 170)
    np.testing.assert_allclose(s, [10.0, 45.0, 0.0], atol=0.05)
    # power-weighted RMS: delays 0 and 1 us, powers 3/4 and 1/4 -> sqrt(3)/4 us
    assert rms_delay_spread_s(np.array([0.0, 1e-6]), np.array([0.75, 0.25])) == pytest.approx(np.sqrt(3) / 4 * 1e-6)


def test_polarisation_matrix_hand_values():
    m = polarisation_matrix(np.array([4.0]), np.zeros((1, 4)))
    np.testing.assert_allclose(m[0], [[1, 0.5], [0.5, 1]])
    m = polarisation_matrix(np.array([1.0]), np.array([[0, np.pi / 2, np.pi, -np.pi / 2]]))
    np.testing.assert_allclose(m[0], [[1, 1j], [-1, -1j]], atol=1e-12)


def _clusters(scenario, cond, n_link, seed=0, k_db=None, indoor=False):
    p = lsp_parameters(scenario, cond, 6.0)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n_link, 7))
    lsps = lsps_from_normals(z, p, 0.5, 0.3, 0.0)
    if k_db is not None:
        lsps = type(lsps)(**{**lsps.__dict__, "k_db": np.full(n_link, k_db)})
    aod = rng.uniform(-180, 180, n_link)
    zod = rng.uniform(92, 110, n_link)
    return p, lsps, generate_clusters(p, lsps, aod, zod, indoor=indoor, rng=rng)


def test_cluster_set_properties():
    p, lsps, cs = _clusters("uma", "los", 200)
    assert cs.delay_s.shape == (200, 12) and cs.aod_deg.shape == (200, 12, 20)
    assert np.all(cs.delay_s[:, 0] == 0.0) and np.all(np.diff(cs.delay_s, axis=1) >= 0)
    # powers of eq. (7.5-22) sum to 1 before the cut, <= 1 after
    assert np.all(cs.power.sum(axis=1) <= 1.0 + 1e-12) and np.all(cs.power.sum(axis=1) > 0.9)
    # ray powers with the direct path sum to 1 (eq. (7.5-30))
    rays = ray_power_table(cs)
    np.testing.assert_allclose(rays["power"].sum(axis=1), cs.power.sum(axis=1) / (cs.k_lin + 1) + cs.k_lin / (cs.k_lin + 1))
    # LOS: the first cluster sits on the LOS direction (eq. (7.5-12)): the mean of its rays'
    # azimuths (offsets symmetric) is the LOS AoD
    mean_aod = np.degrees(np.angle(np.exp(1j * np.radians(cs.aod_deg[:, 0])).mean(axis=1)))
    np.testing.assert_allclose(np.cos(np.radians(mean_aod - cs.los_aod_deg)), 1.0, atol=1e-9)
    assert np.all((cs.zod_deg >= 0) & (cs.zod_deg <= 180)) and np.all((cs.zoa_deg >= 0) & (cs.zoa_deg <= 180))
    # sub-cluster delays: rays 9-12, 17-18 of a strongest cluster at +1.28 c_DS
    d = cs.ray_delays_s()
    s0 = cs.strongest[0, 0]
    np.testing.assert_allclose(d[0, s0, 8] - cs.delay_s[0, s0], 1.28 * p.c_ds_s)
    np.testing.assert_allclose(d[0, s0, 12] - cs.delay_s[0, s0], 2.56 * p.c_ds_s)


def test_xpr_statistics():
    p, _, cs = _clusters("umi", "nlos", 300, seed=2)
    x = 10 * np.log10(cs.xpr_lin).ravel()
    assert x.mean() == pytest.approx(p.mu_xpr_db, abs=0.05)
    assert x.std() == pytest.approx(p.sigma_xpr_db, rel=0.02)


def test_column_antenna_is_a_panel_case():
    col = PanelArray(10, 1, "v", etilt_deg=102.0)
    rng = np.random.default_rng(1)
    dx, dy, dz = rng.normal(size=(3, 200)) * 100
    t, ph = angles_from_vector_deg(dx, dy, dz)
    for tilt in (0.0, 12.0):
        g = port_gain_dbi(col, t, ph, 30.0, tilt)[:, 0]
        np.testing.assert_allclose(g, bs_antenna_gain_dbi(dx, dy, dz, 30.0, tilt, 10, 102.0), atol=1e-9)


def test_config1_panel_boresight_and_polarisation():
    c1 = PanelArray(4, 4, "x45", mg_rows=1, ng_cols=2, dgh_wl=2.5, dgv_wl=2.5)
    assert c1.n_ports == 4 and c1.n_elements == 64
    np.testing.assert_allclose(port_gain_dbi(c1, 90.0, 0.0), 8.0 + 10 * np.log10(16))
    f = port_fields(c1, 90.0, 0.0)  # [port, 2]: +45 -> (c, c), -45 -> (c, -c)
    np.testing.assert_allclose(f[0, 0], f[0, 1])
    np.testing.assert_allclose(f[1, 0], -f[1, 1])
    vh = port_fields(PanelArray(1, 1, "vh", element="isotropic", port_map="element"), 60.0, 10.0)
    np.testing.assert_allclose(vh, [[1, 0], [0, 1]], atol=1e-12)


def test_los_ray_dominates_for_large_k():
    """K = 60 dB: H is the direct path of eq. (7.5-28): with vertical isotropic antennas at
    both ends F_rx^T diag(1, -1) F_tx = 1, so H = exp(-j 2 pi d_3D / lambda)."""
    p, lsps, cs = _clusters("uma", "los", 5, seed=3, k_db=60.0)
    iso = PanelArray(1, 1, "v", element="isotropic", port_map="element")
    d3 = np.array([100.0, 150.0, 200.0, 250.0, 301.0])
    lam = 0.05
    taps, delays = channel_taps(RayLinks(cs, iso, iso, np.zeros(5), np.zeros(5), d3, lam))
    h = frequency_response(taps, delays, np.array([0.0, 1e6]))
    np.testing.assert_allclose(h[:, 0, 0, 0], np.exp(-2j * np.pi * d3 / lam), atol=2e-3)


def test_frequency_response_matches_ray_loop_oracle():
    """Tap grouping (sub-clusters, direct path) against a direct sum over every ray."""
    p, lsps, cs = _clusters("umi", "los", 3, seed=4)
    bs = PanelArray(2, 2, "x45", port_map="panel_polarisation")
    ue = PanelArray(1, 1, "vh", element="isotropic", port_map="element")
    b, dt, d3, lam = np.array([10.0, 50, -70]), np.array([12.0, 0, 5]), np.array([80.0, 120, 40]), 0.05
    taps, delays = channel_taps(RayLinks(cs, bs, ue, b, dt, d3, lam))
    f = np.array([-5e6, 0.0, 3.3e6])
    h = frequency_response(taps, delays, f)
    ray_d = cs.ray_delays_s()
    m = cs.aod_deg.shape[2]
    for l in range(3):
        k = cs.k_lin[l]
        expect = np.zeros((2, 2, 3), dtype=complex)
        for n in range(cs.delay_s.shape[1]):
            for r in range(m):
                ft = port_fields(bs, cs.zod_deg[l, n, r], cs.aod_deg[l, n, r], b[l], dt[l])
                fr = port_fields(ue, cs.zoa_deg[l, n, r], cs.aoa_deg[l, n, r])
                pol = polarisation_matrix(cs.xpr_lin[l, n, r], cs.phase_rad[l, n, r])
                c = np.sqrt(cs.power[l, n] / m / (k + 1)) * (fr @ pol @ ft.T)
                expect += c[:, :, None] * np.exp(-2j * np.pi * f * ray_d[l, n, r])
        ft = port_fields(bs, cs.los_zod_deg[l], cs.los_aod_deg[l], b[l], dt[l])
        fr = port_fields(ue, cs.los_zoa_deg[l], cs.los_aoa_deg[l])
        los = fr @ np.diag([1.0, -1.0]) @ ft.T * np.exp(-2j * np.pi * d3[l] / lam) * np.sqrt(k / (k + 1))
        expect += los[:, :, None]
        np.testing.assert_allclose(h[l], expect, rtol=1e-4, atol=1e-5)


def test_mean_channel_power_is_one_with_isotropic_antennas():
    p, lsps, cs = _clusters("uma", "nlos", 400, seed=5)
    iso = PanelArray(1, 1, "v", element="isotropic", port_map="element")
    taps, delays = channel_taps(RayLinks(cs, iso, iso, np.zeros(400), np.zeros(400), np.full(400, 100.0), 0.05))
    h = frequency_response(taps, delays, np.linspace(-10e6, 10e6, 64))
    # E|H|^2 = sum of the ray powers (cut clusters lose < 1 %), ~5 % sampling error
    assert np.mean(np.abs(h) ** 2) == pytest.approx(np.mean(cs.power.sum(axis=1)), rel=0.06)
