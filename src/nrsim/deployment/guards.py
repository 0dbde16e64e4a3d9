"""Geometry guards checked when a scenario is loaded, before any work: the minimum BS-UE
distance must leave room for the UE drop, and the UE-to-site distances must lie inside the
path-loss model's validity range (TR 38.901 V17.0.0 Table 7.4.1-1), or the policy of
``channel.validity`` applies.

The per-sector UE drop of a site (:mod:`nrsim.deployment.ue_drop`) is uniform over the
clover-leaf hexagon of circumradius R = ISD / 3 with one corner at the site (ISD: the layout's
ISD, or the site's local ISD for site lists and the national layout). Both guards need the
share of that hexagon lying farther than a distance d from the site, which depends on
d / R only (:func:`clover_share_beyond`): the minimum distance needs a share large enough for
rejection sampling, the validity range a share of 0 beyond the model's largest distance.
Area drops (``placement = "area"``) are checked on a fixed sample of the area of interest.
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
from numpy.typing import NDArray

from nrsim.channel.tr38901.scenarios import scenario as scenario_row
from nrsim.deployment.area import sample_in_polygons
from nrsim.deployment.build import area_drop_polygons, build_layout, site_scenarios
from nrsim.deployment.layout import INH_HALL_X_M, INH_HALL_Y_M, hex_layout
from nrsim.deployment.sites import config_site_list
from nrsim.deployment.ue_drop import site_images_m
from nrsim.errors import ConfigError, ModelValidityWarning

MIN_DROP_AREA_SHARE = 0.01
"""Smallest share of a cell's drop area that must lie at least the minimum distance from
every site. Rejection sampling then fails for a UE with probability below
0.99^MAX_REDRAW_ROUNDS (:data:`nrsim.deployment.ue_drop.MAX_REDRAW_ROUNDS` = 10,000: 2e-44)."""

AREA_SAMPLE_POINTS = 20_000
"""Points of the fixed sample of an area of interest used to check area drops (a share is
known to +-0.2 % at 2 sigma)."""

MAX_LISTED = 10
"""Sites named in one message (the count of the others is given)."""

_THETA_POINTS = 20_001
_RHO_POINTS = 8001


def _rmax_over_r(theta_rad: NDArray[np.float64]) -> NDArray[np.float64]:
    """Distance from the site corner to the far boundary of a clover-leaf hexagon of
    circumradius 1 along the direction ``theta_rad`` from its boresight, |theta| <= 60 deg.

    Corners seen from the site: (1, +-60 deg), (sqrt 3, +-30 deg), (2, 0 deg); the edges
    (sqrt 3, 30 deg)-(2, 0 deg) lie on the line at distance sqrt 3 along 30 deg, the edges
    (1, 60 deg)-(sqrt 3, 30 deg) on the line at distance sqrt 3 / 2 along 90 deg."""
    t = np.abs(theta_rad)
    with np.errstate(divide="ignore"):
        return np.where(t <= math.pi / 6, math.sqrt(3.0) / np.cos(t - math.pi / 6),
                        math.sqrt(3.0) / (2.0 * np.sin(t)))


@functools.lru_cache(maxsize=1)
def _share_table() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(rho = d / R, share of the hexagon's area farther than d from the site corner) on a
    fine grid of rho in [0, 2]: area = 2 int_0^60deg (r_max^2 - d^2)_+ / 2 dtheta. r_max falls
    from 2 to 1 over 0..60 deg, so the integrand is positive for theta < theta*(rho) with
    r_max(theta*) = rho: area = C(theta*) - rho^2 theta*, C the running integral of r_max^2."""
    theta = np.linspace(0.0, math.pi / 3, _THETA_POINTS)
    r2 = _rmax_over_r(theta) ** 2  # [theta], decreasing from 4 to 1
    c = np.concatenate([[0.0], np.cumsum(0.5 * (r2[1:] + r2[:-1]) * np.diff(theta))])
    rho = np.linspace(0.0, 2.0, _RHO_POINTS)
    t_star = np.interp(rho**2, r2[::-1], theta[::-1])  # pi/3 for rho <= 1, 0 for rho >= 2
    area = np.interp(t_star, theta, c) - rho**2 * t_star
    share = area / (1.5 * math.sqrt(3.0))
    share[0] = 1.0
    share[-1] = 0.0
    return rho, np.clip(share, 0.0, 1.0)


