"""Compiled slot loop of the mobile call engine (:mod:`nrsim.engine.calls`), numba, cached.

One call of :func:`run_slot_range` simulates the slots ``t0 .. t1-1`` of one mobility step
(serving cells, who may transmit and the large-scale channel are fixed within a step), both
link directions, for all UEs: packet arrivals and delay-budget discard, HARQ retransmissions,
the QoS-aware scheduler per cell, TBS, per-PRB SINR with fast fading, EESM, chase combining,
TB BLER, OLLA, in-order delivery and the periodic CSI report. With ``fss``
(``slots.scheduler.frequency_selective``) the CSI is per subband (one per RBG) and the DL
scheduler frequency-selective (each RBG to the best UE on it,
:func:`nrsim.scheduler.base.assign_rbgs_in_cell`); without it (the default) one wideband CQI
and RBGs in index order. The UL always fills RBGs in index order (no per-RBG UL channel
knowledge at the gNB).

Array conventions (direction axis first: 0 = DL, 1 = UL; then ``[..., ue, ...]``):

- ``rx_prb_mw`` float64 [ue, cell]: DL received power per PRB without fast fading [mW];
  ``gain_lin`` float64 [ue, cell]: coupling gain (UL: UE -> cell).
- ``top_cell`` int64 [ue, k]: the k strongest cells of each UE (serving cell among them or
  not); DL interference of these cells follows their per-RBG activity in the slot, the rest
  (``resid_prb_mw`` [ue], per PRB at full load) is scaled by the mean utilisation of all cells.
- ``bank`` float32 [row, prb]: fast-fading power gain (unit mean) of the UE's serving link;
  row(t) = ``f_base`` + (``f_off`` + t) mod ``f_period`` [ue] (the UL reads the same trace:
  TDD reciprocity); ``bank_rbg`` float32 [row, rbg] the same at the middle PRB of each RBG
  (a compact copy for the wideband SINR KPI of the CSI reports).
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
- CSI: ``csi_ring`` [ring, ue, rbg] measured subband reports (SINR of the CQI [dB]; wideband:
  column 0), ``reported_db`` [ue, rbg] the gNB's (wideband: all columns equal); ``last_act`` [cell, rbg] the last DL slot's activity.
- Counters ``acc`` [dir, ue, ACC_*] over slots >= ``warmup``; ``cell_acc`` [dir, cell, 2]:
  PRBs used, PRBs available.

Models: docs/video.md (mobile calls). Random outcomes (HARQ decoding) come from SplitMix64
counters keyed by (run key, slot, UE, direction), so they do not depend on call order.
"""

from __future__ import annotations

import math

import numpy as np

from nrsim.compiled import jit
from nrsim.link.adaptation import (
    HARQ_ACK,
    HARQ_DROP,
    cqi_thresholds_met,
    eesm_add,
    eesm_value,
    harq_step,
    mcs_for_sinr,
    olla_after,
)
from nrsim.radio.uplink import pusch_power_core as pusch_power_dbm  # TS 38.213 7.1.1
from nrsim.rng import counter_uniform_core
from nrsim.scheduler.base import assign_rbgs_in_cell
from nrsim.scheduler.metric import SCHED_QOS, SCHED_QOS_EDF, pf_average, policy_metric


DL, UL = 0, 1
ACC_BITS, ACC_FIRST, ACC_FIRST_NACK, ACC_TX, ACC_NEW, ACC_SINR_DB, ACC_SINR_N, ACC_PRB, ACC_DROPPED, ACC_MCS = range(10)
N_ACC = 10
NO_PRIORITY = 1 << 30
N_LCH = 2
"""Queues (logical channels) per UE and direction: 0 voice (5QI 1), 1 video and best effort;
queue index = N_LCH x direction + channel."""
TOL_BITS = 1e-6

@jit
def counter_uniform(key: np.uint64, t: int, u: int, d: int) -> float:
    """Uniform [0, 1) of (key, slot t, UE u, direction d): the one counter-based generator
    :func:`nrsim.rng.counter_uniform_core` with counters (u, t, d)."""
    return counter_uniform_core(key, u, t, d)


