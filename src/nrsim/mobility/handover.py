"""Measurements, handover events, handover execution and radio-link failure, vectorised
over UEs (one call per time step; no loop over UEs).

- Measurements of every cell (TS 38.215 5.1.1-5.1.3): RSRP, RSRQ = N x RSRP / RSSI and
  SINR, each L3 filtered (TS 38.331 5.5.3.2: F_n = (1 - a) F_{n-1} + a M_n, a = 1 / 2^(k/4),
  in dB, with a adapted to the step so that the filter keeps its time characteristic at
  the 200 ms input rate that k assumes). The event's trigger quantity (``reportConfig``
  triggerQuantity, TS 38.331 6.3.2) is one of them.
- Event A3 (neighbour becomes offset better than SpCell), TS 38.331 5.5.4.4, entering
  condition Mn + Ofn + Ocn - Hys > Mp + Ofp + Ocp + Off with Ofn = Ocn = Ofp = Ocp = 0:
  Mn - Hys > Mp + Off. Event A5 (SpCell worse than threshold1 and neighbour better than
  threshold2), 5.5.4.6: Mp + Hys < Thresh1 and Mn - Hys > Thresh2. The condition must hold
  for time-to-trigger (TTT) for the same best neighbour before the report triggers the
  handover. The UE is then served by the target after an interruption (no data).
- Handover preparation and execution that can fail (``failures = True``), after the
  handover-failure model of the 3GPP mobility studies (TR 36.839 V11.1.0 clause 5.2): at TTT
  expiry the UE sends its measurement report on the source link (with ``report_sinr_db``
  set, only at a step where the source cell's wideband DL SINR, a proxy for the uplink
  that the mobility run does not model, is at least that; TR 36.839 models only the
  downlink command, so by default the report gets through at once). The network prepares
  the target for ``preparation_s`` (TR 36.839: 50 ms) while the UE stays on the source;
  the handover command then gets through at the first step at which the source SINR is at
  least ``delivery_sinr_db`` (default Qout; with ``command_needs_in_sync`` also only while
  T310 is not running) - messages wait for the link, as RLC retransmissions do. When the source link fails first (RLF), the handover has failed in preparation and
  the UE re-establishes. On the command the UE leaves the source and starts T304
  (``t304_s``): random access on the target succeeds at the first step at least
  ``execution_s`` (TR 36.839: 40 ms) after the command at which the target's wideband SINR
  is at least ``access_sinr_db`` (default Qout); when T304 expires first the handover fails
  in execution and the UE re-establishes (``reestablish_s``) on the strongest cell. The UE
  has no data from the command until access succeeds, and at least ``interruption_s``.
  With ``failures = False`` the command always arrives at TTT expiry and access always
  succeeds (the optimistic model of nrsim 0.1).
- Conditional handover (``conditional = True``; CHO, TS 38.300 V17 9.2.3.4, TS 38.331 V17
  5.3.5.13): the A3 report that starts preparation uses ``cho_preparation_offset_db`` and
  ``cho_preparation_ttt_s``; report, preparation and command delivery follow the model above
  (an RLF first is a failure in preparation), but the delivered command only stores one
  candidate, and the UE stays on the source. It executes (leaves the source, T304 and
  random access as above) when condEventA3 (Mn - Hys > Mp + ``cho_execution_offset_db``)
  has held for ``cho_execution_ttt_s``; an unexecuted candidate is released after
  ``cho_validity_s``. With ``cho_recovery`` (attemptCondReconfig, TS 38.331 5.3.10.3 /
  5.3.7.3) a UE whose source fails while the candidate is its strongest cell executes the
  CHO instead of re-establishing (handover outcome "cho_recovery").
- Radio-link failure, TS 38.331 5.3.10 / TS 38.133 8.1: an out-of-sync indication when the
  wideband SINR of the serving cell is below Qout, in-sync above Qin; N310 consecutive
  out-of-sync start T310; N311 consecutive in-sync stop it; T310 expiry declares RLF. The UE
  re-establishes on the strongest cell after ``reestablish_s``.
- Classification (TS 38.300 15.5.2.2.3, mobility robustness optimisation): a handover is
  "too_early" when RLF follows it within ``mro_window_s`` and the UE re-establishes in the
  source cell, "wrong_cell" when it re-establishes in a third cell, "ping_pong" when the UE
  hands back to the source within ``ping_pong_s``, else "successful". An RLF in a cell that
  the UE was not recently handed to, followed by re-establishment in another cell, is logged
  as a ``handover_failure`` with outcome "too_late" (the handover came too late or never)
  when the new cell's filtered RSRP exceeds the old one's by the A3 offset; otherwise the
  RLF is put down to a coverage hole (an ``rlf`` event without a handover failure).
  A failed handover is a ``handover_failure`` event with outcome ``preparation`` (RLF before
  the report or command got through) or, in execution, ``too_early`` (the UE
  re-establishes in the source cell), ``wrong_cell`` (in a third cell) or ``execution``
  (in the target itself), the TS 38.300 15.5.2.2.3 classes of a failure during the
  handover procedure. The RLF of a failure in preparation is not counted again as
  ``too_late``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from nrsim.compiled import jit

NO_CELL = -1  # internal marker for "none" in state arrays (never returned to users)
PHASE_NONE, PHASE_PREPARING, PHASE_EXECUTING, PHASE_REPORTING, PHASE_CHO_PREPARED = 0, 1, 2, 3, 4
_EPS_S = 1e-9  # time comparisons on step multiples
_NO_BEST = (np.empty(0), np.empty(0, dtype=np.int64), np.empty(0))  # l3_filter_step without best


@dataclass(frozen=True)
class HandoverParams:
    event: str = "A3"  # "A3" | "A5"
    a3_offset_db: float = 3.0
    hysteresis_db: float = 1.0
    ttt_s: float = 0.16
    a5_threshold1_dbm: float = -110.0
    a5_threshold2_dbm: float = -105.0
    l3_filter_k: int = 4
    interruption_s: float = 0.03
    q_out_db: float = -8.0
    q_in_db: float = -6.0
    n310: int = 1
    n311: int = 1
    t310_s: float = 1.0
    reestablish_s: float = 0.1
    ping_pong_s: float = 1.0
    mro_window_s: float = 1.0
    trigger_quantity: str = "rsrp"  # "rsrp" | "rsrq" | "sinr" (A3; A5 uses RSRP)
    failures: bool = True  # handover preparation/execution can fail (TR 36.839 5.2)
    preparation_s: float = 0.05  # TR 36.839: handover preparation time 50 ms
    execution_s: float = 0.04  # TR 36.839: handover execution time 40 ms
    t304_s: float = 0.1  # TS 38.331 T304 (ms100)
    delivery_sinr_db: float = -8.0  # source SINR that carries the command (Qout)
    report_sinr_db: float | None = None  # source SINR that carries the report (None: always)
    command_needs_in_sync: bool = False  # no command while T310 runs (stricter variant)
    access_sinr_db: float = -8.0  # target SINR for random access (Qout)
    conditional: bool = False  # conditional handover (CHO, TS 38.300 V17 9.2.3.4)
    cho_preparation_offset_db: float = 0.0  # A3 offset of the report that starts preparation
    cho_preparation_ttt_s: float = 0.08  # its time-to-trigger
    cho_execution_offset_db: float = 3.0  # CondEvent A3 offset of the execution condition
    cho_execution_ttt_s: float = 0.16  # condTimeToTrigger
    cho_validity_s: float = 1.0  # a prepared candidate not executed within this is released
    cho_recovery: bool = True  # attemptCondReconfig: after RLF, execute CHO to the candidate


L3_REFERENCE_PERIOD_S = 0.2
"""Input sample period that the filter coefficient k assumes (TS 38.331 5.5.3.2)."""


def l3_coefficient(k: int, dt_s: float = L3_REFERENCE_PERIOD_S) -> float:
    """Per-step weight of the L3 filter: a = 1 / 2^(k/4) of TS 38.331 5.5.3.2 at the 200 ms
    reference rate, adapted to steps of ``dt_s`` as 1 - (1 - a)^(dt / 200 ms) so the time
    constant is kept (k = 0 disables filtering)."""
    a = 1.0 / 2.0 ** (k / 4.0)
    return 1.0 - (1.0 - a) ** (dt_s / L3_REFERENCE_PERIOD_S)


@jit
def l3_filter_inplace(filtered, measured, a: float) -> None:
    """One step of the L3 filter of TS 38.331 5.5.3.2 in place: F <- (1 - a) F + a M over
    ``filtered`` and ``measured`` float64 [ue, cell] (the same operations, in the same order,
    as the NumPy expression ``(1 - a) * F + a * M``: bit-identical results)."""
    for u in range(filtered.shape[0]):
        _l3_row(filtered, measured, u, a)


@jit
def _l3_row(filtered, measured, u: int, a: float) -> None:
    """Row u of :func:`l3_filter_inplace`: F <- (1 - a) F + a M (TS 38.331 5.5.3.2)."""
    b = 1.0 - a
    for c in range(filtered.shape[1]):
        filtered[u, c] = b * filtered[u, c] + a * measured[u, c]


@jit
def add_serving(total, filtered, serving) -> None:
    """``total[u] += filtered[u, serving[u]]`` for every UE u (time sums of the serving cell's
    filtered quantity)."""
    for u in range(total.shape[0]):
        total[u] += filtered[u, serving[u]]


@jit
def l3_filter_step(filtered, measured, a: float, serving, total, serv_f, best_n, best_f, best: bool) -> None:
    """One L3 filter step of one quantity in a single pass over ``filtered`` float64 [ue, cell]:
    :func:`l3_filter_inplace` row by row, then :func:`add_serving` into ``total`` [ue], and
    with ``best`` also :func:`best_neighbour` of the filtered row into ``serv_f``, ``best_n``,
    ``best_f`` [ue] (each row read once while in cache; the same operations in the same order,
    bit-identical to the three separate calls)."""
    for u in range(filtered.shape[0]):
        _l3_row(filtered, measured, u, a)
        s = serving[u]
        total[u] += filtered[u, s]
        if best:
            serv_f[u] = filtered[u, s]
            best_n[u], best_f[u] = _best_other(filtered, u, s)


@jit
def _best_other(filtered, u: int, s: int):
    """(cell, value) of the largest ``filtered[u, c]`` over the cells c != s: NumPy's
    ``argmax`` of the row with cell s masked to -inf (the first maximum; a NaN counts as the
    maximum). The maximum in four independent chains (no serial dependence from cell to
    cell), then the first cell that holds it."""
    n_cells = filtered.shape[1]
    m0 = m1 = m2 = m3 = -np.inf
    nan = False
    c = 0
    while c + 4 <= n_cells:
        v0, v1, v2, v3 = filtered[u, c], filtered[u, c + 1], filtered[u, c + 2], filtered[u, c + 3]
        if c <= s < c + 4:  # the serving cell is masked
            v0 = -np.inf if s == c else v0
            v1 = -np.inf if s == c + 1 else v1
            v2 = -np.inf if s == c + 2 else v2
            v3 = -np.inf if s == c + 3 else v3
        nan |= (v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3)
        m0 = v0 if v0 > m0 else m0
        m1 = v1 if v1 > m1 else m1
        m2 = v2 if v2 > m2 else m2
        m3 = v3 if v3 > m3 else m3
        c += 4
    while c < n_cells:
        v = -np.inf if c == s else filtered[u, c]
        nan |= v != v
        m0 = v if v > m0 else m0
        c += 1
    m = max(max(m0, m1), max(m2, m3))
    for c in range(n_cells):
        v = -np.inf if c == s else filtered[u, c]
        if (v != v) if nan else (v == m):
            return c, v
    return 0, -np.inf if s == 0 else filtered[u, 0]  # (not reached)


@jit
def best_neighbour(filtered, serving):
    """(serving value [ue], strongest other cell [ue], its value [ue]) of ``filtered`` float64
    [ue, cell]: as ``argmax`` over the row with the serving cell masked to -inf (the first
    maximum; a NaN counts as the maximum, as in NumPy)."""
    n_ue = filtered.shape[0]
    serv_f = np.empty(n_ue)
    best_n = np.empty(n_ue, dtype=np.int64)
    best_f = np.empty(n_ue)
    for u in range(n_ue):
        s = serving[u]
        serv_f[u] = filtered[u, s]
        best_n[u], best_f[u] = _best_other(filtered, u, s)
    return serv_f, best_n, best_f


@jit
def radio_link_monitoring(active, sinr_db, q_out_db: float, q_in_db: float, n310: int, n311: int, t310_s: float,
                          dt_s: float, n_oos, n_is, t310_left_s, rlf) -> None:
    """One step of radio-link monitoring (TS 38.331 V17 5.3.10.1, TS 38.133 8.1) in place,
    per UE: while ``active`` [ue], an out-of-sync indication when the wideband SINR
    ``sinr_db`` [ue] is below Qout, in-sync above Qin (``n_oos``, ``n_is`` [ue]: consecutive
    counts, reset by the other outcome); N310 of them start T310 (``t310_left_s`` [ue], inf when
    not running), N311 in-sync stop it; a running T310 counts down by ``dt_s`` (not in its
    first step). ``rlf`` [ue] is set True where it expires (radio-link failure)."""
    for u in range(active.shape[0]):
        if active[u]:
            n_oos[u] = n_oos[u] + 1 if sinr_db[u] < q_out_db else 0
            n_is[u] = n_is[u] + 1 if sinr_db[u] > q_in_db else 0
        t = t310_left_s[u]
        running = np.isfinite(t)
        if active[u] and not running and n_oos[u] >= n310:  # T310 starts
            t = t310_s
        elif running and n_is[u] >= n311:  # T310 stops
            t = np.inf
        elif running:
            t = t - dt_s
        t310_left_s[u] = t
        rlf[u] = np.isfinite(t) and t <= 1e-12


@jit
def time_to_trigger(cond, best_n, phase, reported, ttt_target, ttt_left_s, ttt_s: float, dt_s: float, fire) -> None:
    """One step of the measurement event's time-to-trigger (TS 38.331 5.5.4.1) in place, per
    UE: ``cond`` [ue] the entering condition for the best neighbour ``best_n`` [ue]. A cell stays
    in ``reported`` [ue] (cellsTriggeredList, reportAmount 1) while its condition holds (else
    NO_CELL), and is not reported again meanwhile; with no handover under way (``phase``
    PHASE_NONE) a new target restarts the timer ``ttt_left_s`` at ``ttt_s``, the same target
    counts it down by ``dt_s``; without the condition the timer stops (inf, NO_CELL).
    ``fire`` [ue] is set True where it runs out (the report is triggered)."""
    for u in range(cond.shape[0]):
        c = cond[u]
        if not (c and best_n[u] == reported[u]):
            reported[u] = NO_CELL
        c = c and best_n[u] != reported[u] and phase[u] == PHASE_NONE
        if not c:
            ttt_left_s[u] = np.inf
            ttt_target[u] = NO_CELL
        elif best_n[u] != ttt_target[u]:
            ttt_left_s[u] = ttt_s
            ttt_target[u] = best_n[u]
        else:
            ttt_left_s[u] = ttt_left_s[u] - dt_s
        fire[u] = c and ttt_left_s[u] <= 1e-12


@dataclass
class HandoverEvents:
    """Event log (one entry per event) built during the simulation."""

    time_s: list[float] = field(default_factory=list)
    ue: list[int] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    """"handover" | "handover_failure" | "rlf" | "reestablishment"."""
    source: list[int] = field(default_factory=list)
    target: list[int] = field(default_factory=list)
    outcome: list[str] = field(default_factory=list)  # handovers: classification

    def add(self, t: float, ues: NDArray[np.int64], kind: str, src: NDArray[np.int64],
            tgt: NDArray[np.int64], outcome: str = "") -> None:
        n = len(ues)
        self.time_s += [t] * n
        self.ue += [int(u) for u in ues]
        self.kind += [kind] * n
        self.source += [int(s) for s in src]
        self.target += [int(x) for x in tgt]
        self.outcome += [outcome] * n


class HandoverState:
    """Per-UE measurement, event, handover and RLF state, stepped in time."""

    def __init__(self, n_ue: int, n_cells: int, serving: NDArray[np.int64],
                 params: HandoverParams, dt_s: float) -> None:
        self.p = params
        self.dt_s = dt_s
        self.n_cells = n_cells
        self.serving = serving.astype(np.int64).copy()
        self.filtered_dbm: NDArray[np.float64] | None = None
        """L3-filtered trigger quantity [ue, cell] (dBm for RSRP, dB for RSRQ and SINR)."""
        self.filtered: dict[str, NDArray[np.float64]] = {}
        """L3-filtered RSRP [dBm], RSRQ [dB] and SINR [dB] of every cell [ue, cell] (those given)."""
        self.serving_sum = {q: np.zeros(n_ue) for q in ("rsrp", "rsrq", "sinr")}
        self.serving_n = 0
        self.ttt_left_s = np.full(n_ue, np.inf)
        self.ttt_target = np.full(n_ue, NO_CELL, dtype=np.int64)
        self.interrupted_until_s = np.full(n_ue, -np.inf)
        self.n_oos = np.zeros(n_ue, dtype=np.int64)
        self.n_is = np.zeros(n_ue, dtype=np.int64)
        self.t310_left_s = np.full(n_ue, np.inf)
        self.in_rlf_until_s = np.full(n_ue, -np.inf)  # re-establishing
        self.last_ho_time_s = np.full(n_ue, -np.inf)
        self.last_ho_source = np.full(n_ue, NO_CELL, dtype=np.int64)
        self.last_ho_index = np.full(n_ue, -1, dtype=np.int64)  # row in the event log
        self.rlf_source = np.full(n_ue, NO_CELL, dtype=np.int64)
        self.outage_s = np.zeros(n_ue)
        self.phase = np.full(n_ue, PHASE_NONE, dtype=np.int64)
        """Handover phase of each UE: none, preparing (on the source) or executing (T304)."""
        self.phase_until_s = np.full(n_ue, np.inf)  # end of preparation / T304 expiry
        self.phase_start_s = np.full(n_ue, -np.inf)  # time of the report / the command
        self.ho_target = np.full(n_ue, NO_CELL, dtype=np.int64)
        self.ho_source = np.full(n_ue, NO_CELL, dtype=np.int64)
        self.prep_failed_s = np.full(n_ue, -np.inf)  # last failure in preparation
        self.rlf_time_s = np.full(n_ue, -np.inf)  # last RLF or failure in execution
        self.exec_fail_index = np.full(n_ue, -1, dtype=np.int64)  # its event row, until re-establishment
        self.reported = np.full(n_ue, NO_CELL, dtype=np.int64)  # cell of the last report
        self.cho_ttt_left_s = np.full(n_ue, np.inf)  # execution condition's TTT (CHO prepared)
        self.cho_valid_until_s = np.full(n_ue, np.inf)  # release of the prepared candidate
        self.cho_recovering = np.zeros(n_ue, dtype=bool)  # executing CHO after an RLF
        self.events = HandoverEvents()

    def step(self, t_s: float, rsrp_dbm: NDArray[np.float64], sinr_serving_db: NDArray[np.float64],
             rsrq_db: NDArray[np.float64] | None = None, sinr_db: NDArray[np.float64] | None = None) -> None:
        """Advance by one step at time ``t_s`` with this step's measurements of every cell
        [ue, cell] (RSRP; RSRQ and SINR optional unless they are the trigger quantity or, for
        SINR, needed by the random access of a handover in execution) and the wideband SINR
        [ue] of the current serving cell (radio-link monitoring, report and command delivery)."""
        p = self.p
        n_ue = rsrp_dbm.shape[0]
        a = l3_coefficient(p.l3_filter_k, self.dt_s)
        trigger = p.trigger_quantity if p.event == "A3" else "rsrp"
        # the event's best neighbour, found in the filter's pass (None: found below)
        found: tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]] | None = None
        summed = []
        for q, m in (("rsrp", rsrp_dbm), ("rsrq", rsrq_db), ("sinr", sinr_db)):
            if m is None:
                if q == p.trigger_quantity:
                    raise ValueError(f"trigger quantity {q!r} needs its measurement in step()")
                continue
            old = self.filtered.get(q)
            if old is None:
                self.filtered[q] = m.astype(np.float64).copy()
            elif m.dtype == np.float64 and m.shape == old.shape:  # compiled, in place, one pass
                if q == trigger:
                    found = (np.empty(n_ue), np.empty(n_ue, dtype=np.int64), np.empty(n_ue))
                    l3_filter_step(old, m, a, self.serving, self.serving_sum[q], *found, True)
                else:
                    l3_filter_step(old, m, a, self.serving, self.serving_sum[q], *_NO_BEST, False)
                summed.append(q)
            else:  # other dtypes round as NumPy promotes them
                self.filtered[q] = (1.0 - a) * old + a * m
        self.filtered_dbm = self.filtered[trigger]
        f = self.filtered_dbm
        for q, fq in self.filtered.items():
            if q not in summed:
                add_serving(self.serving_sum[q], fq, self.serving)
        serving_filtered = self.serving.copy() if found is not None else None
        self.serving_n += 1
        connected = t_s >= self.in_rlf_until_s - _EPS_S

        # --- random access of handovers in execution (before this step's outage count) ---
        self._execute(t_s, connected, sinr_db)
        connected = t_s >= self.in_rlf_until_s - _EPS_S  # a failure in execution starts re-establishment
        active = connected & (t_s >= self.interrupted_until_s - _EPS_S)
        self.outage_s += np.where(~active, self.dt_s, 0.0)

        # --- re-establishment completes: the UE attaches to the strongest cell -----------
        done_rlf = connected & (self.rlf_source != NO_CELL)
        if done_rlf.any():
            u = np.flatnonzero(done_rlf)
            best = np.argmax(f[u], axis=1)
            src = self.rlf_source[u]
            self.events.add(t_s, u, "reestablishment", src, best)
            self._classify_after_rlf(u, src, best)
            self.serving[u] = best
            self.rlf_source[u] = NO_CELL
            self.n_oos[u] = 0
            self.n_is[u] = 0
            self.t310_left_s[u] = np.inf
            self.ttt_left_s[u] = np.inf
            self.ttt_target[u] = NO_CELL
            self.reported[u] = NO_CELL

        # --- radio-link monitoring (only while connected and not interrupted) ------------
        rlf = np.empty(n_ue, dtype=np.bool_)
        radio_link_monitoring(active, np.asarray(sinr_serving_db, dtype=np.float64), p.q_out_db, p.q_in_db, p.n310,
                              p.n311, p.t310_s, self.dt_s, self.n_oos, self.n_is, self.t310_left_s, rlf)
        if rlf.any():
            u = np.flatnonzero(rlf)
            self.events.add(t_s, u, "rlf", self.serving[u], self.serving[u])
            preparing = u[(self.phase[u] == PHASE_PREPARING) | (self.phase[u] == PHASE_REPORTING)]
            if preparing.size:  # the prepared handover dies with the source link
                self._fail_preparation(t_s, preparing)
            prepared = u[self.phase[u] == PHASE_CHO_PREPARED]
            if prepared.size:
                # a prepared CHO outlives the source link: with attemptCondReconfig the UE
                # that selects the candidate cell executes the CHO to it instead of
                # re-establishing (TS 38.331 V17 5.3.10.3, 5.3.7.3); otherwise it is released
                rec = prepared[np.argmax(f[prepared], axis=1) == self.ho_target[prepared]] \
                    if p.cho_recovery else prepared[:0]
                self.phase[np.setdiff1d(prepared, rec)] = PHASE_NONE
                if rec.size:
                    self.t310_left_s[rec] = np.inf
                    self.cho_recovering[rec] = True
                    self._start_execution(t_s, rec)
                    active[rec] = False
                    connected[rec] = False
                    u = np.setdiff1d(u, rec)
            self.rlf_source[u] = self.serving[u]
            self.rlf_time_s[u] = t_s
            self.in_rlf_until_s[u] = t_s + p.reestablish_s
            self.t310_left_s[u] = np.inf
            active[u] = False
            connected[u] = False

        # --- measurement events with time-to-trigger -------------------------------------
        if found is None:
            serv_f, best_n, best_f = best_neighbour(f, self.serving)
        else:  # found in the filter's pass; again for the UEs whose cell changed since
            serv_f, best_n, best_f = found
            moved = np.flatnonzero(self.serving != serving_filtered)
            if moved.size:
                serv_f[moved], best_n[moved], best_f[moved] = best_neighbour(f[moved], self.serving[moved])
        if p.event == "A3":
            # with CHO the report that starts the preparation uses its own (lower) offset
            off = p.cho_preparation_offset_db if p.conditional else p.a3_offset_db
            cond = best_f - p.hysteresis_db > serv_f + off
        else:
            cond = (serv_f + p.hysteresis_db < p.a5_threshold1_dbm) & (
                best_f - p.hysteresis_db > p.a5_threshold2_dbm
            )
        cond &= connected
        # a cell stays in the event's cellsTriggeredList (TS 38.331 5.5.4.1, reportAmount 1)
        # while its entering condition holds: after a failed handover it is not reported
        # again until the condition is left (or the UE changes cell)
        fire = np.empty(n_ue, dtype=np.bool_)
        time_to_trigger(cond, best_n, self.phase, self.reported, self.ttt_target, self.ttt_left_s,
                        p.cho_preparation_ttt_s if p.conditional else p.ttt_s, self.dt_s, fire)
        if fire.any():
            u = np.flatnonzero(fire)
            src = self.serving[u]
            tgt = self.ttt_target[u]
            self.ttt_left_s[u] = np.inf
            self.ttt_target[u] = NO_CELL
            if not p.failures and p.conditional:  # the CHO command always arrives at once
                self.ho_source[u] = src
                self.ho_target[u] = tgt
                self.reported[u] = tgt
                self._prepare_cho(t_s, u)
            elif not p.failures:  # the command always arrives, access always succeeds
                self._complete_handover(t_s, u, src, tgt)
                self.interrupted_until_s[u] = t_s + p.interruption_s
                self.outage_s[u] += self.dt_s  # no data from the handover on
            else:  # the measurement report goes out on the source link
                self.ho_source[u] = src
                self.ho_target[u] = tgt
                self.reported[u] = tgt
                self.phase[u] = PHASE_REPORTING
                self.phase_start_s[u] = t_s

        # --- report, preparation and command on the source link ---------------------------
        # each message waits for the source link (RLC retransmissions): it gets through at
        # the first step at which the source can carry it; RLF first is a failure in
        # preparation (handled with the RLF above)
        if p.failures:
            reporting = np.flatnonzero(connected & (self.phase == PHASE_REPORTING))
            if reporting.size:
                sent = active[reporting]
                if p.report_sinr_db is not None:
                    sent &= sinr_serving_db[reporting] >= p.report_sinr_db
                ok = reporting[sent]
                self.phase[ok] = PHASE_PREPARING
                self.phase_until_s[ok] = t_s + p.preparation_s
            ready = connected & (self.phase == PHASE_PREPARING) & (t_s >= self.phase_until_s - _EPS_S)
            if ready.any():
                u = np.flatnonzero(ready)
                delivered = active[u] & (sinr_serving_db[u] >= p.delivery_sinr_db)
                if p.command_needs_in_sync:
                    delivered &= ~np.isfinite(self.t310_left_s[u])
                cmd = u[delivered]
                if cmd.size and p.conditional:  # CHO: the UE stays on the source
                    self._prepare_cho(t_s, cmd)
                elif cmd.size:  # the UE leaves the source and starts T304
                    self._start_execution(t_s, cmd)
                    self._execute(t_s, connected, sinr_db)

        # --- conditional handover: the UE evaluates the execution condition ---------------
        if p.conditional:
            self._evaluate_cho(t_s, f, connected, sinr_db)

    def _prepare_cho(self, t_s: float, u: NDArray[np.int64]) -> None:
        """The conditional reconfiguration of UEs ``u`` got through (TS 38.331 V17 5.3.5.13):
        the candidate ``ho_target`` is stored, the UE stays on the source and evaluates the
        execution condition from the next step on, until ``cho_validity_s``."""
        self.phase[u] = PHASE_CHO_PREPARED
        self.cho_ttt_left_s[u] = np.inf
        self.cho_valid_until_s[u] = t_s + self.p.cho_validity_s

    def _evaluate_cho(self, t_s: float, f: NDArray[np.float64], connected: NDArray[np.bool_],
                      sinr_db: NDArray[np.float64] | None) -> None:
        """CHO execution (TS 38.331 V17 5.3.5.13.4, 5.5.4.4 as condEventA3): the candidate's
        filtered quantity Mn - Hys > Mp + ``cho_execution_offset_db`` for
        ``cho_execution_ttt_s`` starts the execution without a new command; a candidate
        not executed within ``cho_validity_s`` is released (and may be reported again)."""
        p = self.p
        u = np.flatnonzero(connected & (self.phase == PHASE_CHO_PREPARED))
        if not u.size:
            return
        cand = self.ho_target[u]
        cond = f[u, cand] - p.hysteresis_db > f[u, self.serving[u]] + p.cho_execution_offset_db
        left = self.cho_ttt_left_s[u]
        left = np.where(cond & ~np.isfinite(left), p.cho_execution_ttt_s, np.where(cond, left - self.dt_s, np.inf))
        self.cho_ttt_left_s[u] = left
        fire = u[cond & (left <= 1e-12)]
        expired = u[~(cond & (left <= 1e-12)) & (t_s >= self.cho_valid_until_s[u] - _EPS_S)]
        if expired.size:  # released: the candidate may be reported and prepared again
            self.phase[expired] = PHASE_NONE
            self.reported[expired] = NO_CELL
        if fire.size:
            self.cho_ttt_left_s[fire] = np.inf
            if p.failures:
                self._start_execution(t_s, fire)
                self._execute(t_s, connected, sinr_db)
            else:
                self.phase[fire] = PHASE_NONE
                self._complete_handover(t_s, fire, self.ho_source[fire], self.ho_target[fire])
                self.interrupted_until_s[fire] = t_s + p.interruption_s
                self.outage_s[fire] += self.dt_s

    def _start_execution(self, t_s: float, u: NDArray[np.int64]) -> None:
        """UEs ``u`` leave the source for ``ho_target`` and start T304 (no data from now on)."""
        self.phase[u] = PHASE_EXECUTING
        self.phase_start_s[u] = t_s
        self.phase_until_s[u] = t_s + self.p.t304_s
        self.serving[u] = self.ho_target[u]
        self.interrupted_until_s[u] = np.inf
        self.outage_s[u] += self.dt_s  # no data from the command on
        self.t310_left_s[u] = np.inf
        self.n_oos[u] = 0
        self.n_is[u] = 0

    def _execute(self, t_s: float, connected: NDArray[np.bool_], sinr_db: NDArray[np.float64] | None) -> None:
        """Random access of the UEs in execution: success at the first step at least
        ``execution_s`` after the command with the target's SINR >= ``access_sinr_db``;
        failure in execution when T304 expires first (the UE then re-establishes)."""
        p = self.p
        execu = connected & (self.phase == PHASE_EXECUTING)
        if not execu.any():
            return
        if sinr_db is None:
            raise ValueError("a handover in execution needs the SINR of every cell in step()")
        u = np.flatnonzero(execu)
        tgt = self.ho_target[u]
        elapsed = t_s - self.phase_start_s[u]
        access = (elapsed >= p.execution_s - _EPS_S) & (sinr_db[u, tgt] >= p.access_sinr_db)
        done = u[access]
        if done.size:
            self.phase[done] = PHASE_NONE
            first = len(self.events.time_s)
            self._complete_handover(t_s, done, self.ho_source[done], self.ho_target[done])
            for j in np.flatnonzero(self.cho_recovering[done]):  # CHO after an RLF of the source
                self.events.outcome[first + j] = "cho_recovery"
            self.cho_recovering[done] = False
            self.interrupted_until_s[done] = np.maximum(self.phase_start_s[done] + p.interruption_s, t_s)
        failed = u[~access & (t_s >= self.phase_until_s[u] - _EPS_S)]
        if failed.size:  # T304 expiry: handover failure, RRC re-establishment
            first = len(self.events.time_s)
            self.events.add(t_s, failed, "handover_failure", self.ho_source[failed], self.ho_target[failed],
                            "execution")
            self.exec_fail_index[failed] = first + np.arange(failed.size)
            self.phase[failed] = PHASE_NONE
            self.cho_recovering[failed] = False
            self.rlf_source[failed] = self.ho_target[failed]
            self.rlf_time_s[failed] = t_s
            self.in_rlf_until_s[failed] = t_s + p.reestablish_s
            self.interrupted_until_s[failed] = -np.inf

    def _complete_handover(self, t_s: float, u: NDArray[np.int64], src: NDArray[np.int64],
                           tgt: NDArray[np.int64]) -> None:
        """Log the handovers of UEs ``u`` from ``src`` to ``tgt`` (ping-pong when back to the
        previous source within ``ping_pong_s``) and serve them from the target."""
        p = self.p
        ping = (self.last_ho_source[u] == tgt) & (t_s - self.last_ho_time_s[u] <= p.ping_pong_s)
        first = len(self.events.time_s)
        for j, (uu, s_, t_) in enumerate(zip(u, src, tgt, strict=True)):
            self.events.add(t_s, np.asarray([uu]), "handover", np.asarray([s_]), np.asarray([t_]),
                            "ping_pong" if ping[j] else "successful")
        self.last_ho_index[u] = first + np.arange(len(u))
        self.last_ho_time_s[u] = t_s
        self.last_ho_source[u] = src
        self.serving[u] = tgt
        self.t310_left_s[u] = np.inf
        self.n_oos[u] = 0
        self.n_is[u] = 0

    def _fail_preparation(self, t_s: float, u: NDArray[np.int64]) -> None:
        """Handover failure in preparation: the source link failed (RLF) before the report
        or the command got through."""
        self.events.add(t_s, u, "handover_failure", self.ho_source[u], self.ho_target[u], "preparation")
        self.phase[u] = PHASE_NONE
        self.prep_failed_s[u] = t_s

    def _classify_after_rlf(self, u: NDArray[np.int64], src: NDArray[np.int64], best: NDArray[np.int64]) -> None:
        p = self.p
        now = self.events.time_s[-1]
        for uu, s_, b_ in zip(u, src, best, strict=True):
            fail_idx = int(self.exec_fail_index[uu])
            if fail_idx >= 0:
                # a failure in execution, classified by where the UE comes back (TS 38.300
                # 15.5.2.2.3): the source (too early), a third cell (wrong cell), else the target
                if b_ == self.ho_source[uu]:
                    self.events.outcome[fail_idx] = "too_early"
                elif b_ != s_:
                    self.events.outcome[fail_idx] = "wrong_cell"
                self.exec_fail_index[uu] = -1
                continue
            recent = now - self.last_ho_time_s[uu] <= p.mro_window_s + p.reestablish_s
            idx = int(self.last_ho_index[uu])
            if recent and idx >= 0 and self.events.kind[idx] == "handover":
                if b_ == self.last_ho_source[uu]:
                    self.events.outcome[idx] = "too_early"
                elif b_ != s_:
                    self.events.outcome[idx] = "wrong_cell"
                continue
            # an RLF that follows a failure in preparation is that failure, not a late handover
            if self.prep_failed_s[uu] >= self.rlf_time_s[uu] - _EPS_S:
                continue
            better = self.filtered_dbm[uu, b_] > self.filtered_dbm[uu, s_] + p.a3_offset_db  # trigger quantity
            if b_ != s_ and better:
                # failure in the source while another cell was clearly better: a late
                # handover (an RLF where no cell is better is a coverage hole, not an HO issue)
                self.events.add(self.events.time_s[-1], np.asarray([uu]), "handover_failure",
                                np.asarray([s_]), np.asarray([b_]), "too_late")
                self.last_ho_index[uu] = -1

    def transmitting(self, t_s: float) -> NDArray[np.bool_]:
        """[ue] True where the UE has a link for data at ``t_s`` (connected, not in a
        handover interruption or execution, not re-establishing)."""
        return (t_s >= self.in_rlf_until_s - _EPS_S) & (t_s >= self.interrupted_until_s - _EPS_S)

    def mean_serving(self, quantity: str) -> NDArray[np.float64]:
        """Time average [ue] of the L3-filtered ``quantity`` ("rsrp", "rsrq", "sinr") of the
        serving cell at each step (NaN when it was not measured)."""
        if quantity not in self.filtered or self.serving_n == 0:
            return np.full(self.serving.size, np.nan)
        return self.serving_sum[quantity] / self.serving_n
