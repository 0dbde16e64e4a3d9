"""Path loss, shadow-fading parameters, h_E draw and validity of TR 38.901 V17.0.0, 7.4.1.

Expected values come from the spec (literal numbers worked by hand below) or from the scalar
oracle in ``tr38901_oracles.py``, never from the code under test.
"""

from __future__ import annotations

import inspect
import math
import warnings
from types import ModuleType

import numpy as np
import pytest
from scipy import stats

from nrsim.channel.tr38901 import pathloss as pl
from nrsim.errors import ConfigError, ModelValidityError, ModelValidityWarning

ABS_TOL_DB = 1e-9
"""Float64 round-off between the vectorised code and the scalar oracle [dB]."""

HAND_TOL_DB = 0.005
"""Tolerance for numbers worked out by hand to 2-3 decimals [dB]."""

RMA_BREAKPOINT_STEP_TOL_DB = 0.01
"""The RMa LOS formula of Table 7.4.1-1 evaluates PL1 at d = d_BP while d_3D > d_BP at
d_2D = d_BP, so the two branches differ by a few thousandths of a dB there (<= 0.007 dB over
the applicability ranges)."""


def _d3(d2: float, hbs: float, hut: float) -> float:
    return math.hypot(d2, hbs - hut)


# --------------------------------------------------------------------------------------------
# Spec numbers worked by hand
# --------------------------------------------------------------------------------------------


def test_hand_values() -> None:
    # UMa LOS PL1, d_3D = 100 m, fc = 10 GHz: 28 + 22*2 + 20*1 = 92 dB (d'_BP = 1600 m).
    d2 = math.sqrt(100.0**2 - 23.5**2)
    assert pl.pathloss_uma_los_db(d2, 100.0, 10.0, 25.0, 1.5) == pytest.approx(92.0, abs=1e-9)
    # UMi LOS PL1, d_3D = 100 m, fc = 10 GHz: 32.4 + 42 + 20 = 94.4 dB.
    d2 = math.sqrt(100.0**2 - 8.5**2)
    assert pl.pathloss_umi_los_db(d2, 100.0, 10.0, 10.0, 1.5) == pytest.approx(94.4, abs=1e-9)
    # InH, d_3D = 10 m, fc = 10 GHz: LOS 32.4 + 17.3 + 20 = 69.7; NLOS' 38.3 + 17.3 + 24.9 = 80.5.
    assert pl.pathloss_inh_los_db(10.0, 10.0) == pytest.approx(69.7, abs=1e-9)
    assert pl.pathloss_inh_nlos_db(10.0, 10.0) == pytest.approx(80.5, abs=1e-9)
    # UMa at d_3D = 1000 m, fc = 1 GHz, h_UT = 1.5 m: d'_BP = 4*24*0.5*1e9/3e8 = 160 m, so
    # LOS = PL2 = 28 + 120 - 9 log10(160^2 + 23.5^2) = 108.24 dB;
    # NLOS' = 13.54 + 39.08*3 = 130.78 dB = NLOS.
    d2 = math.sqrt(1000.0**2 - 23.5**2)
    assert pl.pathloss_uma_los_db(d2, 1000.0, 1.0, 25.0, 1.5) == pytest.approx(
        108.24, abs=HAND_TOL_DB
    )
    assert pl.pathloss_uma_nlos_db(d2, 1000.0, 1.0, 25.0, 1.5) == pytest.approx(
        130.78, abs=1e-9
    )
    # Breakpoints: UMa 3.5 GHz 25/1.5 m: 4*24*0.5*3.5e9/3e8 = 560 m; UMi 10/1.5 m: 210 m;
    # RMa 35/1.5 m: 2 pi 35*1.5*3.5e9/3e8 = 3848.45 m.
    assert pl.breakpoint_distance_m(3.5, 25.0, 1.5, 1.0) == pytest.approx(560.0, rel=1e-12)
    assert pl.breakpoint_distance_m(3.5, 10.0, 1.5, 1.0) == pytest.approx(210.0, rel=1e-12)
    assert pl.rma_breakpoint_distance_m(3.5, 35.0, 1.5) == pytest.approx(3848.45, abs=0.01)


