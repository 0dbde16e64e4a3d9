"""Vector layers of a result folder: sites (points), cells (sector wedges), UEs (points with
their KPIs) and coverage class polygons (the coverage rasters vectorised by threshold class).

Every layer is built in the run's own projected frame: WGS84 / UTM (``summary.json``'s
``geo.epsg``) for site-list runs, the local frame in metres without CRS for generated
layouts. :mod:`nrsim.export.writers` reprojects to WGS84 where a format needs it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nrsim.errors import ConfigError
from nrsim.api import load_config
from nrsim.deployment.identity import cell_identity
from nrsim.engine.snapshot import build_layout
from nrsim.result_io import check_result_folder
import shapely
from nrsim.channel.tr38901.antenna import PHI_3DB_DEG

LAYERS = ("sites", "cells", "ues", "coverage")

WEDGE_RADIUS_FRACTION = 1.0 / 3.0
"""Default wedge radius: this fraction of the site's local inter-site distance (distance to
its nearest other site; the layout's ISD for generated layouts), the nominal cell range of a
3-sector clover-leaf layout (ISD = 3 x cell radius, TR 38.901 Table 7.8-1 layouts)..."""
WEDGE_RADIUS_MIN_M, WEDGE_RADIUS_MAX_M = 25.0, 2000.0
"""... clipped to this range [m]."""
ARC_STEP_DEG = 5.0
"""Angular step of a wedge's arc (an omni cell: a 72-gon)."""

RSRP_EDGES_DBM = (-120.0, -110.0, -100.0, -90.0, -80.0)
"""Class edges of the RSRP maps [dBm] (open-ended first and last classes)."""
SINR_EDGES_DB = (-5.0, 0.0, 5.0, 10.0, 20.0)
"""Class edges of the SINR map [dB]."""
PROBABILITY_EDGES = (0.5, 0.75, 0.9, 0.95)
"""Class edges of the probability-of-coverage maps (0..1; last class [0.95, 1])."""


@dataclass
class Layer:
    """One vector layer: shapely geometries [feature] in the run's frame and attribute
    columns (numpy arrays [feature]: numbers, bools or str objects)."""

    name: str
    geometry_type: str
    geometry: NDArray[np.object_]
    fields: dict[str, NDArray] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.geometry.shape[0])


@dataclass(frozen=True)
class ResultGeo:
    """What the layers need of a result folder."""

    folder: Path
    cfg: object
    layout: object
    ident: object
    epsg: int | None
    origin_e_m: float
    origin_n_m: float


def read_result_geo(folder: str | Path) -> ResultGeo:
    """Check a result folder of :func:`nrsim.run` (:func:`nrsim.result_io.check_result_folder`:
    a folder that is not an nrsim result raises :class:`~nrsim.result_io.ResultFolderError`)
    and rebuild its layout and identifiers from the saved config."""

    folder = Path(folder)
    check_result_folder(folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    cfg = load_config(summary["config"])
    layout = build_layout(cfg)
    ident = cell_identity(cfg, layout)
    geo = ident.geo
    return ResultGeo(folder, cfg, layout, ident, geo.epsg if geo else None,
                     geo.projection.origin_e_m if geo else 0.0, geo.projection.origin_n_m if geo else 0.0)


def available_layers(rg: ResultGeo) -> list[str]:
    """The layers this result can give: sites and cells always, ues with a ``ue.parquet`` that
    has positions, coverage with coverage GeoTIFFs (written by ``nrsim report``)."""
    out = ["sites", "cells"]
    ue = rg.folder / "ue.parquet"
    if ue.is_file():
        import pyarrow.parquet as pq

        if {"x_m", "y_m"} <= set(pq.read_schema(ue).names):
            out.append("ues")
    if coverage_rasters(rg.folder):
        out.append("coverage")
    return out


def _points(x, y):

    return shapely.points(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))


