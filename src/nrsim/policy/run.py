"""``run_policy``: plan a vendor-restriction policy and evaluate its stages (docs/policy.md).

Order of work: load and validate the scenario and the policy, check plugins and the output
folder, build the plan with the site-list order (a policy that cannot be met fails here,
before any simulation), evaluate the baseline (users served per site for the ``traffic``
order), plan with the strategy's order, evaluate the stages (serially or on Dask; each
stage is a committed part of a work folder beside the output, so a killed run resumes),
write the outputs atomically.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nrsim.errors import ConfigError
from nrsim.policy.evaluate import BASELINE, StageState, check_evaluable, read_stage_part, stage_part_name, stage_task
from nrsim.policy.loading import load_policy, validate_policy
from nrsim.policy.planner import Plan, PlanSites, default_rank, make_plan, rule_list
from nrsim.policy.schema import Policy, month_index, restricted_vendors
from nrsim.policy.sites import plan_sites, zone_centres_m
from nrsim.policy.strategies import check_policy_plugin_allowed, strategy_rank
import nrsim
from nrsim.deployment.sites import config_site_list
from nrsim.plugins import check_plugins_allowed
from nrsim.policy.planner import NOT_BUILT
from nrsim.boundary import check_bool, check_path
from nrsim.kpi.outdir import claim_output
from nrsim.parallel.backends import make_backend
from nrsim.parallel.resume import open_work_folder, part_is_complete
from nrsim.kpi.writers import atomic_directory, write_json
from nrsim.policy.plots import plot_timeline, plot_vendor_maps
from nrsim.policy.report import policy_report_html
from nrsim.policy.video import check_video

STRATEGIES = ("traffic", "cluster", "sensitivity", "age", "plugin")


@dataclass(frozen=True)
class PolicyResult:
    """plan: plan.parquet's table; stages: stages.parquet's; cost: cost.parquet's; summary:
    summary.json's content; out_dir: where they were written (or None)."""

    plan: pd.DataFrame
    stages: pd.DataFrame
    cost: pd.DataFrame
    summary: dict[str, Any]
    out_dir: Path | None


def prepare(scenario, policy, *, overrides=(), policy_overrides=(), strategy: str | None = None,
            allow_plugins: bool = False):
    """(cfg, policy, site list, PlanSites, feasibility plan): everything checked before any work."""

    cfg = scenario if not isinstance(scenario, (str, Path)) else nrsim.load_config(str(scenario), list(overrides))
    pol = load_policy(policy, policy_overrides)
    if strategy is not None:
        if strategy not in STRATEGIES:
            raise ConfigError(f"strategy = {strategy!r}: allowed {', '.join(STRATEGIES)}", field="strategy")
        data = pol.model_dump(mode="python")
        data["strategy"] = {**data["strategy"], "order": strategy}
        pol = validate_policy(data)
    check_plugins_allowed(cfg, allow_plugins)
    check_policy_plugin_allowed(pol, allow_plugins)
    check_evaluable(cfg)
    check_video(cfg, pol)
    sites = config_site_list(cfg)
    ps = plan_sites(pol, sites)
    feasibility = make_plan(pol, ps, default_rank(ps))  # PolicyInfeasibleError before any simulation
    return cfg, pol, sites, ps, feasibility


def stages_to_simulate(policy: Policy, plan: Plan) -> list[int]:
    """Stage indices simulated: every ``evaluation.every_months``-th from 0, the last stage
    with an action, and the last stage; none after ``evaluation.until``."""
    n = plan.n_stages
    ev = policy.evaluation
    keep = set(range(0, n, ev.every_months)) | {n - 1}
    if len(plan.actions):
        keep.add(int(plan.actions["month_index"].max()))
    if ev.until is not None:
        last = month_index(policy.start, ev.until)
        keep = {k for k in keep if k <= last}
    return sorted(k for k in keep if 0 <= k < n)


