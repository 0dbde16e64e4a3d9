"""Oxygen absorption (TR 38.901 V17.0.0 7.6.1) and blockage model A (7.6.4.1) against
hand-worked values, and as options of the link channels."""

import math

import numpy as np
import pytest

from nrsim.api import load_config
from nrsim.calibration.full import antenna_panels, cluster_key, drop_links
from nrsim.channel.tr38901.attenuation import (
    BlockageModelA,
    blockage_attenuation_db,
    draw_blockers,
    nonself_blocking_db,
    oxygen_absorption_db_per_km,
    oxygen_loss_db,
)
from nrsim.channel.tr38901.coefficients import frequency_response, prb_frequencies_hz
from nrsim.channel.tr38901.links import ChannelOptions, link_channels
from nrsim.errors import ConfigError


def test_oxygen_table_7_6_1_1():
    assert oxygen_absorption_db_per_km(60.0) == 15.0
    assert oxygen_absorption_db_per_km(59.5) == pytest.approx(14.8)  # (14.6 + 15) / 2
    assert oxygen_absorption_db_per_km(52.5) == pytest.approx(0.5)
    assert oxygen_absorption_db_per_km(30.0) == 0.0 and oxygen_absorption_db_per_km(70.0) == 0.0
    assert oxygen_absorption_db_per_km(6.0) == 0.0


def test_oxygen_loss_eq_7_6_1():
    # 60 GHz, d = 100 m, tau = 10 ns, tau_Delta = 5 ns: 15/1000 (100 + c 15 ns) = 1.56745 dB
    assert oxygen_loss_db(60.0, 100.0, 10e-9, 5e-9) == pytest.approx(1.5674533, abs=1e-6)
    # LOS direct path: alpha d / 1000
    assert oxygen_loss_db(60.0, 250.0, 0.0, 0.0) == pytest.approx(3.75)
    assert oxygen_loss_db(28.0, 250.0, 1e-6, 0.0) == 0.0


def test_nonself_blocking_hand_values():
    """x = 30, y = 10 deg, r = 10 m, lambda = 0.05 m. Centre: F_A1 = F_A2 =
    atan(pi/2 sqrt(pi 200 (1/cos 15 - 1))) / pi = 0.45722, F_Z1 = F_Z2 = 0.37589,
    L = -20 log10(1 - 0.91443 * 0.75179) = 10.102 dB."""
    lam = 0.05
    assert nonself_blocking_db(0.0, 0.0, 30.0, 10.0, 10.0, lam) == pytest.approx(10.10185, abs=1e-4)
    # beyond the right edge (dphi = 20 deg): s_A1 = -1, F_A = F(5, -) + F(35, +) = 0.10692
    assert nonself_blocking_db(20.0, 0.0, 30.0, 10.0, 10.0, lam) == pytest.approx(
        -20 * math.log10(1 - 0.10691810 * 0.75178638), abs=1e-5)
    # outside twice the span: no loss; continuous across the edges
    assert nonself_blocking_db(30.5, 0.0, 30.0, 10.0, 10.0, lam) == 0.0
    assert nonself_blocking_db(0.0, 10.5, 30.0, 10.0, 10.0, lam) == 0.0
    a = nonself_blocking_db(np.array([14.999, 15.001, -14.999, -15.001]), 0.0, 30.0, 10.0, 10.0, lam)
    np.testing.assert_allclose(a[0], a[1], rtol=1e-3)
    np.testing.assert_allclose(a[2], a[3], rtol=1e-3)
    # symmetric in both angles
    assert nonself_blocking_db(-7.0, -3.0, 30.0, 10.0, 10.0, lam) == pytest.approx(
        nonself_blocking_db(7.0, 3.0, 30.0, 10.0, 10.0, lam))


