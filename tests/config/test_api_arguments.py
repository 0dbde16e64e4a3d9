"""Python API arguments of the wrong type raise ArgumentTypeError (a ConfigError and a
TypeError) naming the argument, before any work; nothing is truncated silently (before:
``load_config(seed=1.7)`` gave seed 1, ``run(chunk_ues=2.5)`` ran with 2, ``run(workers="2")``
and ``run(out_dir=123)`` raised a bare TypeError after the drops had started)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nrsim
from nrsim.errors import ArgumentTypeError


@pytest.mark.parametrize("kwargs,field", [
    ({"seed": 1.7}, "seed"), ({"seed": 2.0}, "seed"), ({"seed": "3"}, "seed"), ({"seed": True}, "seed"),
    ({"drops": 2.5}, "drops"), ({"drops": np.float64(2.0)}, "drops"),
])
def test_load_config_numbers_are_not_truncated(kwargs: dict, field: str) -> None:
    with pytest.raises(ArgumentTypeError) as info:
        nrsim.load_config("single-site", **kwargs)
    assert info.value.field == field and field in str(info.value)
    assert isinstance(info.value, TypeError) and isinstance(info.value, nrsim.ConfigError)


def test_load_config_accepts_numpy_integers() -> None:
    cfg = nrsim.load_config("single-site", seed=np.int64(7), drops=np.int32(2))
    assert (cfg.seed, cfg.drops) == (7, 2)


@pytest.mark.parametrize("args,field", [
    (("single-site", "drops=2"), "overrides"),  # a string was read character by character
    (("single-site", [3]), "overrides"),
    ((42,), "source"),
    ((b"single-site",), "source"),
])
def test_load_config_source_and_overrides(args: tuple, field: str) -> None:
    with pytest.raises(ArgumentTypeError) as info:
        nrsim.load_config(*args)
    assert info.value.field == field


@pytest.mark.parametrize("kwargs,field", [
    ({"workers": "2"}, "workers"), ({"workers": 1.0}, "workers"), ({"chunk_ues": 2.5}, "chunk_ues"),
    ({"out_dir": 123}, "out_dir"), ({"out_dir": ""}, "out_dir"), ({"scheduler": 8786}, "scheduler"),
    ({"scheduler": "localhost"}, "scheduler"), ({"progress": "yes"}, "progress"),
    ({"allow_plugins": 1}, "allow_plugins"),
])
def test_run_arguments(tmp_path: Path, kwargs: dict, field: str) -> None:
    cfg = nrsim.load_config("single-site", ["deployment.ue.per_sector=1"], drops=1)
    with pytest.raises(nrsim.ConfigError) as info:
        nrsim.run(cfg, **{"out_dir": tmp_path / "out", **kwargs})
    assert info.value.field == field and field in str(info.value)
    assert list(tmp_path.iterdir()) == []
