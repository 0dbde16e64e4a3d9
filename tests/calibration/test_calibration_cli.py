"""`nrsim calibrate` through Typer's CliRunner: --list, exit codes, nothing written on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nrsim.calibration import CASES
from nrsim.cli.app import app

runner = CliRunner()


def test_list_shows_every_case() -> None:
    res = runner.invoke(app, ["calibrate", "--list"], env={"COLUMNS": "120"})
    assert res.exit_code == 0, res.output
    for name in CASES:
        assert name in res.output
    assert "none" in res.output and "band" in res.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["calibrate", "uma-6ghz", "uma-5ghz"], "unknown calibration case 'uma-5ghz'"),
        (["calibrate", "uma-6ghz", "--drops", "0"], "drops = 0"),
        (["calibrate", "--drops", "-1"], "drops = -1"),
        (["calibrate", "uma-6ghz", "--set", "channel.blockage=model_a"], "--set applies to --full only"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path, args: list[str], needle: str) -> None:
    out = tmp_path / "cal"
    res = runner.invoke(app, [*args, "--out", str(out)], env={"COLUMNS": "200"})
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0]
    if "unknown" in needle:
        assert "inh-70ghz" in lines[0]  # names what is allowed
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_run_exit_code_follows_the_verdict(tmp_path: Path) -> None:
    out = tmp_path / "cal"
    res = runner.invoke(
        app, ["calibrate", "inh-6ghz", "inh-30ghz", "--drops", "1", "--seed", "2", "--out", str(out)],
        env={"COLUMNS": "120"},
    )
    record = json.loads((out / "calibration.json").read_text())
    assert res.exit_code == (0 if record["pass"] else 1), res.output
    assert "no 3GPP reference" in res.output  # InH SINR and every 30 GHz metric
    assert "inh-30ghz" in res.output and "compared percentiles pass" in res.output
    assert {e["case"] for e in record["cases"]} == {"inh-6ghz", "inh-30ghz"}


def test_full_with_a_bad_option_exits_2() -> None:
    """``--full --set``: the 7.6 options are validated (oxygen absorption only at 52-68 GHz)."""
    res = runner.invoke(app, ["calibrate", "--full", "inh-6ghz", "--set", "channel.oxygen_absorption=true"],
                        env={"COLUMNS": "200"})
    assert res.exit_code == 2
    assert "oxygen_absorption" in res.output