# --------------------------------------------------------------------------------------------
# Oracle comparisons on both sides of the breakpoint
# --------------------------------------------------------------------------------------------

UMA_CASES = [
    # (d_2D, fc, h_BS, h_UT, h_E): d'_BP = 560 m at 3.5 GHz / 1.5 m; 6370 m with h_E = 12.
    (50.0, 3.5, 25.0, 1.5, 1.0),
    (300.0, 3.5, 25.0, 1.5, 1.0),
    (1000.0, 3.5, 25.0, 1.5, 1.0),
    (4000.0, 28.0, 25.0, 1.5, 1.0),
    (1000.0, 3.5, 25.0, 22.5, 12.0),
    (200.0, 0.7, 25.0, 7.5, 1.0),
    (2000.0, 0.7, 25.0, 7.5, 1.0),
]


@pytest.mark.parametrize(("d2", "fc", "hbs", "hut", "he"), UMA_CASES)
def test_uma_against_oracle(
    d2: float, fc: float, hbs: float, hut: float, he: float, ref: ModuleType
) -> None:
    d3 = _d3(d2, hbs, hut)
    assert pl.pathloss_uma_los_db(d2, d3, fc, hbs, hut, he) == pytest.approx(
        ref.uma_los(d2, d3, fc, hbs, hut, he), abs=ABS_TOL_DB
    )
    assert pl.pathloss_uma_nlos_db(d2, d3, fc, hbs, hut, he) == pytest.approx(
        ref.uma_nlos(d2, d3, fc, hbs, hut, he), abs=ABS_TOL_DB
    )


UMI_CASES = [
    # d'_BP = 210 m at 3.5 GHz, 10 m / 1.5 m.
    (50.0, 3.5, 10.0, 1.5),
    (150.0, 3.5, 10.0, 1.5),
    (500.0, 3.5, 10.0, 1.5),
    (2000.0, 28.0, 10.0, 1.5),
    (300.0, 6.0, 10.0, 4.5),
    (60.0, 60.0, 10.0, 1.5),
]


@pytest.mark.parametrize(("d2", "fc", "hbs", "hut"), UMI_CASES)
def test_umi_against_oracle(
    d2: float, fc: float, hbs: float, hut: float, ref: ModuleType
) -> None:
    d3 = _d3(d2, hbs, hut)
    assert pl.pathloss_umi_los_db(d2, d3, fc, hbs, hut) == pytest.approx(
        ref.umi_los(d2, d3, fc, hbs, hut), abs=ABS_TOL_DB
    )
    assert pl.pathloss_umi_nlos_db(d2, d3, fc, hbs, hut) == pytest.approx(
        ref.umi_nlos(d2, d3, fc, hbs, hut), abs=ABS_TOL_DB
    )


RMA_CASES = [
    # d_BP = 3848 m at 3.5 GHz 35/1.5 m; 770 m at 0.7 GHz.
    (100.0, 3.5, 35.0, 1.5, 5.0, 20.0),
    (1000.0, 3.5, 35.0, 1.5, 5.0, 20.0),
    (6000.0, 3.5, 35.0, 1.5, 5.0, 20.0),
    (300.0, 0.7, 35.0, 1.5, 5.0, 20.0),
    (2000.0, 0.7, 35.0, 1.5, 5.0, 20.0),
    (9000.0, 0.7, 35.0, 1.5, 5.0, 20.0),
    (1500.0, 2.0, 60.0, 3.0, 20.0, 40.0),
]


