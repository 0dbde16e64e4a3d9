"""Coverage rasters: every pixel centre of the area of interest is an outdoor UE at the
configured outdoor UE height, run through the same kernel as the snapshot UEs
(:func:`nrsim.engine.snapshot.radio_chunk`) with drop ``drop``'s shadowing fields.

The maps are one realisation: the LOS state and the shadow fading of each (pixel, site) link
are drawn like those of a UE (keyed by the pixel's index), not averaged.

Axis order of a raster: ``[row, col]``, row 0 the northern edge, col 0 the western edge; the
pixel (i, j) has its centre at ``x = x0_m + (j + 0.5) res``, ``y = y0_m - (i + 0.5) res`` in
the local frame (``x0_m, y0_m``: the north-west corner).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from nrsim.channel.large_scale import UeO2I
from nrsim.deployment.area import area_polygons, points_in_polygons, read_area_file
from nrsim.deployment.build import build_layout
from nrsim.deployment.layout import Layout
from nrsim.deployment.sites import config_site_list
from nrsim.deployment.ue_drop import UeDrop
from nrsim.engine.snapshot import prepare_drop, radio_chunk
from nrsim.errors import ConfigError

__all__ = [
    "CoverageMaps", "Grid", "area_polygons", "coverage_maps", "make_grid",
    "points_in_polygons", "polygon_stats", "read_area_file",
]

MAX_PIXELS = 20_000_000
"""Largest raster (pixels); a finer resolution over a large area is refused."""


@dataclass(frozen=True)
class Grid:
    """A north-up raster in the local frame, with its area-of-interest mask."""

    x0_m: float
    y0_m: float
    resolution_m: float
    n_rows: int
    n_cols: int
    mask: NDArray[np.bool_]
    """bool [row, col]: pixel centre inside the area of interest."""

    def centres_m(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """x, y of every pixel centre, float64 [row, col] each [m]."""
        x = self.x0_m + (np.arange(self.n_cols) + 0.5) * self.resolution_m
        y = self.y0_m - (np.arange(self.n_rows) + 0.5) * self.resolution_m
        return np.meshgrid(x, y)

    def layer(self, values: NDArray, fill: float, dtype: type) -> NDArray:
        """A [row, col] raster of ``dtype`` holding ``values`` (one per pixel inside the mask, in
        the row-major order of ``mask.ravel()``) and ``fill`` outside the area of interest."""
        out = np.full(self.n_rows * self.n_cols, fill, dtype=dtype)
        out[self.mask.ravel()] = values
        return out.reshape(self.n_rows, self.n_cols)


def make_grid(polygons_m: list[NDArray[np.float64]], resolution_m: float) -> Grid:
    """The raster covering the polygons' bounding box, snapped to multiples of the resolution."""
    allp = np.concatenate(polygons_m, axis=0)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    x0 = np.floor(lo[0] / resolution_m) * resolution_m
    y1 = np.ceil(hi[1] / resolution_m) * resolution_m
    n_cols = int(np.ceil((hi[0] - x0) / resolution_m))
    n_rows = int(np.ceil((y1 - lo[1]) / resolution_m))
    if n_rows * n_cols > MAX_PIXELS:
        raise ConfigError(
            f"coverage.resolution_m = {resolution_m:g}: {n_rows} x {n_cols} pixels exceeds "
            f"{MAX_PIXELS}; allowed a coarser resolution", field="coverage.resolution_m",
        )
    g = Grid(float(x0), float(y1), float(resolution_m), n_rows, n_cols, np.zeros((n_rows, n_cols), bool))
    x, y = g.centres_m()
    return dataclasses.replace(g, mask=points_in_polygons(x, y, polygons_m))


@dataclass(frozen=True)
class CoverageMaps:
    """Coverage layers on a grid: float32 [row, col], NaN outside the area; serving_cell is
    int32 [row, col] with -1 outside the area (also the GeoTIFF nodata value); with SSB beams
    (a BS array), best_ssb_beam is the serving cell's strongest SSB beam, int32 [row, col]
    (-1 outside the area), and rsrp_dbm that beam's L1-RSRP; else best_ssb_beam is None."""

    grid: Grid
    rsrp_dbm: NDArray[np.float32]
    sinr_db: NDArray[np.float32]
    serving_cell: NDArray[np.int32]
    throughput_bps: NDArray[np.float32]
    epsg: int | None
    origin_e_m: float
    origin_n_m: float
    best_ssb_beam: NDArray[np.int32] | None = None