def test_self_blocking_regions():
    none = np.zeros((1, 0, 4))
    portrait = BlockageModelA("uma", n_blockers=0, self_blocking="portrait")
    landscape = BlockageModelA("uma", n_blockers=0, self_blocking="landscape")
    aoa = np.array([[260.0, -100.0, 199.0, 321.0, 260.0]])
    zoa = np.array([[100.0, 100.0, 100.0, 100.0, 141.0]])
    # portrait: 260 +- 60 deg, 100 +- 40 deg
    np.testing.assert_array_equal(blockage_attenuation_db(portrait, none, aoa, zoa, 0.05), [[30, 30, 0, 0, 0]])
    # landscape: 40 +- 80 deg, 110 +- 37.5 deg
    got = blockage_attenuation_db(landscape, none, np.array([[40.0, -39.0, 121.0]]), np.array([[110.0, 140.0, 110.0]]),
                                  0.05)
    np.testing.assert_array_equal(got, [[30, 30, 0]])
    with pytest.raises(ConfigError):
        BlockageModelA("uma", self_blocking="sideways")


def test_blockers_drawn_per_ue_in_table_ranges():
    m = BlockageModelA("umi")
    ue = np.arange(2000)
    b = draw_blockers(m, 9, ue)
    assert b.shape == (2000, 4, 4) and m.blocker_distance_m == 10.0
    assert BlockageModelA("inh").blocker_distance_m == 2.0
    assert 0 <= b[..., 0].min() and b[..., 0].max() < 360
    assert 15 <= b[..., 1].min() and b[..., 1].max() <= 45 and np.all(b[..., 2] == 90)
    assert 5 <= b[..., 3].min() and b[..., 3].max() <= 15
    np.testing.assert_array_equal(draw_blockers(m, 9, ue[[5, 1999, 5]]), b[[5, 1999, 5]])


@pytest.fixture(scope="module")
def drop():
    cfg = load_config("uma-6ghz", ["deployment.ue.per_sector=1"], seed=4, drops=1)
    bs, ue, tilt = antenna_panels(2, "uma")
    return cfg, drop_links(cfg, 0, bs, tilt, 2), bs, ue


def _power(ch):
    h = frequency_response(ch.taps, ch.delays_s, prb_frequencies_hz(8, 30e3))
    return (np.abs(h) ** 2).mean(axis=(1, 2, 3))


def test_options_off_by_default_and_oxygen_zero_at_6ghz(drop):
    cfg, dl, bs, ue = drop
    key = cluster_key(cfg.seed, 0)
    off = link_channels(dl.links, dl.scenario, dl.fc_ghz, dl.fields, bs, ue, key=key, spreads=False)
    oxy = link_channels(dl.links, dl.scenario, dl.fc_ghz, dl.fields, bs, ue, key=key, spreads=False,
                        options=ChannelOptions(oxygen=True))
    np.testing.assert_array_equal(off.taps, oxy.taps)  # alpha(6 GHz) = 0


def test_blockage_lowers_power_and_keeps_delays(drop):
    cfg, dl, bs, ue = drop
    key = cluster_key(cfg.seed, 0)
    off = link_channels(dl.links, dl.scenario, dl.fc_ghz, dl.fields, bs, ue, key=key, spreads=False)
    opt = ChannelOptions(blockage=BlockageModelA("uma"), blockage_key=123)
    on = link_channels(dl.links, dl.scenario, dl.fc_ghz, dl.fields, bs, ue, key=key, spreads=False, options=opt)
    np.testing.assert_array_equal(on.delays_s, off.delays_s)
    # every cluster and direct path loses power (|H|^2 of one link may still rise: fading)
    np.testing.assert_array_equal(on.clusters.power, off.clusters.power)  # the propagation's rays
    assert np.all(on.cluster_gain <= 1.0) and np.all(on.los_amplitude <= 1.0) and np.all(off.cluster_gain == 1.0)
    assert np.any(on.cluster_gain[off.clusters.power > 0] < 0.5)
    p_off, p_on = _power(off), _power(on)
    ratio_db = 10 * np.log10(np.mean(p_on) / np.mean(p_off))
    # self-blocking covers 120 x 80 deg of the arrival sphere, 4 blockers 15-45 deg wide: a few dB
    assert -8.0 < ratio_db < -0.3
    # the blockers are per UE: a subset of links gets the same channel
    sub = np.arange(0, dl.links.n_links, 5)
    part = link_channels(dl.links.subset(sub), dl.scenario, dl.fc_ghz, dl.fields, bs, ue, key=key, spreads=False,
                         options=opt)
    np.testing.assert_array_equal(part.taps, on.taps[sub])