@pytest.mark.parametrize(("d2", "fc", "hbs", "hut", "h", "w"), RMA_CASES)
def test_rma_against_oracle(
    d2: float, fc: float, hbs: float, hut: float, h: float, w: float, ref: ModuleType
) -> None:
    d3 = _d3(d2, hbs, hut)
    assert pl.pathloss_rma_los_db(d2, d3, fc, hbs, hut, h, w) == pytest.approx(
        ref.rma_los(d2, d3, fc, hbs, hut, h, w), abs=ABS_TOL_DB
    )
    assert pl.pathloss_rma_nlos_db(d2, d3, fc, hbs, hut, h, w) == pytest.approx(
        ref.rma_nlos(d2, d3, fc, hbs, hut, h, w), abs=ABS_TOL_DB
    )


@pytest.mark.parametrize(
    ("d3", "fc"), [(1.0, 3.5), (5.0, 3.5), (50.0, 3.5), (30.0, 28.0), (150.0, 70.0)]
)
def test_inh_against_oracle(d3: float, fc: float, ref: ModuleType) -> None:
    assert pl.pathloss_inh_los_db(d3, fc) == pytest.approx(ref.inh_los(d3, fc), abs=ABS_TOL_DB)
    assert pl.pathloss_inh_nlos_db(d3, fc) == pytest.approx(ref.inh_nlos(d3, fc), abs=ABS_TOL_DB)


def test_breakpoint_continuity() -> None:
    """UMa/UMi LOS branches meet exactly at d_2D = d'_BP; RMa up to a tiny step."""
    fc, hut = 3.5, 1.5
    for fn, hbs, dbp in (
        (pl.pathloss_uma_los_db, 25.0, 560.0),
        (pl.pathloss_umi_los_db, 10.0, 210.0),
    ):
        d2 = np.array([dbp * (1 - 1e-12), dbp * (1 + 1e-12)])
        out = fn(d2, np.hypot(d2, hbs - hut), fc, hbs, hut)
        assert out[1] == pytest.approx(out[0], abs=1e-6)
    dbp = 2 * math.pi * 35.0 * 1.5 * 3.5e9 / 3e8
    d2 = np.array([dbp * (1 - 1e-12), dbp * (1 + 1e-12)])
    out = pl.pathloss_rma_los_db(d2, np.hypot(d2, 33.5), 3.5, 35.0, 1.5)
    assert abs(out[1] - out[0]) < RMA_BREAKPOINT_STEP_TOL_DB


def test_nlos_never_below_los_on_a_grid() -> None:
    d2 = np.geomspace(10.0, 5000.0, 400)[:, None]  # [ue, 1]
    fc = np.array([0.7, 3.5, 28.0])  # [cell]
    cases = (("uma", 25.0, 1.5), ("umi", 10.0, 1.5), ("rma", 35.0, 1.5), ("inh", 3.0, 1.0))
    for scenario, hbs, hut in cases:
        d3 = np.hypot(d2, hbs - hut)
        los = pl.pathloss_db(scenario, True, d2, d3, fc, hbs, hut)
        nlos = pl.pathloss_db(scenario, False, d2, d3, fc, hbs, hut)
        assert los.shape == nlos.shape == (400, 3)
        assert np.all(nlos >= los)


# --------------------------------------------------------------------------------------------
# Dispatcher, broadcasting, dense/sparse forms, clipping
# --------------------------------------------------------------------------------------------


def test_dispatcher_selects_los_or_nlos_per_link(ref: ModuleType) -> None:
    d2 = np.array([[30.0, 400.0], [900.0, 2500.0], [15.0, 60.0]])  # [ue, cell]
    hbs = np.array([25.0, 25.0])  # [cell]
    hut = np.array([[1.5], [13.5], [22.5]])  # [ue, 1]
    he = np.array([[1.0, 1.0], [12.0, 1.0], [1.0, 18.0]])  # [ue, cell]
    los = np.array([[True, False], [False, True], [True, True]])
    d3 = np.hypot(d2, hbs - hut)
    out = pl.pathloss_db("uma", los, d2, d3, 3.5, hbs, hut, he)
    for u in range(3):
        for c in range(2):
            fn = ref.uma_los if los[u, c] else ref.uma_nlos
            expected = fn(d2[u, c], d3[u, c], 3.5, hbs[c], hut[u, 0], he[u, c])
            assert out[u, c] == pytest.approx(expected, abs=ABS_TOL_DB)