# --- packet queues ---------------------------------------------------------------------------
@jit
def _head_forward(qi, u, q_head, q_arr, q_taken, pk_cum):
    while q_head[qi, u] < q_arr[qi, u] and pk_cum[q_head[qi, u]] <= q_taken[qi, u] + TOL_BITS:
        q_head[qi, u] += 1


@jit
def advance_queue(qi, u, t_s, q_first, q_end, q_arr, q_head, q_arrived, q_taken, q_discarded, q_floor,
                  pk_t, pk_deadline, pk_cum, pk_disc, lag_s):
    """Queue ``qi``, UE ``u``: packets with arrival <= t_s - lag_s join the buffer (``lag_s``:
    the UL scheduling-request delay, 0 in the DL); head-of-line packets with deadline <= t_s
    lose their untaken part (PDCP discard)."""
    while q_arr[qi, u] < q_end[qi, u] and pk_t[q_arr[qi, u]] <= t_s - lag_s:
        q_arrived[qi, u] = pk_cum[q_arr[qi, u]]
        q_arr[qi, u] += 1
    while True:
        _head_forward(qi, u, q_head, q_arr, q_taken, pk_cum)
        h = q_head[qi, u]
        if h >= q_arr[qi, u] or pk_deadline[h] > t_s:
            break
        q_discarded[qi, u] += pk_cum[h] - q_taken[qi, u]
        pk_disc[h] = True
        q_taken[qi, u] = pk_cum[h]
        q_floor[qi, u] = pk_cum[h]


@jit
def give_back(qi, u, bits, q_first, q_head, q_taken, q_discarded, q_floor, pk_cum):
    """Bits of a dropped (or forwarded) TB go back to the buffer, except those of packets
    discarded since (counted as discarded)."""
    new = q_taken[qi, u] - bits
    lost = q_floor[qi, u] - new
    if lost > 0.0:
        q_discarded[qi, u] += lost
    q_taken[qi, u] = max(new, q_floor[qi, u])
    while q_head[qi, u] > q_first[qi, u] and pk_cum[q_head[qi, u] - 1] > q_taken[qi, u] + TOL_BITS:
        q_head[qi, u] -= 1


@jit
def _deliver(qi, u, bits, t_end_s, q_end, q_ndone, q_delivered, q_discarded, pk_cum, pk_done):
    q_delivered[qi, u] += bits
    pos = q_delivered[qi, u] + q_discarded[qi, u]
    while q_ndone[qi, u] < q_end[qi, u] and pk_cum[q_ndone[qi, u]] <= pos + TOL_BITS:
        k = q_ndone[qi, u]
        if math.isnan(pk_done[k]):
            pk_done[k] = t_end_s
        q_ndone[qi, u] += 1


@jit
def flush_harq(ues, h_act, h_part, q_first, q_head, q_taken, q_discarded, q_floor, pk_cum):
    """Handover or re-establishment of ``ues``: their HARQ processes (both directions) are
    reset and the untransmitted/unacknowledged bits go back to their queues (data forwarding
    to the target cell, TS 38.300 9.2.3.2)."""
    for i in range(ues.size):
        u = ues[i]
        for d in range(2):
            for p in range(h_act.shape[2]):
                if h_act[d, u, p]:
                    h_act[d, u, p] = False
                    for f in range(N_LCH):
                        if h_part[d, u, p, f] > 0.0:
                            give_back(N_LCH * d + f, u, h_part[d, u, p, f], q_first, q_head, q_taken, q_discarded,
                                      q_floor, pk_cum)


@jit
def _queued(d, u, q_arrived, q_taken):
    """Bits waiting in all logical channels of UE u in direction d."""
    out = 0.0
    for f in range(N_LCH):
        out += max(q_arrived[N_LCH * d + f, u] - q_taken[N_LCH * d + f, u], 0.0)
    return out


