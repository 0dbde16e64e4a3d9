"""The UL estimate split into a per-step signal and a per-slot SINR (nrsim.radio.uplink)
against the TS 38.213 V17 7.1.1 open-loop formula written out by hand."""

from __future__ import annotations

import math

import pytest

from nrsim.radio.uplink import ul_signal_prb_mw, ul_sinr_db, ul_sinr_estimate_db


def _hand_sinr_db(gain_lin, n_prb, p0_dbm, alpha, pmax_dbm, mu, i_mw, noise_mw, rx_gain):
    pl_db = -10.0 * math.log10(gain_lin)
    p_dbm = min(pmax_dbm, p0_dbm + 10.0 * math.log10(2**mu * n_prb) + alpha * pl_db)
    p_prb_mw = 10.0 ** (p_dbm / 10.0) / n_prb
    return 10.0 * math.log10(p_prb_mw * gain_lin * rx_gain / (i_mw + noise_mw))


@pytest.mark.parametrize("gain_lin,n_prb", [(1e-9, 1), (1e-12, 1), (1e-12, 40), (3e-14, 273)])
def test_split_estimate_equals_the_formula_and_the_one_call(gain_lin: float, n_prb: int) -> None:
    args = (-90.0, 0.8, 23.0, 1)  # P0 [dBm], alpha, P_CMAX [dBm], mu
    i_mw, noise_mw, rx = 2e-11, 3e-12, 2.0
    sig = ul_signal_prb_mw(gain_lin, n_prb, *args, rx)
    split = ul_sinr_db(sig, i_mw, noise_mw)
    assert split == ul_sinr_estimate_db(gain_lin, n_prb, *args, i_mw, noise_mw, rx)  # same arithmetic
    assert split == pytest.approx(_hand_sinr_db(gain_lin, n_prb, *args, i_mw, noise_mw, rx), abs=1e-9)


def test_power_limited_ue_signal_falls_with_prbs() -> None:
    """At P_CMAX the power per PRB is P_CMAX / M_RB: 10x the PRBs, -10 dB per PRB."""
    g = 1e-14  # deep path loss: power-limited on any allocation
    s1 = ul_signal_prb_mw(g, 10, -80.0, 1.0, 23.0, 1, 1.0)
    s10 = ul_signal_prb_mw(g, 100, -80.0, 1.0, 23.0, 1, 1.0)
    assert 10.0 * math.log10(s1 / s10) == pytest.approx(10.0, abs=1e-12)
    assert s1 == pytest.approx(10.0 ** 2.3 / 10 * g, rel=1e-12)
