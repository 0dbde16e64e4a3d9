"""Coverage GeoTIFFs: cloud-optimised GeoTIFFs (COG) written with rasterio / GDAL.

One single-band, north-up file per layer in the area's WGS84 / UTM projection
(EPSG:326zz/327zz) or, for generated layouts, a local frame without CRS; pixel-is-area;
deflate-compressed 256 x 256 tiles in COG layout (GDAL COG driver: header and tile index
first, overviews before the full-resolution tiles) with overviews (factors 2, 4, ... until
the smallest fits in one tile, as GDAL's ``OVERVIEWS=AUTO``, and at least one level, so a
city raster of one tile also has a half-resolution overview: :func:`overview_levels`), the
band description and unit set, and nodata. Index rasters (serving / dominant
cell) are uint8 (up to 254 cells) or uint16 (up to 65 534) with the largest value as nodata
and a colour table (one colour per cell, nodata transparent); larger networks keep int32
with nodata -1 and no colour table (GDAL allows colour tables on 8/16-bit bands only).
"""

from __future__ import annotations

import colorsys
import csv
import io
import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

BLOCK = 256
"""COG tile size [px]."""
GOLDEN = 0.6180339887498949
"""Hue step between consecutive cell indices (golden-ratio sequence: neighbours far apart)."""


