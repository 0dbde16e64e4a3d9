"""nrsim: a 5G NR radio-network system-level simulator and planner.

The public API is what this module re-exports. The names are loaded on first use (PEP 562
module ``__getattr__``) from the static table :data:`_LAZY`, so ``import nrsim`` (and the
CLI's ``--help``, ``--version`` and tab completion) does not import numba, the engines,
pandas or Dask; ``tests/test_layering.py`` reads the table as import edges
(docs/architecture.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nrsim._lazy import lazy_attributes
from nrsim._version import __version__
from nrsim.errors import (
    ArgumentTypeError,
    ConfigError,
    ExecutionError,
    ModelValidityError,
    ModelValidityWarning,
    NrsimError,
    OutputPathError,
    OutputWarning,
)

if TYPE_CHECKING:  # the same names, for type checkers and IDEs
    from nrsim.api import Result, RunResult, check_model_validity, load_config, read_result, run
    from nrsim.config import ScenarioConfig, config_hash, list_presets
    from nrsim.sizing import SizeEstimate, check_size, estimate_size

_LAZY: dict[str, str] = {
    "Result": "nrsim.api",
    "RunResult": "nrsim.api",
    "check_model_validity": "nrsim.api",
    "load_config": "nrsim.api",
    "read_result": "nrsim.api",
    "run": "nrsim.api",
    "ScenarioConfig": "nrsim.config",
    "config_hash": "nrsim.config",
    "list_presets": "nrsim.config",
    "SizeEstimate": "nrsim.sizing",
    "check_size": "nrsim.sizing",
    "estimate_size": "nrsim.sizing",
}
"""Public name -> the module that defines it, imported on first access."""


__getattr__, __dir__ = lazy_attributes("nrsim", _LAZY, globals())


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