def sites_layer(rg: ResultGeo) -> Layer:
    """One point per site: site_id, number of cells, antenna height [m], vendor(s)."""
    lay, ident = rg.layout, rg.ident
    n_cells = np.bincount(lay.cell_site, minlength=lay.n_sites)
    vendors = pd.Series(ident.vendor).groupby(lay.cell_site).agg(lambda v: ";".join(sorted(set(v) - {""})))
    fields = {
        "site_id": ident.site_ids, "site": np.arange(lay.n_sites, dtype=np.int64),
        "n_cells": n_cells.astype(np.int64), "height_m": lay.site_height_m.astype(np.float64),
        "vendor": vendors.reindex(range(lay.n_sites), fill_value="").to_numpy(dtype=object),
        "x_m": lay.site_xy_m[:, 0], "y_m": lay.site_xy_m[:, 1],
    }
    if ident.site_lat is not None:
        fields.update(lat=ident.site_lat, lon=ident.site_lon)
    geom = _points(lay.site_xy_m[:, 0] + rg.origin_e_m, lay.site_xy_m[:, 1] + rg.origin_n_m)
    return Layer("sites", "Point", geom, fields)


def default_wedge_radius_m(layout) -> NDArray[np.float64]:
    """float64 [site]: :data:`WEDGE_RADIUS_FRACTION` x local ISD, clipped."""
    isd = layout.site_isd_m if layout.site_isd_m is not None else np.full(layout.n_sites, float(layout.isd_m))
    return np.clip(WEDGE_RADIUS_FRACTION * isd, WEDGE_RADIUS_MIN_M, WEDGE_RADIUS_MAX_M)


def wedge(x_m: float, y_m: float, azimuth_deg_compass: float, beamwidth_deg: float, radius_m: float):
    """Sector polygon: apex at the site, arc of ``radius_m`` from azimuth - beamwidth/2 to
    azimuth + beamwidth/2 (compass degrees, clockwise from north); a full disc at 360."""

    if beamwidth_deg >= 360.0:
        a = np.deg2rad(np.arange(0.0, 360.0, ARC_STEP_DEG))
        return shapely.Polygon(np.stack([x_m + radius_m * np.sin(a), y_m + radius_m * np.cos(a)], axis=1))
    n = max(2, int(np.ceil(beamwidth_deg / ARC_STEP_DEG)) + 1)
    a = np.deg2rad(azimuth_deg_compass + np.linspace(-beamwidth_deg / 2, beamwidth_deg / 2, n))
    arc = np.stack([x_m + radius_m * np.sin(a), y_m + radius_m * np.cos(a)], axis=1)
    return shapely.Polygon(np.vstack([[x_m, y_m], arc, [x_m, y_m]]))


def cell_beamwidth_deg(cfg) -> float:
    """Horizontal half-power beamwidth of the BS antenna: 65 deg (TR 38.901 Table 7.3-1,
    phi_3dB) for the element and column models, 360 for omni."""

    return 360.0 if cfg.antenna.model == "omni" else float(PHI_3DB_DEG)


def cells_layer(rg: ResultGeo, wedge_radius_m: float | None = None) -> Layer:
    """One sector wedge per cell with its ids, compass azimuth and KPIs averaged over drops
    (mean UEs served, mean cell throughput [bit/s])."""
    lay, ident = rg.layout, rg.ident
    bw = cell_beamwidth_deg(rg.cfg)
    radius = (default_wedge_radius_m(lay)[lay.cell_site] if wedge_radius_m is None
              else np.full(lay.n_cells, float(wedge_radius_m)))
    xy = lay.cell_xy_m + [rg.origin_e_m, rg.origin_n_m]
    geom = np.asarray([wedge(xy[c, 0], xy[c, 1], ident.azimuth_deg_compass[c], bw, radius[c])
                       for c in range(lay.n_cells)], dtype=object)
    fields = {
        "cell_id": ident.cell_id, "site_id": ident.site_id, "vendor": ident.vendor,
        "cell": np.arange(lay.n_cells, dtype=np.int64),
        "azimuth_deg_compass": ident.azimuth_deg_compass, "beamwidth_deg": np.full(lay.n_cells, bw),
        "wedge_radius_m": radius.astype(np.float64),
    }
    cell_file = rg.folder / "cell.parquet"
    if cell_file.is_file():
        t = pd.read_parquet(cell_file, columns=["cell", "n_ue", "throughput_bps"])
        mean = t.groupby("cell").mean().reindex(range(lay.n_cells))
        fields["mean_n_ue"] = mean["n_ue"].to_numpy(dtype=np.float64)
        fields["mean_throughput_bps"] = mean["throughput_bps"].to_numpy(dtype=np.float64)
    if ident.lat is not None:
        fields.update(lat=ident.lat, lon=ident.lon)
    return Layer("cells", "Polygon", geom, fields)


