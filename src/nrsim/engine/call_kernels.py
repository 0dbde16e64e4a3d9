"""Compiled slot loop of the mobile call engine (:mod:`nrsim.engine.calls`), numba, cached.

One call of :func:`run_slot_range` simulates the slots ``t0 .. t1-1`` of one mobility step
(serving cells, who may transmit and the large-scale channel are fixed within a step), both
link directions, for all UEs: packet arrivals and delay-budget discard, HARQ retransmissions,
the QoS-aware scheduler per cell, TBS, per-PRB SINR with fast fading, EESM, chase combining,
TB BLER, OLLA, in-order delivery and the periodic subband CSI report.

The arrays travel grouped in named tuples (:class:`Frame`, :class:`Step`, :class:`Queues`,
:class:`Harq`, :class:`Mac`); link adaptation and the scheduler metric are the shared cores of
:mod:`nrsim.link.adaptation` and :mod:`nrsim.scheduler.metric`.

Array conventions (direction axis first: 0 = DL, 1 = UL; then ``[..., ue, ...]``):

- ``rx_prb_mw`` float64 [ue, cell]: DL received power per PRB without fast fading [mW];
  ``gain_lin`` float64 [ue, cell]: coupling gain (UL: UE -> cell).
- ``top_cell`` int64 [ue, k]: the k strongest cells of each UE (serving cell among them or
  not); DL interference of these cells follows their per-RBG activity in the slot, the rest
  (``resid_prb_mw`` [ue], per PRB at full load) is scaled by the mean utilisation of all cells.
- ``bank`` float32 [row, prb]: fast-fading power gain (unit mean) of the UE's serving link;
  row(t) = ``f_base`` + (``f_off`` + t) mod ``f_period`` [ue] (the UL reads the same trace:
  TDD reciprocity); ``bank_rbg`` float32 [row, rbg] the same at the middle PRB of each RBG
  (a compact copy for the CSI reports).
- Packets (flat, grouped by direction and UE, arrival order): ``pk_t`` arrival [s],
  ``pk_deadline`` [s], ``pk_cum`` cumulative end within (direction, UE) [bit], ``pk_prio``
  5QI priority level (lower first); outputs ``pk_done`` (end of the slot of the last bit's
  ACK, NaN never) and ``pk_disc`` (discarded at the deadline).
- Queue state ``q_*`` [queue, ue], queue = N_LCH x dir + logical channel (0: voice, 5QI 1;
  1: video and best effort): first/end packet, arrived/head/completed packet pointers and
  cumulative arrived/taken/delivered/discarded/floor bits (as :class:`nrsim.traffic.QosPackets`).
  A new TB takes voice bits first, then the rest (logical channel prioritisation, TS 38.321
  5.4.3.1, without prioritised bit rates).
- HARQ ``h_*`` [dir, ue, proc] (``h_rbg`` [dir, ue, proc, rbg]; ``h_part`` [dir, ue, proc,
  channel]: the TB's bits from each logical channel).
- Counters ``acc`` [dir, ue, ACC_*] over slots >= ``warmup``; ``cell_acc`` [dir, cell, 2]:
  PRBs used, PRBs available.

Models: docs/video.md (mobile calls). Random outcomes (HARQ decoding) come from SplitMix64
counters keyed by (run key, slot, UE, direction), so they do not depend on call order.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from nrsim.compiled import jit
from nrsim.scheduler.metric import SCHED_QOS, SCHED_QOS_EDF, pf_average, policy_metric
from nrsim.link.adaptation import (
    HARQ_ACK,
    HARQ_DROP,
    eesm_add,
    eesm_value,
    harq_step,
    mcs_for_sinr,
    olla_after,
    subband_cqi,
)


DL, UL = 0, 1
ACC_BITS, ACC_FIRST, ACC_FIRST_NACK, ACC_TX, ACC_NEW, ACC_SINR_DB, ACC_SINR_N, ACC_PRB, ACC_DROPPED, ACC_MCS = range(10)
N_ACC = 10
NO_PRIORITY = 1 << 30
N_LCH = 2
"""Queues (logical channels) per UE and direction: 0 voice (5QI 1), 1 video and best effort;
queue index = N_LCH x direction + channel."""
TOL_BITS = 1e-6

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_SLOT_MUL = np.uint64(0xD1B54A32D192ED03)
_DIR_MUL = np.uint64(0x8CB92BA72F3D8DD7)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_ONE = np.uint64(1)


@jit
def counter_uniform(key: np.uint64, t: int, u: int, d: int) -> float:
    """Uniform [0, 1) of (key, slot t, UE u, direction d): SplitMix64 finaliser (Steele,
    Lea & Flood, OOPSLA 2014) of a Weyl-style combination of the counters."""
    z = (key + (np.uint64(u) + _ONE) * _GOLDEN + (np.uint64(t) + _ONE) * _SLOT_MUL
         + (np.uint64(d) + _ONE) * _DIR_MUL)
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    z = z ^ (z >> np.uint64(31))
    return float(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@jit
def pusch_power_dbm(p0_dbm, alpha, pathloss_db, m_prb, mu, p_max_dbm):
    """TS 38.213 7.1.1 open-loop PUSCH power (Delta_TF = f = 0), scalar form of
    :func:`nrsim.radio.uplink.pusch_tx_power_dbm`."""
    return min(p_max_dbm, p0_dbm + 10.0 * math.log10((2.0 ** mu) * m_prb) + alpha * pathloss_db)


# --- grouped state (numba named tuples of arrays) --------------------------------------------
class UlParams(NamedTuple):
    """PUSCH power control and the gNB's UL receiver (``slots.uplink``)."""

    p0_dbm: float
    alpha: float
    p_max_dbm: float
    mu: int
    noise_prb_mw: float
    forget: float
    """Weight of the newest UL slot in the cell's average interference (EWMA)."""
    rx_gain: float
    lag_s: float
    """Scheduling-request delay of UL packets [s]."""


