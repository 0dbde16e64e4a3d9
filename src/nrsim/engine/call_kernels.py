"""The compiled slot core of the mobile call engine (:mod:`nrsim.engine.calls`): small named
pieces over NumPy record arrays, driven slot by slot by :func:`run_slot_range`.

One call of :func:`run_slot_range` simulates the slots ``t0 .. t1-1`` of one mobility step
(serving cells, who may transmit and the large-scale channel are fixed within a step), both
link directions, for all UEs. Per slot the driver only sequences the pieces; each concept
lives in its leaf package:

1. deliver the CSI reports due (:func:`nrsim.link.csi.deliver_reports`);
2. advance the packet queues: arrivals and delay-budget discard
   (:func:`nrsim.traffic.queue.advance_queues`);
3. per direction (0 = DL, 1 = UL), per cell (:func:`schedule_cell`):
   retransmissions on their own RBGs (:func:`retransmissions`), candidates with their rate,
   scheduler metric and QoS rank (:func:`collect_candidates`; metric
   :func:`nrsim.scheduler.metric.policy_metric`, MCS :func:`nrsim.link.adaptation.mcs_for_sinr`,
   UL estimate :func:`nrsim.radio.uplink.ul_sinr_estimate_db`), then either
   frequency-selective RBG assignment (:func:`assign_subbands`, DL with
   ``slots.scheduler.frequency_selective``; :func:`nrsim.scheduler.base.assign_rbgs_in_cell`)
   or RBGs in index order by rank (:func:`assign_in_order`; :func:`nrsim.scheduler.cell.next_in_rank`),
   starting TBs (:func:`nrsim.link.harq.start_tb`);
4. activity and utilisation per cell (:func:`cell_activity`); UL interference at each
   receiving cell (:func:`ul_interference`);
5. per transmission (:func:`transmit_slot`): per-PRB SINR with fast
   fading, EESM, chase combining and TB decoding (:func:`nrsim.link.harq.decode_tb`), OLLA,
   in-order delivery or give-back (:func:`tx_outcome`);
6. scheduler state: PF averages, last-served slots, the DL activity the next CSI sees and the
   UL interference average (:func:`scheduler_state`);
7. measure the CSI of the UEs due to report (:func:`measure_csi`;
   :mod:`nrsim.link.csi`).

The slot is grouped as :func:`open_slot` (1-2), per direction :func:`open_direction`, the
scheduling (3; :func:`schedule_slot` for the built-in policies), :func:`close_direction`
(4-6), and :func:`close_slot` (7). :func:`run_slot_range` runs them for a whole step in one
compiled call; a run with a scheduler plugin (:mod:`nrsim.scheduler.plugin`) calls the same
pieces slot by slot from Python (``nrsim.engine.calls._Drop._plugin_slot_range``) with
:func:`plugin_input`, the plugin's allocation and :func:`start_allocated` as step 3. Both
paths start a TB on given RBGs with :func:`start_on_rbgs`.

State (record dtypes below; every random draw is a counter-based uniform keyed by (run key,
slot, UE, direction), and a cell's pieces touch only its own UEs' state, so results do not
depend on the order in which cells are processed; the cell loops are serial today: a
``prange`` over cells measured slower on a loaded 2-core machine (issue 12 note)):

- ``P`` :data:`PARAM_DTYPE` (one record): run constants (slot length, warm-up, key, UL power
  control, noise per PRB, CSI period and delay, UE limits per slot).
- ``UE`` :data:`UE_DTYPE` [ue]: serving cell, may-transmit flag, residual DL interference per
  PRB at full load beyond the k strongest cells [mW], fading trace (row(t) = ``f_base`` +
  (``f_off`` + t) mod ``f_period``), the DL rate cache, the step's one-PRB UL signal
  (``ul_sig1_mw``, :func:`ul_step_signal`), the serving link's DL power per PRB
  (``serv_rx_prb_mw``, :func:`step_serving_rx`) and the wideband DL MCS of the last estimate
  (``dl_est_db``, ``dl_mcs1``); and slot scratch indexed by
  *position* j in the cells' UE order (``pos_ue`` [j], cells' ranges ``CELL.ue_start`` ..
  ``ue_end``): candidates, their metric, QoS rank and remaining bits, the transmissions.
- ``UD`` :data:`UE_DIR_DTYPE` [dir, ue]: OLLA offset [dB], PF average [bit/s], last slot
  served, active HARQ processes, bits given this slot (-1: retransmitting).
- ``UR`` :data:`UE_RBG_DTYPE` [ue, rbg]: the gNB's CSI (SINR of the reported CQI [dB]), DL
  bits per RE of each RBG at that CQI minus OLLA (cache), candidate scratch per position.
- ``CELL`` :data:`CELL_DTYPE` [cell]; ``CR`` :data:`CELL_RBG_DTYPE` [cell, rbg]: RBG
  activity of this slot and of the last DL slot, UL interference [mW], scratch.
- ``LINK`` :data:`LINK_DTYPE` [ue, L]: the L = 1 + K links each UE models (the compact
  ``[ue, k]`` link form; no ``[ue, cell]`` array in the core): slot :data:`SERVING_LINK` = 0 the
  serving cell, then its K strongest other cells (K = ``slots.n_interferers``, fewer when the
  UE has fewer candidate cells), each with its cell, DL received power per PRB without fast
  fading [mW] and coupling gain (UL: UE -> cell); set per step by
  ``nrsim.engine.calls._Drop.links``. ``top_cell`` int64 [ue, k] the k strongest cells of
  each UE (their per-RBG activity interferes in the DL, the rest at the mean utilisation) and
  ``top_rx_mw`` float64 [ue, k] their ``LINK.rx_prb_mw`` (compact: one UE's in one cache line
  or two, not k scattered ``LINK`` records).
- ``bank`` float32 [row, prb] fast-fading power gain (unit mean) of the UE's serving link (the
  UL reads the same trace: TDD reciprocity; the CSI reads all PRBs of a row) and, with
  ``P.int_faded`` (``slots.fading.interferers = "faded"``), of each link (u, ``top_cell[u, kk]``):
  ``top_f`` :data:`TRACE_DTYPE` [ue, k] where it reads, ``top_row`` int64 [ue, k] its row in
  the current slot (:func:`interferer_rows`, filled per TB and per CSI report). The DL
  interference per PRB of the TB SINR and the CSI is one function, :func:`dl_interference`.
  ``bank_mid`` float32 [row, rbg] each row's gains on the RBGs' middle PRBs, which the
  wideband CSI reads (:func:`nrsim.link.csi.middle_prb_gains`; [1, 1] when the CSI is subband).
- queues ``Q`` / packets ``PK``: :mod:`nrsim.traffic.queue`; HARQ ``H`` / ``h_rbg``, TB
  tables ``TB`` and ``MCS`` (float64 [3, mcs], contiguous rows): :mod:`nrsim.link.harq`; ``CQ``, ``csi_ring``, ``csi_ok``:
  :mod:`nrsim.link.csi`.
- frame: ``pat`` :data:`PATTERN_DTYPE` [slot of the TDD period], ``re_per_prb`` int64 [dir,
  n_symb], ``rbg_first_prb`` int64 [rbg + 1].
- counters ``acc`` float64 [dir, ue, ACC_* (+ MCS histogram)] over slots >= ``P.warmup``; ``cell_acc`` [dir,
  cell, 2]: PRBs used, PRBs available.

Models: docs/video.md (mobile calls).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from nrsim.compiled import jit
from nrsim.link.adaptation import HARQ_ACK, HARQ_DROP, eesm_add, eesm_value, mcs_for_sinr, olla_after
from nrsim.link.csi import deliver_reports, subband_report, wideband_report
from nrsim.link.harq import MCS_BETA, MCS_SE, MCS_THR, decode_tb, flush_harq, free_process, ready_process, release_dropped, start_tb
from nrsim.radio.uplink import (pusch_prb_power_mw, ul_prb_cap, ul_signal_prb_mw, ul_sinr_db,
                                ul_sinr_estimate_db)
from nrsim.rng import counter_uniform_core
from nrsim.scheduler.base import assign_rbgs_in_cell
from nrsim.scheduler.cell import fill_rbgs_in_order, next_in_rank
from nrsim.scheduler.metric import SCHED_QOS, SCHED_QOS_EDF, pf_average, policy_metric
from nrsim.traffic.queue import N_LCH, TOL_BITS, advance_queues, deliver, head_rank, queued_bits

DL, UL = 0, 1
ACC_BITS, ACC_FIRST, ACC_FIRST_NACK, ACC_TX, ACC_NEW, ACC_SINR_DB, ACC_SINR_N, ACC_PRB, ACC_DROPPED, ACC_MCS = range(10)
ACC_TX_DBM, ACC_TX_MAX_MW, ACC_SINR_MEAN_DB = 10, 11, 12
"""UL transmit power per transmission: sum [dBm] and maximum [mW]; DL: sum over CSI reports of
the mean SINR over the measured PRBs [dB] (``ACC_SINR_DB``: their effective SINR)."""
N_ACC = 13
"""Scalar counters per direction and UE; columns ``N_ACC + mcs`` (when ``acc`` has them)
count the first transmissions at each MCS (the MCS histogram)."""
NO_PRIORITY = 1 << 30

PARAM_DTYPE = np.dtype([
    ("slot_s", np.float64), ("warmup", np.int64), ("key", np.uint64), ("fss", np.bool_), ("mu", np.int64),
    ("noise_prb_mw", np.float64), ("ul_noise_prb_mw", np.float64), ("ul_p0_dbm", np.float64),
    ("ul_alpha", np.float64), ("ul_pmax_dbm", np.float64), ("ul_rx_gain", np.float64), ("ul_lag_s", np.float64),
    ("ul_forget", np.float64), ("cqi_period", np.int64), ("cqi_delay", np.int64), ("max_ues_dl", np.int64),
    ("max_ues_ul", np.int64), ("int_faded", np.bool_),
], align=True)
UE_DTYPE = np.dtype([
    ("serving", np.int64), ("can_tx", np.bool_), ("resid_prb_mw", np.float64), ("f_base", np.int64),
    ("f_off", np.int64), ("f_period", np.int64), ("dl_se", np.float64), ("dl_stale", np.bool_),
    # slot scratch by position in the cells' UE order
    ("pos_ue", np.int64), ("cand", np.int64), ("cand_mcs", np.int64), ("metric", np.float64), ("prio", np.float64),
    ("ddl", np.float64), ("rem", np.float64), ("got", np.int64), ("ranked", np.bool_), ("tx_ue", np.int64),
    ("tx_proc", np.int64), ("ul_p_prb_mw", np.float64), ("ul_sig1_mw", np.float64),
    ("dl_est_db", np.float64), ("dl_mcs1", np.int64), ("serv_rx_prb_mw", np.float64),
    ("ul_resid_gain_lin", np.float64),
], align=True)
UE_DIR_DTYPE = np.dtype([("olla_db", np.float64), ("pf_avg_bps", np.float64), ("last_served", np.int64),
                         ("n_act", np.int64), ("sched_bits", np.float64)], align=True)
UE_RBG_DTYPE = np.dtype([("reported_db", np.float64), ("dl_bits", np.float64), ("c_metric", np.float64),
                         ("c_bits", np.float64)], align=True)
CELL_DTYPE = np.dtype([("ue_start", np.int64), ("ue_end", np.int64), ("n_tx", np.int64), ("util", np.float64),
                       ("last_util", np.float64), ("ul_i_avg_mw", np.float64), ("ul_rx", np.bool_)], align=True)
CELL_RBG_DTYPE = np.dtype([("free", np.bool_), ("act", np.bool_), ("owner", np.int64), ("last_act", np.bool_),
                           ("last_act_f", np.float64), ("ul_i_mw", np.float64)], align=True)
LINK_DTYPE = np.dtype([("cell", np.int64), ("rx_prb_mw", np.float64), ("gain_lin", np.float64)], align=True)
SERVING_LINK = 0
"""Slot of ``LINK`` [ue, L] that holds each UE's serving link."""
TRACE_DTYPE = np.dtype([("f_base", np.int64), ("f_off", np.int64), ("f_period", np.int64)], align=True)
"""Where a link reads the fading ``bank``: row(t) = ``f_base`` + (``f_off`` + t) mod ``f_period``
(the fields of a UE's serving link in :data:`UE_DTYPE`; ``top_f`` [ue, k] for the k strongest
cells' links, :func:`interferer_rows`)."""
PATTERN_DTYPE = np.dtype([("dl_symb", np.int64), ("ul", np.bool_)], align=True)
SLOT_DTYPE = np.dtype([("d", np.int64), ("t", np.int64), ("n_symb", np.int64), ("n_re", np.int64),
                       ("meas", np.bool_), ("mean_util", np.float64), ("touched", np.float64)], align=True)