def ues_layer(rg: ResultGeo) -> Layer:
    """One point per row of ``ue.parquet`` (UE and drop) with every column as an attribute
    (``serving_cell_id`` added from the identifiers when the file predates it)."""
    ue = pd.read_parquet(rg.folder / "ue.parquet")
    if "serving_cell_id" not in ue and "serving_cell" in ue:
        ue["serving_cell_id"] = rg.ident.cell_id[ue["serving_cell"].to_numpy()]
    geom = _points(ue["x_m"].to_numpy() + rg.origin_e_m, ue["y_m"].to_numpy() + rg.origin_n_m)
    fields = {}
    for k in ue.columns:
        v = ue[k].to_numpy()
        fields[k] = v.astype(object) if v.dtype.kind not in "biuf" else v
    return Layer("ues", "Point", geom, fields)


# ------------------------------------------------------------------------- coverage classes


def coverage_rasters(folder: Path) -> dict[str, tuple[str, str, tuple[float, ...]]]:
    """File stem -> (quantity, unit, class edges) of the coverage GeoTIFFs in ``folder``."""
    out = {}
    for name, q, unit, edges in (("coverage_rsrp_dbm", "RSRP", "dBm", RSRP_EDGES_DBM),
                                 ("coverage_median_rsrp_dbm", "median RSRP", "dBm", RSRP_EDGES_DBM),
                                 ("coverage_sinr_db", "SINR", "dB", SINR_EDGES_DB)):
        if (folder / f"{name}.tif").is_file():
            out[name] = (q, unit, edges)
    for p in sorted(folder.glob("coverage_p_*.tif")):
        out[p.stem] = ("probability", "1", PROBABILITY_EDGES)
    return out


def class_labels(quantity: str, unit: str, edges: tuple[float, ...]) -> list[tuple[str, float, float]]:
    """(label, lo, hi) of each class: [-inf, e0), [e0, e1), ..., [e_last, inf)."""
    lo = (-np.inf, *edges)
    hi = (*edges, np.inf)
    out = []
    for a, b in zip(lo, hi, strict=True):
        if quantity == "probability":
            a2, b2 = (0.0 if a == -np.inf else a), (1.0 if b == np.inf else b)
            label = f"{100 * a2:g} % <= P {'<=' if b == np.inf else '<'} {100 * b2:g} %"
            out.append((label, a2, b2))
        elif a == -np.inf:
            out.append((f"{quantity} < {b:g} {unit}", a, b))
        elif b == np.inf:
            out.append((f"{quantity} >= {a:g} {unit}", a, b))
        else:
            out.append((f"{a:g} <= {quantity} < {b:g} {unit}", a, b))
    return out


