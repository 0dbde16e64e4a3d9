"""Fuzz the Python API's argument types: ``nrsim.load_config(source, overrides, seed=, drops=)``,
``nrsim.run(config, out_dir=, progress=, workers=, scheduler=, chunk_ues=, allow_plugins=)``
and ``nrsim.compare.compare``. A value of the wrong type raises ArgumentTypeError (a
ConfigError and a TypeError) whose ``field`` names the argument, before any work and without
writing; nothing is truncated (``seed=1.7`` is an error, not 1). Also the CLI's ``--out``
with paths that cannot be written: exit 0 or 2, never a traceback."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nrsim
from nrsim.boundary import check_run_args
from nrsim.compare import compare
from nrsim.errors import ArgumentTypeError

FUZZ = settings(max_examples=int(os.environ.get("NRSIM_FUZZ_EXAMPLES") or 60), deadline=None,
                suppress_health_check=list(HealthCheck))
ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10), st.binary(max_size=5),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from([1.7, 2.0, -0.0, math.nan, math.inf, 10**400, "2", b"2", np.float64(2.0), np.int64(3),
                     np.bool_(True), Path("x"), object(), (1,), {1}, complex(1, 1)]),
)
INTEGER = st.one_of(st.integers(), st.sampled_from([np.int64(5), np.int32(1), np.uint8(2)]))


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


@FUZZ
@given(seed=ANYTHING, drops=ANYTHING)
def test_load_config_seed_and_drops(seed, drops) -> None:
    try:
        cfg = nrsim.load_config("single-site", seed=seed, drops=drops)
    except ArgumentTypeError as exc:
        bad = [n for n, v in (("seed", seed), ("drops", drops)) if v is not None and not _is_int(v)]
        assert bad and exc.field == bad[0] and bad[0] in str(exc)
        assert isinstance(exc, TypeError) and isinstance(exc, nrsim.ConfigError)
        return
    except nrsim.ConfigError as exc:  # an integer out of range: the schema's message
        assert exc.field in ("seed", "drops")
        return
    for name, v in (("seed", seed), ("drops", drops)):
        assert v is None or (_is_int(v) and getattr(cfg, name) == int(v))  # never truncated


@FUZZ
@given(source=ANYTHING, overrides=st.one_of(ANYTHING, st.lists(ANYTHING, max_size=3)))
def test_load_config_source_and_overrides(source, overrides) -> None:
    try:
        nrsim.load_config(source, overrides)
    except ArgumentTypeError as exc:
        assert exc.field in ("source", "overrides")
    except nrsim.ConfigError:
        pass


RUN_ARGS = {"out_dir": None, "progress": None, "workers": 0, "scheduler": None, "chunk_ues": None,
            "allow_plugins": False}


def _wrong_for(name: str):
    """Values of the wrong type for run argument ``name``."""
    if name in ("workers", "chunk_ues"):
        return ANYTHING.filter(lambda v: not _is_int(v) and not (name == "chunk_ues" and v is None))
    if name == "out_dir":
        return ANYTHING.filter(lambda v: v is not None and not isinstance(v, (str, os.PathLike)))
    if name == "scheduler":
        return ANYTHING.filter(lambda v: v is not None and not isinstance(v, str))
    if name == "progress":
        return ANYTHING.filter(lambda v: v is not None and not callable(v))
    return ANYTHING.filter(lambda v: not isinstance(v, bool))


@FUZZ
@given(data=st.data(), name=st.sampled_from(list(RUN_ARGS)))
def test_run_argument_of_the_wrong_type(scratch, data, name: str) -> None:
    folder = scratch()
    kwargs = {**RUN_ARGS, "out_dir": folder / "out", name: data.draw(_wrong_for(name))}
    with pytest.raises(ArgumentTypeError) as info:
        nrsim.run("single-site", **kwargs)
    assert info.value.field == name and name in str(info.value)
    assert list(folder.iterdir()) == []  # before any work: nothing written


@FUZZ
@given(workers=st.one_of(INTEGER, ANYTHING), chunk_ues=st.one_of(st.none(), INTEGER, ANYTHING),
       out_dir=st.one_of(st.none(), st.text(max_size=20), ANYTHING), allow_plugins=ANYTHING)
def test_run_argument_checks_accept_only_exact_types(workers, chunk_ues, out_dir, allow_plugins) -> None:
    try:
        check_run_args("single-site", out_dir=out_dir, progress=None, workers=workers, scheduler=None,
                       chunk_ues=chunk_ues, allow_plugins=allow_plugins)
    except nrsim.ConfigError as exc:
        assert exc.field in ("out_dir", "workers", "chunk_ues", "allow_plugins")
        return
    assert _is_int(workers) and workers >= 0
    assert chunk_ues is None or (_is_int(chunk_ues) and chunk_ues >= 1)
    assert out_dir is None or (isinstance(out_dir, (str, os.PathLike)) and str(out_dir) and "\x00" not in str(out_dir))
    assert isinstance(allow_plugins, bool)


@FUZZ
@given(name=st.sampled_from(["a", "b", "overrides", "overrides_a", "overrides_b", "out_dir", "allow_plugins"]),
       value=ANYTHING)
def test_compare_arguments(scratch, name: str, value) -> None:
    folder = scratch()
    kwargs = {"a": "single-site", "b": "single-site", "overrides": ["deployment.ue.per_sector=1"],
              "out_dir": folder / "cmp", "allow_plugins": False, name: value}
    a, b = kwargs.pop("a"), kwargs.pop("b")
    ok_type = {"a": (str, os.PathLike), "b": (str, os.PathLike), "out_dir": (str, os.PathLike, type(None)),
               "allow_plugins": bool}.get(name)
    if ok_type is not None and isinstance(value, ok_type) or name.startswith("overrides") and (
            value is None or isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)):
        return  # a value of an allowed type (it would run): not this test's business
    with pytest.raises(nrsim.ConfigError) as info:
        compare(a, b, **kwargs)
    assert info.value.field == name
    assert list(folder.iterdir()) == []


@FUZZ
@given(out=st.one_of(st.text(max_size=40).filter(lambda s: not s.startswith("/") and ".." not in s.split("/")),
                    st.sampled_from(["", "x" * 300, "a/" * 50 + "b", "\x00", "file/sub",
                                                              "/proc/nrsim", "/dev/null/x", ".", "..", "dir[/x]"])))
def test_cli_out_paths(fuzz, scratch, out: str) -> None:
    """Relative paths (inside a scratch folder) and a few that cannot be written."""
    folder = scratch()
    (folder / "file").write_text("a file, not a folder")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        fuzz.invoke(["run", "single-site", "--drops=1", "--set=deployment.ue.per_sector=1",
                     "--set=output.plots=false", f"--out={out}"])
    finally:
        os.chdir(cwd)
