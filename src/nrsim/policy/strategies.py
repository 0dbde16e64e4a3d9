"""Swap order strategies: a rank per site (lower first) where the rules leave a choice.

* ``traffic``: users served at the start (the baseline stage), lowest first;
* ``cluster``: grow the replacement vendor's areas outwards: each next site is the restricted
  site nearest to a site that already has (or will have) an unrestricted vendor, so swapped
  areas stay contiguous and vendor borders few;
* ``sensitivity``: sites in exclusion zones first (earliest zone date first), then by
  distance to the nearest zone centre;
* ``age``: oldest ``installed`` date first (``strategy.site_info_file``);
* ``plugin``: a user function ``rank(sites: DataFrame) -> list of site ids`` (only with
  ``allow_plugins``).

``strategy.reverse`` reverses any of them. Ties keep site-list order.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nrsim.errors import ConfigError
from nrsim.plugins import ALLOW_OPTION, check_code_field
from nrsim.policy.planner import PlanSites
from nrsim.policy.schema import Policy, restricted_vendors

PLUGIN_FIELD = "policy.strategy.plugin"


def check_policy_plugin_allowed(policy: Policy, allow_plugins: bool) -> None:
    """Raise :class:`~nrsim.plugins.PluginNotAllowedError` when the policy names a plugin and
    running it was not allowed; check that the file exists when it was (no import)."""
    spec = policy.strategy.plugin
    if spec is None:
        return
    check_code_field(PLUGIN_FIELD, spec, allow_plugins,
                     where=f"{ALLOW_OPTION} (nrsim policy) or allow_plugins=True (nrsim.policy.run_policy)",
                     attribute="function")


def _positions(keys: NDArray[np.float64], reverse: bool) -> NDArray[np.int64]:
    """rank [site] from sort keys (ascending; ties in site order)."""
    order = np.lexsort((np.arange(keys.size), -keys if reverse else keys))
    rank = np.empty(keys.size, dtype=np.int64)
    rank[order] = np.arange(keys.size)
    return rank


def cluster_keys(policy: Policy, sites: PlanSites) -> NDArray[np.float64]:
    """Greedy growth order [site] of the ``cluster`` strategy (see the module docstring)."""
    restricted = np.isin(sites.vendor, sorted(restricted_vendors(policy)))
    keys = np.zeros(sites.n)
    done = ~restricted
    if not done.any():  # nothing to grow from: start at the westernmost restricted site
        s0 = int(np.lexsort((sites.xy_m[:, 1], sites.xy_m[:, 0]))[0])
        done[s0] = True
        keys[s0] = 0
    step = 1
    d_to_done = np.full(sites.n, np.inf)
    for s in np.flatnonzero(done):
        d_to_done = np.minimum(d_to_done, np.hypot(*(sites.xy_m - sites.xy_m[s]).T))
    while not done.all():
        cand = np.where(done, np.inf, d_to_done)
        s = int(np.argmin(cand))
        keys[s] = step
        step += 1
        done[s] = True
        d_to_done = np.minimum(d_to_done, np.hypot(*(sites.xy_m - sites.xy_m[s]).T))
    return keys


def _age_keys(policy: Policy, sites: PlanSites) -> NDArray[np.float64]:
    path = policy.strategy.site_info_file
    field = "policy.strategy.site_info_file"
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{field} = {path!r}: cannot read it ({exc})", field=field) from None
    installed = {}
    for i, r in enumerate(rows, start=1):
        try:
            installed[r["site_id"]] = dt.date.fromisoformat(str(r["installed"]).strip()).toordinal()
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"{field} = {path!r}, row {i}: needs site_id and installed (YYYY-MM-DD)",
                              field=field) from None
    missing = [str(s) for s, v in zip(sites.site_id, sites.vendor) if s not in installed
               and v in restricted_vendors(policy)]
    if missing:
        raise ConfigError(f"{field} = {path!r}: no installed date for site(s) {', '.join(missing[:10])}",
                          field=field)
    return np.array([installed.get(s, 0) for s in sites.site_id], dtype=np.float64)


def _plugin_rank(policy: Policy, table: pd.DataFrame) -> NDArray[np.float64]:
    spec = policy.strategy.plugin
    path, func_name = spec.rsplit(":", 1)
    mod_spec = importlib.util.spec_from_file_location(f"nrsim_policy_plugin_{abs(hash(path))}", path)
    if mod_spec is None or mod_spec.loader is None:
        raise ConfigError(f"{PLUGIN_FIELD} = {spec!r}: cannot import it", field=PLUGIN_FIELD)
    module = importlib.util.module_from_spec(mod_spec)
    try:
        mod_spec.loader.exec_module(module)
        func = getattr(module, func_name)
        order = [str(x) for x in func(table.copy())]
    except Exception as exc:  # a user file: report what went wrong, typed
        raise ConfigError(f"{PLUGIN_FIELD} = {spec!r} failed: {exc!r}", field=PLUGIN_FIELD) from exc
    ids = [str(x) for x in table["site_id"]]
    pos = {s: i for i, s in enumerate(order)}
    if len(pos) != len(order) or not set(order) <= set(ids):
        raise ConfigError(f"{PLUGIN_FIELD} = {spec!r}: must return site ids of the site list, each once",
                          field=PLUGIN_FIELD)
    restricted = table.loc[table["vendor"].isin(restricted_vendors(policy)), "site_id"].astype(str)
    absent = [s for s in restricted if s not in pos]
    if absent:
        raise ConfigError(f"{PLUGIN_FIELD} = {spec!r}: the order misses restricted site(s) "
                          f"{', '.join(absent[:10])}", field=PLUGIN_FIELD)
    return np.array([pos.get(s, len(order) + i) for i, s in enumerate(ids)], dtype=np.float64)


def site_frame(sites: PlanSites, served_ues: NDArray[np.float64] | None) -> pd.DataFrame:
    return pd.DataFrame({
        "site_id": sites.site_id.astype(str), "x_m": sites.xy_m[:, 0], "y_m": sites.xy_m[:, 1],
        "vendor": sites.vendor.astype(str), "operator": sites.operator.astype(str),
        "served_ues": served_ues if served_ues is not None else np.zeros(sites.n),
    })


def strategy_rank(policy: Policy, sites: PlanSites, *, served_ues: NDArray[np.float64] | None = None,
                  zone_centres_m: NDArray[np.float64] | None = None) -> NDArray[np.int64]:
    """rank [site] (0 first) of ``policy.strategy``. ``served_ues`` [site]: users served at
    the start (``traffic``); ``zone_centres_m`` [zone, 2] (``sensitivity``)."""
    s = policy.strategy
    if s.order == "traffic":
        if served_ues is None:
            raise ConfigError("strategy.order = 'traffic' needs the users served per site", field="policy.strategy")
        keys = np.asarray(served_ues, dtype=np.float64)
    elif s.order == "cluster":
        keys = cluster_keys(policy, sites)
    elif s.order == "sensitivity":
        first = np.full(sites.n, np.inf)
        for j, z in enumerate(policy.exclusion_zones):
            first = np.where(sites.in_zone[:, j], np.minimum(first, z.since.toordinal()), first)
        dist = np.full(sites.n, np.inf)
        if zone_centres_m is not None and len(zone_centres_m):
            dist = np.min(np.hypot(sites.xy_m[:, None, 0] - zone_centres_m[None, :, 0],
                                   sites.xy_m[:, None, 1] - zone_centres_m[None, :, 1]), axis=1)
        in_any = np.isfinite(first)
        keys = np.where(in_any, first - 1e9, dist)  # zone sites (by date) before all others (by distance)
    elif s.order == "age":
        keys = _age_keys(policy, sites)
    else:
        keys = _plugin_rank(policy, site_frame(sites, served_ues))
    return _positions(keys, s.reverse)
