"""UE drops: positions, heights, indoor state (TR 38.901 Table 7.8-1 conventions)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nrsim.deployment.layout import INH_HALL_X_M, INH_HALL_Y_M, Layout
from nrsim.errors import ConfigError

MAX_REDRAW_ROUNDS = 10_000
"""Rounds of redrawing the UEs closer than the minimum distance to a site. Scenarios are
checked at load time to leave at least 1 % of each drop area far enough
(:func:`nrsim.deployment.guards.check_min_distance`), so a UE fails every round with
probability below 0.99^10,000 = 2e-44; if some UE still does, the drop raises."""


@dataclass(frozen=True)
class UeDrop:
    """One drop of UEs.

    Attributes
    ----------
    xy_m : float64 [ue, 2]
        Positions [m], inside the central cluster.
    height_m : float64 [ue]
        Antenna heights [m].
    indoor : bool [ue]
    floor : int64 [ue]
        Floor number n_fl (1 = ground floor); 1 for outdoor UEs.
    home_cell : int64 [ue]
        Cell whose area the UE was dropped in (``-1`` never occurs; InH: the cell index
        ``ue % n_cells`` used only to balance counts).
    """

    xy_m: NDArray[np.float64]
    height_m: NDArray[np.float64]
    indoor: NDArray[np.bool_]
    floor: NDArray[np.int64]
    home_cell: NDArray[np.int64]

    @property
    def n_ue(self) -> int:
        return int(self.xy_m.shape[0])


def sample_in_sector_m(
    bearing_deg: NDArray[np.float64],
    radius_m: float | NDArray[np.float64],
    *,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Uniform points in the rhombus with one corner at the site, spanned by the vectors of
    length ``radius_m`` at bearing-60 and bearing+60 deg (its far corner lies ``radius_m``
    along the bearing); offsets from the site [n, 2] in metres."""
    n = bearing_deg.shape[0]
    st = rng.random((n, 2))
    a = np.deg2rad(bearing_deg - 60.0)
    b = np.deg2rad(bearing_deg + 60.0)
    r = np.broadcast_to(np.asarray(radius_m, dtype=np.float64).reshape(-1), (n,)) if np.ndim(radius_m) else radius_m
    x = r * (st[:, 0] * np.cos(a) + st[:, 1] * np.cos(b))
    y = r * (st[:, 0] * np.sin(a) + st[:, 1] * np.sin(b))
    return np.stack([x, y], axis=1)


