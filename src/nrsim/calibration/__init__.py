"""TR 38.901 large-scale calibration (TR 38.901 V17.0.0 7.8.1, Table 7.8-1) against the
3GPP reference curves of R1-165974.

>>> from nrsim.calibration import calibrate
>>> result = calibrate(["uma-6ghz"], out_dir="results/calibration")   # doctest: +SKIP
>>> result.passed                                                       # doctest: +SKIP

The CLI ``nrsim calibrate`` is a thin wrapper over :func:`calibrate`.
"""

from nrsim.calibration.cases import CASES, METRICS, CalibrationCase, Metric, resolve_cases
from nrsim.calibration.compare import (
    AVERAGE_TOLERANCE_DB,
    COMPARED_PERCENTILES,
    COUPLING_LOSS_TOLERANCE_DB,
    GEOMETRY_TOLERANCE_DB,
    PercentileCheck,
    check_percentile,
    compare_percentiles,
    overall_pass,
    simulated_percentiles,
)
from nrsim.calibration.reference import (
    MetricReference,
    ReferenceDataError,
    company_spread_reference,
    industry_average_reference,
    reference_for,
)
from nrsim.calibration.runner import (
    DEFAULT_UES_PER_CASE,
    CalibrationProgress,
    CalibrationResult,
    CaseResult,
    MetricResult,
    calibrate,
    calibration_record,
    case_config,
    default_drops,
    write_calibration,
)

__all__ = [
    "AVERAGE_TOLERANCE_DB",
    "CASES",
    "COMPARED_PERCENTILES",
    "COUPLING_LOSS_TOLERANCE_DB",
    "CalibrationCase",
    "CalibrationProgress",
    "CalibrationResult",
    "CaseResult",
    "DEFAULT_UES_PER_CASE",
    "GEOMETRY_TOLERANCE_DB",
    "METRICS",
    "Metric",
    "MetricReference",
    "MetricResult",
    "PercentileCheck",
    "ReferenceDataError",
    "calibrate",
    "calibration_record",
    "case_config",
    "check_percentile",
    "company_spread_reference",
    "compare_percentiles",
    "default_drops",
    "industry_average_reference",
    "overall_pass",
    "reference_for",
    "resolve_cases",
    "simulated_percentiles",
    "write_calibration",
]