def coverage_maps(cfg, *, layout: Layout | None = None, drop: int = 0,
                  grid: Grid | None = None) -> CoverageMaps:
    """Best-server RSRP, SINR, serving cell, expected user throughput and (with SSB beams)
    the best beam on the raster.

    Throughput [bit/s] = (1 - overhead) x bandwidth x spectral efficiency(SINR) /
    ``coverage.users_per_cell``; interferers transmit at ``radio.load``."""
    layout = layout if layout is not None else build_layout(cfg)
    projection = None
    polys = None
    if cfg.deployment.layout == "sites":
        projection = config_site_list(cfg).projection
        if cfg.coverage.area_file:
            polys = [p for _, p in read_area_file(cfg.coverage.area_file, projection)]
    if grid is None:
        grid = make_grid(area_polygons(layout, cfg.coverage.margin_m, polys), cfg.coverage.resolution_m)
    state = prepare_drop(cfg, drop, layout=layout)
    x, y = grid.centres_m()
    sel = grid.mask.ravel()
    xy = np.stack([x.ravel()[sel], y.ravel()[sel]], axis=1)
    n = xy.shape[0]
    from scipy.spatial import cKDTree

    near_site = cKDTree(layout.site_xy_m).query(xy)[1] if n else np.zeros(0, dtype=np.int64)
    home = state.site_cell_start[near_site].astype(np.int64)
    ues = UeDrop(
        xy_m=xy, height_m=np.full(n, float(cfg.deployment.ue.outdoor_height_m)),
        indoor=np.zeros(n, dtype=bool), floor=np.ones(n, dtype=np.int64), home_cell=home,
    )
    o2i = UeO2I(d_2d_in_m=np.zeros(n), high_loss=np.zeros(n, dtype=bool), loss_db=np.zeros(n))
    cols = radio_chunk(cfg, dataclasses.replace(state, ues=ues, o2i=o2i), 0, n)
    thr = ((1.0 - cfg.link.overhead_fraction) * cfg.radio.bandwidth_mhz * 1e6
           * cols["spectral_efficiency_bps_per_hz"] / cfg.coverage.users_per_cell)

    layer = grid.layer
    return CoverageMaps(
        grid=grid,
        rsrp_dbm=layer(cols["rsrp_dbm"], np.nan, np.float32),
        sinr_db=layer(cols["sinr_db"], np.nan, np.float32),
        serving_cell=layer(cols["serving_cell"], -1, np.int32),
        throughput_bps=layer(thr, np.nan, np.float32),
        epsg=projection.epsg if projection else None,
        origin_e_m=projection.origin_e_m if projection else 0.0,
        origin_n_m=projection.origin_n_m if projection else 0.0,
        best_ssb_beam=layer(cols["best_ssb_beam"], -1, np.int32) if "best_ssb_beam" in cols else None,
    )


def polygon_stats(maps: CoverageMaps, cfg, polygons: list[tuple[str, NDArray[np.float64]]] | None = None
                  ) -> list[dict[str, float | str | int]]:
    """Per polygon (default: the whole area of interest): pixels, area [km2], the share of
    the area with RSRP >= ``coverage.rsrp_threshold_dbm``, with SINR >=
    ``coverage.sinr_threshold_db``, with both (covered), with expected throughput >=
    ``coverage.throughput_threshold_mbps``, and the median RSRP / SINR / throughput."""
    g = maps.grid
    x, y = g.centres_m()
    if not polygons:
        polygons = [("area of interest", None)]
    out = []
    cv = cfg.coverage
    for name, poly in polygons:
        m = g.mask if poly is None else (g.mask & points_in_polygons(x, y, [poly]))
        n = int(m.sum())
        rsrp, sinr, thr = maps.rsrp_dbm[m], maps.sinr_db[m], maps.throughput_bps[m]
        ok_r, ok_s = rsrp >= cv.rsrp_threshold_dbm, sinr >= cv.sinr_threshold_db
        share = (lambda b: float(b.mean()) if n else float("nan"))
        out.append({
            "polygon": name,
            "pixels": n,
            "area_km2": n * g.resolution_m ** 2 / 1e6,
            "share_rsrp_ok": share(ok_r),
            "share_sinr_ok": share(ok_s),
            "share_covered": share(ok_r & ok_s),
            "share_throughput_ok": share(thr >= cv.throughput_threshold_mbps * 1e6),
            "median_rsrp_dbm": float(np.median(rsrp)) if n else float("nan"),
            "median_sinr_db": float(np.median(sinr)) if n else float("nan"),
            "median_throughput_bps": float(np.median(thr)) if n else float("nan"),
        })
    return out
