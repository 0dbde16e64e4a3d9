"""Time evolution of the clustered channel (TR 38.901 V17.0.0 eq. 7.5-22, Doppler term of the UE
velocity) from the drop-time rays."""

import numpy as np
import pytest

from nrsim.channel.tr38901.coefficients import (
    RayLinks,
    channel_taps,
    doppler_hz_core,
    frequency_response,
    ray_coefficients,
    taps_at,
    taps_every,
)
from nrsim.channel.tr38901.panel import PanelArray

BS = PanelArray(2, 2, "x45")
UE = PanelArray(1, 1, "vh", element="isotropic", port_map="element")


def test_doppler_hand_values():
    lam = 0.05
    # arrival from the horizon at azimuth 30 deg, UE moving at 10 m/s towards azimuth 30 deg
    v = 10.0 * np.array([np.cos(np.radians(30)), np.sin(np.radians(30)), 0.0])
    assert doppler_hz_core(90.0, 30.0, *v, 1 / lam) == pytest.approx(200.0)
    assert doppler_hz_core(90.0, 210.0, *v, 1 / lam) == pytest.approx(-200.0)
    assert doppler_hz_core(90.0, 120.0, *v, 1 / lam) == pytest.approx(0.0, abs=1e-12)
    # zenith 60 deg: the horizontal part is sin 60
    assert doppler_hz_core(60.0, 30.0, *v, 1 / lam) == pytest.approx(200.0 * np.sin(np.radians(60)))


def test_direct_path_rotates_at_its_doppler(make_clusters):
    """K = 60 dB, vertical isotropic antennas: H(t) = exp(-j 2 pi d / lambda) exp(j 2 pi f_D t)
    with f_D = v cos(angle between v and the direction towards the BS) / lambda."""
    cs = make_clusters("umi", "los", 2, 3, k_db=60.0)[0]
    iso = PanelArray(1, 1, "v", element="isotropic", port_map="element")
    lam, d3 = 0.05, np.array([120.0, 80.0])
    aoa, zoa = np.radians(cs.los_aoa_deg), np.radians(cs.los_zoa_deg)
    toward = np.stack([np.sin(zoa) * np.cos(aoa), np.sin(zoa) * np.sin(aoa), np.cos(zoa)], axis=1)
    v = np.array([[3.0, 0.0, 0.0], [0.0, -1.0, 0.0]])
    f_d = (toward * v).sum(axis=1) / lam
    for t in (0.0, 1e-3, 7.3e-3):
        taps, delays = channel_taps(RayLinks(cs, iso, iso, 0.0, 0.0, d3, lam), velocity_mps=v, t_s=t)
        h = frequency_response(taps, delays, np.array([0.0]))[:, 0, 0, 0]
        np.testing.assert_allclose(h, np.exp(-2j * np.pi * d3 / lam) * np.exp(2j * np.pi * f_d * t), atol=2e-3)


def test_taps_at_equals_direct_evaluation(make_clusters):
    cs = make_clusters("umi", "los", 4, 5)[0]
    rng = np.random.default_rng(1)
    b, dt, d3, lam = rng.uniform(-180, 180, 4), rng.uniform(0, 12, 4), rng.uniform(30, 300, 4), 0.05
    v = rng.normal(size=(4, 3)) * 10
    rays = ray_coefficients(RayLinks(cs, BS, UE, b, dt, d3, lam), v)
    t0, _ = channel_taps(RayLinks(cs, BS, UE, b, dt, d3, lam))
    np.testing.assert_allclose(taps_at(rays, 0.0), t0, rtol=0, atol=2e-7 * np.abs(t0).max())
    for t in (0.5e-3, 0.0213, 0.4):
        direct, delays = channel_taps(RayLinks(cs, BS, UE, b, dt, d3, lam), velocity_mps=v, t_s=t)
        np.testing.assert_allclose(taps_at(rays, t), direct, rtol=0, atol=2e-7 * np.abs(direct).max())
        np.testing.assert_array_equal(delays, rays.delays_s)
    # no velocity: the channel does not change
    still = ray_coefficients(RayLinks(cs, BS, UE, b, dt, d3, lam), np.zeros((4, 3)))
    np.testing.assert_allclose(taps_at(still, 0.37), taps_at(still, 0.0), atol=1e-12)