def _state(plan: Plan | None, sites: PlanSites, k: int, downtime: bool = False) -> StageState:
    if k == BASELINE:

        return StageState(BASELINE, tuple(str(v) for v in sites.vendor),
                          tuple(bool(b) for b in sites.built_stage == NOT_BUILT), (False,) * sites.n)
    air = plan.on_air[k].copy()
    if downtime and k > 0:  # this month's swaps off air (a site swapped in month 0 was on air before)
        air &= ~(plan.swapped[k] & ~plan.swapped[k - 1] & plan.on_air[k - 1])
    elif downtime:
        air &= ~(plan.swapped[0] & (sites.built_stage < 0))
    return StageState(k, tuple(str(v) for v in plan.vendor[k]), tuple(bool(b) for b in air),
                      tuple(bool(b) for b in plan.swapped[k]))


def run_policy(scenario, policy, *, overrides=(), policy_overrides=(), strategy: str | None = None,
               out_dir: str | Path | None = None, workers: int = 0, scheduler: str | None = None,
               force: bool = False, allow_plugins: bool = False,
               progress: Callable[[int, int], None] | None = None) -> PolicyResult:
    """Plan ``policy`` on ``scenario`` (preset, TOML file or config) and evaluate each stage;
    with ``out_dir`` write plan.parquet, stages.parquet, cost.parquet, timeline.png,
    vendor-share maps and summary.json atomically (nothing is written on error)."""

    check_path(out_dir, "out_dir")
    check_bool(allow_plugins, "allow_plugins")
    check_bool(force, "force")
    cfg, pol, sites, ps, _ = prepare(scenario, policy, overrides=overrides, policy_overrides=policy_overrides,
                                     strategy=strategy, allow_plugins=allow_plugins)
    drops = pol.evaluation.drops or cfg.drops
    key = hashlib.sha256(json.dumps({"cfg": nrsim.config_hash(cfg), "policy": pol.model_dump(mode="json"),
                                     "drops": drops, "version": nrsim.__version__},
                                    sort_keys=True).encode()).hexdigest()[:16]
    with claim_output(out_dir, kind="policy", config_hash=key, force=force):
        return _run_claimed(cfg, pol, sites, ps, drops, key, out_dir, workers, scheduler, progress)


def _run_claimed(cfg, pol, sites, ps, drops, key, out_dir, workers, scheduler, progress) -> PolicyResult:
    import tempfile


    target = Path(out_dir) if out_dir is not None else None
    tmp_work = None
    if target is not None:
        work = target.parent / f".{target.name}.partial-{key}"
    else:
        tmp_work = Path(tempfile.mkdtemp(prefix="nrsim-policy-"))
        work = tmp_work / "stages"  # created by open_work_folder (an empty folder would be "another version's")
    backend = make_backend(workers, scheduler)
    try:
        open_work_folder(work, key)
        cfg_json, pol_json = cfg.model_dump_json(), pol.model_dump_json()
        threads = getattr(backend, "numba_threads", 0)

        def run(states: list[StageState], done0: int, total: int) -> None:
            todo = [s for s in states if not part_is_complete(work, stage_part_name(s.stage),
                                                              (f"{stage_part_name(s.stage)}.json",))]
            done = done0 + len(states) - len(todo)
            if progress is not None:
                progress(done, total)
            for _ in backend.map_unordered(stage_task, [(cfg_json, pol_json, s, drops, str(work), threads)
                                                         for s in todo]):
                done += 1
                if progress is not None:
                    progress(done, total)

        base_state = _state(None, ps, BASELINE)
        # the baseline first: the traffic order needs the users served per site
        run([base_state], 0, 1)
        base = read_stage_part(work, BASELINE)
        rank = strategy_rank(pol, ps, served_ues=np.asarray(base["served_ues"], dtype=np.float64),
                             zone_centres_m=zone_centres_m(pol, sites))
        plan = make_plan(pol, ps, rank)
        ks = stages_to_simulate(pol, plan)
        down = pol.evaluation.downtime_in_stage and pol.swap.downtime_days > 0
        run([_state(plan, ps, k, down) for k in ks], 1, 1 + len(ks))
        rows = [read_stage_part(work, BASELINE)] + [read_stage_part(work, k) for k in ks]
    finally:
        backend.close()
    result = _tables(cfg, pol, ps, plan, rows, rank)
    if target is not None:
        _write(target, cfg, pol, sites, ps, plan, result, key)
        shutil.rmtree(work, ignore_errors=True)
        result = PolicyResult(result.plan, result.stages, result.cost, result.summary, target)
    if tmp_work is not None:
        shutil.rmtree(tmp_work, ignore_errors=True)
    return result


