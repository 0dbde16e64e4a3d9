"""RSRP / RSRQ / SINR of every cell (TS 38.215) and the A3 trigger quantity."""

from __future__ import annotations

import numpy as np
import pytest

import nrsim
from nrsim.errors import ConfigError
from nrsim.mobility.handover import HandoverParams, HandoverState
from nrsim.radio.measurements import measurement_quantities

N_SC = 273 * 12


def test_lone_fully_loaded_cell_without_noise_has_rsrq_minus_10_8_db() -> None:
    # N x RSRP / RSSI = N_RB x (P / (12 N_RB)) / P = 1/12 (hand calculation)
    rsrp, rsrq, sinr = measurement_quantities(np.array([[1e-6]]), np.array([1.0]), 0.0, N_SC)
    assert rsrp[0, 0] == pytest.approx(-60.0 - 10 * np.log10(N_SC))
    assert rsrq[0, 0] == pytest.approx(-10 * np.log10(12.0))
    assert np.isinf(sinr[0, 0]) or sinr[0, 0] > 100.0


def test_two_cells_by_hand() -> None:
    # cells at 4 and 1 (units of mW over the band), loads 1 and 0.5, noise 0.5:
    # RSSI = 4 + 0.5 + 0.5 = 5; RSRQ_c = P_c / (12 RSSI); SINR_0 = 4 / (0.5 + 0.5) = 4,
    # SINR_1 = 1 / (4 + 0.5) = 1/4.5
    rx = np.array([[4.0, 1.0]])
    rsrp, rsrq, sinr = measurement_quantities(rx, np.array([1.0, 0.5]), 0.5, N_SC)
    np.testing.assert_allclose(rsrq[0], 10 * np.log10(rx[0] / (12 * 5.0)))
    np.testing.assert_allclose(sinr[0], 10 * np.log10([4.0, 1 / 4.5]))
    np.testing.assert_allclose(rsrp[0] - rsrp[0, 0], 10 * np.log10(rx[0] / 4.0))


def test_a3_on_sinr_hands_over_where_a3_on_rsrp_does_not() -> None:
    """Neighbour 2 dB stronger in RSRP but 4 dB better in SINR: an A3 offset of 3 dB fires on
    SINR only (no filtering, no TTT)."""
    n_steps = 20
    rsrp = np.zeros((1, 2))
    rsrp[0] = [-90.0, -88.0]
    sinr = np.array([[1.0, 5.0]])
    rsrq = np.array([[-12.0, -11.0]])
    out = {}
    for q in ("rsrp", "sinr", "rsrq"):
        p = HandoverParams(a3_offset_db=3.0, hysteresis_db=0.0, ttt_s=0.0, l3_filter_k=0, trigger_quantity=q)
        st = HandoverState(1, 2, np.array([0]), p, 0.01)
        for k in range(n_steps):
            st.step(k * 0.01, rsrp, np.array([10.0]), rsrq, sinr)
        out[q] = int(st.serving[0])
        if q == "rsrp":  # stayed on cell 0: its filtered measurements averaged over the run
            np.testing.assert_allclose(st.mean_serving("rsrq"), [-12.0])
            np.testing.assert_allclose(st.mean_serving("sinr"), [1.0])
    assert out == {"rsrp": 0, "sinr": 1, "rsrq": 0}


def test_mobility_run_reports_filtered_serving_measurements() -> None:
    cfg = nrsim.load_config("mobility-uma", ["deployment.rings=1", "deployment.ue.per_sector=4", "mobility.duration_s=1",
                                             "mobility.handover.trigger_quantity=rsrq"])
    ue = nrsim.run(cfg).ue
    for col in ("mean_rsrp_dbm", "mean_rsrq_db", "mean_sinr_db"):
        assert np.isfinite(ue[col]).all(), col
    # RSRQ cannot exceed the lone-cell value at the configured load (radio.load = 1 by default)
    assert (ue["mean_rsrq_db"] <= -10 * np.log10(12.0) + 1e-9).all()
    assert (ue["mean_rsrq_db"] > -40.0).all()


def test_a5_needs_rsrp() -> None:
    with pytest.raises(ConfigError, match="trigger_quantity"):
        nrsim.load_config("mobility-uma", ["mobility.handover.event=A5", "mobility.handover.trigger_quantity=sinr"])


def test_per_link_load_is_the_per_cell_load_read_per_link() -> None:
    """The sparse link form's load [ue, cell] (each UE's own candidate cells) gives the
    quantities of the per-cell load [cell] it was read from."""
    rx = np.array([[1e-6, 2e-7, 5e-9], [3e-8, 1e-6, 4e-7]])
    load = np.array([1.0, 0.5, 0.25])
    per_cell = measurement_quantities(rx, load, 1e-9, N_SC)
    per_link = measurement_quantities(rx, np.broadcast_to(load, rx.shape), 1e-9, N_SC)
    for a, b in zip(per_cell, per_link):
        np.testing.assert_allclose(b, a, rtol=1e-12)
    # the columns' own cells: UE 1's columns are cells (2, 0, 1)
    cells = np.array([[0, 1, 2], [2, 0, 1]])
    got = measurement_quantities(rx, load[cells], 1e-9, N_SC)
    want = measurement_quantities(rx[1:, np.argsort(cells[1])], load, 1e-9, N_SC)
    np.testing.assert_allclose(got[1][1], want[1][0][cells[1]], rtol=1e-12)  # RSRQ: the RSSI over its cells
