"""Shared pieces of the input fuzz tests (issue 11: every bad input gets exit 2 and one line).

The property every CLI fuzz test checks, through Typer's CliRunner on ``nrsim.cli.app.app``
with ``catch_exceptions=True``: the command ends with exit code 0 or 2 and no traceback (the
only exception allowed is ``SystemExit``); on 2, stderr is exactly one line ``error: ...``
and nothing was written (the output path does not exist; a watched folder is unchanged).

Each module draws ``NRSIM_FUZZ_EXAMPLES`` examples per test when that variable is set
(e.g. ``NRSIM_FUZZ_EXAMPLES=2000 pytest tests/fuzz``), else its own small
default that keeps the module under about 20 s. ``--hypothesis-show-statistics`` prints the
number of examples run per test. The helpers are handed out as session fixtures: under
``--import-mode=importlib`` a test module cannot import a sibling module by name.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import event
from hypothesis.errors import InvalidArgument
from typer.testing import CliRunner

from nrsim.cli.app import app


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative name -> bytes); {} when it does not exist."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def invoke(args: list[str], *, out: Path | None = None, watch: Path | None = None):
    """Run ``nrsim ARGS`` and check the property of the module docstring; return the result."""
    before = _tree(watch) if watch is not None else None
    res = CliRunner().invoke(app, args, catch_exceptions=True)
    exc = res.exception
    if exc is not None and not isinstance(exc, SystemExit):
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        raise AssertionError(f"traceback for nrsim {args!r}:\n{tb}")
    assert res.exit_code in (0, 2), (args, res.exit_code, res.output)
    try:
        event(f"exit {res.exit_code}")  # the share of accepted inputs, in --hypothesis-show-statistics
    except InvalidArgument:  # called outside a hypothesis test
        pass
    if res.exit_code == 2:
        lines = res.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, res.stderr)
        if out is not None:
            assert not out.exists(), (args, "written on exit 2", out)
        if watch is not None:
            assert _tree(watch) == before, (args, "changed on exit 2", watch)
    return res


@pytest.fixture(scope="session")
def fuzz() -> SimpleNamespace:
    """``fuzz.invoke(args, out=..., watch=...)``: the CLI property (module docstring)."""
    return SimpleNamespace(invoke=invoke, tree=_tree)


@pytest.fixture(scope="session")
def scratch(tmp_path_factory) -> Callable[[], Path]:
    """A fresh empty folder per call (hypothesis examples cannot use function fixtures)."""
    base = tmp_path_factory.mktemp("fuzz")
    counter = iter(range(10**9))

    def make() -> Path:
        p = base / f"x{next(counter)}"
        p.mkdir()
        return p

    return make
