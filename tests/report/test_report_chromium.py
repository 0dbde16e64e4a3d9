"""The HTML report in a real headless Chromium: loads without error, makes no network
request, the map and the plots render (DOM and screenshot). Skipped without Chromium
unless the env var CI is set (then it fails)."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
from typer.testing import CliRunner

from nrsim.cli.app import app

SMALL = ["--set", 'deployment.sites_file="example-sites.csv"', "--set", "deployment.ue.per_sector=5",
         "--set", "coverage.resolution_m=50", "--drops", "1"]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=4000"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "london"
    res = CliRunner().invoke(app, ["run", "london-pilot", *SMALL, "--out", str(out), "--report"])
    assert res.exit_code == 0, res.output
    return out / "report.html"


def test_report_self_contained(report):
    text = report.read_text(encoding="utf-8")
    # no reference that could trigger a request: only xmlns namespace names carry http URLs
    urls = [u for u in re.findall(r"""(?:src|href|url\()\s*=?\s*["']?(https?:[^"' )]+)""", text)]
    assert urls == []
    assert "Content-Security-Policy" in text


def test_report_in_headless_chromium(report, tmp_path, chromium):
    exe = chromium
    dom = subprocess.run([exe, *FLAGS, f"--user-data-dir={tmp_path / 'u1'}", "--enable-logging=stderr",
                          "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120)
    body = re.search(r"<body[^>]*>", dom.stdout).group(0)
    assert 'data-ready="1"' in body
    assert 'data-errors="0"' in body, body
    assert 'data-resource-requests="0"' in body, body
    console_errors = [ln for ln in dom.stderr.splitlines() if "CONSOLE" in ln and ("Error" in ln or "error" in ln)]
    assert console_errors == []
    assert re.search(r'<canvas id="map"[^>]*data-rendered="1"', dom.stdout)
    assert re.search(r'data-sites="3"', dom.stdout)
    assert dom.stdout.count("<svg") >= 4  # CDF plots
    assert "<table" in dom.stdout
    shot = tmp_path / "shot.png"
    subprocess.run([exe, *FLAGS, f"--user-data-dir={tmp_path / 'u2'}", "--window-size=1200,1000",
                    f"--screenshot={shot}", report.as_uri()], capture_output=True, timeout=120)
    from matplotlib.image import imread

    img = imread(shot)
    assert img.shape[0] >= 900 and img.shape[1] >= 1100
    assert float(np.std(img[..., :3])) > 0.05  # not a blank page
    # the map area carries coverage colours (not only background grey/white)
    region = img[250:900, 100:900, :3]
    sat = region.max(axis=2) - region.min(axis=2)
    assert np.mean(sat > 0.2) > 0.05


def test_report_bad_folder_exit_2(tmp_path):
    res = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 2
    assert not (tmp_path / "report.html").exists()