"""The slot being simulated: direction, slot index, symbols, REs per PRB, counted (after the
warm-up), mean PRB utilisation of all cells; ``touched``: sink of :func:`touch_tx_rows`."""


def as_record(params: NamedTuple) -> np.ndarray:
    """A NamedTuple of scalars (int, float, bool) as a record array [1] with the same field
    names (compiled code reads ``rec.name`` from either)."""
    kinds = {bool: np.bool_, int: np.int64, float: np.float64}
    dt = np.dtype([(name, kinds[type(v)]) for name, v in zip(params._fields, params)], align=True)
    return np.array([tuple(params)], dtype=dt)


class SlotState(NamedTuple):
    """The arrays :func:`run_slot_range` reads and writes (unpacked once per call)."""

    UE: np.ndarray
    UD: np.ndarray
    UR: np.ndarray
    CELL: np.ndarray
    CR: np.ndarray
    LINK: np.ndarray
    top_cell: np.ndarray
    top_rx_mw: np.ndarray
    bank: np.ndarray
    Q: np.ndarray
    PK: np.ndarray
    H: np.ndarray
    h_rbg: np.ndarray
    TB: np.ndarray
    MCS: np.ndarray
    CQ: np.ndarray
    csi_ring: np.ndarray
    csi_ok: np.ndarray
    pat: np.ndarray
    re_per_prb: np.ndarray
    rbg_first_prb: np.ndarray
    acc: np.ndarray
    cell_acc: np.ndarray
    top_f: np.ndarray
    top_row: np.ndarray
    bank_mid: np.ndarray