class Frame(NamedTuple):
    """What stays fixed over a drop: frame, link tables [dir, n_symb, mcs, n_prb], policies."""

    slot_s: float
    warmup: int
    key: np.uint64
    pat_dl_symb: np.ndarray
    pat_ul: np.ndarray
    re_per_prb: np.ndarray
    rbg_first_prb: np.ndarray
    tbs: np.ndarray
    n_cb: np.ndarray
    s10_db: np.ndarray
    scale_db: np.ndarray
    mcs_thr_db: np.ndarray
    mcs_se: np.ndarray
    mcs_beta: np.ndarray
    cqi_thr_lin: np.ndarray
    cqi_beta: np.ndarray
    cqi_sinr_db: np.ndarray
    noise_prb_mw: float
    ul: UlParams
    sched: Any
    """:class:`nrsim.scheduler.metric.SchedulerParams`."""
    max_ues: np.ndarray
    harq: Any
    """:class:`nrsim.link.adaptation.HarqOlla`."""
    cqi_period: int
    cqi_delay: int


class Step(NamedTuple):
    """What stays fixed within a mobility step: serving cells, who may transmit, the UEs of
    each cell (``cell_ue[cell_ue_start[c]:cell_ue_start[c + 1]]``), the large-scale channel and
    the fast-fading traces."""

    serving: np.ndarray
    can_tx: np.ndarray
    cell_ue_start: np.ndarray
    cell_ue: np.ndarray
    rx_prb_mw: np.ndarray
    gain_lin: np.ndarray
    top_cell: np.ndarray
    resid_prb_mw: np.ndarray
    bank: np.ndarray
    bank_rbg: np.ndarray
    f_base: np.ndarray
    f_off: np.ndarray
    f_period: np.ndarray


class Queues(NamedTuple):
    """Packet queues [queue, ue] and the packets (flat), as in the module doc."""

    first: np.ndarray
    end: np.ndarray
    arr: np.ndarray
    head: np.ndarray
    ndone: np.ndarray
    arrived: np.ndarray
    taken: np.ndarray
    delivered: np.ndarray
    discarded: np.ndarray
    floor: np.ndarray
    pk_t: np.ndarray
    pk_deadline: np.ndarray
    pk_cum: np.ndarray
    pk_prio: np.ndarray
    pk_done: np.ndarray
    pk_disc: np.ndarray


class Harq(NamedTuple):
    """HARQ processes [dir, ue, proc] (``rbg`` [..., rbg], ``part`` [..., channel])."""

    act: np.ndarray
    ready: np.ndarray
    ntx: np.ndarray
    mcs: np.ndarray
    nprb: np.ndarray
    nsymb: np.ndarray
    payload: np.ndarray
    part: np.ndarray
    acc: np.ndarray
    rbg: np.ndarray


class Mac(NamedTuple):
    """Link adaptation, scheduler, CSI and counter state carried between steps."""

    olla_db: np.ndarray
    pf_avg_bps: np.ndarray
    last_served: np.ndarray
    acc: np.ndarray
    cell_acc: np.ndarray
    csi_ring: np.ndarray
    csi_ok: np.ndarray
    reported_db: np.ndarray
    last_util: np.ndarray
    ul_i_avg_mw: np.ndarray


class Scratch(NamedTuple):
    """Per-slot work arrays of one :func:`run_slot_range` call."""

    act: np.ndarray
    free: np.ndarray
    i_rbg: np.ndarray
    tx_ue: np.ndarray
    tx_proc: np.ndarray
    sched_bits: np.ndarray
    cand: np.ndarray
    cand_mcs: np.ndarray
    metric: np.ndarray
    prio: np.ndarray
    ddl: np.ndarray
    ul_i: np.ndarray
    ul_p_prb: np.ndarray
    ul_cells: np.ndarray
    util: np.ndarray
    order: np.ndarray
    h_nact: np.ndarray
    """Active HARQ processes per direction and UE."""


