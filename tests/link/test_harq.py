"""The slot core's HARQ processes (:mod:`nrsim.link.harq`, record arrays and compiled pieces):
process choice, chase combining, the drop after the last transmission with the TB's bits back
in their queues, and OLLA driving the first-transmission BLER to its target. (These replace
the unit tests of the retired static engine's ``HarqEntity``, issue 12.)"""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.link import adaptation as la
from nrsim.link.harq import (
    HARQ_ACK,
    HARQ_DROP,
    HARQ_DTYPE,
    TB_DTYPE,
    decode_tb,
    flush_harq,
    free_process,
    ready_process,
    release_dropped,
    start_tb,
)
from nrsim.link.level import link_level
from nrsim.traffic.queue import N_LCH, PACKET_DTYPE, new_queues, queued_bits, refresh_events
from nrsim.units import db_to_lin

DL = 0
OLLA_BLER_TOL = 0.01
"""Unit loop: 80,000 first transmissions after convergence (binomial std 0.001; the jump
algorithm's own wander adds about as much)."""


def _queues(n_ue: int, bits: float):
    """Queues [2 N_LCH, ue] with one ``bits``-bit best-effort DL packet per UE, arrived at t = 0."""
    nq = 2 * N_LCH
    first = np.zeros((nq, n_ue), dtype=np.int64)
    end = np.zeros((nq, n_ue), dtype=np.int64)
    PK = np.zeros(n_ue, dtype=PACKET_DTYPE)
    PK["t_s"], PK["deadline_s"], PK["cum_bits"], PK["done_s"] = 0.0, np.inf, bits, np.nan
    first[1:, :] = n_ue  # every other queue empty
    first[1] = np.arange(n_ue)  # DL channel 1 (video and best effort): packet u
    end[1:, :] = n_ue
    end[1] = np.arange(n_ue) + 1
    Q = new_queues(first, end)
    refresh_events(Q, PK)
    Q["arr"][1] += 1
    Q["arrived"][1] = bits
    return Q, PK


def _tb_table(n_cb: int = 1):
    """TB [dir, n_symb, mcs, n_prb] with one entry in use (12 symbols, MCS 0, 4 PRBs): the
    logistic BLER of a 10 %-BLER SNR of 0 dB, 1 dB per decade."""
    TB = np.zeros((1, 15, 1, 5), dtype=TB_DTYPE)
    TB["tbs_bits"], TB["n_cb"], TB["s10_db"], TB["scale_db"] = 1000, n_cb, 0.0, 1.0
    return TB


def test_process_choice_lowest_idle_and_earliest_ready() -> None:
    H = np.zeros((1, 1, 4), dtype=HARQ_DTYPE)
    H["act"][0, 0, :2] = True
    assert free_process(H, DL, 0) == 2
    H["ready"][0, 0, :2] = (7, 5)
    H["nsymb"][0, 0, :2] = (12, 12)
    assert ready_process(H, DL, 0, 4, 14, 2) == -1  # neither ready before slot 5
    assert ready_process(H, DL, 0, 6, 14, 2) == 1
    assert ready_process(H, DL, 0, 7, 14, 2) == 1  # the earlier-ready one first
    assert ready_process(H, DL, 0, 7, 10, 2) == -1  # a 12-symbol TB needs 12 symbols
    H["ready"][0, 0, 1] = 7
    assert ready_process(H, DL, 0, 7, 14, 2) == 0  # a tie: the lower index


def test_chase_combining_and_drop_give_the_bits_back() -> None:
    Q, PK = _queues(3, 1800.0)
    H = np.zeros((1, 3, 2), dtype=HARQ_DTYPE)
    TB = _tb_table()
    for u in range(3):
        start_tb(H, Q, PK, DL, u, 0, 0, 4, 12, 1800.0)
    assert np.allclose(H["part_bits"][0, :, 0, 1], 1800.0) and H["act"][0, :, 0].all()
    assert [queued_bits(Q, DL, u) for u in range(3)] == [0.0, 0.0, 0.0]
    low = float(db_to_lin(-30.0))
    outs = [[decode_tb(H, TB, DL, u, 0, low, 0.5, 3) for u in range(3)] for _ in range(3)]
    assert outs[0] == outs[1] == [la.HARQ_RETRY] * 3 and outs[2] == [HARQ_DROP] * 3
    assert H["ntx"][0, :, 0].tolist() == [3, 3, 3]
    assert np.allclose(H["acc_sinr_lin"][0, :, 0], 3 * low)  # chase combining: the SINRs add
    for u in range(3):
        release_dropped(H, Q, PK, DL, u, 0)
    assert not H["act"].any()
    assert [queued_bits(Q, DL, u) for u in range(3)] == [1800.0] * 3  # the dropped TB's bits are back