def test_dispatcher_h_e_none_means_one_metre(ref: ModuleType) -> None:
    args = ("uma", False, 800.0, 800.5, 3.5, 25.0, 1.5)
    assert pl.pathloss_db(*args) == pl.pathloss_db(*args, 1.0)
    assert pl.pathloss_db(*args) == pytest.approx(ref.uma_nlos(800.0, 800.5, 3.5, 25.0, 1.5))


def test_dispatcher_other_scenarios_and_aliases(ref: ModuleType) -> None:
    d2 = np.array([50.0, 700.0])
    los = np.array([True, False])
    d3 = np.hypot(d2, 8.5)
    out = pl.pathloss_db("umi", los, d2, d3, 3.5, 10.0, 1.5, h_e_m=5.0)  # h_E ignored for UMi
    assert out[0] == pytest.approx(ref.umi_los(50.0, d3[0], 3.5, 10.0, 1.5))
    assert out[1] == pytest.approx(ref.umi_nlos(700.0, d3[1], 3.5, 10.0, 1.5))
    d3 = np.hypot(d2, 33.5)
    out = pl.pathloss_db("rma", los, d2, d3, 0.7, 35.0, 1.5, h_building_m=10.0, w_street_m=30.0)
    assert out[1] == pytest.approx(ref.rma_nlos(700.0, d3[1], 0.7, 35.0, 1.5, 10.0, 30.0))
    inh = pl.pathloss_db("inh", los, d2, d2, 3.5, 3.0, 1.0)
    for alias in ("inh-mixed", "inh-open"):
        np.testing.assert_array_equal(pl.pathloss_db(alias, los, d2, d2, 3.5, 3.0, 1.0), inh)
    with pytest.raises(ConfigError) as err:
        pl.pathloss_db("suburban", los, d2, d3, 3.5, 25.0, 1.5)
    assert err.value.field == "scenario"


def test_dense_and_sparse_forms_agree() -> None:
    rng = np.random.default_rng(7)
    n_ue, n_cell, k = 20, 6, 3
    d2 = rng.uniform(10.0, 3000.0, (n_ue, n_cell))
    hbs = np.full(n_cell, 25.0)
    hut = rng.uniform(1.5, 22.5, (n_ue, 1))
    los = rng.random((n_ue, n_cell)) < 0.5
    d3 = np.hypot(d2, hbs - hut)
    dense = pl.pathloss_db("uma", los, d2, d3, 3.5, hbs, hut)  # [ue, cell]
    cell_idx = np.argsort(d2, axis=1)[:, :k]  # [ue, k]
    take = np.take_along_axis
    sparse = pl.pathloss_db(
        "uma", take(los, cell_idx, 1), take(d2, cell_idx, 1), take(d3, cell_idx, 1),
        3.5, hbs[cell_idx], hut,
    )  # [ue, k]
    np.testing.assert_array_equal(sparse, take(dense, cell_idx, 1))


def test_empty_and_scalar_shapes() -> None:
    empty = np.zeros((0, 4))
    for scenario in ("uma", "umi", "rma", "inh"):
        out = pl.pathloss_db(scenario, empty.astype(bool), empty, empty, 3.5, 25.0, 1.5)
        assert out.shape == (0, 4) and out.dtype == np.float64
    assert np.shape(pl.pathloss_db("uma", True, 100.0, 110.0, 3.5, 25.0, 1.5)) == ()
    # InH broadcasts against every array argument even though it uses only d_3D.
    assert pl.pathloss_db("inh", True, np.zeros((5, 2)), 3.0, 3.5, 3.0, 1.0).shape == (5, 2)