def sample_in_clover_cell_m(
    bearing_deg: NDArray[np.float64],
    cell_radius_m: float | NDArray[np.float64],
    *,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Uniform points in the hexagonal cell of each sector of a 3GPP clover-leaf site
    (ISD = 3 x cell radius): a hexagon of circumradius ``cell_radius_m`` centred
    ``cell_radius_m`` from the site along the boresight, with one corner at the site. Offsets
    from the site [n, 2] in metres; every point lies within +-60 deg of the boresight.

    The hexagon is three rhombi meeting at its centre: the rhombus of
    :func:`sample_in_sector_m` (site, corner at bearing-60, centre, corner at bearing+60) and
    its rotations by 120 and 240 deg about the centre, chosen with equal probability."""
    n = bearing_deg.shape[0]
    p = sample_in_sector_m(bearing_deg, cell_radius_m, rng=rng)  # [n, 2]
    r = np.broadcast_to(np.asarray(cell_radius_m, dtype=np.float64).reshape(-1), (n,))
    b = np.deg2rad(bearing_deg)
    centre = r[:, None] * np.stack([np.cos(b), np.sin(b)], axis=1)  # [n, 2]
    turn = np.deg2rad(120.0) * rng.integers(0, 3, n)
    c, s = np.cos(turn), np.sin(turn)
    d = p - centre
    return centre + np.stack([c * d[:, 0] - s * d[:, 1], s * d[:, 0] + c * d[:, 1]], axis=1)


def site_images_m(layout: Layout) -> NDArray[np.float64]:
    """Every site and its wrap-around images [site x image, 2] (the sites alone without
    wrap-around)."""
    return (layout.site_xy_m[None, :, :] + layout.wrap_shifts_m[:, None, :]).reshape(-1, 2)


def distance_to_nearest_site_m(layout: Layout, xy_m: NDArray[np.float64], tree=None) -> NDArray[np.float64]:
    """2D distance [m] from each position [n, 2] to the nearest site or wrap-around image."""
    from scipy.spatial import cKDTree

    if xy_m.shape[0] == 0:
        return np.zeros(0)
    tree = tree if tree is not None else cKDTree(site_images_m(layout))
    return np.asarray(tree.query(xy_m, workers=1)[0], dtype=np.float64)


def _too_close_error(n_bad: int, n: int, min_d_m: float) -> ConfigError:
    return ConfigError(
        f"deployment.ue.min_distance_2d_m = {min_d_m:g} m: {n_bad} of {n} UEs could not be placed that far "
        f"from every site after {MAX_REDRAW_ROUNDS} redraws (TR 38.901 Table 7.8-1 minimum BS-UE distance); "
        "the sites leave too little room for it: use a smaller min_distance_2d_m or fewer, farther sites",
        field="deployment.ue.min_distance_2d_m",
    )


def keep_min_distance(
    layout: Layout,
    xy_m: NDArray[np.float64],
    min_d_m: float,
    redraw: Callable[[int], NDArray[np.float64]],
) -> NDArray[np.float64]:
    """Positions [n, 2] at least ``min_d_m`` from every site: those closer are replaced by
    ``redraw(k)`` (k fresh positions) until none is, at most :data:`MAX_REDRAW_ROUNDS` times;
    :class:`ConfigError` if some UE is still too close (never placed silently)."""
    xy = np.array(xy_m, dtype=np.float64)
    if min_d_m <= 0.0 or xy.shape[0] == 0:
        return xy
    from scipy.spatial import cKDTree

    tree = cKDTree(site_images_m(layout))
    idx = np.flatnonzero(distance_to_nearest_site_m(layout, xy, tree) < min_d_m)
    for _ in range(MAX_REDRAW_ROUNDS):
        if idx.size == 0:
            return xy
        xy[idx] = redraw(idx.size)
        idx = idx[distance_to_nearest_site_m(layout, xy[idx], tree) < min_d_m]
    if idx.size:
        raise _too_close_error(idx.size, xy.shape[0], min_d_m)
    return xy


def _drop_hex_positions(
    layout: Layout, per_sector: int, min_d_m: float, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    home = np.repeat(np.arange(layout.n_cells, dtype=np.int64), per_sector)
    # clover-leaf cells: ISD = 3 x cell radius
    if layout.site_isd_m is not None:
        radius_m = (layout.site_isd_m[layout.cell_site[home]] / 3.0)[:, None]
    else:
        radius_m = layout.isd_m / 3.0
    sectors_per_site = layout.n_cells // max(layout.n_sites, 1)
    if sectors_per_site == 3:
        bearing = layout.cell_bearing_deg[home]
    else:  # one cell per site: a random one of the site's three clover-leaf cells
        bearing = np.asarray([30.0, 150.0, 270.0])[rng.integers(0, 3, home.shape[0])]
    site = layout.site_xy_m[layout.cell_site[home]]
    offset = sample_in_clover_cell_m(bearing, radius_m, rng=rng)
    if min_d_m <= 0.0:
        return site + offset, home
    # at least min_d_m from its own site and from every other site (and wrap-around image):
    # in a regular hex layout the other sites are >= ISD / 3 from the cell, so only the own
    # site matters there; site lists and the national layout can put a site near a cell
    from scipy.spatial import cKDTree

    tree = cKDTree(site_images_m(layout))

    def too_close(k: NDArray[np.int64]) -> NDArray[np.bool_]:
        own = np.hypot(offset[k, 0], offset[k, 1]) < min_d_m
        return own | (distance_to_nearest_site_m(layout, site[k] + offset[k], tree) < min_d_m)

    idx = np.flatnonzero(too_close(np.arange(home.shape[0])))
    for _ in range(MAX_REDRAW_ROUNDS):
        if idx.size == 0:
            break
        r_bad = radius_m[idx] if np.ndim(radius_m) else radius_m
        offset[idx] = sample_in_clover_cell_m(bearing[idx], r_bad, rng=rng)
        idx = idx[too_close(idx)]
    if idx.size:
        raise _too_close_error(idx.size, home.shape[0], min_d_m)
    return site + offset, home


def _drop_inh_positions(
    layout: Layout, per_sector: int, min_d_m: float, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    n = per_sector * layout.n_cells

    def draw(k: int) -> NDArray[np.float64]:
        u = rng.random((k, 2))
        return np.stack(
            [
                INH_HALL_X_M[0] + u[:, 0] * (INH_HALL_X_M[1] - INH_HALL_X_M[0]),
                INH_HALL_Y_M[0] + u[:, 1] * (INH_HALL_Y_M[1] - INH_HALL_Y_M[0]),
            ],
            axis=1,
        )

    xy = draw(n)
    if min_d_m > 0:
        for round_ in range(MAX_REDRAW_ROUNDS + 1):
            d = np.hypot(
                xy[:, None, 0] - layout.site_xy_m[None, :, 0],
                xy[:, None, 1] - layout.site_xy_m[None, :, 1],
            ).min(axis=1)
            bad = d < min_d_m
            if not bad.any():
                break
            if round_ == MAX_REDRAW_ROUNDS:
                raise _too_close_error(int(bad.sum()), n, min_d_m)
            xy[bad] = draw(int(bad.sum()))
    home = np.arange(n, dtype=np.int64) % max(layout.n_cells, 1)
    return xy, home


def sample_indoor_floors(
    n: int, floors_min: int, floors_max: int, *, rng: np.random.Generator
) -> NDArray[np.int64]:
    """Floor n_fl ~ U{1..N_fl} with N_fl ~ U{floors_min..floors_max}
    (TR 38.901 Table 7.8-1 note on UT height: N_fl ~ U{4, 8})."""
    n_fl = rng.integers(floors_min, floors_max + 1, size=n)
    return (np.floor(rng.random(n) * n_fl).astype(np.int64) + 1)


def floor_height_m(floor: NDArray[np.int64]) -> NDArray[np.float64]:
    """UT height on floor n_fl: h_UT = 3 (n_fl - 1) + 1.5 m (TR 38.901 Table 7.8-1)."""
    return 3.0 * (floor.astype(np.float64) - 1.0) + 1.5


def home_cells(layout: Layout, xy_m: NDArray[np.float64]) -> NDArray[np.int64]:
    """For UEs placed freely: the cell of the nearest site whose boresight is closest to the
    UE's direction from that site."""
    from scipy.spatial import cKDTree

    if xy_m.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    site = np.asarray(cKDTree(layout.site_xy_m).query(xy_m)[1], dtype=np.int64)
    start = np.searchsorted(layout.cell_site, np.arange(layout.n_sites))
    count = np.bincount(layout.cell_site, minlength=layout.n_sites)
    d = xy_m - layout.site_xy_m[site]
    az = np.degrees(np.arctan2(d[:, 1], d[:, 0]))
    best = start[site].copy()
    best_err = np.full(site.shape[0], np.inf)
    for k in range(int(count.max())):
        cell = np.minimum(start[site] + k, layout.n_cells - 1)
        valid = k < count[site]
        err = np.abs((az - layout.cell_bearing_deg[cell] + 180.0) % 360.0 - 180.0)
        better = valid & (err < best_err)
        best = np.where(better, cell, best)
        best_err = np.where(better, err, best_err)
    return best.astype(np.int64)


def drop_ues(
    layout: Layout,
    *,
    per_sector: int,
    min_distance_2d_m: float,
    indoor_fraction: float,
    outdoor_height_m: float = 1.5,
    indoor_floors: bool = True,
    building_floors_min: int = 4,
    building_floors_max: int = 8,
    indoor_height_m: float = 1.5,
    positions_m: NDArray[np.float64] | None = None,
    rng: np.random.Generator,
) -> UeDrop:
    """Drop ``per_sector`` UEs per cell uniformly over the layout (hex: each cell's own
    hexagon; InH: the hall), at least ``min_distance_2d_m`` from every site (TR 38.901
    Table 7.8-1; :class:`ConfigError` if the layout leaves no room for that); or take the
    given ``positions_m`` [ue, 2] (area drops, see :func:`keep_min_distance`) and attach each
    to its :func:`home_cells`."""
    if positions_m is not None:
        xy = np.asarray(positions_m, dtype=np.float64)
        home = home_cells(layout, xy)
    elif layout.kind == "inh-office":
        xy, home = _drop_inh_positions(layout, per_sector, min_distance_2d_m, rng)
    else:
        xy, home = _drop_hex_positions(layout, per_sector, min_distance_2d_m, rng)
    n = xy.shape[0]
    indoor = rng.random(n) < indoor_fraction
    floor = np.ones(n, dtype=np.int64)
    height = np.full(n, float(outdoor_height_m))
    if indoor_floors:
        fl = sample_indoor_floors(n, building_floors_min, building_floors_max, rng=rng)
        floor = np.where(indoor, fl, 1)
        height = np.where(indoor, floor_height_m(floor), height)
    else:
        height = np.where(indoor, float(indoor_height_m), height)
    return UeDrop(xy_m=xy, height_m=height, indoor=indoor, floor=floor, home_cell=home)
