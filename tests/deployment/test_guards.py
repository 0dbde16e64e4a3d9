"""Minimum BS-UE distance (TR 38.901 Table 7.8-1) and the path-loss distance range (Table
7.4.1-1): refused at load time with the reason, never violated silently by a drop."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.path import Path as MplPath
from typer.testing import CliRunner

import nrsim
from nrsim.cli.app import app
from nrsim.deployment import drop_ues, hex_layout
from nrsim.deployment.guards import (
    check_distance_validity,
    check_min_distance,
    clover_share_beyond,
    hex_min_isd_m,
    max_valid_d_2d_m,
)
from nrsim.deployment.layout import Layout
from nrsim.deployment.sites import local_isd_m
from nrsim.deployment.ue_drop import site_images_m
from nrsim.errors import ConfigError, ModelValidityWarning

GRID_SHARE_TOL = 2e-3
"""Tolerance of the grid oracle's area share (a 1,200 x 1,200 grid over the hexagon's box)."""


def _hexagon_vertices(radius: float) -> np.ndarray:
    """Clover-leaf cell with boresight along +x and a corner at the site (by hand): corners at
    (R, +-60 deg), (sqrt 3 R, +-30 deg), (2R, 0)."""
    pol = [(radius, -60), (math.sqrt(3) * radius, -30), (2 * radius, 0), (math.sqrt(3) * radius, 30), (radius, 60)]
    return np.array([[0.0, 0.0]] + [[r * math.cos(math.radians(a)), r * math.sin(math.radians(a))] for r, a in pol])


@pytest.mark.parametrize("rho", [0.0, 0.5, 1.0, 1.3, 1.7, 1.9, 1.99, 2.0, 2.5])
def test_clover_share_against_grid_oracle(rho: float) -> None:
    hexagon = MplPath(_hexagon_vertices(1.0))
    g = np.linspace(0.0, 2.0, 1200)
    x, y = np.meshgrid(g, np.linspace(-1.0, 1.0, 1200))
    pts = np.stack([x.ravel(), y.ravel()], axis=1)
    inside = hexagon.contains_points(pts)
    expected = np.mean(np.hypot(pts[inside, 0], pts[inside, 1]) >= rho)
    assert abs(clover_share_beyond(rho, 1.0) - expected) < GRID_SHARE_TOL
    if rho <= 1.0:  # the part near the site is a 120 deg sector: closed form
        assert clover_share_beyond(rho, 1.0) == pytest.approx(1 - (math.pi / 3) * rho**2 / (1.5 * math.sqrt(3)), abs=1e-6)


def test_hex_min_isd_between_sqrt3_and_2_min_distances() -> None:
    # in a hexagonal lattice no point is farther than ISD / sqrt(3) from a site
    need = hex_min_isd_m(35.0)
    assert math.sqrt(3) * 35.0 < need < 2.0 * 35.0


def _cfg(*over: str):
    return nrsim.load_config("uma-default", list(over), drops=1)


def _dist_to_sites(layout: Layout, xy: np.ndarray) -> np.ndarray:
    im = site_images_m(layout)
    return np.hypot(xy[:, None, 0] - im[None, :, 0], xy[:, None, 1] - im[None, :, 1]).min(axis=1)


def _site_layout(xy: np.ndarray) -> Layout:
    n = xy.shape[0]
    return Layout(
        site_xy_m=xy, site_height_m=np.full(n, 25.0), cell_site=np.repeat(np.arange(n), 3),
        cell_bearing_deg=np.tile([30.0, 150.0, 270.0], n), wrap_shifts_m=np.zeros((1, 2)), kind="sites",
        isd_m=float(local_isd_m(xy, 500.0).min()), site_isd_m=local_isd_m(xy, 500.0),
    )


def _drop(layout: Layout, min_d: float, seed: int):
    return drop_ues(layout, per_sector=20, min_distance_2d_m=min_d, indoor_fraction=0.5,
                    rng=np.random.default_rng(seed))


@settings(max_examples=40, deadline=None)
@given(
    n_sites=st.integers(2, 10),
    side_m=st.floats(30.0, 3000.0),
    min_d=st.floats(0.0, 60.0),
    twin=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_site_list_drop_keeps_min_distance_to_every_site_or_is_refused(n_sites, side_m, min_d, twin, seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.0, side_m, (n_sites, 2))
    if twin:  # a second site a few metres from the first
        xy[1] = xy[0] + rng.uniform(-5.0, 5.0, 2)
    layout = _site_layout(xy)
    cfg = _cfg(f"deployment.ue.min_distance_2d_m={min_d}")
    try:
        check_min_distance(cfg, layout)
    except ConfigError as exc:  # refused at load time, with the key
        assert "min_distance_2d_m" in str(exc)
        return
    ues = _drop(layout, min_d, seed)  # must not raise once the guard passed
    assert np.all(_dist_to_sites(layout, ues.xy_m) >= min_d)


@settings(max_examples=25, deadline=None)
@given(isd=st.floats(40.0, 600.0), min_d=st.floats(0.0, 100.0), wrap=st.booleans(), seed=st.integers(0, 2**31))
def test_hex_drop_keeps_min_distance_or_is_refused(isd, min_d, wrap, seed):
    layout = hex_layout(1, isd, 25.0, wraparound=wrap)
    need = hex_min_isd_m(min_d)
    try:
        _cfg(f"deployment.isd_m={isd}", f"deployment.ue.min_distance_2d_m={min_d}", "deployment.rings=1",
             f"deployment.wraparound={str(wrap).lower()}")
    except ConfigError as exc:  # refused, naming the keys, only below the lattice's limit
        assert "deployment.isd_m" in str(exc) and "min_distance_2d_m" in str(exc)
        assert isd < 1.02 * need
        return
    assert isd > 0.98 * need
    ues = _drop(layout, min_d, seed)
    assert np.all(_dist_to_sites(layout, ues.xy_m) >= min_d)


def test_colocated_sites_keep_the_distance_in_the_drop() -> None:
    # two sites 3 m apart, far from the rest: the old drop put UEs within centimetres of the
    # twin; now the guard refuses it at load time (and the drop itself would raise)
    xy = np.array([[0.0, 0.0], [3.0, 0.0], [500.0, 0.0], [250.0, 430.0]])
    layout = _site_layout(xy)
    with pytest.raises(ConfigError, match="site 0"):
        check_min_distance(_cfg("deployment.ue.min_distance_2d_m=35"), layout)
    with pytest.raises(ConfigError, match="could not be placed"):
        _drop(layout, 35.0, 1)


def test_area_drop_keeps_min_distance() -> None:
    cfg = _cfg("deployment.ue.placement=area", "deployment.wraparound=false", "coverage.margin_m=50",
               "deployment.ue.min_distance_2d_m=35")
    from nrsim.engine import build_layout, prepare_drop

    layout = build_layout(cfg)
    st_ = prepare_drop(cfg, 0, layout=layout)
    assert st_.ues.n_ue == 570
    assert np.all(_dist_to_sites(layout, st_.ues.xy_m) >= 35.0)


def test_isd_too_small_exits_2_with_the_keys() -> None:
    res = CliRunner().invoke(app, ["run", "uma-default", "--set", "deployment.isd_m=1e-9", "--drops", "1"])
    assert res.exit_code == 2
    assert "deployment.isd_m = 1e-09 m" in res.output and "deployment.ue.min_distance_2d_m = 35 m" in res.output


def test_validity_range_of_the_table() -> None:
    assert max_valid_d_2d_m("uma") == max_valid_d_2d_m("umi") == max_valid_d_2d_m("rma") == 5000.0
    assert max_valid_d_2d_m("inh") == math.inf


def test_isd_beyond_the_path_loss_range_raises_or_warns() -> None:
    # ISD 7.5 km: the far corner of a cell is exactly 5 km from its site
    _cfg("deployment.isd_m=7500")
    with pytest.raises(ConfigError, match=r"deployment.isd_m = 8000 m .*5 km"):
        _cfg("deployment.isd_m=8000")
    with pytest.warns(ModelValidityWarning, match=r"1.1% of them beyond"):
        _cfg("deployment.isd_m=8000", "channel.validity=warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _cfg("deployment.isd_m=8000", "channel.validity=ignore")


def test_share_beyond_range_counts_ues() -> None:
    # 2R = 5333 m, limit 5000 m: share beyond = clover_share_beyond(5000, 8000 / 3)
    layout = hex_layout(2, 8000.0, 25.0)
    with pytest.warns(ModelValidityWarning) as rec:
        check_distance_validity(_cfg("channel.validity=warn", "deployment.isd_m=8000"), layout)
    share = clover_share_beyond(5000.0, 8000.0 / 3.0)
    assert f"{share:.1%}" in str(rec[0].message)