@pytest.mark.parametrize("scenario", ["uma", "umi", "rma", "inh"])
def test_nlos_function_is_the_los_signature_with_the_nlos_law(scenario: str) -> None:
    los_fn = getattr(pl, f"pathloss_{scenario}_los_db")
    nlos_fn = getattr(pl, f"pathloss_{scenario}_nlos_db")
    assert nlos_fn.__name__ == f"pathloss_{scenario}_nlos_db" and "NLOS" in nlos_fn.__doc__
    assert inspect.signature(nlos_fn) == inspect.signature(los_fn)
    args = {"d_2d_m": np.array([50.0, 400.0]), "d_3d_m": np.array([60.0, 410.0]), "fc_ghz": 3.5,
            "h_bs_m": 25.0 if scenario != "rma" else 35.0, "h_ut_m": 1.5}
    if scenario == "inh":
        args = {"d_3d_m": args["d_3d_m"], "fc_ghz": 3.5}
    nlos = nlos_fn(**args)  # keywords, and the same values positionally
    np.testing.assert_array_equal(nlos, nlos_fn(*args.values()))
    d_2d = args.get("d_2d_m", 0.0)
    h_bs, h_ut = args.get("h_bs_m", 3.0), args.get("h_ut_m", 1.0)
    np.testing.assert_array_equal(
        nlos, pl.pathloss_db(scenario, False, d_2d, args["d_3d_m"], 3.5, h_bs, h_ut)
    )
    with pytest.raises(TypeError):
        nlos_fn(**args, h_ue_m=1.5)  # misspelt keyword
    with pytest.raises(TypeError):
        nlos_fn(1.0)  # missing arguments


def test_d_3d_clipped_to_one_metre(ref: ModuleType) -> None:
    assert pl.MIN_D_3D_M == 1.0
    assert pl.pathloss_inh_los_db(0.0, 3.5) == pytest.approx(ref.inh_los(1.0, 3.5))
    assert pl.pathloss_inh_nlos_db(0.2, 3.5) == pytest.approx(ref.inh_nlos(1.0, 3.5))
    out = pl.pathloss_db("umi", False, 0.0, 0.0, 3.5, 10.0, 1.5)
    assert np.isfinite(out)


# --------------------------------------------------------------------------------------------
# Shadow fading parameters (Table 7.4.1-1, Table 7.5-6)
# --------------------------------------------------------------------------------------------

SIGMA_SF_SPEC_DB = {
    ("uma", True): 4.0, ("uma", False): 6.0,
    ("umi", True): 4.0, ("umi", False): 7.82,
    ("rma", True): 4.0, ("rma", False): 8.0,
    ("inh", True): 3.0, ("inh", False): 8.03,
}
SF_DECORRELATION_SPEC_M = {
    ("uma", True): 37.0, ("uma", False): 50.0,
    ("umi", True): 10.0, ("umi", False): 13.0,
    ("rma", True): 37.0, ("rma", False): 120.0,
    ("inh", True): 10.0, ("inh", False): 6.0,
}


@pytest.mark.parametrize(("scenario", "los"), list(SIGMA_SF_SPEC_DB))
def test_shadow_fading_tables(scenario: str, los: bool) -> None:
    assert pl.shadow_fading_std_db(scenario, los) == SIGMA_SF_SPEC_DB[scenario, los]
    assert pl.shadow_fading_decorrelation_m(scenario, los) == SF_DECORRELATION_SPEC_M[scenario, los]


def test_shadow_fading_shapes() -> None:
    los = np.array([[True, False, True]])
    np.testing.assert_array_equal(pl.shadow_fading_std_db("umi", los), [[4.0, 7.82, 4.0]])
    np.testing.assert_array_equal(
        pl.shadow_fading_decorrelation_m("uma", los), [[37.0, 50.0, 37.0]]
    )
    assert pl.shadow_fading_std_db("inh-open", np.zeros((0, 2), bool)).shape == (0, 2)


