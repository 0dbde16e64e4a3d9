"""A synthetic, deterministic national network: cities with dense-urban cores, urban and
suburban rings, and a rural background.

Not a real country: the layout is generated from ``layout_seed`` so that anyone gets the
same 10,000 sites. Each region is a jittered hexagonal grid with its own inter-site
distance and path-loss environment (TR 38.901 UMi-Street Canyon in the cores, UMa in urban
and suburban rings, RMa elsewhere); the rural grid spacing is chosen so that the network
has exactly ``target_sites`` sites.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nrsim.deployment.layout import SECTOR_BEARINGS_DEG, SQRT3, Layout

JITTER_ISD = 0.1
"""Site position jitter, uniform in +-JITTER_ISD x ISD per axis."""


@dataclass(frozen=True)
class Region:
    environment: str  # "umi" | "uma" | "rma"
    isd_m: float
    bs_height_m: float


def _hex_points_in(
    center: NDArray[np.float64], isd_m: float, r_in_m: float, r_out_m: float, angle_rad: float
) -> NDArray[np.float64]:
    """Points of a hex lattice (spacing isd, rotated) with r_in <= |p - center| < r_out."""
    n = int(math.ceil(r_out_m / isd_m)) + 1
    q, r = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1))
    x = isd_m * (q + 0.5 * r)
    y = isd_m * (SQRT3 / 2.0) * r
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    xr, yr = c * x - s * y, s * x + c * y
    d = np.hypot(xr, yr)
    keep = (d >= r_in_m) & (d < r_out_m)
    return np.stack([xr[keep], yr[keep]], axis=1) + center


def national_layout(
    *,
    target_sites: int,
    side_km: float,
    n_cities: int,
    layout_seed: int,
    core_isd_m: float = 200.0,
    urban_isd_m: float = 400.0,
    suburban_isd_m: float = 1000.0,
    largest_city_radius_km: float = 8.0,
    sectors_per_site: int = 3,
) -> Layout:
    """Generate the national layout (sites ordered region by region, cells site-major)."""
    rng = np.random.default_rng(np.random.SeedSequence(layout_seed))
    side_m = side_km * 1000.0
    regions = {
        "core": Region("umi", core_isd_m, 10.0),
        "urban": Region("uma", urban_isd_m, 25.0),
        "suburban": Region("uma", suburban_isd_m, 30.0),
        "rural": Region("rma", 0.0, 35.0),
    }
    # cities: Zipf-like radii, centres at least 4 radii apart and inside the country
    radii = largest_city_radius_km * 1000.0 / np.sqrt(np.arange(1, n_cities + 1))
    centres: list[NDArray[np.float64]] = []
    for rad in radii:
        for _ in range(10_000):
            c = rng.uniform(2 * rad, side_m - 2 * rad, size=2)
            if all(np.hypot(*(c - o)) > 2.0 * (rad + r2) for o, r2 in zip(centres, radii, strict=False)):
                centres.append(c)
                break
        else:  # pragma: no cover - parameters leave plenty of room
            raise ValueError("cannot place the cities; raise side_km or lower n_cities")
    xy: list[NDArray[np.float64]] = []
    env: list[str] = []
    isd: list[float] = []
    height: list[float] = []
    for c, rad in zip(centres, radii, strict=True):
        bands = [("core", 0.0, 0.2 * rad), ("urban", 0.2 * rad, 0.55 * rad), ("suburban", 0.55 * rad, rad)]
        for name, r0, r1 in bands:
            reg = regions[name]
            pts = _hex_points_in(c, reg.isd_m, r0, r1, rng.uniform(0, math.pi / 3))
            pts = pts + rng.uniform(-JITTER_ISD, JITTER_ISD, size=pts.shape) * reg.isd_m
            xy.append(pts)
            env += [reg.environment] * len(pts)
            isd += [reg.isd_m] * len(pts)
            height += [reg.bs_height_m] * len(pts)
    n_city = sum(len(p) for p in xy)
    n_rural = target_sites - n_city
    if n_rural < 1:
        raise ValueError(f"the cities alone have {n_city} sites, more than target_sites = {target_sites}")
    city_area = sum(math.pi * r * r for r in radii)
    rural_isd = math.sqrt((side_m * side_m - city_area) / (n_rural * SQRT3 / 2.0))
    # rural grid over the country, outside the cities; then trim/grow the spacing to hit the count
    for _ in range(60):
        pts = _hex_points_in(np.array([side_m / 2, side_m / 2]), rural_isd, 0.0, side_m, 0.0)
        inside = (pts[:, 0] >= 0) & (pts[:, 0] < side_m) & (pts[:, 1] >= 0) & (pts[:, 1] < side_m)
        pts = pts[inside]
        outside_cities = np.ones(len(pts), dtype=bool)
        for c, rad in zip(centres, radii, strict=True):
            outside_cities &= np.hypot(pts[:, 0] - c[0], pts[:, 1] - c[1]) >= rad + 0.5 * rural_isd
        pts = pts[outside_cities]
        if len(pts) >= n_rural:
            break
        rural_isd *= math.sqrt(len(pts) / n_rural) * 0.995
    order = rng.permutation(len(pts))[:n_rural]
    pts = pts[np.sort(order)]
    pts = pts + rng.uniform(-JITTER_ISD, JITTER_ISD, size=pts.shape) * rural_isd
    xy.append(pts)
    env += ["rma"] * len(pts)
    isd += [rural_isd] * len(pts)
    height += [regions["rural"].bs_height_m] * len(pts)
    site_xy = np.concatenate(xy)
    n_sites = site_xy.shape[0]
    bearings = np.asarray(SECTOR_BEARINGS_DEG if sectors_per_site == 3 else SECTOR_BEARINGS_DEG[:1])
    return Layout(
        site_xy_m=site_xy,
        site_height_m=np.asarray(height),
        cell_site=np.repeat(np.arange(n_sites, dtype=np.int64), len(bearings)),
        cell_bearing_deg=np.tile(bearings, n_sites),
        wrap_shifts_m=np.zeros((1, 2)),
        kind="national",
        isd_m=float(min(isd)),
        site_scenario=tuple(env),
        site_isd_m=np.asarray(isd),
    )
