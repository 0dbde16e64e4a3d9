"""Link adaptation as compiled scalar cores: the one place where the slot engines (the static
slot run, :mod:`nrsim.engine.slot_kernels` / :mod:`nrsim.engine.slot_harq`, and the mobile
call loop, :mod:`nrsim.engine.call_kernels`) compute

- the subband CQI of a CSI report (:func:`subband_cqi`, TS 38.214 5.2.2.1),
- the EESM effective SINR (running log-sum-exp accumulator, :func:`eesm_add` /
  :func:`eesm_value`; formula and references in :mod:`nrsim.link.eesm`),
- the MCS for an effective SINR estimate minus the OLLA offset (:func:`mcs_for_sinr`),
- the TB BLER at a chase-combined SINR (:func:`tb_bler`, logistic code-block curve of
  :mod:`nrsim.link.bler`, C code blocks of TS 38.212 5.2.2),
- the OLLA offset update (:func:`olla_update`, :func:`olla_step_down_db`),
- the HARQ chase-combining step of one transmission (:func:`harq_step`).

Each is a ``nrsim.compiled.jit`` function of scalars, callable from NumPy code (one value at a
time) and from kernels alike; the array forms in :mod:`nrsim.link.eesm` and
:mod:`nrsim.link.bler` are the references the tests compare them with.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from nrsim.compiled import jit

HARQ_ACK, HARQ_RETRY, HARQ_DROP = 0, 1, 2
"""Outcomes of :func:`harq_step`: decoded; NACK with a retransmission to come; NACK of the
last allowed transmission (the TB is dropped)."""


@jit
def eesm_add(sinr_lin: float, beta: float, m: float, s: float) -> tuple[float, float]:
    """Add one resource's SINR to the EESM accumulator (m, s), a running log-sum-exp of
    -sinr/beta: sum exp(-sinr/beta) = s exp(m). Start from (m, s) = (-inf, 0)."""
    v = -sinr_lin / beta
    if v > m:
        return v, s * math.exp(m - v) + 1.0
    return m, s + math.exp(v - m)


@jit
def eesm_value(beta: float, m: float, s: float, n: int) -> float:
    """EESM effective SINR (linear) of ``n`` accumulated resources:
    -beta ln((1/n) sum exp(-sinr/beta)) (Brueninger et al., PIMRC 2005); 0 when n = 0."""
    if n <= 0:
        return 0.0
    return -beta * (m + math.log(s / n))


@jit
def count_at_most(ascending, x: float) -> int:
    """How many entries of the ascending array ``ascending`` are <= ``x`` (bisection, as
    ``numpy.searchsorted(ascending, x, side="right")``)."""
    lo = 0
    hi = ascending.shape[0]  # the count is in [lo, hi]
    while lo < hi:
        mid = (lo + hi) // 2
        if ascending[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@jit
def cqi_thresholds_met(cqi_thr_lin, sinr_lin: float) -> int:
    """How many of the ascending CQI thresholds ``cqi_thr_lin`` [15] ``sinr_lin`` meets: the
    CQI of a subband of one resource (:func:`subband_cqi` with n = 1), an upper bound of the
    CQI of any subband with that mean SINR."""
    return count_at_most(cqi_thr_lin, sinr_lin)


@jit
def subband_cqi(sinr_lin, n: int, cqi_thr_lin, cqi_beta) -> int:
    """CQI of one subband from the SINRs ``sinr_lin[:n]`` of its resources: the highest q in
    1..15 whose EESM SINR, with the beta of q's MCS (``cqi_beta`` [15]), reaches q's 10 %-BLER
    threshold ``cqi_thr_lin`` [15] (TS 38.214 5.2.2.1: the highest CQI whose transport block
    would be received with BLER <= 0.1); 0 (out of range) when none. The scan starts at the
    CQI of the mean SINR, an upper bound because EESM <= arithmetic mean for any beta."""
    mean = 0.0
    for j in range(n):
        mean += sinr_lin[j]
    mean /= n
    q = cqi_thresholds_met(cqi_thr_lin, mean)
    if n == 1:  # the EESM of one resource is its SINR
        return q
    while q > 0:
        beta = cqi_beta[q - 1]
        m = -math.inf
        acc = 0.0
        for j in range(n):
            m, acc = eesm_add(sinr_lin[j], beta, m, acc)
        if eesm_value(beta, m, acc, n) >= cqi_thr_lin[q - 1]:
            return q
        q -= 1
    return 0


@jit
def mcs_for_sinr(mcs_thr_db, sinr_db: float) -> int:
    """Highest MCS whose 10 %-BLER SNR ``mcs_thr_db`` [mcs] (ascending) is <= ``sinr_db``;
    MCS 0 below all. ``sinr_db`` is the estimate after the OLLA offset."""
    return max(count_at_most(mcs_thr_db, sinr_db) - 1, 0)


@jit
def mcs_for_sinr_array(mcs_thr_db, sinr_db):
    """:func:`mcs_for_sinr` of every element of ``sinr_db`` (any shape) -> int64, same shape."""
    flat = sinr_db.ravel()
    out = np.empty(flat.size, dtype=np.int64)
    for i in range(flat.size):
        out[i] = mcs_for_sinr(mcs_thr_db, flat[i])
    return out.reshape(sinr_db.shape)


@jit
def tb_bler(acc_sinr_lin: float, snr10_db: float, scale_db: float, n_cb: int) -> float:
    """TB BLER 1 - (1 - BLER_cb)^C at the (chase-combined) SINR ``acc_sinr_lin``, with the
    logistic code-block BLER 1 / (1 + 9 exp((snr_db - snr10_db) / scale_db))
    (:func:`nrsim.link.bler.logistic_bler`); 0 for a TB without code blocks, 1 at SINR <= 0."""
    if n_cb <= 0:
        return 0.0
    if acc_sinr_lin <= 0.0:
        return 1.0
    z = (10.0 * math.log10(acc_sinr_lin) - snr10_db) / scale_db
    z = min(max(z, -700.0), 700.0)
    p = 1.0 / (1.0 + 9.0 * math.exp(z))
    return 1.0 - (1.0 - p) ** n_cb


class HarqOlla(NamedTuple):
    """HARQ and OLLA settings of one link direction, as compiled code receives them
    (``slots.link_adaptation``: ``harq_max_transmissions``, ``harq_rtt_slots``, ``olla``,
    ``olla_step_db``, ``olla_target_bler``, ``olla_max_offset_db``)."""

    max_tx: int
    rtt_slots: int
    olla: bool
    step_up_db: float
    step_down_db: float
    max_offset_db: float


def harq_olla(la) -> HarqOlla:
    """:class:`HarqOlla` of a :class:`nrsim.config.schema.SlotLinkAdaptationConfig`."""
    return HarqOlla(int(la.harq_max_transmissions), int(la.harq_rtt_slots), bool(la.olla), float(la.olla_step_db),
                    float(olla_step_down_db(float(la.olla_step_db), float(la.olla_target_bler))),
                    float(la.olla_max_offset_db))


@jit
def olla_step_down_db(step_up_db: float, target_bler: float) -> float:
    """OLLA step on an ACK that makes the first-transmission BLER settle at ``target_bler``:
    step_up T / (1 - T) (jump algorithm; Pedersen et al., VTC 2007-Fall)."""
    return step_up_db * target_bler / (1.0 - target_bler)


@jit
def olla_update(offset_db: float, ack: bool, step_up_db: float, step_down_db: float, max_offset_db: float) -> float:
    """OLLA offset after a first-transmission outcome: + step_up on NACK, - step_down on ACK,
    bounded to [-max, max] [dB]."""
    if ack:
        return max(offset_db - step_down_db, -max_offset_db)
    return min(offset_db + step_up_db, max_offset_db)


@jit
def olla_after(offset_db: float, first: bool, ack: bool, p: HarqOlla) -> float:
    """The OLLA offset after a transmission: updated (:func:`olla_update`) on a first
    transmission when OLLA is on, else unchanged."""
    if p.olla and first:
        return olla_update(offset_db, ack, p.step_up_db, p.step_down_db, p.max_offset_db)
    return offset_db


@jit
def harq_step(n_tx: int, acc_sinr_lin: float, eff_sinr_lin: float, snr10_db: float, scale_db: float,
              n_cb: int, uniform: float, max_tx: int) -> tuple[int, float, float, int]:
    """One transmission of a HARQ process with chase combining (Chase, IEEE Trans. Commun.
    33(5), 1985): the combined SINR is the sum of the transmissions' effective SINRs, the TB
    is decoded at it with :func:`tb_bler`; NACK when ``uniform`` < BLER.

    Returns (n_tx + 1, combined SINR, BLER, outcome HARQ_ACK / HARQ_RETRY / HARQ_DROP)."""
    n = n_tx + 1
    acc = acc_sinr_lin + eff_sinr_lin
    bler = tb_bler(acc, snr10_db, scale_db, n_cb)
    if uniform >= bler:
        return n, acc, bler, HARQ_ACK
    if n >= max_tx:
        return n, acc, bler, HARQ_DROP
    return n, acc, bler, HARQ_RETRY
