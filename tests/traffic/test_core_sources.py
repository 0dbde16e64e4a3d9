"""Full buffer and FTP model 3 as packet sources of the slot core's queues
(:mod:`nrsim.traffic.sources`), checked against the FTP model of the static engine and the
queue's own counters."""

from __future__ import annotations

import numpy as np

from nrsim.traffic import FtpModel3
from nrsim.traffic.queue import PACKET_DTYPE, advance_queue, deliver, new_queues, queued_bits, refresh_events, take_bits
from nrsim.traffic.sources import FULL_BUFFER_BITS, ftp3_packets, full_buffer_fits, full_buffer_packets


def test_ftp_packets_are_the_files_of_ftp_model_3() -> None:
    """The same generator gives the same files as :class:`FtpModel3` (the static engine's)."""
    ue, t, size, qi, pdb = ftp3_packets(40, file_size_bits=4e6, arrival_rate_hz=2.5, duration_s=3.0,
                                        rng=np.random.default_rng(7))
    ref = FtpModel3(40, file_size_bits=4e6, arrival_rate_hz=2.5, duration_s=3.0, rng=np.random.default_rng(7)).file_log()
    np.testing.assert_array_equal(ue, ref.ue)
    np.testing.assert_array_equal(t, ref.arrival_s)
    np.testing.assert_array_equal(size, ref.size_bits)
    assert ue.size > 100 and (qi == 9).all() and np.isinf(pdb).all()


def test_full_buffer_packet_never_empties_and_counts_exactly() -> None:
    """One UE, one full-buffer packet: after a run's worth of integer TBs taken and delivered,
    the queue still holds exactly 2^50 minus what was taken, and no packet completes."""
    ue, t, size, _, pdb = full_buffer_packets(np.array([True]))
    assert size.tolist() == [FULL_BUFFER_BITS] and t.tolist() == [0.0] and np.isinf(pdb).all()
    pk = np.zeros(1, dtype=PACKET_DTYPE)
    pk["t_s"], pk["deadline_s"], pk["cum_bits"], pk["prio"], pk["done_s"] = 0.0, np.inf, size, 90.0, np.nan
    # queue index 1 = DL, logical channel 1 (best effort); channel 0 empty
    q = new_queues(np.array([[0], [0]], dtype=np.int64), np.array([[0], [1]], dtype=np.int64))
    refresh_events(q, pk)
    advance_queue(q, pk, 1, 0, 0.0, 0.0)
    parts = np.zeros(2)
    tbs = 1_277_992.0  # the largest TBS of 273 PRBs, 256QAM
    for k in range(1000):
        take_bits(q, pk, 0, 0, tbs, parts)
        deliver(q, pk, 1, 0, parts[1], 1e-3 * (k + 1))
    left = queued_bits(q, 0, 0)
    # finite (the wideband scheduler turns queued bits into a PRB count, an int64) and exact
    assert np.isfinite(left) and left == FULL_BUFFER_BITS - 1000 * tbs
    assert np.isnan(pk["done_s"][0])
    assert full_buffer_fits(3600 * 16000, tbs)  # 3,600 s of 1/16 ms slots
    assert not full_buffer_fits(10**10, tbs)
