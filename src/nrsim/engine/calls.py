"""Mobile video calls: moving UEs that hand over and fail (the mobility run) while their
video calls and voice run in both directions through the slot-level link (docs/video.md).

A run is ``mobility.enabled`` and ``slots.enabled`` together. Per drop:

1. The mobility run (:func:`nrsim.engine.mobility.mobility_steps`) moves the UEs every
   ``mobility.step_ms``, refreshes the large-scale channel every ``channel_update_ms``
   (spatially consistent shadowing and LOS), filters the measurements and decides
   handovers (A3/A5 with TTT), interruptions and radio-link failures.
2. Within each step the compiled slot loop (:mod:`nrsim.engine.call_kernels`) runs the
   step's slots for all UEs: DL and UL packet queues with delay budgets, the scheduler (a built-in policy, or a plugin from Python)
   per cell, TBS, per-PRB SINR with TDL fading, EESM, HARQ with chase combining, OLLA and
   CSI. A UE in a handover interruption or in RLF/re-establishment sends and receives
   nothing; its packets wait and expire at their deadline. At a handover the HARQ
   processes of both directions are reset and their bits forwarded to the target cell.
3. Per call: the DL and UL call KPIs (:func:`nrsim.kpi.video.call_columns`); a call is
   satisfied when both directions are.

Simplifications (docs/video.md): one fast-fading trace per UE for its serving link (the
UL reads it too: TDD reciprocity); DL interferers are the ``slots.n_interferers`` strongest
cells per UE with their per-RBG activity and no fast fading, the rest at the mean load;
UL interference from the UEs scheduled in other cells on the same RBGs, without fast
fading; the gNB knows the UL buffers (ideal BSR); scheduling is wideband (RBGs in index
order), the MCS from the reported wideband CQI minus OLLA, unless
``slots.scheduler.frequency_selective`` (DL: subband CQI, each RBG to the best UE on it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nrsim.channel.fading import assign_link_traces, build_fading_bank, keyed_link_traces
from nrsim.channel.fading.cdl import CDL_MODEL, check_cdl_scenario
from nrsim.config.schema import ScenarioConfig
from nrsim.engine import call_kernels as ck
from nrsim.engine.call_fading import CdlStepFading
from nrsim.engine.link_steps import cells_of, link_steps, to_cells
from nrsim.engine.mobility import drop_tables, handover_params, mobility_kpis, mobility_steps, motion_drop
from nrsim.engine.slot_run import SlotDropResult, SlotRun, slot_run_meta
from nrsim.engine.snapshot import build_layout, is_sparse, n_link_slots
from nrsim.errors import ConfigError
from nrsim.link.adaptation import harq_olla
from nrsim.link.bler import bler_curves
from nrsim.link.csi import cqi_records, middle_prb_gains
from nrsim.link.frame import (
    numerology_mu,
    prb_bandwidth_hz,
    prb_centre_frequencies_hz,
    rbg_of_prb,
    slot_duration_s,
    slot_pattern,
)
from nrsim.link.harq import HARQ_DTYPE, mcs_rows
from nrsim.link.harq import TB_DTYPE as HARQ_TB_DTYPE
from nrsim.link.level import link_level
from nrsim.link.mcs import mcs_table
from nrsim.link.numerology import n_rb
from nrsim.kpi.slot_metrics import file_columns
from nrsim.kpi.video import call_columns, call_kpis
from nrsim.link.tbs import code_block_segmentation, n_re_per_prb, transport_block_size
from nrsim.radio.link_budget import noise_power_dbm
from nrsim.rng import link_key, stream
from nrsim.scheduler import Scheduler, SchedulerInput, direction_plugins, validate_allocation
from nrsim.scheduler.metric import scheduler_params
from nrsim.traffic.models import FileLog, grouped_time_order
from nrsim.traffic.qos import FIVE_QI, PacketLog, call_flow_packets
from nrsim.traffic.queue import PACKET_DTYPE, new_queues, refresh_events
from nrsim.traffic.sources import Packets, ftp3_packets, full_buffer_fits, full_buffer_packets
from nrsim.units import db_to_lin, lin_to_db

ProgressCallback = Callable[[int, int], None]

MAX_SYMBOLS = 14
UL_INTERFERENCE_FORGET = 0.1
"""Weight of the newest UL slot in the gNB's average interference per cell (EWMA)."""
UNLIMITED_UES = 1 << 30


@dataclass(frozen=True)
class LinkTables:
    """Per direction, OFDM symbols and MCS, for every PRB count: TBS (TS 38.214 5.1.3.2),
    code blocks C (TS 38.212 5.2.2) and the logistic BLER parameters of the code-block size
    (nrsim.link.bler). Arrays [dir, n_symb (0..14), mcs, n_prb (0..N_RB)];
    ``re_per_prb`` [dir, n_symb]."""

    tbs_bits: NDArray[np.int64]
    n_cb: NDArray[np.int64]
    s10_db: NDArray[np.float64]
    scale_db: NDArray[np.float64]
    re_per_prb: NDArray[np.int64]


def link_tables(n_prb: int, mcs_table_index: int, dmrs_re_per_prb: int, xoverhead_dl: int) -> LinkTables:
    """Precompute :class:`LinkTables` from the vectorised TBS, segmentation and BLER
    functions (the compiled loop looks them up)."""
    tab = mcs_table(mcs_table_index)
    curves = bler_curves(mcs_table_index)
    n_mcs = tab.n_mcs
    shape = (2, MAX_SYMBOLS + 1, n_mcs, n_prb + 1)
    tbs = np.zeros(shape, dtype=np.int64)
    ncb = np.zeros(shape, dtype=np.int64)
    s10 = np.zeros(shape)
    sc = np.ones(shape)
    re = np.zeros((2, MAX_SYMBOLS + 1), dtype=np.int64)
    prb = np.arange(n_prb + 1)[None, :]
    mcs = np.arange(n_mcs)[:, None]
    for d, xoh in ((0, xoverhead_dl), (1, 0)):
        for ns in range(1, MAX_SYMBOLS + 1):
            re[d, ns] = int(n_re_per_prb(ns, dmrs_re_per_prb, xoh))
            if re[d, ns] <= 0:
                continue
            t = transport_block_size(prb, tab.qm[mcs], tab.r_x1024[mcs], n_symb_sh=ns,
                                     n_dmrs_re_per_prb=dmrs_re_per_prb, n_oh_re_per_prb=xoh)  # [mcs, prb]
            c, k = code_block_segmentation(t, np.broadcast_to(tab.code_rate[mcs], t.shape))
            a, b = curves.parameters(np.broadcast_to(mcs, t.shape), np.maximum(k, 1))
            tbs[d, ns], ncb[d, ns], s10[d, ns], sc[d, ns] = t, c, a, b
    return LinkTables(tbs, ncb, s10, sc, re)


@dataclass
class CallRun:
    """Result of a mobile call run: per-UE table (mobility counts, link statistics and the
    call KPIs of both directions), the handover event log, per-cell table and KPIs."""

    ue: pd.DataFrame
    events: pd.DataFrame
    cell: pd.DataFrame
    kpis: dict[str, Any]


