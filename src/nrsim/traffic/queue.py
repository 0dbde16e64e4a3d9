"""Compiled packet queues with a delay budget: the one implementation behind the slot core's
buffers (:mod:`nrsim.engine.call_kernels`). The model is :class:`nrsim.traffic.QosPackets`
(the NumPy reference the tests compare with): bits move through cumulative counters arrived
-> taken (first transmission) -> delivered (acknowledged); a head-of-line packet whose
deadline passes loses its untaken part (PDCP discard); delivery is in order.

State is two NumPy record arrays, so a compiled piece takes few arguments:

- queues ``Q`` :data:`QUEUE_DTYPE` [queue, ue], queue = ``N_LCH`` x direction + logical
  channel (0: voice, 5QI 1; 1: video and best effort). ``first``/``end``: the queue's packet
  range; ``arr``/``head``/``ndone``: first packet not yet arrived / not yet fully taken / not
  yet completed; ``arrived``/``taken``/``delivered``/``discarded``/``floor`` [bit]
  (cumulative; ``floor``: end of the last discarded packet, below which bits given back are
  lost); ``next_t_s``/``head_deadline_s`` [s]: arrival time of packet ``arr`` and deadline of
  packet ``head`` (+inf: none), ``head_prio`` the priority level of packet ``head``, kept up to
  date by every piece that moves ``arr`` or ``head``, so the per-slot sweep
  (:func:`advance_queues`) and the scheduler's rank (:func:`head_rank`) read one record per
  queue, not the packets.
- packets ``PK`` :data:`PACKET_DTYPE` [packet], grouped by queue then UE, in arrival order:
  ``t_s`` arrival [s], ``deadline_s`` [s], ``cum_bits`` cumulative end within its queue
  [bit], ``prio`` 5QI priority level (lower first); outputs ``done_s`` (end of the slot of the
  last bit's ACK, NaN never) and ``disc`` (discarded at the deadline).
"""

from __future__ import annotations

import math

import numpy as np

from nrsim.compiled import jit

N_LCH = 2
"""Queues (logical channels) per UE and direction: 0 voice (5QI 1), 1 video and best effort;
queue index = N_LCH x direction + channel."""
TOL_BITS = 1e-6
"""Bit tolerance of the cumulative comparisons (sums of float sizes)."""

QUEUE_DTYPE = np.dtype([
    ("first", np.int64), ("end", np.int64), ("arr", np.int64), ("head", np.int64), ("ndone", np.int64),
    ("arrived", np.float64), ("taken", np.float64), ("delivered", np.float64), ("discarded", np.float64),
    ("floor", np.float64), ("next_t_s", np.float64), ("head_deadline_s", np.float64), ("head_prio", np.float64),
], align=True)
PACKET_DTYPE = np.dtype([
    ("t_s", np.float64), ("deadline_s", np.float64), ("cum_bits", np.float64), ("prio", np.float64),
    ("done_s", np.float64), ("disc", np.bool_),
])


def new_queues(first, end):
    """Queue records [queue, ue] for packet ranges ``first``/``end`` int64 [queue, ue] (nothing
    arrived yet); call :func:`refresh_events` once the packets are filled in."""
    q = np.zeros(first.shape, dtype=QUEUE_DTYPE)
    q["first"] = first
    q["end"] = end
    q["arr"] = first
    q["head"] = first
    q["ndone"] = first
    return q


@jit
def _refresh(Q, PK, qi, u):
    """Recompute the event times of queue (qi, u) from its pointers."""
    q = Q[qi, u]
    q.next_t_s = PK[q.arr].t_s if q.arr < q.end else math.inf
    if q.head < q.arr:
        q.head_deadline_s = PK[q.head].deadline_s
        q.head_prio = PK[q.head].prio
    else:
        q.head_deadline_s = math.inf
        q.head_prio = 0.0


@jit
def refresh_events(Q, PK):
    """Event times of every queue (after building or editing ``Q`` outside the pieces)."""
    for qi in range(Q.shape[0]):
        for u in range(Q.shape[1]):
            _refresh(Q, PK, qi, u)


