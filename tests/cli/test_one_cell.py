"""One-cell networks: no cell interferes, so the SIR is +inf (not -inf); summary.json writes
null with a note (``kpis.notes.sir_db``), ue.parquet keeps inf, and ``nrsim run``,
``run --report``, ``report`` and ``compare`` all work (docs/sites.md, docs/configuration.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nrsim.cli.app import app
from nrsim.kpi.metrics import ONE_CELL_SIR_NOTE, percentiles_with_inf, snapshot_kpis
from nrsim.kpi.streaming import DB_BIN, DB_RANGES, Histogram

runner = CliRunner()
ONE_CELL = ["--set", "deployment.sectors_per_site=1", "--set", "deployment.ue.per_sector=5", "--drops", "1"]
"""The single-site preset with one sector: one cell (hexagonal layout, rings = 0)."""


def test_histogram_puts_infinities_in_their_own_overflow_bin() -> None:
    lo, hi = DB_RANGES["sir_db"]
    h = Histogram(lo, hi, DB_BIN)
    h.add(np.array([np.inf, np.inf, np.inf, -np.inf, 10.0, np.nan]))
    assert h.counts[0] == 1 and h.counts[-1] == 3 and h.total == 5
    assert h.percentile(95) == np.inf and h.percentile(0) == -np.inf
    assert h.percentile(25) == pytest.approx(10.0, abs=DB_BIN)  # order statistic 1 of 0..4


def test_percentiles_with_inf_hand_values() -> None:
    # sorted [1, 2, inf]: 5 % at position 0.1 -> 1.1; 50 % at 1 -> 2; 95 % at 1.9 -> nearer of (2, inf) = inf
    assert percentiles_with_inf(np.array([np.inf, 2.0, np.nan, 1.0])) == {"5": 1.1, "50": 2.0, "95": np.inf}
    assert percentiles_with_inf(np.full(4, np.inf)) == {"5": np.inf, "50": np.inf, "95": np.inf}
    assert all(np.isnan(v) for v in percentiles_with_inf(np.array([np.nan])).values())


def _tables(n_cells: int, sir_db: np.ndarray):
    n = sir_db.size
    ue = pd.DataFrame({"coupling_loss_db": np.full(n, 100.0), "rsrp_dbm": np.full(n, -80.0),
                       "sinr_db": np.full(n, 10.0), "sir_db": sir_db, "throughput_bps": np.full(n, 1e7),
                       "los": np.ones(n, bool), "indoor": np.zeros(n, bool),
                       "spectral_efficiency_bps_per_hz": np.full(n, 2.0)})
    cell = pd.DataFrame({"cell": np.arange(n_cells), "spectral_efficiency_bps_per_hz": np.full(n_cells, 2.0)})
    return ue, cell


def test_snapshot_kpis_note_one_cell_only() -> None:
    """The slot engine's KPIs (snapshot_kpis): +inf SIR and the note for one cell, no note else."""
    k = snapshot_kpis(*_tables(1, np.full(5, np.inf)), 1e8)
    assert k["percentiles"]["sir_db"] == {"5": np.inf, "50": np.inf, "95": np.inf}
    assert k["notes"] == {"sir_db": ONE_CELL_SIR_NOTE}
    assert "notes" not in snapshot_kpis(*_tables(3, np.full(5, 12.0)), 1e8)