def test_combining_decodes_what_one_transmission_cannot() -> None:
    Q, PK = _queues(1, 1000.0)
    H = np.zeros((1, 1, 1), dtype=HARQ_DTYPE)
    TB = _tb_table()
    start_tb(H, Q, PK, DL, 0, 0, 0, 4, 12, 1000.0)
    g = float(db_to_lin(-3.0))  # alone: BLER 0.69 (3 dB below the 10 %-BLER point); combined: 0 dB, BLER 0.1
    assert la.tb_bler(g, 0.0, 1.0, 1) > 0.5 > la.tb_bler(2 * g, 0.0, 1.0, 1)
    assert decode_tb(H, TB, DL, 0, 0, g, 0.5, 4) == la.HARQ_RETRY
    assert decode_tb(H, TB, DL, 0, 0, g, 0.5, 4) == HARQ_ACK
    assert H["ntx"][0, 0, 0] == 2


def test_flush_returns_both_directions_bits() -> None:
    Q, PK = _queues(2, 500.0)
    H = np.zeros((2, 2, 2), dtype=HARQ_DTYPE)
    start_tb(H, Q, PK, DL, 1, 0, 0, 4, 12, 300.0)
    assert queued_bits(Q, DL, 1) == 200.0
    flush_harq(np.array([1], dtype=np.int64), H, Q, PK)
    assert not H["act"].any() and queued_bits(Q, DL, 1) == 500.0 and queued_bits(Q, DL, 0) == 500.0


def test_olla_converges_to_target_bler_unit() -> None:
    """400 independent UEs, one TB per step each: per-TB effective SINR N(10 dB, 2 dB), reports
    fixed at 12 dB (2 dB optimistic). After 150 steps the pooled BLER is the target, through the
    MCS choice (:func:`~nrsim.link.adaptation.mcs_for_sinr`), the TB BLER of the MCS table's
    curves and the OLLA update the core applies (:func:`~nrsim.link.adaptation.olla_after`)."""
    rng = np.random.default_rng(5)
    ll = link_level(1)
    thr = np.ascontiguousarray(ll.mcs_thr_db)
    p = la.HarqOlla(1, 8, True, 0.5, float(la.olla_step_down_db(0.5, 0.1)), 20.0)
    curves_s10 = thr  # the 10 %-BLER point of each MCS; logistic slope of the curves below
    n = 400
    offset = np.zeros(n)
    nacks = firsts = 0
    for t in range(350):
        true_db = 10.0 + 2.0 * rng.standard_normal(n)
        u01 = rng.random(n)
        for i in range(n):
            mcs = la.mcs_for_sinr(thr, 12.0 - offset[i])
            _, _, _, out = la.harq_step(0, 0.0, float(db_to_lin(true_db[i])), float(curves_s10[mcs]), 0.5, 1,
                                        float(u01[i]), 1)
            ack = out == HARQ_ACK
            offset[i] = la.olla_after(offset[i], True, ack, p)
            if t >= 150:
                firsts += 1
                nacks += int(not ack)
    assert abs(nacks / firsts - 0.1) < OLLA_BLER_TOL
    assert np.median(offset) > 1.0  # learnt the optimism of the reports


@pytest.mark.parametrize("max_tx", [1, 4])
def test_max_transmissions_bound_the_process(max_tx: int) -> None:
    Q, PK = _queues(1, 1000.0)
    H = np.zeros((1, 1, 1), dtype=HARQ_DTYPE)
    start_tb(H, Q, PK, DL, 0, 0, 0, 4, 12, 1000.0)
    outs = [decode_tb(H, _tb_table(), DL, 0, 0, 1e-6, 0.5, max_tx) for _ in range(max_tx)]
    assert outs[-1] == HARQ_DROP and all(o == la.HARQ_RETRY for o in outs[:-1])