def _tables(cfg, pol: Policy, ps: PlanSites, plan: Plan, rows: list[dict], rank) -> PolicyResult:

    restricted = sorted(restricted_vendors(pol))
    acts = plan.actions
    swaps = acts[acts["action"] == "swap"]
    records = []
    for r in rows:
        k = r["stage"]
        if k == BASELINE:
            vendor = ps.vendor

            air = ps.built_stage == NOT_BUILT
            date, n_sw, n_sw_total = pol.start, 0, 0
        else:
            vendor, air = plan.vendor[k], plan.on_air[k]
            date = plan.stage_dates[k]
            n_sw = int((swaps["month_index"] == k).sum())
            n_sw_total = int((swaps["month_index"] <= k).sum())
        cells = ps.n_cells * air
        rec = {"stage": k, "date": date, "sites_on_air": int(air.sum()), "swaps": n_sw, "swaps_total": n_sw_total,
               "site_days_off_air": n_sw * pol.swap.downtime_days,
               "restricted_cell_share": float(cells[np.isin(vendor, restricted)].sum() / max(cells.sum(), 1)),
               "replacement_cell_share": float(cells[vendor == pol.replacement.vendor].sum() / max(cells.sum(), 1))}
        rec.update({k2: v for k2, v in r.items() if k2 not in ("stage", "served_ues", "inter_vendor_pairs")})
        records.append(rec)
    stages = pd.DataFrame(records)
    stages["date"] = pd.to_datetime(stages["date"])
    plan_t = acts.copy()
    plan_t["month"] = pd.to_datetime(plan_t["month"])
    c = pol.costs
    n_new = (acts["action"] == "new").astype(int)
    n_swap = (acts["action"] == "swap").astype(int)
    cost = pd.DataFrame({"month": plan_t["month"], "month_index": acts["month_index"],
                         "swaps": n_swap, "new_sites": n_new,
                         "site_days_off_air": acts["downtime_days"] * n_swap})
    cost = cost.groupby(["month", "month_index"], as_index=False).sum()
    cost["swap_cost"] = cost["swaps"] * c.per_swap
    cost["new_site_cost"] = cost["new_sites"] * c.per_new_site
    cost["downtime_cost"] = cost["site_days_off_air"] * c.per_site_day_off_air
    cost["total_cost"] = cost["swap_cost"] + cost["new_site_cost"] + cost["downtime_cost"]
    cost["cumulative_cost"] = cost["total_cost"].cumsum()
    summary = _summary(cfg, pol, plan, stages, cost)
    summary["provenance"] = {"nrsim_version": nrsim.__version__, "config_hash": nrsim.config_hash(cfg),
                             "seed": cfg.seed}
    return PolicyResult(plan_t, stages, cost, summary, None)


KPI_KEYS = ("coverage_user_share", "coverage_area_share", "throughput_median_bps", "throughput_p5_bps",
            "video_satisfied_share", "video_call_satisfied_share")
"""Headline KPIs of a stage (higher is better); the last only with ``evaluation.video = "slots"``."""