# --- link abstraction ------------------------------------------------------------------------
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
def _start_tb(d, u, p, m, got, n_symb, tbs, queued, q_arrived, q_taken, q_head, q_arr, pk_cum, h_act, h_nact,
              h_ready, h_ntx, h_mcs, h_nprb, h_nsymb, h_payload, h_part, h_acc, sched_bits):
    """A new TB of UE u in HARQ process p: payload min(TBS, queued) taken from the logical
    channels, voice first (logical channel prioritisation); returns the payload [bit]."""
    payload = min(tbs, queued)
    rem = payload
    for f in range(N_LCH):
        qq = N_LCH * d + f
        part = min(rem, max(q_arrived[qq, u] - q_taken[qq, u], 0.0))
        q_taken[qq, u] += part
        _head_forward(qq, u, q_head, q_arr, q_taken, pk_cum)
        h_part[d, u, p, f] = part
        rem -= part
    h_act[d, u, p] = True
    h_nact[d, u] += 1
    h_ready[d, u, p] = 0
    h_ntx[d, u, p] = 0
    h_mcs[d, u, p] = m
    h_nprb[d, u, p] = got
    h_nsymb[d, u, p] = n_symb
    h_payload[d, u, p] = payload
    h_acc[d, u, p] = 0.0
    sched_bits[u] = payload
    return payload