def vectorise_classes(data: NDArray, transform, edges: tuple[float, ...]) -> list[tuple[int, object, int]]:
    """(class index, shapely MultiPolygon, pixel count) of each non-empty class of a raster
    [row, col] (NaN = nodata): the pixels' squares merged per class by
    ``rasterio.features.shapes`` (4-connected regions, exact pixel edges), in the raster's
    frame (``transform``: affine pixel -> frame)."""
    from rasterio.features import shapes

    valid = np.isfinite(data)
    cls = np.digitize(np.where(valid, data, 0.0), np.asarray(edges, dtype=np.float64), right=False).astype(np.int32)
    out = []
    for k in range(len(edges) + 1):
        m = valid & (cls == k)
        n = int(m.sum())
        if n == 0:
            continue
        polys = [shapely.geometry.shape(g) for g, _ in shapes(m.astype(np.uint8), mask=m, transform=transform)]
        out.append((k, shapely.MultiPolygon(polys), n))
    return out


def coverage_layer(rg: ResultGeo) -> Layer:
    """Class polygons of every coverage raster of the folder (one feature per raster and
    non-empty class): map, quantity, class_label, lo, hi, unit, pixels, area_km2."""
    import rasterio

    geoms, cols = [], {k: [] for k in ("map", "quantity", "class", "class_label", "lo", "hi", "unit", "pixels",
                                       "area_km2")}
    for stem, (quantity, unit, edges) in coverage_rasters(rg.folder).items():
        with rasterio.open(rg.folder / f"{stem}.tif") as ds:
            data = ds.read(1).astype(np.float64)
            if ds.nodata is not None and np.isfinite(ds.nodata):
                data[data == ds.nodata] = np.nan
            transform, px_area = ds.transform, abs(ds.transform.a * ds.transform.e)
        labels = class_labels(quantity, unit, edges)
        for k, poly, n in vectorise_classes(data, transform, edges):
            label, lo, hi = labels[k]
            lo, hi = (lo if np.isfinite(lo) else np.nan), (hi if np.isfinite(hi) else np.nan)  # open end: null
            geoms.append(poly)
            for key, v in (("map", stem), ("quantity", quantity), ("class", k), ("class_label", label), ("lo", lo),
                           ("hi", hi), ("unit", unit), ("pixels", n), ("area_km2", n * px_area / 1e6)):
                cols[key].append(v)
    fields = {k: np.asarray(v, dtype=object if k in ("map", "quantity", "class_label", "unit") else None)
              for k, v in cols.items()}
    fields["class"] = fields["class"].astype(np.int64)
    fields["pixels"] = fields["pixels"].astype(np.int64)
    for k in ("lo", "hi", "area_km2"):
        fields[k] = fields[k].astype(np.float64)
    return Layer("coverage", "MultiPolygon", np.asarray(geoms, dtype=object), fields)


def build_layers(rg: ResultGeo, layers: list[str], *, wedge_radius_m: float | None = None) -> list[Layer]:
    """The requested layers, in :data:`LAYERS` order."""
    make = {"sites": lambda: sites_layer(rg), "cells": lambda: cells_layer(rg, wedge_radius_m),
            "ues": lambda: ues_layer(rg), "coverage": lambda: coverage_layer(rg)}
    return [make[name]() for name in LAYERS if name in layers]


def parse_layers(text: str | None, available: list[str]) -> list[str]:
    """``"sites,cells"`` -> the layers; None: every available layer. An unknown or unavailable
    layer raises :class:`ConfigError` (field ``--layers``)."""
    if text is None:
        return list(available)
    names = [t.strip() for t in str(text).split(",") if t.strip()]
    if not names:
        raise ConfigError(f"--layers {text!r}: empty; allowed {', '.join(LAYERS)}", field="--layers")
    for n in names:
        if n not in LAYERS:
            raise ConfigError(f"--layers: unknown layer {n!r}; allowed {', '.join(LAYERS)}", field="--layers")
        if n not in available:
            why = {"ues": "no ue.parquet with UE positions (output.per_ue = false, or a run kind without them)",
                   "coverage": "no coverage GeoTIFFs: run `nrsim report` on the folder first"}[n]
            raise ConfigError(f"--layers: {n} is not available in this result ({why})", field="--layers")
    return names
