"""Coverage layers stored in a result folder, so that the report is a pure function of files.

:func:`store_coverage` computes the coverage of a run once (the physics: one-draw maps of
:func:`nrsim.coverage.raster.coverage_maps`, probability maps of
:func:`nrsim.coverage.probability.probability_maps`, their polygon statistics) and writes it
beside the run's tables:

- the GeoTIFFs and the best-server lookup of :func:`nrsim.coverage.geotiff.write_coverage_geotiffs`;
- ``coverage_stats.json`` and ``coverage_probability_stats.json`` (per-polygon statistics);
- ``coverage_cells.parquet``: one row per cell in index order (the index rasters' values):
  ``cell_id``, ``site_id``, ``site`` (site index), the site position ``x_m``/``y_m`` in the
  local frame, the bearing ``bearing_deg`` (counter-clockwise from east, as the layout) and
  ``azimuth_deg_compass``, the site-list labels ``vendor``, ``operator``, ``antenna_model``,
  ``environment`` and ``off`` (switched off by ``[sites]``);
- ``coverage.json`` last (the manifest: format, the config hash it belongs to, the grid in the
  local frame, CRS and origin, the lat/lon of the grid corners, and the layers with their
  files), so a folder without it has no (complete) stored coverage.

:func:`load_coverage` reads them back (:class:`StoredCoverage`); it reads no site list, area
file or config input and runs no physics. ``nrsim run`` stays as fast as before: the coverage
is stored by the first ``nrsim report`` (or ``nrsim run --report``) of a folder, and later
reports reuse it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nrsim.coverage.geotiff import BEST_BEAM_TIF, LOOKUP_CSV, probability_layer_names, read_geotiff, write_coverage_geotiffs
from nrsim.coverage.probability import probability_maps, probability_polygon_stats
from nrsim.coverage.raster import coverage_maps, polygon_stats, read_area_file
from nrsim.deployment.identity import cell_identity
from nrsim.deployment.sites import config_site_list, excluded_cells
from nrsim.engine.snapshot import build_layout
from nrsim.errors import ConfigError
from nrsim.kpi.writers import write_json

MANIFEST = "coverage.json"
CELLS_TABLE = "coverage_cells.parquet"
STATS = "coverage_stats.json"
PROBABILITY_STATS = "coverage_probability_stats.json"
FORMAT = 1
"""Version of the stored layout; a manifest of another format is recomputed."""
CELL_LABELS = ("vendor", "operator", "antenna_model", "environment")
"""Site-list columns kept per cell (as text; empty for generated layouts)."""


@dataclass(frozen=True)
class StoredCoverage:
    """The stored coverage of a result folder (:func:`load_coverage`).

    ``layers``: key -> float64 [row, col] (NaN outside the area; index layers hold the cell
    index as a float). Keys: ``rsrp_dbm``, ``sinr_db``, ``throughput_mbps``, ``serving_cell``
    (one shadowing draw), ``best_ssb_beam`` (one draw, with SSB beams only), ``median_rsrp_dbm``, ``dominant_cell`` and ``p_rsrp_ge_<t>`` /
    ``p_sinr_ge_<t>`` (probability, 0..1) with their thresholds in ``thresholds``."""

    manifest: dict[str, Any]
    layers: dict[str, np.ndarray]
    thresholds: dict[str, tuple[str, float]]
    """probability layer key -> ("rsrp" or "sinr", threshold in dBm or dB)."""
    cells: pd.DataFrame
    stats: list[dict[str, Any]]
    probability_stats: list[dict[str, Any]]

    @property
    def grid(self) -> dict[str, float | int]:
        """x0_m, y0_m (north-west corner, local frame), resolution_m, n_rows, n_cols."""
        return self.manifest["grid"]

    @property
    def epsg(self) -> int | None:
        return self.manifest.get("epsg")

    @property
    def corners(self) -> dict[str, list[float]] | None:
        """lat/lon of the grid's NW, NE, SW, SE corners (site-list runs), else None."""
        return self.manifest.get("corners")


def stat_polygons(cfg) -> list[tuple[str, np.ndarray | None]] | None:
    """The polygons of the coverage statistics: the area of interest and, with
    ``coverage.area_file``, each of its polygons (local frame)."""
    if cfg.coverage.area_file and cfg.deployment.layout == "sites":
        return [("area of interest", None)] + read_area_file(cfg.coverage.area_file, config_site_list(cfg).projection)
    return None


def _cells_table(cfg, layout, ident) -> pd.DataFrame:
    n = layout.n_cells
    out = pd.DataFrame({
        "cell_id": [str(v) for v in ident.cell_id], "site_id": [str(v) for v in ident.site_id],
        "site": layout.cell_site.astype(np.int64),
        "x_m": layout.site_xy_m[layout.cell_site, 0].astype(np.float64),
        "y_m": layout.site_xy_m[layout.cell_site, 1].astype(np.float64),
        "bearing_deg": np.asarray(layout.cell_bearing_deg, dtype=np.float64),
        "azimuth_deg_compass": np.asarray(ident.azimuth_deg_compass, dtype=np.float64),
    })
    if cfg.deployment.layout == "sites":
        sl = config_site_list(cfg)
        c = sl.cells
        for k in CELL_LABELS:
            out[k] = [("" if pd.isna(v) else str(v)) for v in c[k].to_numpy()[:n]]
        out["off"] = np.asarray(excluded_cells(sl, cfg.sites), dtype=bool)[:n]
    else:
        for k in CELL_LABELS:
            out[k] = ""
        out["off"] = False
    return out