@jit
def _scratch(n_ue, n_cells, n_rbg, h):
    nact = np.zeros((2, n_ue), dtype=np.int64)
    for d in range(2):
        for u in range(n_ue):
            for p in range(h.act.shape[2]):
                if h.act[d, u, p]:
                    nact[d, u] += 1
    return Scratch(np.zeros((n_cells, n_rbg), dtype=np.bool_), np.empty(n_rbg, dtype=np.bool_), np.empty(n_rbg),
                   np.empty(n_ue, dtype=np.int64), np.empty(n_ue, dtype=np.int64), np.zeros(n_ue),
                   np.empty(n_ue, dtype=np.int64), np.empty(n_ue, dtype=np.int64), np.empty(n_ue), np.empty(n_ue),
                   np.empty(n_ue), np.zeros((n_cells, n_rbg)), np.zeros(n_ue), np.zeros(n_cells, dtype=np.bool_),
                   np.zeros(n_cells), np.empty(n_ue, dtype=np.int64), nact)


# --- packet queues ---------------------------------------------------------------------------
@jit
def _head_forward(q, qi, u):
    while q.head[qi, u] < q.arr[qi, u] and q.pk_cum[q.head[qi, u]] <= q.taken[qi, u] + TOL_BITS:
        q.head[qi, u] += 1


@jit
def advance_queue(q, qi, u, t_s, lag_s):
    """Queue ``qi``, UE ``u``: packets with arrival <= t_s - lag_s join the buffer (``lag_s``:
    the UL scheduling-request delay, 0 in the DL); head-of-line packets with deadline <= t_s
    lose their untaken part (PDCP discard)."""
    while q.arr[qi, u] < q.end[qi, u] and q.pk_t[q.arr[qi, u]] <= t_s - lag_s:
        q.arrived[qi, u] = q.pk_cum[q.arr[qi, u]]
        q.arr[qi, u] += 1
    while True:
        _head_forward(q, qi, u)
        h = q.head[qi, u]
        if h >= q.arr[qi, u] or q.pk_deadline[h] > t_s:
            break
        q.discarded[qi, u] += q.pk_cum[h] - q.taken[qi, u]
        q.pk_disc[h] = True
        q.taken[qi, u] = q.pk_cum[h]
        q.floor[qi, u] = q.pk_cum[h]


@jit
def give_back(q, qi, u, bits):
    """Bits of a dropped (or forwarded) TB go back to the buffer, except those of packets
    discarded since (counted as discarded)."""
    new = q.taken[qi, u] - bits
    lost = q.floor[qi, u] - new
    if lost > 0.0:
        q.discarded[qi, u] += lost
    q.taken[qi, u] = max(new, q.floor[qi, u])
    while q.head[qi, u] > q.first[qi, u] and q.pk_cum[q.head[qi, u] - 1] > q.taken[qi, u] + TOL_BITS:
        q.head[qi, u] -= 1


@jit
def _deliver(q, qi, u, bits, t_end_s):
    q.delivered[qi, u] += bits
    pos = q.delivered[qi, u] + q.discarded[qi, u]
    while q.ndone[qi, u] < q.end[qi, u] and q.pk_cum[q.ndone[qi, u]] <= pos + TOL_BITS:
        k = q.ndone[qi, u]
        if math.isnan(q.pk_done[k]):
            q.pk_done[k] = t_end_s
        q.ndone[qi, u] += 1


@jit
def flush_harq(ues, h, q):
    """Handover or re-establishment of ``ues``: their HARQ processes (both directions) are
    reset and the untransmitted/unacknowledged bits go back to their queues (data forwarding
    to the target cell, TS 38.300 9.2.3.2)."""
    for i in range(ues.size):
        u = ues[i]
        for d in range(2):
            for p in range(h.act.shape[2]):
                if h.act[d, u, p]:
                    h.act[d, u, p] = False
                    for f in range(N_LCH):
                        if h.part[d, u, p, f] > 0.0:
                            give_back(q, N_LCH * d + f, u, h.part[d, u, p, f])


@jit
def _queued(q, d, u):
    """Bits waiting in all logical channels of UE u in direction d."""
    out = 0.0
    for f in range(N_LCH):
        out += max(q.arrived[N_LCH * d + f, u] - q.taken[N_LCH * d + f, u], 0.0)
    return out


