"""Pieces of the call slot core that keep or gather state for speed, each against a plain
recomputation (the results must not depend on the shortcut)."""

from __future__ import annotations

import numpy as np

from nrsim.engine import call_kernels as ck
from nrsim.link.csi import deliver_reports
from nrsim.traffic import queue as tq
from nrsim.traffic.queue import PACKET_DTYPE, new_queues


def _full_scan_deliver(t, delay, csi_ring, csi_ok, reported_db, subband, fresh):
    """The delivery of every UE's report (the loop over all UEs the period shortcut replaces)."""
    src = t - delay
    if src < 0:
        return
    ring = src % csi_ring.shape[0]
    for u in range(csi_ok.shape[1]):
        if csi_ok[ring, u]:
            reported_db[u] = csi_ring[ring, u] if subband else csi_ring[ring, u, 0]
            fresh[u] = True
            csi_ok[ring, u] = False


def test_report_delivery_by_period_matches_a_full_scan() -> None:
    """Reports written as the slot core writes them (UEs u with (t - u) % period == 0, some
    dropped by a handover) reach the gNB exactly as with a scan over all UEs."""
    rng = np.random.default_rng(3)
    n_ue, n_rbg, period, delay = 23, 4, 5, 2
    ring_n = delay + 1
    states = []
    for _ in range(2):
        states.append(dict(csi_ring=np.zeros((ring_n, n_ue, n_rbg)), csi_ok=np.zeros((ring_n, n_ue), dtype=bool),
                           reported_db=np.zeros((n_ue, n_rbg)), fresh=np.zeros(n_ue, dtype=bool)))
    n_delivered = 0
    for t in range(40):
        for k, s in enumerate(states):
            if k == 0:
                deliver_reports(t, delay, period, s["csi_ring"], s["csi_ok"], s["reported_db"], True, s["fresh"])
            else:
                _full_scan_deliver(t, delay, s["csi_ring"], s["csi_ok"], s["reported_db"], True, s["fresh"])
        n_delivered += int(states[0]["fresh"].sum())
        np.testing.assert_array_equal(states[0]["reported_db"], states[1]["reported_db"])
        np.testing.assert_array_equal(states[0]["fresh"], states[1]["fresh"])
        np.testing.assert_array_equal(states[0]["csi_ok"], states[1]["csi_ok"])
        ues = np.arange(t % period, n_ue, period)
        vals = rng.normal(size=(ues.size, n_rbg))
        lost = rng.random(ues.size) < 0.2  # handover: the report is discarded before delivery
        for s in states:
            s["fresh"][:] = False
            s["csi_ring"][t % ring_n, ues] = vals
            s["csi_ok"][t % ring_n, ues] = ~lost
    assert n_delivered > 100


def test_head_rank_follows_the_head_packet() -> None:
    """The head's priority and deadline kept in the queue record equal the head packet's after
    arrivals, takes (head forward) and a give-back (head backward)."""
    PK = np.zeros(3, dtype=PACKET_DTYPE)
    PK["t_s"] = [0.0, 0.001, 0.002]
    PK["deadline_s"] = [0.1, 0.2, 0.3]
    PK["cum_bits"] = [100.0, 300.0, 600.0]
    PK["prio"] = [20.0, 30.0, 40.0]
    first = np.zeros((4, 1), dtype=np.int64)
    end = np.zeros((4, 1), dtype=np.int64)
    end[1, 0] = 3  # DL channel 1 holds the three packets; the others are empty
    first[2:], end[2:] = 3, 3
    Q = new_queues(first, end)
    tq.refresh_events(Q, PK)
    assert tq.head_rank(Q, PK, 0, 0) == (0.0, 0.0)  # nothing arrived yet
    tq.advance_queues(Q, PK, 0.005, 0.0)
    assert tq.head_rank(Q, PK, 0, 0) == (20.0, 0.1)
    parts = np.zeros(tq.N_LCH)
    tq.take_bits(Q, PK, 0, 0, 250.0, parts)  # packet 0 fully, packet 1 partly
    assert Q["head"][1, 0] == 1 and tq.head_rank(Q, PK, 0, 0) == (30.0, 0.2)
    tq.take_bits(Q, PK, 0, 0, 350.0, parts)  # all taken: no head
    assert tq.head_rank(Q, PK, 0, 0) == (0.0, 0.0)
    tq.give_back(Q, PK, 1, 0, 400.0)  # packets 1 and 2 partly back
    h = Q["head"][1, 0]
    assert h == 1 and tq.head_rank(Q, PK, 0, 0) == (PK["prio"][h], PK["deadline_s"][h])


def test_csi_fading_rows_are_the_reporting_ues_bank_rows() -> None:
    rng = np.random.default_rng(5)
    n_ue, n_rbg, period, t = 17, 6, 4, 11
    bank_rbg = rng.random((50, n_rbg)).astype(np.float32)
    UE = np.zeros(n_ue, dtype=ck.UE_DTYPE)
    UE["can_tx"] = rng.random(n_ue) < 0.7
    UE["f_period"] = 8
    UE["f_base"] = rng.integers(0, 5, n_ue) * 8
    UE["f_off"] = rng.integers(0, 8, n_ue)
    P = np.zeros(1, dtype=ck.PARAM_DTYPE)
    P["cqi_period"] = period
    ues, g = ck._csi_fading_rows(t, P[0], UE, bank_rbg)
    want = [u for u in range(n_ue) if (t - u) % period == 0 and UE["can_tx"][u]]
    np.testing.assert_array_equal(ues, want)
    rows = UE["f_base"][want] + (UE["f_off"][want] + t) % UE["f_period"][want]
    np.testing.assert_array_equal(g, bank_rbg[rows])


def test_ul_step_signal_is_the_serving_link_one_prb_signal() -> None:
    n_ue, n_cells = 5, 3
    UE = np.zeros(n_ue, dtype=ck.UE_DTYPE)
    UE["serving"] = [0, 2, 1, 2, 0]
    LINK = np.zeros((n_ue, n_cells), dtype=ck.LINK_DTYPE)
    LINK["gain_lin"] = np.logspace(-13, -9, n_ue * n_cells).reshape(n_ue, n_cells)
    P = np.zeros(1, dtype=ck.PARAM_DTYPE)
    P["ul_p0_dbm"], P["ul_alpha"], P["ul_pmax_dbm"], P["mu"], P["ul_rx_gain"] = -90.0, 0.8, 23.0, 1, 2.0
    ck.ul_step_signal(P[0], UE, LINK)
    g = LINK["gain_lin"][np.arange(n_ue), UE["serving"]]
    p_dbm = np.minimum(23.0, -90.0 + 10 * np.log10(2.0) + 0.8 * -10 * np.log10(g))
    np.testing.assert_allclose(UE["ul_sig1_mw"], 10 ** (p_dbm / 10) * g * 2.0, rtol=1e-12)
