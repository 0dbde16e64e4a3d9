"""Minimal GeoTIFF writer/reader (tifffile + GeoTIFF 1.0 keys), readable by QGIS and GDAL.

One single-band, north-up, deflate-compressed, tiled (256 x 256) file per layer, in the
area's WGS84 / UTM projection (EPSG:326zz/327zz, ProjectedCSTypeGeoKey), pixel-is-area,
with GDAL_NODATA set. Tags: ModelPixelScaleTag (33550), ModelTiepointTag (33922),
GeoKeyDirectoryTag (34735) of the GeoTIFF 1.0 specification; GDAL_NODATA (42113).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

TAG_PIXEL_SCALE = 33550
TAG_TIEPOINT = 33922
TAG_GEOKEYS = 34735
TAG_GDAL_NODATA = 42113
TILE = 256


def write_geotiff(path: str | Path, data: NDArray, *, x0_e_m: float, y0_n_m: float, resolution_m: float,
                  epsg: int | None, nodata: float | int) -> Path:
    """Write a [row, col] array as a GeoTIFF whose north-west corner is (x0_e_m, y0_n_m) in
    EPSG ``epsg`` (None: a local engineering frame without CRS). Written atomically."""
    import tifffile

    path = Path(path)
    keys = [1, 1, 0, 0]
    entries = [(1024, 0, 1, 1 if epsg else 32767), (1025, 0, 1, 1)]  # projected model, pixel is area
    if epsg:
        entries.append((3072, 0, 1, int(epsg)))
    keys[3] = len(entries)
    for e in entries:
        keys.extend(e)
    extratags = [
        (TAG_PIXEL_SCALE, "d", 3, (float(resolution_m), float(resolution_m), 0.0), True),
        (TAG_TIEPOINT, "d", 6, (0.0, 0.0, 0.0, float(x0_e_m), float(y0_n_m), 0.0), True),
        (TAG_GEOKEYS, "H", len(keys), tuple(keys), True),
        (TAG_GDAL_NODATA, "s", 0, ("nan" if isinstance(nodata, float) and np.isnan(nodata) else str(nodata)), True),
    ]
    tile = (TILE, TILE) if min(data.shape) >= TILE else None
    tmp = path.with_name(f".{path.name}.tmp")
    tifffile.imwrite(tmp, data, extratags=extratags, compression="zlib", tile=tile, photometric="minisblack")
    os.replace(tmp, path)
    return path


def read_geotiff(path: str | Path) -> tuple[NDArray, dict[str, float | int | None]]:
    """(data [row, col], {x0_e_m, y0_n_m, resolution_m, epsg}) of a file written by
    :func:`write_geotiff`."""
    import tifffile

    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        data = page.asarray()
        scale = page.tags[TAG_PIXEL_SCALE].value
        tie = page.tags[TAG_TIEPOINT].value
        keys = page.tags[TAG_GEOKEYS].value
    epsg = None
    for k in range(keys[3]):
        key, _, _, val = keys[4 + 4 * k: 8 + 4 * k]
        if key == 3072:
            epsg = int(val)
    return data, {"x0_e_m": float(tie[3]), "y0_n_m": float(tie[4]), "resolution_m": float(scale[0]), "epsg": epsg}


def threshold_tag(value: float) -> str:
    """A threshold in a file name: ``-110`` -> ``m110``, ``2.5`` -> ``2p5``."""
    return f"{value:g}".replace("-", "m").replace(".", "p")


def probability_layer_names(pm) -> dict[str, tuple[str, float]]:
    """File stem -> (kind, threshold) of the probability layers of ``pm``
    (:class:`nrsim.coverage.probability.ProbabilityMaps`)."""
    out = {f"coverage_p_rsrp_ge_{threshold_tag(t)}dbm": ("rsrp", t) for t in pm.p_rsrp}
    out.update({f"coverage_p_sinr_ge_{threshold_tag(t)}db": ("sinr", t) for t in pm.p_sinr})
    return out


def write_coverage_geotiffs(maps, folder: str | Path, *, probability=None, cell_ids=None) -> dict[str, Path]:
    """``coverage_rsrp_dbm.tif``, ``coverage_sinr_db.tif``, ``coverage_serving_cell.tif``
    (nodata -1) and ``coverage_throughput_mbps.tif`` in ``folder``.

    With ``probability`` (:class:`nrsim.coverage.probability.ProbabilityMaps` on the same
    grid), also ``coverage_median_rsrp_dbm.tif``, ``coverage_dominant_cell.tif`` (int32, nodata
    -1) with its lookup table ``coverage_dominant_cell.csv`` (cell, cell_id, site_id; the ids
    from ``cell_ids``, a list of (cell_id, site_id) per cell, else the indices), and one
    float32 probability (0..1, nodata NaN) per threshold: ``coverage_p_rsrp_ge_<t>dbm.tif``
    and ``coverage_p_sinr_ge_<t>db.tif`` (``-110`` written ``m110``, ``2.5`` ``2p5``)."""
    folder = Path(folder)
    g = maps.grid
    geo = dict(x0_e_m=g.x0_m + maps.origin_e_m, y0_n_m=g.y0_m + maps.origin_n_m,
               resolution_m=g.resolution_m, epsg=maps.epsg)
    layers = {
        "coverage_rsrp_dbm.tif": (maps.rsrp_dbm, np.nan),
        "coverage_sinr_db.tif": (maps.sinr_db, np.nan),
        "coverage_serving_cell.tif": (maps.serving_cell, -1),
        "coverage_throughput_mbps.tif": ((maps.throughput_bps / 1e6).astype(np.float32), np.nan),
    }
    if probability is not None:
        if probability.grid.mask.shape != g.mask.shape or probability.grid.x0_m != g.x0_m:
            raise ValueError("the probability maps must be on the coverage maps' grid")
        layers["coverage_median_rsrp_dbm.tif"] = (probability.median_rsrp_dbm, np.nan)
        layers["coverage_dominant_cell.tif"] = (probability.dominant_cell, -1)
        for stem, (kind, t) in probability_layer_names(probability).items():
            layers[f"{stem}.tif"] = ((probability.p_rsrp if kind == "rsrp" else probability.p_sinr)[t], np.nan)
    out = {name: write_geotiff(folder / name, arr, nodata=nd, **geo) for name, (arr, nd) in layers.items()}
    if probability is not None:
        out["coverage_dominant_cell.csv"] = _write_cell_table(folder / "coverage_dominant_cell.csv",
                                                              probability, cell_ids)
    return out


def _write_cell_table(path: Path, pm, cell_ids) -> Path:
    """cell index -> cell_id, site_id of the dominance raster (CSV, RFC 4180 quoting)."""
    import csv
    import io

    n = int(pm.dominant_cell.max()) + 1 if cell_ids is None else len(cell_ids)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["cell", "cell_id", "site_id"])
    for i in range(n):
        cid, sid = cell_ids[i] if cell_ids is not None else (str(i), "")
        w.writerow([i, cid, sid])
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    os.replace(tmp, path)
    return path