@jit
def counter_uniform(key: np.uint64, t: int, u: int, d: int) -> float:
    """Uniform [0, 1) of (key, slot t, UE u, direction d): the one counter-based generator
    :func:`nrsim.rng.counter_uniform_core` with counters (u, t, d)."""
    return counter_uniform_core(key, u, t, d)


# --- 3. scheduling of one cell ---------------------------------------------------------------
@jit
def _push_tx(UE, CELL, c, u, p):
    j = CELL[c].ue_start + CELL[c].n_tx
    UE[j].tx_ue = u
    UE[j].tx_proc = p
    CELL[c].n_tx += 1


@jit
def retransmissions(sl, P, c, UE, UD, H, h_rbg, CR, CELL):
    """Each UE of cell c with a process ready for retransmission (the earliest) gets it on its
    own RBGs if they are free (at most ``max_ues`` UEs); returns the UEs scheduled."""
    d, t = sl.d, sl.t
    n_rbg = CR.shape[1]
    max_ues = P.max_ues_dl if d == DL else P.max_ues_ul
    n_sched = 0
    for j in range(CELL[c].ue_start, CELL[c].ue_end):
        u = UE[j].pos_ue
        if not UE[u].can_tx or UD[d, u].n_act == 0:
            continue
        best = ready_process(H, d, u, t, sl.n_symb, UD[d, u].n_act)
        if best < 0 or n_sched >= max_ues:
            continue
        ok = True
        for r in range(n_rbg):
            if h_rbg[d, u, best, r] and not CR[c, r].free:
                ok = False
        if not ok:
            continue
        for r in range(n_rbg):
            if h_rbg[d, u, best, r]:
                CR[c, r].free = False
        _push_tx(UE, CELL, c, u, best)
        n_sched += 1
        UD[d, u].sched_bits = -1.0  # retransmitting: no new TB this slot
    return n_sched


@jit
def _dl_subband_rates(P, u, UE, UD, UR, MCS, rbg_first_prb):
    """Refresh UE u's DL bits per RE of each RBG at its reported subband CQIs minus OLLA."""
    n_rbg = UR.shape[1]
    se_sum = 0.0
    for r in range(n_rbg):
        se_r = MCS[MCS_SE, mcs_for_sinr(MCS[MCS_THR], UR[u, r].reported_db - UD[DL, u].olla_db)]
        UR[u, r].dl_bits = se_r * (rbg_first_prb[r + 1] - rbg_first_prb[r])
        se_sum += se_r
    UE[u].dl_se = se_sum / n_rbg
    UE[u].dl_stale = False


@jit
def _candidate_metric(sl, P, sched, c, u, i, queued, UE, UD, UR, MCS, LINK, CELL, rbg_first_prb):
    """Rate and scheduler metric of candidate position i (UE u): per RBG from the subband CSI
    (DL, frequency-selective) or one wideband MCS (DL: reported CQI; UL: one PRB's power-
    controlled SINR estimate)."""
    d = sl.d
    waited = float(sl.t - UD[d, u].last_served)
    n_prb = rbg_first_prb[rbg_first_prb.size - 1]
    if d == DL and P.fss:
        if UE[u].dl_stale:
            _dl_subband_rates(P, u, UE, UD, UR, MCS, rbg_first_prb)
        for r in range(UR.shape[1]):
            b_r = UR[u, r].dl_bits * sl.n_re
            UR[i, r].c_bits = b_r
            UR[i, r].c_metric = policy_metric(sched, b_r / P.slot_s, UD[d, u].pf_avg_bps, waited)
        UE[i].rem = queued + UE[u].dl_se * sl.n_re  # one PRB of margin, as in the UL
        return
    if d == DL:  # the MCS of the last estimate is kept (``dl_mcs1`` = MCS + 1, 0: none yet)
        est = UR[u, 0].reported_db - UD[DL, u].olla_db
        if UE[u].dl_mcs1 == 0 or est != UE[u].dl_est_db:
            UE[u].dl_est_db = est
            UE[u].dl_mcs1 = mcs_for_sinr(MCS[MCS_THR], est) + 1
        m = UE[u].dl_mcs1 - 1
    else:  # one PRB: not power-limited (the step's one-PRB signal, :func:`ul_step_signal`)
        est = ul_sinr_db(UE[u].ul_sig1_mw, CELL[c].ul_i_avg_mw, P.ul_noise_prb_mw) - UD[UL, u].olla_db
        m = mcs_for_sinr(MCS[MCS_THR], est)
    rate = MCS[MCS_SE, m] * sl.n_re * n_prb / P.slot_s
    UE[i].metric = policy_metric(sched, rate, UD[d, u].pf_avg_bps, waited)
    UE[i].cand_mcs = m


@jit
def startable_bits(d, u, UE, UD, H, Q):
    """Queued bits of UE u in direction d if it may start a new TB in this slot (may transmit,
    not retransmitting, data beyond :data:`nrsim.traffic.queue.TOL_BITS`, an idle HARQ
    process), else 0."""
    if not UE[u].can_tx or UD[d, u].sched_bits < 0.0 or UD[d, u].n_act >= H.shape[2]:
        return 0.0
    queued = queued_bits(Q, d, u)
    return queued if queued > TOL_BITS else 0.0


@jit
def collect_candidates(sl, P, sched, c, UE, UD, UR, H, Q, PK, LINK, MCS, CELL, rbg_first_prb):
    """UEs of cell c that may get a new TB (may transmit, not retransmitting, queued bits, an
    idle HARQ process) at positions ``CELL.ue_start + i``; returns their count."""
    d = sl.d
    lo = CELL[c].ue_start
    n_c = 0
    for j in range(lo, CELL[c].ue_end):
        u = UE[j].pos_ue
        queued = startable_bits(d, u, UE, UD, H, Q)
        if queued <= 0.0:
            continue
        i = lo + n_c
        _candidate_metric(sl, P, sched, c, u, i, queued, UE, UD, UR, MCS, LINK, CELL, rbg_first_prb)
        prio, ddl = 0.0, 0.0
        if sched.kind == SCHED_QOS or sched.kind == SCHED_QOS_EDF:  # the highest-priority non-empty channel's head
            prio, ddl = head_rank(Q, PK, d, u)
            if sched.kind != SCHED_QOS_EDF:
                ddl = 0.0
        UE[i].prio = prio
        UE[i].ddl = ddl
        UE[i].cand = u
        n_c += 1
    return n_c


@jit
def _new_tx(sl, c, u, p, m, got, tbs, queued, UE, UD, H, Q, PK, CELL, acc):
    """Start a TB of min(TBS, queued) bits in process p and list the transmission."""
    payload = min(tbs, queued)
    start_tb(H, Q, PK, sl.d, u, p, m, got, sl.n_symb, payload)
    UD[sl.d, u].n_act += 1
    UD[sl.d, u].sched_bits = payload
    _push_tx(UE, CELL, c, u, p)
    if sl.meas:
        acc[sl.d, u, ACC_NEW] += 1.0