def check_call_config(cfg: ScenarioConfig, *, static_slot_run: bool = False) -> None:
    """What the mobile call engine supports (raised at load time by the API); a
    ``static_slot_run`` (:func:`static_call_config`) also takes full-buffer and FTP traffic."""
    sc = cfg.slots
    if sc.traffic.model not in (CORE_TRAFFIC if static_slot_run else ("video_call",)):
        raise ConfigError(
            f"slots.traffic.model = {sc.traffic.model!r}: a run with mobility.enabled and "
            "slots.enabled simulates video calls; set slots.traffic.model = 'video_call'",
            field="slots.traffic.model")
    if sc.fading.enabled and sc.fading.model == CDL_MODEL:  # per-step CDL bank (engine/call_fading.py)
        check_cdl_scenario(cfg.channel.scenario)
        if cfg.interference.mode != "dense" and is_sparse(cfg, build_layout(cfg)):
            raise ConfigError(f"slots.fading.model = {CDL_MODEL!r}: the clustered channel's per-step draws need "
                              "the dense link form; set interference.mode = 'dense' or use a TDL model",
                              field="interference.mode")
    slot_ms = slot_duration_s(cfg.radio.scs_khz) * 1e3
    ratio = cfg.mobility.step_ms / slot_ms
    if abs(ratio - round(ratio)) > 1e-9:
        raise ConfigError(
            f"mobility.step_ms = {cfg.mobility.step_ms:g} must be a multiple of the slot "
            f"({slot_ms:g} ms at {cfg.radio.scs_khz} kHz)", field="mobility.step_ms")
    n_slots = int(round(cfg.mobility.duration_s * 1e3 / slot_ms))
    default = type(sc).model_fields["n_slots"].default
    if sc.n_slots not in (default, n_slots):
        raise ConfigError(
            f"slots.n_slots = {sc.n_slots}: a run with moving UEs lasts mobility.duration_s "
            f"(= {cfg.mobility.duration_s:g} s = {n_slots} slots); leave slots.n_slots unset",
            field="slots.n_slots")
    if sc.warmup_slots >= n_slots:
        raise ConfigError(
            f"slots.warmup_slots = {sc.warmup_slots} must be < the {n_slots} slots of "
            f"mobility.duration_s = {cfg.mobility.duration_s:g}", field="slots.warmup_slots")


