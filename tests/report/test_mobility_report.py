"""Handover events of a mobility run appear on the report's map and in its tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

import nrsim
from nrsim.report.html import EVENT_CODES, write_report


def test_mobility_report_has_events_on_the_map(tmp_path: Path) -> None:
    cfg = nrsim.load_config(
        "uma-default",
        ["deployment.rings=1", "deployment.ue.per_sector=6", "mobility.enabled=true",
         "mobility.duration_s=3", "mobility.speeds_kmh=[120]", "coverage.resolution_m=100"],
        drops=1,
    )
    out = tmp_path / "run"
    nrsim.run(cfg, out_dir=out)
    ev = pd.read_parquet(out / "handover_events.parquet")
    assert {"x_m", "y_m"} <= set(ev.columns)
    html = write_report(out).read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script[^>]*id="map-data"[^>]*>(.*?)</script>', html, re.S).group(1))
    drawn = ev[ev["kind"].isin(["handover", "handover_failure", "rlf"])]
    assert len(data["events"]) == len(drawn) > 0
    codes = [e[2] for e in data["events"]]
    assert codes.count(EVENT_CODES["rlf"]) == int((drawn["kind"] == "rlf").sum())
    assert "Mobility" in html and "handovers_per_ue_per_min" in html
