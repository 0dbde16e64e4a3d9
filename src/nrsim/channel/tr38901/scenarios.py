"""The TR 38.901 scenario registry: one row per scenario, read by the configuration, the
engine and the validity checks instead of their own ``if scenario == ...`` chains.

Reference: 3GPP TR 38.901 V17.0.0 (2022-03).

A row (:class:`Scenario`) names the compiled laws the scenario uses -- its path-loss core
(Table 7.4.1-1, :func:`nrsim.channel.tr38901.pathloss.pathloss_core`) and its LOS-probability
law per variant (Table 7.4.2-1, :func:`nrsim.channel.tr38901.los_probability.los_probability_core`)
-- and carries its parameters: shadow-fading sigma (Table 7.4.1-1) and decorrelation distance
(Table 7.5-6) from ``tables/shadow_fading.csv``, the validity ranges of Table 7.4.1-1 from
``tables/pathloss_validity.csv``, and the LOS-state correlation distance of Table 7.6.3.1-2.

A scenario whose formulas already exist is added by one row here (and its rows in the two
CSV files); a scenario with a new formula adds its scalar core, a law code below and one
branch in the compiled dispatcher of the module that owns the formula.

This module depends only on :mod:`._common`, so every formula module may import it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from nrsim.channel.tr38901._common import read_table
from nrsim.errors import ConfigError

__all__ = [
    "Scenario",
    "ValidityRange",
    "SCENARIOS",
    "SCENARIO_KEYS",
    "LOS_LAWS",
    "scenario",
    "los_law",
]

# Path-loss laws of Table 7.4.1-1 (codes of the compiled dispatcher in pathloss.py).
PL_UMA, PL_UMI, PL_RMA, PL_INH = 0, 1, 2, 3
# LOS-probability laws of Table 7.4.2-1 (codes of the compiled dispatcher in los_probability.py).
LOS_UMA, LOS_UMI, LOS_RMA, LOS_INH_MIXED, LOS_INH_OPEN = 0, 1, 2, 3, 4

LOS_LAWS: Mapping[str, int] = MappingProxyType(
    {"uma": LOS_UMA, "umi": LOS_UMI, "rma": LOS_RMA, "inh-mixed": LOS_INH_MIXED, "inh-open": LOS_INH_OPEN}
)
"""LOS-probability law code by name (Table 7.4.2-1 rows); ``inh`` is InH-Mixed office."""


@dataclass(frozen=True)
class ValidityRange:
    """One applicability range of Table 7.4.1-1 (a row of ``pathloss_validity.csv``)."""

    field: str  # e.g. "d_2d_m"
    condition: str  # "any" or "nlos"
    min_value: float
    max_value: float
    unit: str
    source: str


@dataclass(frozen=True)
class Scenario:
    """One TR 38.901 V17.0.0 scenario."""

    key: str
    """Configuration key (``channel.scenario``), e.g. ``"uma"``."""
    label: str
    """Name in the TR, e.g. ``"UMi-Street Canyon"``."""
    pathloss_law: int
    """Code of its Table 7.4.1-1 path-loss core (``PL_*``)."""
    los_laws: Mapping[str, int]
    """Its Table 7.4.2-1 LOS-probability law per variant (``channel.inh_variant`` for InH);
    outdoor scenarios have the one variant ``"default"``."""
    indoor: bool
    """UEs and BSs share one indoor hall (no O2I penetration; the InH-office layout)."""
    default_bs_height_m: float
    """BS antenna height the TR assumes for it (Table 7.4.1-1 default)."""
    los_state_correlation_m: float
    """Correlation distance of the spatially consistent LOS state (Table 7.6.3.1-2)."""
    sigma_sf_los_db: float
    """Shadow-fading std of LOS links [dB] (Table 7.4.1-1; RMa: before the breakpoint)."""
    sigma_sf_los_after_bp_db: float
    """Shadow-fading std of LOS links beyond the RMa breakpoint d_BP (note 5) [dB]; equal to
    :attr:`sigma_sf_los_db` where the TR has no breakpoint dependence."""
    sigma_sf_nlos_db: float
    """Shadow-fading std of NLOS links [dB] (Table 7.4.1-1)."""
    sf_decorrelation_los_m: float
    """Shadow-fading correlation distance of LOS links [m] (Table 7.5-6)."""
    sf_decorrelation_nlos_m: float
    """Shadow-fading correlation distance of NLOS links [m] (Table 7.5-6)."""
    validity: tuple[ValidityRange, ...]
    """Applicability ranges of Table 7.4.1-1 (from ``pathloss_validity.csv``)."""

    def los_law(self, variant: str = "default") -> int:
        """LOS-probability law code of ``variant`` (the first law for ``"default"``)."""
        if variant == "default" or variant not in self.los_laws:
            return next(iter(self.los_laws.values()))
        return self.los_laws[variant]

    def max_value(self, field: str) -> float:
        """Smallest upper bound over the validity ranges of ``field`` (inf when none)."""
        hi = [r.max_value for r in self.validity if r.field == field]
        return min(hi) if hi else float("inf")


# The structural part of each row: (key, label, path-loss law, LOS laws, indoor, default
# h_BS [m] of Table 7.4.1-1, LOS-state correlation [m] of Table 7.6.3.1-2).
_ROWS: tuple[tuple[str, str, int, Mapping[str, int], bool, float, float], ...] = (
    ("uma", "UMa", PL_UMA, {"default": LOS_UMA}, False, 25.0, 50.0),
    ("umi", "UMi-Street Canyon", PL_UMI, {"default": LOS_UMI}, False, 10.0, 50.0),
    ("rma", "RMa", PL_RMA, {"default": LOS_RMA}, False, 35.0, 60.0),
    ("inh", "InH-Office", PL_INH, {"mixed": LOS_INH_MIXED, "open": LOS_INH_OPEN}, True, 3.0, 10.0),
)


def _sf(key: str, condition: str) -> Mapping[str, str]:
    for row in read_table("shadow_fading.csv"):
        if row["scenario"] == key and row["condition"] == condition:
            return row
    raise LookupError(f"shadow_fading.csv has no row for {key}/{condition}")  # table bug


def _build() -> Mapping[str, Scenario]:
    out: dict[str, Scenario] = {}
    for key, label, pl_law, los_laws, indoor, h_bs, d_los in _ROWS:
        los_row, nlos_row = _sf(key, "los"), _sf(key, "nlos")
        validity = tuple(
            ValidityRange(r["field"], r["condition"], float(r["min_value"]), float(r["max_value"]),
                          r["unit"], r["source"])
            for r in read_table("pathloss_validity.csv") if r["scenario"] == key
        )
        out[key] = Scenario(
            key=key, label=label, pathloss_law=pl_law, los_laws=MappingProxyType(dict(los_laws)),
            indoor=indoor, default_bs_height_m=h_bs, los_state_correlation_m=d_los,
            sigma_sf_los_db=float(los_row["sigma_sf_db"]),
            sigma_sf_los_after_bp_db=float(los_row["sigma_sf_after_bp_db"]),
            sigma_sf_nlos_db=float(nlos_row["sigma_sf_db"]),
            sf_decorrelation_los_m=float(los_row["sf_decorrelation_m"]),
            sf_decorrelation_nlos_m=float(nlos_row["sf_decorrelation_m"]),
            validity=validity,
        )
    return MappingProxyType(out)


SCENARIOS: Mapping[str, Scenario] = _build()
"""The registry: scenario key -> :class:`Scenario`."""

SCENARIO_KEYS: tuple[str, ...] = tuple(SCENARIOS)
"""Registered scenario keys in registry order."""

_ALIASES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {f"{s.key}-{v}": (s.key, v) for s in SCENARIOS.values() for v in s.los_laws if v != "default"}
)
"""``"inh-mixed"`` -> ("inh", "mixed"): a scenario with its LOS variant in one name."""


@functools.lru_cache(maxsize=None)
def _resolve(name: str) -> tuple[Scenario, str] | None:
    if name in SCENARIOS:
        return SCENARIOS[name], "default"
    if name in _ALIASES:
        key, variant = _ALIASES[name]
        return SCENARIOS[key], variant
    return None


def scenario(name: str, *, field: str = "scenario") -> Scenario:
    """The registry row of ``name`` (a key, or a key with its LOS variant such as
    ``"inh-open"``). Raises :class:`ConfigError` naming ``field`` for an unknown name."""
    hit = _resolve(name)
    if hit is None:
        allowed = ", ".join(repr(s) for s in (*SCENARIO_KEYS, *_ALIASES))
        raise ConfigError(
            f"{field} = {name!r} is not a TR 38.901 scenario; allowed: {allowed}", field=field
        )
    return hit[0]


def los_law(name: str, variant: str | None = None) -> int:
    """LOS-probability law code of scenario ``name`` (``"inh-open"`` style names carry their
    variant; ``variant`` overrides it). Raises :class:`ConfigError` for an unknown name."""
    if name in LOS_LAWS and variant is None:
        return LOS_LAWS[name]
    row = scenario(name)
    hit = _resolve(name)
    return row.los_law(variant if variant is not None else (hit[1] if hit else "default"))
