"""nrsim export (GPKG, GeoJSON, KML, CSV), the COG GeoTIFFs and the xarray view (issue 16)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

import nrsim
from nrsim.cli.app import app
from nrsim.export import export_result, open_maps
from nrsim.export.features import PROBABILITY_EDGES, RSRP_EDGES_DBM, wedge

N_SITES, N_CELLS = 2, 5
AREA_REL_TOL = 1e-9
"""Class polygons in the raster's own CRS are unions of whole pixels: their area equals
pixels x pixel area up to floating-point rounding."""
GEODESIC_AREA_REL_TOL = 5e-3
"""Geodesic area of the WGS84 polygons vs the UTM pixel area: the UTM scale factor k is
0.9996..1.0010 inside a zone (area k^2; London, 3 deg from the central meridian: +0.04 %)."""
KML = "{http://www.opengis.net/kml/2.2}"


def n_ues(folder):
    return len(pd.read_parquet(folder / "ue.parquet", columns=["ue"]))


def test_gpkg_layers_crs_counts_and_class_areas(site_run_maps, tmp_path):
    import pyogrio
    import rasterio

    out = export_result(site_run_maps, "gpkg", out=tmp_path / "x.gpkg")
    layers = dict(pyogrio.list_layers(out))
    assert layers == {"sites": "Point", "cells": "Polygon", "ues": "Point", "coverage": "MultiPolygon"}
    for name, n in (("sites", N_SITES), ("cells", N_CELLS), ("ues", n_ues(site_run_maps))):
        info = pyogrio.read_info(out, layer=name)
        assert info["crs"] == "EPSG:32630" and info["features"] == n
    meta, geom = _read_raw(out, "coverage")
    # independent pixel counts per class, straight from the rasters
    for stem, edges in (("coverage_rsrp_dbm", RSRP_EDGES_DBM), ("coverage_p_sinr_ge_10db", PROBABILITY_EDGES)):
        with rasterio.open(site_run_maps / f"{stem}.tif") as ds:
            r = ds.read(1)
            px_area = abs(ds.transform.a * ds.transform.e)
        bounds = [-np.inf, *edges, np.inf]
        rows = meta[meta["map"] == stem]
        assert rows["pixels"].sum() == np.isfinite(r).sum()
        for k in range(len(bounds) - 1):
            want = int(np.sum((r >= bounds[k]) & (r < bounds[k + 1])))
            got = rows[rows["class"] == k]
            if want == 0:
                assert got.empty
                continue
            assert int(got["pixels"].iloc[0]) == want
            area = shapely.area(geom[got.index[0]])
            assert area == pytest.approx(want * px_area, rel=AREA_REL_TOL)


def _read_raw(path, layer):
    from pyogrio.raw import read

    m, _, geom, data = read(path, layer=layer)
    return pd.DataFrame({k: v for k, v in zip(m["fields"], data, strict=True)}), shapely.from_wkb(geom)


def _need_gdal_tool(name: str) -> None:
    """Skip without the GDAL command-line tool ``name``, except under CI (``.ci/run`` installs
    gdal-bin), where its absence fails the test."""
    if shutil.which(name) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} (gdal-bin) is not installed; .ci/run installs it")
        pytest.skip(f"{name}: GDAL command-line tools not installed")


def test_ogrinfo_reads_the_geopackage(site_run_maps, tmp_path):
    _need_gdal_tool("ogrinfo")
    out = export_result(site_run_maps, "gpkg", out=tmp_path / "x.gpkg")
    text = subprocess.run(["ogrinfo", "-so", "-al", str(out)], capture_output=True, text=True, check=True).stdout
    assert f"Feature Count: {N_CELLS}" in text and "32630" in text


def test_gdalinfo_reads_the_cog(site_run_maps):
    _need_gdal_tool("gdalinfo")
    text = subprocess.run(["gdalinfo", str(site_run_maps / "coverage_rsrp_dbm.tif")], capture_output=True,
                          text=True, check=True).stdout
    assert "LAYOUT=COG" in text and "32630" in text


def test_geojson_wgs84_counts_hostile_text_and_geodesic_area(site_run_maps, tmp_path, hostile):
    import pyogrio
    from pyproj import Geod

    out = export_result(site_run_maps, "geojson", out=tmp_path / "gj")
    for name, n in (("sites", N_SITES), ("cells", N_CELLS), ("ues", n_ues(site_run_maps))):
        info = pyogrio.read_info(out / f"{name}.geojson")
        assert info["crs"] in ("EPSG:4326", "OGC:CRS84") and info["features"] == n
    sites = json.loads((out / "sites.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["site_id"] for f in sites["features"]] == [hostile, "B"]
    lon, lat = sites["features"][1]["geometry"]["coordinates"]
    assert lat == pytest.approx(51.51, abs=1e-7) and lon == pytest.approx(-0.123, abs=1e-7)
    cov = json.loads((out / "coverage.geojson").read_text(encoding="utf-8"))
    geod = Geod(ellps="WGS84")
    for f in cov["features"][:6]:
        g = shapely.geometry.shape(f["geometry"])
        area = abs(geod.geometry_area_perimeter(g)[0])
        assert area / 1e6 == pytest.approx(f["properties"]["area_km2"], rel=GEODESIC_AREA_REL_TOL)


def test_kml_parses_with_placemarks_per_layer_and_hostile_text(site_run_maps, tmp_path, hostile):
    out = export_result(site_run_maps, "kml", out=tmp_path / "x.kml")
    raw = out.read_bytes()
    assert b"<script>" not in raw  # escaped by the serialiser
    root = ET.parse(out).getroot()
    folders = {f.find(f"{KML}name").text: f for f in root.iter(f"{KML}Folder")}
    n_cov = len(_read_raw(export_result(site_run_maps, "gpkg", out=tmp_path / "c.gpkg", layers="coverage"),
                          "coverage")[0])
    for name, n in (("sites", N_SITES), ("cells", N_CELLS), ("ues", n_ues(site_run_maps)), ("coverage", n_cov)):
        assert len(folders[name].findall(f"{KML}Placemark")) == n
    names = [p.find(f"{KML}name").text for p in folders["sites"].findall(f"{KML}Placemark")]
    assert names == [hostile, "B"]


def test_csv_layers(site_run_maps, tmp_path, hostile):
    out = export_result(site_run_maps, "csv", out=tmp_path / "csv", layers="sites,cells")
    assert sorted(p.name for p in out.iterdir()) == ["cells.csv", "sites.csv"]
    sites = pd.read_csv(out / "sites.csv", keep_default_na=False)
    assert sites["site_id"].tolist() == [hostile, "B"]
    p = shapely.from_wkt(sites["wkt"].iloc[1])
    assert (p.x, p.y) == pytest.approx((-0.123, 51.51), abs=1e-7)
    assert len(pd.read_csv(out / "cells.csv")) == N_CELLS


def test_wedge_shape_against_hand_geometry():
    w = wedge(100.0, 200.0, 45.0, 65.0, 300.0)
    sector = np.pi * 300.0**2 * 65.0 / 360.0
    assert w.area == pytest.approx(sector, rel=2e-3)  # chords of 5 deg: 1 - sin(x)/x = 0.13 %
    c = w.centroid  # on the boresight, clockwise from north
    assert np.degrees(np.arctan2(c.x - 100.0, c.y - 200.0)) == pytest.approx(45.0, abs=1e-9)
    assert wedge(0.0, 0.0, 0.0, 360.0, 10.0).area == pytest.approx(np.pi * 100, rel=2e-3)


def test_cog_layout_crs_transform_description_colour_table(site_run_maps):
    import rasterio

    with rasterio.open(site_run_maps / "coverage_p_rsrp_ge_m110dbm.tif") as ds:
        assert ds.crs.to_epsg() == 32630 and ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert ds.descriptions[0] == "P(RSRP >= -110 dBm)" and ds.dtypes[0] == "float32"
        assert ds.transform.a == 100.0 and ds.transform.e == -100.0
        geo = json.loads((site_run_maps / "summary.json").read_text())["geo"]
        # the grid is snapped to multiples of the resolution in the local frame (raster.make_grid)
        assert (ds.transform.c - geo["origin_e_m"]) % 100.0 == pytest.approx(0.0, abs=1e-6)
        assert (ds.transform.f - geo["origin_n_m"]) % 100.0 == pytest.approx(0.0, abs=1e-6)
    with rasterio.open(site_run_maps / "coverage_dominant_cell.tif") as ds:
        cmap = ds.colormap(1)
        assert ds.dtypes[0] == "uint8" and ds.nodata == 255 and cmap[255][3] == 0
        assert len({cmap[i] for i in range(N_CELLS)}) == N_CELLS
    lookup = pd.read_csv(site_run_maps / "coverage_best_server_lookup.csv", keep_default_na=False)
    assert lookup["cell_id"].tolist() == ["A-1", "A-2", "A-3", "B-1", "B-2"]
    assert lookup["vendor"].tolist() == ["Ericsson"] * 3 + ["Nokia"] * 2


def test_large_cog_has_overviews(tmp_path):
    import rasterio

    from nrsim.coverage.geotiff import read_geotiff, write_geotiff

    data = np.arange(600 * 700, dtype=np.float32).reshape(600, 700)
    p = write_geotiff(tmp_path / "big.tif", data, x0_e_m=500000.0, y0_n_m=5700000.0, resolution_m=10.0,
                      epsg=32630, nodata=np.nan, description="test layer", units="dBm")
    with rasterio.open(p) as ds:
        assert ds.overviews(1) == [2, 4] and ds.block_shapes[0] == (256, 256)
        assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG" and ds.units[0] == "dBm"
    back, meta = read_geotiff(p)
    np.testing.assert_array_equal(back, data)
    small = write_geotiff(tmp_path / "small.tif", data[:80, :81], x0_e_m=500000.0, y0_n_m=5700000.0,
                          resolution_m=50.0, epsg=32630, nodata=np.nan)
    with rasterio.open(small) as ds:  # a city raster of one tile still gets one overview level
        assert ds.overviews(1) == [2] and ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    assert meta["x0_e_m"] == 500000.0 and meta["y0_n_m"] == 5700000.0 and meta["epsg"] == 32630


def test_open_maps_gives_dataarrays_with_crs_and_coordinates(site_run_maps):
    import rasterio

    maps = open_maps(site_run_maps)
    da = maps["coverage_median_rsrp_dbm"]
    assert da.dims == ("y", "x") and da.rio.crs.to_epsg() == 32630 and "spatial_ref" in da.coords
    assert da.attrs["units"] == "dBm" and da.attrs["long_name"] == "median best-server RSRP"
    with rasterio.open(site_run_maps / "coverage_median_rsrp_dbm.tif") as ds:
        t, raw = ds.transform, ds.read(1)
    np.testing.assert_allclose(da.x.values, t.c + (np.arange(raw.shape[1]) + 0.5) * t.a)
    np.testing.assert_allclose(da.y.values, t.f + (np.arange(raw.shape[0]) + 0.5) * t.e)
    np.testing.assert_array_equal(da.values, raw)
    assert maps["coverage_dominant_cell"].attrs["lookup"][3] == "B-1"


def test_cli_errors_exit_2_one_line_nothing_written(site_run, tmp_path):
    runner = CliRunner()
    before = sorted(p.name for p in site_run.iterdir())
    for args in (["export", str(tmp_path), "--format", "kml"],  # not a result
                 ["export", str(site_run), "--format", "shp"],
                 ["export", str(site_run), "--layers", "sites,roads"],
                 ["export", str(site_run), "--layers", "coverage", "--out", str(tmp_path / "c.gpkg")]
                 if not (site_run / "coverage_rsrp_dbm.tif").exists() else
                 ["export", str(site_run), "--wedge-radius-m", "-5"]):
        r = runner.invoke(app, args)
        assert r.exit_code == 2, (args, r.output)
        assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("error:")
    assert sorted(p.name for p in site_run.iterdir()) == before and not any(tmp_path.iterdir())
    ok = runner.invoke(app, ["export", str(site_run), "--format", "gpkg", "--layers", "sites",
                             "--out", str(tmp_path / "s.gpkg")])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(app, ["export", str(site_run), "--layers", "sites", "--out", str(tmp_path / "s.gpkg")])
    assert again.exit_code == 2 and "--force" in again.stderr


def test_generated_layout_gpkg_without_crs_and_no_geojson(tmp_path):
    res = tmp_path / "hex"
    nrsim.run(nrsim.load_config("uma-default", ["deployment.ue.per_sector=1", "drops=1", "deployment.rings=1",
                                                "output.plots=false"]), out_dir=res)
    import pyogrio

    out = export_result(res, "gpkg")
    assert out == res / "export.gpkg"
    info = pyogrio.read_info(out, layer="cells")
    assert info["features"] == 21 and info["crs"] is None
    with pytest.raises(nrsim.errors.ConfigError, match="geographic origin"):
        export_result(res, "geojson")
    assert not (res / "export-geojson").exists()


def test_read_result_maps_are_the_same_dataarrays(site_run_maps):
    """`nrsim.read_result(dir).maps()` is the notebook entry point: the same arrays as open_maps."""
    maps = nrsim.read_result(site_run_maps).maps()
    direct = open_maps(site_run_maps)
    assert sorted(maps) == sorted(direct)
    np.testing.assert_array_equal(maps["coverage_median_rsrp_dbm"].values, direct["coverage_median_rsrp_dbm"].values)
    assert maps["coverage_median_rsrp_dbm"].rio.crs.to_epsg() == 32630
