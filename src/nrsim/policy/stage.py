"""The site labels of a stage and its site list (vendor labels and replacement equipment)."""

from __future__ import annotations

import dataclasses

import numpy as np

from nrsim.deployment.sites import SiteList
from nrsim.policy.schema import Policy


@dataclasses.dataclass(frozen=True)
class StageState:
    """The site labels of one stage: vendor : str [site]; on_air, swapped : bool [site]."""

    stage: int
    vendor: tuple[str, ...]
    on_air: tuple[bool, ...]
    swapped: tuple[bool, ...]


def stage_site_list(sites: SiteList, policy: Policy, state: StageState) -> tuple[SiteList, np.ndarray]:
    """The site list of a stage (vendor labels and replacement equipment of swapped sites) and
    bool [cell]: cells off air (site not built yet)."""
    c = sites.cells.copy()
    site = c["site"].to_numpy()
    c["vendor"] = np.asarray(state.vendor, dtype=object)[site]
    sw = np.asarray(state.swapped, dtype=bool)[site]
    rep = policy.replacement
    if rep.tx_power_dbm is not None:
        c.loc[sw, "tx_power_dbm"] = rep.tx_power_dbm
    if rep.elec_tilt_deg is not None:
        c.loc[sw, "elec_tilt_deg"] = rep.elec_tilt_deg
    if rep.antenna_model is not None:
        c.loc[sw, "antenna_model"] = rep.antenna_model
    off = ~np.asarray(state.on_air, dtype=bool)[site]
    return dataclasses.replace(sites, cells=c), off
