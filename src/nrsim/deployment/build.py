"""The layout and UE placement a scenario config selects: the hexagonal grid, the InH hall,
a site list in lat/lon (:mod:`nrsim.deployment.sites`) or the national layout
(:mod:`nrsim.deployment.national`); the path-loss environment of every site; the area of
interest of an area drop (``deployment.ue.placement = "area"``).

Shared by the engines (:mod:`nrsim.engine.snapshot` re-exports these names), the geometry
guards of :func:`nrsim.load_config` (:mod:`nrsim.deployment.guards`), coverage and sizing.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import NDArray

from nrsim.config.schema import ScenarioConfig
from nrsim.deployment.area import area_polygons, read_area_file, sample_in_polygons
from nrsim.deployment.layout import Layout, hex_layout, inh_office_layout
from nrsim.deployment.national import national_layout
from nrsim.deployment.sites import config_layout, config_site_list
from nrsim.deployment.ue_drop import keep_min_distance
from nrsim.errors import ConfigError, show_value


def build_layout(cfg: ScenarioConfig) -> Layout:
    """The :class:`Layout` of ``deployment.layout`` (``hex``, ``inh-office``, ``sites``,
    ``national``; the national layout is cached)."""
    dep = cfg.deployment
    if dep.layout == "sites":  # a site list in lat/lon (nrsim.deployment.sites)
        return config_layout(cfg)
    if dep.layout == "national":
        return _national(dep.national, dep.sectors_per_site)
    if dep.layout == "inh-office":
        return inh_office_layout(dep.bs_height_m, sectors_per_site=dep.sectors_per_site)
    return hex_layout(
        dep.rings,
        dep.isd_m,
        dep.bs_height_m,
        sectors_per_site=dep.sectors_per_site,
        wraparound=dep.wraparound,
    )


@functools.lru_cache(maxsize=4)
def _national(nat, sectors_per_site: int) -> Layout:
    return national_layout(
        target_sites=nat.target_sites, side_km=nat.side_km, n_cities=nat.n_cities,
        layout_seed=nat.layout_seed, core_isd_m=nat.core_isd_m, urban_isd_m=nat.urban_isd_m,
        suburban_isd_m=nat.suburban_isd_m, largest_city_radius_km=nat.largest_city_radius_km,
        sectors_per_site=sectors_per_site,
    )


def site_scenarios(cfg: ScenarioConfig, layout: Layout) -> tuple[str, ...]:
    """Path-loss scenario of every site."""
    if layout.site_scenario is not None:
        return layout.site_scenario
    return (cfg.channel.scenario,) * layout.n_sites


def area_drop_polygons(
    cfg: ScenarioConfig, layout: Layout
) -> tuple[list[NDArray[np.float64]], NDArray[np.float64] | None]:
    """Polygons [k, 2] (local metres) and density weights (or None) of an area drop
    (``deployment.ue.placement = "area"``); :class:`ConfigError` for a bad density file."""
    projection = None
    if cfg.deployment.layout == "sites":
        projection = config_site_list(cfg).projection
    dens = cfg.deployment.ue.density_file
    if dens:
        if projection is None:
            raise ConfigError(
                "deployment.ue.density_file needs a geographic layout (deployment.layout = 'sites')",
                field="deployment.ue.density_file",
            )
        items = read_area_file(dens, projection, field="deployment.ue.density_file", with_properties=True)
        weights = []
        for name, _, props in items:
            w = props.get("weight")
            try:  # float() of an integer beyond 1.8e308 raises OverflowError
                ok = isinstance(w, (int, float)) and not isinstance(w, bool) and math.isfinite(float(w)) and w >= 0
            except OverflowError:
                ok = False
            if not ok:
                raise ConfigError(
                    f"deployment.ue.density_file: polygon {show_value(name)} has weight {show_value(w)}; allowed: "
                    "a number >= 0",
                    field="deployment.ue.density_file",
                )
            weights.append(float(w))
        if not any(w > 0 for w in weights):
            raise ConfigError("deployment.ue.density_file: every weight is 0", field="deployment.ue.density_file")
        return [p for _, p, _ in items], np.asarray(weights)
    polys = None
    if cfg.coverage.area_file and projection is not None:
        polys = [p for _, p in read_area_file(cfg.coverage.area_file, projection)]
    return area_polygons(layout, cfg.coverage.margin_m, polys), None


def area_positions(cfg: ScenarioConfig, layout: Layout, *, rng: np.random.Generator) -> NDArray[np.float64]:
    """UE positions of an area drop: ``per_sector`` x cells UEs over the area polygons, each
    at least ``min_distance_2d_m`` from every site (those closer are drawn again)."""
    polys, weights = area_drop_polygons(cfg, layout)
    xy = sample_in_polygons(polys, cfg.deployment.ue.per_sector * layout.n_cells, weights=weights, rng=rng)
    return keep_min_distance(layout, xy, cfg.deployment.ue.min_distance_2d_m,
                             lambda k: sample_in_polygons(polys, k, weights=weights, rng=rng))
