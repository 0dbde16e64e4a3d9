"""HARQ processes of the slot core as NumPy record arrays and the compiled pieces that start,
decode and flush them (the scalar cores are :func:`nrsim.link.adaptation.harq_step`,
:func:`~nrsim.link.adaptation.olla_after` and :func:`~nrsim.link.adaptation.mcs_for_sinr`).

- ``H`` :data:`HARQ_DTYPE` [dir, ue, proc]: ``act`` (TB in flight), ``ready`` (slot from which
  a retransmission may go), ``ntx`` transmissions so far, ``mcs``, ``nprb``, ``nsymb`` of the
  TB, ``payload_bits`` [bit], ``acc_sinr_lin`` chase-combined SINR so far, ``part_bits``
  [N_LCH] the TB's bits from each logical channel (:mod:`nrsim.traffic.queue`).
- ``h_rbg`` bool [dir, ue, proc, rbg]: the TB's RBGs.
- ``TB`` :data:`TB_DTYPE` [dir, n_symb (0..14), mcs, n_prb (0..N_RB)]: TBS (TS 38.214 V17
  5.1.3.2), code blocks C (TS 38.212 V17 5.2.2) and the logistic BLER parameters of the
  code-block size (:mod:`nrsim.link.bler`).
- ``MCS`` float64 [3, mcs], rows ``MCS_THR`` 10 %-BLER SINR threshold [dB], ``MCS_SE`` spectral
  efficiency [bit/RE], ``MCS_BETA`` EESM beta (rows, not a record: the threshold row is the
  contiguous array that :func:`~nrsim.link.adaptation.mcs_for_sinr` bisects, per candidate).
"""

from __future__ import annotations

import numpy as np

from nrsim.compiled import jit
from nrsim.link.adaptation import HARQ_ACK, HARQ_DROP, harq_step
from nrsim.traffic.queue import N_LCH, give_back, take_bits

HARQ_DTYPE = np.dtype([
    ("act", np.bool_), ("ready", np.int64), ("ntx", np.int64), ("mcs", np.int64), ("nprb", np.int64),
    ("nsymb", np.int64), ("payload_bits", np.float64), ("acc_sinr_lin", np.float64),
    ("part_bits", np.float64, (N_LCH,)),
], align=True)
TB_DTYPE = np.dtype([("tbs_bits", np.int64), ("n_cb", np.int64), ("s10_db", np.float64), ("scale_db", np.float64)],
                    align=True)
MCS_THR, MCS_SE, MCS_BETA = 0, 1, 2


def mcs_rows(thr_db, se, beta):
    """The ``MCS`` table float64 [3, mcs] from the three per-MCS arrays."""
    return np.ascontiguousarray(np.vstack([thr_db, se, beta]), dtype=np.float64)


@jit
def free_process(H, d, u):
    """Lowest idle HARQ process of UE u in direction d (the caller knows one is idle)."""
    p = 0
    while H[d, u, p].act:
        p += 1
    return p


@jit
def ready_process(H, d, u, t, n_symb, n_act):
    """The earliest-ready active process of UE u whose retransmission may go in slot t with
    ``n_symb`` symbols (the first such process on a tie); -1 when none. ``n_act``: the UE's
    active processes in direction d (the scan stops after the last of them; new TBs take the
    lowest idle process, so they sit at the low indices)."""
    best = -1
    seen = 0
    for p in range(H.shape[2]):
        if seen >= n_act:
            break
        h = H[d, u, p]
        if not h.act:
            continue
        seen += 1
        if h.ready <= t and h.nsymb <= n_symb:
            if best < 0 or h.ready < H[d, u, best].ready:
                best = p
    return best


@jit
def start_tb(H, Q, PK, d, u, p, mcs, n_prb, n_symb, payload_bits):
    """A new TB of UE u in HARQ process p: ``payload_bits`` taken from the logical channels
    (voice first, :func:`nrsim.traffic.queue.take_bits`)."""
    h = H[d, u, p]
    take_bits(Q, PK, d, u, payload_bits, h.part_bits)
    h.act = True
    h.ready = 0
    h.ntx = 0
    h.mcs = mcs
    h.nprb = n_prb
    h.nsymb = n_symb
    h.payload_bits = payload_bits
    h.acc_sinr_lin = 0.0


@jit
def decode_tb(H, TB, d, u, p, eff_sinr_lin, uniform, max_tx):
    """One transmission of process p at effective SINR ``eff_sinr_lin``: chase combining and
    TB decoding (:func:`nrsim.link.adaptation.harq_step`, NACK when ``uniform`` < BLER);
    returns the outcome HARQ_ACK / HARQ_RETRY / HARQ_DROP. The process stays active."""
    h = H[d, u, p]
    tb = TB[d, h.nsymb, h.mcs, h.nprb]
    n_tx, acc, _, outcome = harq_step(h.ntx, h.acc_sinr_lin, eff_sinr_lin, tb.s10_db, tb.scale_db, tb.n_cb,
                                      uniform, max_tx)
    h.ntx = n_tx
    h.acc_sinr_lin = acc
    return outcome


@jit
def release_dropped(H, Q, PK, d, u, p):
    """A dropped TB (or one flushed at a handover): its bits go back to their queues."""
    h = H[d, u, p]
    h.act = False
    for f in range(N_LCH):
        if h.part_bits[f] > 0.0:
            give_back(Q, PK, N_LCH * d + f, u, h.part_bits[f])


@jit
def flush_harq(ues, H, Q, PK):
    """Handover or re-establishment of ``ues`` int64 [n]: their HARQ processes (both
    directions) are reset and the untransmitted/unacknowledged bits go back to their queues
    (data forwarding to the target cell, TS 38.300 V17 9.2.3.2)."""
    for i in range(ues.size):
        u = ues[i]
        for d in range(H.shape[0]):
            for p in range(H.shape[2]):
                if H[d, u, p].act:
                    release_dropped(H, Q, PK, d, u, p)


__all__ = ["HARQ_ACK", "HARQ_DROP", "HARQ_DTYPE", "MCS_BETA", "MCS_SE", "MCS_THR", "TB_DTYPE", "decode_tb",
           "flush_harq", "free_process", "mcs_rows", "ready_process", "release_dropped", "start_tb"]