def test_rma_los_sigma_depends_on_breakpoint() -> None:
    # d_BP = 3848 m at 3.5 GHz, 35 m / 1.5 m: 4 dB before, 6 dB after; NLOS 8 dB.
    out = pl.shadow_fading_std_db(
        "rma", [True, True, False], d_2d_m=[1000.0, 5000.0, 5000.0], fc_ghz=3.5,
        h_bs_m=35.0, h_ut_m=1.5,
    )
    np.testing.assert_array_equal(out, [4.0, 6.0, 8.0])
    with pytest.raises(ConfigError):
        pl.shadow_fading_std_db("rma", True, d_2d_m=5000.0)


# --------------------------------------------------------------------------------------------
# UMa effective environment height (Table 7.4.1-1 note 1)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d2", "hut"),
    [(100.0, 1.5), (100.0, 12.9), (10.0, 22.5), (18.0, 22.5), (19.0, 22.5), (100.0, 13.0),
     (100.0, 17.0), (100.0, 22.5), (450.0, 22.5), (3000.0, 22.5)],
)
def test_uma_effective_height_probability(d2: float, hut: float, ref: ModuleType) -> None:
    assert pl.uma_effective_height_prob_1m(d2, hut) == pytest.approx(
        ref.uma_prob_he_1m(d2, hut), rel=1e-12
    )


def test_uma_effective_height_probability_hand_value() -> None:
    # d = 100 m, h_UT = 22.5 m: g = 1.25 e^(-2/3) = 0.6417, C = 0.95^1.5 g = 0.5942, P = 0.6273
    assert pl.uma_effective_height_prob_1m(100.0, 22.5) == pytest.approx(0.6273, abs=1e-4)


HE_N_DRAWS = 200_000
HE_SHARE_TOL = 5.0 * math.sqrt(0.25 / HE_N_DRAWS)
"""Five binomial standard errors at the worst case p = 0.5 (false-failure rate < 1e-6)."""
CHI2_P_MIN = 1e-4
"""Smallest accepted p-value of a seeded goodness-of-fit test."""


def test_uma_effective_height_draw_statistics(ref: ModuleType) -> None:
    rng = np.random.default_rng(20220301)
    d2 = np.full(HE_N_DRAWS, 100.0)
    he = pl.sample_uma_effective_height_m(d2, 22.5, rng=rng)
    p1 = ref.uma_prob_he_1m(100.0, 22.5)
    assert abs(np.mean(he == 1.0) - p1) < HE_SHARE_TOL
    high = he[he != 1.0]
    levels = np.array([12.0, 15.0, 18.0, 21.0])  # {12, 15, ..., h_UT - 1.5 = 21}
    assert set(np.unique(high)) == set(levels)
    counts = np.array([(high == v).sum() for v in levels])
    assert stats.chisquare(counts).pvalue > CHI2_P_MIN


def test_uma_effective_height_edge_cases() -> None:
    rng = np.random.default_rng(3)
    # h_UT < 13 m or d_2D <= 18 m: always 1 m.
    assert np.all(pl.sample_uma_effective_height_m(np.full(1000, 300.0), 10.0, rng=rng) == 1.0)
    assert np.all(pl.sample_uma_effective_height_m(np.full(1000, 15.0), 22.5, rng=rng) == 1.0)
    # 13 m < h_UT < 13.5 m: C > 0 but h_UT - 1.5 < 12; the set is {12}.
    he = pl.sample_uma_effective_height_m(np.full(20000, 450.0), 13.4, rng=rng)
    assert set(np.unique(he)) == {1.0, 12.0}
    # h_UT = 19.5 m: set {12, 15, 18} (18 = h_UT - 1.5 included).
    he = pl.sample_uma_effective_height_m(np.full(20000, 450.0), 19.5, rng=rng)
    assert set(np.unique(he)) == {1.0, 12.0, 15.0, 18.0}
    # Broadcasting [ue, 1] heights against [ue, site] distances, and empty input.
    out = pl.sample_uma_effective_height_m(np.full((4, 3), 200.0), np.full((4, 1), 20.0), rng=rng)
    assert out.shape == (4, 3)
    assert pl.sample_uma_effective_height_m(np.zeros((0, 3)), 20.0, rng=rng).shape == (0, 3)


