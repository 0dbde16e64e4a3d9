"""Capability errors of the run modes are found by ``load_config`` (``RunMode.check``):
``nrsim run`` exits 2 with one line naming the field and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import nrsim
from nrsim.cli.app import app

runner = CliRunner()

CASES = [
    # moving UEs need the dense link form (engine/mobility.py raised a ValueError at run time)
    ("mobility-uma", ["interference.mode=sparse", "deployment.wraparound=false"], "interference.mode"),
    ("mobility-uma", ["interference.mode=auto", "deployment.wraparound=false", "interference.auto_dense_max_sites=1"],
     "interference.mode"),
    # a duration shorter than one step (engine/mobility.py: ValueError after building the drop)
    ("mobility-uma", ["mobility.duration_s=0.01", "mobility.step_ms=100"], "mobility.duration_s"),
    # the slot engine needs one scenario for the whole layout (engine/slot_setup.py, at run time)
    ("london-pilot", ["slots.enabled=true"], "slots.enabled"),
    # the call engine's own rules
    ("mobility-uma", ["slots.enabled=true", "slots.traffic.model=full_buffer"], "slots.traffic.model"),
]


@pytest.mark.parametrize("preset, overrides, field", CASES)
def test_load_config_names_the_field(preset: str, overrides: list[str], field: str) -> None:
    with pytest.raises(nrsim.ConfigError) as info:
        nrsim.load_config(preset, overrides)
    assert info.value.field == field


@pytest.mark.parametrize("preset, overrides, field", CASES[:3])
def test_cli_exit_2_and_no_output(tmp_path: Path, preset: str, overrides: list[str], field: str) -> None:
    out = tmp_path / "res"
    args = ["run", preset, "--out", str(out)]
    for o in overrides:
        args += ["--set", o]
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert field in res.output
    assert not out.exists() and list(tmp_path.iterdir()) == []
