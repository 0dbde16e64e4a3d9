"""Full buffer and FTP model 3 as packet sources of the slot core's queues
(:mod:`nrsim.traffic.queue`): the same flat packet form as the video-call flows
(:func:`nrsim.traffic.qos.call_flow_packets`), so one compiled queue serves every traffic
model.

- Full buffer: one packet per UE and direction of :data:`FULL_BUFFER_BITS` arriving at t = 0,
  without a delay budget (5QI 9, ``pdb_s`` inf). The queue is exactly full buffer while a UE
  takes fewer bits than that in a run; :func:`full_buffer_fits` checks it.
- FTP model 3 (TR 36.889 Annex A.1; :class:`nrsim.traffic.FtpModel3`): one packet per file,
  arrivals from :func:`nrsim.traffic.poisson_arrivals` (the same draws as ``FtpModel3`` from
  the same generator), no delay budget; a file's completion time is its packet's ``done_s``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nrsim.traffic.models import poisson_arrivals

FULL_BUFFER_BITS = float(2**50)
"""Size of a full-buffer UE's one packet [bit] (1.1e15): an integer below 2^53, so the queue's
cumulative float64 counters (sums of integer TB sizes) stay exact, and far above what a UE
can take in a run (:func:`full_buffer_fits`)."""
BEST_EFFORT_5QI = 9
"""5QI of full-buffer and FTP traffic (TS 23.501 V17.5.0 Table 5.7.4-1, non-GBR)."""

Packets = tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]
"""(ue, arrival_s, size_bits, five_qi, pdb_s) [packet], sorted by UE then arrival."""


def _best_effort(ue: NDArray[np.int64], t_s: NDArray[np.float64], size_bits: NDArray[np.float64]) -> Packets:
    return (ue.astype(np.int64), t_s.astype(np.float64), size_bits.astype(np.float64),
            np.full(ue.size, BEST_EFFORT_5QI, dtype=np.int64), np.full(ue.size, np.inf))


def full_buffer_packets(active: NDArray[np.bool_]) -> Packets:
    """Full buffer for the UEs with ``active`` [ue] True: one packet of
    :data:`FULL_BUFFER_BITS` each at t = 0."""
    ue = np.flatnonzero(np.asarray(active, dtype=bool)).astype(np.int64)
    return _best_effort(ue, np.zeros(ue.size), np.full(ue.size, FULL_BUFFER_BITS))


def full_buffer_fits(n_slots: int, max_tbs_bits: float) -> bool:
    """True when a UE given a TB of ``max_tbs_bits`` in every one of ``n_slots`` slots still
    has bits queued: the full-buffer packet is then never emptied (at most 3,600 s of 1/16 ms
    slots with 1.3 Mbit TBs take 7.5e13 bits, 1/15 of :data:`FULL_BUFFER_BITS`)."""
    return float(n_slots) * float(max_tbs_bits) < FULL_BUFFER_BITS


def ftp3_packets(n_ue: int, *, file_size_bits: float, arrival_rate_hz: float, duration_s: float,
                 rng: np.random.Generator) -> Packets:
    """FTP model 3 files of ``n_ue`` UEs over [0, ``duration_s``): Poisson arrivals of rate
    ``arrival_rate_hz`` per UE (:func:`nrsim.traffic.poisson_arrivals`), each a packet of
    ``file_size_bits``."""
    ue, t = poisson_arrivals(int(n_ue), float(arrival_rate_hz), float(duration_s), rng=rng)
    return _best_effort(ue, t, np.full(ue.size, float(file_size_bits)))


def no_packets() -> Packets:
    """An empty flow (a direction without traffic)."""
    return full_buffer_packets(np.zeros(0, dtype=bool))
