"""Pieces of the call slot core that keep or gather state for speed, each against a plain
recomputation (the results must not depend on the shortcut)."""

from __future__ import annotations

import numpy as np

from nrsim.engine import call_kernels as ck
from nrsim.link.csi import deliver_reports, middle_prb_gains, subband_report, wideband_report
from nrsim.link.harq import HARQ_DTYPE, ready_process
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


def test_csi_fading_rows_are_the_reporting_ues_trace_rows() -> None:
    rng = np.random.default_rng(5)
    n_ue, period, t = 17, 4, 11
    UE = np.zeros(n_ue, dtype=ck.UE_DTYPE)
    UE["can_tx"] = rng.random(n_ue) < 0.7
    UE["f_period"] = 8
    UE["f_base"] = rng.integers(0, 5, n_ue) * 8
    UE["f_off"] = rng.integers(0, 8, n_ue)
    P = np.zeros(1, dtype=ck.PARAM_DTYPE)
    P["cqi_period"] = period
    ues, rows = ck._csi_fading_rows(t, P[0], UE)
    want = [u for u in range(n_ue) if (t - u) % period == 0 and UE["can_tx"][u]]
    np.testing.assert_array_equal(ues, want)
    np.testing.assert_array_equal(rows, UE["f_base"][want] + (UE["f_off"][want] + t) % UE["f_period"][want])


def test_ul_step_signal_is_the_serving_link_one_prb_signal() -> None:
    n_ue, n_cells = 5, 3
    UE = np.zeros(n_ue, dtype=ck.UE_DTYPE)
    UE["serving"] = [0, 2, 1, 2, 0]
    LINK = np.zeros((n_ue, n_cells), dtype=ck.LINK_DTYPE)  # [ue, L]: slot 0 the serving link
    LINK["gain_lin"] = np.logspace(-13, -9, n_ue * n_cells).reshape(n_ue, n_cells)
    LINK["cell"][:, 0] = UE["serving"]
    P = np.zeros(1, dtype=ck.PARAM_DTYPE)
    P["ul_p0_dbm"], P["ul_alpha"], P["ul_pmax_dbm"], P["mu"], P["ul_rx_gain"] = -90.0, 0.8, 23.0, 1, 2.0
    ck.ul_step_signal(P[0], UE, LINK)
    g = LINK["gain_lin"][:, ck.SERVING_LINK]
    p_dbm = np.minimum(23.0, -90.0 + 10 * np.log10(2.0) + 0.8 * -10 * np.log10(g))
    np.testing.assert_allclose(UE["ul_sig1_mw"], 10 ** (p_dbm / 10) * g * 2.0, rtol=1e-12)


def _random_harq(rng, n_ue, n_proc, t):
    """HARQ records as the slot core leaves them: active processes mostly at the low indices
    (new TBs take the lowest idle one), a few above a gap; ready slots and symbols vary."""
    H = np.zeros((2, n_ue, n_proc), dtype=HARQ_DTYPE)
    H["act"] = rng.random(H.shape) < np.linspace(0.9, 0.05, n_proc)
    H["ready"] = t + rng.integers(-6, 6, H.shape)
    H["nsymb"] = rng.choice([10, 12, 14], H.shape)
    return H


def test_ready_process_stops_after_the_active_ones_as_a_full_scan() -> None:
    """The scan that stops after the UE's n_act active processes picks the process a scan of
    all processes picks (earliest ready, first on a tie)."""
    def full_scan(H, d, u, t, n_symb):
        best = -1
        for p in range(H.shape[2]):
            h = H[d, u, p]
            if h["act"] and h["ready"] <= t and h["nsymb"] <= n_symb:
                if best < 0 or h["ready"] < H[d, u, best]["ready"]:
                    best = p
        return best

    rng = np.random.default_rng(11)
    t = 100
    H = _random_harq(rng, 60, 16, t)
    n_found = 0
    for d in range(2):
        for u in range(H.shape[1]):
            n_act = int(H["act"][d, u].sum())
            for n_symb in (12, 14):
                got = ready_process(H, d, u, t, n_symb, n_act)
                assert got == full_scan(H, d, u, t, n_symb)
                n_found += got >= 0
    assert n_found > 50


def test_flush_ues_recounts_the_flushed_ues_processes() -> None:
    """After a flush the flushed UEs have no active process (n_act 0) and the others keep
    theirs; their bits are back in the queues (flush_harq)."""
    rng = np.random.default_rng(2)
    n_ue, n_proc = 6, 4
    H = _random_harq(rng, n_ue, n_proc, 10)
    H["part_bits"] = 0.0
    UD = np.zeros((2, n_ue), dtype=ck.UE_DIR_DTYPE)
    UD["n_act"] = H["act"].sum(axis=2)
    before = UD["n_act"].copy()
    Q = new_queues(np.zeros((2 * tq.N_LCH, n_ue), dtype=np.int64), np.zeros((2 * tq.N_LCH, n_ue), dtype=np.int64))
    PK = np.zeros(0, dtype=PACKET_DTYPE)
    moved = np.array([1, 4])
    assert before[:, moved].sum() > 0
    ck.flush_ues(moved, H, UD, Q, PK)
    assert not H["act"][:, moved].any()
    np.testing.assert_array_equal(UD["n_act"][:, moved], 0)
    keep = np.setdiff1d(np.arange(n_ue), moved)
    np.testing.assert_array_equal(UD["n_act"][:, keep], before[:, keep])
    np.testing.assert_array_equal(UD["n_act"], H["act"].sum(axis=2))


