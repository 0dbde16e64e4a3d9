"""The HTML report of a mobile video-call run: the Video calls section (DL and UL), the call
CDFs, the Capacity section of a capacity sweep (absent without one), the map with its
handover events, and no reference to another host."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import nrsim
from nrsim.report.html import _capacity_html, write_report

OVERRIDES = [
    "deployment.rings=1", "deployment.ue.per_sector=3", "deployment.isd_m=200", "mobility.duration_s=1",
    "slots.enabled=true", "slots.warmup_slots=200", "slots.traffic.model=video_call", "slots.scheduler.name=qos",
    "slots.scheduler.qos_edf=false", "slots.traffic.background_ftp_share=0.2", "slots.uplink.enabled=true",
    "coverage.resolution_m=100",
]
SWEEP = "slots.traffic.capacity_calls_per_cell=[1,2]"
URL = re.compile(r"""(?:src|href|url\()\s*=?\s*["']?(https?:[^"' )]+)""")
"""A reference that would make the browser fetch from another host (as test_report_chromium.py)."""


def _section(text: str, heading: str) -> str:
    """The HTML between ``<h2>heading</h2>`` and the next ``<h2>``."""
    start = text.index(f"<h2>{heading}</h2>")
    end = text.find("<h2>", start + 1)
    return text[start:end if end >= 0 else len(text)]


def _run(folder: Path, overrides: list[str]) -> tuple[Path, dict, str]:
    nrsim.run(nrsim.load_config("mobility-uma", overrides), out_dir=folder)
    html = write_report(folder).read_text(encoding="utf-8")
    return folder, json.loads((folder / "summary.json").read_text(encoding="utf-8")), html


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("calls") / "sweep", [*OVERRIDES, SWEEP])


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("calls") / "plain", OVERRIDES)


def test_video_calls_section(sweep):
    folder, summary, html = sweep
    calls = summary["kpis"]["calls"]
    assert "<h2>Mobility</h2>" in html and "handovers per UE per minute" in html
    sec = _section(html, "Video calls")
    assert "satisfied" in sec and "docs/video.md" in sec
    assert f"<td>calls</td><td>{calls['n_calls']}</td>" in sec
    for label in ("UL satisfied share", "calls without a handover", "95th-percentile frame delay [ms]",
                  "video freeze time [s]", "delivered video bitrate [Mbit/s]"):
        assert label in sec
    assert sec.count("<td>DL</td>") >= 4 and sec.count("<td>UL</td>") >= 4


def test_call_cdfs_over_calls_only(sweep):
    folder, _, html = sweep
    assert not (folder / "ue.parquet").exists()  # so every CDF here is a call CDF
    cdfs = _section(html, "CDFs")
    assert cdfs.count("<svg") == 3
    n_calls = int(pd.read_parquet(folder / "ue_calls.parquet")["call"].sum())
    assert cdfs.count(f"{n_calls} calls -->") == 3  # the title (an SVG comment) counts calls only
    for xlabel in ("Video frame loss ratio", "95th-percentile video frame delay [ms]",
                   "Delivered video bitrate [Mbit/s]"):
        assert f"<!-- {xlabel} -->" in cdfs


def test_capacity_section(sweep):
    folder, summary, html = sweep
    cap = summary["kpis"]["video_capacity"]
    sec = _section(html, "Capacity")
    assert f"{cap['capacity_calls_per_cell']:.2f} calls per cell" in sec
    assert sec.count("<svg") == 1 and "<!-- target 95 % -->" in sec
    table = pd.read_parquet(folder / "capacity.parquet")
    assert sec.count("<tr>") == 1 + len(table)  # heading + one row per load point
    assert (f"<td>{int(table['n_calls'].iloc[-1])}</td>") in sec