@jit
def head_forward(Q, PK, qi, u):
    """Move the head past packets whose bits are all taken."""
    q = Q[qi, u]
    while q.head < q.arr and PK[q.head].cum_bits <= q.taken + TOL_BITS:
        q.head += 1


@jit
def advance_queue(Q, PK, qi, u, t_s, lag_s):
    """Queue ``qi``, UE ``u`` at time ``t_s`` [s]: packets with arrival <= t_s - lag_s join the
    buffer (``lag_s``: the UL scheduling-request delay, 0 in the DL); head-of-line packets with
    deadline <= t_s lose their untaken part (PDCP discard)."""
    q = Q[qi, u]
    while q.arr < q.end and PK[q.arr].t_s <= t_s - lag_s:
        q.arrived = PK[q.arr].cum_bits
        q.arr += 1
    while True:
        head_forward(Q, PK, qi, u)
        h = q.head
        if h >= q.arr or PK[h].deadline_s > t_s:
            break
        q.discarded += PK[h].cum_bits - q.taken
        PK[h].disc = True
        q.taken = PK[h].cum_bits
        q.floor = PK[h].cum_bits
    _refresh(Q, PK, qi, u)


@jit
def advance_queues(Q, PK, t_s, ul_lag_s):
    """:func:`advance_queue` of every queue with an arrival or a deadline due at ``t_s`` (UL
    queues, index >= N_LCH, with the arrival lag ``ul_lag_s``)."""
    for qi in range(Q.shape[0]):
        lag = ul_lag_s if qi >= N_LCH else 0.0
        for u in range(Q.shape[1]):
            q = Q[qi, u]
            if q.next_t_s > t_s - lag and q.head_deadline_s > t_s:
                continue  # nothing arrives or expires
            advance_queue(Q, PK, qi, u, t_s, lag)


@jit
def queued_bits(Q, d, u):
    """Bits waiting in all logical channels of UE u in direction d."""
    out = 0.0
    for f in range(N_LCH):
        q = Q[N_LCH * d + f, u]
        out += max(q.arrived - q.taken, 0.0)
    return out


@jit
def take_bits(Q, PK, d, u, bits, parts):
    """Take ``bits`` for a new TB of UE u in direction d, voice first (logical channel
    prioritisation, TS 38.321 V17 5.4.3.1, without prioritised bit rates); writes the part of
    each channel to ``parts`` [N_LCH] [bit]."""
    rem = bits
    for f in range(N_LCH):
        qi = N_LCH * d + f
        q = Q[qi, u]
        part = min(rem, max(q.arrived - q.taken, 0.0))
        q.taken += part
        head_forward(Q, PK, qi, u)
        _refresh(Q, PK, qi, u)
        parts[f] = part
        rem -= part


@jit
def give_back(Q, PK, qi, u, bits):
    """Bits of a dropped (or forwarded) TB go back to the buffer, except those of packets
    discarded since (counted as discarded)."""
    q = Q[qi, u]
    new = q.taken - bits
    lost = q.floor - new
    if lost > 0.0:
        q.discarded += lost
    q.taken = max(new, q.floor)
    while q.head > q.first and PK[q.head - 1].cum_bits > q.taken + TOL_BITS:
        q.head -= 1
    _refresh(Q, PK, qi, u)


@jit
def deliver(Q, PK, qi, u, bits, t_end_s):
    """Acknowledged bits: packets completed in order get ``done_s = t_end_s`` [s]."""
    q = Q[qi, u]
    q.delivered += bits
    pos = q.delivered + q.discarded
    while q.ndone < q.end and PK[q.ndone].cum_bits <= pos + TOL_BITS:
        k = q.ndone
        if math.isnan(PK[k].done_s):
            PK[k].done_s = t_end_s
        q.ndone += 1


@jit
def head_rank(Q, PK, d, u):
    """(priority, deadline [s]) of the head packet of UE u's highest-priority non-empty channel
    in direction d; (0, 0) when all are empty (the head's copies in ``Q``, :func:`_refresh`)."""
    for f in range(N_LCH):
        q = Q[N_LCH * d + f, u]
        if q.head < q.arr:
            return q.head_prio, q.head_deadline_s
    return 0.0, 0.0
