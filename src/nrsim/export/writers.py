"""Writers of the vector layers (:mod:`nrsim.export.features`), each atomic (a temporary
sibling renamed into place; a failed export leaves nothing):

* ``gpkg``: one GeoPackage, one table per layer, in the run's CRS (UTM; none for a
  generated layout) - pyogrio / GDAL;
* ``geojson``: a folder with ``<layer>.geojson`` per layer, WGS84 lon/lat (RFC 7946) -
  pyogrio / GDAL;
* ``kml``: one KML 2.2 document, a folder per layer, WGS84 (OGC 07-147r2) - written with
  ``xml.etree`` (text escaped by the serialiser);
* ``csv``: a folder with ``<layer>.csv`` per layer: attributes, ``lat``/``lon`` of points
  and the geometry as WKT in WGS84 (``wkt``), or in the local frame without a geographic
  origin.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd

from nrsim.errors import ConfigError
from nrsim.export.features import Layer
import shapely
import warnings
from pyogrio.raw import write
from nrsim.export.features import PROBABILITY_EDGES, RSRP_EDGES_DBM, SINR_EDGES_DB

FORMATS = ("gpkg", "geojson", "kml", "csv")
WGS84 = "EPSG:4326"
KML_NS = "http://www.opengis.net/kml/2.2"
COORD_DECIMALS = 7
"""Decimals of WGS84 degrees in GeoJSON/KML/CSV (1e-7 deg ~ 1 cm)."""


def to_wgs84(layers: list[Layer], epsg: int | None) -> list[Layer]:
    """The layers reprojected from EPSG ``epsg`` to WGS84 lon/lat (x = lon, y = lat)."""
    if epsg is None:
        raise ConfigError("this result has no geographic origin (a generated layout in a local frame): "
                          "GeoJSON and KML need WGS84 coordinates; use --format gpkg or csv", field="--format")
    from pyproj import Transformer

    tr = Transformer.from_crs(epsg, 4326, always_xy=True)

    def fn(xy):
        lon, lat = tr.transform(xy[:, 0], xy[:, 1])
        return np.stack([lon, lat], axis=1)

    return [Layer(la.name, la.geometry_type, shapely.transform(la.geometry, fn) if len(la) else la.geometry,
                  la.fields) for la in layers]


def _field_arrays(layer: Layer) -> tuple[list[str], list[np.ndarray]]:
    names, arrays = [], []
    for k, v in layer.fields.items():
        v = np.asarray(v)
        if v.dtype.kind == "O" or v.dtype.kind in "US":
            v = np.asarray(["" if x is None else str(x) for x in v], dtype=object)
        elif v.dtype.kind == "f":  # +-inf (open class ends, SIR of a lone cell) -> null, as NaN
            v = np.where(np.isfinite(v), v, np.nan)
        names.append(k)
        arrays.append(v)
    return names, arrays


def write_ogr(path: Path, layers: list[Layer], *, driver: str, crs: str | None, layer_options=None) -> None:
    """Every layer into one OGR dataset (GPKG) or one per file (GeoJSON: ``path`` is a file)."""


    for i, la in enumerate(layers):
        names, arrays = _field_arrays(la)
        with warnings.catch_warnings():  # crs None is deliberate: a local frame without geographic origin
            warnings.filterwarnings("ignore", message="'crs' was not provided", category=UserWarning)
            write(str(path), shapely.to_wkb(la.geometry), arrays, names, layer=la.name, driver=driver,
                  geometry_type=la.geometry_type, crs=crs, append=i > 0, layer_options=layer_options)


def _kml_coords(xy: np.ndarray) -> str:
    return " ".join(f"{x:.{COORD_DECIMALS}f},{y:.{COORD_DECIMALS}f}" for x, y in xy)


def _kml_geometry(parent: ET.Element, geom) -> None:

    t = shapely.get_type_id(geom)
    if t == 0:  # Point
        ET.SubElement(ET.SubElement(parent, "Point"), "coordinates").text = _kml_coords(shapely.get_coordinates(geom))
        return
    polys = list(geom.geoms) if t == 6 else [geom]
    target = ET.SubElement(parent, "MultiGeometry") if len(polys) > 1 else parent
    for p in polys:
        pe = ET.SubElement(target, "Polygon")
        ET.SubElement(ET.SubElement(ET.SubElement(pe, "outerBoundaryIs"), "LinearRing"),
                      "coordinates").text = _kml_coords(np.asarray(p.exterior.coords))
        for ring in p.interiors:
            ET.SubElement(ET.SubElement(ET.SubElement(pe, "innerBoundaryIs"), "LinearRing"),
                          "coordinates").text = _kml_coords(np.asarray(ring.coords))


_NAME_FIELD = {"sites": "site_id", "cells": "cell_id", "ues": "ue", "coverage": "class_label"}
_KML_STYLES = {  # KML colours are aabbggrr
    "sites": ("ff000000", None), "cells": ("ff7f3f00", "60ff9f3f"), "ues": ("ff00a5ff", None),
}
_CLASS_COLOURS = ("0000d7", "2a6afd", "64cbfe", "8ae9d9", "62bd1a", "3c8a06")  # bbggrr, red (bad) -> green


def _kml_value(v) -> str:
    if isinstance(v, (float, np.floating)):
        return "" if not math.isfinite(float(v)) else repr(float(v))
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    return str(v)


def write_kml(path: Path, layers: list[Layer], title: str) -> None:
    """One KML document: a Folder per layer, a Placemark per feature with its attributes as
    ExtendedData; coverage classes coloured red (worst) to green (best)."""
    ET.register_namespace("", KML_NS)
    root = ET.Element("kml", xmlns=KML_NS)
    doc = ET.SubElement(root, "Document")
    ET.SubElement(doc, "name").text = title
    for name in ("sites", "cells", "ues"):
        line, fill = _KML_STYLES[name]
        st = ET.SubElement(doc, "Style", id=f"nrsim-{name}")
        if name in ("sites", "ues"):
            ic = ET.SubElement(st, "IconStyle")
            ET.SubElement(ic, "color").text = line
            ET.SubElement(ic, "scale").text = "0.8" if name == "sites" else "0.4"
        else:
            ET.SubElement(ET.SubElement(st, "LineStyle"), "color").text = line
            ET.SubElement(ET.SubElement(st, "PolyStyle"), "color").text = fill
    for k, bgr in enumerate(_CLASS_COLOURS):
        st = ET.SubElement(doc, "Style", id=f"nrsim-class-{k}")
        ET.SubElement(ET.SubElement(st, "LineStyle"), "width").text = "0"
        ET.SubElement(ET.SubElement(st, "PolyStyle"), "color").text = "80" + bgr
    for la in layers:
        folder = ET.SubElement(doc, "Folder")
        ET.SubElement(folder, "name").text = la.name
        keys = list(la.fields)
        cols = [np.asarray(la.fields[k]) for k in keys]
        for i in range(len(la)):
            pm = ET.SubElement(folder, "Placemark")
            label = la.fields.get(_NAME_FIELD[la.name])
            ET.SubElement(pm, "name").text = _kml_value(label[i]) if label is not None else str(i)
            if la.name == "coverage":
                n_col = len(_CLASS_COLOURS)
                k = int(la.fields["class"][i]) * n_col // _n_classes(la, i)
                ET.SubElement(pm, "styleUrl").text = f"#nrsim-class-{min(k, n_col - 1)}"
            else:
                ET.SubElement(pm, "styleUrl").text = f"#nrsim-{la.name}"
            ext = ET.SubElement(pm, "ExtendedData")
            for key, col in zip(keys, cols, strict=True):
                ET.SubElement(ET.SubElement(ext, "Data", name=key), "value").text = _kml_value(col[i])
            _kml_geometry(pm, la.geometry[i])
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _n_classes(la: Layer, i: int) -> int:
    """Number of classes of the map of coverage feature ``i`` (for its colour ramp)."""

    q = la.fields["quantity"][i]
    edges = PROBABILITY_EDGES if q == "probability" else (SINR_EDGES_DB if q == "SINR" else RSRP_EDGES_DBM)
    return len(edges) + 1


def write_csv(folder: Path, layers: list[Layer], *, wgs84: bool) -> None:
    """``<layer>.csv`` per layer: attributes, then ``wkt`` (WGS84 lon/lat, or local metres)."""

    for la in layers:
        df = pd.DataFrame({k: np.asarray(v) for k, v in la.fields.items()})
        df["wkt"] = shapely.to_wkt(la.geometry, rounding_precision=COORD_DECIMALS if wgs84 else 3) if len(la) else []
        df.to_csv(folder / f"{la.name}.csv", index=False, lineterminator="\n")


# --------------------------------------------------------------------------- atomic targets


def _replace(tmp: Path, target: Path) -> None:
    """Move ``tmp`` onto ``target`` (a file or a folder), replacing what is there."""
    if target.is_dir() and not target.is_symlink():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, target)


def write_layers(layers: list[Layer], fmt: str, out: Path, *, epsg: int | None, title: str) -> Path:
    """Write ``layers`` as ``fmt`` to ``out`` atomically (see the module docstring)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        if fmt == "gpkg":
            tmp = tmpdir / out.name
            write_ogr(tmp, layers, driver="GPKG", crs=f"EPSG:{epsg}" if epsg else None)
            _replace(tmp, out)
        elif fmt == "kml":
            tmp = tmpdir / out.name
            write_kml(tmp, to_wgs84(layers, epsg), title)
            _replace(tmp, out)
        elif fmt == "geojson":
            tmp = tmpdir / "out"
            tmp.mkdir()
            for la in to_wgs84(layers, epsg):
                write_ogr(tmp / f"{la.name}.geojson", [la], driver="GeoJSON", crs=WGS84,
                          layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": str(COORD_DECIMALS)})
            _replace(tmp, out)
        else:  # csv
            tmp = tmpdir / "out"
            tmp.mkdir()
            write_csv(tmp, to_wgs84(layers, epsg) if epsg else layers, wgs84=epsg is not None)
            _replace(tmp, out)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return out