@jit
def assign_subbands(sl, P, c, n_c, n_sched, S):
    """Frequency-selective DL: each free RBG to the best candidate on it (QoS rank, then the
    policy metric; :func:`nrsim.scheduler.base.assign_rbgs_in_cell`); each winner's MCS from
    the PRB-weighted mean of its RBGs' reports minus OLLA."""
    UE, UD, UR, H, h_rbg, Q, PK, TB, MCS = S.UE, S.UD, S.UR, S.H, S.h_rbg, S.Q, S.PK, S.TB, S.MCS
    CR, CELL, acc, rbg_first_prb = S.CR, S.CELL, S.acc, S.rbg_first_prb
    d = sl.d
    lo = CELL[c].ue_start
    hi = lo + n_c
    free = CR["free"][c]
    owner = CR["owner"][c]
    assign_rbgs_in_cell(n_c, free, UR["c_metric"][lo:hi], UR["c_bits"][lo:hi], UE["rem"][lo:hi], UE["prio"][lo:hi],
                        UE["ddl"][lo:hi], UE["cand"][lo:hi], P.max_ues_dl, n_sched, UE["got"][lo:hi], owner)
    for i in range(n_c):
        if UE[lo + i].got == 0:
            continue
        u = UE[lo + i].cand
        p = free_process(H, d, u)
        for r in range(free.size):
            h_rbg[d, u, p, r] = free[r] and owner[r] == i
        start_on_rbgs(sl, P, c, u, p, S)


@jit
def _ul_tb_mcs(sl, P, c, u, n_prb, UD, MCS, LINK, CELL):
    """UL MCS of a TB on ``n_prb`` PRBs: the gNB's estimate for the PUSCH power spread over
    them (power-limited UEs) minus OLLA."""
    est = ul_sinr_estimate_db(LINK[u, SERVING_LINK].gain_lin, n_prb, P.ul_p0_dbm, P.ul_alpha, P.ul_pmax_dbm, P.mu,
                              CELL[c].ul_i_avg_mw, P.ul_noise_prb_mw, P.ul_rx_gain) - UD[UL, u].olla_db
    return mcs_for_sinr(MCS[MCS_THR], est)


@jit
def start_on_rbgs(sl, P, c, u, p, S):
    """Start a new TB of UE u (cell c) in its idle HARQ process p on the free RBGs marked in
    ``h_rbg[d, u, p]``: MCS for the PRB-weighted mean of the DL estimate over them (reported
    CQI per RBG minus OLLA) or the UL estimate (:func:`_ul_tb_mcs`), TBS, payload from the
    queue; the RBGs are then taken. Returns False (nothing started, the RBGs stay free) when
    the TBS is 0."""
    UD, UR, H, h_rbg, TB, MCS, CR, rbg_first_prb = S.UD, S.UR, S.H, S.h_rbg, S.TB, S.MCS, S.CR, S.rbg_first_prb
    d = sl.d
    got = 0
    est = 0.0
    for r in range(CR.shape[1]):
        if h_rbg[d, u, p, r]:
            n_r = rbg_first_prb[r + 1] - rbg_first_prb[r]
            got += n_r
            if d == DL:
                est += n_r * (UR[u, r].reported_db - UD[DL, u].olla_db)
    if got == 0:
        return False
    if d == DL:
        m = mcs_for_sinr(MCS[MCS_THR], est / got)  # TB MCS: PRB-weighted mean estimate [dB]
    else:
        m = _ul_tb_mcs(sl, P, c, u, got, UD, MCS, S.LINK, S.CELL)
    tbs = TB[d, sl.n_symb, m, got].tbs_bits
    if tbs <= 0:
        return False
    for r in range(CR.shape[1]):
        if h_rbg[d, u, p, r]:
            CR[c, r].free = False
    _new_tx(sl, c, u, p, m, got, float(tbs), queued_bits(S.Q, d, u), S.UE, UD, H, S.Q, S.PK, S.CELL, S.acc)
    return True


@jit
def _need_prb(sl, P, c, u, m, queued, UD, MCS, LINK, CELL):
    """PRBs that carry the queued bits at MCS m plus one; in the UL no more than keep MCS 0
    decodable at full power (power-limited UEs)."""
    bits_prb = max(MCS[MCS_SE, m] * sl.n_re, 1.0)
    need = int(math.ceil(queued / bits_prb)) + 1
    if sl.d == UL:
        cap = ul_prb_cap(LINK[u, SERVING_LINK].gain_lin, MCS[MCS_THR, 0] + UD[UL, u].olla_db, P.ul_pmax_dbm, CELL[c].ul_i_avg_mw,
                         P.ul_noise_prb_mw, P.ul_rx_gain)
        need = max(min(need, int(cap)), 1)
    return need


@jit
def assign_in_order(sl, P, c, n_c, n_sched, S):
    """Wideband: candidates in rank order (QoS priority, deadline, metric, UE) each take the
    free RBGs in index order that carry their queued bits (at most ``max_ues`` UEs)."""
    UE, UD, H, h_rbg, Q, PK, TB, MCS, LINK = S.UE, S.UD, S.H, S.h_rbg, S.Q, S.PK, S.TB, S.MCS, S.LINK
    CR, CELL, acc, rbg_first_prb = S.CR, S.CELL, S.acc, S.rbg_first_prb
    d = sl.d
    lo = CELL[c].ue_start
    free = CR["free"][c]
    max_ues = P.max_ues_dl if d == DL else P.max_ues_ul
    n_free = 0
    for r in range(free.size):
        n_free += free[r]
    for i in range(lo, lo + n_c):
        UE[i].ranked = False
    while n_sched < max_ues and n_free > 0:
        i = next_in_rank(UE["prio"], UE["ddl"], UE["metric"], UE["cand"], UE["ranked"], lo, n_c)
        if i < 0:
            break
        u = UE[i].cand
        queued = queued_bits(Q, d, u)
        m = UE[i].cand_mcs
        p = free_process(H, d, u)
        got = fill_rbgs_in_order(free, h_rbg[d, u, p], _need_prb(sl, P, c, u, m, queued, UD, MCS, LINK, CELL),
                                 rbg_first_prb)
        if d == UL:  # power-limited UEs: MCS for the power spread over the allocation
            m = _ul_tb_mcs(sl, P, c, u, got, UD, MCS, LINK, CELL)
        tbs = TB[d, sl.n_symb, m, got].tbs_bits
        if tbs <= 0:
            for r in range(free.size):
                if h_rbg[d, u, p, r]:
                    free[r] = True
            continue
        for r in range(free.size):
            n_free -= h_rbg[d, u, p, r]
        _new_tx(sl, c, u, p, m, got, float(tbs), queued, UE, UD, H, Q, PK, CELL, acc)
        n_sched += 1


@jit
def open_cell(sl, P, c, S):
    """Cell c's scheduling opens: no transmissions, every RBG free, no bits given yet; then
    the retransmissions take their RBGs (:func:`retransmissions`). Returns the UEs scheduled."""
    UE, UD, CELL, CR = S.UE, S.UD, S.CELL, S.CR
    for j in range(CELL[c].ue_start, CELL[c].ue_end):
        UD[sl.d, UE[j].pos_ue].sched_bits = 0.0
    CELL[c].n_tx = 0
    for r in range(CR.shape[1]):
        CR[c, r].free = True
    return retransmissions(sl, P, c, UE, UD, S.H, S.h_rbg, CR, CELL)


@jit
def close_cell(c, CR):
    """Cell c's RBG activity of this slot: every RBG no longer free."""
    for r in range(CR.shape[1]):
        CR[c, r].act = not CR[c, r].free


