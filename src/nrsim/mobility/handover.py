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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

NO_CELL = -1  # internal marker for "none" in state arrays (never returned to users)


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


L3_REFERENCE_PERIOD_S = 0.2
"""Input sample period that the filter coefficient k assumes (TS 38.331 5.5.3.2)."""


def l3_coefficient(k: int, dt_s: float = L3_REFERENCE_PERIOD_S) -> float:
    """Per-step weight of the L3 filter: a = 1 / 2^(k/4) of TS 38.331 5.5.3.2 at the 200 ms
    reference rate, adapted to steps of ``dt_s`` as 1 - (1 - a)^(dt / 200 ms) so the time
    constant is kept (k = 0 disables filtering)."""
    a = 1.0 / 2.0 ** (k / 4.0)
    return 1.0 - (1.0 - a) ** (dt_s / L3_REFERENCE_PERIOD_S)


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
        self.events = HandoverEvents()

    def step(self, t_s: float, rsrp_dbm: NDArray[np.float64], sinr_serving_db: NDArray[np.float64],
             rsrq_db: NDArray[np.float64] | None = None, sinr_db: NDArray[np.float64] | None = None) -> None:
        """Advance by one step at time ``t_s`` with this step's measurements of every cell
        [ue, cell] (RSRP; RSRQ and SINR optional unless they are the trigger quantity) and
        the wideband SINR [ue] of the current serving cell (radio-link monitoring)."""
        p = self.p
        n_ue = rsrp_dbm.shape[0]
        rows = np.arange(n_ue)
        a = l3_coefficient(p.l3_filter_k, self.dt_s)
        for q, m in (("rsrp", rsrp_dbm), ("rsrq", rsrq_db), ("sinr", sinr_db)):
            if m is None:
                if q == p.trigger_quantity:
                    raise ValueError(f"trigger quantity {q!r} needs its measurement in step()")
                continue
            old = self.filtered.get(q)
            self.filtered[q] = m.astype(np.float64).copy() if old is None else (1.0 - a) * old + a * m
        self.filtered_dbm = self.filtered[p.trigger_quantity if p.event == "A3" else "rsrp"]
        f = self.filtered_dbm
        for q, fq in self.filtered.items():
            self.serving_sum[q] += fq[rows, self.serving]
        self.serving_n += 1
        connected = t_s >= self.in_rlf_until_s
        active = connected & (t_s >= self.interrupted_until_s)
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

        # --- radio-link monitoring (only while connected and not interrupted) ------------
        oos = active & (sinr_serving_db < p.q_out_db)
        ins = active & (sinr_serving_db > p.q_in_db)
        self.n_oos = np.where(oos, self.n_oos + 1, np.where(active, 0, self.n_oos))
        self.n_is = np.where(ins, self.n_is + 1, np.where(active, 0, self.n_is))
        running = np.isfinite(self.t310_left_s)
        start = active & ~running & (self.n_oos >= p.n310)
        self.t310_left_s = np.where(start, p.t310_s, self.t310_left_s)
        stop = running & (self.n_is >= p.n311)
        self.t310_left_s = np.where(stop, np.inf, self.t310_left_s)
        running = np.isfinite(self.t310_left_s)
        self.t310_left_s = np.where(running & ~start, self.t310_left_s - self.dt_s, self.t310_left_s)
        rlf = running & (self.t310_left_s <= 1e-12)
        if rlf.any():
            u = np.flatnonzero(rlf)
            self.events.add(t_s, u, "rlf", self.serving[u], self.serving[u])
            self.rlf_source[u] = self.serving[u]
            self.in_rlf_until_s[u] = t_s + p.reestablish_s
            self.t310_left_s[u] = np.inf
            active[u] = False
            connected[u] = False

        # --- measurement events with time-to-trigger -------------------------------------
        serv_f = f[rows, self.serving]
        masked = f.copy()
        masked[rows, self.serving] = -np.inf
        best_n = np.argmax(masked, axis=1)
        best_f = masked[rows, best_n]
        if p.event == "A3":
            cond = best_f - p.hysteresis_db > serv_f + p.a3_offset_db
        else:
            cond = (serv_f + p.hysteresis_db < p.a5_threshold1_dbm) & (
                best_f - p.hysteresis_db > p.a5_threshold2_dbm
            )
        cond &= connected
        new_target = cond & (best_n != self.ttt_target)
        self.ttt_left_s = np.where(new_target, p.ttt_s, self.ttt_left_s)
        self.ttt_target = np.where(new_target, best_n, self.ttt_target)
        self.ttt_left_s = np.where(cond & ~new_target, self.ttt_left_s - self.dt_s, self.ttt_left_s)
        self.ttt_left_s = np.where(cond, self.ttt_left_s, np.inf)
        self.ttt_target = np.where(cond, self.ttt_target, NO_CELL)
        fire = cond & (self.ttt_left_s <= 1e-12)
        if fire.any():
            u = np.flatnonzero(fire)
            src = self.serving[u]
            tgt = self.ttt_target[u]
            ping = (self.last_ho_source[u] == tgt) & (t_s - self.last_ho_time_s[u] <= p.ping_pong_s)
            first = len(self.events.time_s)
            for j, (uu, s_, t_) in enumerate(zip(u, src, tgt, strict=True)):
                self.events.add(t_s, np.asarray([uu]), "handover", np.asarray([s_]), np.asarray([t_]),
                                "ping_pong" if ping[j] else "successful")
            self.last_ho_index[u] = first + np.arange(len(u))
            self.last_ho_time_s[u] = t_s
            self.last_ho_source[u] = src
            self.serving[u] = tgt
            self.interrupted_until_s[u] = t_s + p.interruption_s
            self.ttt_left_s[u] = np.inf
            self.ttt_target[u] = NO_CELL
            self.t310_left_s[u] = np.inf
            self.n_oos[u] = 0
            self.n_is[u] = 0

    def _classify_after_rlf(self, u: NDArray[np.int64], src: NDArray[np.int64], best: NDArray[np.int64]) -> None:
        p = self.p
        for uu, s_, b_ in zip(u, src, best, strict=True):
            recent = self.events.time_s[-1] - self.last_ho_time_s[uu] <= p.mro_window_s + p.reestablish_s
            idx = int(self.last_ho_index[uu])
            if recent and idx >= 0 and self.events.kind[idx] == "handover":
                if b_ == self.last_ho_source[uu]:
                    self.events.outcome[idx] = "too_early"
                elif b_ != s_:
                    self.events.outcome[idx] = "wrong_cell"
                continue
            better = self.filtered_dbm[uu, b_] > self.filtered_dbm[uu, s_] + p.a3_offset_db  # trigger quantity
            if b_ != s_ and better:
                # failure in the source while another cell was clearly better: a late
                # handover (an RLF where no cell is better is a coverage hole, not an HO issue)
                self.events.add(self.events.time_s[-1], np.asarray([uu]), "handover_failure",
                                np.asarray([s_]), np.asarray([b_]), "too_late")
                self.last_ho_index[uu] = -1

    def mean_serving(self, quantity: str) -> NDArray[np.float64]:
        """Time average [ue] of the L3-filtered ``quantity`` ("rsrp", "rsrq", "sinr") of the
        serving cell at each step (NaN when it was not measured)."""
        if quantity not in self.filtered or self.serving_n == 0:
            return np.full(self.serving.size, np.nan)
        return self.serving_sum[quantity] / self.serving_n