@jit
def _queue_arrivals(q, t_s, ul_lag_s):
    """2. Packet arrivals and discard, both directions."""
    for qq in range(2 * N_LCH):
        lag = ul_lag_s if qq >= N_LCH else 0.0
        for u in range(q.arr.shape[1]):
            a = q.arr[qq, u]
            h = q.head[qq, u]
            if (a >= q.end[qq, u] or q.pk_t[a] > t_s - lag) and (h >= a or q.pk_deadline[h] > t_s):
                continue  # nothing arrives or expires
            advance_queue(q, qq, u, t_s, lag)


@jit
def _take_lcp(q, h, d, u, p, payload):
    """A new TB of ``payload`` bits takes voice bits first, then the rest (logical channel
    prioritisation); the TB's share of each channel goes to ``h.part``."""
    rem = payload
    for f in range(N_LCH):
        qq = N_LCH * d + f
        part = min(rem, max(q.arrived[qq, u] - q.taken[qq, u], 0.0))
        q.taken[qq, u] += part
        _head_forward(q, qq, u)
        h.part[d, u, p, f] = part
        rem -= part


# --- scheduling ------------------------------------------------------------------------------
@jit
def _sort_candidates(order, n, prio, ddl, metric, cand):
    """order[:n] = candidate positions sorted by (priority ascending, deadline ascending,
    metric descending, UE index): an allocation-free insertion sort (a cell has tens of
    candidates)."""
    for i in range(n):
        order[i] = i
    for i in range(1, n):
        x = order[i]
        j = i - 1
        while j >= 0 and _before(x, order[j], prio, ddl, metric, cand):
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = x


@jit
def _before(a, b, prio, ddl, metric, cand):
    if prio[a] != prio[b]:
        return prio[a] < prio[b]
    if ddl[a] != ddl[b]:
        return ddl[a] < ddl[b]
    if metric[a] != metric[b]:
        return metric[a] > metric[b]
    return cand[a] < cand[b]


@jit
def _retransmissions(t, d, c, n_symb, n_tx, fr, st, h, sc):
    """3a. Retransmissions (the earliest ready process of each UE of cell c) on their own
    RBGs. Returns (n_tx, UEs scheduled in the cell)."""
    n_proc = h.act.shape[2]
    n_rbg = sc.free.size
    n_sched = 0
    for j in range(st.cell_ue_start[c], st.cell_ue_start[c + 1]):
        u = st.cell_ue[j]
        if not st.can_tx[u] or sc.h_nact[d, u] == 0:
            continue
        best = -1
        for p in range(n_proc):
            if h.act[d, u, p] and h.ready[d, u, p] <= t and h.nsymb[d, u, p] <= n_symb:
                if best < 0 or h.ready[d, u, p] < h.ready[d, u, best]:
                    best = p
        if best < 0 or n_sched >= fr.max_ues[d]:
            continue
        ok = True
        for r in range(n_rbg):
            if h.rbg[d, u, best, r] and not sc.free[r]:
                ok = False
        if not ok:
            continue
        for r in range(n_rbg):
            if h.rbg[d, u, best, r]:
                sc.free[r] = False
        sc.tx_ue[n_tx] = u
        sc.tx_proc[n_tx] = best
        n_tx += 1
        n_sched += 1
        sc.sched_bits[u] = -1.0  # retransmitting: no new TB this slot
    return n_tx, n_sched


@jit
def _ul_estimate_db(fr, st, mac, u, c, m_prb):
    """gNB estimate of the UL SINR per PRB of UE u on m_prb PRBs: power control, path loss,
    receive combining gain and the cell's average interference, minus the OLLA offset [dB]."""
    ul = fr.ul
    g = st.gain_lin[u, c]
    pl_db = -10.0 * math.log10(g)
    p_dbm = pusch_power_dbm(ul.p0_dbm, ul.alpha, pl_db, max(m_prb, 1), ul.mu, ul.p_max_dbm)
    p_prb_mw = 10.0 ** (p_dbm / 10.0) / max(m_prb, 1)
    return 10.0 * math.log10(p_prb_mw * g * ul.rx_gain / (mac.ul_i_avg_mw[c] + ul.noise_prb_mw)) - mac.olla_db[UL, u]


@jit
def _dl_estimate_db(fr, mac, h, u, p):
    """The gNB's DL SINR estimate of UE u on the RBGs of process p (all RBGs for p < 0): the
    PRB-weighted mean of the reported subband CQIs' SINRs, minus OLLA [dB] (the static slot
    engine's rule)."""
    tot = 0.0
    n = 0
    for r in range(mac.reported_db.shape[1]):
        if p < 0 or h.rbg[DL, u, p, r]:
            w = fr.rbg_first_prb[r + 1] - fr.rbg_first_prb[r]
            tot += w * mac.reported_db[u, r]
            n += w
    return tot / max(n, 1) - mac.olla_db[DL, u]


