from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "tests" / "data" / "reference"
OLD_SLOT_ENGINE = REPO / "tests" / "data" / "old_slot_engine"
"""Tables of the retired static slot engine (``nrsim.engine.slots``) for the scenarios of the
engine equivalence tests (tests/data/old_slot_engine/PROVENANCE.md)."""
"""The external reference data the tests validate against, copied into the repository
(tests/data/reference/PROVENANCE.md), so that a clone with nothing beside it passes."""


@pytest.fixture
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.fail(f"reference data missing at {REFERENCE} (tests/data/reference/PROVENANCE.md)")
    return REFERENCE


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a headless-capable Chromium; fails (not skips) when CI is set and none is found."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("Chromium is required in CI (apt-get install -y chromium)")
    pytest.skip("no Chromium on this machine")


def _reference_large_scale(cfg, *, bilinear: bool = False, soft_los: bool = False):
    """Drop 0 of ``cfg`` through the NumPy reference chain (layout, UE drop, O2I, shadowing and
    LOS fields, one large-scale block) from the run's named streams, so a test can compare the
    compiled drop kernel with it link by link. Returns (ues, layout, large-scale block)."""
    from nrsim.channel.large_scale import large_scale_block, make_los_field, make_shadowing_fields, sample_ue_o2i
    from nrsim.deployment import drop_ues
    from nrsim.engine import build_layout, channel_params
    from nrsim.rng import link_key, stream

    layout = build_layout(cfg)
    params = channel_params(cfg)
    u = cfg.deployment.ue
    ues = drop_ues(
        layout, per_sector=u.per_sector, min_distance_2d_m=u.min_distance_2d_m,
        indoor_fraction=u.indoor_fraction, outdoor_height_m=u.outdoor_height_m,
        indoor_floors=u.indoor_floors, building_floors_min=u.building_floors_min,
        building_floors_max=u.building_floors_max, indoor_height_m=u.indoor_height_m,
        rng=stream(cfg.seed, "ue_drop", drop=0),
    )
    o2i = sample_ue_o2i(ues, params, rng=stream(cfg.seed, "o2i", drop=0))
    fields = make_shadowing_fields(ues, layout, params, rng=stream(cfg.seed, "shadowing", drop=0))
    los_field = make_los_field(ues, layout, params, rng=stream(cfg.seed, "los_field", drop=0))
    ls = large_scale_block(ues, slice(0, ues.n_ue), layout, params, o2i, fields, link_key=link_key(cfg.seed, 0),
                           los_field=los_field, bilinear=bilinear, soft_los=soft_los)
    return ues, layout, ls


@pytest.fixture
def reference_large_scale():
    """:func:`_reference_large_scale`: the NumPy reference chain of a drop."""
    return _reference_large_scale


@functools.lru_cache(maxsize=1)
def _old_slot_engine_all() -> tuple[pd.DataFrame, pd.DataFrame]:
    return (pd.read_parquet(OLD_SLOT_ENGINE / "old_slot_engine_ue.parquet"),
            pd.read_parquet(OLD_SLOT_ENGINE / "old_slot_engine_cell.parquet"))


def _old_slot_engine_tables(case: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ue, cell) slot tables of the retired static slot engine for ``case`` (a key of
    ``CASES`` in tests/data/old_slot_engine/make_old_slot_engine.py) and ``seed`` (1-4), with
    the columns that case had."""
    out = []
    for df in _old_slot_engine_all():
        sel = df[(df["case"] == case) & (df["seed"] == seed)].drop(columns=["case", "seed"])
        if sel.empty:
            raise KeyError(f"no old slot engine tables for case {case!r}, seed {seed}")
        out.append(sel.dropna(axis=1, how="all").reset_index(drop=True))
    return out[0], out[1]


@pytest.fixture(scope="session")
def old_slot_engine():
    """:func:`_old_slot_engine_tables`: the retired static slot engine's (ue, cell) tables of a
    pinned equivalence case and seed."""
    return _old_slot_engine_tables