@jit
def schedule_cell(sl, P, sched, c, S):
    """Cell c in slot ``sl`` by the built-in policy ``sched``: retransmissions, candidates, new
    TBs; marks its RBG activity."""
    n_sched = open_cell(sl, P, c, S)
    n_c = collect_candidates(sl, P, sched, c, S.UE, S.UD, S.UR, S.H, S.Q, S.PK, S.LINK, S.MCS, S.CELL,
                             S.rbg_first_prb)
    if n_c > 0:
        if sl.d == DL and P.fss:
            assign_subbands(sl, P, c, n_c, n_sched, S)
        else:
            assign_in_order(sl, P, c, n_c, n_sched, S)
    close_cell(c, S.CR)


@jit
def schedule_slot(SL, PA, SA, S):
    """:func:`schedule_cell` of every cell (a cell touches only its own UEs' state, so the order
    of the cells does not matter). ``SL``, ``PA``, ``SA``: the slot, parameter and policy
    records as arrays [1] (a numba parallel loop takes records only as arrays)."""
    sl, P, sched = SL[0], PA[0], SA[0]
    for c in range(S.CELL.shape[0]):
        schedule_cell(sl, P, sched, c, S)


@jit
def plugin_input(SL, PA, S, rate_bits, available, eligible, buffer_bits):
    """Open every cell (:func:`open_cell`: retransmissions first) and fill what a scheduler
    plugin sees (:class:`nrsim.scheduler.SchedulerInput`): ``rate_bits`` float64 [ue, rbg] the
    bits each RBG would carry at the MCS of the gNB's estimate (DL: the reported CQI of the RBG
    minus OLLA, :func:`_dl_subband_rates`; UL: one PRB's power-controlled estimate minus OLLA,
    as the built-in candidates' rate), ``available`` bool [cell, rbg] the RBGs left free,
    ``eligible`` bool [ue] (:func:`startable_bits`), ``buffer_bits`` float64 [ue] queued."""
    sl, P = SL[0], PA[0]
    UE, UD, UR, CELL, CR, MCS, rbg_first_prb = S.UE, S.UD, S.UR, S.CELL, S.CR, S.MCS, S.rbg_first_prb
    d = sl.d
    for c in range(CELL.shape[0]):
        open_cell(sl, P, c, S)
        for r in range(CR.shape[1]):
            available[c, r] = CR[c, r].free
        for j in range(CELL[c].ue_start, CELL[c].ue_end):
            u = UE[j].pos_ue
            buffer_bits[u] = queued_bits(S.Q, d, u)
            eligible[u] = startable_bits(d, u, UE, UD, S.H, S.Q) > 0.0
            if d == DL:
                if UE[u].dl_stale:
                    _dl_subband_rates(P, u, UE, UD, UR, MCS, rbg_first_prb)
                for r in range(CR.shape[1]):
                    rate_bits[u, r] = UR[u, r].dl_bits * sl.n_re
            else:
                est = ul_sinr_db(UE[u].ul_sig1_mw, CELL[c].ul_i_avg_mw, P.ul_noise_prb_mw) - UD[UL, u].olla_db
                se = MCS[MCS_SE, mcs_for_sinr(MCS[MCS_THR], est)]
                for r in range(CR.shape[1]):
                    rate_bits[u, r] = se * sl.n_re * (rbg_first_prb[r + 1] - rbg_first_prb[r])


@jit
def start_allocated(SL, PA, S, alloc):
    """New TBs on a plugin's allocation ``alloc`` bool [ue, rbg] (checked by
    :func:`nrsim.scheduler.validate_allocation`): each allocated UE, cell by cell in the cell's
    UE order, starts a TB on its RBGs (:func:`start_on_rbgs`, as the built-in
    frequency-selective path); then every cell's RBG activity."""
    sl, P = SL[0], PA[0]
    UE, CELL, h_rbg = S.UE, S.CELL, S.h_rbg
    d = sl.d
    for c in range(CELL.shape[0]):
        for j in range(CELL[c].ue_start, CELL[c].ue_end):
            u = UE[j].pos_ue
            n_r = 0
            for r in range(alloc.shape[1]):
                n_r += alloc[u, r]
            if n_r == 0:
                continue
            p = free_process(S.H, d, u)
            for r in range(alloc.shape[1]):
                h_rbg[d, u, p, r] = alloc[u, r]
            start_on_rbgs(sl, P, c, u, p, S)
        close_cell(c, S.CR)


# --- 4. activity, UL interference ------------------------------------------------------------
@jit
def cell_activity(SL, CELL, CR, rbg_first_prb, cell_acc):
    """PRB utilisation of each cell in this slot (``CELL.util``; counted in ``cell_acc``) and
    the mean over all cells (``SL.mean_util``)."""
    sl = SL[0]
    n_cells, n_rbg = CR.shape
    n_prb = rbg_first_prb[n_rbg]
    used_prb = 0.0
    for c in range(n_cells):
        util = 0.0
        for r in range(n_rbg):
            if CR[c, r].act:
                util += rbg_first_prb[r + 1] - rbg_first_prb[r]
        used_prb += util
        if sl.meas:
            cell_acc[sl.d, c, 0] += util
            cell_acc[sl.d, c, 1] += n_prb
        CELL[c].util = util / n_prb
    sl.mean_util = used_prb / (n_prb * n_cells)


@jit
def _ul_tx_power(P, UE, CELL, H, LINK):
    """PUSCH power per PRB of each UL transmission; marks the cells that receive."""
    for c in range(CELL.shape[0]):
        CELL[c].ul_rx = CELL[c].n_tx > 0
        for j in range(CELL[c].ue_start, CELL[c].ue_start + CELL[c].n_tx):
            u = UE[j].tx_ue
            UE[u].ul_p_prb_mw = pusch_prb_power_mw(LINK[u, SERVING_LINK].gain_lin, H[UL, u, UE[j].tx_proc].nprb, P.ul_p0_dbm,
                                                   P.ul_alpha, P.ul_pmax_dbm, P.mu)


@jit
def ul_interference(PA, UE, CELL, CR, H, h_rbg, LINK):
    """UL interference per RBG at each receiving cell [mW]: the UEs scheduled in other cells on
    the same RBGs, without fast fading, each into the cells of its modelled links (``LINK``
    slots 1 .. L-1: its K strongest other cells) and its residual (its power times
    ``UE.ul_resid_gain_lin``, the coupling gains of its other candidate cells) spread evenly
    over all cells on its RBGs: the network's total UL interference is kept, the weak links'
    placement is a mean field (docs/slots.md "Uplink interference"), as the DL adds the cells
    beyond the strongest at the mean load. Each cell's sum in transmission order, cells then
    UEs: thread-count free."""
    _ul_tx_power(PA[0], UE, CELL, H, LINK)
    n_cells, n_rbg = CR.shape
    for c in range(n_cells):
        for r in range(n_rbg):
            CR[c, r].ul_i_mw = 0.0
    rbgs = np.empty(n_rbg, dtype=np.int64)
    resid_mw = np.zeros(n_rbg)  # [rbg] the residual, summed over the transmitting UEs
    n_links = LINK.shape[1]
    for cs in range(n_cells):
        for j in range(CELL[cs].ue_start, CELL[cs].ue_start + CELL[cs].n_tx):
            u = UE[j].tx_ue
            p = UE[j].tx_proc
            n_r = 0
            for r in range(n_rbg):
                if h_rbg[UL, u, p, r]:
                    rbgs[n_r] = r
                    n_r += 1
            for lk in range(SERVING_LINK + 1, n_links):
                c = LINK[u, lk].cell
                if not CELL[c].ul_rx:
                    continue
                g = UE[u].ul_p_prb_mw * LINK[u, lk].gain_lin
                for k in range(n_r):
                    CR[c, rbgs[k]].ul_i_mw += g
            g = UE[u].ul_p_prb_mw * UE[u].ul_resid_gain_lin
            if g > 0.0:
                for k in range(n_r):
                    resid_mw[rbgs[k]] += g
    for c in range(n_cells):
        if CELL[c].ul_rx:
            for r in range(n_rbg):
                if resid_mw[r] > 0.0:
                    CR[c, r].ul_i_mw += resid_mw[r] / n_cells