@jit
def _estimate_db(fr, st, mac, h, d, u, c):
    """The gNB's wideband SINR estimate for the rate of UE u: DL from the reported subband
    CQIs, UL the power-controlled SINR per PRB on one PRB (not power-limited), each minus
    OLLA [dB]."""
    if d == DL:
        return _dl_estimate_db(fr, mac, h, u, -1)
    return _ul_estimate_db(fr, st, mac, u, c, 1)


@jit
def _candidates(t, d, c, n_re, fr, st, q, h, mac, sc):
    """3b. New-transmission candidates of cell c (queued bits, a free process, no
    retransmission): their MCS, policy metric and QoS rank (the highest-priority non-empty
    channel's head packet). Returns their number."""
    n_prb = fr.rbg_first_prb[-1]
    n_c = 0
    for j in range(st.cell_ue_start[c], st.cell_ue_start[c + 1]):
        u = st.cell_ue[j]
        if not st.can_tx[u] or sc.sched_bits[u] < 0.0:
            continue
        if _queued(q, d, u) <= TOL_BITS or sc.h_nact[d, u] >= h.act.shape[2]:
            continue
        m = mcs_for_sinr(fr.mcs_thr_db, _estimate_db(fr, st, mac, h, d, u, c))
        rate = fr.mcs_se[m] * n_re * n_prb / fr.slot_s
        sc.metric[n_c] = policy_metric(fr.sched, rate, mac.pf_avg_bps[d, u], float(t - mac.last_served[d, u]))
        sc.prio[n_c] = 0.0
        sc.ddl[n_c] = 0.0
        if fr.sched.kind == SCHED_QOS or fr.sched.kind == SCHED_QOS_EDF:
            for f in range(N_LCH):
                qq = N_LCH * d + f
                hd = q.head[qq, u]
                if hd < q.arr[qq, u]:
                    sc.prio[n_c] = q.pk_prio[hd]
                    if fr.sched.kind == SCHED_QOS_EDF:
                        sc.ddl[n_c] = q.pk_deadline[hd]
                    break
        sc.cand[n_c] = u
        sc.cand_mcs[n_c] = m
        n_c += 1
    return n_c


@jit
def _prb_need(fr, st, mac, d, u, c, m, n_re, queued):
    """PRBs that carry ``queued`` bits at MCS m (+1); UL: no more than keep MCS 0 decodable
    at full power (a power-limited UE)."""
    bits_prb = max(fr.mcs_se[m] * n_re, 1.0)
    need = int(math.ceil(queued / bits_prb)) + 1
    if d == UL:
        ul = fr.ul
        g = st.gain_lin[u, c]
        gmin = 10.0 ** ((fr.mcs_thr_db[0] + mac.olla_db[UL, u]) / 10.0)
        m_cap = 10.0 ** (ul.p_max_dbm / 10.0) * g * ul.rx_gain / (gmin * (mac.ul_i_avg_mw[c] + ul.noise_prb_mw))
        need = max(min(need, int(m_cap)), 1)
    return need


@jit
def _take_rbgs(fr, h, sc, d, u, p, need_prb, n_free):
    """Free RBGs in index order to process p of UE u until ``need_prb`` PRBs (wideband).
    Returns (PRBs got, free RBGs left)."""
    n_rbg = sc.free.size
    got = 0
    for r in range(n_rbg):
        h.rbg[d, u, p, r] = False
    for r in range(n_rbg):
        if got >= need_prb:
            break
        if sc.free[r]:
            sc.free[r] = False
            n_free -= 1
            h.rbg[d, u, p, r] = True
            got += fr.rbg_first_prb[r + 1] - fr.rbg_first_prb[r]
    return got, n_free


@jit
def _start_tb(h, sc, d, u, p, m, got, n_symb, payload):
    h.act[d, u, p] = True
    sc.h_nact[d, u] += 1
    h.ready[d, u, p] = 0
    h.ntx[d, u, p] = 0
    h.mcs[d, u, p] = m
    h.nprb[d, u, p] = got
    h.nsymb[d, u, p] = n_symb
    h.payload[d, u, p] = payload
    h.acc[d, u, p] = 0.0
    sc.sched_bits[u] = payload