def test_nlos_power_is_kept_and_decorrelates(make_clusters):
    """The Doppler phases keep the mean power; after many Doppler periods the taps decorrelate
    from t = 0, within a few ms (3 km/h at 6 GHz: f_D = 16.7 Hz) they barely change."""
    cs = make_clusters("umi", "nlos", 300, 8)[0]
    iso = PanelArray(1, 1, "v", element="isotropic", port_map="element")
    lam = 0.05
    rng = np.random.default_rng(2)
    az = rng.uniform(0, 2 * np.pi, 300)
    v = (3 / 3.6) * np.stack([np.cos(az), np.sin(az), np.zeros(300)], axis=1)
    rays = ray_coefficients(RayLinks(cs, iso, iso, 0.0, 0.0, 100.0, lam), v)
    h0 = taps_at(rays, 0.0).sum(axis=1)[:, 0, 0]
    h_near = taps_at(rays, 1e-3).sum(axis=1)[:, 0, 0]
    h_far = taps_at(rays, 2.0).sum(axis=1)[:, 0, 0]
    p0, p_far = np.mean(np.abs(h0) ** 2), np.mean(np.abs(h_far) ** 2)
    assert p_far == pytest.approx(p0, rel=0.25)
    rho_near = abs(np.vdot(h0, h_near)) / np.sqrt(np.vdot(h0, h0).real * np.vdot(h_near, h_near).real)
    rho_far = abs(np.vdot(h0, h_far)) / np.sqrt(np.vdot(h0, h0).real * np.vdot(h_far, h_far).real)
    assert rho_near > 0.99 and rho_far < 0.3


def test_taps_every_follows_taps_at(monkeypatch, make_clusters):
    """The phasor recurrence (re-anchored every REANCHOR_STEPS steps) equals the exact
    evaluation to single precision, across a re-anchoring."""
    import nrsim.channel.tr38901.coefficients as co
    monkeypatch.setattr(co, "REANCHOR_STEPS", 7)
    cs = make_clusters("umi", "nlos", 3, 9)[0]
    rng = np.random.default_rng(4)
    v = rng.normal(size=(3, 3)) * 30
    rays = ray_coefficients(RayLinks(cs, BS, UE, 20.0, 6.0, 100.0, 0.05), v)
    gen = taps_every(rays, 0.5e-3, t0_s=0.01)
    for k in range(20):
        t, taps = next(gen)
        assert t == pytest.approx(0.01 + k * 0.5e-3)
        exact = taps_at(rays, t)
        np.testing.assert_allclose(taps, exact, rtol=0, atol=1e-6 * np.abs(exact).max())


@pytest.mark.parametrize("n_prb", [1, 50, 273])
@pytest.mark.parametrize("ports", [(1, 1), (2, 4)])
def test_response_refresh_equals_taps_then_frequency_response(monkeypatch, n_prb, ports, make_clusters):
    """The fused per-slot refresh (compact taps, blocked delay phases; folded path for one
    port pair, phase table for eight) equals frequency_response(taps_at(t)) to single
    precision, every step, across a re-anchoring and after a seek; power() is
    scale * sum |H|^2."""
    import nrsim.channel.tr38901.coefficients as co
    from nrsim.channel.tr38901.coefficients import RayChannel, ResponseRefresh, prb_frequencies_hz
    monkeypatch.setattr(co, "REFRESH_REANCHOR_STEPS", 5)
    cs = make_clusters("umi", "los", 3, 11)[0]
    rng = np.random.default_rng(5)
    v = rng.normal(size=(3, 3)) * 20
    rays = ray_coefficients(RayLinks(cs, BS, UE, 40.0, 8.0, 150.0, 0.05), v)
    n_rx, n_tx = ports
    rays = RayChannel(np.ascontiguousarray(rays.coef[:, :, :n_rx, :n_tx]), rays.doppler_hz, rays.tap, rays.delays_s)
    f = prb_frequencies_hz(n_prb, 30e3)
    rr = ResponseRefresh(rays, f, 0.5e-3, t0_s=0.003)
    for k in range(12):
        t = 0.003 + k * 0.5e-3
        exact = frequency_response(taps_at(rays, t), rays.delays_s, f)
        h = rr.response()
        np.testing.assert_allclose(h, exact, rtol=0, atol=2e-6 * np.abs(exact).max())
    rr.seek(0.0125)
    scale = np.array([1.0, 0.5, 2.0])
    out = np.full((3 * 2, n_prb), -1.0, dtype=np.float32)
    rr.power(scale, out, row0=1, row_stride=2)
    exact = np.abs(frequency_response(taps_at(rays, 0.0125), rays.delays_s, f)) ** 2
    want = scale[:, None] * exact.sum(axis=(1, 2))
    np.testing.assert_allclose(out[1::2], want, rtol=2e-5, atol=1e-6 * want.max())
    assert np.all(out[0::2] == -1.0)  # other rows untouched


def test_compact_taps_hand_example():
    """Rays on taps {-1, 0, 3, 3, 7} of a 9-tap layout: active taps 0, 3, 7 -> 0, 1, 2."""
    from nrsim.channel.tr38901.coefficients import RayChannel, compact_taps
    tap = np.array([[-1, 0, 3, 3, 7]], dtype=np.int16)
    delays = np.arange(9, dtype=np.float64)[None, :] * 1e-8
    rays = RayChannel(np.ones((1, 5, 1, 1), np.complex64), np.zeros((1, 5)), tap, delays)
    ct = compact_taps(rays)
    assert ct.tap.tolist() == [[-1, 0, 1, 1, 2]]
    assert ct.n_active.tolist() == [3]
    np.testing.assert_allclose(ct.delays_s[0, :3], [0.0, 3e-8, 7e-8])
