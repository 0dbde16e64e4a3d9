"""``nrsim compare`` of two policy results side by side (docs/policy.md): e.g. the same
policy on the same scenario with the ``traffic`` and the ``cluster`` order.

For each headline KPI: the worst simulated month of A and of B (value and date) and the mean
loss against the baseline (:func:`nrsim.policy.run.worst_and_mean_loss`, the function that
writes ``summary.json``); the cost; the vendor borders (inter-vendor neighbour relations:
baseline, max, mean, last; users at a vendor border); the swaps and how the two plans differ
(sites swapped in another month). Both results must come from the same scenario (config
hash), so the users of every stage are the same in A and B.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nrsim.report.plots import new_figure
from nrsim.boundary import check_bool, check_path
from nrsim.errors import ConfigError
from nrsim.kpi.outdir import claim_output, read_marker
from nrsim.kpi.writers import atomic_directory, write_json
from nrsim.policy.report import KPI_LABELS, esc, fmt_num, page_html, png_img, table_html
from nrsim.policy.run import KPI_KEYS, worst_and_mean_loss
from nrsim.result_io import NUMBER, TEXT, TableSpec, read_json, read_table

POLICY_KIND = "policy"
"""The marker kind of an ``nrsim policy`` result folder."""

STAGES_SPEC = TableSpec({c: NUMBER for c in ("stage", *(k for k in KPI_KEYS if k != "video_call_satisfied_share"), "inter_vendor_relations",
                                             "inter_vendor_border_user_share", "restricted_cell_share")},
                        {"video_call_satisfied_share": NUMBER})
PLAN_SPEC = TableSpec({"site_id": TEXT, "month_index": NUMBER, "action": TEXT}, {})
COST_SPEC = TableSpec({"month_index": NUMBER, "total_cost": NUMBER}, {})


def is_policy_result(folder: str | Path) -> bool:
    """Whether ``folder`` is an ``nrsim policy`` result folder (its marker says so)."""
    try:
        p = Path(folder)
        if not p.is_dir():
            return False
    except (OSError, ValueError):
        return False
    marker = read_marker(p)
    return marker is not None and marker.get("kind") == POLICY_KIND


@dataclass(frozen=True)
class PolicySide:
    """One policy result as read back: its summary and its three tables."""

    label: str
    source: str
    summary: dict[str, Any]
    stages: pd.DataFrame
    plan: pd.DataFrame
    cost: pd.DataFrame


def read_policy_result(folder: str | Path, label: str) -> PolicySide:
    """Read and check a policy result folder (:class:`~nrsim.errors.ResultFolderError` naming
    a missing or corrupt file; :class:`ConfigError` when it is no policy result)."""
    p = Path(folder)
    if not is_policy_result(p):
        raise ConfigError(f"{folder}: not a result folder of nrsim policy", field=label)
    summary = read_json(p / "summary.json")
    needed = ("policy", "scenario", "strategy", "cost", "provenance", "swaps")
    if not isinstance(summary, dict) or any(k not in summary for k in needed):
        raise ConfigError(f"{folder}: summary.json is not that of nrsim policy (needs {', '.join(needed)})",
                          field=label)
    stages = read_table(p / "stages.parquet", STAGES_SPEC)
    if len(stages) < 1 or int(stages["stage"].iloc[0]) != -1 or "date" not in stages.columns:
        raise ConfigError(f"{folder}: stages.parquet has no baseline row (stage -1) and dates", field=label)
    stages["date"] = pd.to_datetime(stages["date"])
    return PolicySide(label, str(folder), summary, stages, read_table(p / "plan.parquet", PLAN_SPEC),
                      read_table(p / "cost.parquet", COST_SPEC))


def _borders(st: pd.DataFrame) -> dict[str, Any]:
    sim = st.iloc[1:]
    rel = sim["inter_vendor_relations"].to_numpy(dtype=np.float64)
    users = sim["inter_vendor_border_user_share"].to_numpy(dtype=np.float64)
    i = int(rel.argmax()) if rel.size else 0
    return {
        "baseline": int(st["inter_vendor_relations"].iloc[0]),
        "max": int(rel.max()) if rel.size else 0,
        "max_date": pd.Timestamp(sim["date"].iloc[i]).date().isoformat() if rel.size else None,
        "mean": float(rel.mean()) if rel.size else 0.0,
        "last": int(st["inter_vendor_relations"].iloc[-1]),
        "border_user_share_max": float(users.max()) if users.size else 0.0,
        "border_user_share_mean": float(users.mean()) if users.size else 0.0,
    }


def _plan_difference(pa: pd.DataFrame, pb: pd.DataFrame) -> dict[str, Any]:
    """Swapped sites of A and B paired by site id: in both, only in one, swapped in a
    different month (and the mean absolute difference in months)."""
    sa = pa[pa["action"] == "swap"].set_index("site_id")["month_index"]
    sb = pb[pb["action"] == "swap"].set_index("site_id")["month_index"]
    both = sa.index.intersection(sb.index)
    d = (sa.loc[both].to_numpy(dtype=np.int64) - sb.loc[both].to_numpy(dtype=np.int64))
    return {"swapped_in_both": int(both.size), "only_a": int(sa.index.difference(sb.index).size),
            "only_b": int(sb.index.difference(sa.index).size),
            "swapped_in_another_month": int(np.count_nonzero(d)),
            "mean_abs_month_difference": float(np.abs(d).mean()) if d.size else 0.0}


def compare_sides(a: PolicySide, b: PolicySide) -> dict[str, Any]:
    """The comparison of two policy results already read (see the module docstring)."""
    ha, hb = (s.summary["provenance"].get("config_hash") for s in (a, b))
    if ha != hb:
        raise ConfigError(f"A and B must be policy studies of the same scenario (config hash A {ha}, B {hb}); "
                          "allowed: two results of nrsim policy on the same scenario and overrides", field="B")
    wa, la = worst_and_mean_loss(a.stages)
    wb, lb = worst_and_mean_loss(b.stages)
    kpis = {}
    for k in KPI_KEYS:
        if k in wa and k in wb:
            kpis[k] = {"baseline": wa[k]["baseline"],
                       "worst": {"a": wa[k]["value"], "a_date": wa[k]["date"], "b": wb[k]["value"],
                                 "b_date": wb[k]["date"], "delta": wb[k]["value"] - wa[k]["value"]},
                       "mean_loss": {"a": la[k], "b": lb[k], "delta": lb[k] - la[k]}}
    ca, cb = a.summary["cost"], b.summary["cost"]
    cost = {"currency": ca.get("currency"), "a": float(a.cost["total_cost"].sum()),
            "b": float(b.cost["total_cost"].sum())}
    cost["delta"] = cost["b"] - cost["a"]
    if ca.get("currency") != cb.get("currency"):
        raise ConfigError(f"A costs in {ca.get('currency')}, B in {cb.get('currency')}: allowed the same currency",
                          field="B")
    dates_a, dates_b = (s.stages["date"].iloc[1:].tolist() for s in (a, b))
    return {
        "kind": "policy",
        "a": {k: a.summary.get(k) for k in ("policy", "scenario", "strategy", "swaps", "last_swap", "n_months",
                                            "n_stages_simulated")} | {"source": a.source},
        "b": {k: b.summary.get(k) for k in ("policy", "scenario", "strategy", "swaps", "last_swap", "n_months",
                                            "n_stages_simulated")} | {"source": b.source},
        "config_hash": ha,
        "same_stage_dates": dates_a == dates_b,
        "kpis": kpis,
        "cost": cost,
        "vendor_borders": {"a": _borders(a.stages), "b": _borders(b.stages)},
        "plan": _plan_difference(a.plan, b.plan),
    }


def compare_policies(a: str | Path, b: str | Path, *, out_dir: str | Path | None = None,
                     force: bool = False) -> dict[str, Any]:
    """Compare two ``nrsim policy`` result folders; with ``out_dir`` write ``compare.json``,
    ``compare_timeline.png`` and ``policy_compare.html`` there atomically (nothing on error)."""
    for name, value in (("a", a), ("b", b)):
        check_path(value, name, optional=False)
    check_path(out_dir, "out_dir")
    check_bool(force, "force")
    sa, sb = read_policy_result(a, "A"), read_policy_result(b, "B")
    result = compare_sides(sa, sb)
    if out_dir is not None:
        with claim_output(out_dir, kind="policy-compare", force=force):
            with atomic_directory(Path(out_dir), kind="policy-compare") as tmp:
                write_json(tmp / "compare.json", result)
                plot_compare_timeline(tmp / "compare_timeline.png", sa, sb)
                text = compare_html(result, (tmp / "compare_timeline.png").read_bytes())
                (tmp / "policy_compare.html").write_text(text, encoding="utf-8")
    return result


def _name(side: dict[str, Any]) -> str:
    return f"{side['policy']} ({side['strategy']} order)"


def plot_compare_timeline(path: Path, a: PolicySide, b: PolicySide) -> None:
    """A (solid) and B (dashed) against the date: restricted cell share, users covered and
    video satisfied, 5th-percentile throughput, inter-vendor relations."""
    fig, ax = new_figure(4, 1, figsize=(9, 9), sharex=True)
    for side, ls in ((a, "-"), (b, "--")):
        st = side.stages.iloc[1:]
        lab = f"{side.label}: {side.summary['strategy']}"
        ax[0].step(st["date"], st["restricted_cell_share"] * 100, where="post", ls=ls, color="C0", label=lab)
        ax[1].plot(st["date"], st["coverage_user_share"] * 100, ls=ls, color="C1", label=f"{lab} users covered")
        ax[1].plot(st["date"], st["video_satisfied_share"] * 100, ls=ls, color="C2", label=f"{lab} video satisfied")
        ax[2].plot(st["date"], st["throughput_p5_bps"] / 1e6, ls=ls, color="C4", label=lab)
        ax[3].plot(st["date"], st["inter_vendor_relations"], ls=ls, color="C3", label=lab)
    for axis, ylab in zip(ax, ("restricted cells [%]", "share [%]", "5 % throughput [Mbit/s]",
                               "inter-vendor relations")):
        axis.set_ylabel(ylab)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, loc="best")
    ax[0].set_title(f"A: {_name(a.summary)} vs B: {_name(b.summary)} on {a.summary['scenario']}", fontsize=10)
    p = a.summary.get("provenance", {})
    fig.text(0.01, 0.005, f"nrsim {p.get('nrsim_version')} | config {p.get('config_hash')} | seed {p.get('seed')}",
             fontsize=6, color="grey")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def compare_html(result: dict[str, Any], timeline_png: bytes) -> str:
    """The offline page of a policy comparison (:mod:`nrsim.policy.report` rules)."""
    a, b = result["a"], result["b"]
    rows = []
    for k, v in result["kpis"].items():
        label, f = KPI_LABELS[k]
        w, m = v["worst"], v["mean_loss"]
        rows.append(f"<tr><td class=\"t\">{esc(label)}</td><td>{esc(f(v['baseline']))}</td>"
                    f"<td>{esc(f(w['a']))} ({esc(w['a_date'])})</td><td>{esc(f(w['b']))} ({esc(w['b_date'])})</td>"
                    f"<td>{esc(f(m['a']))}</td><td>{esc(f(m['b']))}</td></tr>")
    kpi = ("<table><thead><tr><th class=\"t\">KPI</th><th>baseline</th><th>A worst month</th><th>B worst month</th>"
           f"<th>A mean loss</th><th>B mean loss</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
    c = result["cost"]
    ba, bb = result["vendor_borders"]["a"], result["vendor_borders"]["b"]
    other = table_html([
        {"q": f"cost [{c['currency']}]", "a": c["a"], "b": c["b"]},
        {"q": "swaps", "a": a["swaps"], "b": b["swaps"]},
        {"q": "inter-vendor relations, baseline", "a": ba["baseline"], "b": bb["baseline"]},
        {"q": "inter-vendor relations, max", "a": ba["max"], "b": bb["max"]},
        {"q": "inter-vendor relations, mean", "a": ba["mean"], "b": bb["mean"]},
        {"q": "users at a vendor border, max [%]", "a": ba["border_user_share_max"] * 100,
         "b": bb["border_user_share_max"] * 100},
    ], [("q", "quantity", None), ("a", "A", fmt_num), ("b", "B", fmt_num)])
    p = result["plan"]
    plan = (f"<p>{p['swapped_in_both']} sites swapped in both plans, {p['swapped_in_another_month']} of them in "
            f"another month (mean {p['mean_abs_month_difference']:.1f} months apart); {p['only_a']} only in A, "
            f"{p['only_b']} only in B.{'' if result['same_stage_dates'] else ' A and B simulated different months.'}"
            "</p>")
    intro = (f"<p>A: <code>{esc(a['source'])}</code>, {esc(_name(a))}; B: <code>{esc(b['source'])}</code>, "
             f"{esc(_name(b))}; scenario {esc(a['scenario'])} (the same users in every stage).</p>")
    sections = [("What is compared", intro), ("Worst month and mean loss against the baseline", kpi),
                ("Cost and vendor borders", other), ("Plans", plan),
                ("Timeline (A solid, B dashed)", png_img(timeline_png, "A and B against the date"))]
    return page_html(f"nrsim policy compare: {_name(a)} vs {_name(b)}", f"config {result['config_hash']}", sections)
