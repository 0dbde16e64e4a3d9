"""The policy's view of a site list: one row per site with its vendor, operator, regions and
exclusion zones (:class:`~nrsim.policy.planner.PlanSites`)."""

from __future__ import annotations

import numpy as np

from nrsim.deployment.area import points_in_polygons
from nrsim.deployment.sites import SiteList
from nrsim.errors import ConfigError
from nrsim.policy.planner import NOT_BUILT, PlanSites
from nrsim.policy.schema import Policy, stage_of


def _poly_m(projection, polygon) -> np.ndarray:
    ll = np.asarray(polygon, dtype=np.float64)  # [k, 2] lon, lat
    return projection.to_xy_m(ll[:, 1], ll[:, 0])


def plan_sites(policy: Policy, sites: SiteList) -> PlanSites:
    """The :class:`PlanSites` of ``sites`` under ``policy``; :class:`ConfigError` naming the
    field for a rule whose vendor is not in the site list, a new site that is not in it, or a
    site whose cells carry different vendors."""
    c = sites.cells
    first = c.groupby("site", sort=True).first()
    vendors = c.groupby("site", sort=True)["vendor"].nunique()
    mixed = first.index[vendors.to_numpy() > 1]
    if len(mixed):
        ids = ", ".join(str(x) for x in first.loc[mixed, "site_id"].head(5))
        raise ConfigError(f"{sites.source}: the cells of site(s) {ids} carry different vendors; a policy swaps whole "
                          "sites (allowed: one vendor per site)", field="deployment.sites_file")
    st = sites.site_table()
    xy = st[["x_m", "y_m"]].to_numpy(dtype=np.float64)
    vendor = first["vendor"].to_numpy(dtype=object)
    known = set(vendor)
    problems = []
    for field, v in _rule_vendors(policy):
        if v not in known:
            problems.append(f"{field} = {v!r} is not in the site list's vendor column (allowed "
                            f"{', '.join(sorted(x for x in known if x)) or 'none'})")
    ids = {s: i for i, s in enumerate(st["site_id"])}
    built = np.full(len(st), NOT_BUILT, dtype=np.int64)
    for i, ns in enumerate(policy.new_sites):
        if ns.site_id not in ids:
            problems.append(f"policy.new_sites.{i}.site_id = {ns.site_id!r} is not a site_id of {sites.source}")
            continue
        built[ids[ns.site_id]] = stage_of(policy.start, ns.month)
    if problems:
        raise ConfigError("; ".join(problems[:20]), field=problems[0].split(" ")[0])
    n_cells = c.groupby("site", sort=True).size().to_numpy(dtype=np.int64)
    proj = sites.projection
    in_region = np.zeros((len(st), len(policy.regions)), dtype=bool)
    for j, r in enumerate(policy.regions):
        in_region[:, j] = points_in_polygons(xy[:, 0], xy[:, 1], [_poly_m(proj, r.polygon)])
    in_zone = np.zeros((len(st), len(policy.exclusion_zones)), dtype=bool)
    for j, z in enumerate(policy.exclusion_zones):
        if z.polygon is not None:
            in_zone[:, j] = points_in_polygons(xy[:, 0], xy[:, 1], [_poly_m(proj, z.polygon)])
        else:
            centre = proj.to_xy_m(np.array([z.centre[1]]), np.array([z.centre[0]]))[0]
            in_zone[:, j] = np.hypot(xy[:, 0] - centre[0], xy[:, 1] - centre[1]) <= z.radius_m
    return PlanSites(
        site_id=st["site_id"].to_numpy(dtype=object), xy_m=xy, vendor=vendor,
        operator=first["operator"].to_numpy(dtype=object), n_cells=n_cells, built_stage=built,
        in_region=in_region, in_zone=in_zone,
    )


def zone_centres_m(policy: Policy, sites: SiteList) -> np.ndarray:
    """float64 [zone, 2]: the centre (circle) or vertex mean (polygon) of each exclusion zone
    in the site list's local frame [m]."""
    out = np.zeros((len(policy.exclusion_zones), 2))
    for j, z in enumerate(policy.exclusion_zones):
        if z.polygon is not None:
            out[j] = _poly_m(sites.projection, z.polygon).mean(axis=0)
        else:
            out[j] = sites.projection.to_xy_m(np.array([z.centre[1]]), np.array([z.centre[0]]))[0]
    return out


def _rule_vendors(policy: Policy) -> list[tuple[str, str]]:
    out = [(f"policy.caps.{i}.vendor", c.vendor) for i, c in enumerate(policy.caps)]
    out += [(f"policy.purchase_bans.{i}.vendor", b.vendor) for i, b in enumerate(policy.purchase_bans)]
    out += [(f"policy.removals.{i}.vendor", r.vendor) for i, r in enumerate(policy.removals)]
    for i, z in enumerate(policy.exclusion_zones):
        out += [(f"policy.exclusion_zones.{i}.vendors", v) for v in z.vendors]
    return out
