"""Fixtures of the TR 38.901 channel tests.

The project runs pytest with ``--import-mode=importlib``, under which a test module cannot
import a sibling helper by name; the scalar oracle is therefore loaded from its file and
handed to the tests as the session fixture ``ref``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from nrsim.channel.tr38901.clusters import generate_clusters
from nrsim.channel.tr38901.lsp import lsp_parameters, lsps_from_normals

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


def _make_clusters(scenario: str, cond: str, n_link: int, seed: int, *, mu_lg_zsd: float = 0.5,
                   k_db: float | None = None):
    """(clusters and rays of ``n_link`` links at 6 GHz from standard-normal LSP variates, ZSD
    lognormal (mu_lg_zsd, 0.3), K-factor optionally fixed [dB]; the generator, to draw more)."""
    p = lsp_parameters(scenario, cond, 6.0)
    rng = np.random.default_rng(seed)
    lsps = lsps_from_normals(rng.standard_normal((n_link, 7)), p, mu_lg_zsd, 0.3, 0.0)
    if k_db is not None:
        lsps = type(lsps)(**{**lsps.__dict__, "k_db": np.full(n_link, k_db)})
    cs = generate_clusters(p, lsps, rng.uniform(-180, 180, n_link), rng.uniform(92, 110, n_link), rng=rng)
    return cs, rng


@pytest.fixture(scope="session")
def make_clusters():
    """:func:`_make_clusters`: random clustered links for the coefficient tests."""
    return _make_clusters