def store_coverage(cfg, folder: str | Path, config_hash: str) -> Path:
    """Compute the coverage of ``cfg`` and store it in ``folder`` (module docstring).
    Returns the manifest's path. Each file is written atomically, the manifest last."""
    folder = Path(folder)
    layout = build_layout(cfg)
    maps = coverage_maps(cfg, layout=layout)
    polygons = stat_polygons(cfg)
    stats = polygon_stats(maps, cfg, polygons)
    pmaps = probability_maps(cfg, layout=layout, grid=maps.grid)
    p_stats = probability_polygon_stats(pmaps, polygons)
    ident = cell_identity(cfg, layout)
    write_coverage_geotiffs(maps, folder, probability=pmaps,
                            cell_ids=list(zip(ident.cell_id, ident.site_id, ident.vendor, strict=True)))
    _write_json_atomic(folder / STATS, stats)
    _write_json_atomic(folder / PROBABILITY_STATS, p_stats)
    cells = _cells_table(cfg, layout, ident)
    tmp = folder / f".{CELLS_TABLE}.tmp"
    cells.to_parquet(tmp, index=False)
    os.replace(tmp, folder / CELLS_TABLE)
    g = maps.grid
    corners = None
    if cfg.deployment.layout == "sites":
        proj = config_site_list(cfg).projection
        xs = [g.x0_m, g.x0_m + g.n_cols * g.resolution_m]
        ys = [g.y0_m, g.y0_m - g.n_rows * g.resolution_m]
        lat, lon = proj.to_latlon_deg([xs[0], xs[1], xs[0], xs[1]], [ys[0], ys[0], ys[1], ys[1]])
        corners = {"lat": [float(v) for v in lat], "lon": [float(v) for v in lon]}
    layers = {"rsrp_dbm": "coverage_rsrp_dbm.tif", "sinr_db": "coverage_sinr_db.tif",
              "throughput_mbps": "coverage_throughput_mbps.tif", "serving_cell": "coverage_serving_cell.tif",
              "median_rsrp_dbm": "coverage_median_rsrp_dbm.tif", "dominant_cell": "coverage_dominant_cell.tif"}
    if maps.best_ssb_beam is not None:
        layers["best_ssb_beam"] = BEST_BEAM_TIF
    probability = {}
    for stem, (kind, t) in probability_layer_names(pmaps).items():
        key = stem.removeprefix("coverage_").removesuffix("dbm").removesuffix("db")
        layers[key] = f"{stem}.tif"
        probability[key] = {"kind": kind, "threshold": float(t)}
    manifest = {
        "format": FORMAT, "config_hash": config_hash,
        "grid": {"x0_m": g.x0_m, "y0_m": g.y0_m, "resolution_m": g.resolution_m, "n_rows": g.n_rows,
                 "n_cols": g.n_cols},
        "epsg": maps.epsg, "origin_e_m": maps.origin_e_m, "origin_n_m": maps.origin_n_m, "corners": corners,
        "layers": layers, "probability": probability, "cells": CELLS_TABLE, "lookup": LOOKUP_CSV,
        "stats": STATS, "probability_stats": PROBABILITY_STATS,
    }
    return _write_json_atomic(folder / MANIFEST, manifest)


def _write_json_atomic(path: Path, data: Any) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    write_json(tmp, data)
    os.replace(tmp, path)
    return path


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{path.name}: cannot read the stored coverage ({type(exc).__name__}); run "
                          "`nrsim report` again to store it anew", field=path.name) from None


def has_coverage(folder: str | Path, config_hash: str) -> bool:
    """Whether ``folder`` stores the coverage of the config with ``config_hash`` (format
    :data:`FORMAT`)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return False
    m = _read_json(path)
    return isinstance(m, dict) and m.get("format") == FORMAT and m.get("config_hash") == config_hash


def load_coverage(folder: str | Path) -> StoredCoverage:
    """The coverage stored in ``folder`` by :func:`store_coverage`. Raises
    :class:`~nrsim.errors.ConfigError` naming a missing or unreadable file."""
    folder = Path(folder)
    manifest = _read_json(folder / MANIFEST)
    g = manifest["grid"]
    shape = (int(g["n_rows"]), int(g["n_cols"]))
    layers = {}
    for key, name in manifest["layers"].items():
        path = folder / Path(name).name
        try:
            data, meta = read_geotiff(path)
        except Exception as exc:  # rasterio raises its own error types (RasterioIOError, ...)
            raise ConfigError(f"{path.name}: cannot read the stored coverage layer ({type(exc).__name__}); run "
                              "`nrsim report` again to store it anew", field=path.name) from None
        if data.shape != shape:
            raise ConfigError(f"{path.name}: {data.shape[0]} x {data.shape[1]} pixels, the manifest says "
                              f"{shape[0]} x {shape[1]}", field=path.name)
        arr = data.astype(np.float64)
        nd = meta["nodata"]
        if nd is not None and np.isfinite(nd):
            arr[data == nd] = np.nan
        layers[key] = arr
    try:
        cells = pd.read_parquet(folder / Path(manifest["cells"]).name)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{CELLS_TABLE}: cannot read the stored cells ({type(exc).__name__})",
                          field=CELLS_TABLE) from None
    thresholds = {k: (v["kind"], float(v["threshold"])) for k, v in manifest.get("probability", {}).items()}
    return StoredCoverage(manifest=manifest, layers=layers, thresholds=thresholds, cells=cells,
                          stats=_read_json(folder / STATS), probability_stats=_read_json(folder / PROBABILITY_STATS))
