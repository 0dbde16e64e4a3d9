"""The planner against an independent rule checker (plain loops over sites), over random site
lists and policies (hypothesis): every stage meets the rules in force at its date; a policy
that a counting bound proves infeasible is refused; the earliest date it names works and the
month before it does not."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nrsim.policy.planner import NOT_BUILT, PlanSites, PolicyInfeasibleError, make_plan
from nrsim.policy.schema import month_end
from nrsim.policy.loading import validate_policy

START = dt.date(2025, 1, 1)
SQUARE = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]
VENDORS = ("vendor-a", "vendor-b", "vendor-c")


def oracle_broken(policy, sites: PlanSites, vendor, on_air, stage_date: dt.date) -> list[str]:
    """Rules broken by one stage, checked site by site (independent of the planner's code)."""
    broken = []
    for i, r in enumerate(policy.removals):
        if r.deadline <= stage_date:
            if any(on_air[s] and vendor[s] == r.vendor for s in range(sites.n)):
                broken.append(f"removal {i}")
    for i, z in enumerate(policy.exclusion_zones):
        if z.since <= stage_date:
            if any(on_air[s] and sites.in_zone[s, i] and vendor[s] in z.vendors for s in range(sites.n)):
                broken.append(f"zone {i}")
    names = [r.name for r in policy.regions]
    for i, c in enumerate(policy.caps):
        if c.since > stage_date:
            continue
        held = total = 0
        for s in range(sites.n):
            if not on_air[s]:
                continue
            if c.region is not None and not sites.in_region[s, names.index(c.region)]:
                continue
            if c.operator is not None and sites.operator[s] != c.operator:
                continue
            w = int(sites.n_cells[s]) if c.basis == "cells" else 1
            total += w
            held += w if vendor[s] == c.vendor else 0
        if held > c.max_share * total + 1e-9:
            broken.append(f"cap {i}")
    return broken


@st.composite
def cases(draw):
    n = draw(st.integers(1, 25))
    n_reg = draw(st.integers(0, 2))
    n_zone = draw(st.integers(0, 2))
    vendor = np.array([draw(st.sampled_from(VENDORS)) for _ in range(n)], dtype=object)
    built = np.array([draw(st.sampled_from([NOT_BUILT] * 4 + list(range(0, 12)))) for _ in range(n)], dtype=np.int64)
    sites = PlanSites(
        site_id=np.array([f"S{i:03d}" for i in range(n)], dtype=object),
        xy_m=np.array([[draw(st.floats(-1e3, 1e3)), draw(st.floats(-1e3, 1e3))] for _ in range(n)]),
        vendor=vendor, operator=np.array([draw(st.sampled_from(["op-1", "op-2"])) for _ in range(n)], dtype=object),
        n_cells=np.array([draw(st.integers(1, 3)) for _ in range(n)], dtype=np.int64), built_stage=built,
        in_region=np.array([[draw(st.booleans()) for _ in range(n_reg)] for _ in range(n)], dtype=bool).reshape(n, n_reg),
        in_zone=np.array([[draw(st.booleans()) for _ in range(n_zone)] for _ in range(n)], dtype=bool).reshape(n, n_zone),
    )
    date = st.integers(0, 23).map(lambda m: month_end(START, m))
    regions = [{"name": f"r{j}", "polygon": SQUARE} for j in range(n_reg)]
    caps = [{"vendor": draw(st.sampled_from(VENDORS[1:])), "max_share": draw(st.floats(0.0, 1.0)),
             "basis": draw(st.sampled_from(["cells", "sites"])),
             "region": draw(st.sampled_from([None] + [r["name"] for r in regions])),
             "operator": draw(st.sampled_from([None, "op-1"])), "since": draw(date)}
            for _ in range(draw(st.integers(0, 2)))]
    zones = [{"name": f"z{j}", "vendors": [draw(st.sampled_from(VENDORS[1:]))], "centre": [0.0, 0.0],
              "radius_m": 1.0, "since": draw(date)} for j in range(n_zone)]
    removals = [{"vendor": v, "deadline": draw(date)} for v in VENDORS[1:] if draw(st.booleans())]
    bans = [{"vendor": v, "since": draw(date)} for v in VENDORS[1:] if draw(st.booleans())]
    policy = validate_policy({
        "start": START, "end": month_end(START, 23), "regions": regions, "caps": caps, "exclusion_zones": zones,
        "removals": removals, "purchase_bans": bans, "replacement": {"vendor": "vendor-a"},
        "swap": {"crews": 1, "sites_per_crew_month": draw(st.integers(1, 4)),
                 "region_sites_per_month": {r["name"]: draw(st.integers(1, 3)) for r in regions if draw(st.booleans())},
                 "pace": draw(st.sampled_from(["asap", "even"]))},
    })
    rank = np.array(draw(st.permutations(list(range(n)))), dtype=np.int64)
    return policy, sites, rank


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_every_stage_meets_the_rules_in_force(case):
    policy, sites, rank = case
    try:
        plan = make_plan(policy, sites, rank)
    except PolicyInfeasibleError as exc:
        _check_infeasible(policy, sites, rank, exc)
        return
    cap = policy.swap.sites_per_month
    for k in range(plan.n_stages):
        assert oracle_broken(policy, sites, plan.vendor[k], plan.on_air[k], plan.stage_dates[k]) == []
        assert int((plan.actions["action"] == "swap").to_numpy()[plan.actions["month_index"].to_numpy() == k].sum()) <= cap
    # a site is swapped at most once and only from a restricted vendor to the replacement
    sw = plan.actions[plan.actions["action"] == "swap"]
    assert sw["site_id"].is_unique and (sw["to_vendor"] == "vendor-a").all() and (sw["from_vendor"] != "vendor-a").all()
    # the counting bound: a removal's sites on air from the start need deadline months of capacity
    for r in policy.removals:
        n_v = int(((sites.vendor == r.vendor) & (sites.built_stage == NOT_BUILT)).sum())
        months = (r.deadline.year - START.year) * 12 + r.deadline.month - START.month + 1
        assert n_v <= cap * months


def _check_infeasible(policy, sites, rank, exc):
    assert exc.rule.startswith("policy.")
    if exc.earliest is None or not exc.rule.startswith(("policy.removals", "policy.caps", "policy.exclusion_zones")):
        return
    kind, idx = exc.rule.split(".")[1], int(exc.rule.split(".")[2])
    key = "deadline" if kind == "removals" else "since"

    def moved(day):
        items = list(getattr(policy, kind))
        items[idx] = items[idx].model_copy(update={key: day})
        return policy.model_copy(update={kind: items, "end": max(policy.end, day)})

    make_plan(moved(exc.earliest), sites, rank)  # feasible at the date it names


def test_counting_bound_is_detected_with_the_hand_computed_date():
    n = 10
    sites = PlanSites(site_id=np.array([f"S{i}" for i in range(n)], dtype=object), xy_m=np.zeros((n, 2)),
                      vendor=np.array(["vendor-b"] * n, dtype=object), operator=np.array(["op"] * n, dtype=object),
                      n_cells=np.ones(n, dtype=np.int64), built_stage=np.full(n, NOT_BUILT, dtype=np.int64),
                      in_region=np.zeros((n, 0), dtype=bool), in_zone=np.zeros((n, 0), dtype=bool))
    policy = validate_policy({"start": START, "replacement": {"vendor": "vendor-a"},
                              "removals": [{"vendor": "vendor-b", "deadline": "2025-03-31"}],
                              "swap": {"sites_per_crew_month": 3}})
    with pytest.raises(PolicyInfeasibleError) as e:
        make_plan(policy, sites, np.arange(n))
    # 10 sites at 3 a month: 4 months, January to April 2025
    assert e.value.earliest == dt.date(2025, 4, 30) and e.value.region == "whole network"
    # a 50 % cap from February needs 5 swaps by then: 2 months at 3 a month is enough
    ok = validate_policy({"start": START, "replacement": {"vendor": "vendor-a"},
                          "caps": [{"vendor": "vendor-b", "max_share": 0.5, "since": "2025-02-28"}],
                          "swap": {"sites_per_crew_month": 3}})
    plan = make_plan(ok, sites, np.arange(n))
    assert plan.vendor[1].tolist().count("vendor-b") <= 5
    # a cap without a removal swaps only what it needs, at the latest: 5 - 3 (February's capacity) = 2 in January
    assert math.isclose(plan.vendor[0].tolist().count("vendor-b"), 8)
