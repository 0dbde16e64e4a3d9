"""Coverage raster against the per-UE computation at the same points; GeoTIFF; compare."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import nrsim
from nrsim.channel.large_scale import UeO2I
from nrsim.coverage import coverage_maps, polygon_stats, read_geotiff, write_coverage_geotiffs
from nrsim.coverage.raster import Grid
from nrsim.deployment.ue_drop import UeDrop
from nrsim.engine.snapshot import build_layout, prepare_drop, radio_chunk

SMALL = ['deployment.sites_file="example-sites.csv"', "drops=1", "deployment.ue.per_sector=5",
         "coverage.resolution_m=100", "coverage.margin_m=200"]
FLOAT32_TOL_DB = 1e-3  # rasters are float32


@pytest.fixture(scope="module")
def cfg():
    return nrsim.load_config("london-pilot", SMALL)


def test_raster_matches_per_ue_computation_at_pixel_centres(cfg, tmp_path):
    layout = build_layout(cfg)
    maps = coverage_maps(cfg, layout=layout)
    files = write_coverage_geotiffs(maps, tmp_path)
    rsrp, meta = read_geotiff(files["coverage_rsrp_dbm.tif"])
    sinr, _ = read_geotiff(files["coverage_sinr_db.tif"])
    cell, cell_meta = read_geotiff(files["coverage_serving_cell.tif"])
    assert meta["epsg"] == 32630 and meta["resolution_m"] == 100.0
    # pixel centres from the GeoTIFF geo-reference alone (independent of the raster code)
    from nrsim.deployment.sites import config_site_list

    proj = config_site_list(cfg).projection
    rows, cols = np.nonzero(np.isfinite(rsrp))
    e = meta["x0_e_m"] + (cols + 0.5) * meta["resolution_m"]
    n = meta["y0_n_m"] - (rows + 0.5) * meta["resolution_m"]
    xy = np.stack([e - proj.origin_e_m, n - proj.origin_n_m], axis=1)
    k = xy.shape[0]
    state = prepare_drop(cfg, 0, layout=layout)
    from scipy.spatial import distance

    home = state.site_cell_start[np.argmin(distance.cdist(xy, layout.site_xy_m), axis=1)]
    ues = UeDrop(xy_m=xy, height_m=np.full(k, 1.5), indoor=np.zeros(k, bool), floor=np.ones(k, np.int64),
                 home_cell=home)
    o2i = UeO2I(d_2d_in_m=np.zeros(k), high_loss=np.zeros(k, bool), loss_db=np.zeros(k))
    ref = radio_chunk(cfg, dataclasses.replace(state, ues=ues, o2i=o2i), 0, k)
    np.testing.assert_allclose(rsrp[rows, cols], ref["rsrp_dbm"], atol=FLOAT32_TOL_DB)
    np.testing.assert_allclose(sinr[rows, cols], ref["sinr_db"], atol=FLOAT32_TOL_DB)
    np.testing.assert_array_equal(cell[rows, cols], ref["serving_cell"])
    assert (cell[~np.isfinite(rsrp)] == cell_meta["nodata"]).all()


def test_polygon_stats_shares(cfg):
    maps = coverage_maps(cfg)
    (s,) = polygon_stats(maps, cfg)
    m = maps.grid.mask
    want = np.mean(maps.rsrp_dbm[m] >= cfg.coverage.rsrp_threshold_dbm)
    assert s["share_rsrp_ok"] == pytest.approx(want)
    assert s["pixels"] == int(m.sum()) and s["area_km2"] == pytest.approx(m.sum() * 0.01)


def test_compare_with_itself_gives_zero_deltas(tmp_path):
    from nrsim.compare import compare

    res = compare("london-pilot", "london-pilot", overrides=SMALL, out_dir=tmp_path / "cmp")
    for pcs in res["kpi_deltas"]["percentiles"].values():
        for v in pcs.values():
            assert v["delta"] == 0.0
    assert res["users"]["paired"] and res["users"]["share_lose_coverage"] == 0.0
    assert res["area"]["share_lose_coverage"] == 0.0
    assert (tmp_path / "cmp" / "report.html").is_file()


def test_compare_exclude_vendor_loses_coverage(tmp_path):
    from nrsim.compare import compare

    res = compare("london-pilot", "london-pilot", overrides=SMALL,
                  overrides_b=["sites.exclude_vendor=vendor-b"], out_dir=None)
    assert res["kpi_deltas"]["percentiles"]["rsrp_dbm"]["50"]["delta"] < 0.0
    assert res["users"]["share_serving_cell_changed"] > 0.0


def test_grid_layer_scatters_masked_pixels_in_row_major_order():
    mask = np.array([[True, False, True], [False, True, True]])
    grid = Grid(0.0, 0.0, 10.0, 2, 3, mask)
    out = grid.layer(np.array([1.0, 2.0, 3.0, 4.0]), np.nan, np.float32)
    assert out.dtype == np.float32 and out.shape == (2, 3)
    np.testing.assert_array_equal(out, [[1.0, np.nan, 2.0], [np.nan, 3.0, 4.0]])
    cells = grid.layer(np.array([7, 8, 9, 5]), -1, np.int32)
    assert cells.dtype == np.int32 and cells.tolist() == [[7, -1, 8], [-1, 9, 5]]
