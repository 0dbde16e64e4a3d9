"""Identifiers and geography in cell.parquet / ue.parquet / summary.json (issue 16)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from pyproj import Geod

import nrsim

UTM_SCALE_TOL = 2e-3
"""Relative error allowed between a UTM distance (d_2d_m) and the geodesic distance of the
lat/lon written: UTM scale factor 0.9996..1.0010 inside a zone (London, 3 deg from the
central meridian: 1.0002)."""


def test_cell_table_has_ids_compass_azimuth_and_latlon_of_the_site_list(site_run, hostile):
    cell = pd.read_parquet(site_run / "cell.parquet")
    assert cell["cell_id"].tolist() == ["A-1", "A-2", "A-3", "B-1", "B-2"]
    assert cell["site_id"].tolist() == [hostile] * 3 + ["B"] * 2
    np.testing.assert_allclose(cell["azimuth_deg_compass"], [0, 120, 0, 45, 225], atol=1e-9)  # 360 -> 0
    # the bearing column stays: counter-clockwise from east
    np.testing.assert_allclose(cell["bearing_deg"], [90, 330, 90, 45, 225], atol=1e-9)
    np.testing.assert_allclose(cell["lat"], [51.5074] * 3 + [51.51] * 2, atol=1e-8)
    np.testing.assert_allclose(cell["lon"], [-0.1278] * 3 + [-0.123] * 2, atol=1e-8)


def test_ue_table_has_serving_cell_id_and_latlon_consistent_with_distances(site_run):
    ue = pd.read_parquet(site_run / "ue.parquet")
    cell = pd.read_parquet(site_run / "cell.parquet")
    assert ue["serving_cell_id"].tolist() == cell["cell_id"].to_numpy()[ue["serving_cell"].to_numpy()].tolist()
    # independent check of the UE lat/lon: geodesic distance to the serving site = d_2d_m
    lat_s = cell["lat"].to_numpy()[ue["serving_cell"]]
    lon_s = cell["lon"].to_numpy()[ue["serving_cell"]]
    _, _, dist = Geod(ellps="WGS84").inv(lon_s, lat_s, ue["lon"].to_numpy(), ue["lat"].to_numpy())
    np.testing.assert_allclose(dist, ue["d_2d_m"].to_numpy(), rtol=UTM_SCALE_TOL, atol=0.01)


def test_summary_names_crs_and_origin(site_run):
    geo = json.loads((site_run / "summary.json").read_text())["geo"]
    assert geo["crs"] == "EPSG:32630" and geo["epsg"] == 32630
    from pyproj import CRS

    assert CRS.from_proj4(geo["proj"]).to_epsg() == 32630
    from pyproj import Transformer

    e, n = Transformer.from_crs(4326, 32630, always_xy=True).transform(geo["origin_lon"], geo["origin_lat"])
    assert abs(e - geo["origin_e_m"]) < 0.01 and abs(n - geo["origin_n_m"]) < 0.01


def test_generated_layout_gets_stable_ids_and_no_latlon():
    r = nrsim.run(nrsim.load_config("uma-default", ["deployment.ue.per_sector=1", "drops=1",
                                                    "deployment.rings=1"]))
    assert r.cell["cell_id"].tolist()[:4] == ["S001-1", "S001-2", "S001-3", "S002-1"]
    assert r.cell["site_id"].tolist()[-1] == "S007"
    np.testing.assert_allclose(r.cell["azimuth_deg_compass"][:3], [60, 300, 180])  # bearings 30/150/270
    assert "lat" not in r.cell and "lat" not in r.ue
    assert r.ue["serving_cell_id"].tolist() == r.cell["cell_id"].to_numpy()[r.ue["serving_cell"]].tolist()
    assert r.summary["geo"]["crs"] is None
