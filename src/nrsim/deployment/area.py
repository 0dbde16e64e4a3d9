"""Areas of interest: polygons in the local metric frame, from GeoJSON or from the sites'
convex hull grown by a margin; point-in-polygon tests; uniform and density-weighted UE
positions over them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nrsim.config.loading import decode_utf8
from nrsim.deployment.layout import Layout
from nrsim.errors import ConfigError, show_value

CIRCLE_SEGMENTS = 32
"""Vertices of the circle used to grow the sites' convex hull by the margin."""


def _hull(points: NDArray[np.float64]) -> NDArray[np.float64]:
    from scipy.spatial import ConvexHull

    if points.shape[0] < 3:
        return points
    try:
        return points[ConvexHull(points).vertices]
    except Exception:  # collinear points: scipy's QhullError
        return points


def area_polygons(layout: Layout, margin_m: float, area_polygons_m: list[NDArray[np.float64]] | None = None
                  ) -> list[NDArray[np.float64]]:
    """The area of interest as polygons [k, 2] in metres: the given ones, else the sites'
    convex hull grown by ``margin_m`` (Minkowski sum with a polygonal circle)."""
    if area_polygons_m:
        return list(area_polygons_m)
    t = np.linspace(0.0, 2 * np.pi, CIRCLE_SEGMENTS, endpoint=False)
    circle = max(margin_m, 1.0) * np.stack([np.cos(t), np.sin(t)], axis=1)
    hull = _hull(layout.site_xy_m)
    grown = (hull[:, None, :] + circle[None, :, :]).reshape(-1, 2)
    return [_hull(grown)]


def points_in_polygons(x_m: NDArray[np.float64], y_m: NDArray[np.float64],
                       polygons_m: list[NDArray[np.float64]]) -> NDArray[np.bool_]:
    """bool, shape of ``x_m``: point inside any of the polygons."""
    from matplotlib.path import Path as MplPath

    pts = np.stack([np.ravel(x_m), np.ravel(y_m)], axis=1)
    inside = np.zeros(pts.shape[0], dtype=bool)
    for poly in polygons_m:
        inside |= MplPath(poly).contains_points(pts)
    return inside.reshape(np.shape(x_m))


def read_area_file(path: str | Path, projection, *, field: str = "coverage.area_file",
                   with_properties: bool = False) -> list[Any]:
    """(name, polygon [k, 2] in local metres) of every polygon of a WGS84 GeoJSON file
    (Polygon: outer ring; MultiPolygon: each outer ring); with ``with_properties`` each item
    also carries the feature's properties: (name, polygon, properties).

    Features of other geometry types are skipped; a file that is not UTF-8 JSON, a feature,
    geometry or properties of the wrong JSON type, or a ring that is not a list of at least
    three [lon, lat] number pairs in range is a :class:`ConfigError` naming ``field``."""
    p = Path(path)
    where = f"{field} = {show_value(str(path))}"
    try:
        raw = p.read_bytes()
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{where}: cannot read ({exc})", field=field) from None
    try:
        data = json.loads(decode_utf8(raw, str(path), "GeoJSON file", field=field))
    except RecursionError:
        raise ConfigError(f"{where}: not valid JSON (nested too deeply)", field=field) from None
    except ConfigError:
        raise
    except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
        raise ConfigError(f"{where}: cannot read ({exc})", field=field) from None
    feats = data.get("features", [data]) if isinstance(data, dict) else []
    if not isinstance(feats, list):
        raise ConfigError(f"{where}: 'features' is {show_value(feats)}; allowed a list of GeoJSON features",
                          field=field)
    out = []
    for k, f in enumerate(feats):
        if not isinstance(f, dict):
            raise ConfigError(f"{where}: feature {k + 1} is {show_value(f)}; allowed a GeoJSON Feature object",
                              field=field)
        geom = f.get("geometry", f)
        props = f.get("properties")
        if props is not None and not isinstance(props, dict):
            raise ConfigError(f"{where}: feature {k + 1} properties {show_value(props)}; allowed an object",
                              field=field)
        props = props or {}
        name = str(props.get("name", f"polygon-{k + 1}"))
        if not isinstance(geom, dict):
            continue  # no polygon in this feature (e.g. "geometry": null)
        coords = geom.get("coordinates")
        polygons = [coords] if geom.get("type") == "Polygon" else (
            coords if geom.get("type") == "MultiPolygon" else [])
        if not isinstance(polygons, list):
            raise ConfigError(f"{where}: feature {k + 1} coordinates {show_value(polygons)}; allowed a list of "
                              "polygons", field=field)
        for polygon in polygons:
            if not isinstance(polygon, list) or not polygon:
                raise ConfigError(f"{where}: feature {k + 1} polygon {show_value(polygon)}; allowed a list of "
                                  "rings of [lon, lat] positions", field=field)
            ll = _ring_lonlat(polygon[0], f"{where}: feature {k + 1}", field)
            poly = projection.to_xy_m(ll[:, 1], ll[:, 0])
            out.append((name, poly, props) if with_properties else (name, poly))
    if not out:
        raise ConfigError(f"{where}: no Polygon or MultiPolygon features", field=field)
    return out