def test_uma_effective_height_is_reproducible() -> None:
    d2 = np.linspace(20.0, 1000.0, 500)
    a = pl.sample_uma_effective_height_m(d2, 22.5, rng=np.random.default_rng(11))
    b = pl.sample_uma_effective_height_m(d2, 22.5, rng=np.random.default_rng(11))
    np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------------------------
# Validity ranges (Table 7.4.1-1)
# --------------------------------------------------------------------------------------------


def test_validity_raise_names_field_range_and_value() -> None:
    with pytest.raises(ModelValidityError) as err:
        pl.check_validity("uma", fc_ghz=200.0)
    assert err.value.field == "fc_ghz"
    message = str(err.value)
    assert "fc_ghz = 200" in message
    assert "UMa" in message
    assert "0.5..100 GHz" in message


def test_validity_rma_frequency_limit_is_30_ghz() -> None:
    pl.check_validity("rma", fc_ghz=30.0)
    with pytest.raises(ModelValidityError, match=r"0\.5\.\.30 GHz"):
        pl.check_validity("rma", fc_ghz=35.0)
    pl.check_validity("uma", fc_ghz=35.0)  # fine for the other scenarios


def test_validity_warn_and_ignore() -> None:
    with pytest.warns(ModelValidityWarning, match="h_ut_m = 30"):
        pl.check_validity("umi", fc_ghz=3.5, h_ut_m=30.0, policy="warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pl.check_validity("umi", fc_ghz=300.0, h_ut_m=30.0, policy="ignore")
    with pytest.raises(ConfigError) as err:
        pl.check_validity("umi", fc_ghz=3.5, policy="loud")  # type: ignore[arg-type]
    assert err.value.field == "policy"


def test_validity_distances_and_heights() -> None:
    d2 = np.array([[5.0, 100.0], [2000.0, 6000.0]])
    with pytest.raises(ModelValidityError) as err:
        pl.check_validity("uma", fc_ghz=3.5, d_2d_m=d2)
    assert err.value.field == "d_2d_m"
    assert "10..5000 m" in str(err.value) and "6000" in str(err.value)
    pl.check_validity("uma", fc_ghz=3.5, d_2d_m=np.clip(d2, 10.0, 5000.0), h_ut_m=22.5)
    pl.check_validity("uma", fc_ghz=3.5, h_bs_m=35.0)  # UMa h_BS is a default, not a range
    with pytest.raises(ModelValidityError, match="h_bs_m = 200"):
        pl.check_validity("rma", fc_ghz=3.5, h_bs_m=200.0)
    with pytest.raises(ModelValidityError, match="h_ut_m"):
        pl.check_validity("rma", fc_ghz=3.5, h_ut_m=np.array([1.5, 12.0]))
    with pytest.raises(ModelValidityError, match="d_3d_m = 0.5"):
        pl.check_validity("inh", fc_ghz=3.5, d_3d_m=np.array([0.5, 10.0]))
    pl.check_validity("inh", fc_ghz=3.5, d_2d_m=0.0)  # InH has no d_2D range


def test_validity_rma_nlos_distance() -> None:
    d2 = np.array([7000.0, 7000.0])
    pl.check_validity("rma", fc_ghz=3.5, d_2d_m=d2)  # LOS range is up to 10 km
    pl.check_validity("rma", fc_ghz=3.5, d_2d_m=d2, los=[True, True])
    with pytest.raises(ModelValidityError, match=r"10\.\.5000 m"):
        pl.check_validity("rma", fc_ghz=3.5, d_2d_m=d2, los=[True, False])