# --- 5. transmissions --------------------------------------------------------------------------
@jit
def interferer_rows(t, u, top_f, top_row):
    """The fading rows of UE u's links to its k strongest cells in slot t into ``top_row[u]``
    (row = ``f_base`` + (``f_off`` + t) mod ``f_period``, :data:`TRACE_DTYPE`): one modulo per
    link and TB or report, not per RBG."""
    for kk in range(top_f.shape[1]):
        f = top_f[u, kk]
        top_row[u, kk] = f.f_base + (f.f_off + t) % f.f_period


@jit
def dl_interference(i0_mw, u, c, w, wr, top_cell, top_rx_mw, top_row, bank, faded, q0, q1, buf):
    """DL interference plus noise per PRB [mW] that UE u (served by cell c) sees on the PRBs
    q0 .. q1-1: ``i0_mw`` (noise and the cells beyond the k strongest at the mean utilisation)
    plus each of the k strongest cells cc != c with its activity weight ``w[cc, wr]`` (TB: this
    slot's RBG activity; CSI: the last DL slot's, or the cell's utilisation) times its received
    power ``top_rx_mw[u, kk]``, and with ``faded`` times its fast-fading gain
    ``bank[top_row[u, kk], q]`` (unit mean; the link's own trace, :func:`interferer_rows`).

    Returns the interference without fast fading (its mean over the fading); with ``faded``
    also ``buf[q - q0]`` float64 the interference per PRB. The one DL interference of the core:
    the TB SINR (:func:`tx_sinr`) and the CSI (:func:`measure_csi`) both call it."""
    i_mw = i0_mw
    if faded:
        for j in range(q1 - q0):
            buf[j] = i0_mw
    for kk in range(top_cell.shape[1]):
        cc = top_cell[u, kk]
        if cc == c:
            continue
        a = w[cc, wr]
        if not a:
            continue
        g = top_rx_mw[u, kk] * a
        i_mw += g
        if faded:
            row = top_row[u, kk]
            for j in range(q1 - q0):
                buf[j] += g * bank[row, q0 + j]
    return i_mw


@jit
def tx_sinr(sl, P, c, u, p, S, act, buf):
    """Per-PRB SINR of UE u's TB with fast fading -> (EESM effective SINR, mean SINR) [lin]. DL:
    interference :func:`dl_interference` per RBG (this slot's activity; the cells beyond the k
    strongest at the mean utilisation; ``act`` bool [cell, rbg] this slot's RBG activity); UL: the
    cell's interference from other cells' UEs. ``buf`` float64 [>= RBG size] scratch."""
    UE, CR, LINK, H, h_rbg, MCS, bank, rbg_first_prb = S.UE, S.CR, S.LINK, S.H, S.h_rbg, S.MCS, S.bank, S.rbg_first_prb
    dl = sl.d == DL
    faded = dl and P.int_faded
    if dl:
        s_prb = UE[u].serv_rx_prb_mw  # LINK[u, SERVING_LINK].rx_prb_mw: c serves u
        i0_mw = UE[u].resid_prb_mw * sl.mean_util + P.noise_prb_mw
        if faded:
            interferer_rows(sl.t, u, S.top_f, S.top_row)
    else:
        s_prb = UE[u].ul_p_prb_mw * LINK[u, SERVING_LINK].gain_lin * P.ul_rx_gain
    beta = MCS[MCS_BETA, H[sl.d, u, p].mcs]
    row = UE[u].f_base + (UE[u].f_off + sl.t) % UE[u].f_period
    mx = -1e300
    sm = 0.0
    n_used = 0
    lin_sum = 0.0
    for r in range(CR.shape[1]):
        if not h_rbg[sl.d, u, p, r]:
            continue
        q0, q1 = rbg_first_prb[r], rbg_first_prb[r + 1]
        if dl:
            i_mw = dl_interference(i0_mw, u, c, act, r, S.top_cell, S.top_rx_mw, S.top_row, bank, faded, q0, q1, buf)
        else:
            i_mw = CR[c, r].ul_i_mw + P.ul_noise_prb_mw
        if faded:  # the interference of each PRB
            for q in range(q0, q1):
                buf[q - q0] = s_prb / buf[q - q0]
        else:  # one interference on the RBG
            for q in range(q0, q1):
                buf[q - q0] = s_prb / i_mw
        for q in range(q0, q1):
            x = buf[q - q0] * bank[row, q]
            mx, sm = eesm_add(x, beta, mx, sm)
            lin_sum += x
        n_used += q1 - q0
    return eesm_value(beta, mx, sm, n_used), lin_sum / n_used


@jit
def _count_tx(sl, u, h, ack, first, dropped, mean_sinr_lin, ul_p_prb_mw, acc):
    if ack:
        acc[sl.d, u, ACC_BITS] += h.payload_bits
    acc[sl.d, u, ACC_TX] += 1.0
    acc[sl.d, u, ACC_PRB] += h.nprb
    if first:
        acc[sl.d, u, ACC_FIRST] += 1.0
        acc[sl.d, u, ACC_MCS] += h.mcs
        if N_ACC + h.mcs < acc.shape[2]:
            acc[sl.d, u, N_ACC + h.mcs] += 1.0
        if not ack:
            acc[sl.d, u, ACC_FIRST_NACK] += 1.0
    if dropped:
        acc[sl.d, u, ACC_DROPPED] += 1.0
    if sl.d == UL:
        acc[sl.d, u, ACC_SINR_DB] += 10.0 * math.log10(mean_sinr_lin)
        acc[sl.d, u, ACC_SINR_N] += 1.0
        p_mw = ul_p_prb_mw * h.nprb  # the PUSCH power of the transmission
        acc[sl.d, u, ACC_TX_DBM] += 10.0 * math.log10(p_mw)
        acc[sl.d, u, ACC_TX_MAX_MW] = max(acc[sl.d, u, ACC_TX_MAX_MW], p_mw)


