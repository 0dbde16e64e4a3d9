"""CLI start-up: ``nrsim --help``, ``--version``, ``presets`` and tab completion load neither
numba nor the simulator (the lazy command group of :mod:`nrsim.cli.app` and the lazy public
names of :mod:`nrsim`), and every command is still reachable with its full options."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import nrsim
from nrsim.cli import app as app_module
from nrsim.cli.app import _LAZY_COMMANDS, app, load_command

SRC = Path(__file__).resolve().parents[2] / "src"
HEAVY = ("numba", "pandas", "dask", "distributed", "scipy", "pyarrow", "matplotlib", "nrsim.api", "nrsim.engine",
         "nrsim.runs", "nrsim.kpi")
"""Modules that a light start-up must not import (each, or a submodule of it)."""

_PROBE = """
import json, sys
from nrsim.cli.app import app
try:
    app(args=sys.argv[2:], prog_name="nrsim")
except SystemExit:
    pass
with open(sys.argv[1], "w") as f:
    json.dump(sorted(sys.modules), f)
"""


def _modules_after(tmp_path: Path, args: list[str], env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """The modules loaded by a fresh interpreter running ``nrsim ARGS``, and its stdout."""
    listing = tmp_path / "modules.json"
    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
                **(env or {})}
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(listing), *args], env=full_env, capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(listing.read_text())), proc.stdout


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["presets"], ["run", "--help"]])
def test_light_commands_do_not_import_the_simulator(tmp_path: Path, args: list[str]) -> None:
    modules, out = _modules_after(tmp_path, args)
    assert "nrsim.cli.app" in modules  # the probe did run the app
    assert out.strip(), "no output"
    assert not _heavy(modules), f"nrsim {' '.join(args)} imported {_heavy(modules)}"


@pytest.mark.parametrize("words, expected", [("nrsim r", {"run", "report"}), ("nrsim run single-s", {"single-site"})])
def test_tab_completion_is_light(tmp_path: Path, words: str, expected: set[str]) -> None:
    """Completion of command names and of a preset name (bash protocol of Click)."""
    env = {"_NRSIM_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
    modules, out = _modules_after(tmp_path, [], env)
    assert set(out.split()) == expected
    assert not _heavy(modules), f"completing {words!r} imported {_heavy(modules)}"


def test_the_probe_sees_a_heavy_import(tmp_path: Path) -> None:
    """The check above can fail: running a scenario's validation loads the simulator."""
    modules, _ = _modules_after(tmp_path, ["validate", "single-site"])
    assert _heavy(modules)


@pytest.mark.parametrize("name", list(_LAZY_COMMANDS))
def test_every_command_is_reachable_with_its_options(name: str) -> None:
    real = load_command(name)
    res = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert f"nrsim {name}" in res.output
    options = [opt for p in real.params for opt in p.opts if opt.startswith("--")]
    assert options, name
    for opt in options:
        assert opt in res.output, f"{opt} missing from nrsim {name} --help"


@pytest.mark.parametrize("name", list(_LAZY_COMMANDS))
def test_static_help_is_the_command_docstring(name: str) -> None:
    """The help ``nrsim --help`` lists without loading a command is the command's own."""
    assert load_command(name).help == _LAZY_COMMANDS[name][2]


def test_listing_is_the_same_with_loaded_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    listed = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    monkeypatch.setattr(app_module, "_Listed", lambda name, help: load_command(name))  # every command loaded
    loaded = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    assert listed == loaded
    assert all(name in listed for name in _LAZY_COMMANDS)


def test_unknown_command_is_one_line_with_a_suggestion() -> None:
    res = CliRunner().invoke(app, ["rnu"])
    assert res.exit_code == 2
    assert "No such command 'rnu'" in res.output and "'run'" in res.output


def test_lazy_public_names() -> None:
    """``import nrsim`` gives every name of ``__all__`` on first use, the same objects as
    their modules define; an unknown name is an AttributeError."""
    import nrsim.api
    import nrsim.sizing

    for name in nrsim.__all__:
        assert getattr(nrsim, name) is not None
    assert nrsim.run is nrsim.api.run and nrsim.check_size is nrsim.sizing.check_size
    assert set(nrsim.__all__) <= set(dir(nrsim))
    with pytest.raises(AttributeError, match="no_such_name"):
        nrsim.no_such_name  # noqa: B018
    assert app_module.command_function("report").__module__ == "nrsim.cli.report"
