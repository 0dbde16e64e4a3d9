"""Identifiers and geography of a run's sites and cells, for the output tables a planner
joins on: ``cell_id`` / ``site_id`` (from the site list, else generated), vendor, compass
azimuth, WGS84 lat/lon and the run's coordinate reference (docs/sites.md, "Identifiers").

Generated layouts (hexagonal, InH, national) have no names: site ``s`` (0-based) is
``S<s+1>`` zero-padded to the digits of the site count, at least three (``S001``, ``S002``,
...; ``S0001`` ... with 1 000 sites or more) and its ``k``-th cell (1-based, in cell order) ``S001-1``, ``S001-2``, ... They depend
only on the index, so the same layout always gets the same IDs. Such layouts have no
geographic origin: no lat/lon and no CRS (the local frame in metres).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nrsim.deployment.geo import LocalProjection, bearing_to_compass_deg
from nrsim.deployment.layout import Layout
from nrsim.deployment.sites import config_site_list

__all__ = ["CellIdentity", "GeoReference", "cell_identity", "geo_reference", "generated_site_ids",
           "ue_identity_columns"]


@dataclass(frozen=True)
class GeoReference:
    """The run's map frame: ``x_m = easting - origin_e_m``, ``y_m = northing - origin_n_m``
    in the WGS84 / UTM zone ``epsg``."""

    projection: LocalProjection

    @property
    def epsg(self) -> int:
        return int(self.projection.epsg)

    @property
    def crs(self) -> str:
        return f"EPSG:{self.epsg}"

    def proj_string(self) -> str:
        zone, south = self.epsg % 100, self.epsg >= 32700
        return f"+proj=utm +zone={zone}{' +south' if south else ''} +datum=WGS84 +units=m +no_defs"

    def metadata(self) -> dict[str, object]:
        """The ``geo`` key of ``summary.json``."""
        lat, lon = self.projection.to_latlon_deg(0.0, 0.0)
        return {
            "crs": self.crs, "epsg": self.epsg, "proj": self.proj_string(),
            "origin_e_m": self.projection.origin_e_m, "origin_n_m": self.projection.origin_n_m,
            "origin_lat": float(lat[0]), "origin_lon": float(lon[0]),
            "frame": "x_m = easting - origin_e_m, y_m = northing - origin_n_m (metres, in crs)",
        }


def geo_reference(cfg) -> GeoReference | None:
    """The geographic frame of a site-list run (None for generated layouts)."""
    if cfg.deployment.layout != "sites":
        return None

    return GeoReference(config_site_list(cfg).projection)


def geo_metadata(cfg) -> dict[str, object]:
    """``summary.json``'s ``geo`` key: :meth:`GeoReference.metadata`, or ``{"crs": None,
    "frame": ...}`` for a run in a local frame without a geographic origin."""
    ref = geo_reference(cfg)
    if ref is None:
        return {"crs": None, "frame": "local engineering frame in metres (x east, y north); no geographic origin"}
    return ref.metadata()


def generated_site_ids(n_sites: int) -> NDArray[np.object_]:
    """``S001``, ``S002``, ... for sites 0..n-1 (at least three digits)."""
    width = max(3, len(str(n_sites)))
    return np.asarray([f"S{s + 1:0{width}d}" for s in range(n_sites)], dtype=object)


@dataclass(frozen=True)
class CellIdentity:
    """Per-cell and per-site identifiers and geography.

    cell_id, site_id, vendor : object [cell], str
    azimuth_deg_compass : float64 [cell], boresight [deg, clockwise from north], in [0, 360)
    lat, lon : float64 [cell] WGS84 [deg] of the cell's site, or None without a geographic origin
    site_ids : object [site], str
    site_lat, site_lon : float64 [site] or None
    geo : the run's :class:`GeoReference` or None
    """

    cell_id: NDArray[np.object_]
    site_id: NDArray[np.object_]
    vendor: NDArray[np.object_]
    azimuth_deg_compass: NDArray[np.float64]
    lat: NDArray[np.float64] | None
    lon: NDArray[np.float64] | None
    site_ids: NDArray[np.object_]
    site_lat: NDArray[np.float64] | None
    site_lon: NDArray[np.float64] | None
    geo: GeoReference | None

    def cell_columns(self) -> dict[str, NDArray]:
        """The columns added to ``cell.parquet`` (lat/lon only with a geographic origin)."""
        out = {"cell_id": self.cell_id, "site_id": self.site_id, "azimuth_deg_compass": self.azimuth_deg_compass}
        if self.lat is not None:
            out.update(lat=self.lat, lon=self.lon)
        return out

    def lookup(self) -> pd.DataFrame:
        """Cell index -> cell_id, site_id, vendor (the best-server raster lookup)."""
        return pd.DataFrame({"index": np.arange(len(self.cell_id), dtype=np.int64), "cell_id": self.cell_id,
                             "site_id": self.site_id, "vendor": self.vendor})


def cell_identity(cfg, layout: Layout) -> CellIdentity:
    """Identifiers of ``layout``'s cells and sites under ``cfg`` (site list or generated)."""
    azimuth = bearing_to_compass_deg(layout.cell_bearing_deg)
    geo = geo_reference(cfg)
    if geo is not None:

        c = config_site_list(cfg).cells
        cell_id = c["cell_id"].astype(str).to_numpy(dtype=object)
        site_id = c["site_id"].astype(str).to_numpy(dtype=object)
        vendor = c["vendor"].fillna("").astype(str).to_numpy(dtype=object)
        first = c.groupby("site", sort=True)[["site_id", "lat", "lon"]].first()
        site_ids = first["site_id"].astype(str).to_numpy(dtype=object)
        site_lat, site_lon = geo.projection.to_latlon_deg(layout.site_xy_m[:, 0], layout.site_xy_m[:, 1])
        lat, lon = site_lat[layout.cell_site], site_lon[layout.cell_site]
        return CellIdentity(cell_id, site_id, vendor, azimuth, lat, lon, site_ids, site_lat, site_lon, geo)
    site_ids = generated_site_ids(layout.n_sites)
    cs = layout.cell_site
    # 1-based rank of each cell within its site, in cell order
    order = np.argsort(cs, kind="stable")
    counts = np.bincount(cs, minlength=layout.n_sites)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(cs.shape[0], dtype=np.int64)
    rank[order] = np.arange(cs.shape[0]) - np.repeat(start, counts)
    site_of_cell = site_ids[cs]
    cell_id = np.asarray([f"{s}-{r + 1}" for s, r in zip(site_of_cell, rank, strict=True)], dtype=object)
    vendor = np.full(cs.shape[0], "", dtype=object)
    return CellIdentity(cell_id, site_of_cell, vendor, azimuth, None, None, site_ids, None, None, None)


def ue_identity_columns(ident: CellIdentity, serving_cell: NDArray[np.int64], x_m: NDArray[np.float64],
                        y_m: NDArray[np.float64]) -> dict[str, object]:
    """``serving_cell_id`` (object [ue], str) and, with a geographic origin, WGS84
    ``lat``/``lon`` [deg] of UEs at local positions ``x_m``, ``y_m`` [m] (float64 [ue])."""
    out: dict[str, object] = {"serving_cell_id": ident.cell_id[np.asarray(serving_cell, dtype=np.int64)]}
    if ident.geo is not None:
        lat, lon = ident.geo.projection.to_latlon_deg(x_m, y_m)
        out.update(lat=lat, lon=lon)
    return out
