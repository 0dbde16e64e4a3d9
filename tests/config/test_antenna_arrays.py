"""antenna.array, antenna.ue_antennas and [ssb]: allowed values, errors naming the field and
the allowed values, exit 2 from the CLI."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import nrsim
from nrsim.channel.tr38901.arrays import BS_ARRAY_NAMES
from nrsim.cli.app import app
from nrsim.errors import ConfigError


def test_defaults_and_allowed_values() -> None:
    cfg = nrsim.load_config("uma-default")
    assert cfg.antenna.array == "single-column" and cfg.antenna.ue_antennas == 1
    assert (cfg.ssb.n_beams, cfg.ssb.n_consolidate, cfg.ssb.threshold_dbm) == (None, None, None)
    for name in BS_ARRAY_NAMES:
        assert nrsim.load_config("uma-default", [f"antenna.array={name}"]).antenna.array == name
    cfg = nrsim.load_config("uma-default", ["antenna.ue_antennas=4", "ssb.n_beams=4", "ssb.n_consolidate=3",
                                            "ssb.threshold_dbm=-120"])
    assert (cfg.antenna.ue_antennas, cfg.ssb.n_beams, cfg.ssb.n_consolidate, cfg.ssb.threshold_dbm) == (4, 4, 3, -120)


@pytest.mark.parametrize("override, field, allowed", [
    ("antenna.array=32t32r", "antenna.array", "single-column, 4T4R, 32T32R, 32T32R-8x4, 64T64R"),
    ("antenna.ue_antennas=3", "antenna.ue_antennas", "1, 2, 4"),
    ("ssb.n_beams=16", "ssb.n_beams", "4"),
    ("ssb.n_consolidate=1", "ssb.n_consolidate", "2"),
    ("ssb.threshold_dbm=-20", "ssb.threshold_dbm", "-31"),
])
def test_bad_values_name_the_field_and_what_is_allowed(override, field, allowed) -> None:
    with pytest.raises(ConfigError) as exc:
        nrsim.load_config("uma-default", [override])
    assert exc.value.field == field
    assert field in str(exc.value) and allowed in str(exc.value)


def test_cli_exits_2_on_an_unknown_array_type(tmp_path) -> None:
    res = CliRunner().invoke(app, ["run", "single-site", "--out", str(tmp_path / "r"), "--set",
                                   "antenna.array=48T48R"])
    assert res.exit_code == 2, res.output
    assert "antenna.array" in res.output and "64T64R" in res.output