# --- the slot loop ---------------------------------------------------------------------------
@jit
def run_slot_range(
    t0, t1, slot_s, warmup, key,
    pat_dl_symb, pat_ul, re_per_prb,
    serving, can_tx, cell_ue_start, cell_ue,
    rx_prb_mw, gain_lin, top_cell, resid_prb_mw, noise_prb_mw,
    bank, bank_rbg, f_base, f_off, f_period, rbg_first_prb,
    tbs_tab, ncb_tab, s10_tab, scale_tab, mcs_thr_db, mcs_se, mcs_beta, cqi_thr_db, cqi_thr_lin, cqi_sinr_db,
    ul_p0_dbm, ul_alpha, ul_pmax_dbm, mu, ul_noise_prb_mw, ul_i_avg_mw, ul_forget, ul_rx_gain, ul_lag_s,
    sched, fss, max_ues, harq,
    cqi_period, cqi_delay, csi_ring, csi_ok, reported_db, last_util, last_act,
    q_first, q_end, q_arr, q_head, q_ndone, q_arrived, q_taken, q_delivered, q_discarded, q_floor,
    pk_t, pk_deadline, pk_cum, pk_prio, pk_done, pk_disc,
    h_act, h_ready, h_ntx, h_mcs, h_nprb, h_nsymb, h_payload, h_part, h_acc, h_rbg,
    olla_db, pf_avg_bps, last_served, acc, cell_acc,
):
    n_ue = serving.size
    n_cells = rx_prb_mw.shape[1]
    n_rbg = rbg_first_prb.size - 1
    n_prb = rbg_first_prb[n_rbg]
    n_proc = h_act.shape[2]
    k_top = top_cell.shape[1]
    period = pat_dl_symb.size
    act = np.zeros((n_cells, n_rbg), dtype=np.bool_)
    free = np.empty(n_rbg, dtype=np.bool_)
    i_rbg = np.empty(n_rbg)
    tx_ue = np.empty(n_ue, dtype=np.int64)
    tx_proc = np.empty(n_ue, dtype=np.int64)
    sched_bits = np.zeros(n_ue)
    cand = np.empty(n_ue, dtype=np.int64)
    cand_mcs = np.empty(n_ue, dtype=np.int64)
    metric = np.empty(n_ue)
    prio = np.empty(n_ue)
    ddl = np.empty(n_ue)
    ul_i = np.zeros((n_cells, n_rbg))
    ul_p_prb = np.zeros(n_ue)
    ul_cells = np.zeros(n_cells, dtype=np.bool_)
    util = np.zeros(n_cells)
    order = np.empty(n_ue, dtype=np.int64)
    c_metric = np.empty((n_ue, n_rbg))  # DL candidates: scheduler metric and bits per RBG
    c_bits = np.empty((n_ue, n_rbg))
    c_rem = np.empty(n_ue)
    c_got = np.empty(n_ue, dtype=np.int64)
    owner = np.empty(n_rbg, dtype=np.int64)
    dl_bits = np.empty((n_ue, n_rbg))  # DL bits per RBG at the reported CQI minus OLLA (cached)
    dl_se = np.empty(n_ue)  # their mean spectral efficiency [bit/RE]
    dl_stale = np.ones(n_ue, dtype=np.bool_)  # recompute after a report or an OLLA change
    last_act_f = np.empty((n_cells, n_rbg))  # last_act as 0/1 (a branch-free CSI loop)
    for c in range(n_cells):
        for r in range(n_rbg):
            last_act_f[c, r] = 1.0 if last_act[c, r] else 0.0
    rbg_n_prb = np.empty(n_rbg, dtype=np.int64)
    for r in range(n_rbg):
        rbg_n_prb[r] = rbg_first_prb[r + 1] - rbg_first_prb[r]
    h_nact = np.zeros((2, n_ue), dtype=np.int64)  # active processes per direction and UE
    for d in range(2):
        for u in range(n_ue):
            for p in range(n_proc):
                if h_act[d, u, p]:
                    h_nact[d, u] += 1
    for t in range(t0, t1):
        meas = t >= warmup
        t_s = t * slot_s
        # 1. CSI reports measured cqi_delay slots ago reach the gNB
        src = t - cqi_delay
        if src >= 0:
            ring = src % csi_ring.shape[0]
            for u in range(n_ue):
                if csi_ok[ring, u]:
                    for r in range(n_rbg):  # wideband (not fss): one report, in column 0
                        reported_db[u, r] = csi_ring[ring, u, r if fss else 0]
                    dl_stale[u] = True
                    csi_ok[ring, u] = False
        # 2. packet arrivals and discard, both directions
        for qq in range(2 * N_LCH):
            lag = ul_lag_s if qq >= N_LCH else 0.0
            for u in range(n_ue):
                a = q_arr[qq, u]
                h = q_head[qq, u]
                if (a >= q_end[qq, u] or pk_t[a] > t_s - lag) and (h >= a or pk_deadline[h] > t_s):
                    continue  # nothing arrives or expires
                advance_queue(qq, u, t_s, q_first, q_end, q_arr, q_head, q_arrived, q_taken, q_discarded,
                              q_floor, pk_t, pk_deadline, pk_cum, pk_disc, lag)
        k = t % period
        for d in range(2):
            if d == DL:
                n_symb = pat_dl_symb[k]
                if n_symb <= 0 or re_per_prb[DL, n_symb] <= 0:
                    continue
            else:
                if not pat_ul[k]:
                    continue
                n_symb = 14
            n_re = re_per_prb[d, n_symb]
            act[:, :] = False
            n_tx = 0
            sched_bits[:] = 0.0
            for c in range(n_cells):
                free[:] = True
                n_sched = 0
                # 3a. retransmissions (earliest ready process of each UE) on their own RBGs
                for j in range(cell_ue_start[c], cell_ue_start[c + 1]):
                    u = cell_ue[j]
                    if not can_tx[u]:
                        continue
                    if h_nact[d, u] == 0:
                        continue
                    best = -1
                    for p in range(n_proc):
                        if h_act[d, u, p] and h_ready[d, u, p] <= t and h_nsymb[d, u, p] <= n_symb:
                            if best < 0 or h_ready[d, u, p] < h_ready[d, u, best]:
                                best = p
                    if best < 0 or n_sched >= max_ues[d]:
                        continue
                    ok = True
                    for r in range(n_rbg):
                        if h_rbg[d, u, best, r] and not free[r]:
                            ok = False
                    if not ok:
                        continue
                    for r in range(n_rbg):
                        if h_rbg[d, u, best, r]:
                            free[r] = False
                    tx_ue[n_tx] = u
                    tx_proc[n_tx] = best
                    n_tx += 1
                    n_sched += 1
                    sched_bits[u] = -1.0  # retransmitting: no new TB this slot
                # 3b. new transmissions: candidates with queued bits and a free process
                n_c = 0
                for j in range(cell_ue_start[c], cell_ue_start[c + 1]):
                    u = cell_ue[j]
                    if not can_tx[u] or sched_bits[u] < 0.0:
                        continue
                    queued = _queued(d, u, q_arrived, q_taken)
                    if queued <= TOL_BITS:
                        continue
                    if h_nact[d, u] >= n_proc:
                        continue
                    waited = float(t - last_served[d, u])
                    if d == DL and fss:  # rate and metric per RBG from the subband CSI (frequency-selective)
                        if dl_stale[u]:
                            se_sum = 0.0
                            for r in range(n_rbg):
                                se_r = mcs_se[mcs_for_sinr(mcs_thr_db, reported_db[u, r] - olla_db[DL, u])]
                                dl_bits[u, r] = se_r * rbg_n_prb[r]  # per RE of a PRB
                                se_sum += se_r
                            dl_se[u] = se_sum / n_rbg
                            dl_stale[u] = False
                        for r in range(n_rbg):
                            b_r = dl_bits[u, r] * n_re
                            c_bits[n_c, r] = b_r
                            c_metric[n_c, r] = policy_metric(sched, b_r / slot_s, pf_avg_bps[d, u], waited)
                        c_rem[n_c] = queued + dl_se[u] * n_re  # one PRB of margin, as in the UL
                    else:  # wideband: the reported CQI's SINR (DL) or one PRB's power-controlled SINR (UL)
                        if d == DL:
                            est = reported_db[u, 0] - olla_db[DL, u]
                        else:  # one PRB: not power-limited
                            est = _ul_estimate_db(u, c, 1, olla_db, gain_lin, ul_p0_dbm, ul_alpha, ul_pmax_dbm, mu,
                                                  ul_i_avg_mw, ul_noise_prb_mw, ul_rx_gain)
                        m = mcs_for_sinr(mcs_thr_db, est)
                        rate = mcs_se[m] * n_re * n_prb / slot_s
                        metric[n_c] = policy_metric(sched, rate, pf_avg_bps[d, u], waited)
                        cand_mcs[n_c] = m
                    prio[n_c] = 0.0
                    ddl[n_c] = 0.0
                    if sched.kind == SCHED_QOS or sched.kind == SCHED_QOS_EDF:  # the highest-priority non-empty channel's head
                        for f in range(N_LCH):
                            qq = N_LCH * d + f
                            h = q_head[qq, u]
                            if h < q_arr[qq, u]:
                                prio[n_c] = pk_prio[h]
                                if sched.kind == SCHED_QOS_EDF:
                                    ddl[n_c] = pk_deadline[h]
                                break
                    cand[n_c] = u
                    n_c += 1
                n_free = 0
                for r in range(n_rbg):
                    if free[r]:
                        n_free += 1
                if d == DL and fss and n_c > 0 and n_free > 0:
                    # each free RBG to the best candidate on it (QoS rank, then the policy metric)
                    n_sched = assign_rbgs_in_cell(n_c, free, c_metric, c_bits, c_rem, prio, ddl, cand, max_ues[d],
                                                  n_sched, c_got, owner)
                    for i in range(n_c):
                        if c_got[i] == 0:
                            continue
                        u = cand[i]
                        p = 0
                        while h_act[d, u, p]:
                            p += 1
                        got = 0
                        est = 0.0
                        for r in range(n_rbg):
                            mine = free[r] and owner[r] == i
                            h_rbg[d, u, p, r] = mine
                            if mine:
                                got += rbg_n_prb[r]
                                est += rbg_n_prb[r] * (reported_db[u, r] - olla_db[DL, u])
                        m = mcs_for_sinr(mcs_thr_db, est / got)  # TB MCS: PRB-weighted mean estimate [dB]
                        tbs = tbs_tab[d, n_symb, m, got]
                        if tbs <= 0:
                            continue
                        for r in range(n_rbg):
                            if h_rbg[d, u, p, r]:
                                free[r] = False
                        _start_tb(d, u, p, m, got, n_symb, float(tbs), _queued(d, u, q_arrived, q_taken), q_arrived,
                                  q_taken, q_head, q_arr, pk_cum, h_act, h_nact, h_ready, h_ntx, h_mcs, h_nprb,
                                  h_nsymb, h_payload, h_part, h_acc, sched_bits)
                        tx_ue[n_tx] = u
                        tx_proc[n_tx] = p
                        n_tx += 1
                        if meas:
                            acc[d, u, ACC_NEW] += 1.0
                elif n_c > 0 and n_free > 0:  # wideband (UL: no per-RBG channel knowledge): RBGs in index order
                    _sort_candidates(order, n_c, prio, ddl, metric, cand)
                    for oi in range(n_c):
                        if n_sched >= max_ues[d]:
                            break
                        if n_free == 0:
                            break
                        u = cand[order[oi]]
                        queued = _queued(d, u, q_arrived, q_taken)
                        m = cand_mcs[order[oi]]
                        bits_prb = max(mcs_se[m] * n_re, 1.0)
                        need_prb = int(math.ceil(queued / bits_prb)) + 1
                        if d == UL:  # a power-limited UE gets no more PRBs than keep MCS 0 decodable
                            g = gain_lin[u, c]
                            gmin = 10.0 ** ((mcs_thr_db[0] + olla_db[UL, u]) / 10.0)
                            m_cap = 10.0 ** (ul_pmax_dbm / 10.0) * g * ul_rx_gain / (gmin * (ul_i_avg_mw[c] + ul_noise_prb_mw))
                            need_prb = max(min(need_prb, int(m_cap)), 1)
                        p = 0
                        while h_act[d, u, p]:
                            p += 1
                        got = 0
                        for r in range(n_rbg):
                            h_rbg[d, u, p, r] = False
                        for r in range(n_rbg):
                            if got >= need_prb:
                                break
                            if free[r]:
                                free[r] = False
                                n_free -= 1
                                h_rbg[d, u, p, r] = True
                                got += rbg_n_prb[r]
                        if d == UL:  # power-limited UEs: MCS for the power spread over the allocation
                            est = _ul_estimate_db(u, c, got, olla_db, gain_lin, ul_p0_dbm, ul_alpha,
                                                  ul_pmax_dbm, mu, ul_i_avg_mw, ul_noise_prb_mw, ul_rx_gain)
                            m = mcs_for_sinr(mcs_thr_db, est)
                        tbs = tbs_tab[d, n_symb, m, got]
                        if tbs <= 0:
                            for r in range(n_rbg):
                                if h_rbg[d, u, p, r]:
                                    free[r] = True
                                    n_free += 1
                            continue
                        _start_tb(d, u, p, m, got, n_symb, float(tbs), queued, q_arrived, q_taken, q_head, q_arr,
                                  pk_cum, h_act, h_nact, h_ready, h_ntx, h_mcs, h_nprb, h_nsymb, h_payload, h_part,
                                  h_acc, sched_bits)
                        tx_ue[n_tx] = u
                        tx_proc[n_tx] = p
                        n_tx += 1
                        n_sched += 1
                        if meas:
                            acc[d, u, ACC_NEW] += 1.0
                for r in range(n_rbg):
                    act[c, r] = not free[r]
            # 4. activity -> utilisation; UL interference at each receiving cell
            util[:] = 0.0
            used_prb = 0.0
            for c in range(n_cells):
                for r in range(n_rbg):
                    if act[c, r]:
                        util[c] += rbg_first_prb[r + 1] - rbg_first_prb[r]
                used_prb += util[c]
                if meas:
                    cell_acc[d, c, 0] += util[c]
                    cell_acc[d, c, 1] += n_prb
                util[c] /= n_prb
            mean_util = used_prb / (n_prb * n_cells)
            if d == UL:
                ul_i[:, :] = 0.0
                ul_cells[:] = False
                for i in range(n_tx):
                    ul_cells[serving[tx_ue[i]]] = True
                for i in range(n_tx):
                    u = tx_ue[i]
                    p = tx_proc[i]
                    pl_db = -10.0 * math.log10(gain_lin[u, serving[u]])
                    p_dbm = pusch_power_dbm(ul_p0_dbm, ul_alpha, pl_db, h_nprb[d, u, p], mu, ul_pmax_dbm)
                    ul_p_prb[u] = 10.0 ** (p_dbm / 10.0) / h_nprb[d, u, p]
                    for c in range(n_cells):
                        if not ul_cells[c] or c == serving[u]:
                            continue
                        g = ul_p_prb[u] * gain_lin[u, c]
                        for r in range(n_rbg):
                            if h_rbg[d, u, p, r]:
                                ul_i[c, r] += g
            # 5. SINR per PRB of each transmission, EESM, chase combining, HARQ outcome
            for i in range(n_tx):
                u = tx_ue[i]
                p = tx_proc[i]
                c = serving[u]
                beta = mcs_beta[h_mcs[d, u, p]]
                row = f_base[u] + (f_off[u] + t) % f_period[u]
                if d == DL:
                    s_prb = rx_prb_mw[u, c]
                    for r in range(n_rbg):
                        if h_rbg[d, u, p, r]:
                            acc_i = resid_prb_mw[u] * mean_util + noise_prb_mw
                            for kk in range(k_top):
                                cc = top_cell[u, kk]
                                if cc != c and act[cc, r]:
                                    acc_i += rx_prb_mw[u, cc]
                            i_rbg[r] = acc_i
                else:
                    s_prb = ul_p_prb[u] * gain_lin[u, c] * ul_rx_gain
                    for r in range(n_rbg):
                        if h_rbg[d, u, p, r]:
                            i_rbg[r] = ul_i[c, r] + ul_noise_prb_mw
                mx = -1e300
                sm = 0.0
                n_used = 0
                lin_sum = 0.0
                for r in range(n_rbg):
                    if not h_rbg[d, u, p, r]:
                        continue
                    inv = s_prb / i_rbg[r]
                    for q in range(rbg_first_prb[r], rbg_first_prb[r + 1]):
                        x = inv * bank[row, q]
                        mx, sm = eesm_add(x, beta, mx, sm)
                        lin_sum += x
                        n_used += 1
                eff = eesm_value(beta, mx, sm, n_used)
                mcs_i = h_mcs[d, u, p]
                nprb_i = h_nprb[d, u, p]
                ns = h_nsymb[d, u, p]
                n_tx_i, acc_i, _, outcome = harq_step(
                    h_ntx[d, u, p], h_acc[d, u, p], eff, s10_tab[d, ns, mcs_i, nprb_i], scale_tab[d, ns, mcs_i, nprb_i],
                    ncb_tab[d, ns, mcs_i, nprb_i], counter_uniform(key, t, u, d), harq.max_tx)
                h_ntx[d, u, p] = n_tx_i
                h_acc[d, u, p] = acc_i
                ack = outcome == HARQ_ACK
                first = n_tx_i == 1
                dropped = outcome == HARQ_DROP
                if ack:
                    for f in range(N_LCH):
                        if h_part[d, u, p, f] > 0.0:
                            _deliver(N_LCH * d + f, u, h_part[d, u, p, f], (t + 1) * slot_s, q_end, q_ndone,
                                     q_delivered, q_discarded, pk_cum, pk_done)
                    h_act[d, u, p] = False
                    h_nact[d, u] -= 1
                elif dropped:
                    for f in range(N_LCH):
                        if h_part[d, u, p, f] > 0.0:
                            give_back(N_LCH * d + f, u, h_part[d, u, p, f], q_first, q_head, q_taken, q_discarded,
                                      q_floor, pk_cum)
                    h_act[d, u, p] = False
                    h_nact[d, u] -= 1
                else:
                    h_ready[d, u, p] = t + harq.rtt_slots
                olla_db[d, u] = olla_after(olla_db[d, u], first, ack, harq)
                if d == DL and first:
                    dl_stale[u] = True
                if meas:
                    if ack:
                        acc[d, u, ACC_BITS] += h_payload[d, u, p]
                    acc[d, u, ACC_TX] += 1.0
                    acc[d, u, ACC_PRB] += nprb_i
                    if first:
                        acc[d, u, ACC_FIRST] += 1.0
                        acc[d, u, ACC_MCS] += mcs_i
                        if not ack:
                            acc[d, u, ACC_FIRST_NACK] += 1.0
                    if dropped:
                        acc[d, u, ACC_DROPPED] += 1.0
                    if d == UL:
                        acc[d, u, ACC_SINR_DB] += 10.0 * math.log10(lin_sum / n_used)
                        acc[d, u, ACC_SINR_N] += 1.0
            # 6. scheduler state
            for u in range(n_ue):
                b = max(sched_bits[u], 0.0)
                pf_avg_bps[d, u] = pf_average(pf_avg_bps[d, u], b, slot_s, sched.pf_forget)
                if b > 0.0:
                    last_served[d, u] = t
            if d == DL:
                for c in range(n_cells):
                    last_util[c] = util[c]
                    if not fss:
                        continue
                    for r in range(n_rbg):
                        last_act[c, r] = act[c, r]
                        last_act_f[c, r] = 1.0 if act[c, r] else 0.0
            else:
                for c in range(n_cells):
                    if not ul_cells[c]:
                        continue  # no UL reception measured in this cell this slot
                    m_i = 0.0
                    for r in range(n_rbg):
                        m_i += ul_i[c, r]
                    ul_i_avg_mw[c] = (1.0 - ul_forget) * ul_i_avg_mw[c] + ul_forget * m_i / n_rbg
        # 7. CSI of the UEs due to report: subband (fss; interference of the last DL slot's activity
        # per RBG) or wideband (not fss; the last DL slot's load per cell)
        ring = t % csi_ring.shape[0]
        mean_last = 0.0
        for c in range(n_cells):
            mean_last += last_util[c]
        mean_last /= n_cells
        for u in range(n_ue):
            if (t - u) % cqi_period != 0 or not can_tx[u]:
                continue
            c = serving[u]
            if not fss:  # one wideband CQI: interference of the last DL slot's load per cell
                i_mw = resid_prb_mw[u] * mean_last + noise_prb_mw
                for kk in range(k_top):
                    cc = top_cell[u, kk]
                    if cc != c:
                        i_mw += rx_prb_mw[u, cc] * last_util[cc]
                inv = rx_prb_mw[u, c] / i_mw
                row = f_base[u] + (f_off[u] + t) % f_period[u]
                # mutual-information average over one PRB per RBG (``bank_rbg``) -> effective SINR
                mi = 0.0
                for r in range(n_rbg):
                    mi += math.log2(1.0 + inv * bank_rbg[row, r])
                eff_db = 10.0 * math.log10(2.0 ** (mi / n_rbg) - 1.0 + 1e-30)
                cq = np.searchsorted(cqi_thr_db, eff_db, side="right")  # CQI 0..15
                csi_ring[ring, u, 0] = cqi_sinr_db[cq]
                csi_ok[ring, u] = True
                if meas:
                    acc[DL, u, ACC_SINR_DB] += eff_db
                    acc[DL, u, ACC_SINR_N] += 1.0
                continue
            i_base = resid_prb_mw[u] * mean_last + noise_prb_mw
            s_mw = rx_prb_mw[u, c]
            row = f_base[u] + (f_off[u] + t) % f_period[u]
            for r in range(n_rbg):
                i_rbg[r] = i_base
            for kk in range(k_top):
                cc = top_cell[u, kk]
                if cc != c:
                    g = rx_prb_mw[u, cc]
                    for r in range(n_rbg):
                        i_rbg[r] += g * last_act_f[cc, r]
            mi = 0.0
            for r in range(n_rbg):
                i_mw = i_rbg[r]
                # one subband per RBG, measured on its middle PRB (``bank_rbg``; the EESM over all
                # its PRBs, ``subband_cqi``, made the slot loop 3x slower: docs/video.md)
                x = s_mw / i_mw * bank_rbg[row, r]
                csi_ring[ring, u, r] = cqi_sinr_db[cqi_thresholds_met(cqi_thr_lin, x)]
                mi += math.log2(1.0 + x)
            csi_ok[ring, u] = True
            if meas:  # wideband SINR KPI: mutual-information average over the subbands
                acc[DL, u, ACC_SINR_DB] += 10.0 * math.log10(2.0 ** (mi / n_rbg) - 1.0 + 1e-30)
                acc[DL, u, ACC_SINR_N] += 1.0


@jit
def _ul_estimate_db(u, c, m_prb, olla_db, gain_lin, p0_dbm, alpha, pmax_dbm, mu, i_avg_mw, noise_prb_mw, rx_gain):
    """gNB estimate of the UL SINR per PRB of UE u on m_prb PRBs: power control, path loss,
    receive combining gain and the cell's average interference, minus the OLLA offset [dB]."""
    g = gain_lin[u, c]
    pl_db = -10.0 * math.log10(g)
    p_dbm = pusch_power_dbm(p0_dbm, alpha, pl_db, max(m_prb, 1), mu, pmax_dbm)
    p_prb_mw = 10.0 ** (p_dbm / 10.0) / max(m_prb, 1)
    return 10.0 * math.log10(p_prb_mw * g * rx_gain / (i_avg_mw[c] + noise_prb_mw)) - olla_db[UL, u]

