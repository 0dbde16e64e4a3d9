"""UE drops over an area of interest, uniform or weighted by density polygons."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import nrsim
from nrsim.deployment.area import area_polygons, points_in_polygons, polygon_area_m2, sample_in_polygons
from nrsim.engine import build_layout, prepare_drop

N_SIGMA = 5.0


def test_polygon_area_and_uniform_sampling() -> None:
    square = np.array([[0, 0], [100, 0], [100, 100], [0, 100]], dtype=float)
    tri = np.array([[200, 0], [300, 0], [200, 100]], dtype=float)
    assert polygon_area_m2(square) == 10_000 and polygon_area_m2(tri) == 5_000
    rng = np.random.default_rng(0)
    pts = sample_in_polygons([square, tri], 30_000, rng=rng)
    in_sq = points_in_polygons(pts[:, 0], pts[:, 1], [square])
    in_tr = points_in_polygons(pts[:, 0], pts[:, 1], [tri])
    assert np.all(in_sq | in_tr)
    p = 2 / 3  # uniform over the union: share by area
    assert abs(in_sq.mean() - p) < N_SIGMA * math.sqrt(p * (1 - p) / 30_000)
    # weights 1 : 4 -> masses 10,000 : 20,000
    pts = sample_in_polygons([square, tri], 30_000, weights=np.array([1.0, 4.0]), rng=rng)
    in_sq = points_in_polygons(pts[:, 0], pts[:, 1], [square])
    p = 1 / 3
    assert abs(in_sq.mean() - p) < N_SIGMA * math.sqrt(p * (1 - p) / 30_000)


def test_area_drop_on_hex_layout_stays_in_hull_plus_margin() -> None:
    cfg = nrsim.load_config("uma-default", ["deployment.ue.placement=area", "deployment.wraparound=false",
                                            "coverage.margin_m=100"], drops=1)
    layout = build_layout(cfg)
    st = prepare_drop(cfg, 0, layout=layout)
    polys = area_polygons(layout, 100.0)
    assert st.ues.n_ue == 570
    assert points_in_polygons(st.ues.xy_m[:, 0], st.ues.xy_m[:, 1], polys).all()
    # each UE's home cell belongs to its nearest site
    d = np.hypot(st.ues.xy_m[:, None, 0] - layout.site_xy_m[None, :, 0], st.ues.xy_m[:, None, 1] - layout.site_xy_m[None, :, 1])
    assert np.array_equal(layout.cell_site[st.ues.home_cell], np.argmin(d, axis=1))


def _square(lat: float, lon: float, half_deg: float) -> list[list[float]]:
    return [[lon - half_deg, lat - half_deg], [lon + half_deg, lat - half_deg],
            [lon + half_deg, lat + half_deg], [lon - half_deg, lat + half_deg], [lon - half_deg, lat - half_deg]]


def test_density_weights_on_site_list(tmp_path: Path) -> None:
    dens = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "busy", "weight": 3},
         "geometry": {"type": "Polygon", "coordinates": [_square(51.5074, -0.1300, 0.002)]}},
        {"type": "Feature", "properties": {"name": "quiet", "weight": 1},
         "geometry": {"type": "Polygon", "coordinates": [_square(51.5074, -0.1250, 0.002)]}},
    ]}
    f = tmp_path / "density.geojson"
    f.write_text(json.dumps(dens))
    cfg = nrsim.load_config("london-pilot", ["deployment.ue.placement=area",
                                             f"deployment.ue.density_file={json.dumps(str(f))}"], drops=1)
    st = prepare_drop(cfg, 0)
    from nrsim.deployment.sites import config_site_list

    proj = config_site_list(cfg).projection
    busy = proj.to_xy_m(np.array([c[1] for c in _square(51.5074, -0.1300, 0.002)]),
                        np.array([c[0] for c in _square(51.5074, -0.1300, 0.002)]))
    in_busy = points_in_polygons(st.ues.xy_m[:, 0], st.ues.xy_m[:, 1], [busy])
    n = st.ues.n_ue
    # equal-size squares (to 0.1 %), weights 3 : 1 -> 75 % of the UEs in the busy one
    assert abs(in_busy.mean() - 0.75) < N_SIGMA * math.sqrt(0.75 * 0.25 / n) + 0.002


def test_density_weight_must_be_a_number(tmp_path: Path) -> None:
    dens = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "bad", "weight": "lots"},
         "geometry": {"type": "Polygon", "coordinates": [_square(51.5074, -0.1300, 0.002)]}}]}
    f = tmp_path / "d.geojson"
    f.write_text(json.dumps(dens))
    with pytest.raises(nrsim.ConfigError, match="weight"):
        nrsim.load_config("london-pilot", ["deployment.ue.placement=area",
                                           f"deployment.ue.density_file={json.dumps(str(f))}"], drops=1)