@pytest.fixture(scope="module")
def one_cell_run(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("one") / "res"
    res = runner.invoke(app, ["run", "single-site", *ONE_CELL, "--out", str(out), "--report"])
    assert res.exit_code == 0, res.output
    return out, res.output


def test_run_one_cell_sir_is_plus_inf(one_cell_run) -> None:
    out, output = one_cell_run
    assert re.search(r"SIR \(geometry\) \[dB\]\s*│\s*\+inf\s*│\s*\+inf\s*│\s*\+inf", output), output
    assert "-inf" not in output and "note (sir_db): the network has one cell" in output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kpis"]["n_cells"] == 1
    assert summary["kpis"]["percentiles"]["sir_db"] == {"5": None, "50": None, "95": None}
    assert summary["kpis"]["notes"] == {"sir_db": ONE_CELL_SIR_NOTE}
    sir = pd.read_parquet(out / "ue.parquet")["sir_db"].to_numpy()
    assert sir.size == 5 and np.all(np.isposinf(sir))  # Parquet keeps inf


def _sir_row(report_html: str) -> str:
    return re.search(r"<tr><td>SIR \(geometry\) \[dB\]</td>.*?</tr>", report_html).group(0)


def test_run_report_one_cell(one_cell_run) -> None:
    out, output = one_cell_run
    text = (out / "report.html").read_text(encoding="utf-8")
    assert _sir_row(text).count("<td>+inf</td>") == 3
    assert "sir_db: the network has one cell" in text
    assert '<canvas id="map"' in text and "report in" in output


def test_report_command_one_cell(one_cell_run, tmp_path) -> None:
    out, _ = one_cell_run
    target = tmp_path / "again.html"
    res = runner.invoke(app, ["report", str(out), "--out", str(target)])
    assert res.exit_code == 0, res.output
    assert _sir_row(target.read_text(encoding="utf-8")).count("<td>+inf</td>") == 3


def test_compare_two_one_cell_variants(tmp_path) -> None:
    res = runner.invoke(app, ["compare", "single-site", "single-site", *ONE_CELL[:4], "--set", "drops=1",
                              "--set-b", "radio.tx_power_dbm=40", "--out", str(tmp_path / "cmp")])
    assert res.exit_code == 0, res.output
    assert re.search(r"sir_db\s*│\s*-\s*│\s*-\s*│\s*-\s*│", res.output), res.output  # inf - inf: undefined
    assert re.search(r"rsrp_dbm\s*│\s*-6\.00\s*│", res.output)  # 46 -> 40 dBm
    result = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert result["kpi_deltas"]["percentiles"]["sir_db"]["50"] == {"a": None, "b": None, "delta": None}
    assert result["notes"] == {"A": {"sir_db": ONE_CELL_SIR_NOTE}, "B": {"sir_db": ONE_CELL_SIR_NOTE}}
    assert "<td>+inf</td>" in (tmp_path / "cmp" / "report.html").read_text(encoding="utf-8")


def test_compare_one_cell_result_folders(one_cell_run, tmp_path) -> None:
    """A and B read back from summary.json, where the SIR is null: compared as +inf."""
    out, _ = one_cell_run
    res = runner.invoke(app, ["compare", str(out), str(out), "--out", str(tmp_path / "cmp")])
    assert res.exit_code == 0, res.output
    result = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert result["kpi_deltas"]["percentiles"]["sir_db"]["5"] == {"a": None, "b": None, "delta": None}
    assert result["kpi_deltas"]["percentiles"]["rsrp_dbm"]["5"]["delta"] == 0.0


def test_site_list_with_one_site_and_one_sector(tmp_path) -> None:
    sites = tmp_path / "one.csv"
    sites.write_text("site_id,cell_id,lat,lon,height_m,azimuth_deg,environment\nS1,S1-1,51.5074,-0.1278,30,0,uma\n")
    out = tmp_path / "res"
    res = runner.invoke(app, ["run", "london-pilot", "--set", f'deployment.sites_file="{sites}"',
                              "--set", "deployment.ue.per_sector=5", "--set", "coverage.resolution_m=50",
                              "--drops", "1", "--out", str(out), "--report"])
    assert res.exit_code == 0, res.output
    assert re.search(r"SIR \(geometry\) \[dB\]\s*│\s*\+inf", res.output)
    assert json.loads((out / "summary.json").read_text())["kpis"]["notes"]["sir_db"] == ONE_CELL_SIR_NOTE
    assert _sir_row((out / "report.html").read_text(encoding="utf-8")).count("<td>+inf</td>") == 3
