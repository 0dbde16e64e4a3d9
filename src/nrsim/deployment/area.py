"""Areas of interest: polygons in the local metric frame, from GeoJSON or from the sites'
convex hull grown by a margin; point-in-polygon tests; uniform and density-weighted UE
positions over them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nrsim.deployment.layout import Layout
from nrsim.errors import ConfigError

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
    also carries the feature's properties: (name, polygon, properties)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{field} = {str(path)!r}: cannot read ({exc})", field=field) from None
    feats = data.get("features", [data]) if isinstance(data, dict) else []
    out = []
    for k, f in enumerate(feats):
        geom = f.get("geometry", f) if isinstance(f, dict) else {}
        name = str((f.get("properties") or {}).get("name", f"polygon-{k + 1}")) if isinstance(f, dict) else str(k)
        rings = []
        if geom.get("type") == "Polygon":
            rings = [geom["coordinates"][0]]
        elif geom.get("type") == "MultiPolygon":
            rings = [c[0] for c in geom["coordinates"]]
        for r in rings:
            ll = np.asarray(r, dtype=np.float64)
            poly = projection.to_xy_m(ll[:, 1], ll[:, 0])
            props = (f.get("properties") or {}) if isinstance(f, dict) else {}
            out.append((name, poly, props) if with_properties else (name, poly))
    if not out:
        raise ConfigError(f"{field} = {str(path)!r}: no Polygon or MultiPolygon features", field=field)
    return out




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