def clover_share_beyond(d_m: float | NDArray[np.float64], radius_m: float | NDArray[np.float64]
                        ) -> NDArray[np.float64]:
    """Share of a clover-leaf cell's area (hexagon of circumradius ``radius_m`` with one corner
    at its site, the 3GPP per-sector UE drop area) lying farther than ``d_m`` from the site.
    Exact up to the quadrature (1e-6): 1 - (pi/3) (d/R)^2 / (3 sqrt(3)/2) for d <= R, 0 for
    d >= 2R. float64, broadcast shape of the inputs."""
    rho_tab, share_tab = _share_table()
    rho = np.asarray(d_m, dtype=np.float64) / np.maximum(np.asarray(radius_m, dtype=np.float64), 1e-300)
    return np.interp(rho, rho_tab, share_tab, left=1.0, right=0.0)


def largest_min_distance_ratio(share: float = MIN_DROP_AREA_SHARE) -> float:
    """The largest d / R for which :func:`clover_share_beyond` is still >= ``share``."""
    rho_tab, share_tab = _share_table()
    return float(np.interp(share, share_tab[::-1], rho_tab[::-1]))


# ---------------------------------------------------------------------------- labels


def _site_labels(cfg, layout) -> list[str]:
    """A name of every site for messages: ``row 12 (site 'A')`` for site lists, else
    ``site 12``."""
    if cfg.deployment.layout == "sites":
        cells = config_site_list(cfg).cells
        first = cells.groupby("site", sort=True)[["row", "site_id"]].first()
        return [f"row {r} (site {s!r})" for r, s in zip(first["row"], first["site_id"], strict=True)]
    return [f"site {k}" for k in range(layout.n_sites)]


