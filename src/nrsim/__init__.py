"""nrsim: a 5G NR radio-network system-level simulator and planner.

The public API is what this module re-exports."""

from nrsim._version import __version__
from nrsim.api import Result, RunResult, check_model_validity, load_config, read_result, run  # noqa: E402
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
    "Result",
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
    "read_result",
    "run",
]
