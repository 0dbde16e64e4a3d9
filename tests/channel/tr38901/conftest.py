"""Fixtures of the TR 38.901 channel tests.

The project runs pytest with ``--import-mode=importlib``, under which a test module cannot
import a sibling helper by name; the scalar oracle is therefore loaded from its file and
handed to the tests as the session fixture ``ref``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

_ORACLE_PATH = Path(__file__).with_name("tr38901_oracles.py")


def _load_oracle() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nrsim_tests_tr38901_oracles", _ORACLE_PATH)
    if spec is None or spec.loader is None:  # pragma: no cover - file shipped with the tests
        raise ImportError(f"cannot load {_ORACLE_PATH}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def ref() -> ModuleType:
    """Scalar re-implementations of the TR 38.901 formulas (``tr38901_oracles.py``)."""
    return _load_oracle()