class _Drop:
    """Arrays of one drop of a mobile call run (see :mod:`nrsim.engine.call_kernels`)."""

    def __init__(self, cfg: ScenarioConfig, md, n_cells: int) -> None:
        sc, radio = cfg.slots, cfg.radio
        la = sc.link_adaptation
        self.cfg = cfg
        self.md = md
        n = md.state.ues.n_ue
        self.n_ue, self.n_cells = n, n_cells
        self.mu = numerology_mu(radio.scs_khz)
        self.slot_s = slot_duration_s(radio.scs_khz)
        self.n_prb = n_rb(radio.bandwidth_mhz, radio.scs_khz, cfg.channel.fc_ghz)
        prb_rbg = rbg_of_prb(self.n_prb, sc.rbg_config)
        n_rbg = int(prb_rbg[-1]) + 1
        self.rbg_first_prb = np.searchsorted(prb_rbg, np.arange(n_rbg + 1)).astype(np.int64)
        self.n_sub = int(round(cfg.mobility.step_ms / 1e3 / self.slot_s))
        self.n_slots = md.n_steps * self.n_sub
        pat = slot_pattern(sc.duplex, sc.tdd_pattern, sc.special_dl_symbols)
        self.pattern = pat
        self.pat_dl_symb = np.maximum(np.asarray(pat.dl_symbols, dtype=np.int64) - sc.control_symbols, 0)
        self.pat_ul = np.asarray(pat.ul, dtype=bool)
        if sc.duplex == "fdd":  # paired carriers: DL and UL in every slot
            self.pat_ul = np.ones_like(self.pat_ul)
        self.ul_on = bool(sc.uplink.enabled)
        if not self.ul_on:  # no UL slots, no UL traffic
            self.pat_ul = np.zeros_like(self.pat_ul)
        self.ll = link_level(la.mcs_table)
        self.tabs = link_tables(self.n_prb, la.mcs_table, sc.dmrs_re_per_prb, sc.xoverhead_re_per_prb)
        prb_hz = prb_bandwidth_hz(radio.scs_khz)
        self.noise_prb_mw = float(db_to_lin(noise_power_dbm(prb_hz, radio.ue_noise_figure_db)))
        self.ul_noise_prb_mw = float(db_to_lin(noise_power_dbm(prb_hz, sc.uplink.bs_noise_figure_db)))
        layout = md.state.layout
        self.cell_tx_dbm = (layout.cell_tx_power_dbm if layout.cell_tx_power_dbm is not None
                            else np.full(n_cells, float(radio.tx_power_dbm)))
        # links per UE: the serving cell and the n_interferers strongest others, at most the
        # candidate links of the sparse form
        n_cand = n_link_slots(cfg, md.state) if md.state.sparse else n_cells
        self.k_top = int(min(n_cells, n_cand, sc.n_interferers + 1))
        # fast fading of each UE's serving link, by speed class, and (``fading.interferers =
        # "faded"``) of its links to the k strongest cells (``top_f``, set with the channel)
        drop = md.drop
        fad = sc.fading
        freqs = prb_centre_frequencies_hz(self.n_prb, radio.scs_khz)
        speeds_kmh = np.round(md.speed_ms * 3.6, 6)
        if cfg.mobility.model == "static":  # UEs that stay put: the static slot run's fading speeds
            speeds_kmh = static_fading_speed_kmh(cfg, md.state.ues.indoor)
        if sc.fading.doppler_speed_kmh is not None:  # ablation: one Doppler spread for every UE
            speeds_kmh = np.full_like(speeds_kmh, float(sc.fading.doppler_speed_kmh))
        self.cdl = None
        self.int_bank, self.int_cls = None, None  # the TDL bank and speed class [ue] of the interferer links
        self.int_key = int(stream(cfg.seed, "calls/fading_interferers", drop=drop).integers(0, 2**63, dtype=np.int64))
        self.int_faded = bool(fad.enabled and fad.interferers == "faded")
        if fad.enabled and fad.model == CDL_MODEL:  # the clustered channel, refilled every step
            self.cdl = CdlStepFading(cfg, md, speeds_kmh, freqs, self.slot_s, self.n_sub,
                                     constant_velocity=cfg.mobility.model == "static" or fad.doppler_speed_kmh is not None,
                                     n_interferer_links=self.k_top if self.int_faded else 0)
            self.bank = self.cdl.bank
            self.f_base, self.f_off, self.f_period = self.cdl.rows()
        elif fad.enabled:
            classes, cls = np.unique(speeds_kmh, return_inverse=True)
            bank = build_fading_bank(fad.model, fad.delay_spread_ns * 1e-9, freqs, classes, cfg.channel.fc_ghz,
                                     self.slot_s, rows_budget=fad.bank_rows,
                                     rng=stream(cfg.seed, "calls/fading_bank", drop=drop))
            tr_ = assign_link_traces(bank, cls.astype(np.int64), rng=stream(cfg.seed, "calls/fading_links", drop=drop))
            self.bank = bank.gain_lin
            self.f_base, self.f_off, self.f_period = tr_.base_row, tr_.offset, tr_.period
            self.int_bank, self.int_cls = bank, cls.astype(np.int64)
        else:
            self.bank = np.ones((1, self.n_prb), dtype=np.float32)
            self.f_base = np.zeros(n, dtype=np.int64)
            self.f_off = np.zeros(n, dtype=np.int64)
            self.f_period = np.ones(n, dtype=np.int64)
        # the wideband CSI's samples (each RBG's middle PRB) of every bank row; refilled with a CDL bank
        self.csi_wideband = not sc.scheduler.frequency_selective
        self.bank_mid = (middle_prb_gains(self.bank, self.rbg_first_prb) if self.csi_wideband
                         else np.ones((1, 1), dtype=np.float32))
        # traffic, both directions (packet flows of nrsim.traffic)
        dl, ul = self._flows(cfg, drop, n)
        # one queue per UE, direction and logical channel (voice; video and best effort):
        # packets grouped by queue index (N_LCH x direction + channel), then UE, then arrival
        nq = 2 * ck.N_LCH
        # (built array by array, freeing each source: a 60 s run of 2,000 calls has ~14 M packets)
        n_dl_pk = dl[0].size
        queue = np.concatenate([dl[3], ul[3]]).astype(np.int8)  # 5QI for now
        queue = (ck.N_LCH * (np.arange(queue.size) >= n_dl_pk) + (queue != 1)).astype(np.int8)  # voice: channel 0
        ue_all = np.concatenate([dl[0], ul[0]]).astype(np.int32)
        t_all = np.concatenate([dl[1], ul[1]])
        # each direction's flow is sorted by (UE, time) (the Packets contract), so a stable
        # partition by queue gives the (queue, UE, time) order of np.lexsort((t, ue, queue))
        order = np.argsort(queue, kind="stable")
        key = queue.astype(np.int64)[order] * n + ue_all[order]  # sorted
        del queue
        self.pk_t = t_all[order]
        del t_all
        self.pk_ue = ue_all[order]
        del ue_all
        self.pk_qi = np.concatenate([dl[3], ul[3]]).astype(np.int8)[order]
        self.pk_deadline = self.pk_t + np.concatenate([dl[4], ul[4]])[order]
        size = np.concatenate([dl[2], ul[2]])[order]
        del dl, ul, order
        prio_of = np.full(10, ck.NO_PRIORITY, dtype=np.int64)
        for q, v in FIVE_QI.items():
            prio_of[q] = v.priority
        ids = np.arange(nq * n)
        first = np.searchsorted(key, ids, side="left")
        end = np.searchsorted(key, ids, side="right")
        csum = np.cumsum(size)
        # cumulative end of each packet within its queue
        csum -= np.concatenate([[0.0], csum])[first][key]
        del key
        # packet and queue records (nrsim.traffic.queue); the pk_*/q_* names are views of them
        self.PK = np.empty(size.size, dtype=PACKET_DTYPE)
        self.PK["t_s"] = self.pk_t
        self.PK["deadline_s"] = self.pk_deadline
        self.PK["cum_bits"] = csum
        self.PK["prio"] = prio_of[self.pk_qi]
        self.PK["done_s"] = np.nan
        self.PK["disc"] = False
        del csum
        self.pk_t, self.pk_deadline = self.PK["t_s"], self.PK["deadline_s"]
        self.pk_done, self.pk_disc = self.PK["done_s"], self.PK["disc"]
        self.pk_size = size
        self.Q = new_queues(first.reshape(nq, n).astype(np.int64), end.reshape(nq, n).astype(np.int64))
        refresh_events(self.Q, self.PK)
        self.q_first, self.q_end = self.Q["first"], self.Q["end"]
        # HARQ (nrsim.link.harq), per-UE, per-cell and CSI state (nrsim.engine.call_kernels)
        self.H = np.zeros((2, n, la.harq_processes), dtype=HARQ_DTYPE)
        self.h_rbg = np.zeros((2, n, la.harq_processes, n_rbg), dtype=bool)
        self.UE = np.zeros(n, dtype=ck.UE_DTYPE)
        self.UE["f_base"], self.UE["f_off"], self.UE["f_period"] = self.f_base, self.f_off, self.f_period
        self.UE["dl_stale"] = True
        self.UD = np.zeros((2, n), dtype=ck.UE_DIR_DTYPE)
        self.UD["pf_avg_bps"] = 1.0
        # OLLA offsets [dir, ue] start (and restart at a handover) from the configured offset
        lim = float(la.olla_max_offset_db)
        self.olla_start_db = float(np.clip(cfg.mobility.handover.olla_start_offset_db, -lim, lim))
        self.UD["olla_db"] = self.olla_start_db
        self.olla_db = self.UD["olla_db"]
        self.UR = np.zeros((n, n_rbg), dtype=ck.UE_RBG_DTYPE)
        self.reported_db = self.UR["reported_db"]
        self.CELL = np.zeros(n_cells, dtype=ck.CELL_DTYPE)
        self.CELL["last_util"] = 1.0
        self.last_util = self.CELL["last_util"]
        self.CR = np.zeros((n_cells, n_rbg), dtype=ck.CELL_RBG_DTYPE)
        self.CR["last_act"] = True
        self.CR["last_act_f"] = 1.0
        self.acc = np.zeros((2, n, ck.N_ACC + self.ll.mcs_thr_db.size))  # counters, then the MCS histogram
        self.cell_acc = np.zeros((2, n_cells, 2))
        self.cqi_delay = max(int(la.cqi_delay_slots), 1)
        self.csi_ring = np.zeros((self.cqi_delay + 1, n, n_rbg))  # subband CSI (SINR of the CQI) [dB]
        self.csi_ok = np.zeros((self.cqi_delay + 1, n), dtype=bool)
        self.key = np.uint64(link_key(cfg.seed, drop) ^ 0x5DEECE66D)
        s = sc.scheduler
        ul = sc.uplink
        self.sched = scheduler_params(s)
        self.harq = harq_olla(la)
        self.SA, self.HA = ck.as_record(self.sched), ck.as_record(self.harq)
        # a scheduler plugin per direction it schedules (None: the built-in policy)
        self.plugins: tuple[Scheduler | None, Scheduler | None] = (None, None)
        if s.name == "plugin":
            self.plugins = direction_plugins(str(s.plugin), n, dict(s.plugin_params), s.plugin_directions)
        self.P = np.zeros(1, dtype=ck.PARAM_DTYPE)
        for name, v in dict(
            slot_s=self.slot_s, warmup=sc.warmup_slots, key=self.key, fss=bool(s.frequency_selective), mu=self.mu,
            noise_prb_mw=self.noise_prb_mw, ul_noise_prb_mw=self.ul_noise_prb_mw, ul_p0_dbm=ul.p0_dbm,
            ul_alpha=ul.alpha, ul_pmax_dbm=ul.p_max_dbm, ul_rx_gain=float(ul.bs_rx_antennas),
            ul_lag_s=float(ul.scheduling_delay_ms) / 1e3, ul_forget=UL_INTERFERENCE_FORGET,
            cqi_period=int(la.cqi_period_slots), cqi_delay=self.cqi_delay,
            max_ues_dl=s.max_ues_per_slot or UNLIMITED_UES, max_ues_ul=ul.max_ues_per_slot,
            int_faded=self.int_faded,
        ).items():
            self.P[name] = v
        self.pat = np.zeros(self.pat_dl_symb.size, dtype=ck.PATTERN_DTYPE)
        self.pat["dl_symb"], self.pat["ul"] = self.pat_dl_symb, self.pat_ul
        ll = self.ll
        self.TB = np.zeros(self.tabs.tbs_bits.shape, dtype=HARQ_TB_DTYPE)
        for f, v in (("tbs_bits", self.tabs.tbs_bits), ("n_cb", self.tabs.n_cb), ("s10_db", self.tabs.s10_db),
                     ("scale_db", self.tabs.scale_db)):
            self.TB[f] = v
        self.MCS = mcs_rows(ll.mcs_thr_db, ll.mcs_se, ll.mcs_beta)
        self.CQ = cqi_records(ll.cqi_thr_db, db_to_lin(ll.cqi_thr_db), ll.cqi_beta, ll.cqi_sinr_db)
        self.SL = np.zeros(1, dtype=ck.SLOT_DTYPE)
        self.serving = np.zeros(n, dtype=np.int64)
        self.started = False

    def _flows(self, cfg: ScenarioConfig, drop: int, n: int) -> tuple[Packets, Packets]:
        """The DL and UL packet flows of ``slots.traffic.model`` (flat packet tuples of
        :mod:`nrsim.traffic.sources` / :func:`nrsim.traffic.qos.call_flow_packets`); sets
        ``self.call`` [ue] (the UEs on a video call; none without video calls).

        - ``video_call``: the calls' video and voice in both directions, FTP files of the
          background UEs in the DL;
        - ``full_buffer``: every UE full buffer in the DL, and in the UL with ``slots.uplink``;
        - ``ftp3``: FTP model 3 files in the DL (stream ``slots/traffic``: the same files as
          :class:`nrsim.traffic.FtpModel3` in :mod:`nrsim.engine.slots`), UL full buffer with
          ``slots.uplink`` (as the static slot engine).
        """
        tr = cfg.slots.traffic
        duration = self.n_slots * self.slot_s
        if tr.model != "video_call":
            self.call = np.zeros(n, dtype=bool)
            tbs_max = float(self.tabs.tbs_bits.max())
            if not full_buffer_fits(self.n_slots, tbs_max):  # (not reachable within mobility.duration_s)
                raise ConfigError(f"slots.n_slots = {self.n_slots}: a full-buffer queue would empty",
                                  field="slots.n_slots")
            ul = full_buffer_packets(np.full(n, self.ul_on))
            if tr.model == "full_buffer":
                return full_buffer_packets(np.ones(n, dtype=bool)), ul
            return ftp3_packets(n, file_size_bits=8.0 * tr.ftp_file_size_bytes, arrival_rate_hz=tr.ftp_arrival_rate_hz,
                                duration_s=duration, rng=stream(cfg.seed, "slots/traffic", drop=drop)), ul
        # static UEs: the static slot run's draw of which UEs are calls (the same calls as on
        # nrsim.engine.slots); moving UEs: their own stream
        call_stream = "slots/call_ues" if cfg.mobility.model == "static" else "calls/call_ues"
        self.call = stream(cfg.seed, call_stream, drop=drop).random(n) >= tr.background_ftp_share
        common = dict(fps=tr.video_fps, bitrate_bps=tr.video_bitrate_bps, size_cv=tr.video_size_cv, voice=tr.voice,
                      video_pdb_s=tr.video_pdb_s, voice_pdb_s=tr.voice_pdb_s,
                      ftp_file_size_bits=8.0 * tr.ftp_file_size_bytes)
        dl = call_flow_packets(self.call, duration, ftp_arrival_rate_hz=tr.ftp_arrival_rate_hz,
                               rng=stream(cfg.seed, "calls/traffic_dl", drop=drop), **common)
        if tr.ul_video_bitrate_bps is not None:
            common["bitrate_bps"] = tr.ul_video_bitrate_bps
        ul = call_flow_packets(self.call & self.ul_on, duration, ftp_arrival_rate_hz=0.0,
                               rng=stream(cfg.seed, "calls/traffic_ul", drop=drop), **common)
        return dl, ul

    def channel(self, rx_dbm: NDArray[np.float64], cells: NDArray[np.int64] | None = None) -> None:
        """New large-scale channel of each UE's candidate links: received power over the band
        ``rx_dbm`` [dBm] float [ue, m] of the cells ``cells`` int64 [ue, m] (the sparse form:
        the cells of the UE's ``interference.k_sites`` nearest sites; a link without power,
        -inf dBm, is a padding entry) or, ``cells`` None, of every cell (the dense form, m =
        n_cells). Sets the candidates' power per PRB and coupling gain, the strongest cells
        per UE (``top_cell`` / ``top_rx_mw`` [ue, k]) and the rest's interference; the core's
        links (:meth:`links`) follow at the next step."""
        m = rx_dbm.shape[1]
        if cells is None:  # dense: candidate j is cell j (a view, no [ue, cell] index array)
            cells = np.broadcast_to(np.arange(m, dtype=np.int64), rx_dbm.shape)
        self.cand_cell = cells
        self.cand_rx_prb_mw = np.ascontiguousarray(db_to_lin(rx_dbm) / self.n_prb)  # [ue, m]
        self.cand_gain_lin = np.ascontiguousarray(db_to_lin(rx_dbm - self.cell_tx_dbm[cells]))  # [ue, m]
        k = self.k_top
        if k < m:
            top = np.argpartition(-self.cand_rx_prb_mw, k - 1, axis=1)[:, :k]
        else:
            top = np.broadcast_to(np.arange(m), (self.n_ue, m))
        rows = np.arange(self.n_ue)[:, None]
        self.top_j = top  # [ue, k] their candidate columns
        self.top_cell = np.ascontiguousarray(cells[rows, top], dtype=np.int64)
        self.top_rx_mw = np.ascontiguousarray(self.cand_rx_prb_mw[rows, top])  # [ue, k]: compact reads
        self.resid_prb_mw = np.maximum(self.cand_rx_prb_mw.sum(axis=1) - self.top_rx_mw.sum(axis=1), 0.0)
        self.UE["resid_prb_mw"] = self.resid_prb_mw
        self.LINK = np.zeros((self.n_ue, k), dtype=ck.LINK_DTYPE)
        self.links_stale = np.ones(self.n_ue, dtype=bool)
        self._interferer_traces()

    def _serving_candidate(self, ues: NDArray[np.int64]) -> NDArray[np.int64]:
        """Column of each UE's serving cell among its candidate links [ues]; a ValueError when
        a serving cell is not a candidate (the handover machinery only picks candidates)."""
        cells = self.cand_cell[ues]
        # (the strongest match: a padding column of the sparse form may repeat a cell at 0 mW)
        j = np.argmax(np.where(cells == self.serving[ues, None], self.cand_rx_prb_mw[ues], -1.0), axis=1)
        if not np.all(cells[np.arange(ues.size), j] == self.serving[ues]):
            raise ValueError("a serving cell outside the UE's candidate links")
        return j

    def links(self) -> None:
        """The core's link form ``LINK`` [ue, L] of the UEs whose serving cell or channel
        changed: slot :data:`~nrsim.engine.call_kernels.SERVING_LINK` the serving cell, then
        its K = L - 1 strongest other cells, strongest first. A serving cell among the strongest
        (the usual case, also right after a handover) leaves the other K; one outside them (a
        re-establishment or a late handover to a weaker cell) is put in slot 0 and the weakest
        of the strongest is left out."""
        ues = np.flatnonzero(self.links_stale)
        if ues.size == 0:
            return
        self.links_stale[ues] = False
        r = np.arange(ues.size)[:, None]
        j = self._serving_candidate(ues)
        link = self.LINK[ues]
        link["cell"][:, 0] = self.serving[ues]
        link["rx_prb_mw"][:, 0] = self.cand_rx_prb_mw[ues, j]
        link["gain_lin"][:, 0] = self.cand_gain_lin[ues, j]
        if self.k_top > 1:
            tc, trx = self.top_cell[ues], self.top_rx_mw[ues]
            key = np.where(tc == self.serving[ues, None], -np.inf, trx)  # the serving cell last
            order = np.argsort(-key, axis=1, kind="stable")[:, : self.k_top - 1]
            jj = self.top_j[ues][r, order]  # candidate columns of the K others
            link["cell"][:, 1:] = tc[r, order]
            link["rx_prb_mw"][:, 1:] = self.cand_rx_prb_mw[ues[:, None], jj]
            link["gain_lin"][:, 1:] = self.cand_gain_lin[ues[:, None], jj]
        self.LINK[ues] = link
        # UL: the coupling gain of the candidates beyond the links (spread over the cells)
        resid = np.zeros(ues.size)
        if self.k_top < self.cand_cell.shape[1]:
            resid = np.maximum(self.cand_gain_lin[ues].sum(axis=1) - link["gain_lin"].sum(axis=1), 0.0)
        self.UE["ul_resid_gain_lin"][ues] = resid

    def _interferer_traces(self) -> None:
        """Where each link (u, ``top_cell[u, kk]``) reads the fading bank (``top_f``
        :data:`~nrsim.engine.call_kernels.TRACE_DTYPE` [ue, k]; ``fading.interferers = "faded"``):
        its own trace of its UE's speed class, drawn per (UE, cell) by counter
        (:func:`nrsim.channel.fading.keyed_link_traces`), so a link keeps its trace across
        channel updates and whatever the order of the strongest cells."""
        self.top_f = np.zeros(self.top_cell.shape, dtype=ck.TRACE_DTYPE)
        self.top_f["f_period"] = 1
        self.top_row = np.zeros(self.top_cell.shape, dtype=np.int64)
        if not self.int_faded:
            return
        if self.cdl is not None:  # the CDL bank's link slots (filled each step, :meth:`run_step`)
            self.top_f["f_base"], self.top_f["f_off"], self.top_f["f_period"] = self.cdl.interferer_rows()
            return
        ue = np.broadcast_to(np.arange(self.n_ue, dtype=np.int64)[:, None], self.top_cell.shape)
        tr_ = keyed_link_traces(self.int_bank, self.int_cls[ue], key=self.int_key, ue=ue, cell=self.top_cell)
        self.top_f["f_base"], self.top_f["f_off"], self.top_f["f_period"] = tr_.base_row, tr_.offset, tr_.period

    def geometry_db(self, ues: NDArray[np.int64]) -> NDArray[np.float64]:
        """Wideband SINR of ``ues`` to their serving cell at full load over their candidate
        links [dB]."""
        s = self.cand_rx_prb_mw[ues, self._serving_candidate(ues)]
        return lin_to_db(s / (self.cand_rx_prb_mw[ues].sum(axis=1) - s + self.noise_prb_mw))

    def serve(self, serving: NDArray[np.int64], link_lost: NDArray[np.bool_] | None = None) -> None:
        """Serving cells [ue] of this step; UEs whose cell changed, and those in
        ``link_lost`` [ue] (a radio-link failure or failed handover: RRC re-establishment, also
        when it returns to the same cell), are flushed: HARQ reset with the data forwarded,
        OLLA reset, CSI from the new cell (each as ``mobility.handover`` switches it). The
        re-establishment resets the MAC (TS 38.331 V17 5.3.7.2) whichever cell it ends in."""
        if not self.started:
            self.serving = serving.astype(np.int64).copy()
            self.links_stale[:] = True
            self.reported_db[:] = self.geometry_db(np.arange(self.n_ue))[:, None]
            self.started = True
            return
        changed = serving != self.serving
        if link_lost is not None:
            changed = changed | np.asarray(link_lost, dtype=bool)
        moved = np.flatnonzero(changed)
        self.links_stale |= serving != self.serving  # a new serving cell: slot 0 changes
        self.serving = serving.astype(np.int64).copy()
        if moved.size:
            ho = self.cfg.mobility.handover
            if ho.harq_reset_at_handover:
                ck.flush_ues(moved, self.H, self.UD, self.Q, self.PK)
            if ho.olla_reset_at_handover:
                self.olla_db[:, moved] = self.olla_start_db
            if ho.csi_reset_at_handover:
                self.csi_ok[:, moved] = False
                self.reported_db[moved] = self.geometry_db(moved)[:, None]
            # the DL rates cached from the old CSI and OLLA (frequency-selective path) are stale
            self.UE["dl_stale"][moved] = True

    def run_step(self, k: int, can_tx: NDArray[np.bool_]) -> None:
        """The slots of mobility step k (:func:`nrsim.engine.call_kernels.run_slot_range`)."""
        self.links()
        if self.cdl is not None:  # the step's CDL gains of the current serving (and strongest) links
            self.cdl.fill(k, self.serving, self.top_cell)
            if self.csi_wideband:
                middle_prb_gains(self.bank, self.rbg_first_prb, out=self.bank_mid)
        order = np.argsort(self.serving, kind="stable").astype(np.int64)
        start = np.searchsorted(self.serving[order], np.arange(self.n_cells + 1)).astype(np.int64)
        self.UE["serving"] = self.serving
        self.UE["can_tx"] = can_tx
        self.UE["pos_ue"] = order
        self.CELL["ue_start"], self.CELL["ue_end"] = start[:-1], start[1:]
        state = ck.SlotState(
            self.UE, self.UD, self.UR, self.CELL, self.CR, self.LINK, self.top_cell, self.top_rx_mw, self.bank,
            self.Q, self.PK, self.H, self.h_rbg, self.TB, self.MCS, self.CQ, self.csi_ring, self.csi_ok, self.pat,
            self.tabs.re_per_prb, self.rbg_first_prb, self.acc, self.cell_acc, self.top_f, self.top_row,
            self.bank_mid)
        if self.plugins[ck.DL] is None and self.plugins[ck.UL] is None:
            ck.run_slot_range(k * self.n_sub, (k + 1) * self.n_sub, self.P, self.SA, self.HA, state, self.SL)
        else:
            self._plugin_slot_range(k * self.n_sub, (k + 1) * self.n_sub, state)

    def _plugin_slot_range(self, t0: int, t1: int, state: ck.SlotState) -> None:
        """Slots ``t0 .. t1-1`` with a scheduler plugin: the compiled pieces of
        :func:`nrsim.engine.call_kernels.run_slot_range` in the same order, sequenced from
        Python so that the plugin can schedule its directions (:meth:`_plugin_schedule`)."""
        P, SA, HA, SL = self.P, self.SA, self.HA, self.SL
        ck.open_step(P, state)
        for t in range(t0, t1):
            ck.open_slot(t, P, state)
            for d in (ck.DL, ck.UL):
                if not ck.open_direction(t, d, P, state, SL):
                    continue
                plugin = self.plugins[d]
                if plugin is None:
                    ck.schedule_slot(SL, P, SA, state)
                else:
                    self._plugin_schedule(plugin, d, t, state)
                ck.close_direction(SL, P, SA, HA, state)
            ck.close_slot(t, P, state)

    def _plugin_schedule(self, plugin: Scheduler, d: int, t: int, state: ck.SlotState) -> None:
        """Direction d of slot t by ``plugin``: its :class:`~nrsim.scheduler.SchedulerInput`
        after the retransmissions (:func:`nrsim.engine.call_kernels.plugin_input`), its
        allocation checked (:func:`~nrsim.scheduler.validate_allocation`, a
        :class:`~nrsim.scheduler.SchedulerError` when invalid), TBs started on it
        (:func:`nrsim.engine.call_kernels.start_allocated`), then ``update`` with the bits given
        in new TBs [ue]."""
        rate = np.empty((self.n_ue, self.rbg_first_prb.size - 1))
        avail = np.empty((self.n_cells, rate.shape[1]), dtype=bool)
        elig = np.empty(self.n_ue, dtype=bool)
        buf = np.empty(self.n_ue)
        ck.plugin_input(self.SL, self.P, state, rate, avail, elig, buf)
        inp = SchedulerInput(slot=t, slot_duration_s=self.slot_s, serving_cell=self.serving.copy(),
                             n_cells=self.n_cells, rate_bits=rate, available=avail, eligible=elig,
                             buffer_bits=buf, direction="dl" if d == ck.DL else "ul")
        alloc = validate_allocation(plugin.allocate(inp), inp, who=f"scheduler plugin ({inp.direction})")
        ck.start_allocated(self.SL, self.P, state, np.ascontiguousarray(alloc))
        plugin.update(inp, np.maximum(self.UD["sched_bits"][d], 0.0))

    def release_slot_state(self) -> None:
        """Drop the arrays only the slot loop needs (before the KPIs of a large run)."""
        for name in ("bank", "bank_mid", "cdl", "h_rbg", "H", "cand_rx_prb_mw", "cand_gain_lin", "cand_cell", "LINK",
                     "top_cell", "top_j", "top_rx_mw", "top_f", "top_row", "csi_ring", "csi_ok", "UR"):
            setattr(self, name, None)

    def packet_log(self, d: int) -> PacketLog:
        """The packets of direction ``d``, grouped by UE in arrival order (its queues merged)."""
        lo = int(self.q_first[ck.N_LCH * d, 0])
        hi = int(self.q_end[ck.N_LCH * d + ck.N_LCH - 1, -1])
        m = np.arange(lo, hi)
        m = m[grouped_time_order(self.pk_ue[m], self.pk_t[m])]
        return PacketLog(
            ue=self.pk_ue[m].astype(np.int64), five_qi=self.pk_qi[m].astype(np.int64), arrival_s=self.pk_t[m], size_bits=self.pk_size[m],
            deadline_s=self.pk_deadline[m], completion_s=self.pk_done[m], discarded=self.pk_disc[m],
        )


