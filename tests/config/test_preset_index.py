"""The preset catalogue (`nrsim presets`): every shipped preset in exactly one family, with a
short summary; shell completion of scenario names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from nrsim.cli.app import app
from nrsim.config import list_presets, preset_catalogue

MAX_SUMMARY_CHARS = 80
"""A summary must fit one terminal line beside the name column."""


def test_catalogue_lists_every_preset_once_with_a_short_summary() -> None:
    entries = preset_catalogue()
    assert sorted(e.name for e in entries) == sorted(list_presets())
    assert len({e.name for e in entries}) == len(entries)
    for e in entries:
        assert e.summary and len(e.summary) <= MAX_SUMMARY_CHARS, e.name
    families = [e.family for e in entries]
    # grouped: each family appears in one contiguous run
    runs = [f for i, f in enumerate(families) if i == 0 or families[i - 1] != f]
    assert len(runs) == len(set(runs))
    assert families[0] == "Getting started"


def test_presets_command_groups_by_family() -> None:
    out = CliRunner().invoke(app, ["presets"], terminal_width=200)
    assert out.exit_code == 0, out.output
    assert out.output.index("Getting started") < out.output.index("uma-default") < out.output.index("City pilots")
    assert "london-pilot" in out.output and "_index" not in out.output
    full = CliRunner().invoke(app, ["presets", "--full"], terminal_width=400)
    assert "make-run default" in full.output and "TR 38.901 UMa, 19 sites x 3 sectors" in full.output


def test_index_is_not_a_preset() -> None:
    out = CliRunner().invoke(app, ["validate", "_index"])
    assert out.exit_code == 2


def test_shell_completion_offers_preset_names(tmp_path) -> None:
    (tmp_path / "my-city.toml").write_text("seed = 1\n")
    env = dict(os.environ, _NRSIM_COMPLETE="complete_bash", COMP_WORDS="nrsim run m", COMP_CWORD="2")
    script = Path(sys.executable).with_name("nrsim")  # the installed console script
    proc = subprocess.run([str(script)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    words = proc.stdout.split()
    assert "mobility-uma" in words and "my-city.toml" in words and "london-pilot" not in words
