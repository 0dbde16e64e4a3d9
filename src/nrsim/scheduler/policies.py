"""Built-in schedulers: round robin, proportional fair and max C/I, all frequency-selective
per RBG through :func:`nrsim.scheduler.base.assign_by_metric`."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nrsim.errors import ConfigError
from nrsim.scheduler.base import SchedulerInput, assign_by_metric
from nrsim.scheduler.metric import pf_metric_array


class ProportionalFair:
    """Proportional fair: metric r_inst[u, rbg]^alpha / T[u]^beta with r_inst the rate the UE
    could get on the RBG [bit/s] and T its exponentially averaged served rate [bit/s],
    T <- (1 - 1/t_c) T + (1/t_c) r_served each slot this direction is scheduled (Jalali,
    Padovani, Pankaj, VTC 2000; alpha = beta = 1 is classical PF, beta = 0 is max C/I).

    Fixed point for two always-backlogged UEs with flat rates r1, r2: slot shares
    s1 / s2 = (r1 / r2)^((alpha - beta) / beta).
    """

    def __init__(
        self,
        n_ue: int,
        *,
        time_constant_slots: float = 100.0,
        alpha: float = 1.0,
        beta: float = 1.0,
        max_ues_per_slot: int | None = None,
        initial_rate_bps: float = 1.0,
    ) -> None:
        if time_constant_slots < 1.0:
            raise ConfigError("proportional fair time constant must be >= 1 slot", field="slots.scheduler.pf_time_constant_slots")
        self.time_constant_slots = float(time_constant_slots)
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.max_ues_per_slot = max_ues_per_slot
        self.average_rate_bps = np.full(n_ue, float(initial_rate_bps))

    def allocate(self, inp: SchedulerInput) -> NDArray[np.bool_]:
        return assign_by_metric(self.metric(inp), inp, max_ues_per_cell=self.max_ues_per_slot)

    def metric(self, inp: SchedulerInput) -> NDArray[np.float64]:
        """r_inst^alpha / T^beta [ue, rbg] (:func:`nrsim.scheduler.metric.pf_metric`)."""
        r_inst = np.ascontiguousarray(inp.rate_bits / inp.slot_duration_s, dtype=np.float64)
        return pf_metric_array(r_inst, self.average_rate_bps, self.alpha, self.beta)

    def update(self, inp: SchedulerInput, scheduled_bits: NDArray[np.float64]) -> None:
        k = 1.0 / self.time_constant_slots
        self.average_rate_bps *= 1.0 - k  # T <- (1 - k) T + k r_served (scheduler.metric.pf_average)
        self.average_rate_bps += k * (np.asarray(scheduled_bits) / inp.slot_duration_s)


class MaxCI:
    """Max C/I (max rate): each RBG to the UE with the highest achievable rate on it."""

    def __init__(self, n_ue: int, *, max_ues_per_slot: int | None = None) -> None:
        self.max_ues_per_slot = max_ues_per_slot

    def allocate(self, inp: SchedulerInput) -> NDArray[np.bool_]:
        return assign_by_metric(inp.rate_bits, inp, max_ues_per_cell=self.max_ues_per_slot)

    def update(self, inp: SchedulerInput, scheduled_bits: NDArray[np.float64]) -> None:
        return None


class RoundRobin:
    """Round robin in time: the eligible UE of each cell that has waited longest since it was
    last served gets every RBG it can fill, then the next (ties: lowest UE index). Equal UEs
    get equal shares of slots, whatever their channel."""

    def __init__(self, n_ue: int, *, max_ues_per_slot: int | None = None) -> None:
        self.max_ues_per_slot = max_ues_per_slot
        self.last_served_slot = np.full(n_ue, -1, dtype=np.int64)

    def allocate(self, inp: SchedulerInput) -> NDArray[np.bool_]:
        wait = (inp.slot - self.last_served_slot).astype(np.float64)
        # a tiny, strictly decreasing tie-break keeps equal waits in UE order
        wait -= np.arange(inp.n_ue) / (inp.n_ue + 1.0)
        metric = np.broadcast_to(wait[:, None], inp.rate_bits.shape)
        return assign_by_metric(metric, inp, max_ues_per_cell=self.max_ues_per_slot)

    def update(self, inp: SchedulerInput, scheduled_bits: NDArray[np.float64]) -> None:
        self.last_served_slot[np.asarray(scheduled_bits) > 0] = inp.slot


class QosAware:
    """QoS-aware scheduler: UEs whose head-of-line packet belongs to a GBR flow (5QI 1, 2)
    come first, by 5QI priority level (lower first, TS 23.501 5.7.3.3) then earliest
    deadline (arrival + packet delay budget); then best-effort UEs. Among UEs of equal rank
    (same priority and deadline, and all best-effort UEs) proportional fair decides, per RBG.

    A GBR head-of-line packet that cannot complete by its deadline even with every RBG of
    the cell in every slot until then (its untaken bits > sum of ``rate_bits`` x slots left)
    does not rank first: it would take the whole band and, as the oldest packet, keep the
    earliest deadline, starving every other call (the EDF overload "domino effect"); it
    competes by PF with the best-effort UEs.

    ``head_of_line()`` -> (gbr bool [ue], priority int [ue], deadline_s float [ue],
    bits float [ue]) is read every slot (:meth:`nrsim.traffic.qos.QosPackets.head_of_line`); without it (or for a
    traffic model without QoS flows) every UE is best effort and this is PF.
    """

    def __init__(
        self,
        n_ue: int,
        *,
        head_of_line=None,
        edf: bool = True,
        time_constant_slots: float = 100.0,
        max_ues_per_slot: int | None = None,
        alpha: float = 1.0,
        beta: float = 1.0,
    ) -> None:
        self.head_of_line = head_of_line
        self.edf = bool(edf)
        self.max_ues_per_slot = max_ues_per_slot
        self._pf = ProportionalFair(n_ue, time_constant_slots=time_constant_slots, alpha=alpha, beta=beta,
                                    max_ues_per_slot=max_ues_per_slot)

    def allocate(self, inp: SchedulerInput) -> NDArray[np.bool_]:
        pf = self._pf.metric(inp)  # [ue, rbg], >= 0
        if self.head_of_line is None:
            return assign_by_metric(pf, inp, max_ues_per_cell=self.max_ues_per_slot)
        gbr, prio, deadline, hol_bits = self.head_of_line()
        slots_left = np.floor((deadline - inp.slot * inp.slot_duration_s) / inp.slot_duration_s + 1e-9)
        with np.errstate(invalid="ignore"):
            feasible = hol_bits <= inp.rate_bits.sum(axis=1) * slots_left
        crit = np.flatnonzero(gbr & inp.eligible & feasible)
        metric = pf.copy()
        if crit.size:
            # rank the critical UEs by (priority, deadline); equal keys share a rank
            keys = np.stack([prio[crit].astype(np.float64), deadline[crit] if self.edf else np.zeros(crit.size)], axis=1)
            _, rank = np.unique(keys, axis=0, return_inverse=True)
            rank = rank.ravel()
            n_rank = int(rank.max()) + 1
            step = float(np.max(pf[np.isfinite(pf)], initial=0.0)) + 1.0  # above any PF metric
            metric[crit] = pf[crit] + step * (n_rank - rank)[:, None]
        return assign_by_metric(metric, inp, max_ues_per_cell=self.max_ues_per_slot)

    def update(self, inp: SchedulerInput, scheduled_bits: NDArray[np.float64]) -> None:
        self._pf.update(inp, scheduled_bits)
