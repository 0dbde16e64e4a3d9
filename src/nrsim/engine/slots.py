"""Slot-level downlink (and optionally uplink) simulation on top of a large-scale drop.

Per drop: the large-scale drop (:mod:`nrsim.engine.slot_setup`), fast-fading traces
(:mod:`nrsim.channel.fading`), then ``slots.n_slots`` slots. In each DL slot:

1. CSI reports measured ``cqi_delay_slots`` ago become the gNB's knowledge.
2. Pending HARQ retransmissions take their original RBGs (earliest first).
3. The scheduler (:mod:`nrsim.scheduler`) allocates the free RBGs among eligible UEs, from
   the rate each UE could carry per RBG: reported subband CQI -> SINR (the CQI's 10 %-BLER
   threshold) - OLLA offset -> MCS -> bits.
4. New TBs: MCS for the PRB-weighted mean of the estimated SINR of the allocated RBGs,
   TBS by TS 38.214 5.1.3.2, payload from the UE's buffer.
5. Per-PRB SINR with the slot's fast fading and the actual activity of the modelled
   interferers, EESM per transmission, chase combining, TB BLER, HARQ outcome, OLLA update.
6. UEs due to report measure per-subband CQI (TS 38.214 5.2.2.1, subband = RBG).

UL slots (``slots.uplink.enabled``): PUSCH with open-loop fractional power control (TS 38.213
7.1.1, :mod:`nrsim.radio.uplink`), up to ``uplink.max_ues_per_slot`` UEs per cell on equal
contiguous shares of the band, SINR at the gNB with interference from the UEs scheduled in
other cells, MCS from the gNB's estimate (power control, path loss, the cell's average
interference) with OLLA, HARQ as in the DL. Uplink traffic is full buffer.

Simplifications (docs/slots.md): single layer (rank 1, SISO); HARQ feedback and OLLA act in
the slot of the transmission (decoding delay not modelled beyond the retransmission RTT); a
CSI measurement in a slot without DL uses the interference of the last DL slot.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from nrsim.channel.fading import assign_link_traces, build_fading_bank
from nrsim.channel.fading.bank import LinkTraces
from nrsim.channel.fading.cdl import CDL_MODEL, CdlTraces, cdl_slot_fading
from nrsim.config.schema import ScenarioConfig
from nrsim.engine import slot_kernels as sk
from nrsim.engine.slot_harq import HarqEntity
from nrsim.engine.calls import UL_INTERFERENCE_FORGET
from nrsim.engine.slot_run import ProgressCallback, SlotDropResult, SlotRun, slot_run_meta
from nrsim.engine.slot_setup import SlotDrop, slot_drop
from nrsim.engine.snapshot import build_layout, channel_params
from nrsim.kpi.slot_metrics import file_columns
from nrsim.link.level import link_level
from nrsim.link.frame import (
    numerology_mu,
    prb_bandwidth_hz,
    prb_centre_frequencies_hz,
    rbg_of_prb,
    slot_duration_s,
    slot_pattern,
)
from nrsim.link.numerology import n_rb
from nrsim.link.tbs import n_re_per_prb, transport_block_size
from nrsim.radio.link_budget import noise_power_dbm
from nrsim.radio.uplink import pusch_tx_power_dbm
from nrsim.rng import stream
from nrsim.scheduler.metric import policy_metric_array as ul_metric
from nrsim.scheduler.metric import scheduler_params
from nrsim.scheduler import (
    MaxCI,
    ProportionalFair,
    QosAware,
    RoundRobin,
    Scheduler,
    SchedulerInput,
    load_scheduler_plugin,
    validate_allocation,
)
from nrsim.traffic import FtpModel3, FullBuffer, QosPackets, video_call_packets
from nrsim.units import db_to_lin, lin_to_db

PROGRESS_CALLS = 400
"""About this many progress calls per run."""


def make_scheduler(cfg: ScenarioConfig, n_ue: int, traffic=None) -> Scheduler:
    """The configured DL scheduler (``qos`` reads the head-of-line packets of ``traffic``)."""
    s = cfg.slots.scheduler
    if s.name == "pf":
        return ProportionalFair(
            n_ue, time_constant_slots=s.pf_time_constant_slots, alpha=s.pf_alpha, beta=s.pf_beta,
            max_ues_per_slot=s.max_ues_per_slot,
        )
    if s.name == "rr":
        return RoundRobin(n_ue, max_ues_per_slot=s.max_ues_per_slot)
    if s.name == "max_ci":
        return MaxCI(n_ue, max_ues_per_slot=s.max_ues_per_slot)
    if s.name == "qos":
        hol = getattr(traffic, "head_of_line", None)
        return QosAware(
            n_ue, head_of_line=hol, edf=s.qos_edf, time_constant_slots=s.pf_time_constant_slots, max_ues_per_slot=s.max_ues_per_slot,
            alpha=s.pf_alpha, beta=s.pf_beta,
        )
    return load_scheduler_plugin(str(s.plugin), n_ue, dict(s.plugin_params))


def _fading(cfg: ScenarioConfig, sd: SlotDrop, freqs_hz, slot_s: float) -> tuple[np.ndarray, LinkTraces | CdlTraces]:
    fad = cfg.slots.fading
    n_ue, n_link = sd.link_cell.shape
    if not fad.enabled:
        bank = np.ones((1, freqs_hz.size), dtype=np.float32)
        z = np.zeros((n_ue, n_link), dtype=np.int64)
        return bank, LinkTraces(base_row=z, offset=z.copy(), period=np.ones_like(z))
    v_in = fad.ue_speed_kmh
    v_out = fad.outdoor_ue_speed_kmh if fad.outdoor_ue_speed_kmh is not None else v_in
    speeds = np.unique(np.array([v_in, v_out]))
    ue_speed = np.where(sd.indoor, v_in, v_out)
    if fad.model == CDL_MODEL:
        return cdl_slot_fading(cfg, channel_params(cfg), sd.ues, sd.layout, sd.los, sd.shadow_fading_db, sd.link_cell, ue_speed,
                               freqs_hz, slot_s, drop=sd.drop)
    cls = np.searchsorted(speeds, ue_speed)
    bank = build_fading_bank(
        fad.model, fad.delay_spread_ns * 1e-9, freqs_hz, speeds, cfg.channel.fc_ghz, slot_s,
        rows_budget=fad.bank_rows, rng=stream(cfg.seed, "slots/fading_bank", drop=sd.drop),
    )
    traces = assign_link_traces(
        bank, np.broadcast_to(cls[:, None], (n_ue, n_link)),
        rng=stream(cfg.seed, "slots/fading_links", drop=sd.drop),
    )
    return bank.gain_lin, traces


class _SlotSimulation:
    """State and per-slot steps of one drop (arrays over all UEs; no loop per UE)."""

    def __init__(self, cfg: ScenarioConfig, sd: SlotDrop) -> None:
        self.cfg = cfg
        self.sd = sd
        sc = cfg.slots
        radio = cfg.radio
        self.n_ue, self.n_cells = sd.n_ue, sd.n_cells
        self.mu = numerology_mu(radio.scs_khz)
        self.slot_s = slot_duration_s(radio.scs_khz)
        self.n_prb = n_rb(radio.bandwidth_mhz, radio.scs_khz, cfg.channel.fc_ghz)
        prb_rbg = rbg_of_prb(self.n_prb, sc.rbg_config)
        self.n_rbg = int(prb_rbg[-1]) + 1
        self.rbg_first_prb = np.searchsorted(prb_rbg, np.arange(self.n_rbg + 1)).astype(np.int64)
        self.rbg_n_prb = np.diff(self.rbg_first_prb)
        self.pattern = slot_pattern(sc.duplex, sc.tdd_pattern, sc.special_dl_symbols)
        self.ll = link_level(sc.link_adaptation.mcs_table)
        la = sc.link_adaptation
        # powers per PRB
        self.p_prb_mw = float(db_to_lin(radio.tx_power_dbm)) / self.n_prb
        prb_hz = prb_bandwidth_hz(radio.scs_khz)
        self.noise_prb_mw = float(db_to_lin(noise_power_dbm(prb_hz, radio.ue_noise_figure_db)))
        gain_lin = db_to_lin(sd.coupling_gain_db)  # [ue, cell]
        self.gain_lin = np.ascontiguousarray(gain_lin)
        rows = np.arange(self.n_ue)[:, None]
        self.link_cell = np.ascontiguousarray(sd.link_cell)
        self.link_rx_mw = np.ascontiguousarray(self.p_prb_mw * gain_lin[rows, sd.link_cell])
        resid = gain_lin.copy()
        resid[rows, sd.link_cell] = 0.0
        self.resid_gain_lin = resid  # [ue, cell], zero on modelled links
        self.serving = np.ascontiguousarray(sd.serving_cell)
        freqs = prb_centre_frequencies_hz(self.n_prb, radio.scs_khz)
        self.bank, self.traces = _fading(cfg, sd, freqs, self.slot_s)
        # CSI: reported CQI per subband (= RBG), delayed through a ring of measurements
        self.cqi_delay = max(int(la.cqi_delay_slots), 1)
        self.csi_ring = np.zeros((self.cqi_delay + 1, self.n_ue, self.n_rbg), dtype=np.int64)
        self.csi_ring_ok = np.zeros((self.cqi_delay + 1, self.n_ue), dtype=bool)
        self.reported_cqi = np.zeros((self.n_ue, self.n_rbg), dtype=np.int64)
        self.cqi_thr_lin = db_to_lin(self.ll.cqi_thr_db)
        self.last_active = np.ones((self.n_cells, self.n_rbg), dtype=bool)
        self.harq = HarqEntity(
            self.n_ue, la.harq_processes, self.n_rbg, max_transmissions=la.harq_max_transmissions,
            rtt_slots=la.harq_rtt_slots, mcs_table_index=la.mcs_table, olla=la.olla,
            olla_target_bler=la.olla_target_bler, olla_step_db=la.olla_step_db,
            olla_max_offset_db=la.olla_max_offset_db,
        )
        tr = sc.traffic
        if tr.model == "ftp3":
            self.traffic: FullBuffer | FtpModel3 | QosPackets = FtpModel3(
                self.n_ue, file_size_bits=8.0 * tr.ftp_file_size_bytes,
                arrival_rate_hz=tr.ftp_arrival_rate_hz, duration_s=sc.n_slots * self.slot_s,
                rng=stream(cfg.seed, "slots/traffic", drop=sd.drop),
            )
        elif tr.model == "video_call":
            self.call = stream(cfg.seed, "slots/call_ues", drop=sd.drop).random(self.n_ue) >= tr.background_ftp_share
            self.traffic = video_call_packets(
                self.call, sc.n_slots * self.slot_s, fps=tr.video_fps, bitrate_bps=tr.video_bitrate_bps,
                size_cv=tr.video_size_cv, voice=tr.voice, video_pdb_s=tr.video_pdb_s, voice_pdb_s=tr.voice_pdb_s,
                ftp_file_size_bits=8.0 * tr.ftp_file_size_bytes, ftp_arrival_rate_hz=tr.ftp_arrival_rate_hz,
                rng=stream(cfg.seed, "slots/traffic", drop=sd.drop),
            )
        else:
            self.traffic = FullBuffer(self.n_ue)
        self.scheduler = make_scheduler(cfg, self.n_ue, self.traffic)
        self.rng_dl = stream(cfg.seed, "slots/harq_dl", drop=sd.drop)
        self.rng_ul = stream(cfg.seed, "slots/harq_ul", drop=sd.drop)
        n, nm = self.n_ue, self.ll.mcs_thr_db.size
        # KPI accumulators over the measurement window (slots >= warmup)
        self.acc = {
            "dl_bits": np.zeros(n), "dl_first_tx": np.zeros(n), "dl_first_nack": np.zeros(n),
            "dl_tx": np.zeros(n), "dl_dropped": np.zeros(n), "dl_tbs_started": np.zeros(n),
            "dl_mcs_sum": np.zeros(n), "dl_prb_sum": np.zeros(n), "dl_sched_slots": np.zeros(n),
            "csi_sinr_db_sum": np.zeros(n), "csi_n": np.zeros(n),
            "ul_bits": np.zeros(n), "ul_first_tx": np.zeros(n), "ul_first_nack": np.zeros(n),
            "ul_tx": np.zeros(n), "ul_power_dbm_sum": np.zeros(n), "ul_power_dbm_max": np.full(n, -np.inf),
            "ul_sinr_db_sum": np.zeros(n), "ul_mcs_sum": np.zeros(n),
        }
        self.cell_acc = {
            "dl_prb_used": np.zeros(self.n_cells), "dl_prb_avail": np.zeros(self.n_cells),
            "ul_prb_used": np.zeros(self.n_cells), "ul_prb_avail": np.zeros(self.n_cells),
        }
        self.mcs_hist_dl = np.zeros(nm, dtype=np.int64)
        self.mcs_hist_ul = np.zeros(nm, dtype=np.int64)
        self.n_dl_slots = 0
        self.n_ul_slots = 0
        # uplink
        ul = sc.uplink
        self.ul_enabled = bool(ul.enabled)
        if self.ul_enabled:
            self.ul_harq = HarqEntity(
                self.n_ue, la.harq_processes, self.n_rbg, max_transmissions=la.harq_max_transmissions,
                rtt_slots=la.harq_rtt_slots, mcs_table_index=la.mcs_table, olla=la.olla,
                olla_target_bler=la.olla_target_bler, olla_step_db=la.olla_step_db,
                olla_max_offset_db=la.olla_max_offset_db,
            )
            self.ul_noise_prb_mw = float(db_to_lin(noise_power_dbm(prb_hz, ul.bs_noise_figure_db)))
            self.ul_i_avg_mw = np.zeros(self.n_cells)
            self.ul_avg_bps = np.ones(self.n_ue)
            self.ul_last_served = np.full(self.n_ue, -1, dtype=np.int64)
            # the UL runs the compiled built-in policies (a plugin or qos: PF)
            s = sc.scheduler
            self.ul_sched = scheduler_params(s if s.name in ("pf", "rr", "max_ci") else s.model_copy(update={"name": "pf"}))
            self.pathloss_db = -sd.coupling_gain_db[np.arange(self.n_ue), self.serving]
            # the desired signal after maximum-ratio combining over the gNB's receive antennas
            self.serving_gain_lin = np.ascontiguousarray(gain_lin[np.arange(self.n_ue), self.serving] * ul.bs_rx_antennas)

    # -- helpers ---------------------------------------------------------------------------
    def _rows(self, slot: int) -> NDArray[np.int64]:
        return np.ascontiguousarray(self.traces.rows(slot))

    def _resid_mw(self, active: NDArray[np.bool_]) -> NDArray[np.float64]:
        util = (active * self.rbg_n_prb).sum(axis=1) / self.n_prb  # [cell]
        return np.ascontiguousarray(self.resid_gain_lin @ (self.p_prb_mw * util))

    def _cell_union(self, ues: NDArray[np.int64], rbg: NDArray[np.bool_]) -> NDArray[np.bool_]:
        """[cell, rbg]: RBGs that any of ``ues`` (allocations ``rbg`` [ue, rbg]) uses in its cell."""
        onehot = np.zeros((self.n_cells, ues.size))
        onehot[self.serving[ues], np.arange(ues.size)] = 1.0
        return (onehot @ rbg) > 0.0

    def measure_csi(self, slot: int, ues: NDArray[np.int64]) -> None:
        """Subband CQI of ``ues`` in ``slot`` (interference of the last DL slot's activity)."""
        if ues.size == 0:
            return
        active = self.last_active
        cqi = np.empty((ues.size, self.n_rbg), dtype=np.int64)
        wb = np.empty(ues.size)
        sk.csi_measure(
            ues, self.rbg_first_prb, self.link_cell, self.link_rx_mw, self._rows(slot), self.bank,
            active, self._resid_mw(active), self.noise_prb_mw, self.cqi_thr_lin,
            np.ascontiguousarray(self.ll.cqi_beta), cqi, wb,
        )
        i = slot % (self.cqi_delay + 1)
        self.csi_ring[i, ues] = cqi
        self.csi_ring_ok[i] = False
        self.csi_ring_ok[i, ues] = True
        if slot >= self.cfg.slots.warmup_slots:
            self.acc["csi_sinr_db_sum"][ues] += lin_to_db(wb)
            self.acc["csi_n"][ues] += 1

    def apply_reports(self, slot: int) -> None:
        src = slot - self.cqi_delay
        if src < 0:
            return
        i = src % (self.cqi_delay + 1)
        ok = self.csi_ring_ok[i]
        self.reported_cqi[ok] = self.csi_ring[i, ok]
        self.csi_ring_ok[i] = False

    # -- downlink --------------------------------------------------------------------------
    def dl_slot(self, slot: int, n_symb: int) -> None:
        sc = self.cfg.slots
        ll = self.ll
        n_re = int(n_re_per_prb(n_symb, sc.dmrs_re_per_prb, sc.xoverhead_re_per_prb))
        self.traffic.advance_to(slot * self.slot_s)
        rows = self._rows(slot)
        # 1. retransmissions first, on their own RBGs
        r_ue, r_proc = self.harq.retx_candidates(slot, n_symb)
        ok, reserved = sk.reserve_retx(
            r_ue, np.ascontiguousarray(self.harq.rbg[r_ue, r_proc]), self.serving, self.n_cells, self.n_rbg
        )
        rx_ue, rx_proc = r_ue[ok], r_proc[ok]
        # 2. new transmissions
        queued = self.traffic.queued_bits()
        eligible = self.harq.has_free_process() & (queued > 0)
        eligible[rx_ue] = False
        est_db = ll.cqi_sinr_db[self.reported_cqi] - self.harq.olla_offset_db[:, None]  # [ue, rbg]
        rate_bits = ll.mcs_se[ll.mcs_for_sinr(est_db)] * (n_re * self.rbg_n_prb)[None, :]
        inp = SchedulerInput(
            slot=slot, slot_duration_s=self.slot_s, serving_cell=self.serving, n_cells=self.n_cells,
            rate_bits=rate_bits, available=~reserved, eligible=eligible, buffer_bits=queued,
        )
        alloc = validate_allocation(self.scheduler.allocate(inp), inp)
        new_ue = np.flatnonzero(alloc.any(axis=1))
        w = alloc[new_ue] * self.rbg_n_prb[None, :]
        n_prb_new = w.sum(axis=1)
        scheduled = np.zeros(self.n_ue)
        if new_ue.size:
            est_eff = (est_db[new_ue] * w).sum(axis=1) / n_prb_new
            mcs = ll.mcs_for_sinr(est_eff)
            tbs = transport_block_size(
                n_prb_new, ll.mcs_qm[mcs], ll.mcs_r_x1024[mcs], n_symb_sh=n_symb,
                n_dmrs_re_per_prb=sc.dmrs_re_per_prb, n_oh_re_per_prb=sc.xoverhead_re_per_prb,
            )
            payload = np.minimum(tbs.astype(np.float64), queued[new_ue])
            take = np.zeros(self.n_ue)
            take[new_ue] = payload
            self.traffic.take(take)
            scheduled = take
            new_proc = self.harq.start(new_ue, mcs, tbs, payload, n_symb, alloc[new_ue])
        else:
            new_proc = np.zeros(0, dtype=np.int64)
        # 3. activity of every cell per RBG in this slot
        active = reserved | self._cell_union(new_ue, alloc[new_ue])
        # 4. SINR of every transmission, HARQ outcome
        tx_ue = np.concatenate([rx_ue, new_ue]).astype(np.int64)
        tx_proc = np.concatenate([rx_proc, new_proc]).astype(np.int64)
        if tx_ue.size:
            eff = np.empty(tx_ue.size)
            nprb = np.empty(tx_ue.size, dtype=np.int64)
            sk.dl_tx_sinr(
                tx_ue, np.ascontiguousarray(self.harq.rbg[tx_ue, tx_proc]),
                np.ascontiguousarray(ll.mcs_beta[self.harq.mcs[tx_ue, tx_proc]]),
                self.rbg_first_prb, self.link_cell, self.link_rx_mw, rows, self.bank, active,
                self._resid_mw(active), self.noise_prb_mw, eff, nprb,
            )
            mcs_tx = self.harq.mcs[tx_ue, tx_proc].copy()
            u = self.rng_dl.random(self.n_ue)
            out = self.harq.transmit(tx_ue, tx_proc, eff, slot, u[tx_ue])
            ack_bits = np.zeros(self.n_ue)
            ack_bits[tx_ue[out.ack]] = out.payload_bits[out.ack]
            back = np.zeros(self.n_ue)
            back[tx_ue[out.dropped]] = out.payload_bits[out.dropped]
            self.traffic.give_back(back)
            self.traffic.deliver(ack_bits, (slot + 1) * self.slot_s)
            if slot >= sc.warmup_slots:
                # a UE has at most one transmission per slot: plain fancy-index updates
                a = self.acc
                a["dl_bits"] += ack_bits
                a["dl_tx"][tx_ue] += 1.0
                a["dl_prb_sum"][tx_ue] += nprb
                a["dl_sched_slots"][tx_ue] += 1.0
                f = out.first
                a["dl_first_tx"][tx_ue[f]] += 1.0
                a["dl_first_nack"][tx_ue[f & ~out.ack]] += 1.0
                a["dl_mcs_sum"][tx_ue[f]] += mcs_tx[f]
                a["dl_dropped"][tx_ue[out.dropped]] += 1.0
                self.mcs_hist_dl += np.bincount(mcs_tx[f], minlength=self.mcs_hist_dl.size)
        if slot >= sc.warmup_slots:
            self.cell_acc["dl_prb_used"] += (active * self.rbg_n_prb).sum(axis=1)
            self.cell_acc["dl_prb_avail"] += self.n_prb
            self.acc["dl_tbs_started"][new_ue] += 1.0
            self.n_dl_slots += 1
        self.scheduler.update(inp, scheduled)
        self.last_active = active

    # -- uplink ----------------------------------------------------------------------------
    def ul_slot(self, slot: int) -> None:
        sc = self.cfg.slots
        ul = sc.uplink
        ll = self.ll
        n_symb = 14
        n_re = int(n_re_per_prb(n_symb, sc.dmrs_re_per_prb, 0))
        rows = self._rows(slot)
        h = self.ul_harq
        r_ue, r_proc = h.retx_candidates(slot, n_symb)
        ok, reserved = sk.reserve_retx(r_ue, np.ascontiguousarray(h.rbg[r_ue, r_proc]), self.serving, self.n_cells, self.n_rbg)
        rx_ue, rx_proc = r_ue[ok], r_proc[ok]
        eligible = h.has_free_process()
        eligible[rx_ue] = False
        n_retx_cell = np.bincount(self.serving[rx_ue], minlength=self.n_cells)
        quota = np.maximum(ul.max_ues_per_slot - n_retx_cell, 0)
        serv_in_mw = self.ul_i_avg_mw[self.serving] + self.ul_noise_prb_mw
        m_ref_prb = max(self.n_prb / ul.max_ues_per_slot, 1.0)
        p_ref_dbm = pusch_tx_power_dbm(ul.p0_dbm, ul.alpha, self.pathloss_db, m_ref_prb, self.mu, ul.p_max_dbm)
        est_ref_db = p_ref_dbm - lin_to_db(m_ref_prb) + lin_to_db(self.serving_gain_lin / serv_in_mw) - h.olla_offset_db
        se_bit_per_re = ll.mcs_se[ll.mcs_for_sinr(est_ref_db)]  # wideband rate proxy
        rate_bps = se_bit_per_re * (n_re * self.n_prb / self.slot_s)
        metric = ul_metric(self.ul_sched, rate_bps, self.ul_avg_bps, (slot - self.ul_last_served).astype(np.float64))
        metric = np.where(eligible, metric, -np.inf)
        order = np.lexsort((np.arange(self.n_ue), -metric, self.serving))
        cell_sorted = self.serving[order]
        first_of_cell = np.searchsorted(cell_sorted, np.arange(self.n_cells))
        rank = np.arange(self.n_ue) - first_of_cell[cell_sorted]
        pick = (rank < quota[cell_sorted]) & np.isfinite(metric[order])
        sel = order[pick]
        masks = sk.split_contiguous(self.serving[sel].astype(np.int64), reserved)
        keep = masks.any(axis=1)
        new_ue, masks = sel[keep], masks[keep]
        scheduled = np.zeros(self.n_ue)
        if new_ue.size:
            m_new_prb = (masks * self.rbg_n_prb[None, :]).sum(axis=1)
            p_dbm = pusch_tx_power_dbm(ul.p0_dbm, ul.alpha, self.pathloss_db[new_ue], m_new_prb, self.mu, ul.p_max_dbm)
            est = p_dbm - lin_to_db(m_new_prb) + lin_to_db(self.serving_gain_lin[new_ue] / serv_in_mw[new_ue]) - h.olla_offset_db[new_ue]
            mcs = ll.mcs_for_sinr(est)
            tbs = transport_block_size(
                m_new_prb, ll.mcs_qm[mcs], ll.mcs_r_x1024[mcs], n_symb_sh=n_symb,
                n_dmrs_re_per_prb=sc.dmrs_re_per_prb, n_oh_re_per_prb=0,
            )
            new_proc = h.start(new_ue, mcs, tbs, tbs.astype(np.float64), n_symb, masks)
            scheduled[new_ue] = tbs
        else:
            new_proc = np.zeros(0, dtype=np.int64)
        tx_ue = np.concatenate([rx_ue, new_ue]).astype(np.int64)
        tx_proc = np.concatenate([rx_proc, new_proc]).astype(np.int64)
        active = reserved | self._cell_union(new_ue, masks)
        if tx_ue.size:
            tx_rbg = np.ascontiguousarray(h.rbg[tx_ue, tx_proc])
            m_tx_prb = (tx_rbg * self.rbg_n_prb[None, :]).sum(axis=1)
            p_dbm = pusch_tx_power_dbm(ul.p0_dbm, ul.alpha, self.pathloss_db[tx_ue], m_tx_prb, self.mu, ul.p_max_dbm)
            p_prb_mw = np.ascontiguousarray(db_to_lin(p_dbm) / m_tx_prb)
            i_mw = np.empty((self.n_cells, self.n_prb))
            sk.ul_interference(tx_ue, tx_rbg, p_prb_mw, self.rbg_first_prb, self.serving, self.gain_lin,
                               self.link_cell, rows, self.bank, self.n_prb, i_mw)
            eff = np.empty(tx_ue.size)
            mean = np.empty(tx_ue.size)
            mcs_tx = h.mcs[tx_ue, tx_proc].copy()
            sk.ul_tx_sinr(tx_ue, tx_rbg, p_prb_mw, np.ascontiguousarray(ll.mcs_beta[mcs_tx]), self.rbg_first_prb,
                          self.serving, self.serving_gain_lin, rows, self.bank, i_mw, self.ul_noise_prb_mw, eff, mean)
            u = self.rng_ul.random(self.n_ue)
            out = h.transmit(tx_ue, tx_proc, eff, slot, u[tx_ue])
            # the gNB's interference estimate per cell: EWMA of the mean over PRBs
            self.ul_i_avg_mw *= 1.0 - UL_INTERFERENCE_FORGET
            self.ul_i_avg_mw += UL_INTERFERENCE_FORGET * i_mw.mean(axis=1)
            if slot >= sc.warmup_slots:
                a = self.acc
                ack_bits = np.where(out.ack, out.payload_bits, 0.0)
                a["ul_bits"][tx_ue] += ack_bits
                a["ul_tx"][tx_ue] += 1.0
                a["ul_power_dbm_sum"][tx_ue] += p_dbm
                a["ul_power_dbm_max"][tx_ue] = np.maximum(a["ul_power_dbm_max"][tx_ue], p_dbm)
                a["ul_sinr_db_sum"][tx_ue] += lin_to_db(mean)
                f = out.first
                a["ul_first_tx"][tx_ue[f]] += 1.0
                a["ul_first_nack"][tx_ue[f & ~out.ack]] += 1.0
                a["ul_mcs_sum"][tx_ue[f]] += mcs_tx[f]
                self.mcs_hist_ul += np.bincount(mcs_tx[f], minlength=self.mcs_hist_ul.size)
        if slot >= sc.warmup_slots:
            self.cell_acc["ul_prb_used"] += (active * self.rbg_n_prb).sum(axis=1)
            self.cell_acc["ul_prb_avail"] += self.n_prb
            self.n_ul_slots += 1
        k = 1.0 / sc.scheduler.pf_time_constant_slots
        self.ul_avg_bps *= 1.0 - k
        self.ul_avg_bps += k * scheduled / self.slot_s
        self.ul_last_served[scheduled > 0] = slot

    # -- the run ---------------------------------------------------------------------------
    def run(self, progress: Callable[[int], None] | None = None) -> None:
        sc = self.cfg.slots
        period = sc.link_adaptation.cqi_period_slots
        ue_ids = np.arange(self.n_ue, dtype=np.int64)
        # an initial report of every UE at slot 0, against fully loaded cells
        self.measure_csi(0, ue_ids)
        self.reported_cqi[:] = self.csi_ring[0]
        self.csi_ring_ok[:] = False
        ctrl = sc.control_symbols
        pat = self.pattern
        every = max(1, sc.n_slots // PROGRESS_CALLS)
        for t in range(sc.n_slots):
            k = t % pat.period
            self.apply_reports(t)
            n_symb = int(pat.dl_symbols[k]) - ctrl
            if n_symb > 0 and n_re_per_prb(n_symb, sc.dmrs_re_per_prb, sc.xoverhead_re_per_prb) > 0:
                self.dl_slot(t, n_symb)
            if self.ul_enabled and pat.ul[k]:
                self.ul_slot(t)
            due = ue_ids[(t - ue_ids) % period == 0]
            self.measure_csi(t, due)
            if progress is not None and ((t + 1) % every == 0 or t + 1 == sc.n_slots):
                progress(t + 1)

    def result(self) -> SlotDropResult:
        sc = self.cfg.slots
        cfg = self.cfg
        n_meas = sc.n_slots - sc.warmup_slots
        t_meas = n_meas * self.slot_s
        a = self.acc
        n = self.n_ue
        with np.errstate(invalid="ignore", divide="ignore"):
            ue = {
                "drop": np.full(n, self.sd.drop, dtype=np.int64),
                "ue": np.arange(n, dtype=np.int64),
                "serving_cell": self.serving.copy(),
                "indoor": self.sd.indoor.copy(),
                "coupling_loss_db": -self.sd.coupling_gain_db[np.arange(n), self.serving],
                "geometry_sinr_db": self._geometry_sinr_db(),
                "mean_sinr_db": a["csi_sinr_db_sum"] / a["csi_n"],
                "throughput_bps": a["dl_bits"] / t_meas,
                "bler_first_tx": a["dl_first_nack"] / a["dl_first_tx"],
                "residual_bler": a["dl_dropped"] / np.maximum(a["dl_first_tx"], 1.0),
                "mean_mcs": a["dl_mcs_sum"] / a["dl_first_tx"],
                "prb_per_slot": a["dl_prb_sum"] / max(self.n_dl_slots, 1),
                "scheduled_share": a["dl_sched_slots"] / max(self.n_dl_slots, 1),
                "first_transmissions": a["dl_first_tx"].astype(np.int64),
                "transmissions": a["dl_tx"].astype(np.int64),
                "olla_offset_db": self.harq.olla_offset_db.copy(),
            }
            if self.ul_enabled:
                ue.update({
                    "ul_throughput_bps": a["ul_bits"] / t_meas,
                    "ul_bler_first_tx": a["ul_first_nack"] / a["ul_first_tx"],
                    "ul_mean_mcs": a["ul_mcs_sum"] / a["ul_first_tx"],
                    "ul_mean_sinr_db": a["ul_sinr_db_sum"] / a["ul_tx"],
                    "ul_mean_tx_power_dbm": a["ul_power_dbm_sum"] / a["ul_tx"],
                    "ul_max_tx_power_dbm": np.where(a["ul_tx"] > 0, a["ul_power_dbm_max"], np.nan),
                    "ul_transmissions": a["ul_tx"].astype(np.int64),
                })
        files = None
        if isinstance(self.traffic, FtpModel3):
            log = self.traffic.file_log()
            files = log
            ue.update(file_columns(log, n, sc.warmup_slots * self.slot_s))
        packets = None
        if isinstance(self.traffic, QosPackets):
            from nrsim.kpi.video import call_columns

            packets = self.traffic.packet_log()
            tr = sc.traffic
            ue.update(call_columns(
                packets, self.call, sc.warmup_slots * self.slot_s, sc.n_slots * self.slot_s,
                max_loss=tr.call_max_frame_loss, max_p95_delay_s=tr.call_max_p95_delay_s,
            ))
        cells = np.arange(self.n_cells)
        cell_bits = np.bincount(self.serving, weights=a["dl_bits"], minlength=self.n_cells)
        bw = cfg.radio.bandwidth_mhz * 1e6
        ca = self.cell_acc
        with np.errstate(invalid="ignore", divide="ignore"):
            cell = {
                "drop": np.full(self.n_cells, self.sd.drop, dtype=np.int64),
                "cell": cells,
                "site": self.sd.layout.cell_site.copy(),
                "n_ue": np.bincount(self.serving, minlength=self.n_cells).astype(np.int64),
                "throughput_bps": cell_bits / t_meas,
                "spectral_efficiency_bps_per_hz": cell_bits / t_meas / (bw * self.pattern.dl_time_share),
                "prb_utilisation": ca["dl_prb_used"] / ca["dl_prb_avail"],
                "bler_first_tx": np.bincount(self.serving, weights=a["dl_first_nack"], minlength=self.n_cells)
                / np.bincount(self.serving, weights=a["dl_first_tx"], minlength=self.n_cells),
            }
            if self.ul_enabled:
                ul_bits = np.bincount(self.serving, weights=a["ul_bits"], minlength=self.n_cells)
                cell["ul_throughput_bps"] = ul_bits / t_meas
                cell["ul_spectral_efficiency_bps_per_hz"] = ul_bits / t_meas / (bw * self.pattern.ul_time_share)
                cell["ul_prb_utilisation"] = ca["ul_prb_used"] / ca["ul_prb_avail"]
        meta = {
            "slot_duration_s": self.slot_s, "measured_time_s": t_meas, "n_prb": self.n_prb,
            "n_rbg": self.n_rbg, "rbg_size_prb": int(self.rbg_n_prb[0]),
            "dl_slots_measured": self.n_dl_slots, "ul_slots_measured": self.n_ul_slots,
            "n_links_per_ue": int(self.link_cell.shape[1]),
            "fading_bank_mb": float(self.bank.nbytes / 1e6),
        }
        return SlotDropResult(
            drop=self.sd.drop, ue=ue, cell=cell, mcs_hist_dl=self.mcs_hist_dl.copy(),
            mcs_hist_ul=self.mcs_hist_ul.copy(), files=files, meta=meta, packets=packets,
        )

    def _geometry_sinr_db(self) -> NDArray[np.float64]:
        """Wideband SINR without fast fading, all cells fully loaded [dB]."""
        rows = np.arange(self.n_ue)
        s = self.gain_lin[rows, self.serving] * self.p_prb_mw
        i = self.gain_lin.sum(axis=1) * self.p_prb_mw - s
        return lin_to_db(s / (i + self.noise_prb_mw))


def simulate_slots_drop(
    cfg: ScenarioConfig, drop: int, *, layout=None, progress: Callable[[int], None] | None = None
) -> SlotDropResult:
    """Run the slot simulation of drop ``drop``; ``progress(slots_done)`` as it goes."""
    sd = slot_drop(cfg, drop, layout=layout)
    sim = _SlotSimulation(cfg, sd)
    sim.run(progress)
    return sim.result()


def run_slots(cfg: ScenarioConfig, *, progress: ProgressCallback | None = None) -> SlotRun:
    """Slot simulation of every drop of ``cfg``; ``progress(done, total)`` counts slots."""
    layout = build_layout(cfg)
    n_slots = cfg.slots.n_slots
    total = cfg.drops * n_slots
    out = []
    for d in range(cfg.drops):
        cb = None
        if progress is not None:
            cb = (lambda done, base=d * n_slots: progress(base + done, total))
        out.append(simulate_slots_drop(cfg, d, layout=layout, progress=cb))
    return SlotRun(config=cfg, drops=out, meta=slot_run_meta(cfg, out))
