"""Pass/fail logic of the calibration against constructed reference numbers."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.calibration import (
    COMPARED_PERCENTILES,
    COUPLING_LOSS_TOLERANCE_DB,
    GEOMETRY_TOLERANCE_DB,
    MetricReference,
    check_percentile,
    compare_percentiles,
    overall_pass,
    simulated_percentiles,
)

PCT = np.asarray([5.0, 10.0, 50.0, 90.0, 95.0])


def _band_ref() -> MetricReference:
    return MetricReference(
        scenario="uma", fc_ghz=6.0, metric="sir_db", source="company-spread", description="t",
        cdf_percent=PCT,
        value_db=np.asarray([-1.0, 0.0, 8.0, 23.0, 25.0]),
        band_min_db=np.asarray([-1.5, -0.2, 7.5, 22.5, 24.5]),
        band_max_db=np.asarray([-0.5, 0.3, 9.0, 24.0, 26.0]),
        n_companies=20,
    )


def _avg_ref(metric: str) -> MetricReference:
    return MetricReference(
        scenario="inh", fc_ghz=6.0, metric=metric, source="industry-average", description="t",
        cdf_percent=PCT, value_db=np.asarray([-70.0, -69.0, -59.0, -47.0, -45.0]),
    )


def test_tolerances_are_the_issue_values() -> None:
    assert COUPLING_LOSS_TOLERANCE_DB == 2.0
    assert GEOMETRY_TOLERANCE_DB == 0.8
    assert COMPARED_PERCENTILES == (5, 10, 50, 90, 95)


@pytest.mark.parametrize(
    ("value", "passed"),
    [(-1.5, True), (-0.5, True), (-1.0, True), (-1.51, False), (-0.49, False), (float("nan"), False)],
)
def test_band_decides_where_known(value: float, passed: bool) -> None:
    c = check_percentile(5, value, _band_ref(), "sir_db")
    assert c.passed is passed
    assert (c.band_min_db, c.band_max_db, c.tolerance_db) == (-1.5, -0.5, None)
    assert c.reference_db == -1.0


def test_band_is_not_a_symmetric_tolerance() -> None:
    # 0.6 dB above the mean is outside a band whose upper edge is only 0.3 above the mean
    assert check_percentile(10, 0.6, _band_ref(), "sir_db").passed is False
    # 1.9 dB below the mean is outside a band whose lower edge is 0.5 dB below it
    assert check_percentile(50, 6.1, _band_ref(), "sir_db").passed is False
    assert check_percentile(50, 8.9, _band_ref(), "sir_db").passed is True


@pytest.mark.parametrize(
    ("metric", "offset", "passed"),
    [
        ("coupling_loss_db", 1.99, True),
        ("coupling_loss_db", -2.0, True),
        ("coupling_loss_db", 2.01, False),
        ("coupling_loss_db", -2.5, False),
        ("sir_db", 0.79, True),
        ("sir_db", -0.8, True),
        ("sir_db", 0.81, False),
        ("sinr_db", -0.9, False),
    ],
)
def test_average_tolerance(metric: str, offset: float, passed: bool) -> None:
    ref = _avg_ref(metric)
    c = check_percentile(50, -59.0 + offset, ref, metric)
    assert c.passed is passed
    assert c.difference_db == pytest.approx(offset)
    assert c.tolerance_db == {"coupling_loss_db": 2.0}.get(metric, 0.8)
    assert c.band_min_db is None and c.band_max_db is None


def test_no_reference_gives_no_verdict() -> None:
    checks = compare_percentiles({5.0: -3.0, 95.0: 17.0}, None, "sinr_db")
    assert [c.percent for c in checks] == [5.0, 95.0]
    assert all(c.passed is None and c.reference_db is None and c.difference_db is None for c in checks)
    assert overall_pass(checks) is None


def test_overall_pass() -> None:
    ref = _band_ref()
    good = compare_percentiles(dict(zip(PCT, [-1.0, 0.0, 8.0, 23.0, 25.0])), ref, "sir_db")
    assert overall_pass(good) is True
    bad = compare_percentiles(dict(zip(PCT, [-1.0, 0.0, 8.0, 23.0, 27.0])), ref, "sir_db")
    assert overall_pass(bad) is False
    assert [c.passed for c in bad] == [True, True, True, True, False]


def test_simulated_percentiles_by_hand() -> None:
    # 0..100 in steps of 1: the p-th percentile (linear interpolation) is p itself
    values = np.arange(101.0)
    got = simulated_percentiles(values)
    assert got == {5.0: 5.0, 10.0: 10.0, 50.0: 50.0, 90.0: 90.0, 95.0: 95.0}
    # non-finite values are dropped; an empty sample gives NaN
    got = simulated_percentiles(np.asarray([1.0, np.inf, 3.0, np.nan]), [50])
    assert got == {50.0: 2.0}
    assert np.isnan(simulated_percentiles(np.asarray([]), [5])[5.0])
