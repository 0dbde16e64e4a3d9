"""Resolve and check a scenario: preset or TOML file, dotted overrides, schema validation,
model validity ranges, and the capability check of the run mode it selects.

Everything a run needs from its configuration is checked here, inside :func:`load_config`,
so a scenario that a run mode cannot run raises :class:`~nrsim.errors.ConfigError` naming the
field (``nrsim`` exit code 2) before any work and before any output folder exists."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nrsim.boundary import check_load_args
from nrsim.channel.tr38901.pathloss import check_validity
from nrsim.config.loading import apply_overrides, read_scenario_source, validate_mapping
from nrsim.config.schema import ScenarioConfig
from nrsim.deployment.guards import check_config_geometry
from nrsim.deployment.sites import config_layout, validity_checks
from nrsim.errors import ConfigError, ModelValidityError, ModelValidityWarning
from nrsim.link.numerology import n_rb
from nrsim.runs.modes import mode_for


def check_model_validity(cfg: ScenarioConfig) -> None:
    """Check the config against the validity ranges of the models it uses (TR 38.901
    frequency and heights; TS 38.101 bandwidth/SCS). Raises :class:`ConfigError` naming the
    field; under ``channel.validity = "warn"`` a range violation only warns."""
    dep, ue = cfg.deployment, cfg.deployment.ue
    heights = [ue.outdoor_height_m] if ue.indoor_fraction < 1.0 else []
    if ue.indoor_fraction > 0.0:
        if ue.indoor_floors:
            heights.append(3.0 * (ue.building_floors_max - 1) + 1.5)
            heights.append(1.5)
        else:
            heights.append(ue.indoor_height_m)
    if dep.layout == "sites":  # site list: its environments and antenna heights
        checks = validity_checks(cfg)
    elif cfg.channel.scenario == "mixed":  # national layout: its environments' own BS heights
        checks = [("umi", 10.0), ("uma", 25.0), ("rma", 35.0)]
    else:
        checks = [(cfg.channel.scenario, dep.bs_height_m)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", ModelValidityWarning)
            for scenario, h_bs in checks:
                check_validity(
                    scenario,
                    fc_ghz=cfg.channel.fc_ghz,
                    h_bs_m=h_bs,
                    h_ut_m=np.asarray(heights) if heights else None,
                    policy=cfg.channel.validity,
                )
    except ModelValidityError as exc:
        field = exc.field or "channel"
        if not field.startswith(("channel.", "deployment.")):
            field = {
                "fc_ghz": "channel.fc_ghz",
                "h_bs_m": "deployment.bs_height_m",
                "h_ut_m": "deployment.ue",
            }.get(field, f"channel.{field}")
        raise ConfigError(f"{field}: {exc}", field=field) from None
    n_rb(cfg.radio.bandwidth_mhz, cfg.radio.scs_khz, cfg.channel.fc_ghz)


def load_config(
    source: str | Path | Mapping[str, Any] = "uma-default",
    overrides: Iterable[str] = (),
    *,
    seed: int | None = None,
    drops: int | None = None,
) -> ScenarioConfig:
    """Resolve a scenario: a preset name, a TOML file path or a mapping, then dotted
    ``key=value`` overrides, then ``seed``/``drops``; validated once, then checked against
    the model validity ranges and the capabilities of its run mode
    (:meth:`nrsim.runs.modes.RunMode.check`).

    Raises :class:`~nrsim.errors.ConfigError` with the field and what is allowed (an
    argument of the wrong type: :class:`~nrsim.errors.ArgumentTypeError`, e.g. ``seed=1.7``)."""
    overrides = check_load_args(source, overrides, seed=seed, drops=drops)
    if isinstance(source, Mapping):
        data = dict(source)
    else:
        data, _ = read_scenario_source(source)
    extra = list(overrides)
    if seed is not None:
        extra.append(f"seed={int(seed)}")
    if drops is not None:
        extra.append(f"drops={int(drops)}")
    cfg = validate_mapping(apply_overrides(data, extra))
    check_model_validity(cfg)
    if cfg.deployment.layout == "sites":  # read and check the site list once, at the boundary
        config_layout(cfg)
    mode_for(cfg).check(cfg)
    check_config_geometry(cfg)  # minimum distance and path-loss distance range (docs/sites.md)
    return cfg
