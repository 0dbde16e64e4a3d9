"""The packet-with-deadline buffer: loss exactly at the deadline, in-order completion, HARQ
give-back, and the video-call traffic mix (rates and frame sizes from the configuration)."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.traffic import FIVE_QI, QosPackets, video_call_packets

SLOT_S = 1e-3


def test_five_qi_table_values() -> None:
    # TS 23.501 V17.5.0, Table 5.7.4-1
    assert (FIVE_QI[1].priority, FIVE_QI[1].pdb_s, FIVE_QI[1].gbr) == (20, 0.100, True)
    assert (FIVE_QI[2].priority, FIVE_QI[2].pdb_s, FIVE_QI[2].gbr) == (40, 0.150, True)
    assert (FIVE_QI[9].priority, FIVE_QI[9].gbr) == (90, False)


def test_packet_lost_exactly_at_its_deadline() -> None:
    # one UE, a 1000-bit packet at t = 0 with a 5 ms budget: deadline 5 ms
    q = QosPackets(1, [0], [0.0], [1000.0], [2], [0.005])
    q.advance_to(0.004)  # slot [4, 5) ms could still complete it by 5 ms
    assert q.queued_bits()[0] == 1000.0
    q.advance_to(0.005)  # a slot starting at the deadline cannot
    assert q.queued_bits()[0] == 0.0
    log = q.packet_log()
    assert log.discarded[0] and not log.delivered[0]


def test_packet_delivered_at_the_deadline_counts() -> None:
    q = QosPackets(1, [0], [0.0], [1000.0], [2], [0.005])
    q.advance_to(0.004)
    q.take(np.array([1000.0]))
    q.deliver(np.array([1000.0]), 0.005)  # ACK at the end of slot [4, 5) ms
    log = q.packet_log()
    assert log.delivered[0] and log.delay_s[0] == pytest.approx(0.005)


def test_taken_packet_acknowledged_late_is_lost_and_next_packet_completes_in_order() -> None:
    q = QosPackets(1, [0, 0], [0.0, 0.001], [600.0, 400.0], [2, 2], [0.003, 0.010])
    q.advance_to(0.001)
    assert q.queued_bits()[0] == 1000.0
    q.take(np.array([1000.0]))
    q.deliver(np.array([1000.0]), 0.004)  # both complete at 4 ms: the first 1 ms late
    log = q.packet_log()
    assert log.delivered.tolist() == [False, True]
    assert log.delay_s.tolist() == pytest.approx([0.004, 0.003])


def test_partly_sent_packet_discarded_and_give_back_of_discarded_bits() -> None:
    q = QosPackets(1, [0, 0], [0.0, 0.0], [600.0, 400.0], [2, 9], [0.002, np.inf])
    q.advance_to(0.0)
    q.take(np.array([300.0]))  # half of packet 0 in flight
    q.advance_to(0.002)  # packet 0 expires: its other 300 bits are dropped
    assert q.queued_bits()[0] == 400.0
    q.give_back(np.array([300.0]))  # the in-flight half fails HARQ: lost, not re-queued
    assert q.queued_bits()[0] == 400.0
    q.take(np.array([400.0]))
    q.deliver(np.array([400.0]), 0.003)
    log = q.packet_log()
    assert log.delivered.tolist() == [False, True]
    assert log.completion_s[1] == pytest.approx(0.003)


def test_head_of_line_view() -> None:
    q = QosPackets(3, [0, 1, 1], [0.0, 0.0, 0.0005], [100.0, 100.0, 50.0], [1, 9, 2], [0.1, np.inf, 0.15])
    q.advance_to(0.001)
    gbr, prio, deadline, bits = q.head_of_line()
    assert bits.tolist() == [100.0, 100.0, 0.0]
    assert gbr.tolist() == [True, False, False]
    assert prio[:2].tolist() == [20, 90] and deadline[0] == pytest.approx(0.1)
    assert deadline[2] == np.inf  # UE 2 has no packets


def test_video_call_generator_rates_and_sizes() -> None:
    rng = np.random.default_rng(5)
    call = np.array([True, True, False, True])
    dur, fps, rate = 20.0, 30.0, 4e6
    q = video_call_packets(call, dur, fps=fps, bitrate_bps=rate, size_cv=0.1, voice=True, video_pdb_s=0.15,
                           voice_pdb_s=0.1, ftp_file_size_bits=4e6, ftp_arrival_rate_hz=2.0, rng=rng)
    log = q.packet_log()
    v = log.five_qi == 2
    assert set(log.ue[v]) == {0, 1, 3} and set(log.ue[log.five_qi == 9]) == {2}
    for u in (0, 1, 3):
        s = log.size_bits[v & (log.ue == u)]
        assert s.size == int(dur * fps)
        # mean frame size R / fps within 3 standard errors of the truncated Gaussian
        assert abs(s.mean() - rate / fps) < 3 * 0.1 * rate / fps / np.sqrt(s.size)
        assert abs(s.std() / s.mean() - 0.1) < 0.02  # truncation at +-5 sigma: negligible
    assert np.all(log.deadline_s[v] - log.arrival_s[v] == pytest.approx(0.15))
    assert np.all(np.isinf(log.deadline_s[log.five_qi == 9]))
