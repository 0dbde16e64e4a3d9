"""LOS probability of TR 38.901 V17.0.0, Table 7.4.2-1, and the LOS draw."""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import pytest

from nrsim.channel.tr38901.los_probability import los_probability, sample_los
from nrsim.errors import ConfigError

REL_TOL = 1e-12
"""Float64 round-off between the vectorised code and the scalar oracle."""

CASES = [
    # Every branch of every scenario, including the branch boundaries.
    ("rma", [0.0, 10.0, 10.5, 500.0, 5000.0], 1.5),
    ("umi", [0.0, 18.0, 18.01, 50.0, 200.0, 2000.0], 1.5),
    ("uma", [0.0, 18.0, 18.01, 50.0, 200.0, 2000.0], 1.5),
    ("uma", [0.0, 18.0, 25.0, 100.0, 450.0, 2000.0], 13.0),  # C'(13 m) = 0
    ("uma", [0.0, 18.0, 25.0, 100.0, 450.0, 2000.0], 17.0),  # h_UT > 13 m term
    ("uma", [0.0, 18.0, 25.0, 100.0, 450.0, 2000.0], 22.5),
    ("inh", [0.0, 1.2, 1.3, 6.4, 6.5, 30.0, 120.0], 1.0),
    ("inh-mixed", [0.0, 1.2, 1.3, 6.4, 6.5, 30.0, 120.0], 1.0),
    ("inh-open", [0.0, 5.0, 5.1, 30.0, 49.0, 49.5, 120.0], 1.0),
]


@pytest.mark.parametrize(("scenario", "distances", "h_ut"), CASES)
def test_against_oracle(
    scenario: str, distances: list[float], h_ut: float, ref: ModuleType
) -> None:
    out = los_probability(scenario, np.array(distances), h_ut)
    expected = [min(1.0, ref.p_los(scenario, d, h_ut)) for d in distances]
    np.testing.assert_allclose(out, expected, rtol=REL_TOL, atol=0.0)


def test_hand_values() -> None:
    # UMi, d = 36 m: 18/36 + e^-1 (1 - 0.5) = 0.5 + 0.18394 = 0.68394.
    assert los_probability("umi", 36.0, 1.5) == pytest.approx(0.68394, abs=1e-5)
    # UMa, d = 63 m, h_UT = 1.5 m: 18/63 + e^-1 (45/63) = 0.28571 + 0.26277 = 0.54848.
    assert los_probability("uma", 63.0, 1.5) == pytest.approx(0.54848, abs=1e-5)
    # UMa, d = 100 m, h_UT = 23 m: C' = 1; base = 0.18 + e^(-100/63) 0.82
    # = 0.18 + 0.20449 * 0.82 = 0.34768; factor = 1 + 1.25 e^(-2/3) = 1.64177; product 0.57080.
    assert los_probability("uma", 100.0, 23.0) == pytest.approx(0.5708, abs=1e-4)
    # RMa, d = 1010 m: e^-1.
    assert los_probability("rma", 1010.0, 1.5) == pytest.approx(math.exp(-1.0), rel=REL_TOL)
    # InH-Mixed at 6.5 m: 0.32; InH-Open at 49 m: e^(-44/70.8) = 0.53716.
    assert los_probability("inh", 6.5, 1.0) == pytest.approx(0.32, rel=REL_TOL)
    assert los_probability("inh-open", 49.0, 1.0) == pytest.approx(0.53716, abs=1e-5)


def test_short_distances_give_one() -> None:
    for scenario, d_max in (("uma", 18.0), ("umi", 18.0), ("rma", 10.0), ("inh", 1.2),
                            ("inh-open", 5.0)):
        d = np.linspace(0.0, d_max, 50)
        np.testing.assert_array_equal(los_probability(scenario, d, 22.5), 1.0)


def test_uma_high_ut_clipped_to_one() -> None:
    # Just beyond 18 m with h_UT = 23 m the formula gives about 1.006; the result is clipped.
    raw = 1.0 * (1.0 + 1.25 * (19.0 / 100.0) ** 3 * math.exp(-19.0 / 150.0))  # base ~ 1
    assert raw > 1.0
    p = los_probability("uma", np.linspace(18.0, 5000.0, 20000), np.linspace(1.5, 23.0, 20000))
    assert np.all((p >= 0.0) & (p <= 1.0))


def test_uma_height_raises_probability() -> None:
    d = np.array([50.0, 100.0, 300.0])
    assert np.all(los_probability("uma", d, 20.0) > los_probability("uma", d, 1.5))


def test_broadcast_and_empty() -> None:
    d = np.full((4, 3), 100.0)  # [ue, cell]
    h_ut = np.array([[1.5], [14.0], [18.0], [22.5]])  # [ue, 1]
    out = los_probability("uma", d, h_ut)
    assert out.shape == (4, 3) and out.dtype == np.float64
    assert los_probability("umi", np.zeros((0, 3)), 1.5).shape == (0, 3)
    assert los_probability("inh", np.zeros(5), np.zeros((2, 1))).shape == (2, 5)


def test_unknown_scenario() -> None:
    with pytest.raises(ConfigError) as err:
        los_probability("inh-factory", 10.0, 1.5)
    assert err.value.field == "scenario"


LOS_N_DRAWS = 200_000
LOS_SHARE_TOL = 5.0 * math.sqrt(0.25 / LOS_N_DRAWS)
"""Five binomial standard errors at the worst case p = 0.5 (false-failure rate < 1e-6)."""


def test_sample_los_statistics_and_reproducibility() -> None:
    prob = np.array([0.0, 0.2, 0.7, 1.0])
    draws = sample_los(np.broadcast_to(prob, (LOS_N_DRAWS, 4)), rng=np.random.default_rng(5))
    assert draws.dtype == np.bool_ and draws.shape == (LOS_N_DRAWS, 4)
    np.testing.assert_allclose(draws.mean(axis=0), prob, atol=LOS_SHARE_TOL)
    assert not draws[:, 0].any() and draws[:, 3].all()
    a = sample_los(prob, rng=np.random.default_rng(9))
    b = sample_los(prob, rng=np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)
    assert sample_los(np.zeros((0, 2)), rng=np.random.default_rng(1)).shape == (0, 2)
