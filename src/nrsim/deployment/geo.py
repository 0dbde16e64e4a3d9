"""WGS84 <-> local metric coordinates (pyproj).

Site lists and maps are in WGS84 latitude/longitude (EPSG:4326); every computation runs in
metres in the UTM zone of the area (WGS84 / UTM, EPSG:326zz north, 327zz south), shifted by
a fixed origin so that positions stay small: ``x_m = easting - origin_e_m`` (east),
``y_m = northing - origin_n_m`` (north), the frame of :mod:`nrsim.deployment.layout`.

The special UTM zones of Norway and Svalbard are not applied (the standard 6-degree zone of
the longitude is used), which only widens the scale error there, not the correctness.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.errors import ConfigError

WGS84_EPSG = 4326


def utm_epsg(lat_deg: float, lon_deg: float) -> int:
    """EPSG code of the WGS84 / UTM zone holding (lat, lon): 326zz north of the equator,
    327zz south, zz = floor((lon + 180) / 6) + 1 in 1..60."""
    if not (-80.0 <= lat_deg <= 84.0):
        raise ConfigError(
            f"latitude {lat_deg:.4f} deg: UTM covers -80..84 deg (polar areas are not supported)",
            field="lat",
        )
    zone = int(np.floor((((lon_deg + 180.0) % 360.0)) / 6.0)) + 1
    zone = min(max(zone, 1), 60)
    return (32600 if lat_deg >= 0.0 else 32700) + zone


@functools.lru_cache(maxsize=32)
def _transformers(epsg: int):
    from pyproj import Transformer

    fwd = Transformer.from_crs(WGS84_EPSG, epsg, always_xy=True)
    inv = Transformer.from_crs(epsg, WGS84_EPSG, always_xy=True)
    return fwd, inv


@dataclass(frozen=True)
class LocalProjection:
    """A UTM zone and an origin in it: the local metric frame of one area."""

    epsg: int
    """EPSG code of the UTM zone."""
    origin_e_m: float
    """Easting of the local origin [m]."""
    origin_n_m: float
    """Northing of the local origin [m]."""

    def to_xy_m(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.float64]:
        """Local positions [n, 2] in metres (x east, y north) of WGS84 points [deg]."""
        fwd, _ = _transformers(self.epsg)
        e, n = fwd.transform(np.asarray(lon_deg, dtype=np.float64), np.asarray(lat_deg, dtype=np.float64))
        return np.stack([np.atleast_1d(e) - self.origin_e_m, np.atleast_1d(n) - self.origin_n_m], axis=1)

    def to_latlon_deg(self, x_m: ArrayLike, y_m: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """WGS84 (lat [deg], lon [deg]) of local positions [m]."""
        _, inv = _transformers(self.epsg)
        lon, lat = inv.transform(
            np.asarray(x_m, dtype=np.float64) + self.origin_e_m,
            np.asarray(y_m, dtype=np.float64) + self.origin_n_m,
        )
        return np.atleast_1d(lat), np.atleast_1d(lon)


def local_projection(lat_deg: ArrayLike, lon_deg: ArrayLike) -> LocalProjection:
    """The UTM zone of the points' centre, with the origin at the centre rounded to 1 m."""
    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    lat0 = float(np.mean(lat))
    # mean longitude on the circle (areas across the antimeridian)
    lon0 = float(np.rad2deg(np.arctan2(np.mean(np.sin(np.deg2rad(lon))), np.mean(np.cos(np.deg2rad(lon))))))
    epsg = utm_epsg(lat0, lon0)
    fwd, _ = _transformers(epsg)
    e, n = fwd.transform(lon, lat)
    return LocalProjection(epsg=epsg, origin_e_m=float(np.round(np.mean(e))), origin_n_m=float(np.round(np.mean(n))))


MAX_DEG_FROM_CENTRAL_MERIDIAN = 9.0
"""Farthest a site may lie from the central meridian of the local UTM zone, in degrees of
longitude: the zone's own +-3 deg plus 6 deg. The transverse Mercator scale factor grows as
k0 (1 + (dlon cos(lat))^2 / 2): at 9 deg on the equator distances are 1.2 % long (0.2 dB of
UMa path loss), far beyond it the local frame no longer represents the sites' geometry."""


def central_meridian_deg(epsg: int) -> float:
    """Central meridian [deg] of the WGS84 / UTM zone ``epsg`` (326zz / 327zz)."""
    zone = epsg % 100
    return -183.0 + 6.0 * zone


def check_projection_span(
    lat_deg: ArrayLike, lon_deg: ArrayLike, labels: list[str], projection: LocalProjection,
    *, field: str = "deployment.sites_file", where: str = "site list",
) -> None:
    """Refuse points farther than :data:`MAX_DEG_FROM_CENTRAL_MERIDIAN` degrees of longitude
    from the central meridian of ``projection``'s UTM zone (e.g. sites on different
    continents), naming the points at the western and eastern extremes (``labels``, one per
    point) and the allowed span. Raises :class:`ConfigError`."""
    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    if lon.size == 0:
        return
    cm = central_meridian_deg(projection.epsg)
    dlon = (lon - cm + 180.0) % 360.0 - 180.0  # signed, on the circle
    if np.all(np.abs(dlon) <= MAX_DEG_FROM_CENTRAL_MERIDIAN):
        return
    west, east = int(np.argmin(dlon)), int(np.argmax(dlon))
    far = max(abs(dlon[west]), abs(dlon[east]))
    worst = west if abs(dlon[west]) >= abs(dlon[east]) else east
    scale = 0.5 * (np.deg2rad(far) * np.cos(np.deg2rad(lat[worst]))) ** 2
    zone = f"{projection.epsg % 100}{'N' if projection.epsg < 32700 else 'S'}"
    raise ConfigError(
        f"{where}: the points span longitudes {lon[west]:.4f} deg ({labels[west]}) to {lon[east]:.4f} deg "
        f"({labels[east]}), up to {far:.1f} deg from the central meridian {cm:g} deg of the local projection "
        f"(UTM zone {zone}, chosen at their centre); allowed: within {MAX_DEG_FROM_CENTRAL_MERIDIAN:g} deg of it "
        f"(a span of {2 * MAX_DEG_FROM_CENTRAL_MERIDIAN:g} deg, where distances err by at most ~1 %; here "
        f"~{100 * scale:.0f} %). Split the list into regional runs or fix the rows' coordinates",
        field=field,
    )


def compass_to_bearing_deg(azimuth_deg: ArrayLike) -> NDArray[np.float64]:
    """Compass azimuth (clockwise from north, site lists) -> bearing counter-clockwise from
    east (TR 38.901 7.1 GCS phi, :mod:`nrsim.deployment.layout`), in [0, 360)."""
    return np.mod(90.0 - np.asarray(azimuth_deg, dtype=np.float64), 360.0)


def bearing_to_compass_deg(bearing_deg: ArrayLike) -> NDArray[np.float64]:
    """Inverse of :func:`compass_to_bearing_deg`."""
    return np.mod(90.0 - np.asarray(bearing_deg, dtype=np.float64), 360.0)
