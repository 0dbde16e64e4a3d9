"""The synthetic national layout: deterministic, exact site count, regions as specified."""

from __future__ import annotations

import numpy as np

import nrsim
from nrsim.deployment.national import national_layout
from nrsim.engine import build_layout


def test_national_preset_layout() -> None:
    cfg = nrsim.load_config("national-10k")
    layout = build_layout(cfg)
    assert layout.n_sites == 10_000 and layout.n_cells == 30_000
    env = np.asarray(layout.site_scenario)
    assert set(env) == {"umi", "uma", "rma"}
    # region spacing: cores 200 m, urban 400 m, suburban 1000 m, rural the rest
    assert set(np.round(layout.site_isd_m[env == "umi"])) == {200.0}
    assert set(np.round(layout.site_isd_m[env == "uma"])) == {400.0, 1000.0}
    rural = layout.site_isd_m[env == "rma"]
    assert rural.min() > 1000.0
    # inside the country
    assert layout.site_xy_m.min() > -0.2 * rural.max()
    assert layout.site_xy_m.max() < 300_000.0 + 0.2 * rural.max()
    # heights by environment
    assert set(layout.site_height_m[env == "umi"]) == {10.0}
    assert set(layout.site_height_m[env == "rma"]) == {35.0}
    # rural sites are spread: nearest-neighbour distance close to the rural ISD
    xy = layout.site_xy_m[env == "rma"][:500]
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    np.fill_diagonal(d, np.inf)
    nn = np.median(d.min(axis=1))
    assert 0.8 * rural.max() < nn < 1.5 * rural.max()


def test_national_layout_deterministic_and_seeded() -> None:
    a = national_layout(target_sites=2000, side_km=120, n_cities=4, layout_seed=5)
    b = national_layout(target_sites=2000, side_km=120, n_cities=4, layout_seed=5)
    c = national_layout(target_sites=2000, side_km=120, n_cities=4, layout_seed=6)
    assert np.array_equal(a.site_xy_m, b.site_xy_m)
    assert not np.array_equal(a.site_xy_m, c.site_xy_m)
    assert a.n_sites == 2000


def test_small_national_run_mixed_environments() -> None:
    cfg = nrsim.load_config(
        "national-10k",
        ["deployment.national.target_sites=300", "deployment.national.side_km=60",
         "deployment.national.n_cities=2", "deployment.national.largest_city_radius_km=3",
         "deployment.ue.per_sector=2"],
    )
    res = nrsim.run(cfg)
    assert len(res.ue) == 2 * 900
    assert np.isfinite(res.ue["coupling_loss_db"]).all()
    assert res.summary["kpis"]["n_cells"] == 900


def test_national_needs_mixed_scenario() -> None:
    import pytest

    with pytest.raises(nrsim.ConfigError, match="mixed"):
        nrsim.load_config("national-10k", ["channel.scenario=uma"])
