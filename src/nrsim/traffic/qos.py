"""Packets with a delay budget: per-UE FIFO buffers of QoS-flow packets (video frames, VoNR
packets, best-effort files) for the slot engine.

QoS characteristics of the standardised 5QIs used here, 3GPP TS 23.501 V17.5.0, 5.7.4,
Table 5.7.4-1 (resource type, default priority level, packet delay budget, packet error
rate, example services):

======  ========  ========  ======  =====  =====================================
5QI     type      priority  PDB     PER    example
======  ========  ========  ======  =====  =====================================
1       GBR       20        100 ms  1e-2   conversational voice
2       GBR       40        150 ms  1e-3   conversational video (live streaming)
9       non-GBR   90        300 ms  1e-6   video (buffered), TCP-based (www, FTP)
======  ========  ========  ======  =====  =====================================

Model (docs/video.md): a packet is lost when it is not completely delivered by
``arrival + PDB``; its untransmitted part is then discarded from the buffer (the gNB's PDCP
discard timer). A packet that was completely handed to HARQ is not recalled, but it counts as
lost when its last bit is acknowledged after the deadline. Best-effort packets (5QI 9, FTP
files) have no discard (``pdb_s = inf``): the 300 ms PDB of 5QI 9 is a budget for
TCP-based flows, not a discard timer.

Bits move through per-UE cumulative counters as in :class:`nrsim.traffic.FtpModel3`:
arrived -> taken (first transmission) -> delivered (acknowledged). Delivery is in order
(PDCP in-order delivery): a packet completes when the UE's delivered bits plus its discarded
bits pass the packet's cumulative end. A HARQ failure gives its bits back for a new first
transmission (RLC AM-like), unless they belong to packets already discarded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nrsim.traffic.conversational import video_frames, voice_packets
from nrsim.traffic.models import grouped_time_order, poisson_arrivals


@dataclass(frozen=True)
class FiveQi:
    """Standardised 5QI characteristics (TS 23.501 V17.5.0, Table 5.7.4-1)."""

    five_qi: int
    gbr: bool
    priority: int
    pdb_s: float
    per: float


FIVE_QI: dict[int, FiveQi] = {
    1: FiveQi(1, True, 20, 0.100, 1e-2),
    2: FiveQi(2, True, 40, 0.150, 1e-3),
    9: FiveQi(9, False, 90, 0.300, 1e-6),
}
"""TS 23.501 V17.5.0, Table 5.7.4-1 (rows used by the video-call model)."""

_COMPLETE_TOL_BITS = 1e-6
"""Tolerance when comparing cumulative bit counters (sums of floats)."""


@dataclass(frozen=True)
class PacketLog:
    """Packets of a run, grouped by UE (arrival order within a UE).

    ue : int64 [pkt]; five_qi : int64 [pkt]; arrival_s, size_bits, deadline_s : float64 [pkt]
    completion_s : float64 [pkt] (end of the slot of the last bit's ACK; NaN: never)
    discarded : bool [pkt] (part of it was discarded at the deadline)
    """

    ue: NDArray[np.int64]
    five_qi: NDArray[np.int64]
    arrival_s: NDArray[np.float64]
    size_bits: NDArray[np.float64]
    deadline_s: NDArray[np.float64]
    completion_s: NDArray[np.float64]
    discarded: NDArray[np.bool_]

    @property
    def delivered(self) -> NDArray[np.bool_]:
        """Completely delivered by the deadline."""
        with np.errstate(invalid="ignore"):
            return ~self.discarded & (self.completion_s <= self.deadline_s)

    @property
    def delay_s(self) -> NDArray[np.float64]:
        """Completion minus arrival (NaN when never completed)."""
        return self.completion_s - self.arrival_s


class QosPackets:
    """Per-UE FIFO of packets with a packet delay budget (see module docstring).

    Parameters
    ----------
    n_ue : int
    ue : int [pkt]; arrival_s, size_bits : float [pkt]; five_qi : int [pkt]
    pdb_s : float [pkt]
        Delay budget of each packet [s] (``inf``: never discarded).
    """

    kind = "qos"

    def __init__(self, n_ue: int, ue, arrival_s, size_bits, five_qi, pdb_s) -> None:
        self.n_ue = int(n_ue)
        ue = np.asarray(ue, dtype=np.int64)
        t = np.asarray(arrival_s, dtype=np.float64)
        order = grouped_time_order(ue, t)
        self._ue = ue[order]
        self._t = t[order]
        self._size = np.asarray(size_bits, dtype=np.float64)[order]
        self._qi = np.asarray(five_qi, dtype=np.int64)[order]
        self._deadline = self._t + np.broadcast_to(np.asarray(pdb_s, dtype=np.float64), t.shape)[order]
        prio = {k: v.priority for k, v in FIVE_QI.items()}
        gbr = {k: v.gbr for k, v in FIVE_QI.items()}
        self._prio = np.array([prio[int(q)] for q in np.unique(self._qi)], dtype=np.int64)[
            np.searchsorted(np.unique(self._qi), self._qi)
        ] if self._qi.size else np.zeros(0, dtype=np.int64)
        self._gbr = np.array([gbr[int(q)] for q in np.unique(self._qi)], dtype=bool)[
            np.searchsorted(np.unique(self._qi), self._qi)
        ] if self._qi.size else np.zeros(0, dtype=bool)
        ids = np.arange(self.n_ue)
        self._first = np.searchsorted(self._ue, ids, side="left")
        self._end = np.searchsorted(self._ue, ids, side="right")
        csum = np.cumsum(self._size)
        before = np.concatenate([[0.0], csum])[self._first][self._ue]
        self._cum_end = csum - before  # [pkt] cumulative end within its UE [bit]
        self._span_s = float(np.max(self._t, initial=0.0)) + 1.0
        self._span_bits = float(np.max(self._cum_end, initial=0.0)) + 1.0
        self._key_t = self._ue * self._span_s + self._t
        self._key_b = self._ue * self._span_bits + self._cum_end
        self._completion = np.full(self._ue.size, np.nan)
        self._discarded = np.zeros(self._ue.size, dtype=bool)
        self._ids = ids
        self.n_arrived = np.zeros(self.n_ue, dtype=np.int64)
        self.arrived_bits = np.zeros(self.n_ue)
        self.taken_bits = np.zeros(self.n_ue)
        self.delivered_bits = np.zeros(self.n_ue)
        self.discarded_bits = np.zeros(self.n_ue)
        self._floor = np.zeros(self.n_ue)  # bits below this offset were discarded
        self._n_done = np.zeros(self.n_ue, dtype=np.int64)

    # -- the engine's traffic interface ------------------------------------------------------
    def _head(self) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
        """Index of each UE's head-of-line packet (the one holding its next untaken bit) and
        whether it has arrived."""
        h = np.searchsorted(self._key_b, self._ids * self._span_bits + self.taken_bits + _COMPLETE_TOL_BITS, side="left")
        has = h < self._first + self.n_arrived
        return np.minimum(h, max(self._ue.size - 1, 0)), has

    def advance_to(self, t_s: float) -> None:
        """Packets with arrival <= ``t_s`` join their buffers; head-of-line packets whose
        deadline is <= ``t_s`` (they cannot complete by it any more) lose their untaken part."""
        n = np.searchsorted(self._key_t, self._ids * self._span_s + t_s, side="right") - self._first
        self.n_arrived = n
        last = np.maximum(self._first + n - 1, 0)
        self.arrived_bits = np.where(n > 0, self._cum_end[last] if self._ue.size else 0.0, 0.0)
        while self._ue.size:
            h, has = self._head()
            exp = has & (self._deadline[h] <= t_s)
            if not exp.any():
                break
            u = np.flatnonzero(exp)
            k = h[u]
            self.discarded_bits[u] += self._cum_end[k] - self.taken_bits[u]
            self._discarded[k] = True
            self.taken_bits[u] = self._cum_end[k]
            self._floor[u] = self._cum_end[k]

    def queued_bits(self) -> NDArray[np.float64]:
        return np.maximum(self.arrived_bits - self.taken_bits, 0.0)

    def take(self, bits: NDArray[np.float64]) -> None:
        self.taken_bits += bits

    def give_back(self, bits: NDArray[np.float64]) -> None:
        """Bits of a TB dropped after its last HARQ attempt: back to the buffer, except those
        of packets discarded since (counted as discarded)."""
        new = self.taken_bits - bits
        lost = np.maximum(self._floor - new, 0.0)
        self.discarded_bits += lost
        self.taken_bits = np.maximum(new, self._floor)

    def deliver(self, bits: NDArray[np.float64], t_end_s: float) -> None:
        """Acknowledged ``bits`` [ue] at the end of a slot ending at ``t_end_s``."""
        self.delivered_bits += bits
        got = np.flatnonzero(bits > 0)
        if got.size == 0:
            return
        pos = self.delivered_bits[got] + self.discarded_bits[got]
        done = np.searchsorted(self._key_b, got * self._span_bits + pos + _COMPLETE_TOL_BITS, side="right") - self._first[got]
        new = done - self._n_done[got]
        if np.any(new > 0):
            starts = self._first[got] + self._n_done[got]
            idx = np.repeat(starts, new) + (np.arange(new.sum()) - np.repeat(np.cumsum(new) - new, new))
            fresh = np.isnan(self._completion[idx])
            self._completion[idx[fresh]] = t_end_s
            self._n_done[got] = np.maximum(done, self._n_done[got])

    # -- what the QoS scheduler sees -----------------------------------------------------------
    def head_of_line(self) -> tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
        """(gbr [ue], priority [ue], deadline_s [ue], bits [ue]) of each UE's head-of-line
        packet (``bits``: its part not yet taken); UEs with an empty buffer: (False, a
        priority above all, +inf, 0)."""
        if self._ue.size == 0:
            z = np.zeros(self.n_ue)
            return np.zeros(self.n_ue, bool), np.full(self.n_ue, 1 << 30), np.full(self.n_ue, np.inf), z
        h, has = self._head()
        return (
            has & self._gbr[h],
            np.where(has, self._prio[h], 1 << 30),
            np.where(has, self._deadline[h], np.inf),
            np.where(has, self._cum_end[h] - self.taken_bits, 0.0),
        )

    def packet_log(self) -> PacketLog:
        return PacketLog(
            ue=self._ue.copy(), five_qi=self._qi.copy(), arrival_s=self._t.copy(), size_bits=self._size.copy(),
            deadline_s=self._deadline.copy(), completion_s=self._completion.copy(), discarded=self._discarded.copy(),
        )


def call_flow_packets(
    call: NDArray[np.bool_],
    duration_s: float,
    *,
    fps: float,
    bitrate_bps: float,
    size_cv: float,
    voice: bool,
    video_pdb_s: float,
    voice_pdb_s: float,
    ftp_file_size_bits: float,
    ftp_arrival_rate_hz: float,
    rng: np.random.Generator,
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """Packets of one link direction of a video-call run, as flat arrays sorted by UE then
    arrival: (ue, arrival_s, size_bits, five_qi, pdb_s). UEs with ``call`` [ue] True get a
    video stream (5QI 2) and, with ``voice``, VoNR (5QI 1); the others FTP model 3 files
    (5QI 9, no discard: ``pdb_s`` inf), none when ``ftp_arrival_rate_hz`` is 0."""
    call = np.asarray(call, dtype=bool)
    callers = np.flatnonzero(call)
    others = np.flatnonzero(~call)
    flows = []  # (ue, arrival_s, size_bits) of each flow, each sorted by UE then arrival
    vu, vt, vs = video_frames(callers.size, duration_s, fps=fps, bitrate_bps=bitrate_bps, size_cv=size_cv, rng=rng)
    flows.append((callers[vu], vt, vs, 2, video_pdb_s))
    if voice:
        au, at, asz = voice_packets(callers.size, duration_s, rng=rng)
        flows.append((callers[au], at, asz, 1, voice_pdb_s))
    if ftp_arrival_rate_hz > 0.0:
        fu, ft = poisson_arrivals(others.size, ftp_arrival_rate_hz, duration_s, rng=rng)
        flows.append((others[fu], ft, np.full(fu.size, ftp_file_size_bits), 9, np.inf))
    ue, t, size = (np.concatenate([f[i] for f in flows]) for i in range(3))
    flow = np.repeat(np.arange(len(flows), dtype=np.int8), [f[0].size for f in flows])  # [pkt]
    order = grouped_time_order(ue, t)  # the flows are each sorted: a linear-time merge
    flow = flow[order]
    return (ue[order].astype(np.int64, copy=False), t[order], size[order].astype(np.float64, copy=False),
            np.array([f[3] for f in flows], dtype=np.int64)[flow], np.array([f[4] for f in flows], dtype=np.float64)[flow])


def video_call_packets(call: NDArray[np.bool_], duration_s: float, **flow) -> QosPackets:
    """Downlink traffic of a video-call run as per-UE FIFOs: the packets of
    :func:`call_flow_packets` (same keyword arguments, all required)."""
    return QosPackets(np.asarray(call).size, *call_flow_packets(call, duration_s, **flow))