@jit
def tx_outcome(sl, P, harq, u, p, eff_lin, mean_lin, UE, UD, H, TB, Q, PK, acc):
    """Decode UE u's TB (counter-based draw), then deliver (ACK), give back (dropped) or wait
    for the retransmission; OLLA; counters."""
    d = sl.d
    outcome = decode_tb(H, TB, d, u, p, eff_lin, counter_uniform(P.key, sl.t, u, d), harq.max_tx)
    h = H[d, u, p]
    ack = outcome == HARQ_ACK
    first = h.ntx == 1
    dropped = outcome == HARQ_DROP
    if ack:
        for f in range(N_LCH):
            if h.part_bits[f] > 0.0:
                deliver(Q, PK, N_LCH * d + f, u, h.part_bits[f], (sl.t + 1) * P.slot_s)
        h.act = False
        UD[d, u].n_act -= 1
    elif dropped:
        release_dropped(H, Q, PK, d, u, p)
        UD[d, u].n_act -= 1
    else:
        h.ready = sl.t + harq.rtt_slots
    UD[d, u].olla_db = olla_after(UD[d, u].olla_db, first, ack, harq)
    if d == DL and first:
        UE[u].dl_stale = True
    if sl.meas:
        _count_tx(sl, u, h, ack, first, dropped, mean_lin, UE[u].ul_p_prb_mw, acc)


@jit
def touch_tx_rows(sl, UE, CELL, h_rbg, bank, rbg_first_prb):
    """Load the first fading gain of every TB of this slot (its trace row, HARQ RBGs and UE
    record with it) in one tight loop before the SINR loop: the cache misses of the random
    rows then overlap instead of stalling each TB in turn. Returns their sum (kept, so the
    loads are not optimised away); changes no state."""
    acc = 0.0
    for c in range(CELL.shape[0]):
        for j in range(CELL[c].ue_start, CELL[c].ue_start + CELL[c].n_tx):
            u = UE[j].tx_ue
            p = UE[j].tx_proc
            row = UE[u].f_base + (UE[u].f_off + sl.t) % UE[u].f_period
            r = 0
            while r < h_rbg.shape[3] - 1 and not h_rbg[sl.d, u, p, r]:
                r += 1
            acc += bank[row, rbg_first_prb[r]]
    return acc


@jit
def transmit_slot(SL, PA, HA, S):
    """SINR and HARQ outcome of every transmission of this slot (cell by cell; per-UE state
    only and counter-based draws, so the order does not matter)."""
    UE, CELL, H, h_rbg, bank, rbg_first_prb = S.UE, S.CELL, S.H, S.h_rbg, S.bank, S.rbg_first_prb
    UD, TB, Q, PK, acc = S.UD, S.TB, S.Q, S.PK, S.acc
    sl, P, harq = SL[0], PA[0], HA[0]
    sl.touched = touch_tx_rows(sl, UE, CELL, h_rbg, bank, rbg_first_prb)
    buf = np.empty(rbg_first_prb[rbg_first_prb.size - 1])  # the per-PRB DL interference of one RBG
    act = S.CR["act"]
    for c in range(CELL.shape[0]):
        for j in range(CELL[c].ue_start, CELL[c].ue_start + CELL[c].n_tx):
            u = UE[j].tx_ue
            p = UE[j].tx_proc
            eff, mean = tx_sinr(sl, P, c, u, p, S, act, buf)
            tx_outcome(sl, P, harq, u, p, eff, mean, UE, UD, H, TB, Q, PK, acc)


# --- 6. scheduler state ------------------------------------------------------------------------
@jit
def scheduler_state(sl, P, sched, UD, CELL, CR):
    """PF averages and last-served slots of every UE; DL: the activity the next CSI reports see;
    UL: each receiving cell's average interference (EWMA)."""
    d = sl.d
    for u in range(UD.shape[1]):
        b = max(UD[d, u].sched_bits, 0.0)
        UD[d, u].pf_avg_bps = pf_average(UD[d, u].pf_avg_bps, b, P.slot_s, sched.pf_forget)
        if b > 0.0:
            UD[d, u].last_served = sl.t
    n_cells, n_rbg = CR.shape
    for c in range(n_cells):
        if d == DL:
            CELL[c].last_util = CELL[c].util
            if P.fss:
                for r in range(n_rbg):
                    CR[c, r].last_act = CR[c, r].act
                    CR[c, r].last_act_f = 1.0 if CR[c, r].act else 0.0
        elif CELL[c].ul_rx:  # UL reception measured in this cell this slot
            m_i = 0.0
            for r in range(n_rbg):
                m_i += CR[c, r].ul_i_mw
            CELL[c].ul_i_avg_mw = (1.0 - P.ul_forget) * CELL[c].ul_i_avg_mw + P.ul_forget * m_i / n_rbg


# --- 7. CSI measurement ------------------------------------------------------------------------
@jit
def _csi_interference(t, P, u, c, i0_mw, w, top_cell, top_rx_mw, top_f, top_row, bank, rbg_first_prb, i_out, buf):
    """DL interference plus noise [mW] that UE u measures in slot t (:func:`dl_interference`)
    into ``i_out``: fss per PRB [prb] from the last DL slot's RBG activity ``w`` [cell, rbg]
    and the ``bank``; wideband per RBG [rbg] on its middle PRB (``bank``: the bank's
    ``bank_mid``, the samples of :func:`nrsim.link.csi.wideband_report`) from each cell's last
    utilisation ``w`` [cell, 1]. ``buf`` float64 [prb] scratch. (Arrays, not the state tuple:
    this runs per report.)"""
    faded = P.int_faded
    if faded:
        interferer_rows(t, u, top_f, top_row)
    n_rbg = rbg_first_prb.shape[0] - 1
    if not P.fss:  # one weight per cell: all RBGs' samples in one pass over the links
        i_mw = dl_interference(i0_mw, u, c, w, 0, top_cell, top_rx_mw, top_row, bank, faded, 0, n_rbg, buf)
        for r in range(n_rbg):
            i_out[r] = buf[r] if faded else i_mw
        return
    for r in range(n_rbg):
        q0, q1 = rbg_first_prb[r], rbg_first_prb[r + 1]
        i_mw = dl_interference(i0_mw, u, c, w, r, top_cell, top_rx_mw, top_row, bank, faded, q0, q1, buf)
        if faded:
            for q in range(q0, q1):
                i_out[q] = buf[q - q0]
        else:
            for q in range(q0, q1):
                i_out[q] = i_mw