def worst_and_mean_loss(stages: pd.DataFrame) -> tuple[dict[str, Any], dict[str, float]]:
    """Per KPI of :data:`KPI_KEYS` (all higher-is-better): the worst simulated stage (value,
    date, baseline) and the mean loss against the baseline (baseline minus the stage's value,
    averaged over the simulated stages). ``stages``: stages.parquet's table, baseline first."""
    base = stages.iloc[0]
    st = stages.iloc[1:]
    worst: dict[str, Any] = {}
    mean_loss: dict[str, float] = {}
    for k in KPI_KEYS:
        if len(st) and k in stages.columns:
            i = int(st[k].to_numpy().argmin())
            worst[k] = {"value": float(st[k].iloc[i]), "date": pd.Timestamp(st["date"].iloc[i]).date().isoformat(),
                        "baseline": float(base[k])}
            mean_loss[k] = float(np.mean(base[k] - st[k].to_numpy()))
    return worst, mean_loss


def _summary(cfg, pol: Policy, plan: Plan, stages: pd.DataFrame, cost: pd.DataFrame) -> dict[str, Any]:
    base = stages.iloc[0]
    st = stages.iloc[1:]
    worst, mean_loss = worst_and_mean_loss(stages)
    last = stages.iloc[-1]
    return {
        "scenario": cfg.name, "policy": pol.name, "illustrative": pol.illustrative,
        "strategy": pol.strategy.order, "video": pol.evaluation.video, "start": pol.start.isoformat(),
        "end": plan.stage_dates[-1].isoformat(), "n_months": plan.n_stages,
        "n_stages_simulated": int(len(st)), "drops_per_stage": int(pol.evaluation.drops or cfg.drops),
        "rules": [{"field": f, "rule": t, "date": _rule_date(pol, f), "region": r} for f, t, _, r in rule_list(pol)],
        "swaps": int((plan.actions["action"] == "swap").sum()),
        "new_sites_replaced": int((plan.actions["action"] == "new").sum()),
        "last_swap": (plan.actions["month"].max().isoformat()[:7] if len(plan.actions) else None),
        "cost": {"currency": pol.costs.currency, "total": float(cost["total_cost"].sum()) if len(cost) else 0.0},
        "worst_month": worst,
        "mean_loss_vs_baseline": mean_loss,
        "inter_vendor_relations": {"baseline": int(base["inter_vendor_relations"]),
                                   "max": int(st["inter_vendor_relations"].max()) if len(st) else 0,
                                   "mean": float(st["inter_vendor_relations"].mean()) if len(st) else 0.0,
                                   "last": int(last["inter_vendor_relations"])},
    }


def _rule_date(pol: Policy, field: str) -> str:
    kind, idx = field.split(".")[1], int(field.split(".")[2])
    item = getattr(pol, kind)[idx]
    return (item.deadline if kind == "removals" else item.since).isoformat()


def _write(target: Path, cfg, pol: Policy, sites, ps: PlanSites, plan: Plan, result: PolicyResult, key: str) -> None:

    with atomic_directory(target, kind="policy", config_hash=key) as tmp:
        result.plan.to_parquet(tmp / "plan.parquet", index=False)
        result.stages.to_parquet(tmp / "stages.parquet", index=False)
        result.cost.to_parquet(tmp / "cost.parquet", index=False)
        summary = dict(result.summary)
        summary["files"] = {"timeline": "timeline.png"}
        plot_timeline(tmp / "timeline.png", pol, result.stages, result.cost, summary)
        maps = plot_vendor_maps(tmp, pol, sites, ps, plan, result.stages)
        summary["files"]["vendor_maps"] = maps
        summary["files"]["report"] = "policy_report.html"
        text = policy_report_html(tmp, summary, result.stages, result.plan, result.cost)
        (tmp / "policy_report.html").write_text(text, encoding="utf-8")
        write_json(tmp / "summary.json", summary)
        write_json(tmp / "policy.json", pol.model_dump(mode="json"))
        write_json(tmp / "config.json", cfg.model_dump(mode="json"))
