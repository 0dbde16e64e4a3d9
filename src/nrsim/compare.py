"""What-if comparison of two scenarios on the same UE drops and seed.

Both scenarios must have the same seed and number of drops; the UE drops then coincide when
the site geometry is the same (e.g. a plan and the same plan with one vendor's cells
switched off: ``sites.exclude_vendor``, which keeps every cell index, so every other link's
LOS and shadow-fading draws are unchanged). Users are then paired row by row. Video-call runs with
moving UEs compare their call and mobility KPIs and pair calls by (drop, UE).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nrsim.api import load_config, run
from nrsim.boundary import check_bool, check_overrides, check_path
from nrsim.config.loading import config_hash
from nrsim.coverage import coverage_maps
from nrsim.engine.snapshot import build_layout
from nrsim.errors import ConfigError
from nrsim.kpi.outdir import claim_output
from nrsim.kpi.writers import atomic_directory, write_json
from nrsim.plugins import check_plugins_allowed
from nrsim.report import html as rh
from nrsim.result_io import check_result_folder, read_table

PERCENTILE_KEYS = ("coupling_loss_db", "rsrp_dbm", "sinr_db", "sir_db", "throughput_bps")


@dataclass(frozen=True)
class Side:
    label: str
    cfg: Any
    ue: pd.DataFrame
    summary: dict[str, Any]


def _load_side(source: str, overrides: list[str], label: str) -> Side:
    p = Path(source)
    try:
        is_dir = p.is_dir()
    except (OSError, ValueError):  # not a usable file name: load_config says what is wrong
        is_dir = False
    if is_dir:
        if overrides:
            raise ConfigError(f"{source}: a result folder cannot take --set overrides", field=label)
        table = next((p / n for n in ("ue.parquet", "ue_calls.parquet") if (p / n).is_file()), None)
        if not (p / "summary.json").is_file() or table is None:
            raise ConfigError(f"{source}: not a result folder with summary.json and ue.parquet (or ue_calls.parquet)",
                              field=label)
        folder = check_result_folder(p, tables=False)  # ResultFolderError naming a corrupt file
        return Side(label, folder.config, read_table(table), folder.summary)
    cfg = load_config(source, overrides)
    return Side(label, cfg, None, None)  # run later, after the checks


CALL_KEYS = ("satisfied_share", "dl_satisfied_share", "ul_satisfied_share", "satisfied_share_with_handover",
             "satisfied_share_without_handover", "satisfied_share_with_handover_failure", "calls_per_cell")
MOBILITY_KEYS = ("handovers_per_ue_per_min", "handover_failure_rate", "failure_preparation", "failure_execution",
                 "too_late", "too_early", "wrong_cell", "ping_pong_rate", "rlf_per_ue_hour", "outage_share")


def _is_call_run(summary: dict[str, Any]) -> bool:
    return "calls" in summary["kpis"]


def _call_deltas(ka: dict[str, Any], kb: dict[str, Any]) -> dict[str, Any]:
    """A/B/delta of the call and mobility KPIs of two mobile call runs."""
    out: dict[str, Any] = {"percentiles": {}}
    for sec, keys in (("calls", CALL_KEYS), ("mobility", MOBILITY_KEYS)):
        for key in keys:
            a, b = ka[sec].get(key), kb[sec].get(key)
            if a is not None and b is not None:
                fa, fb = _kpi(a), _kpi(b)
                out[f"{sec}.{key}"] = {"a": fa, "b": fb, "delta": _delta(fa, fb)}
    return out


def call_user_shares(ue_a: pd.DataFrame, ue_b: pd.DataFrame) -> dict[str, Any]:
    """Paired calls (same drop and UE; same seed, so the same trajectories and traffic) that
    lose or gain satisfaction from A to B."""
    keys = ["drop", "ue"]
    if len(ue_a) != len(ue_b) or not (ue_a[keys].to_numpy() == ue_b[keys].to_numpy()).all():
        return {"paired": False}
    call = ue_a["call"].to_numpy(dtype=bool) & ue_b["call"].to_numpy(dtype=bool)
    sa, sb = ue_a["call_satisfied"].to_numpy(dtype=bool), ue_b["call_satisfied"].to_numpy(dtype=bool)
    n = int(call.sum())
    return {
        "paired": True, "n_calls": n,
        "share_calls_lose_satisfaction": float(np.mean((sa & ~sb)[call])) if n else float("nan"),
        "share_calls_gain_satisfaction": float(np.mean((~sa & sb)[call])) if n else float("nan"),
        "share_final_serving_cell_changed": float(np.mean(
            ue_a["final_serving_cell"].to_numpy() != ue_b["final_serving_cell"].to_numpy())),
    }


def _kpi(value: Any, unbounded: bool = False) -> float:
    """A KPI of ``summary.json`` as a float: null is +inf for a KPI with a note (the SIR of a
    one-cell network, :func:`nrsim.kpi.metrics.kpi_notes`), else NaN."""
    if value is None:
        return float("inf") if unbounded else float("nan")
    return float(value)


def _delta(a: float, b: float) -> float:
    """B - A; NaN when both are the same infinity (e.g. the SIR of two one-cell networks)."""
    return b - a if not (np.isinf(a) and np.isinf(b) and a == b) else float("nan")


def _deltas(ka: dict[str, Any], kb: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"percentiles": {}}
    na, nb = ka.get("notes") or {}, kb.get("notes") or {}
    for key in PERCENTILE_KEYS:
        pa, pb = ka["percentiles"].get(key, {}), kb["percentiles"].get(key, {})
        out["percentiles"][key] = {}
        for p in pa:
            if p in pb:
                a, b = _kpi(pa[p], key in na), _kpi(pb[p], key in nb)
                out["percentiles"][key][p] = {"a": a, "b": b, "delta": _delta(a, b)}
    for key in ("mean_throughput_bps", "cell_spectral_efficiency_bps_per_hz",
                "user_spectral_efficiency_5pct_bps_per_hz", "outage_share", "los_share"):
        if key in ka and key in kb:
            a, b = _kpi(ka[key]), _kpi(kb[key])
            out[key] = {"a": a, "b": b, "delta": _delta(a, b)}
    return out


def user_shares(ue_a: pd.DataFrame, ue_b: pd.DataFrame, cfg) -> dict[str, Any]:
    """Shares of the (paired) users that lose coverage and that fall below the throughput
    threshold in B while above it in A."""
    if len(ue_a) != len(ue_b) or not np.allclose(ue_a[["x_m", "y_m"]].to_numpy(), ue_b[["x_m", "y_m"]].to_numpy()):
        return {"paired": False}
    cv = cfg.coverage

    def covered(u):
        return (u["rsrp_dbm"].to_numpy() >= cv.rsrp_threshold_dbm) & (u["sinr_db"].to_numpy() >= cv.sinr_threshold_db)

    thr = cv.throughput_threshold_mbps * 1e6
    ca, cb = covered(ue_a), covered(ue_b)
    ta, tb = ue_a["throughput_bps"].to_numpy() >= thr, ue_b["throughput_bps"].to_numpy() >= thr
    return {
        "paired": True, "n_users": int(len(ue_a)),
        "share_lose_coverage": float(np.mean(ca & ~cb)),
        "share_gain_coverage": float(np.mean(~ca & cb)),
        "share_fall_below_throughput": float(np.mean(ta & ~tb)),
        "throughput_threshold_mbps": cv.throughput_threshold_mbps,
        "share_serving_cell_changed": float(np.mean(ue_a["serving_cell"].to_numpy() != ue_b["serving_cell"].to_numpy())),
    }


def area_shares(ma, mb, cfg) -> dict[str, Any]:
    cv = cfg.coverage
    m = ma.grid.mask

    def covered(x):
        return (x.rsrp_dbm >= cv.rsrp_threshold_dbm) & (x.sinr_db >= cv.sinr_threshold_db)

    thr = cv.throughput_threshold_mbps * 1e6
    ca, cb = covered(ma)[m], covered(mb)[m]
    ta, tb = (ma.throughput_bps >= thr)[m], (mb.throughput_bps >= thr)[m]
    return {
        "pixels": int(m.sum()), "area_km2": float(m.sum() * ma.grid.resolution_m ** 2 / 1e6),
        "share_covered_a": float(ca.mean()), "share_covered_b": float(cb.mean()),
        "share_lose_coverage": float(np.mean(ca & ~cb)),
        "share_fall_below_throughput": float(np.mean(ta & ~tb)),
    }


def compare(a: str, b: str, *, overrides: list[str] | tuple = (), overrides_a: list[str] | tuple = (),
            overrides_b: list[str] | tuple = (), out_dir: str | Path | None = None,
            force: bool = False, allow_plugins: bool = False) -> dict[str, Any]:
    """Run (or load) A and B on the same seed and drops and compute the deltas; with
    ``out_dir`` write ``compare.json`` and ``report.html`` there atomically (checked and
    locked before any work, :mod:`nrsim.kpi.outdir`; ``force`` replaces a folder that is not
    an nrsim result). A scenario that names Python code (a scheduler plugin) is run only with
    ``allow_plugins=True``."""
    for name, value in (("a", a), ("b", b)):
        check_path(value, name, optional=False)  # a preset name, a TOML file or a result folder
    overrides, overrides_a, overrides_b = (check_overrides(o, n) for o, n in (
        (overrides, "overrides"), (overrides_a, "overrides_a"), (overrides_b, "overrides_b")))
    check_path(out_dir, "out_dir")
    check_bool(allow_plugins, "allow_plugins")
    a, b = str(a), str(b)
    sa = _load_side(a, [*overrides, *overrides_a], "A")
    sb = _load_side(b, [*overrides, *overrides_b], "B")
    for s in (sa, sb):
        if s.ue is None:  # a scenario to run: its code runs only when allowed, checked before any work
            check_plugins_allowed(s.cfg, allow_plugins)
    if (sa.cfg.seed, sa.cfg.drops) != (sb.cfg.seed, sb.cfg.drops):
        raise ConfigError(
            f"A and B need the same seed and drops (A: seed {sa.cfg.seed}, {sa.cfg.drops} drops; "
            f"B: seed {sb.cfg.seed}, {sb.cfg.drops} drops); allowed: equal values", field="seed",
        )
    with claim_output(out_dir, kind="compare", force=force):
        return _compare_claimed(a, b, sa, sb, overrides, overrides_a, overrides_b, out_dir, allow_plugins)


def _compare_claimed(a, b, sa, sb, overrides, overrides_a, overrides_b, out_dir, allow_plugins) -> dict[str, Any]:
    sides = []
    for s in (sa, sb):
        if s.ue is None:
            r = run(s.cfg, allow_plugins=allow_plugins)
            s = Side(s.label, s.cfg, r.ue, r.summary)
        sides.append(s)
    sa, sb = sides
    calls = _is_call_run(sa.summary)
    if calls != _is_call_run(sb.summary):
        raise ConfigError("A and B must be the same kind of run (both video-call runs with moving UEs, or "
                          "neither)", field="B")
    la, lb = build_layout(sa.cfg), build_layout(sb.cfg)
    ma = coverage_maps(sa.cfg, layout=la)
    mb = coverage_maps(sb.cfg, layout=lb, grid=ma.grid)
    result = {
        "a": {"source": a, "scenario": sa.cfg.name, "config_hash": config_hash(sa.cfg),
              "overrides": [*overrides, *overrides_a]},
        "b": {"source": b, "scenario": sb.cfg.name, "config_hash": config_hash(sb.cfg),
              "overrides": [*overrides, *overrides_b]},
        "seed": sa.cfg.seed, "drops": sa.cfg.drops,
        "kpi_deltas": (_call_deltas if calls else _deltas)(sa.summary["kpis"], sb.summary["kpis"]),
        "users": call_user_shares(sa.ue, sb.ue) if calls else user_shares(sa.ue, sb.ue, sa.cfg),
        "area": area_shares(ma, mb, sa.cfg),
    }
    notes = {k: s.summary["kpis"].get("notes") for k, s in (("A", sa), ("B", sb)) if s.summary["kpis"].get("notes")}
    if notes:
        result["notes"] = notes  # e.g. the SIR of a one-cell network is unbounded (null in compare.json)
    if out_dir is not None:
        _write(Path(out_dir), result, sa, sb, la, ma, mb)
    return result


def _write(folder: Path, result, sa, sb, la, ma, mb) -> None:
    cv = sa.cfg.coverage

    def covered(x):
        return (x.rsrp_dbm >= cv.rsrp_threshold_dbm) & (x.sinr_db >= cv.sinr_threshold_db)

    rows = []
    for key, pcs in result["kpi_deltas"]["percentiles"].items():
        scale = 1e-6 if key == "throughput_bps" else 1.0
        for p, v in pcs.items():
            rows.append({"metric": key.replace("_bps", " [Mbit/s]"), "percentile": f"{p} %", "A": v["a"] * scale,
                         "B": v["b"] * scale, "B - A": v["delta"] * scale})
    scal = [{"KPI": k, "A": v["a"], "B": v["b"], "B - A": v["delta"]}
            for k, v in result["kpi_deltas"].items() if k != "percentiles"]
    users = [{"quantity": k, "value": v} for k, v in result["users"].items()]
    area = [{"quantity": k, "value": v} for k, v in result["area"].items()]
    title = f"{sa.cfg.name} (A) vs {sb.cfg.name} (B)"
    if _is_call_run(sa.summary):
        cdfs = []
        for col, xlabel, scale in (("video_frame_loss", "Video frame loss ratio", 1.0),
                                   ("ul_video_frame_loss", "UL video frame loss ratio", 1.0),
                                   ("video_p95_delay_s", "95th-percentile video frame delay [ms]", 1e3)):
            series = {k: u.loc[u["call"].to_numpy(dtype=bool), col].to_numpy(dtype=np.float64) * scale
                      for k, u in (("A", sa.ue), ("B", sb.ue))}
            cdfs.append(rh._svg_cdf(series, xlabel, title))
    else:
        cdfs = rh._cdfs({"A": sa.ue, "B": sb.ue}, title)
    sections = [
        ("What-if summary", f"<p>A: <code>{rh.html.escape(result['a']['source'])}</code> "
                            f"{rh.html.escape(' '.join(result['a']['overrides']))}; B: <code>"
                            f"{rh.html.escape(result['b']['source'])}</code> "
                            f"{rh.html.escape(' '.join(result['b']['overrides']))}. Same seed "
                            f"{result['seed']} and {result['drops']} drops.</p>"),
        ("Users", rh._table(users)), ("Area", rh._table(area)),
        ("KPI deltas", rh._table(scal) + rh._table(rows)
         + "".join(rh.notes_html({"notes": {f"{side} {k}": v for k, v in notes.items()}})
                   for side, notes in result.get("notes", {}).items())),
        ("CDFs", '<div class="plots">' + "".join(cdfs) + "</div>"),
    ]
    text = rh.render_html(
        title=f"nrsim what-if: {sa.cfg.name} (A) vs {sb.cfg.name} (B)",
        subtitle=f"config A {result['a']['config_hash']} | config B {result['b']['config_hash']} | seed {result['seed']}",
        map_data=rh.compare_map_payload(ma, mb, la, rh._cells_meta(sb.cfg, la.n_cells), covered_a=covered(ma),
                                        covered_b=covered(mb), projection=rh._projection(sb.cfg)),
        sections=sections,
        config={"A": sa.cfg.model_dump(mode="json"), "B": sb.cfg.model_dump(mode="json")},
    )
    with atomic_directory(folder, kind="compare") as tmp:
        write_json(tmp / "compare.json", result)
        (tmp / "report.html").write_text(text, encoding="utf-8")
