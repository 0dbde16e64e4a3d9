"""Per-link keyed draws (a link's channel does not depend on the other links computed) and the
row x column array response against the element-by-element sum."""

import numpy as np
import pytest

from nrsim.api import load_config
from nrsim.calibration.full import antenna_panels, cluster_key, drop_links
from nrsim.channel.tr38901.antenna import element_pattern_db, gcs_to_lcs_angles
from nrsim.channel.tr38901.draws import LinkDraws
from nrsim.channel.tr38901.links import link_channels
from nrsim.channel.tr38901.panel import PanelArray, field_rotation_psi_rad, port_fields


@pytest.fixture(scope="module")
def drop():
    cfg = load_config("uma-6ghz", ["deployment.ue.per_sector=1"], seed=3, drops=1)
    bs, ue, tilt = antenna_panels(1, "uma")
    return cfg, drop_links(cfg, 0, bs, tilt, 8), bs, ue


def _channels(dl, bs, ue, idx, key):
    return link_channels(dl.links.subset(idx), dl.scenario, dl.fc_ghz, dl.fields, bs, ue, key=key)


def test_link_channel_independent_of_the_other_links(drop):
    cfg, dl, bs, ue = drop
    n = dl.links.n_links
    key = cluster_key(cfg.seed, 0)
    full = _channels(dl, bs, ue, np.arange(n), key)
    rng = np.random.default_rng(7)
    sub = rng.permutation(n)[:41]  # a shuffled subset
    part = _channels(dl, bs, ue, sub, key)
    np.testing.assert_array_equal(part.taps, full.taps[sub])
    np.testing.assert_array_equal(part.delays_s, full.delays_s[sub])
    for k in full.spreads:
        np.testing.assert_array_equal(part.spreads[k], full.spreads[k][sub])
    # alone, and in chunks of any size
    for link in sub[:5]:
        alone = _channels(dl, bs, ue, np.array([link]), key)
        np.testing.assert_array_equal(alone.taps[0], full.taps[link])
    chunks = [np.arange(s, min(s + 97, n)) for s in range(0, n, 97)]
    got = np.concatenate([_channels(dl, bs, ue, c, key).taps for c in chunks])
    np.testing.assert_array_equal(got, full.taps)
    # another key gives another channel
    other = _channels(dl, bs, ue, sub[:3], key + 1)
    assert not np.allclose(other.taps[:, -5:-1], part.taps[:3, -5:-1])


def test_cells_of_a_site_share_the_rays(drop):
    cfg, dl, bs, ue = drop
    ch = _channels(dl, bs, ue, np.arange(dl.links.n_links), 11)
    links = dl.links
    code = links.ue * 1000 + links.site
    vals, counts = np.unique(code, return_counts=True)
    shared = vals[counts > 1][:3]
    assert shared.size > 0
    for c in shared:
        i, j = np.flatnonzero(code == c)[:2]
        assert ch.pair[i] == ch.pair[j] and links.bearing_deg[i] != links.bearing_deg[j]
        np.testing.assert_array_equal(ch.delays_s[i], ch.delays_s[j])
        assert ch.spreads["asa_deg"][i] == ch.spreads["asa_deg"][j]
        assert not np.allclose(ch.taps[i], ch.taps[j])  # different panels


def test_link_draws_keyed_and_distributed():
    ue, site = np.arange(400), np.arange(400) % 19
    a = LinkDraws(5, ue, site)
    u = a.random((400, 50))
    z = a.standard_normal((400, 50))
    # the same link in another set, at the same call, draws the same numbers
    b = LinkDraws(5, ue[::-7], site[::-7])
    np.testing.assert_array_equal(b.random((ue[::-7].size, 50)), u[::-7])
    np.testing.assert_array_equal(b.standard_normal((ue[::-7].size, 50)), z[::-7])
    assert 0.0 <= u.min() and u.max() < 1.0
    assert u.mean() == pytest.approx(0.5, abs=0.01) and u.std() == pytest.approx(np.sqrt(1 / 12), abs=0.005)
    assert z.mean() == pytest.approx(0.0, abs=0.03) and z.std() == pytest.approx(1.0, abs=0.02)
    s = a.integers(0, 2, (400, 50))
    assert set(np.unique(s)) == {0, 1} and s.mean() == pytest.approx(0.5, abs=0.02)


def _element_sum(panel, th, ph, b, dt):
    """Oracle: the port fields as the sum over the panel's individual elements."""
    th_l, ph_l = gcs_to_lcs_angles(th, ph, b, dt)
    psi = field_rotation_psi_rad(th, ph, b, dt)
    amp = np.sqrt(10 ** (element_pattern_db(th_l, ph_l) / 10)) if panel.element == "3gpp" else np.ones_like(th_l)
    pos, zeta, port, wgt = panel.elements()
    t, p = np.radians(th_l), np.radians(ph_l)
    r = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], -1)
    phase = np.exp(2j * np.pi * (r @ pos.T)) * wgt
    out = np.zeros(th.shape + (port.max() + 1, 2), complex)
    for e in range(pos.shape[0]):
        z = np.radians(zeta[e])
        out[..., port[e], 0] += amp * phase[..., e] * (np.cos(psi) * np.cos(z) - np.sin(psi) * np.sin(z))
        out[..., port[e], 1] += amp * phase[..., e] * (np.sin(psi) * np.cos(z) + np.cos(psi) * np.sin(z))
    return out


@pytest.mark.parametrize("panel", [
    PanelArray(4, 4, "x45", mg_rows=1, ng_cols=2, dgh_wl=2.5, dgv_wl=2.5),
    PanelArray(2, 2, "v", port_map="element"),
    PanelArray(10, 1, "v", etilt_deg=102.0),
    PanelArray(2, 3, "vh", mg_rows=2, ng_cols=2, dgv_wl=1.7, dgh_wl=3.1, etilt_deg=95.0, port_map="element"),
    PanelArray(3, 2, "x45", mg_rows=2, ng_cols=1, dgv_wl=1.7, etilt_deg=95.0),
    PanelArray(1, 1, "vh", element="isotropic", port_map="element"),
    PanelArray(2, 2, "x45", element="isotropic"),
    PanelArray(8, 4, "x45", port_map="subarray", subarray_rows=2, etilt_deg=100.0),
    PanelArray(4, 2, "vh", mg_rows=2, dgv_wl=2.1, port_map="subarray", subarray_rows=4, etilt_deg=96.0),
])
def test_kronecker_array_response_matches_element_sum(panel):
    rng = np.random.default_rng(0)
    th, ph = rng.uniform(0, 180, 300), rng.uniform(-180, 180, 300)
    for b, dt in ((rng.uniform(-180, 180, 300), rng.uniform(-10, 20, 300)), (rng.uniform(-180, 180, 300), 0.0)):
        np.testing.assert_allclose(port_fields(panel, th, ph, b, dt), _element_sum(panel, th, ph, b, dt),
                                   rtol=0, atol=1e-12)
