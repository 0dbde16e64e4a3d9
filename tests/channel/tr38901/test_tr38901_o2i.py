"""O2I building and car penetration loss of TR 38.901 V17.0.0, 7.4.3."""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import pytest
from scipy import stats

from nrsim.channel.tr38901 import o2i
from nrsim.errors import ConfigError

HAND_TOL_DB = 0.01
"""Tolerance for losses worked out by hand to two decimals [dB]."""

KS_P_MIN = 1e-4
"""Smallest accepted p-value of a seeded Kolmogorov-Smirnov test."""

N_DRAWS = 100_000


@pytest.mark.parametrize(
    ("fc_ghz", "high_loss", "expected_db"),
    [
        # Low loss, 6 GHz: L_glass = 3.2, L_concrete = 29:
        # 5 - 10 log10(0.3 * 0.47863 + 0.7 * 0.0012589) = 5 + 8.402 = 13.40 dB.
        (6.0, False, 13.40),
        # High loss, 6 GHz: L_IRRglass = 24.8, L_concrete = 29:
        # 5 - 10 log10(0.7 * 0.0033113 + 0.3 * 0.0012589) = 5 + 25.693 = 30.69 dB.
        (6.0, True, 30.69),
        # Low loss, 30 GHz: L_glass = 8, L_concrete = 125: 5 - 10 log10(0.3 * 0.15849) = 18.23 dB.
        (30.0, False, 18.23),
        # High loss, 30 GHz: L_IRRglass = 32: 5 - 10 log10(0.7 * 10^-3.2) = 38.55 dB.
        (30.0, True, 38.55),
    ],
)
def test_through_wall_hand_values(
    fc_ghz: float, high_loss: bool, expected_db: float, ref: ModuleType
) -> None:
    out = o2i.o2i_through_wall_loss_db(fc_ghz, high_loss)
    assert out == pytest.approx(expected_db, abs=HAND_TOL_DB)
    assert out == pytest.approx(ref.o2i_tw(fc_ghz, high_loss), abs=1e-9)


def test_material_losses_table_7_4_3_1() -> None:
    f = 10.0
    assert o2i.material_loss_db("standard_glass", f) == pytest.approx(2.0 + 0.2 * f)
    assert o2i.material_loss_db("irr_glass", f) == pytest.approx(23.0 + 0.3 * f)
    assert o2i.material_loss_db("concrete", f) == pytest.approx(5.0 + 4.0 * f)
    assert o2i.material_loss_db("wood", f) == pytest.approx(4.85 + 0.12 * f)
    with pytest.raises(ConfigError):
        o2i.material_loss_db("brick", f)


def test_through_wall_broadcast(ref: ModuleType) -> None:
    fc = np.array([0.7, 3.5, 28.0])  # [cell]
    high = np.array([[False], [True]])  # [ue, 1]
    out = o2i.o2i_through_wall_loss_db(fc, high)
    assert out.shape == (2, 3)
    for u in range(2):
        for c in range(3):
            assert out[u, c] == pytest.approx(ref.o2i_tw(fc[c], bool(high[u, 0])), abs=1e-9)


def test_indoor_loss_and_sigma() -> None:
    np.testing.assert_allclose(o2i.o2i_indoor_loss_db([0.0, 10.0, 25.0]), [0.0, 5.0, 12.5])
    np.testing.assert_array_equal(o2i.o2i_shadow_std_db([False, True]), [4.4, 6.5])


@pytest.mark.parametrize(("scenario", "d_max"), [("uma", 25.0), ("umi", 25.0), ("rma", 10.0)])
def test_indoor_distance_distribution(scenario: str, d_max: float) -> None:
    d = o2i.sample_indoor_distance_m((N_DRAWS,), scenario, rng=np.random.default_rng(42))
    assert d.shape == (N_DRAWS,) and d.min() >= 0.0 and d.max() <= d_max
    # min of two independent U(0, a): CDF 1 - (1 - x/a)^2.
    result = stats.kstest(d, lambda x: 1.0 - (1.0 - np.clip(x, 0.0, d_max) / d_max) ** 2)
    assert result.pvalue > KS_P_MIN


def test_indoor_distance_shapes_and_errors() -> None:
    rng = np.random.default_rng(0)
    assert o2i.sample_indoor_distance_m(5, "uma", rng=rng).shape == (5,)
    assert o2i.sample_indoor_distance_m((0,), "uma", rng=rng).shape == (0,)
    with pytest.raises(ConfigError) as err:
        o2i.sample_indoor_distance_m(5, "inh", rng=rng)
    assert err.value.field == "scenario"


def test_o2i_loss_distribution(ref: ModuleType) -> None:
    rng = np.random.default_rng(2022)
    for high, sigma in ((False, 4.4), (True, 6.5)):
        high_loss = np.full(N_DRAWS, high)
        loss = o2i.sample_o2i_loss_db(3.5, high_loss, 10.0, rng=rng)
        mean = ref.o2i_tw(3.5, high) + 0.5 * 10.0
        result = stats.kstest(loss, stats.norm(loc=mean, scale=sigma).cdf)
        assert result.pvalue > KS_P_MIN


def test_o2i_loss_is_ut_specific() -> None:
    """One draw per element of high_loss, shared by all links ([ue, 1] against [cell])."""
    fc = np.array([[0.7, 3.5, 28.0]])  # [1, cell]
    high = np.array([[False], [True], [True], [False]])  # [ue, 1]
    d_in = np.array([[1.0], [5.0], [20.0], [0.0]])  # [ue, 1]
    out = o2i.sample_o2i_loss_db(fc, high, d_in, rng=np.random.default_rng(8))
    assert out.shape == (4, 3)
    deterministic = o2i.o2i_through_wall_loss_db(fc, high) + 0.5 * d_in
    noise = out - deterministic  # [ue, cell]
    np.testing.assert_allclose(noise, np.broadcast_to(noise[:, :1], noise.shape), atol=1e-12)
    a = o2i.sample_o2i_loss_db(fc, high, d_in, rng=np.random.default_rng(8))
    np.testing.assert_array_equal(a, out)


@pytest.mark.parametrize(("metallized", "mean_db"), [(False, 9.0), (True, 20.0)])
def test_car_penetration_distribution(metallized: bool, mean_db: float) -> None:
    loss = o2i.sample_car_penetration_loss_db(
        N_DRAWS, rng=np.random.default_rng(7), metallized=metallized
    )
    assert loss.shape == (N_DRAWS,)
    assert stats.kstest(loss, stats.norm(loc=mean_db, scale=5.0).cdf).pvalue > KS_P_MIN
    assert o2i.sample_car_penetration_loss_db((2, 0), rng=np.random.default_rng(1)).shape == (2, 0)


def test_constants_match_spec() -> None:
    assert (o2i.CAR_PENETRATION_MEAN_DB, o2i.CAR_PENETRATION_STD_DB) == (9.0, 5.0)
    assert o2i.CAR_PENETRATION_MEAN_METALLIZED_DB == 20.0
    assert dict(o2i.INDOOR_DISTANCE_MAX_M) == {"uma": 25.0, "umi": 25.0, "rma": 10.0}
    assert math.isclose(float(o2i.o2i_indoor_loss_db(2.0)), 1.0)