@jit
def _csi_fading_rows(t, P, UE):
    """The UEs that report in slot t (every ``cqi_period`` slots, staggered by UE index; only
    UEs that may transmit) -> (UEs int64 [n], their fading trace rows int64 [n])."""
    ues = np.empty((UE.shape[0] + P.cqi_period - 1) // P.cqi_period, dtype=np.int64)
    rows = np.empty_like(ues)
    n = 0
    for u in range(t % P.cqi_period, UE.shape[0], P.cqi_period):  # (t - u) % cqi_period == 0
        if UE[u].can_tx:
            ues[n] = u
            rows[n] = UE[u].f_base + (UE[u].f_off + t) % UE[u].f_period
            n += 1
    return ues[:n], rows[:n]


@jit
def measure_csi(t, meas, PA, S):
    """CSI reports due in slot t (:func:`_csi_fading_rows`): subband (fss) or wideband, each
    from the per-PRB SINRs of all PRBs (:mod:`nrsim.link.csi`)."""
    UE, CELL, CQ = S.UE, S.CELL, S.CQ
    csi_ring, csi_ok, acc, bank, rbg_first_prb = S.csi_ring, S.csi_ok, S.acc, S.bank, S.rbg_first_prb
    P = PA[0]
    mean_last = 0.0
    w_wb = np.empty((CELL.shape[0], 1))  # wideband: each cell weighs by its last DL utilisation
    for c in range(CELL.shape[0]):
        mean_last += CELL[c].last_util
        w_wb[c, 0] = CELL[c].last_util
    mean_last /= CELL.shape[0]
    ring = t % csi_ring.shape[0]
    ues, rows = _csi_fading_rows(t, P, UE)
    n_prb = rbg_first_prb[rbg_first_prb.shape[0] - 1]
    buf = np.empty(n_prb)  # per-PRB SINRs
    i_out = np.empty(n_prb)  # interference per PRB (fss) or per RBG (wideband)
    scr = np.empty(n_prb)
    w = S.CR["last_act_f"] if P.fss else w_wb
    bank_i = bank if P.fss else S.bank_mid
    top_cell, top_rx_mw, top_f, top_row = S.top_cell, S.top_rx_mw, S.top_f, S.top_row
    for i in range(ues.size):
        u = ues[i]
        c = UE[u].serving
        _csi_interference(t, P, u, c, UE[u].resid_prb_mw * mean_last + P.noise_prb_mw, w, top_cell, top_rx_mw, top_f,
                          top_row, bank_i, rbg_first_prb, i_out, scr)
        s_mw = UE[u].serv_rx_prb_mw
        if P.fss:
            eff_db, mean_lin = subband_report(s_mw, i_out, bank, rows[i], rbg_first_prb, CQ, buf, csi_ring, ring, u)
        else:
            eff_db, mean_lin = wideband_report(s_mw, i_out, S.bank_mid, rows[i], CQ, csi_ring, ring, u)
        csi_ok[ring, u] = True
        if meas:
            acc[DL, u, ACC_SINR_DB] += eff_db
            acc[DL, u, ACC_SINR_MEAN_DB] += 10.0 * math.log10(mean_lin)
            acc[DL, u, ACC_SINR_N] += 1.0


# --- the slot loop -------------------------------------------------------------------------------
@jit
def ul_step_signal(P, UE, LINK):
    """UL signal per PRB at the serving cell on one PRB of every UE (``UE.ul_sig1_mw`` [mW],
    :func:`nrsim.radio.uplink.ul_signal_prb_mw`): fixed within a mobility step, so the
    candidates' UL estimate is one log10 per slot."""
    for u in range(UE.shape[0]):
        UE[u].ul_sig1_mw = ul_signal_prb_mw(LINK[u, SERVING_LINK].gain_lin, 1, P.ul_p0_dbm, P.ul_alpha,
                                            P.ul_pmax_dbm, P.mu, P.ul_rx_gain)


@jit
def step_serving_rx(UE, LINK):
    """DL received power per PRB of every UE's serving link (``UE.serv_rx_prb_mw`` [mW]): fixed
    within a mobility step, read from the UE's own record by the CSI and the DL SINR."""
    for u in range(UE.shape[0]):
        UE[u].serv_rx_prb_mw = LINK[u, SERVING_LINK].rx_prb_mw


@jit
def flush_ues(ues, H, UD, Q, PK):
    """Handover or re-establishment of ``ues`` int64 [n] (:func:`nrsim.link.harq.flush_harq`),
    then their active HARQ processes per direction (``UD.n_act``) recounted: the pieces keep
    ``n_act`` up to date for everyone else, so no per-step count over all UEs is needed."""
    flush_harq(ues, H, Q, PK)
    for i in range(ues.size):
        u = ues[i]
        for d in range(H.shape[0]):
            n = 0
            for p in range(H.shape[2]):
                n += H[d, u, p].act
            UD[d, u].n_act = n


@jit
def slot_symbols(S, d, t):
    """Symbols of direction d in slot t (0: no transmission) and REs per PRB."""
    k = t % S.pat.shape[0]
    if d == DL:
        n_symb = S.pat[k].dl_symb
        if n_symb <= 0 or S.re_per_prb[DL, n_symb] <= 0:
            return 0, 0
    else:
        if not S.pat[k].ul:
            return 0, 0
        n_symb = 14
    return n_symb, S.re_per_prb[d, n_symb]


@jit
def open_step(PA, S):
    """The step's fixed per-UE quantities (:func:`ul_step_signal`, :func:`step_serving_rx`)."""
    ul_step_signal(PA[0], S.UE, S.LINK)
    step_serving_rx(S.UE, S.LINK)


@jit
def open_slot(t, PA, S):
    """Slot t begins (pieces 1-2): the CSI reports due reach the gNB, the packet queues advance."""
    P = PA[0]
    deliver_reports(t, P.cqi_delay, P.cqi_period, S.csi_ring, S.csi_ok, S.UR["reported_db"], P.fss, S.UE["dl_stale"])
    advance_queues(S.Q, S.PK, t * P.slot_s, P.ul_lag_s)


@jit
def open_direction(t, d, PA, S, SL):
    """Direction d of slot t: the slot record ``SL`` set; False when d has no symbols in t."""
    n_symb, n_re = slot_symbols(S, d, t)
    if n_symb <= 0:
        return False
    sl = SL[0]
    sl.d, sl.t, sl.n_symb, sl.n_re, sl.meas = d, t, n_symb, n_re, t >= PA[0].warmup
    return True


@jit
def close_direction(SL, PA, SA, HA, S):
    """After the scheduling of a direction (pieces 4-6): activity, UL interference, the
    transmissions and the scheduler state."""
    cell_activity(SL, S.CELL, S.CR, S.rbg_first_prb, S.cell_acc)
    if SL[0].d == UL:
        ul_interference(PA, S.UE, S.CELL, S.CR, S.H, S.h_rbg, S.LINK)
    transmit_slot(SL, PA, HA, S)
    scheduler_state(SL[0], PA[0], SA[0], S.UD, S.CELL, S.CR)


@jit
def close_slot(t, PA, S):
    """Slot t ends (piece 7): the CSI of the UEs due to report."""
    measure_csi(t, t >= PA[0].warmup, PA, S)


@jit
def run_slot_range(t0, t1, PA, SA, HA, S, SL):
    """Simulate slots ``t0 .. t1-1``: the pieces of the module docstring, in order, with the
    built-in policy (:func:`schedule_slot`). ``PA`` :data:`PARAM_DTYPE` [1] the run constants,
    ``SL`` :data:`SLOT_DTYPE` [1] the slot record the pieces read, ``SA`` / ``HA`` [1] the
    scheduler policy and the HARQ/OLLA settings (:func:`as_record` of
    :class:`nrsim.scheduler.metric.SchedulerParams` and :class:`nrsim.link.adaptation.HarqOlla`;
    a parallel loop takes records as arrays only). A scheduler plugin runs the same open /
    close pieces from Python with its allocation in between
    (:meth:`nrsim.engine.calls._Drop.run_step`)."""
    open_step(PA, S)
    for t in range(t0, t1):
        open_slot(t, PA, S)
        for d in range(2):
            if open_direction(t, d, PA, S, SL):
                schedule_slot(SL, PA, SA, S)
                close_direction(SL, PA, SA, HA, S)
        close_slot(t, PA, S)
