"""The HTML report's best-SSB-beam map (a BS array run) and its absence without beams."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from nrsim.cli.app import app


def _layers(report) -> dict:
    text = report.read_text(encoding="utf-8")
    payload = json.loads(re.search(r'<script type="application/json" id="map-data">(.*?)</script>', text, re.S).group(1))
    return {layer["key"]: layer for layer in payload["layers"]}


def test_report_has_a_best_beam_map_with_beam_categories(tmp_path) -> None:
    args = ["--set", "drops=1", "--set", "deployment.ue.per_sector=3", "--set", "coverage.resolution_m=60",
            "--set", "coverage.margin_m=150", "--report"]
    res = CliRunner().invoke(app, ["run", "single-site", "--out", str(tmp_path / "a"), *args,
                                   "--set", "antenna.array=4T4R", "--set", "ssb.n_beams=4"])
    assert res.exit_code == 0, res.output
    layers = _layers(tmp_path / "a" / "report.html")
    beam = layers["best_ssb_beam"]
    assert beam["kind"] == "category" and "SSB beam" in beam["label"]
    assert [c["label"] for c in beam["categories"]] == ["beam 0", "beam 1", "beam 2", "beam 3"]
    res = CliRunner().invoke(app, ["run", "single-site", "--out", str(tmp_path / "b"), *args])
    assert res.exit_code == 0, res.output
    assert "best_ssb_beam" not in _layers(tmp_path / "b" / "report.html")
