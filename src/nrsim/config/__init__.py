"""Configuration: frozen schema, presets, TOML loading and dotted overrides."""

from nrsim.config.loading import (
    apply_overrides,
    config_hash,
    list_presets,
    preset_catalogue,
    preset_text,
    read_scenario_source,
    validate_mapping,
)
from nrsim.config.schema import (
    AntennaConfig,
    ChannelConfig,
    DeploymentConfig,
    LinkConfig,
    OutputConfig,
    RadioConfig,
    ScenarioConfig,
    UeDropConfig,
)

__all__ = [
    "AntennaConfig",
    "ChannelConfig",
    "DeploymentConfig",
    "LinkConfig",
    "OutputConfig",
    "RadioConfig",
    "ScenarioConfig",
    "UeDropConfig",
    "apply_overrides",
    "config_hash",
    "list_presets",
    "preset_catalogue",
    "preset_text",
    "read_scenario_source",
    "validate_mapping",
]