def _nearest_other(site_xy_m: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Distance [m] to and index of each site's nearest other site (inf, -1 for a lone site)."""
    n = site_xy_m.shape[0]
    if n < 2:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    from scipy.spatial import cKDTree

    d, i = cKDTree(site_xy_m).query(site_xy_m, k=2)
    first_is_self = i[:, 0] == np.arange(n)  # not always so when sites coincide
    return np.where(first_is_self, d[:, 1], d[:, 0]), np.where(first_is_self, i[:, 1], i[:, 0]).astype(np.int64)


def _listing(items: list[str], total: int) -> str:
    more = total - len(items)
    return "; ".join(items) + (f"; and {more} more" if more > 0 else "")


def _site_radius_m(layout) -> NDArray[np.float64]:
    """Clover-leaf cell radius of every site [m]: local ISD / 3."""
    isd = layout.site_isd_m if layout.site_isd_m is not None else np.full(layout.n_sites, layout.isd_m)
    return np.asarray(isd, dtype=np.float64) / 3.0


def area_sample_m(polygons_m, n: int = AREA_SAMPLE_POINTS) -> NDArray[np.float64]:
    """A fixed (seeded, reproducible) uniform sample [n, 2] of the union of the polygons."""
    return sample_in_polygons(list(polygons_m), n, rng=np.random.default_rng(0x5EED))


def _nearest_site_m(xy_m: NDArray[np.float64], layout) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    from scipy.spatial import cKDTree

    d, i = cKDTree(layout.site_xy_m).query(xy_m)
    return np.asarray(d, dtype=np.float64), np.asarray(i, dtype=np.int64)


# ---------------------------------------------------------------------------- min distance


CELL_GRID_SIDE = 16
"""A cell's drop area is checked on 3 x 16 x 16 = 768 points (:func:`clover_cell_grid`)."""


def clover_cell_grid(bearing_deg: NDArray[np.float64], radius_m: NDArray[np.float64], m: int
                     ) -> NDArray[np.float64]:
    """Equal-area quadrature points of clover-leaf cells (the drop area of
    :func:`nrsim.deployment.ue_drop.sample_in_clover_cell_m`): the cell is three rhombi, each
    the image of the unit square under a linear map, so the centres of an m x m grid of the
    square map to 3 m^2 points of equal weight. Offsets from the site [cell, 3 m^2, 2] [m]."""
    g = (np.arange(m) + 0.5) / m
    s, t = (a.ravel() for a in np.meshgrid(g, g))  # [m^2]
    b = np.deg2rad(np.asarray(bearing_deg, dtype=np.float64))[:, None]  # [cell, 1]
    r = np.asarray(radius_m, dtype=np.float64)[:, None]
    px = r * (s * np.cos(b - np.pi / 3) + t * np.cos(b + np.pi / 3))  # [cell, m^2]
    py = r * (s * np.sin(b - np.pi / 3) + t * np.sin(b + np.pi / 3))
    cx, cy = r * np.cos(b), r * np.sin(b)  # cell centre
    out = []
    for k in range(3):  # the rhombus and its turns by 120 and 240 deg about the centre
        c, sn = math.cos(2 * math.pi * k / 3), math.sin(2 * math.pi * k / 3)
        dx, dy = px - cx, py - cy
        out.append(np.stack([cx + c * dx - sn * dy, cy + sn * dx + c * dy], axis=-1))
    return np.concatenate(out, axis=1)


@functools.lru_cache(maxsize=1)
def _lattice_distances() -> NDArray[np.float64]:
    """Sorted distances from the quadrature points of one cell of a regular hexagonal layout
    with ISD 1 to the nearest site (own or neighbour): the drop area of every inner cell."""
    from scipy.spatial import cKDTree

    lattice = hex_layout(2, 1.0, 25.0, wraparound=False).site_xy_m
    pts = clover_cell_grid(np.asarray([30.0]), np.asarray([1.0 / 3.0]), 200)[0]
    return np.sort(cKDTree(lattice).query(pts)[0])


def hex_min_isd_m(min_d_m: float, share: float = MIN_DROP_AREA_SHARE) -> float:
    """Smallest ISD [m] of a regular hexagonal layout leaving ``share`` of each cell's area at
    least ``min_d_m`` from every site (about 1.82 x min_d_m; no ISD below sqrt(3) x min_d_m
    leaves any)."""
    d = _lattice_distances()
    return float(min_d_m / d[int(np.floor((1.0 - share) * (d.size - 1)))])


def _cell_shares_beyond(layout, sites: NDArray[np.int64], min_d_m: float) -> NDArray[np.float64]:
    """Smallest share, over the cells of each of ``sites`` (sorted), of the cell's drop area
    (:func:`clover_cell_grid`) at least ``min_d_m`` from every site and wrap-around image.
    float64 [len(sites)]."""
    from scipy.spatial import cKDTree

    radius = _site_radius_m(layout)
    per = np.bincount(layout.cell_site, minlength=layout.n_sites)
    if int(per.max(initial=0)) == 3:
        cells = np.flatnonzero(np.isin(layout.cell_site, sites))
        c_site, bearing = layout.cell_site[cells], layout.cell_bearing_deg[cells]
    else:  # one cell per site: its UEs fall in any of the site's three clover-leaf cells
        c_site = np.repeat(sites, 3)
        bearing = np.tile([30.0, 150.0, 270.0], sites.size)
    tree = cKDTree(site_images_m(layout))
    share_cell = np.empty(c_site.size)
    for a in range(0, c_site.size, 4096):  # bounded memory
        sl = slice(a, a + 4096)
        xy = layout.site_xy_m[c_site[sl]][:, None, :] + clover_cell_grid(bearing[sl], radius[c_site[sl]],
                                                                         CELL_GRID_SIDE)
        d = tree.query(xy.reshape(-1, 2))[0].reshape(xy.shape[0], -1)
        share_cell[sl] = np.mean(d >= min_d_m, axis=1)
    out = np.ones(sites.size)
    np.minimum.at(out, np.searchsorted(sites, c_site), share_cell)
    return out


def check_min_distance(cfg, layout, area_polygons_m=None) -> None:
    """Refuse a scenario whose UE drop cannot keep ``deployment.ue.min_distance_2d_m`` from
    every site (TR 38.901 V17.0.0 Table 7.8-1, minimum BS-UE 2D distance): at least
    :data:`MIN_DROP_AREA_SHARE` of each cell's drop area must lie that far from all sites
    (the own site exactly, :func:`clover_share_beyond`; other sites, which can reach into the
    cell only when its site's ISD is below 3 x min_distance_2d_m, on a fixed sample of the
    cell). Site lists thereby refuse different sites at the same position (they leave their
    cells no area). Raises :class:`ConfigError` naming the keys and, for site lists, rows."""
    min_d = float(cfg.deployment.ue.min_distance_2d_m)
    if min_d <= 0.0 or layout.n_sites == 0:
        return
    key = f"deployment.ue.min_distance_2d_m = {min_d:g} m"
    if cfg.deployment.ue.placement == "area" and area_polygons_m is not None:
        d, _ = _nearest_site_m(area_sample_m(area_polygons_m), layout)
        share = float(np.mean(d >= min_d))
        if share < MIN_DROP_AREA_SHARE:
            raise ConfigError(
                f"{key} leaves {share:.2%} of the area of interest (coverage.area_file, else the sites' hull "
                f"grown by coverage.margin_m) for UEs; at least {MIN_DROP_AREA_SHARE:.0%} is needed "
                "(TR 38.901 Table 7.8-1 minimum BS-UE distance)", field="deployment.ue.min_distance_2d_m")
        return
    if layout.kind == "inh-office":
        gx, gy = np.meshgrid(np.linspace(*INH_HALL_X_M, 241), np.linspace(*INH_HALL_Y_M, 101))
        d, _ = _nearest_site_m(np.stack([gx.ravel(), gy.ravel()], axis=1), layout)
        share = float(np.mean(d >= min_d))
        if share < MIN_DROP_AREA_SHARE:
            raise ConfigError(
                f"{key} leaves {share:.2%} of the indoor hall for UEs (its BSs are 20 m apart); "
                f"at least {MIN_DROP_AREA_SHARE:.0%} is needed", field="deployment.ue.min_distance_2d_m")
        return
    radius = _site_radius_m(layout)
    share = clover_share_beyond(min_d, radius)  # own site: exact
    near = np.flatnonzero((radius < min_d) & (share >= MIN_DROP_AREA_SHARE))
    if near.size:  # other sites may reach into these sites' cells
        share[near] = np.minimum(share[near], _cell_shares_beyond(layout, near, min_d))
    bad = np.flatnonzero(share < MIN_DROP_AREA_SHARE)
    if bad.size == 0:
        return
    need_m = hex_min_isd_m(min_d)
    if layout.kind == "hex":
        isd = cfg.deployment.isd_m
        raise ConfigError(
            f"deployment.isd_m = {isd:g} m leaves no room for {key}: a cell's UEs lie within "
            f"2 x isd_m / 3 = {2 * isd / 3:.3g} m of its site, and {float(share.min()):.2%} of its area is "
            f"{min_d:g} m or more from every site (at least {MIN_DROP_AREA_SHARE:.0%} is needed; TR 38.901 "
            f"Table 7.8-1 minimum BS-UE distance); use deployment.isd_m >= {need_m:.4g} m or a smaller "
            "min_distance_2d_m", field="deployment.isd_m")
    labels = _site_labels(cfg, layout)
    if cfg.deployment.layout == "sites":
        d_nn, j_nn = _nearest_other(layout.site_xy_m)
        items = []
        for s in bad[:MAX_LISTED]:
            other = labels[j_nn[s]] if j_nn[s] >= 0 else "none"
            where = ("at the same position as " + other) if d_nn[s] < 1.0 else f"{d_nn[s]:.1f} m from {other}"
            items.append(f"{labels[s]} is {where}")
        raise ConfigError(
            f"deployment.sites_file: {bad.size} site(s) leave their cells less than {MIN_DROP_AREA_SHARE:.0%} of "
            f"their area for UEs at {key} from every site (a site's UEs are dropped within 2/3 of the distance "
            f"to its nearest other site; a regular grid needs about {need_m:.4g} m between sites; different sites "
            f"at the same position are not allowed: give co-sited cells one site_id): "
            f"{_listing(items, bad.size)}. Merge such sites, lower min_distance_2d_m, or drop the UEs over "
            "the area (deployment.ue.placement = 'area')", field="deployment.sites_file")
    items = [f"{labels[s]} (ISD {3 * radius[s]:.4g} m)" for s in bad[:MAX_LISTED]]
    raise ConfigError(
        f"{key}: {bad.size} site(s) of the layout leave their cells less than {MIN_DROP_AREA_SHARE:.0%} of their "
        f"area for UEs (a regular grid needs an ISD of about {need_m:.4g} m): {_listing(items, bad.size)}",
        field="deployment.ue.min_distance_2d_m")


# ---------------------------------------------------------------------------- validity


def max_valid_d_2d_m(scenario: str) -> float:
    """Largest 2D distance [m] at which the scenario's path loss is valid for every link
    (TR 38.901 V17.0.0 Table 7.4.1-1, the registry's validity ranges): 5 km for UMa and
    UMi; for RMa the NLOS limit, 5 km (the LOS limit is 10 km, but beyond 5 km an RMa link is
    LOS with probability below exp(-5) = 0.7 %); inf when no d_2D range is given (InH)."""
    return scenario_row(scenario).max_value("d_2d_m")


def check_distance_validity(cfg, layout, area_polygons_m=None) -> None:
    """Apply ``channel.validity`` to the distance from each UE to its own (per-sector drops)
    or nearest (area drops) site, the serving link of nearly every UE: it must not exceed
    :func:`max_valid_d_2d_m` of the site's environment. Known from geometry at load time:
    a per-sector drop reaches 2 x ISD / 3 from its site (the share of UEs beyond the limit is
    exact, :func:`clover_share_beyond`); an area drop is checked on a fixed sample of the area.
    ``raise``: :class:`ConfigError`; ``warn``: one :class:`ModelValidityWarning` with the
    counts. Interfering links beyond the range are not checked (their path loss is
    extrapolated; docs/modelling.md)."""
    policy = cfg.channel.validity
    if policy == "ignore" or layout.kind == "inh-office" or layout.n_sites == 0:
        return
    env = np.asarray(site_scenarios(cfg, layout))
    d_max = np.asarray([max_valid_d_2d_m(e) for e in env])  # [site]
    cells = np.bincount(layout.cell_site, minlength=layout.n_sites)
    limits = ", ".join(f"{scenario_row(e).label} d_2D <= {max_valid_d_2d_m(e) / 1e3:g} km" for e in sorted(set(env)))
    if cfg.deployment.ue.placement == "area" and area_polygons_m is not None:
        d, s = _nearest_site_m(area_sample_m(area_polygons_m), layout)
        far = d > d_max[s]
        if not far.any():
            return
        msg = (f"{far.mean():.2%} of the area of interest (coverage.area_file, else the sites' hull grown by "
               f"coverage.margin_m = {cfg.coverage.margin_m:g} m) lies beyond the path-loss model's range "
               f"from its nearest site (up to {d.max() / 1e3:.4g} km; TR 38.901 Table 7.4.1-1: {limits})")
        field = "coverage.area_file" if cfg.coverage.area_file else "coverage.margin_m"
    else:
        radius = _site_radius_m(layout)
        share = clover_share_beyond(d_max, radius)  # [site]
        bad = np.flatnonzero(share > 0.0)
        if bad.size == 0:
            return
        ue_share = float(np.sum(share * cells) / max(np.sum(cells), 1))
        if layout.kind == "hex":
            isd = cfg.deployment.isd_m
            msg = (f"deployment.isd_m = {isd:g} m drops UEs up to 2 x isd_m / 3 = {2 * isd / 3 / 1e3:.4g} km "
                   f"from their site, {ue_share:.1%} of them beyond the path-loss model's range "
                   f"(TR 38.901 Table 7.4.1-1: {limits}); use deployment.isd_m <= {1.5 * float(d_max.min()):g} m")
            field = "deployment.isd_m"
        else:
            labels = _site_labels(cfg, layout)
            if cfg.deployment.layout == "sites":
                d_nn, j_nn = _nearest_other(layout.site_xy_m)
                items = [f"{labels[s]}: nearest other site "
                         + (f"{d_nn[s] / 1e3:.4g} km away, {labels[j_nn[s]]}" if j_nn[s] >= 0 else "none")
                         for s in bad[:MAX_LISTED]]
                field = "deployment.sites_file"
                why = ("a site's UEs are dropped up to 2/3 of the distance to its nearest other site, "
                       f"so sites need a neighbour within {1.5 * float(d_max.min()) / 1e3:g} km")
            else:
                items = [f"{labels[s]} (ISD {3 * radius[s] / 1e3:.4g} km)" for s in bad[:MAX_LISTED]]
                field = "deployment.national"
                why = "a site's UEs are dropped up to 2 x ISD / 3 from it"
            msg = (f"{bad.size} of {layout.n_sites} sites drop UEs beyond the path-loss model's range "
                   f"(TR 38.901 Table 7.4.1-1: {limits}; {ue_share:.2%} of all UEs): {why}: "
                   f"{_listing(items, bad.size)}")
    if policy == "raise":
        raise ConfigError(f"{msg} (channel.validity = 'raise'; 'warn' runs anyway and extrapolates)",
                          field=field)
    warnings.warn(ModelValidityWarning(f"{msg} (channel.validity = 'warn': path loss extrapolated)"),
                  stacklevel=3)


def check_geometry(cfg, layout, area_polygons_m=None) -> None:
    """:func:`check_min_distance` and :func:`check_distance_validity`."""
    check_min_distance(cfg, layout, area_polygons_m)
    check_distance_validity(cfg, layout, area_polygons_m)


def check_config_geometry(cfg) -> None:
    """:func:`check_geometry` of a resolved scenario (its layout and, for area drops, its
    area polygons); called by :func:`nrsim.load_config`."""
    layout = build_layout(cfg)
    polys = area_drop_polygons(cfg, layout)[0] if cfg.deployment.ue.placement == "area" else None
    check_geometry(cfg, layout, polys)