def test_map_keeps_working(sweep):
    folder, _, html = sweep
    data = json.loads(re.search(r'<script[^>]*id="map-data"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert len(data["sites"]) == 7 and len(data["layers"]) >= 4
    ev = pd.read_parquet(folder / "handover_events.parquet")
    assert len(data["events"]) == int(ev["kind"].isin(["handover", "handover_failure", "rlf"]).sum())


def test_report_is_offline(sweep, plain):
    for _, _, html in (sweep, plain):
        assert URL.findall(html) == []
        assert "Content-Security-Policy" in html
        assert "<script src" not in html and "<link" not in html


def test_no_capacity_section_without_sweep(plain):
    folder, summary, html = plain
    assert not (folder / "capacity.parquet").exists() and "video_capacity" not in summary["kpis"]
    assert "<h2>Video calls</h2>" in html and "<h2>Capacity</h2>" not in html
    assert _section(html, "CDFs").count("<svg") == 3


def test_capacity_of_a_static_sweep_below_target(tmp_path):
    # a static slot run's sweep: UL share NaN (its uplink carries no calls), no summary entry
    path = tmp_path / "capacity.parquet"
    pd.DataFrame({"calls_per_cell_target": [1, 2], "calls_per_cell": [1.0, 2.0], "n_calls": [21, 42],
                  "satisfied_share": [0.99, 0.91], "dl_satisfied_share": [0.99, 0.91],
                  "ul_satisfied_share": [float("nan")] * 2,
                  "handovers_per_ue_per_min": [float("nan")] * 2}).to_parquet(path)
    sec = _capacity_html(None, path, "static")
    # hand calculation: 1 + (0.99 - 0.95) / (0.99 - 0.91) * (2 - 1) = 1.5
    assert "Capacity: 1.50 calls per cell" in sec
    assert "<!-- DL satisfied -->" in sec and "<!-- UL satisfied -->" not in sec
    # from summary.json (NaN written as null), the lightest point already below the target
    points = [{"calls_per_cell_target": 1, "calls_per_cell": 1.0, "n_calls": 21, "satisfied_share": 0.8,
               "dl_satisfied_share": 0.8, "ul_satisfied_share": None, "handovers_per_ue_per_min": None}]
    cap = {"target_satisfied_share": 0.95, "capacity_calls_per_cell": 0.0, "reached": False, "points": points}
    sec = _capacity_html(cap, tmp_path / "absent.parquet", "static")
    assert "Capacity: 0.00 calls per cell" in sec and "coverage- rather than load-limited" in sec
    # every load point at or above the target: the largest point is a lower bound
    cap = {"target_satisfied_share": 0.95, "capacity_calls_per_cell": 1.0, "reached": True,
           "points": [{**points[0], "satisfied_share": 0.97}]}
    assert "Capacity: at least 1.00 calls per cell" in _capacity_html(cap, tmp_path / "absent.parquet", "static")
    assert _capacity_html(None, tmp_path / "absent.parquet", "static") == ""


def test_calls_report_in_headless_chromium(sweep, tmp_path, chromium):
    exe = chromium  # fails, not skips, when CI is set
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--virtual-time-budget=4000", f"--user-data-dir={tmp_path / 'u'}", "--dump-dom"]
    dom = subprocess.run([exe, *flags, (sweep[0] / "report.html").as_uri()], capture_output=True, text=True,
                         timeout=120)
    body = re.search(r"<body[^>]*>", dom.stdout).group(0)
    assert 'data-ready="1"' in body and 'data-errors="0"' in body and 'data-resource-requests="0"' in body, body
    assert re.search(r'<canvas id="map"[^>]*data-rendered="1"', dom.stdout)


def test_static_video_run_report_has_a_video_section(tmp_path):
    ov = ["deployment.rings=0", "deployment.ue.per_sector=4", "radio.bandwidth_mhz=20", "slots.enabled=true",
          "slots.n_slots=300", "slots.warmup_slots=50", "slots.traffic.model=video_call",
          "slots.traffic.background_ftp_share=0.25", "slots.scheduler.name=qos", "coverage.resolution_m=100"]
    out = tmp_path / "static"
    nrsim.run(nrsim.load_config("uma-default", ov, drops=1), out_dir=out)
    html = write_report(out).read_text(encoding="utf-8")
    assert "Video calls" in html and "Static slot run" in html
    assert "delivered video bitrate" in html
