"""Runs that cannot or should not go ahead silently: a scenario that switches every cell off
is bad input (exit 2, one line, nothing written), and replacing an earlier result folder or a
folder of other files (``--force``) is one ``warning:`` line naming the folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import nrsim
from nrsim.cli.app import app

runner = CliRunner()
PILOT = ["--set", "deployment.ue.per_sector=1", "--drops", "1"]
SMALL = ["single-site", "--set", "deployment.ue.per_sector=2", "--drops", "1"]
ALL_VENDORS = "sites.exclude_vendor=vendor-a,vendor-b"  # the London pilot's two vendors


def _one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), output
    return lines[0]


def test_every_cell_off_is_a_config_error() -> None:
    with pytest.raises(nrsim.ConfigError, match="switches off every cell") as info:
        nrsim.load_config("london-pilot", [ALL_VENDORS])
    assert info.value.field == "sites.exclude_vendor"
    nrsim.load_config("london-pilot", ["sites.exclude_vendor=vendor-b"])  # one vendor left: fine


def test_every_cell_off_names_long_site_lists_briefly() -> None:
    sites = ",".join(f"LON{i:04d}" for i in range(1, 141))
    with pytest.raises(nrsim.ConfigError, match=r"LON0001,LON0002,LON0003,\.\.\. \(140 names\)") as info:
        nrsim.load_config("london-pilot", [f"sites.exclude_site={sites}"])
    assert info.value.field == "sites.exclude_site" and "LON0140" not in str(info.value)


@pytest.mark.parametrize("args", [
    ["run", "london-pilot", "--set", ALL_VENDORS, *PILOT],
    ["validate", "london-pilot", "--set", ALL_VENDORS],
    ["compare", "london-pilot", "london-pilot", "--set", "deployment.ue.per_sector=1", "--set", "drops=1",
     "--set-b", ALL_VENDORS],
], ids=["run", "validate", "compare"])
def test_cli_refuses_a_run_with_every_cell_off(args: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = runner.invoke(app, [*args, *(["--out", str(out)] if args[0] != "validate" else [])])
    assert res.exit_code == 2, res.output
    line = _one_error_line(res.output)
    assert "sites.exclude_vendor = vendor-a,vendor-b: switches off every cell" in line
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_rerun_warns_that_it_replaces_the_earlier_result(tmp_path: Path) -> None:
    out = tmp_path / "res"
    first = runner.invoke(app, ["run", *SMALL, "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert "warning:" not in first.output  # a new folder: nothing replaced
    for extra in ([], ["--force"]):
        res = runner.invoke(app, ["run", *SMALL, "--out", str(out), *extra], env={"COLUMNS": "300"})
        assert res.exit_code == 0, res.output
        warn = [line for line in res.output.splitlines() if line.startswith("warning:")]
        assert len(warn) == 1, res.output
        assert f"{out} holds an earlier nrsim result (run, nrsim {nrsim.__version__})" in warn[0]
        assert (out / "summary.json").is_file()


def test_library_warns_too(tmp_path: Path) -> None:
    cfg = nrsim.load_config("single-site", ["deployment.ue.per_sector=2"], drops=1)
    nrsim.run(cfg, out_dir=tmp_path / "r")
    with pytest.warns(nrsim.OutputWarning, match="holds an earlier nrsim result"):
        nrsim.run(cfg, out_dir=tmp_path / "r")
