"""The CLI through Typer's CliRunner: commands, outputs, and exit code 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nrsim.cli.app import app

runner = CliRunner()
SMALL = ["--set", "deployment.rings=1", "--set", "deployment.ue.per_sector=3", "--drops", "2"]


def test_presets_command() -> None:
    res = runner.invoke(app, ["presets"])
    assert res.exit_code == 0
    assert "uma-default" in res.output and "inh-office" in res.output


def test_validate_ok_and_bad(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[channel]\nfc_ghz = 3.5\n')
    res = runner.invoke(app, ["validate", str(good)])
    assert res.exit_code == 0, res.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[deployment]\nisd_m = -500\n')
    res = runner.invoke(app, ["validate", str(bad)])
    assert res.exit_code == 2
    assert "deployment.isd_m" in res.output


def test_run_writes_outputs(tmp_path: Path) -> None:
    out = tmp_path / "res"
    res = runner.invoke(app, ["run", "uma-default", "--out", str(out), "--seed", "3", *SMALL])
    assert res.exit_code == 0, res.output
    assert "SINR" in res.output
    for name in ("ue.parquet", "cell.parquet", "summary.json", "config.json", "cdf_sinr.png",
                 "cdf_coupling_loss.png", "cdf_throughput.png", "cdf_rsrp.png"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["drops"] == 2
    assert len(summary["config_hash"]) == 16 and summary["nrsim_version"]
    assert summary["config"]["deployment"]["rings"] == 1
    ue = pd.read_parquet(out / "ue.parquet")
    assert len(ue) == 2 * 21 * 3
    for col in ("x_m", "y_m", "indoor", "los", "serving_cell", "coupling_loss_db", "rsrp_dbm", "sinr_db", "sir_db", "throughput_bps"):
        assert col in ue.columns
    cell = pd.read_parquet(out / "cell.parquet")
    assert len(cell) == 2 * 21 and "spectral_efficiency_bps_per_hz" in cell.columns


BAD_RUNS = [
    ["run", "uma-default", "--set", "deployment.isdm=300"],
    ["run", "uma-default", "--set", "deployment.isd_m=-500"],
    ["run", "uma-default", "--set", "channel.fc_ghz=200"],
    ["run", "uma-default", "--set", "deployment.rings=two"],
    ["run", "no-such-preset"],
    ["run", "uma-default", "--drops", "0"],
    ["run", "uma-default", "--set", "interference.mode=sparse"],  # sparse needs no wrap-around
    ["run", "uma-default", "--set", "mobility.step_ms=0"],
    ["run", "national-10k", "--set", "deployment.national.target_sites=5"],
]


@pytest.mark.parametrize("argv", BAD_RUNS)
def test_bad_input_exit_2_nothing_written(argv: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = runner.invoke(app, [*argv, "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "error" in res.output.lower()
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", ["", "not = [toml", "\x00\x01binary"])
def test_bad_files_exit_2(content: str, tmp_path: Path) -> None:
    f = tmp_path / "scenario.toml"
    f.write_text(content)
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(f), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert not out.exists()


def test_python_dash_m(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "nrsim", "presets"], capture_output=True, text=True)
    assert res.returncode == 0 and "uma-default" in res.stdout
    res = subprocess.run([sys.executable, "-m", "nrsim", "run", "nope"], capture_output=True, text=True)
    assert res.returncode == 2
    assert "unknown preset" in res.stderr


def test_version_option() -> None:
    from typer.testing import CliRunner

    import nrsim
    from nrsim.cli.app import app

    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.stdout.strip() == f"nrsim {nrsim.__version__}"