def _ring_lonlat(ring: Any, where: str, field: str) -> NDArray[np.float64]:
    """float64 [k, 2] (lon, lat) [deg] of a GeoJSON linear ring, checked: k >= 3 positions,
    each at least two finite numbers, lon in -180..180 and lat in -90..90."""
    ok = isinstance(ring, list) and len(ring) >= 3 and all(
        isinstance(pos, list) and len(pos) >= 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos[:2]) for pos in ring)
    if ok:
        try:
            ll = np.array([pos[:2] for pos in ring], dtype=np.float64)
        except OverflowError:  # an integer beyond 1.8e308
            ok = False
        else:
            ok = bool(np.all(np.isfinite(ll)) and np.all(np.abs(ll[:, 0]) <= 180.0)
                      and np.all(np.abs(ll[:, 1]) <= 90.0))
    if not ok:
        raise ConfigError(f"{where}: ring {show_value(ring)}; allowed at least 3 [lon, lat] positions with lon in "
                          "-180..180 and lat in -90..90 [deg]", field=field)
    return ll


def polygon_area_m2(poly: NDArray[np.float64]) -> float:
    """Area of a simple polygon [k, 2] (shoelace formula) [m^2]."""
    x, y = poly[:, 0], poly[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


def sample_in_polygons(
    polygons_m: list[NDArray[np.float64]],
    n: int,
    *,
    weights: NDArray[np.float64] | None = None,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """``n`` points [n, 2]: each falls in polygon p with probability proportional to
    weight_p x area_p (weights default to 1, i.e. uniform over the union when the polygons do
    not overlap), uniform inside it (rejection sampling from its bounding box)."""
    if n == 0:
        return np.zeros((0, 2))
    w = np.ones(len(polygons_m)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (len(polygons_m),) or np.any(w < 0) or not np.any(w > 0):
        raise ConfigError("UE density weights must be >= 0, one per polygon, not all 0", field="deployment.ue.density_file")
    mass = w * np.asarray([polygon_area_m2(p) for p in polygons_m])
    which = rng.choice(len(polygons_m), size=n, p=mass / mass.sum())
    out = np.empty((n, 2))
    for k, poly in enumerate(polygons_m):
        idx = np.flatnonzero(which == k)
        lo, hi = poly.min(axis=0), poly.max(axis=0)
        got = np.zeros((0, 2))
        while got.shape[0] < idx.size:
            need = idx.size - got.shape[0]
            cand = lo + rng.random((2 * need + 16, 2)) * (hi - lo)
            inside = points_in_polygons(cand[:, 0], cand[:, 1], [poly])
            got = np.concatenate([got, cand[inside]])
        out[idx] = got[: idx.size]
    return out
