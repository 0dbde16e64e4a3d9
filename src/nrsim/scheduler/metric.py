"""The scheduling metrics of the built-in policies as compiled scalar cores, shared by every
scheduler that ranks UEs: the slot downlink (:mod:`nrsim.scheduler.policies`), the slot
uplink (:mod:`nrsim.engine.slots`) and both directions of the mobile-call loop
(:mod:`nrsim.engine.call_kernels`).

- round robin: slots waited since the UE was last served;
- proportional fair: r^alpha / T^beta, r the rate the UE could get now [bit/s], T its
  exponentially averaged served rate [bit/s] (Jalali, Padovani, Pankaj, VTC 2000; alpha =
  beta = 1 classical PF, beta = 0 max rate);
- max C/I: r;
- QoS-aware (``qos``): PF among UEs of equal QoS rank (the rank itself is the policy's:
  5QI priority, then optionally the earliest deadline).

``slots.scheduler.pf_alpha`` / ``pf_beta`` act on ``pf`` and ``qos`` in every direction and
engine.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from nrsim.compiled import jit

SCHED_PF, SCHED_RR, SCHED_QOS, SCHED_QOS_EDF, SCHED_MAX_CI = 0, 1, 2, 3, 4
"""Policy ids of compiled code (``slots.scheduler.name``: pf, rr, qos with/without EDF, max_ci)."""


class SchedulerParams(NamedTuple):
    """A built-in policy as compiled code receives it (``slots.scheduler``)."""

    kind: int
    pf_alpha: float
    pf_beta: float
    pf_forget: float
    """1 / ``pf_time_constant_slots``: weight of the newest slot in T."""


def scheduler_params(s) -> SchedulerParams:
    """:class:`SchedulerParams` of a :class:`nrsim.config.schema.SlotSchedulerConfig`: its built-in
    policy; ``plugin``: proportional fair, the policy of the directions the plugin does not
    schedule (``plugin_directions``; the plugin's own run from Python,
    :mod:`nrsim.scheduler.plugin`)."""
    kinds = {"pf": SCHED_PF, "plugin": SCHED_PF, "rr": SCHED_RR, "max_ci": SCHED_MAX_CI,
             "qos": SCHED_QOS_EDF if s.qos_edf else SCHED_QOS}
    return SchedulerParams(kinds[s.name], float(s.pf_alpha), float(s.pf_beta), 1.0 / float(s.pf_time_constant_slots))


@jit
def pf_metric(rate_bps: float, avg_bps: float, alpha: float, beta: float) -> float:
    """Proportional-fair metric r^alpha / T^beta (+inf for T = 0 and r > 0)."""
    t = avg_bps if beta == 1.0 else avg_bps**beta  # x**1 == x exactly: skip pow in the classic case
    if t <= 0.0:
        return math.inf if rate_bps > 0.0 else 0.0
    return (rate_bps if alpha == 1.0 else rate_bps**alpha) / t


@jit
def pf_metric_array(rate_bps, avg_bps, alpha: float, beta: float):
    """:func:`pf_metric` of rate_bps [ue, rbg] against avg_bps [ue] -> [ue, rbg]."""
    out = np.empty(rate_bps.shape)
    for u in range(rate_bps.shape[0]):
        for r in range(rate_bps.shape[1]):
            out[u, r] = pf_metric(rate_bps[u, r], avg_bps[u], alpha, beta)
    return out


@jit
def policy_metric(p: SchedulerParams, rate_bps: float, avg_bps: float, waited_slots: float) -> float:
    """The metric of policy ``p.kind`` (larger first): RR the slots waited, max C/I the rate,
    PF and QoS (within a QoS rank) :func:`pf_metric`."""
    if p.kind == SCHED_RR:
        return waited_slots
    if p.kind == SCHED_MAX_CI:
        return rate_bps
    return pf_metric(rate_bps, avg_bps, p.pf_alpha, p.pf_beta)


@jit
def policy_metric_array(p: SchedulerParams, rate_bps, avg_bps, waited_slots):
    """:func:`policy_metric` per UE (arrays [ue]) -> [ue]."""
    out = np.empty(rate_bps.shape[0])
    for u in range(rate_bps.shape[0]):
        out[u] = policy_metric(p, rate_bps[u], avg_bps[u], waited_slots[u])
    return out


@jit
def pf_average(avg_bps: float, served_bits: float, slot_s: float, forget: float) -> float:
    """The PF average after a slot: T <- (1 - k) T + k r_served, k = ``forget``."""
    return (1.0 - forget) * avg_bps + forget * served_bits / slot_s