def _link_columns(dr: _Drop, t_meas_s: float) -> dict[str, NDArray]:
    a = dr.acc
    out: dict[str, NDArray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for d, pre in ((ck.DL, ""), (ck.UL, "ul_")):
            x = a[d]
            out[f"{pre}throughput_bps"] = x[:, ck.ACC_BITS] / t_meas_s
            out[f"{pre}bler_first_tx"] = x[:, ck.ACC_FIRST_NACK] / x[:, ck.ACC_FIRST]
            out[f"{pre}mean_mcs"] = x[:, ck.ACC_MCS] / x[:, ck.ACC_FIRST]
            # DL: wideband CSI SINR (fast fading, actual load); UL: per-PRB SINR of the transmissions
            out["csi_sinr_db" if d == ck.DL else "ul_mean_sinr_db"] = x[:, ck.ACC_SINR_DB] / x[:, ck.ACC_SINR_N]
            out[f"{pre}transmissions"] = x[:, ck.ACC_TX].astype(np.int64)
            out[f"{pre}dropped_tbs"] = x[:, ck.ACC_DROPPED].astype(np.int64)
    return out


# -- static slot runs on the call core (issue 12 item 2, first step) ---------------------------

STATIC_STEP_MS = 10.0
"""Longest mobility step of a static slot run on the call core [ms] (the step only paces the
control plane of UEs that do not move: measurements, L3 filter, RLF monitoring)."""


def static_fading_speed_kmh(cfg: ScenarioConfig, indoor: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Doppler speed [ue] (km/h) of the fast fading of UEs that do not move: the static slot
    run's ``slots.fading.ue_speed_kmh`` (indoor UEs; all UEs unless ``outdoor_ue_speed_kmh``
    is set) and ``outdoor_ue_speed_kmh`` (outdoor UEs)."""
    fad = cfg.slots.fading
    v_out = fad.outdoor_ue_speed_kmh if fad.outdoor_ue_speed_kmh is not None else fad.ue_speed_kmh
    return np.where(np.asarray(indoor, dtype=bool), float(fad.ue_speed_kmh), float(v_out))


CORE_TRAFFIC = ("video_call", "full_buffer", "ftp3")
"""Traffic models of a static slot run on the core (:mod:`nrsim.traffic.sources`)."""


def static_run_on_core(cfg: ScenarioConfig) -> bool:
    """The routing rule of static slot runs (``slots.enabled``, ``mobility.enabled = false``):
    video calls, full buffer and FTP model 3 (:data:`CORE_TRAFFIC`) with a built-in scheduler
    or a scheduler plugin run on the call engine's core with the static mobility model
    (:func:`run_static_calls`; TDL or ``cdl-38901`` fading of the serving link and,
    ``slots.fading.interferers = "faded"``, of the links to the strongest cells, as the static
    slot engine: :mod:`nrsim.engine.call_fading`), on the dense or the sparse link form
    (:mod:`nrsim.engine.link_steps`); the rest (``cdl-38901`` on the sparse form, runs longer
    than a mobility run may last) on :mod:`nrsim.engine.slots`."""
    sc = cfg.slots
    if not sc.enabled or cfg.mobility.enabled or sc.traffic.model not in CORE_TRAFFIC:
        return False
    if sc.traffic.model != "video_call" and _static_duration_s(cfg) > _core_max_duration_s(cfg):
        return False  # longer than a mobility run may last (a long video-call run is a ConfigError)
    # the sparse link form runs on the core (engine/link_steps.py), except with the clustered
    # channel, whose per-step draws read the dense large-scale state
    return not (sc.fading.enabled and sc.fading.model == CDL_MODEL and is_sparse(cfg, build_layout(cfg)))


def _static_duration_s(cfg: ScenarioConfig) -> float:
    return cfg.slots.n_slots * slot_duration_s(cfg.radio.scs_khz)


def _core_max_duration_s(cfg: ScenarioConfig) -> float:
    """The longest run of the core: the upper bound of ``mobility.duration_s`` [s]."""
    limit = type(cfg.mobility).model_fields["duration_s"].metadata
    return next((float(m.le) for m in limit if getattr(m, "le", None) is not None), float("inf"))


def static_call_config(cfg: ScenarioConfig) -> ScenarioConfig:
    """The mobility-run form of a static slot run: ``mobility.enabled`` with ``model =
    "static"`` for ``slots.n_slots`` slots (``mobility.duration_s``), in steps of the largest
    divisor of ``n_slots`` not longer than :data:`STATIC_STEP_MS`; the channel is computed once.
    ``slots.scheduler.frequency_selective`` defaults to true here (the static slot engine
    always schedules per RBG) unless the config sets it."""
    sc = cfg.slots
    slot_ms = slot_duration_s(cfg.radio.scs_khz) * 1e3
    max_step = max(int(STATIC_STEP_MS / slot_ms + 1e-9), 1)
    step = max(d for d in range(1, min(max_step, sc.n_slots) + 1) if sc.n_slots % d == 0)
    duration_s = sc.n_slots * slot_ms / 1e3
    mob = cfg.mobility.model_copy(update={
        "enabled": True, "model": "static", "duration_s": duration_s, "step_ms": step * slot_ms,
        "channel_update_ms": step * slot_ms, "speeds_kmh": [0.0], "speed_shares": [1.0],
        "indoor_speed_kmh": None,
    })
    sched = sc.scheduler
    if "frequency_selective" not in sched.model_fields_set:
        sched = sched.model_copy(update={"frequency_selective": True})
    slots = sc.model_copy(update={"scheduler": sched})
    return cfg.model_copy(update={"mobility": mob, "slots": slots})


def check_static_core_config(cfg: ScenarioConfig) -> None:
    """What a static slot run on the call core supports (raised at load time, ConfigError
    naming the field); :func:`static_run_on_core` keeps the rest on the static slot engine,
    whose scheduler plugins schedule the downlink only."""
    if not static_run_on_core(cfg):
        s = cfg.slots.scheduler
        if cfg.slots.enabled and s.name == "plugin" and "ul" in s.plugin_directions:
            raise ConfigError(
                f"slots.scheduler.plugin_directions = {s.plugin_directions}: this run stays on the static "
                "slot engine (cdl-38901 fading on the sparse link form, or a full-buffer/FTP run longer than the core's limit), where a plugin "
                "schedules the downlink only; use ['dl']", field="slots.scheduler.plugin_directions")
        return
    slot_ms = slot_duration_s(cfg.radio.scs_khz) * 1e3
    max_s = _core_max_duration_s(cfg)
    if _static_duration_s(cfg) > max_s:
        raise ConfigError(
            f"slots.n_slots = {cfg.slots.n_slots}: a video-call slot run lasts at most {max_s:g} s "
            f"(the call core's mobility.duration_s range) = {int(max_s * 1e3 / slot_ms)} slots at "
            f"{cfg.radio.scs_khz} kHz", field="slots.n_slots")
    check_call_config(static_call_config(cfg), static_slot_run=True)


def _slot_ue_columns(dr: _Drop, warmup: int) -> dict[str, NDArray]:
    """The static slot run's per-UE columns (docs/slots.md ``ue_slots``) that the call table
    lacks, from the drop's arrays at the end of the run."""
    a = dr.acc[ck.DL]
    n_dl = max(_dl_slots_measured(dr), 1)
    rows = np.arange(dr.n_ue)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: dict[str, NDArray] = {
            "serving_cell": dr.serving.copy(),
            "coupling_loss_db": -lin_to_db(dr.LINK["gain_lin"][:, ck.SERVING_LINK]),
            "geometry_sinr_db": dr.geometry_db(rows),
            # the static run's mean_sinr_db: the mean over CSI reports of the mean SINR over the
            # measured PRBs [dB] (as nrsim.engine.slots; the call table's csi_sinr_db is their
            # mutual-information average), not the mobility run's L3-filtered large-scale SINR
            "mean_sinr_db": a[:, ck.ACC_SINR_MEAN_DB] / a[:, ck.ACC_SINR_N],
            "residual_bler": a[:, ck.ACC_DROPPED] / np.maximum(a[:, ck.ACC_FIRST], 1.0),
            "prb_per_slot": a[:, ck.ACC_PRB] / n_dl,
            "scheduled_share": a[:, ck.ACC_TX] / n_dl,  # one TB per UE and slot
            "first_transmissions": a[:, ck.ACC_FIRST].astype(np.int64),
            "olla_offset_db": dr.olla_db[ck.DL].copy(),
        }
    if dr.ul_on:
        u = dr.acc[ck.UL]
        with np.errstate(invalid="ignore", divide="ignore"):
            out["ul_mean_tx_power_dbm"] = u[:, ck.ACC_TX_DBM] / u[:, ck.ACC_TX]
            out["ul_max_tx_power_dbm"] = np.where(u[:, ck.ACC_TX] > 0, lin_to_db(u[:, ck.ACC_TX_MAX_MW]), np.nan)
    return out


def mcs_histograms(dr: _Drop) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """First transmissions per MCS [mcs] of the DL and the UL (all UEs)."""
    h = dr.acc[:, :, ck.N_ACC:].sum(axis=1)
    return h[ck.DL].astype(np.int64), h[ck.UL].astype(np.int64)


def _dl_slots_measured(dr: _Drop) -> int:
    return int(round(dr.cell_acc[ck.DL, 0, 1] / dr.n_prb)) if dr.n_cells else 0


def _slot_drop_meta(dr: _Drop) -> dict[str, Any]:
    return {
        "slot_duration_s": dr.slot_s, "measured_time_s": (dr.n_slots - int(dr.P["warmup"][0])) * dr.slot_s,
        "n_prb": dr.n_prb, "n_rbg": int(dr.rbg_first_prb.size - 1),
        "rbg_size_prb": int(dr.rbg_first_prb[1] - dr.rbg_first_prb[0]),
        "dl_slots_measured": _dl_slots_measured(dr),
        "ul_slots_measured": int(round(dr.cell_acc[ck.UL, 0, 1] / dr.n_prb)) if dr.n_cells else 0,
        "n_links_per_ue": dr.k_top, "fading_bank_mb": float(dr.bank.nbytes / 1e6),
        "engine": "calls",
    }


def _slot_cell_columns(cfg: ScenarioConfig, dr: _Drop, ue: pd.DataFrame, t_meas_s: float) -> dict[str, NDArray]:
    """The static slot run's per-cell columns (docs/slots.md ``cell_slots``)."""
    n_c = dr.n_cells
    serving = dr.serving
    bw = cfg.radio.bandwidth_mhz * 1e6
    pat = dr.pattern
    a = dr.acc
    ca = dr.cell_acc
    with np.errstate(invalid="ignore", divide="ignore"):
        bits = np.bincount(serving, weights=a[ck.DL, :, ck.ACC_BITS], minlength=n_c)
        out: dict[str, NDArray] = {
            "n_ue": np.bincount(serving, minlength=n_c).astype(np.int64),
            "throughput_bps": bits / t_meas_s,
            "spectral_efficiency_bps_per_hz": bits / t_meas_s / (bw * pat.dl_time_share),
            "bler_first_tx": np.bincount(serving, weights=a[ck.DL, :, ck.ACC_FIRST_NACK], minlength=n_c)
            / np.bincount(serving, weights=a[ck.DL, :, ck.ACC_FIRST], minlength=n_c),
        }
        if dr.ul_on:
            ul_bits = np.bincount(serving, weights=a[ck.UL, :, ck.ACC_BITS], minlength=n_c)
            out["ul_throughput_bps"] = ul_bits / t_meas_s
            out["ul_spectral_efficiency_bps_per_hz"] = ul_bits / t_meas_s / (bw * pat.ul_time_share)
            out["ul_prb_utilisation"] = ca[ck.UL, :, 0] / ca[ck.UL, :, 1]
    return out


def run_static_calls(cfg: ScenarioConfig, *, progress: ProgressCallback | None = None) -> tuple[SlotRun, CallRun]:
    """A static video-call slot run (:func:`static_run_on_core`) on the call core: the UEs of
    the static drop stay put (the static mobility model) while the core runs their calls.
    Returns the :class:`~nrsim.engine.slots.SlotRun` of the static slot run's KPI schema (the
    ``ue_slots`` / ``cell_slots`` columns, with the call table's columns added) and the
    :class:`CallRun` (its ``kpis.calls`` and ``kpis.mobility``). ``progress(done, total)``
    counts slots."""
    mcfg = static_call_config(cfg)
    n_sub = int(round(mcfg.mobility.step_ms / (slot_duration_s(cfg.radio.scs_khz) * 1e3)))
    cb = None if progress is None else (lambda done, total: progress(done * n_sub, total * n_sub))
    metas: list[dict[str, Any]] = []
    res = _run_drops(mcfg, progress=cb, slot_columns=True, slot_meta=metas)
    video = cfg.slots.traffic.model == "video_call"
    ue_cols = list(res.ue.columns) if video else _static_ue_columns(cfg)
    cell_cols = list(res.cell.columns) if video else _static_cell_columns(cfg)
    drops = []
    for d, meta in enumerate(metas):
        ue = res.ue[res.ue["drop"].to_numpy() == d]
        cell = res.cell[res.cell["drop"].to_numpy() == d]
        hist_dl, hist_ul, files = meta.pop("mcs_hist_dl"), meta.pop("mcs_hist_ul"), meta.pop("files")
        ue_d = {c: ue[c].to_numpy() for c in ue_cols}
        if files is not None:
            ue_d.update(file_columns(files, len(ue), cfg.slots.warmup_slots * meta["slot_duration_s"]))
        drops.append(SlotDropResult(
            drop=d, ue=ue_d, cell={c: cell[c].to_numpy() for c in cell_cols},
            mcs_hist_dl=hist_dl, mcs_hist_ul=hist_ul, files=files, meta=meta))
    return SlotRun(config=cfg, drops=drops, meta=slot_run_meta(cfg, drops)), res


RUN_UE_COLUMNS = ("drop", "ue", "serving_cell", "indoor", "coupling_loss_db", "geometry_sinr_db", "mean_sinr_db",
                  "throughput_bps", "bler_first_tx", "residual_bler", "mean_mcs", "prb_per_slot", "scheduled_share",
                  "first_transmissions", "transmissions", "olla_offset_db")
"""The per-UE columns of a static slot run (docs/slots.md ``ue_slots``), in order; with the UL
:data:`RUN_UL_UE_COLUMNS`, with FTP ``files_completed`` and ``mean_file_delay_s``."""
RUN_UL_UE_COLUMNS = ("ul_throughput_bps", "ul_bler_first_tx", "ul_mean_mcs", "ul_mean_sinr_db",
                     "ul_mean_tx_power_dbm", "ul_max_tx_power_dbm", "ul_transmissions")
RUN_CELL_COLUMNS = ("drop", "cell", "site", "n_ue", "throughput_bps", "spectral_efficiency_bps_per_hz",
                    "prb_utilisation", "bler_first_tx")
RUN_UL_CELL_COLUMNS = ("ul_throughput_bps", "ul_spectral_efficiency_bps_per_hz", "ul_prb_utilisation")


def _static_ue_columns(cfg: ScenarioConfig) -> list[str]:
    """The ``ue_slots`` columns of a full-buffer or FTP static slot run (the call table's
    mobility and call columns left out)."""
    return [*RUN_UE_COLUMNS, *(RUN_UL_UE_COLUMNS if cfg.slots.uplink.enabled else ())]


def _static_cell_columns(cfg: ScenarioConfig) -> list[str]:
    return [*RUN_CELL_COLUMNS, *(RUN_UL_CELL_COLUMNS if cfg.slots.uplink.enabled else ())]


CONTROL_LOAD_TAU_S = 0.2
"""Averaging time of the PRB utilisation that the control plane's interference assumes
[s]: the 200 ms evaluation period of radio-link monitoring (TS 38.133 8.1.2, T_Evaluate_out
without DRX)."""


def run_mobile_calls(cfg: ScenarioConfig, *, progress: ProgressCallback | None = None) -> CallRun:
    """Simulate every drop of ``cfg`` (mobility + slot-level video calls); ``progress(done,
    total)`` counts mobility steps."""
    return _run_drops(cfg, progress=progress, slot_columns=False)


def _run_drops(cfg: ScenarioConfig, *, progress: ProgressCallback | None, slot_columns: bool,
               slot_meta: list[dict[str, Any]] | None = None) -> CallRun:
    """The drops of a call run; ``slot_columns`` adds the static slot run's per-UE and
    per-cell columns (:func:`_slot_ue_columns`, :func:`_slot_cell_columns`) to the tables and
    allows full-buffer and FTP traffic (static slot runs); ``slot_meta`` gets per drop its
    meta plus ``mcs_hist_dl`` / ``mcs_hist_ul`` and the FTP ``files`` log (None otherwise)."""
    check_call_config(cfg, static_slot_run=slot_columns)
    video = cfg.slots.traffic.model == "video_call"
    # full-buffer and FTP slot runs of static UEs have no radio-link failure (the static slot
    # engine's model): cell-edge UEs below Qout for T310 would otherwise stop transmitting
    no_link_monitoring = slot_columns and not video
    layout = build_layout(cfg)
    params = handover_params(cfg)
    tr = cfg.slots.traffic
    n_steps = int(round(cfg.mobility.duration_s / (cfg.mobility.step_ms / 1e3)))
    total = cfg.drops * n_steps
    done = 0
    ue_frames, ev_frames, cell_frames = [], [], []
    for drop in range(cfg.drops):
        md = motion_drop(cfg, drop, layout)
        dr = _Drop(cfg, md, layout.n_cells)
        all_tx = np.ones(dr.n_ue, dtype=bool)
        hstate = None
        # the control plane (radio-link monitoring, handover command and random access) sees
        # the cells' measured DL PRB utilisation, averaged over CONTROL_LOAD_TAU_S, as the
        # activity of the interferers; it starts at radio.load
        cp_load = np.full(layout.n_cells, float(cfg.radio.load))
        a_load = min(cfg.mobility.step_ms / 1e3 / CONTROL_LOAD_TAU_S, 1.0)
        rlf_until = None  # re-establishment deadlines seen so far [ue]: a new one is a new failure
        cells = None  # the sparse form: each UE's candidate cells [ue, m] (hstate's columns)
        if md.state.sparse:
            steps = link_steps(cfg, md, params, cp_load)
        else:
            steps = ((k, t, upd, rx, None, h) for k, t, upd, rx, h in mobility_steps(cfg, md, params, load=cp_load))
        for k, t_s, updated, rx_dbm, cells, hstate in steps:
            if updated:
                dr.channel(rx_dbm, cells)
            lost = None if rlf_until is None else hstate.in_rlf_until_s != rlf_until
            rlf_until = hstate.in_rlf_until_s.copy()
            if no_link_monitoring:  # every UE keeps its cell and transmits (as nrsim.engine.slots)
                lost, can_tx = None, all_tx
            else:
                can_tx = hstate.transmitting(t_s)
            dr.serve(hstate.serving if cells is None else cells_of(hstate.serving, cells), lost)
            dr.run_step(k, np.ascontiguousarray(can_tx))
            cp_load += a_load * (dr.last_util - cp_load)
            done += 1
            if progress is not None and (k % 50 == 0 or k == md.n_steps - 1):
                progress(done, total)
        if hstate is None:
            raise ConfigError("mobility.duration_s is shorter than one step", field="mobility.duration_s")
        if cells is not None:
            to_cells(hstate, cells)
        ue, ev = drop_tables(md, hstate)
        extra_ue = _slot_ue_columns(dr, cfg.slots.warmup_slots) if slot_columns else {}
        if slot_meta is not None:
            hist_dl, hist_ul = mcs_histograms(dr)
            files = None
            if cfg.slots.traffic.model == "ftp3":
                log = dr.packet_log(ck.DL)
                files = FileLog(ue=log.ue, arrival_s=log.arrival_s, size_bits=log.size_bits,
                                completion_s=log.completion_s)
            slot_meta.append({**_slot_drop_meta(dr), "mcs_hist_dl": hist_dl, "mcs_hist_ul": hist_ul, "files": files})
        dr.release_slot_state()  # the fading bank, HARQ and channel arrays are no longer needed
        md.traj_xy_m = None
        t0 = cfg.slots.warmup_slots * dr.slot_s
        t1 = dr.n_slots * dr.slot_s
        ue["call"] = dr.call
        ue["indoor"] = md.state.ues.indoor
        for col, v in _link_columns(dr, t1 - t0).items():
            ue[col] = v
        if video:
            _call_table_columns(ue, dr, t0, t1, tr)
        for name, v in extra_ue.items():
            ue[name] = v
        ue_frames.append(ue)
        ev_frames.append(ev)
        ca = dr.cell_acc
        with np.errstate(invalid="ignore", divide="ignore"):
            cell_df = pd.DataFrame({
                "drop": drop, "cell": np.arange(layout.n_cells), "site": layout.cell_site,
                "final_n_ue": np.bincount(hstate.serving, minlength=layout.n_cells),
                "prb_utilisation": ca[ck.DL, :, 0] / ca[ck.DL, :, 1],
                "ul_prb_utilisation": ca[ck.UL, :, 0] / ca[ck.UL, :, 1],
            })
        if slot_columns:
            for name, v in _slot_cell_columns(cfg, dr, ue, t1 - t0).items():
                cell_df[name] = v
        cell_frames.append(cell_df)
    ue_df = pd.concat(ue_frames, ignore_index=True)
    ev_df = pd.concat(ev_frames, ignore_index=True)
    cell_df = pd.concat(cell_frames, ignore_index=True)
    kpis = {"mobility": mobility_kpis(ue_df, ev_df, cfg.mobility.duration_s)}
    if video:
        kpis["calls"] = call_kpis(cfg, ue_df, n_cells_total=int(layout.n_cells * cfg.drops))
    return CallRun(ue=ue_df, events=ev_df, cell=cell_df, kpis=kpis)


def _call_table_columns(ue: pd.DataFrame, dr: _Drop, t0: float, t1: float, tr) -> None:
    """The DL and UL call KPI columns (:func:`nrsim.kpi.video.call_columns`) into ``ue``."""
    kw = dict(max_loss=tr.call_max_frame_loss, max_p95_delay_s=tr.call_max_p95_delay_s)
    dl_cols = call_columns(dr.packet_log(ck.DL), dr.call, t0, t1, **kw)
    ul_cols = call_columns(dr.packet_log(ck.UL), dr.call, t0, t1, **kw)
    for name, v in dl_cols.items():
        if name not in ("call", "call_satisfied"):
            ue[name] = v
    for name, v in ul_cols.items():
        if name not in ("call", "call_satisfied"):
            ue[f"ul_{name}"] = v
    ue["dl_call_satisfied"] = dl_cols["call_satisfied"]
    # without an uplink only the DL is judged (the UL columns stay NaN)
    ue["ul_call_satisfied"] = ul_cols["call_satisfied"] if dr.ul_on else dr.call.copy()
    ue["call_satisfied"] = ue["dl_call_satisfied"].to_numpy() & ue["ul_call_satisfied"].to_numpy()
