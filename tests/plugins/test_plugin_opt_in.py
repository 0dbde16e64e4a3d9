"""A scenario file is data: the Python code it names (``slots.scheduler.plugin``) runs only
with ``--allow-plugins`` / ``allow_plugins=True`` (nrsim.plugins; docs/slots.md). Before,
``nrsim run`` imported and ran the file while ``nrsim validate`` said only "ok"."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import nrsim
from nrsim.cli.app import app
from nrsim.compare import compare
from nrsim.plugins import PluginNotAllowedError, named_code

SMALL = ["deployment.ue.per_sector=2", "radio.bandwidth_mhz=20", "slots.enabled=true", "slots.n_slots=40",
         "slots.warmup_slots=10", "output.plots=false"]
PLUGIN = '''import pathlib
from nrsim.scheduler import assign_by_metric
pathlib.Path(__file__).with_name("EXECUTED").write_text("the plugin file ran")
class Greedy:
    def __init__(self, n_ue):
        pass
    def allocate(self, inp):
        return assign_by_metric(inp.rate_bits, inp)
    def update(self, inp, bits):
        pass
'''


@pytest.fixture
def plugin(tmp_path: Path) -> list[str]:
    f = tmp_path / "plug.py"
    f.write_text(PLUGIN, encoding="utf-8")
    return [*SMALL, "slots.scheduler.name=plugin", f"slots.scheduler.plugin={f}:Greedy"]


def _sets(overrides: list[str]) -> list[str]:
    return [a for o in overrides for a in ("--set", o)]


def test_validate_says_the_scenario_names_code(plugin: list[str], tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["validate", "single-site", *_sets(plugin)])
    assert res.exit_code == 0, res.output
    assert f"names Python code: slots.scheduler.plugin = '{tmp_path / 'plug.py'}:Greedy'" in res.stdout
    assert "runs only with --allow-plugins" in res.stdout
    assert not (tmp_path / "EXECUTED").exists()
    res = CliRunner().invoke(app, ["validate", "single-site", *_sets(SMALL)])
    assert "names Python code" not in res.stdout


def test_run_without_the_option_stops_before_any_work(plugin: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", "single-site", "--drops", "1", *_sets(plugin), "--out", str(out)])
    assert res.exit_code == 2 and len(res.stderr.splitlines()) == 1
    assert "slots.scheduler.plugin" in res.stderr and "--allow-plugins" in res.stderr
    assert not out.exists() and not (tmp_path / "EXECUTED").exists()
    assert res.stdout == ""  # not even the run's header


def test_run_with_the_option_runs_the_plugin(plugin: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", "single-site", "--drops", "1", *_sets(plugin), "--out", str(out),
                                   "--allow-plugins"])
    assert res.exit_code == 0, res.output
    assert (out / "summary.json").is_file() and (tmp_path / "EXECUTED").exists()


def test_with_the_option_a_missing_file_stops_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "out"
    missing = [*SMALL, "slots.scheduler.name=plugin", f"slots.scheduler.plugin={tmp_path / 'nope.py'}:A"]
    res = CliRunner().invoke(app, ["run", "single-site", "--drops", "1", *_sets(missing), "--out", str(out),
                                   "--allow-plugins"])
    assert res.exit_code == 2 and "does not exist" in res.stderr and not out.exists()


def test_api_run_needs_allow_plugins(plugin: list[str], tmp_path: Path) -> None:
    cfg = nrsim.load_config("single-site", plugin, drops=1)
    assert named_code(cfg) == [("slots.scheduler.plugin", f"{tmp_path / 'plug.py'}:Greedy")]
    with pytest.raises(PluginNotAllowedError) as info:
        nrsim.run(cfg, out_dir=tmp_path / "out")
    assert info.value.field == "slots.scheduler.plugin" and "allow_plugins=True" in str(info.value)
    assert not (tmp_path / "out").exists() and not (tmp_path / "EXECUTED").exists()
    with pytest.raises(nrsim.ConfigError, match="allow_plugins = 'yes'"):
        nrsim.run(cfg, allow_plugins="yes")


def test_compare_needs_allow_plugins(plugin: list[str], tmp_path: Path) -> None:
    with pytest.raises(PluginNotAllowedError):
        compare("single-site", "single-site", overrides_b=plugin, overrides=["drops=1"], out_dir=tmp_path / "cmp")
    assert not (tmp_path / "cmp").exists() and not (tmp_path / "EXECUTED").exists()
    res = CliRunner().invoke(app, ["compare", "single-site", "single-site", *(
        a for o in plugin for a in ("--set-b", o)), "--set", "drops=1", "--out", str(tmp_path / "cmp")])
    assert res.exit_code == 2 and "--allow-plugins" in res.stderr