@jit
def _new_transmissions(t, d, c, n_symb, n_re, meas, n_tx, n_sched, fr, st, q, h, mac, sc):
    """3b. New TBs for the candidates of cell c in policy order, on the free RBGs. Returns n_tx."""
    n_c = _candidates(t, d, c, n_re, fr, st, q, h, mac, sc)
    n_free = 0
    for r in range(sc.free.size):
        if sc.free[r]:
            n_free += 1
    if n_c == 0 or n_free == 0:
        return n_tx
    _sort_candidates(sc.order, n_c, sc.prio, sc.ddl, sc.metric, sc.cand)
    for oi in range(n_c):
        if n_sched >= fr.max_ues[d] or n_free == 0:
            break
        u = sc.cand[sc.order[oi]]
        queued = _queued(q, d, u)
        m = sc.cand_mcs[sc.order[oi]]
        need_prb = _prb_need(fr, st, mac, d, u, c, m, n_re, queued)
        p = 0
        while h.act[d, u, p]:
            p += 1
        got, n_free = _take_rbgs(fr, h, sc, d, u, p, need_prb, n_free)
        if d == UL:  # power-limited UEs: MCS for the power spread over the allocation
            m = mcs_for_sinr(fr.mcs_thr_db, _ul_estimate_db(fr, st, mac, u, c, got))
        else:  # DL: MCS for the reports of the allocated subbands
            m = mcs_for_sinr(fr.mcs_thr_db, _dl_estimate_db(fr, mac, h, u, p))
        tbs = fr.tbs[d, n_symb, m, got]
        if tbs <= 0:
            for r in range(sc.free.size):
                if h.rbg[d, u, p, r]:
                    sc.free[r] = True
                    n_free += 1
            continue
        payload = min(float(tbs), queued)
        _take_lcp(q, h, d, u, p, payload)
        _start_tb(h, sc, d, u, p, m, got, n_symb, payload)
        sc.tx_ue[n_tx] = u
        sc.tx_proc[n_tx] = p
        n_tx += 1
        n_sched += 1
        if meas:
            mac.acc[d, u, ACC_NEW] += 1.0
    return n_tx


# --- per slot and direction ------------------------------------------------------------------
@jit
def _utilisation(d, meas, fr, mac, sc):
    """4. Per-RBG activity -> PRB utilisation of each cell (``sc.util``); returns the mean."""
    n_cells = sc.act.shape[0]
    n_prb = fr.rbg_first_prb[-1]
    sc.util[:] = 0.0
    used_prb = 0.0
    for c in range(n_cells):
        for r in range(sc.act.shape[1]):
            if sc.act[c, r]:
                sc.util[c] += fr.rbg_first_prb[r + 1] - fr.rbg_first_prb[r]
        used_prb += sc.util[c]
        if meas:
            mac.cell_acc[d, c, 0] += sc.util[c]
            mac.cell_acc[d, c, 1] += n_prb
        sc.util[c] /= n_prb
    return used_prb / (n_prb * n_cells)


@jit
def _ul_interference(n_tx, fr, st, h, sc):
    """4. UL: transmit power per PRB of each transmission and the interference at each cell
    that receives in this slot (per RBG, without fast fading)."""
    ul = fr.ul
    sc.ul_i[:, :] = 0.0
    sc.ul_cells[:] = False
    for i in range(n_tx):
        sc.ul_cells[st.serving[sc.tx_ue[i]]] = True
    for i in range(n_tx):
        u = sc.tx_ue[i]
        p = sc.tx_proc[i]
        pl_db = -10.0 * math.log10(st.gain_lin[u, st.serving[u]])
        p_dbm = pusch_power_dbm(ul.p0_dbm, ul.alpha, pl_db, h.nprb[UL, u, p], ul.mu, ul.p_max_dbm)
        sc.ul_p_prb[u] = 10.0 ** (p_dbm / 10.0) / h.nprb[UL, u, p]
        for c in range(sc.ul_cells.size):
            if not sc.ul_cells[c] or c == st.serving[u]:
                continue
            g = sc.ul_p_prb[u] * st.gain_lin[u, c]
            for r in range(sc.ul_i.shape[1]):
                if h.rbg[UL, u, p, r]:
                    sc.ul_i[c, r] += g


@jit
def _tx_sinr(t, d, u, p, mean_util, fr, st, h, sc):
    """5. Per-PRB SINR of UE u's transmission (process p) with its fast fading; returns (EESM
    effective SINR, sum of the per-PRB SINRs, PRBs)."""
    c = st.serving[u]
    n_rbg = sc.i_rbg.size
    beta = fr.mcs_beta[h.mcs[d, u, p]]
    row = st.f_base[u] + (st.f_off[u] + t) % st.f_period[u]
    if d == DL:
        s_prb = st.rx_prb_mw[u, c]
        for r in range(n_rbg):
            if h.rbg[d, u, p, r]:
                acc_i = st.resid_prb_mw[u] * mean_util + fr.noise_prb_mw
                for kk in range(st.top_cell.shape[1]):
                    cc = st.top_cell[u, kk]
                    if cc != c and sc.act[cc, r]:
                        acc_i += st.rx_prb_mw[u, cc]
                sc.i_rbg[r] = acc_i
    else:
        s_prb = sc.ul_p_prb[u] * st.gain_lin[u, c] * fr.ul.rx_gain
        for r in range(n_rbg):
            if h.rbg[d, u, p, r]:
                sc.i_rbg[r] = sc.ul_i[c, r] + fr.ul.noise_prb_mw
    mx = -1e300
    sm = 0.0
    n_used = 0
    lin_sum = 0.0
    for r in range(n_rbg):
        if not h.rbg[d, u, p, r]:
            continue
        inv = s_prb / sc.i_rbg[r]
        for k in range(fr.rbg_first_prb[r], fr.rbg_first_prb[r + 1]):
            x = inv * st.bank[row, k]
            mx, sm = eesm_add(x, beta, mx, sm)
            lin_sum += x
            n_used += 1
    return eesm_value(beta, mx, sm, n_used), lin_sum, n_used


