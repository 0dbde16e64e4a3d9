"""nrsim: a 5G NR radio-network system-level simulator and planner.

The public API is what this module re-exports."""

__version__ = "0.1.0"

from nrsim.api import RunResult, check_model_validity, load_config, run  # noqa: E402
from nrsim.config import ScenarioConfig, config_hash, list_presets  # noqa: E402
from nrsim.sizing import SizeEstimate, check_size, estimate_size  # noqa: E402
from nrsim.errors import (  # noqa: E402
    ArgumentTypeError,
    ConfigError,
    ExecutionError,
    ModelValidityError,
    ModelValidityWarning,
    NrsimError,
    OutputPathError,
    OutputWarning,
)

__all__ = [
    "ArgumentTypeError",
    "ConfigError",
    "ExecutionError",
    "ModelValidityError",
    "ModelValidityWarning",
    "NrsimError",
    "OutputPathError",
    "OutputWarning",
    "RunResult",
    "ScenarioConfig",
    "SizeEstimate",
    "__version__",
    "check_model_validity",
    "check_size",
    "config_hash",
    "estimate_size",
    "list_presets",
    "load_config",
    "run",
]
