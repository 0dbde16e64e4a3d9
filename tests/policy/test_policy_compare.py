"""nrsim compare of two policy results, and the offline HTML pages (policy_report.html,
policy_compare.html): values against the tables, hand-counted cost, bad input, page security."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nrsim.cli.app import app
from nrsim.policy import run_policy
from nrsim.policy.report import PAGE_CSP, policy_report_html

SMALL = ["deployment.ue.per_sector=1", "drops=1", "coverage.resolution_m=300"]
POL = ["evaluation.every_months=24", "evaluation.map_months=[2021-01-01]"]
KPIS = ("coverage_user_share", "coverage_area_share", "throughput_median_bps", "throughput_p5_bps",
        "video_satisfied_share")


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    root = tmp_path_factory.mktemp("policy-compare")
    for s in ("traffic", "cluster"):
        run_policy("london-pilot", "london-2027", overrides=SMALL, policy_overrides=POL, strategy=s,
                   out_dir=root / s)
    return root


def _check_page(text: str) -> None:
    assert f'content="{PAGE_CSP}"' in text.replace("&#x27;", "'")
    assert "<script" not in text.lower() and "javascript:" not in text.lower()
    # nothing loads from anywhere: every src is a data: URI, no http(s) URL at all
    assert all(v.startswith("data:image/png;base64,") for v in re.findall(r'src="([^"]*)"', text))
    assert "http://" not in text and "https://" not in text


def test_compare_two_strategies(two, tmp_path):
    out = tmp_path / "cmp"
    res = CliRunner().invoke(app, ["compare", str(two / "traffic"), str(two / "cluster"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "report in" in res.output and "A worst" in res.output and "vendor borders" in res.output
    assert sorted(p.name for p in out.iterdir()) == [".nrsim-result.json", "compare.json", "compare_timeline.png",
                                                     "policy_compare.html"]
    cmp = json.loads((out / "compare.json").read_text())
    assert (cmp["a"]["strategy"], cmp["b"]["strategy"]) == ("traffic", "cluster")
    for side, folder in (("a", two / "traffic"), ("b", two / "cluster")):
        st = pd.read_parquet(folder / "stages.parquet")
        base, sim = st.iloc[0], st.iloc[1:]
        for k in KPIS:
            i = sim[k].to_numpy().argmin()
            assert cmp["kpis"][k]["worst"][side] == sim[k].iloc[i]
            assert cmp["kpis"][k]["worst"][f"{side}_date"] == str(sim["date"].iloc[i].date())
            assert cmp["kpis"][k]["mean_loss"][side] == pytest.approx(float((base[k] - sim[k]).mean()), abs=1e-15)
        b = cmp["vendor_borders"][side]
        assert b["max"] == sim["inter_vendor_relations"].max() and b["baseline"] == base["inter_vendor_relations"]
        # 67 swaps x 150 000 GBP + 67 x 2 site-days off air x 1 000 GBP (preset costs, hand count)
        assert cmp["cost"][side] == 67 * 150_000 + 67 * 2 * 1_000
    assert cmp["cost"]["delta"] == 0.0
    pa, pb = (pd.read_parquet(two / s / "plan.parquet") for s in ("traffic", "cluster"))
    m = pa[pa.action == "swap"].merge(pb[pb.action == "swap"], on="site_id")
    assert cmp["plan"]["swapped_in_both"] == len(m) == 67
    assert cmp["plan"]["swapped_in_another_month"] == int((m.month_index_x != m.month_index_y).sum()) > 0
    assert cmp["plan"]["mean_abs_month_difference"] == pytest.approx(
        float(np.abs(m.month_index_x - m.month_index_y).mean()))
    _check_page((out / "policy_compare.html").read_text(encoding="utf-8"))


def test_compare_refuses_mixed_or_different_scenarios(two, tmp_path):
    out = tmp_path / "cmp"
    res = CliRunner().invoke(app, ["compare", str(two / "traffic"), "london-pilot", "--out", str(out)])
    assert res.exit_code == 2 and "not a result folder of nrsim policy" in res.output
    other = tmp_path / "other"
    run_policy("london-pilot", "london-2027", overrides=[*SMALL, "seed=2"], strategy="cluster",
               policy_overrides=["evaluation.until=2021-01-31"], out_dir=other)
    res = CliRunner().invoke(app, ["compare", str(two / "traffic"), str(other), "--out", str(out)])
    assert res.exit_code == 2 and "same scenario" in res.output
    res = CliRunner().invoke(app, ["compare", str(two / "traffic"), str(two / "cluster"), "--set", "drops=1",
                                   "--out", str(out)])
    assert res.exit_code == 2 and "cannot take --set" in res.output
    assert not out.exists()


def test_policy_report_page(two):
    folder = two / "traffic"
    text = (folder / "policy_report.html").read_text(encoding="utf-8")
    _check_page(text)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["files"]["report"] == "policy_report.html"
    # timeline and one vendor map embedded; every plan row listed
    assert text.count("data:image/png;base64,") == 2
    plan = pd.read_parquet(folder / "plan.parquet")
    assert all(f">{sid}<" in text for sid in plan["site_id"])
    assert "policy.caps.0" in text and "2023-10-31" in text


def test_policy_report_escapes_every_text(two):
    folder = two / "traffic"
    hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>"\''
    summary = json.loads((folder / "summary.json").read_text())
    summary["scenario"] = hostile
    summary["rules"][0]["region"] = hostile
    plan = pd.read_parquet(folder / "plan.parquet")
    plan.loc[0, "site_id"] = hostile
    text = policy_report_html(folder, summary, pd.read_parquet(folder / "stages.parquet"), plan,
                              pd.read_parquet(folder / "cost.parquet"))
    _check_page(text)
    assert "<img src=x" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
