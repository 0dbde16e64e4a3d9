"""Runs: loading and checking a scenario (:func:`load_config`), the run modes
(:mod:`nrsim.runs.modes`), the typed :class:`Result` and its one writer."""

from nrsim.runs.load import check_model_validity, load_config
from nrsim.runs.modes import MODES, RunMode, kind_of, mode_for
from nrsim.runs.result import KINDS, Kpis, Provenance, Result, RunResult, Tables
from nrsim.runs.writer import write_result

__all__ = ["KINDS", "MODES", "Kpis", "Provenance", "Result", "RunMode", "RunResult", "Tables",
           "check_model_validity", "kind_of", "load_config", "mode_for", "write_result"]