def test_touch_tx_rows_changes_no_state_and_reads_each_tb_start() -> None:
    """The load-ahead pass returns the sum of each TB's first fading gain and writes nothing."""
    rng = np.random.default_rng(4)
    n_ue, n_proc, n_rbg, rows = 8, 3, 5, 40
    rbg_first_prb = np.array([0, 4, 8, 12, 16, 18])
    bank = rng.random((rows, 18)).astype(np.float32)
    UE = np.zeros(n_ue, dtype=ck.UE_DTYPE)
    UE["f_period"], UE["f_base"], UE["f_off"] = 5, rng.integers(0, 7, n_ue) * 5, rng.integers(0, 5, n_ue)
    CELL = np.zeros(2, dtype=ck.CELL_DTYPE)
    CELL["ue_start"], CELL["ue_end"], CELL["n_tx"] = [0, 4], [4, 8], [2, 3]
    UE["tx_ue"] = [3, 1, 0, 0, 5, 7, 6, 0]
    UE["tx_proc"] = [0, 2, 0, 0, 1, 0, 2, 0]
    h_rbg = rng.random((2, n_ue, n_proc, n_rbg)) < 0.4
    h_rbg[1, 7, 0] = False  # a TB without RBGs reads the last RBG's first PRB
    SL = np.zeros(1, dtype=ck.SLOT_DTYPE)
    SL["d"], SL["t"] = 1, 13
    copies = [a.copy() for a in (UE, CELL, h_rbg, bank)]
    got = ck.touch_tx_rows(SL[0], UE, CELL, h_rbg, bank, rbg_first_prb)
    want = 0.0
    for j in (0, 1, 4, 5, 6):
        u, p = UE["tx_ue"][j], UE["tx_proc"][j]
        row = UE["f_base"][u] + (UE["f_off"][u] + 13) % 5
        first = np.flatnonzero(h_rbg[1, u, p])
        want += float(bank[row, rbg_first_prb[first[0] if first.size else n_rbg - 1]])
    assert got == want
    for a, b in zip((UE, CELL, h_rbg, bank), copies):
        np.testing.assert_array_equal(a, b)


def _cq():
    from nrsim.link.csi import cqi_records

    thr_db = np.linspace(-6.0, 20.0, 15)
    return cqi_records(thr_db, 10 ** (thr_db / 10), np.linspace(1.5, 40.0, 15), np.linspace(-8.0, 22.0, 16))


def test_csi_reports_take_the_mutual_information_as_one_log_per_rbg() -> None:
    """Wideband and subband reports: the mutual-information average from one log2 of the
    product of (1 + SINR) (per RBG for the subband report) equals the sum of the logs (to
    rounding), also where a product overflows (the sum then); the wideband report reads each
    RBG's middle PRB, the subband report all PRBs, and each mean SINR is over what it read."""
    rng = np.random.default_rng(8)
    CQ = _cq()
    first = np.array([0, 4, 8, 12, 16, 20, 23], dtype=np.int64)  # a short last RBG
    n_rbg, n_prb = first.size - 1, int(first[-1])
    g = rng.exponential(size=(30, n_prb)).astype(np.float32)
    ring = np.zeros((1, 30, n_rbg))
    buf = np.empty(n_prb)
    for i, inv in enumerate(np.concatenate([10 ** rng.uniform(-1.5, 3.0, 28), [1e290, 1e300]])):
        x = inv * g[i, (first[:-1] + first[1:]) // 2].astype(np.float64)
        want_db = 10 * np.log10(2 ** (np.log2(1 + x).sum() / n_rbg) - 1 + 1e-30)
        got_db, got_lin = wideband_report(inv, np.ones(n_rbg), middle_prb_gains(g, first), i, CQ, ring, 0, i)
        assert np.isfinite(got_db)
        np.testing.assert_allclose(got_lin, x.mean(), rtol=1e-12)
        np.testing.assert_allclose(got_db, want_db, rtol=1e-12, atol=1e-12)
        i_rbg = rng.uniform(0.5, 2.0, n_rbg)
        got_sb, got_sb_lin = subband_report(inv * 1e-3, np.repeat(i_rbg, np.diff(first)), g, i, first, CQ, buf, ring, 0, i)
        x_sb = inv * 1e-3 / np.repeat(i_rbg, np.diff(first)) * g[i].astype(np.float64)
        want_sb = 10 * np.log10(2 ** (np.log2(1 + x_sb).sum() / n_prb) - 1 + 1e-30)
        np.testing.assert_allclose(got_sb, want_sb, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got_sb_lin, x_sb.mean(), rtol=1e-12)
