"""Noise, serving cell and SINR against hand calculations and a slow loop oracle."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nrsim.radio import downlink_sinr, noise_power_dbm, rsrp_dbm, serving_cell


def test_noise_power() -> None:
    # -174 dBm/Hz + 10 log10(100e6) + 9 = -174 + 80 + 9 = -85 dBm
    assert noise_power_dbm(100e6, 9.0) == -85.0
    assert abs(noise_power_dbm(20e6, 9.0) - (-174 + 10 * math.log10(20e6) + 9)) < 1e-12


def test_rsrp_per_resource_element() -> None:
    # 46 dBm over 273 RB * 12 subcarriers
    assert abs(rsrp_dbm(np.array([46.0]), 3276)[0] - (46 - 10 * math.log10(3276))) < 1e-12


def test_sinr_against_loop_oracle() -> None:
    rng = np.random.default_rng(0)
    rx = rng.uniform(-120, -60, size=(40, 7))
    serv = serving_cell(rx)
    load = rng.uniform(0.2, 1.0, size=7)
    sinr, sir, sig = downlink_sinr(rx, serv, -95.0, load=load)
    for u in range(40):
        s = 10 ** (rx[u, serv[u]] / 10)
        i = sum(load[c] * 10 ** (rx[u, c] / 10) for c in range(7) if c != serv[u])
        n = 10 ** (-95.0 / 10)
        assert abs(sinr[u] - 10 * math.log10(s / (i + n))) < 1e-9
        assert abs(sir[u] - 10 * math.log10(s / i)) < 1e-9
        assert serv[u] == int(np.argmax(rx[u]))


def test_single_cell_sir_infinite_and_empty() -> None:
    sinr, sir, _ = downlink_sinr(np.array([[-80.0]]), np.array([0]), -100.0)
    assert sir[0] == np.inf and abs(sinr[0] - 20.0) < 1e-12
    sinr, sir, sig = downlink_sinr(np.zeros((0, 5)), np.zeros(0, dtype=np.int64), -100.0)
    assert sinr.shape == (0,) and sir.shape == (0,)
    assert serving_cell(np.zeros((0, 5))).shape == (0,)


def test_handover_margin_keeps_preferred_within_margin() -> None:
    rsrp = np.array([[-80.0, -81.0], [-80.0, -85.0]])
    pref = np.array([1, 1])
    assert serving_cell(rsrp).tolist() == [0, 0]
    assert serving_cell(rsrp, preferred_cell=pref, margin_db=3.0).tolist() == [1, 0]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-150, -40), min_size=2, max_size=8),
    st.floats(-130, -80),
)
def test_sinr_never_above_snr_or_sir(rx_list: list[float], noise_dbm: float) -> None:
    rx = np.asarray([rx_list])
    serv = serving_cell(rx)
    sinr, sir, sig = downlink_sinr(rx, serv, noise_dbm)
    snr = sig - noise_dbm
    assert sinr[0] <= snr[0] + 1e-9
    assert sinr[0] <= sir[0] + 1e-9
