"""Site lists: reading, validation (every bad row in one message), projection, pilots, exclusion."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import nrsim
from nrsim.cli.app import app
from nrsim.deployment.geo import compass_to_bearing_deg, local_projection, utm_epsg
from nrsim.deployment.sites import EXCLUDED_TX_POWER_DBM, SiteListError, read_site_list, resolve_sites_file
from nrsim.engine.snapshot import build_layout, snapshot_drop

ROUND_TRIP_TOL_M = 0.01  # the 1 cm
EXAMPLE = resolve_sites_file("example-sites.csv")
HEADER = "site_id,cell_id,lat,lon,height_m,azimuth_deg,vendor,environment"


def _write(tmp_path: Path, lines: list[str], name: str = "s.csv") -> Path:
    p = tmp_path / name
    p.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return p


def test_example_csv_reads_and_orders_cells_by_site():
    sl = read_site_list(EXAMPLE)
    assert sl.n_sites == 3 and len(sl.cells) == 8
    assert np.all(np.diff(sl.cells["site"].to_numpy()) >= 0)
    assert sl.projection.epsg == 32630  # London: UTM zone 30 N


def test_geojson_equals_csv(tmp_path):
    sl = read_site_list(EXAMPLE)
    feats = []
    for _, r in sl.cells.iterrows():
        props = {k: r[k] for k in ("site_id", "cell_id", "height_m", "azimuth_deg", "vendor", "environment")}
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                      "properties": props})
    p = tmp_path / "s.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    g = read_site_list(p)
    assert g.cells["cell_id"].tolist() == sl.cells["cell_id"].tolist()
    np.testing.assert_allclose(g.cells["lat"], sl.cells["lat"])


def test_every_bad_row_and_column_in_one_message(tmp_path):
    p = _write(tmp_path, [
        "A,A1,95,0.1,30,0,vendor-a,uma",        # row 1: latitude 95
        "A,A2,51.5,0.1,30,,vendor-a,uma",       # row 2: missing azimuth (and lat differs from row 1)
        "B,A1,51.5,0.2,30,120,vendor-a,uma",    # row 3: duplicate cell_id
        "C,C1,51.5,0.3,tall,0,vendor-b,uma",    # row 4: non-numeric height
        "D,D1,51.5,0.4,30,10,vendor-b,suburb",  # row 5: unknown environment
    ])
    with pytest.raises(SiteListError) as exc:
        read_site_list(p)
    msg = str(exc.value)
    assert "row 1, column lat: '95' out of range; allowed -90..90" in msg
    assert "row 2, column azimuth_deg: missing; required" in msg
    assert "row 3, column cell_id: 'A1' duplicates row 1" in msg
    assert "row 4, column height_m: 'tall' is not a number" in msg
    assert "row 5, column environment: 'suburb'" in msg
    assert exc.value.field == "deployment.sites_file"


def test_geojson_bad_rows(tmp_path):
    feats = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0.1, 95.0]},
         "properties": {"site_id": "A", "cell_id": "A1", "height_m": 30, "azimuth_deg": 0}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0.1, 51.0]},
         "properties": {"site_id": "B", "cell_id": "A1", "height_m": "x"}},
    ]
    p = tmp_path / "s.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    with pytest.raises(SiteListError) as exc:
        read_site_list(p)
    msg = str(exc.value)
    for part in ("row 1, column lat", "row 2, column azimuth_deg: missing", "row 2, column cell_id",
                 "row 2, column height_m: 'x' is not a number"):
        assert part in msg


def test_cli_bad_site_list_exit_2_nothing_written(tmp_path):
    p = _write(tmp_path, ["A,A1,95,0.1,30,0,vendor-a,uma"])
    out = tmp_path / "res"
    res = CliRunner().invoke(app, ["run", "london-pilot", "--set", f"deployment.sites_file={json.dumps(str(p))}",
                                   "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "row 1, column lat" in res.output
    assert not out.exists()


@pytest.mark.parametrize("lat, lon", [(51.5074, -0.1278), (25.2854, 51.531), (37.5665, 126.978),
                                      (-33.8688, 151.2093), (0.0, 179.99)])
def test_projection_round_trip_within_1cm(lat, lon):
    rng = np.random.default_rng(5)
    la = lat + rng.uniform(-0.05, 0.05, 200)
    lo = lon + rng.uniform(-0.05, 0.05, 200)
    proj = local_projection(la, lo)
    xy = proj.to_xy_m(la, lo)
    la2, lo2 = proj.to_latlon_deg(xy[:, 0], xy[:, 1])
    xy2 = proj.to_xy_m(la2, lo2)
    assert np.max(np.hypot(*(xy2 - xy).T)) < ROUND_TRIP_TOL_M
    # 1 cm is ~9e-8 deg of latitude
    assert np.max(np.abs(la2 - la)) < 1e-7 and np.max(np.abs((lo2 - lo + 180.0) % 360.0 - 180.0)) < 1e-7 / np.cos(np.deg2rad(lat))


def test_projection_distance_against_haversine():
    # two points 0.01 deg of latitude apart: 1111.95 m on the sphere (UTM scale ~0.9996..1.0004)
    proj = local_projection([51.5, 51.51], [-0.12, -0.12])
    xy = proj.to_xy_m([51.5, 51.51], [-0.12, -0.12])
    assert abs(np.hypot(*(xy[1] - xy[0])) - 1112.0) < 3.0


def test_utm_zone_and_compass_convention():
    assert utm_epsg(51.5, -0.13) == 32630 and utm_epsg(-33.9, 151.2) == 32756 and utm_epsg(37.6, 127.0) == 32652
    np.testing.assert_allclose(compass_to_bearing_deg([0, 90, 180, 270]), [90, 0, 270, 180])


@pytest.mark.parametrize("city", ["doha", "london", "seoul"])
def test_pilots_shipped_match_generator_and_are_valid(city):
    from nrsim.deployment.cities import pilot_csv

    shipped = resolve_sites_file(f"{city}-pilot.csv")
    assert shipped.read_text(encoding="utf-8") == pilot_csv(city)
    cfg = nrsim.load_config(f"{city}-pilot")
    layout = build_layout(cfg)
    assert 100 <= layout.n_sites <= 150 and layout.n_cells == 3 * layout.n_sites
    assert cfg.channel.fc_ghz == 3.5 and cfg.radio.bandwidth_mhz == 100.0
    sl = read_site_list(shipped)
    assert set(sl.cells["vendor"]) >= {"vendor-a", "vendor-b"}
    assert "synthetic" in cfg.description.lower()


def test_exclude_vendor_removes_exactly_those_cells():
    base = nrsim.load_config("london-pilot", ["deployment.sites_file=\"example-sites.csv\"", "drops=1",
                              "deployment.ue.per_sector=20", "channel.shadowing=false"])
    off = nrsim.load_config(base.model_dump(mode="json"), ["sites.exclude_vendor=vendor-b"])
    la, lb = build_layout(base), build_layout(off)
    vendor = read_site_list(EXAMPLE).cells["vendor"].to_numpy()
    switched = lb.cell_tx_power_dbm == EXCLUDED_TX_POWER_DBM
    assert np.array_equal(switched, vendor == "vendor-b")
    assert np.array_equal(la.cell_tx_power_dbm[~switched], lb.cell_tx_power_dbm[~switched])
    np.testing.assert_array_equal(la.site_xy_m, lb.site_xy_m)
    ra, rb = snapshot_drop(base, 0, layout=la), snapshot_drop(off, 0, layout=lb)
    np.testing.assert_array_equal(ra.ue["x_m"], rb.ue["x_m"])  # same drops
    assert not np.isin(rb.ue["serving_cell"], np.flatnonzero(switched)).any()
    assert np.isin(ra.ue["serving_cell"], np.flatnonzero(switched)).any()
    # UEs served by vendor-a cells in both: same path loss (same random draws)
    keep = ra.ue["serving_cell"] == rb.ue["serving_cell"]
    np.testing.assert_allclose(ra.ue["pathloss_db"][keep], rb.ue["pathloss_db"][keep])


def test_unknown_vendor_is_rejected():
    with pytest.raises(SiteListError, match="vendor-z"):
        nrsim.load_config("london-pilot", ["sites.exclude_vendor=vendor-z"])