@jit
def _finish_tb(t, d, u, p, outcome, fr, q, h, sc):
    """HARQ outcome of a transmission: ACK delivers the TB's bits in order, the last NACK
    gives them back to the queues, otherwise a retransmission waits the RTT."""
    if outcome == HARQ_ACK or outcome == HARQ_DROP:
        for f in range(N_LCH):
            if h.part[d, u, p, f] > 0.0:
                if outcome == HARQ_ACK:
                    _deliver(q, N_LCH * d + f, u, h.part[d, u, p, f], (t + 1) * fr.slot_s)
                else:
                    give_back(q, N_LCH * d + f, u, h.part[d, u, p, f])
        h.act[d, u, p] = False
        sc.h_nact[d, u] -= 1
    else:
        h.ready[d, u, p] = t + fr.harq.rtt_slots


@jit
def _decode(t, d, i, meas, mean_util, fr, st, q, h, mac, sc):
    """5. SINR, EESM, chase combining and HARQ outcome of transmission i; OLLA; counters."""
    u = sc.tx_ue[i]
    p = sc.tx_proc[i]
    eff, lin_sum, n_used = _tx_sinr(t, d, u, p, mean_util, fr, st, h, sc)
    mcs_i = h.mcs[d, u, p]
    nprb_i = h.nprb[d, u, p]
    ns = h.nsymb[d, u, p]
    n_tx_i, acc_i, _, outcome = harq_step(
        h.ntx[d, u, p], h.acc[d, u, p], eff, fr.s10_db[d, ns, mcs_i, nprb_i], fr.scale_db[d, ns, mcs_i, nprb_i],
        fr.n_cb[d, ns, mcs_i, nprb_i], counter_uniform(fr.key, t, u, d), fr.harq.max_tx)
    h.ntx[d, u, p] = n_tx_i
    h.acc[d, u, p] = acc_i
    ack = outcome == HARQ_ACK
    first = n_tx_i == 1
    _finish_tb(t, d, u, p, outcome, fr, q, h, sc)
    mac.olla_db[d, u] = olla_after(mac.olla_db[d, u], first, ack, fr.harq)
    if meas:
        a = mac.acc
        if ack:
            a[d, u, ACC_BITS] += h.payload[d, u, p]
        a[d, u, ACC_TX] += 1.0
        a[d, u, ACC_PRB] += nprb_i
        if first:
            a[d, u, ACC_FIRST] += 1.0
            a[d, u, ACC_MCS] += mcs_i
            if not ack:
                a[d, u, ACC_FIRST_NACK] += 1.0
        if outcome == HARQ_DROP:
            a[d, u, ACC_DROPPED] += 1.0
        if d == UL:
            a[d, u, ACC_SINR_DB] += 10.0 * math.log10(lin_sum / n_used)
            a[d, u, ACC_SINR_N] += 1.0


@jit
def _scheduler_state(t, d, fr, mac, sc):
    """6. PF averages and last-served slots; DL: the cells' utilisation for the next CSI; UL:
    the gNB's average interference of the cells that received."""
    for u in range(sc.sched_bits.size):
        b = max(sc.sched_bits[u], 0.0)
        mac.pf_avg_bps[d, u] = pf_average(mac.pf_avg_bps[d, u], b, fr.slot_s, fr.sched.pf_forget)
        if b > 0.0:
            mac.last_served[d, u] = t
    if d == DL:
        for c in range(sc.util.size):
            mac.last_util[c] = sc.util[c]
        return
    n_rbg = sc.ul_i.shape[1]
    for c in range(sc.util.size):
        if not sc.ul_cells[c]:
            continue  # no UL reception measured in this cell this slot
        m_i = 0.0
        for r in range(n_rbg):
            m_i += sc.ul_i[c, r]
        mac.ul_i_avg_mw[c] = (1.0 - fr.ul.forget) * mac.ul_i_avg_mw[c] + fr.ul.forget * m_i / n_rbg


@jit
def _symbols(fr, d, k):
    """PDSCH/PUSCH symbols of direction d in pattern slot k (0: no transmission)."""
    if d == DL:
        n_symb = fr.pat_dl_symb[k]
        if n_symb <= 0 or fr.re_per_prb[DL, n_symb] <= 0:
            return 0
        return n_symb
    return 14 if fr.pat_ul[k] else 0


