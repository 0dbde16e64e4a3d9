"""Built-in schedulers: round robin, proportional fair and max C/I, all frequency-selective
per RBG through :func:`nrsim.scheduler.base.assign_by_metric`."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nrsim.errors import ConfigError
from nrsim.scheduler.base import SchedulerInput, assign_by_metric


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
        r_inst = inp.rate_bits / inp.slot_duration_s
        with np.errstate(divide="ignore"):
            metric = r_inst**self.alpha / (self.average_rate_bps[:, None] ** self.beta)
        return assign_by_metric(metric, inp, max_ues_per_cell=self.max_ues_per_slot)

    def update(self, inp: SchedulerInput, scheduled_bits: NDArray[np.float64]) -> None:
        k = 1.0 / self.time_constant_slots
        self.average_rate_bps *= 1.0 - k
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
