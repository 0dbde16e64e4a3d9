"""The coverage raster with SSB beams: the best-beam layer equals the per-UE computation at
the pixel centres, is written as a GeoTIFF and stored for the report; absent without an array."""

from __future__ import annotations

import dataclasses

import numpy as np

import nrsim
from nrsim.channel.large_scale import UeO2I
from nrsim.coverage import coverage_maps, read_geotiff, write_coverage_geotiffs
from nrsim.coverage.store import load_coverage, store_coverage
from nrsim.deployment.ue_drop import UeDrop
from nrsim.engine.snapshot import build_layout, prepare_drop, radio_chunk

SMALL = ["drops=1", "coverage.resolution_m=60", "coverage.margin_m=150"]


def test_best_beam_layer_matches_the_per_ue_computation(tmp_path) -> None:
    cfg = nrsim.load_config("single-site", [*SMALL, "antenna.array=32T32R"])
    layout = build_layout(cfg)
    maps = coverage_maps(cfg, layout=layout)
    g = maps.grid
    assert maps.best_ssb_beam is not None and maps.best_ssb_beam.dtype == np.int32
    inside = g.mask
    assert np.all(maps.best_ssb_beam[~inside] == -1)
    beams = maps.best_ssb_beam[inside]
    assert beams.min() >= 0 and beams.max() <= 7 and np.unique(beams).size == 8
    # the same points as UEs through radio_chunk (home cell: the site's first, as the raster)
    x, y = g.centres_m()
    xy = np.stack([x[inside], y[inside]], axis=1)
    k = xy.shape[0]
    state = prepare_drop(cfg, 0, layout=layout)
    ues = UeDrop(xy_m=xy, height_m=np.full(k, 1.5), indoor=np.zeros(k, bool), floor=np.ones(k, np.int64),
                 home_cell=np.zeros(k, np.int64))
    o2i = UeO2I(d_2d_in_m=np.zeros(k), high_loss=np.zeros(k, bool), loss_db=np.zeros(k))
    ref = radio_chunk(cfg, dataclasses.replace(state, ues=ues, o2i=o2i), 0, k)
    np.testing.assert_array_equal(beams, ref["best_ssb_beam"])
    np.testing.assert_array_equal(maps.serving_cell[inside], ref["serving_cell"])
    files = write_coverage_geotiffs(maps, tmp_path)
    data, meta = read_geotiff(files["coverage_best_ssb_beam.tif"])
    np.testing.assert_array_equal(data[inside], beams)
    assert (data[~inside] == meta["nodata"]).all()
    (tmp_path / "run").mkdir()
    store_coverage(cfg, tmp_path / "run", "hash")
    stored = load_coverage(tmp_path / "run")
    np.testing.assert_array_equal(stored.layers["best_ssb_beam"][inside], beams)


def test_no_best_beam_layer_without_an_array(tmp_path) -> None:
    maps = coverage_maps(nrsim.load_config("single-site", SMALL))
    assert maps.best_ssb_beam is None
    assert "coverage_best_ssb_beam.tif" not in write_coverage_geotiffs(maps, tmp_path)


def test_probability_maps_use_the_best_beam() -> None:
    from nrsim.coverage.probability import probability_maps

    base = ["coverage.resolution_m=60", "coverage.margin_m=150", "channel.shadowing=false"]
    col = nrsim.load_config("single-site", base)
    arr = nrsim.load_config("single-site", [*base, "antenna.array=32T32R"])
    p_col, p_arr, m_arr = probability_maps(col), probability_maps(arr), coverage_maps(arr)
    inside = m_arr.grid.mask
    # one site: its cells share the LOS state, so the dominant cell is the single draw's server
    np.testing.assert_array_equal(p_arr.dominant_cell[inside], m_arr.serving_cell[inside])
    assert np.nanmedian(p_arr.median_rsrp_dbm) > np.nanmedian(p_col.median_rsrp_dbm) + 5.0
