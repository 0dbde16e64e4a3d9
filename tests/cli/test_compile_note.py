"""The "compiling, first run only" note: shown once when one of nrsim's numba kernels is really
compiled (numba's ``numba:compile`` event), never for a kernel loaded from the cache or already
compiled, nor for other packages' functions."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numba
import pytest
from rich.console import Console

from nrsim.cli.app import _COMPILING, _LAZY_COMMANDS
from nrsim.cli.guards import COMPILE_NOTE, compile_note

SRC = Path(__file__).resolve().parents[2] / "src"


def _fresh(module: str, body: str = "x + 1"):
    """A new (never compiled) numba function defined in ``module``."""
    ns: dict = {"__name__": module}
    exec(f"def f(x):\n    return {body}\n", ns)  # noqa: S102 - a fixed test function
    return numba.njit(ns["f"])


def _console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=400), buf


def test_note_once_while_an_nrsim_kernel_compiles() -> None:
    console, buf = _console()
    f, g = _fresh("nrsim._probe"), _fresh("nrsim._probe", "x * 2")
    with compile_note(console):
        assert f(1) == 2 and g(3) == 6  # two compilations, one note
        assert f(2) == 3  # compiled already: no event
    assert buf.getvalue().count("compiling nrsim's numba kernels") == 1
    assert buf.getvalue().strip() == COMPILE_NOTE


def test_no_note_without_compilation_or_for_other_packages() -> None:
    console, buf = _console()
    f = _fresh("nrsim._probe")
    f(1)  # compiled before the block
    with compile_note(console):
        assert f(5) == 6
        assert _fresh("someone_else.kernels")(1) == 2  # compiled, but not nrsim's
    assert buf.getvalue() == ""


def test_listener_removed_after_the_block() -> None:
    console, buf = _console()
    with compile_note(console):
        pass
    _fresh("nrsim._probe")(1)
    assert buf.getvalue() == ""


def test_commands_that_compile_are_known() -> None:
    assert _COMPILING <= set(_LAZY_COMMANDS)


@pytest.mark.slow
def test_cli_notes_a_cold_cache_and_not_a_warm_one(tmp_path: Path) -> None:
    """``nrsim run`` with an empty numba cache (``NUMBA_CACHE_DIR``) shows the note on stderr;
    the same run again loads every kernel from that cache and shows none."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache"),
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "nrsim", "run", "single-site", "--set", "deployment.ue.per_sector=2", "--drops", "1",
           "--out", str(tmp_path / "res"), "--force"]
    cold = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert cold.returncode == 0, cold.stderr
    assert cold.stderr.count("compiling nrsim's numba kernels") == 1
    assert "compiling" not in cold.stdout
    warm = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert warm.returncode == 0, warm.stderr
    assert "compiling" not in warm.stderr