def overview_levels(n_rows: int, n_cols: int) -> int:
    """Overview levels of a COG of ``n_rows`` x ``n_cols`` pixels: halve until the largest side
    fits in one :data:`BLOCK` tile (GDAL's rule), at least 1 (rasters of 2 pixels or more)."""
    side = max(n_rows, n_cols)
    levels = 0
    while side > BLOCK:
        side = -(-side // 2)
        levels += 1
    return max(levels, 1 if max(n_rows, n_cols) >= 2 else 0)


def write_geotiff(path: str | Path, data: NDArray, *, x0_e_m: float, y0_n_m: float, resolution_m: float,
                  epsg: int | None, nodata: float | int, description: str = "", units: str = "",
                  colormap: dict[int, tuple[int, int, int, int]] | None = None,
                  resampling: str = "average") -> Path:
    """Write a [row, col] array as a COG whose north-west corner is (x0_e_m, y0_n_m) in EPSG
    ``epsg`` (None: a local engineering frame without CRS), with the band ``description``,
    ``units`` and optional ``colormap`` (value -> RGBA). ``resampling`` of the overviews:
    ``"average"`` (continuous layers) or ``"nearest"`` (index rasters). Written atomically."""
    import rasterio
    import rasterio.shutil
    from rasterio.io import MemoryFile
    from affine import Affine

    path = Path(path)
    rows, cols = data.shape
    profile = dict(driver="GTiff", width=cols, height=rows, count=1, dtype=data.dtype.name,
                   crs=f"EPSG:{int(epsg)}" if epsg else None, nodata=nodata,
                   transform=Affine(float(resolution_m), 0.0, float(x0_e_m), 0.0, -float(resolution_m), float(y0_n_m)))
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with MemoryFile() as mem, mem.open(**profile) as ds:
            ds.write(data, 1)
            if description:
                ds.set_band_description(1, description)
            if units:
                ds.set_band_unit(1, units)
            if colormap is not None:
                ds.write_colormap(1, colormap)
            rasterio.shutil.copy(ds, str(tmp), driver="COG", compress="DEFLATE", blocksize=BLOCK, overviews="AUTO",
                                 overview_count=str(overview_levels(*data.shape)), resampling=resampling.upper())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_geotiff(path: str | Path) -> tuple[NDArray, dict[str, float | int | str | None]]:
    """(data [row, col] as stored, {x0_e_m, y0_n_m, resolution_m, epsg, nodata, description,
    units}) of a north-up GeoTIFF such as those of :func:`write_geotiff`."""
    import rasterio

    with rasterio.open(path) as ds:
        data = ds.read(1)
        t = ds.transform
        epsg = ds.crs.to_epsg() if ds.crs else None
        meta = {"x0_e_m": float(t.c), "y0_n_m": float(t.f), "resolution_m": float(t.a), "epsg": epsg,
                "nodata": ds.nodata, "description": ds.descriptions[0] or "", "units": ds.units[0] or ""}
    return data, meta


def index_raster(cell: NDArray[np.int32], n_cells: int) -> tuple[NDArray, int, dict | None]:
    """(stored array, nodata, colour table or None) of a cell-index raster (-1 outside the
    area): uint8/uint16 with the largest value as nodata and one colour per cell, else int32."""
    for dtype in (np.uint8, np.uint16):
        nd = int(np.iinfo(dtype).max)
        if n_cells < nd:
            return np.where(cell < 0, nd, cell).astype(dtype), nd, cell_colours(n_cells, nd)
    return cell.astype(np.int32), -1, None


def cell_colours(n_cells: int, nodata: int) -> dict[int, tuple[int, int, int, int]]:
    """Colour table of an index raster: cell i at hue frac(i x golden ratio) (consecutive,
    i.e. co-sited, cells far apart on the colour wheel), saturation and value cycling over
    3 and 2 steps; ``nodata`` transparent."""
    table = {}
    for i in range(n_cells):
        r, g, b = colorsys.hsv_to_rgb((i * GOLDEN) % 1.0, (0.85, 0.6, 0.45)[i % 3], (0.95, 0.75)[(i // 3) % 2])
        table[i] = (int(round(255 * r)), int(round(255 * g)), int(round(255 * b)), 255)
    table[nodata] = (0, 0, 0, 0)
    return table


def threshold_tag(value: float) -> str:
    """A threshold in a file name: ``-110`` -> ``m110``, ``2.5`` -> ``2p5``."""
    return f"{value:g}".replace("-", "m").replace(".", "p")


def probability_layer_names(pm) -> dict[str, tuple[str, float]]:
    """File stem -> (kind, threshold) of the probability layers of ``pm``
    (:class:`nrsim.coverage.probability.ProbabilityMaps`)."""
    out = {f"coverage_p_rsrp_ge_{threshold_tag(t)}dbm": ("rsrp", t) for t in pm.p_rsrp}
    out.update({f"coverage_p_sinr_ge_{threshold_tag(t)}db": ("sinr", t) for t in pm.p_sinr})
    return out


BEST_BEAM_TIF = "coverage_best_ssb_beam.tif"
"""The best-SSB-beam layer (maps with a BS array only)."""

LOOKUP_CSV = "coverage_best_server_lookup.csv"
"""Index -> cell_id, site_id, vendor of the index rasters (serving and dominant cell)."""


def write_coverage_geotiffs(maps, folder: str | Path, *, probability=None, cell_ids=None) -> dict[str, Path]:
    """``coverage_rsrp_dbm.tif``, ``coverage_sinr_db.tif``, ``coverage_serving_cell.tif``
    (cell index, see :func:`index_raster`), ``coverage_throughput_mbps.tif``, with SSB beams
    ``coverage_best_ssb_beam.tif`` (beam index in the serving cell's grid) and the lookup
    table ``coverage_best_server_lookup.csv`` (index, cell_id, site_id, vendor; from
    ``cell_ids``, one (cell_id, site_id[, vendor]) per cell, else the index) in ``folder``.

    With ``probability`` (:class:`nrsim.coverage.probability.ProbabilityMaps` on the same
    grid), also ``coverage_median_rsrp_dbm.tif``, ``coverage_dominant_cell.tif`` (cell index,
    same lookup) and one float32 probability (0..1, nodata NaN) per threshold:
    ``coverage_p_rsrp_ge_<t>dbm.tif`` and ``coverage_p_sinr_ge_<t>db.tif`` (``-110`` written
    ``m110``, ``2.5`` ``2p5``)."""
    folder = Path(folder)
    g = maps.grid
    geo = dict(x0_e_m=g.x0_m + maps.origin_e_m, y0_n_m=g.y0_m + maps.origin_n_m,
               resolution_m=g.resolution_m, epsg=maps.epsg)
    n_cells = len(cell_ids) if cell_ids is not None else int(maps.serving_cell.max()) + 1
    if probability is not None:
        if probability.grid.mask.shape != g.mask.shape or probability.grid.x0_m != g.x0_m:
            raise ValueError("the probability maps must be on the coverage maps' grid")
        if cell_ids is None:
            n_cells = max(n_cells, int(probability.dominant_cell.max()) + 1)
    n_cells = max(n_cells, 1)

    def index(cell, what):
        arr, nd, cmap = index_raster(cell, n_cells)
        return dict(data=arr, nodata=nd, colormap=cmap, resampling="nearest",
                    description=f"{what} (index; names in {LOOKUP_CSV})", units="")

    def cont(arr, what, units):
        return dict(data=np.asarray(arr, dtype=np.float32), nodata=np.nan, description=what, units=units)

    layers = {
        "coverage_rsrp_dbm.tif": cont(maps.rsrp_dbm, "best-server RSRP, one shadowing draw", "dBm"),
        "coverage_sinr_db.tif": cont(maps.sinr_db, "SINR, one shadowing draw", "dB"),
        "coverage_serving_cell.tif": index(maps.serving_cell, "serving cell, one shadowing draw"),
        "coverage_throughput_mbps.tif": cont(maps.throughput_bps / 1e6, "expected user throughput", "Mbit/s"),
    }
    if getattr(maps, "best_ssb_beam", None) is not None:
        beam = maps.best_ssb_beam
        arr, nd, cmap = index_raster(beam, max(int(beam.max()) + 1, 1))
        layers[BEST_BEAM_TIF] = dict(data=arr, nodata=nd, colormap=cmap, resampling="nearest",
                                     description="best SSB beam of the serving cell (index in the cell's beam "
                                                 "grid), one shadowing draw", units="")
    if probability is not None:
        layers["coverage_median_rsrp_dbm.tif"] = cont(probability.median_rsrp_dbm, "median best-server RSRP", "dBm")
        layers["coverage_dominant_cell.tif"] = index(probability.dominant_cell, "dominant cell (largest median RSRP)")
        for stem, (kind, t) in probability_layer_names(probability).items():
            arr = (probability.p_rsrp if kind == "rsrp" else probability.p_sinr)[t]
            unit = "dBm" if kind == "rsrp" else "dB"
            layers[f"{stem}.tif"] = cont(arr, f"P({kind.upper()} >= {t:g} {unit})", "1")
    out = {name: write_geotiff(folder / name, **spec, **geo) for name, spec in layers.items()}
    out[LOOKUP_CSV] = _write_lookup(folder / LOOKUP_CSV, n_cells, cell_ids)
    return out


def _write_lookup(path: Path, n_cells: int, cell_ids) -> Path:
    """index -> cell_id, site_id, vendor of the index rasters (CSV, RFC 4180 quoting)."""

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["index", "cell_id", "site_id", "vendor"])
    for i in range(n_cells):
        row = tuple(cell_ids[i]) if cell_ids is not None else (str(i), "")
        w.writerow([i, *row[:3], *([""] * (3 - len(row[:3])))])
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    os.replace(tmp, path)
    return path
