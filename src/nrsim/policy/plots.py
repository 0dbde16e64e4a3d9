"""Figures of a policy study: the KPI timeline with the rule dates marked, and vendor maps
with the restricted vendor's cell share per region at chosen months."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nrsim.report.plots import new_figure
from nrsim.policy.planner import Plan, PlanSites
from nrsim.policy.schema import Policy, month_index, restricted_vendors
from nrsim.policy.sites import _poly_m


def _stamp(summary: dict) -> str:
    p = summary.get("provenance", {})
    return f"nrsim {p.get('nrsim_version')} | config {p.get('config_hash')} | seed {p.get('seed')}"


def plot_timeline(path: Path, pol: Policy, stages: pd.DataFrame, cost: pd.DataFrame, summary: dict) -> None:
    """Four panels against the date: restricted cell share (with the caps), coverage
    (users, area), user throughput (median, 5th percentile), inter-vendor neighbour relations
    and cumulative cost; every rule date as a vertical line."""
    st = stages.iloc[1:]
    base = stages.iloc[0]
    fig, ax = new_figure(4, 1, figsize=(9, 10), sharex=True)
    ax[0].step(st["date"], st["restricted_cell_share"] * 100, where="post", label="restricted vendors' cells")
    for c in pol.caps:
        ax[0].axhline(c.max_share * 100, ls=":", color="grey")
    ax[0].set_ylabel("cell share [%]")
    ax[1].plot(st["date"], st["coverage_user_share"] * 100, marker=".", label="users covered")
    ax[1].plot(st["date"], st["coverage_area_share"] * 100, marker=".", label="area covered")
    ax[1].plot(st["date"], st["video_satisfied_share"] * 100, marker=".", label="video satisfied (proxy)")
    if "video_call_satisfied_share" in st.columns:
        ax[1].plot(st["date"], st["video_call_satisfied_share"] * 100, marker=".", label="video satisfied (slots)")
    ax[1].set_ylabel("share [%]")
    ax[2].plot(st["date"], st["throughput_median_bps"] / 1e6, marker=".", label="median")
    ax[2].plot(st["date"], st["throughput_p5_bps"] / 1e6, marker=".", label="5th percentile")
    ax[2].axhline(base["throughput_median_bps"] / 1e6, ls=":", color="C0")
    ax[2].axhline(base["throughput_p5_bps"] / 1e6, ls=":", color="C1")
    ax[2].set_ylabel("user throughput [Mbit/s]")
    ax[3].plot(st["date"], st["inter_vendor_relations"], marker=".", color="C3", label="inter-vendor relations")
    ax[3].set_ylabel("inter-vendor relations")
    if len(cost):
        tw = ax[3].twinx()
        tw.step(cost["month"], cost["cumulative_cost"] / 1e6, where="post", color="k", lw=1,
                label=f"cumulative cost [M{pol.costs.currency}]")
        tw.set_ylabel(f"cost [M{pol.costs.currency}]")
        tw.legend(loc="lower right", fontsize=8)
    for rule in summary["rules"]:
        d = pd.Timestamp(rule["date"])
        for a in ax:
            a.axvline(d, color="tab:red", lw=0.8, alpha=0.6)
        ax[0].annotate(rule["rule"], (d, 1.0), xycoords=("data", "axes fraction"), rotation=90, fontsize=6,
                       va="top", ha="right", color="tab:red")
    for a in ax:
        a.grid(alpha=0.3)
        a.legend(loc="upper left", fontsize=8)
    title = f"{summary['policy']} on {summary['scenario']} ({summary['strategy']} order)"
    if pol.illustrative:
        title += " - ILLUSTRATIVE policy"
    ax[0].set_title(title, fontsize=10)
    fig.text(0.01, 0.005, _stamp(summary), fontsize=6, color="grey")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def map_stages(pol: Policy, plan: Plan, stages: pd.DataFrame) -> list[int]:
    """Simulated stages with a vendor map: ``evaluation.map_months`` (the nearest simulated
    stage at or after each), else the first, middle and last."""
    sim = [int(k) for k in stages["stage"] if k >= 0]
    if not sim:
        return []
    if not pol.evaluation.map_months:
        return sorted({sim[0], sim[len(sim) // 2], sim[-1]})
    out = set()
    for m in pol.evaluation.map_months:
        k = month_index(pol.start, m)
        after = [s for s in sim if s >= k]
        out.add(after[0] if after else sim[-1])
    return sorted(out)


def plot_vendor_maps(folder: Path, pol: Policy, sites, ps: PlanSites, plan: Plan, stages: pd.DataFrame) -> list[str]:
    """``vendor_map_YYYY-MM.png`` per map stage: sites coloured by vendor (hollow: not on
    air), region outlines labelled with the restricted vendors' cell share. Returns the names."""
    from matplotlib.patches import Circle


    restricted = sorted(restricted_vendors(pol))
    names = []
    vendors = sorted(set(ps.vendor.astype(str)) | {pol.replacement.vendor})
    colours = {v: f"C{i % 10}" for i, v in enumerate(vendors)}
    for k in map_stages(pol, plan, stages):
        vendor, air = plan.vendor[k], plan.on_air[k]
        fig, ax = new_figure(figsize=(7, 6))
        for v in vendors:
            sel = vendor == v
            ax.scatter(ps.xy_m[sel & air, 0], ps.xy_m[sel & air, 1], s=14, color=colours[v],
                       label=f"{v}{' (restricted)' if v in restricted else ''}")
            ax.scatter(ps.xy_m[sel & ~air, 0], ps.xy_m[sel & ~air, 1], s=14, facecolors="none",
                       edgecolors=colours[v])
        cells = ps.n_cells * air
        for j, r in enumerate(pol.regions):
            poly = _poly_m(sites.projection, r.polygon)
            ring = np.vstack([poly, poly[:1]])
            ax.plot(ring[:, 0], ring[:, 1], color="k", lw=0.8)
            inr = ps.in_region[:, j]
            share = cells[inr & np.isin(vendor, restricted)].sum() / max(cells[inr].sum(), 1)
            cx, cy = poly.mean(axis=0)
            ax.annotate(f"{r.name}: {share:.0%}", (cx, cy), fontsize=8, ha="center",
                        bbox={"boxstyle": "round", "fc": "white", "alpha": 0.7})
        for j, z in enumerate(pol.exclusion_zones):
            if z.polygon is not None:
                poly = _poly_m(sites.projection, z.polygon)
                ring = np.vstack([poly, poly[:1]])
                ax.plot(ring[:, 0], ring[:, 1], color="tab:red", lw=0.8, ls="--")
            else:
                c = sites.projection.to_xy_m(np.array([z.centre[1]]), np.array([z.centre[0]]))[0]
                ax.add_patch(Circle(c, z.radius_m, fill=False, color="tab:red", ls="--"))
        share = cells[np.isin(vendor, restricted)].sum() / max(cells.sum(), 1)
        date = plan.stage_dates[k]
        ax.set_title(f"{pol.name}: vendors at {date.isoformat()} (restricted {share:.0%} of cells)", fontsize=10)
        ax.set_aspect("equal")
        ax.set_xlabel("x [m]")
        ax.set_ylabel("y [m]")
        ax.legend(fontsize=7, loc="upper right")
        name = f"vendor_map_{date.isoformat()[:7]}.png"
        fig.tight_layout()
        fig.savefig(folder / name, dpi=100)
        names.append(name)
    return names
