"""The month-by-month swap plan that meets every rule of a policy, or a typed error naming
the rule that cannot be met, its region and the earliest date it could be (docs/policy.md).

Stages are the ends of months: stage ``k`` is the network on the last day of month ``k`` of
the plan, after that month's swaps. A rule dated ``d`` applies to every stage whose date is on
or after ``d``. Each month the planner

1. computes, for every later stage ``T`` at which the rules or the sites change, the set
   ``S_T`` of sites that must have been swapped by ``T`` (the restricted vendor's sites in an
   exclusion zone in force, every site of a vendor past its removal deadline, and for each
   cap in force the fewest sites, in strategy order, that bring the vendor's share down to
   the cap);
2. swaps now at least ``max_T(|S_T| - capacity of the months after this one up to T)`` sites
   (network-wide and per region): the sites of the earliest ``S_T`` first, in strategy order.
   When that exceeds this month's capacity no plan exists (the deadline-ordered schedule is
   the one that needs the least capacity before each deadline);
3. fills the rest of the month's capacity (``swap.pace = "asap"``), or up to the steady rate
   that meets each removal deadline (``"even"``), with restricted sites in strategy order.

Sites are swapped whole: a site's vendor is its first cell's (a site list whose cells of one
site carry different vendors is refused).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nrsim.errors import ConfigError
from nrsim.policy.schema import (
    MAX_PLAN_MONTHS,
    Policy,
    month_end,
    month_index,
    month_start,
    restricted_vendors,
    stage_of,
)

NOT_BUILT = -(10**6)
"""``built_stage`` of a site on air from before the plan."""


class PolicyInfeasibleError(ConfigError):
    """No plan meets the policy: ``rule`` (dotted field, e.g. ``policy.removals.0``), ``region``
    (a region name, an exclusion zone or ``"whole network"``) and ``earliest`` (the earliest
    date the rule could be met with everything else unchanged, or None when none within
    :data:`MAX_PLAN_MONTHS` months)."""

    def __init__(self, message: str, *, rule: str, region: str, earliest) -> None:
        super().__init__(message, field=rule)
        self.rule = rule
        self.region = region
        self.earliest = earliest


@dataclass(frozen=True)
class PlanSites:
    """The sites a plan works on (one row per site, in site-list order).

    site_id : str [site]; xy_m : float64 [site, 2] local UTM metres; vendor, operator : str
    [site] labels at the start; n_cells : int64 [site]; built_stage : int64 [site] (stage at
    which a new site comes on air, :data:`NOT_BUILT` for existing ones); in_region : bool
    [site, region]; in_zone : bool [site, zone] (exclusion zones, policy order)."""

    site_id: NDArray
    xy_m: NDArray[np.float64]
    vendor: NDArray
    operator: NDArray
    n_cells: NDArray[np.int64]
    built_stage: NDArray[np.int64]
    in_region: NDArray[np.bool_]
    in_zone: NDArray[np.bool_]

    @property
    def n(self) -> int:
        return int(len(self.site_id))


@dataclass(frozen=True)
class Plan:
    """actions: one row per action (month, month_index, site_id, action ``swap``/``new``,
    from_vendor, to_vendor, region, downtime_days); vendor : str [stage, site] label at each
    stage; on_air : bool [stage, site]; swapped : bool [stage, site] (has the replacement
    equipment); stage_dates : the dates of the stages (month ends)."""

    actions: pd.DataFrame
    vendor: NDArray
    on_air: NDArray[np.bool_]
    swapped: NDArray[np.bool_]
    stage_dates: list
    start: object

    @property
    def n_stages(self) -> int:
        return len(self.stage_dates)


# ---------------------------------------------------------------------------- rules


def rule_list(policy: Policy) -> list[tuple[str, str, int, str]]:
    """(field, description, first stage, region label) of every dated rule."""
    out = []
    for i, c in enumerate(policy.caps):
        where = c.region or "whole network"
        who = f", {c.operator}" if c.operator else ""
        out.append((f"policy.caps.{i}", f"{c.vendor} at most {c.max_share:.0%} of {c.basis}{who} from "
                    f"{c.since.isoformat()}", stage_of(policy.start, c.since), where))
    for i, z in enumerate(policy.exclusion_zones):
        out.append((f"policy.exclusion_zones.{i}", f"no {', '.join(z.vendors)} in zone {z.name!r} from "
                    f"{z.since.isoformat()}", stage_of(policy.start, z.since), f"zone {z.name}"))
    for i, r in enumerate(policy.removals):
        out.append((f"policy.removals.{i}", f"{r.vendor} removed by {r.deadline.isoformat()}",
                    stage_of(policy.start, r.deadline), "whole network"))
    return out


def required_set(policy: Policy, sites: PlanSites, vendor: NDArray, on_air: NDArray[np.bool_], stage: int,
                 rank: NDArray[np.int64], only: str | None = None) -> NDArray[np.bool_]:
    """bool [site]: sites that must have been swapped by ``stage`` given the current labels
    ``vendor`` [site] and ``on_air`` [site] at that stage (``only``: one rule's field)."""
    start = policy.start
    req = np.zeros(sites.n, dtype=bool)
    for i, r in enumerate(policy.removals):
        if (only is None or only == f"policy.removals.{i}") and stage_of(start, r.deadline) <= stage:
            req |= (vendor == r.vendor) & on_air
    for i, z in enumerate(policy.exclusion_zones):
        if (only is None or only == f"policy.exclusion_zones.{i}") and stage_of(start, z.since) <= stage:
            req |= sites.in_zone[:, i] & np.isin(vendor, z.vendors) & on_air
    order = np.argsort(rank, kind="stable")
    for i, c in enumerate(policy.caps):
        if (only is not None and only != f"policy.caps.{i}") or stage_of(start, c.since) > stage:
            continue
        group = _cap_group(policy, sites, c, on_air)
        w = sites.n_cells if c.basis == "cells" else np.ones(sites.n, dtype=np.int64)
        held = int(w[group & (vendor == c.vendor) & ~req].sum())
        allowed = math.floor(c.max_share * int(w[group].sum()) + 1e-9)
        excess = held - allowed
        if excess <= 0:
            continue
        for s in order:
            if excess <= 0:
                break
            if group[s] and vendor[s] == c.vendor and not req[s]:
                req[s] = True
                excess -= int(w[s])
    return req


def _cap_group(policy: Policy, sites: PlanSites, cap, on_air: NDArray[np.bool_]) -> NDArray[np.bool_]:
    group = on_air.copy()
    if cap.region is not None:
        group &= sites.in_region[:, [r.name for r in policy.regions].index(cap.region)]
    if cap.operator is not None:
        group &= sites.operator == cap.operator
    return group


def stage_violations(policy: Policy, sites: PlanSites, vendor: NDArray, on_air: NDArray[np.bool_],
                     stage: int) -> list[str]:
    """The rules broken at ``stage`` by labels ``vendor`` [site] and ``on_air`` [site]."""
    out = []
    start = policy.start
    for i, r in enumerate(policy.removals):
        if stage_of(start, r.deadline) <= stage and np.any((vendor == r.vendor) & on_air):
            out.append(f"policy.removals.{i}")
    for i, z in enumerate(policy.exclusion_zones):
        if stage_of(start, z.since) <= stage and np.any(sites.in_zone[:, i] & np.isin(vendor, z.vendors) & on_air):
            out.append(f"policy.exclusion_zones.{i}")
    for i, c in enumerate(policy.caps):
        if stage_of(start, c.since) > stage:
            continue
        group = _cap_group(policy, sites, c, on_air)
        w = sites.n_cells if c.basis == "cells" else np.ones(sites.n, dtype=np.int64)
        if w[group & (vendor == c.vendor)].sum() > c.max_share * w[group].sum() + 1e-9:
            out.append(f"policy.caps.{i}")
    return out


# ---------------------------------------------------------------------------- the plan


def horizon(policy: Policy, sites: PlanSites) -> int:
    """Number of stages: to ``end``, else to the latest rule date or site build."""
    if policy.end is not None:
        return month_index(policy.start, policy.end) + 1
    last = [s for _, _, s, _ in rule_list(policy)]
    last += [int(b) for b in sites.built_stage if b != NOT_BUILT]
    last += [stage_of(policy.start, b.since) for b in policy.purchase_bans]
    return max(1, min(MAX_PLAN_MONTHS, max(last, default=0) + 1))


def _capacity(policy: Policy, n_stages: int) -> NDArray[np.int64]:
    first = 0 if policy.swap.start is None else max(0, month_index(policy.start, policy.swap.start))
    cap = np.full(n_stages, policy.swap.sites_per_month, dtype=np.int64)
    cap[:first] = 0
    return cap


def _built_vendor(policy: Policy, sites: PlanSites) -> tuple[NDArray, NDArray[np.bool_]]:
    """Labels of the sites when built (a new site of a vendor under a purchase ban at its
    build month gets the replacement vendor) and which sites are new under a ban."""
    vendor = sites.vendor.copy()
    banned_new = np.zeros(sites.n, dtype=bool)
    for s in np.flatnonzero(sites.built_stage != NOT_BUILT):
        for b in policy.purchase_bans:
            if vendor[s] == b.vendor and stage_of(policy.start, b.since) <= sites.built_stage[s]:
                banned_new[s] = True
    vendor[banned_new] = policy.replacement.vendor
    return vendor, banned_new


def make_plan(policy: Policy, sites: PlanSites, rank: NDArray[np.int64]) -> Plan:
    """The plan (see the module docstring); :class:`PolicyInfeasibleError` when none exists,
    with the earliest date the failing rule could be met."""
    try:
        return _plan(policy, sites, rank)
    except _Infeasible as exc:
        earliest = _earliest_date(policy, sites, rank, exc.rule)
        when = (f"earliest feasible date for this rule: {earliest.isoformat()}" if earliest is not None
                else f"not feasible within {MAX_PLAN_MONTHS} months with this swap capacity")
        raise PolicyInfeasibleError(
            f"policy {policy.name!r} cannot be met: rule {exc.rule} ({exc.text}), region {exc.region}: {exc.detail}; "
            f"{when}", rule=exc.rule, region=exc.region, earliest=earliest) from None


class _Infeasible(Exception):
    def __init__(self, rule: str, text: str, region: str, detail: str) -> None:
        super().__init__(detail)
        self.rule, self.text, self.region, self.detail = rule, text, region, detail


def _plan(policy: Policy, sites: PlanSites, rank: NDArray[np.int64]) -> Plan:
    n_st = horizon(policy, sites)
    cap = _capacity(policy, n_st)
    regions = [r.name for r in policy.regions]
    reg_cap = {r: np.full(n_st, policy.swap.region_sites_per_month[r], dtype=np.int64)
               for r in policy.swap.region_sites_per_month}
    for r in reg_cap:
        reg_cap[r][cap == 0] = 0
    built_vendor, banned_new = _built_vendor(policy, sites)
    vendor = built_vendor.copy()
    swapped = np.zeros(sites.n, dtype=bool)
    restricted = np.isin(vendor, sorted(restricted_vendors(policy)))
    removal_vendors = [r.vendor for r in policy.removals]
    rules = rule_list(policy)
    events = sorted({s for _, _, s, _ in rules} | {int(b) for b in sites.built_stage if b != NOT_BUILT})
    cum = np.concatenate([[0], np.cumsum(cap)])
    reg_cum = {r: np.concatenate([[0], np.cumsum(c)]) for r, c in reg_cap.items()}
    out_vendor = np.empty((n_st, sites.n), dtype=object)
    out_air = np.zeros((n_st, sites.n), dtype=bool)
    out_swapped = np.zeros((n_st, sites.n), dtype=bool)
    actions = []
    order = np.argsort(rank, kind="stable")
    for k in range(n_st):
        for s in np.flatnonzero(sites.built_stage == k):
            if banned_new[s]:
                actions.append(_action(policy, sites, k, s, "new", sites.vendor[s], policy.replacement.vendor, 0.0))
                swapped[s] = True
        # 1. what each later stage needs, and when each site is first needed
        need_at = np.full(sites.n, np.iinfo(np.int64).max, dtype=np.int64)
        checks = [t for t in events if t >= k] + [k]
        must = 0
        must_reg = dict.fromkeys(reg_cap, 0)
        binding = None
        for t in sorted(set(t for t in checks if t < n_st)):
            air_t = sites.built_stage <= t
            req = required_set(policy, sites, vendor, air_t, t, rank)
            need_at = np.where(req & (need_at > t), t, need_at)
            later = int(cum[t + 1] - cum[k + 1])  # capacity of months k+1..t
            if int(req.sum()) - later > must:
                must, binding = int(req.sum()) - later, (t, None)
            for r in reg_cap:
                in_r = sites.in_region[:, regions.index(r)]
                m_r = int((req & in_r).sum()) - int(reg_cum[r][t + 1] - reg_cum[r][k + 1])
                if m_r > must_reg[r]:
                    must_reg[r] = m_r
                    if m_r > reg_cap[r][k]:
                        binding = (t, r)
        swappable = (vendor != policy.replacement.vendor) & restricted & (sites.built_stage < k) & ~swapped
        # 2. the swaps that cannot wait, earliest need first, then strategy order
        chosen: list[int] = []
        used_reg = dict.fromkeys(reg_cap, 0)
        by_need = sorted(np.flatnonzero(need_at < np.iinfo(np.int64).max), key=lambda s: (need_at[s], rank[s]))

        def fits(s: int) -> bool:
            return all(used_reg[r] < reg_cap[r][k] for r in reg_cap if sites.in_region[s, regions.index(r)])

        def take(s: int) -> None:
            chosen.append(s)
            for r in reg_cap:
                if sites.in_region[s, regions.index(r)]:
                    used_reg[r] += 1

        for r in reg_cap:
            in_r = sites.in_region[:, regions.index(r)]
            for s in by_need:
                if used_reg[r] >= must_reg[r]:
                    break
                if in_r[s] and swappable[s] and s not in chosen and len(chosen) < cap[k] and fits(s):
                    take(s)
            if used_reg[r] < must_reg[r]:
                _fail(policy, sites, vendor, k, binding if binding and binding[1] == r else (k, r), rank, rules)
        for s in by_need:
            if len(chosen) >= min(must, cap[k]):
                break
            if swappable[s] and s not in chosen and fits(s):
                take(s)
        if len(chosen) < must:
            _fail(policy, sites, vendor, k, binding or (k, None), rank, rules)
        # 3. fill: asap or the steady rate of the removal deadlines
        due = swappable & np.isin(vendor, removal_vendors)
        if policy.swap.pace == "asap":
            target = int(cap[k])
        else:
            target = len(chosen)
            for r in policy.removals:
                left = int((swappable & (vendor == r.vendor)).sum())
                months = max(1, stage_of(policy.start, r.deadline) - k + 1)
                target = max(target, math.ceil(left / months))
            target = min(target, int(cap[k]))
        for s in order:
            if len(chosen) >= target:
                break
            if due[s] and s not in chosen and fits(s):
                take(s)
        for s in chosen:
            actions.append(_action(policy, sites, k, s, "swap", vendor[s], policy.replacement.vendor,
                                   policy.swap.downtime_days))
            vendor[s] = policy.replacement.vendor
            swapped[s] = True
        air = sites.built_stage <= k
        bad = stage_violations(policy, sites, vendor, air, k)
        if bad:  # the schedule above cannot leave a rule broken unless capacity ran out
            _fail(policy, sites, vendor, k, (k, None), rank, rules, broken=bad[0])
        out_vendor[k], out_air[k], out_swapped[k] = vendor, air, swapped
    cols = ["month", "month_index", "site_id", "action", "from_vendor", "to_vendor", "region", "downtime_days"]
    table = pd.DataFrame(actions, columns=cols)
    return Plan(actions=table, vendor=out_vendor, on_air=out_air, swapped=out_swapped,
                stage_dates=[month_end(policy.start, k) for k in range(n_st)], start=policy.start)


def _action(policy: Policy, sites: PlanSites, k: int, s: int, action: str, old: str, new: str, down: float) -> tuple:
    names = [r.name for r in policy.regions]
    where = next((names[j] for j in range(len(names)) if sites.in_region[s, j]), "")
    return (month_start(policy.start, k), k, str(sites.site_id[s]), action, str(old), str(new), where, float(down))


def _fail(policy, sites, vendor, k, binding, rank, rules, broken: str | None = None) -> None:
    t, region = binding
    in_force = [r for r in rules if r[2] <= t]
    rule = None
    if broken is not None:
        rule = next(r for r in rules if r[0] == broken)
    elif in_force:
        # the rule that alone needs the most swaps by t; ties: the latest in force
        air = sites.built_stage <= t
        sizes = [(int(required_set(policy, sites, vendor, air, t, rank, only=r[0]).sum()), r[2], r) for r in in_force]
        rule = max(sizes, key=lambda x: (x[0], x[1]))[2]
    if rule is None:
        raise _Infeasible("policy.swap", "swap capacity", region or "whole network",
                          f"month {month_start(policy.start, k).isoformat()[:7]} needs more swaps than the capacity")
    cap_text = (f"{policy.swap.region_sites_per_month[region]} sites/month in region {region}" if region
                else f"{policy.swap.sites_per_month} sites/month")
    raise _Infeasible(rule[0], rule[1], region or rule[3],
                      f"the stage of {month_end(policy.start, t).isoformat()} needs more swaps than {cap_text} "
                      f"allow from {month_start(policy.start, k).isoformat()[:7]}")


def _shift(policy: Policy, rule: str, months: int) -> Policy:
    kind, idx = rule.split(".")[1], int(rule.split(".")[2])

    def later(d):
        m = d.year * 12 + d.month - 1 + months
        y, mo = m // 12, m % 12 + 1
        return month_end(type(d)(y, mo, 1), 0)

    items = list(getattr(policy, kind))
    item = items[idx]
    key = "deadline" if kind == "removals" else "since"
    items[idx] = item.model_copy(update={key: later(getattr(item, key))})
    upd = {kind: items}
    if policy.end is not None:
        upd["end"] = max(policy.end, later(getattr(item, key)))
    return policy.model_copy(update=upd)


def _earliest_date(policy: Policy, sites: PlanSites, rank, rule: str):
    """Earliest date (a month end) to which moving ``rule`` makes the plan feasible, the
    other rules unchanged (binary search over months; None when none within the limit)."""
    if not rule.startswith(("policy.caps.", "policy.exclusion_zones.", "policy.removals.")):
        return None

    def ok(months: int) -> bool:
        try:
            _plan(_shift(policy, rule, months), sites, rank)
            return True
        except _Infeasible:
            return False

    lo, hi = 0, 1
    while not ok(hi):
        lo, hi = hi, hi * 2
        if hi > MAX_PLAN_MONTHS:
            return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    p = _shift(policy, rule, hi)
    kind, idx = rule.split(".")[1], int(rule.split(".")[2])
    item = getattr(p, kind)[idx]
    return item.deadline if kind == "removals" else item.since


def default_rank(sites: PlanSites) -> NDArray[np.int64]:
    """Site-list order (the order used for the feasibility check before any simulation)."""
    return np.arange(sites.n, dtype=np.int64)


__all__ = ["NOT_BUILT", "Plan", "PlanSites", "PolicyInfeasibleError", "default_rank", "horizon", "make_plan",
           "required_set", "rule_list", "stage_violations"]