@jit
def _slot_direction(t, d, n_symb, meas, fr, st, q, h, mac, sc):
    """One slot of one direction: schedule every cell (retransmissions, then new TBs), then
    interference, decoding and the scheduler state."""
    n_re = fr.re_per_prb[d, n_symb]
    sc.act[:, :] = False
    sc.sched_bits[:] = 0.0
    n_tx = 0
    for c in range(sc.act.shape[0]):
        sc.free[:] = True
        n_tx, n_sched = _retransmissions(t, d, c, n_symb, n_tx, fr, st, h, sc)
        n_tx = _new_transmissions(t, d, c, n_symb, n_re, meas, n_tx, n_sched, fr, st, q, h, mac, sc)
        for r in range(sc.free.size):
            sc.act[c, r] = not sc.free[r]
    mean_util = _utilisation(d, meas, fr, mac, sc)
    if d == UL:
        _ul_interference(n_tx, fr, st, h, sc)
    for i in range(n_tx):
        _decode(t, d, i, meas, mean_util, fr, st, q, h, mac, sc)
    _scheduler_state(t, d, fr, mac, sc)


# --- CSI -------------------------------------------------------------------------------------
@jit
def _apply_csi_reports(t, fr, mac):
    """1. CSI reports measured ``cqi_delay`` slots ago reach the gNB."""
    src = t - fr.cqi_delay
    if src < 0:
        return
    ring = src % mac.csi_ring.shape[0]
    for u in range(mac.reported_db.shape[0]):
        if mac.csi_ok[ring, u]:
            mac.reported_db[u, :] = mac.csi_ring[ring, u, :]
            mac.csi_ok[ring, u] = False


@jit
def _csi_measure(t, meas, fr, st, mac):
    """7. CSI of the UEs due to report (interference of the last DL slot's load): subband CQI
    per RBG (:func:`nrsim.link.adaptation.subband_cqi`, the static slot engine's model) from
    the SINR of the RBG's middle PRB (``bank_rbg``: the fading of one PRB per subband, not all
    its PRBs, for speed); the counters take the mutual-information average of these SINRs."""
    n_cells = mac.last_util.size
    n_rbg = st.bank_rbg.shape[1]
    ring = t % mac.csi_ring.shape[0]
    one = np.empty(1)
    mean_last = 0.0
    for c in range(n_cells):
        mean_last += mac.last_util[c]
    mean_last /= n_cells
    for u in range(st.serving.size):
        if (t - u) % fr.cqi_period != 0 or not st.can_tx[u]:
            continue
        c = st.serving[u]
        i_mw = st.resid_prb_mw[u] * mean_last + fr.noise_prb_mw
        for kk in range(st.top_cell.shape[1]):
            cc = st.top_cell[u, kk]
            if cc != c:
                i_mw += st.rx_prb_mw[u, cc] * mac.last_util[cc]
        inv = st.rx_prb_mw[u, c] / i_mw
        row = st.f_base[u] + (st.f_off[u] + t) % st.f_period[u]
        mi = 0.0
        for r in range(n_rbg):
            one[0] = inv * st.bank_rbg[row, r]
            mi += math.log2(1.0 + one[0])
            mac.csi_ring[ring, u, r] = fr.cqi_sinr_db[subband_cqi(one, 1, fr.cqi_thr_lin, fr.cqi_beta)]
        eff_db = 10.0 * math.log10(2.0 ** (mi / n_rbg) - 1.0 + 1e-30)
        mac.csi_ok[ring, u] = True
        if meas:
            mac.acc[DL, u, ACC_SINR_DB] += eff_db
            mac.acc[DL, u, ACC_SINR_N] += 1.0


# --- the slot loop ---------------------------------------------------------------------------
@jit
def run_slot_range(t0, t1, fr, st, q, h, mac):
    """Slots t0 .. t1-1 of one mobility step, both directions, all UEs (module doc):
    ``fr`` :class:`Frame`, ``st`` :class:`Step`, ``q`` :class:`Queues`, ``h`` :class:`Harq`,
    ``mac`` :class:`Mac` (updated in place)."""
    sc = _scratch(st.serving.size, st.rx_prb_mw.shape[1], fr.rbg_first_prb.size - 1, h)
    period = fr.pat_dl_symb.size
    for t in range(t0, t1):
        meas = t >= fr.warmup
        _apply_csi_reports(t, fr, mac)
        _queue_arrivals(q, t * fr.slot_s, fr.ul.lag_s)
        k = t % period
        for d in range(2):
            n_symb = _symbols(fr, d, k)
            if n_symb > 0:
                _slot_direction(t, d, n_symb, meas, fr, st, q, h, mac, sc)
        _csi_measure(t, meas, fr, st, mac)
