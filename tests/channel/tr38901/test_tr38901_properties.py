"""Property tests of the TR 38.901 V17.0.0 path loss (Table 7.4.1-1) and the spec tables."""

from __future__ import annotations

from importlib import resources

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nrsim.channel.tr38901.pathloss import pathloss_db

MONOTONE_TOL_DB = 1e-9
"""Float64 round-off allowed when comparing path loss at two distances [dB]."""

RMA_BREAKPOINT_STEP_TOL_DB = 0.01
"""RMa LOS evaluates PL1 at d = d_BP while d_3D > d_BP at d_2D = d_BP (Table 7.4.1-1 as
written), which leaves a downward step of at most ~0.007 dB there (largest for h = 50 m)."""

# Applicability ranges of Table 7.4.1-1 (fc: note 2).
SCENARIOS = {
    # scenario: (fc range GHz, h_BS range m, h_UT range m, d_2D range m)
    "uma": ((0.5, 100.0), (25.0, 25.0), (1.5, 22.5), (10.0, 5000.0)),
    "umi": ((0.5, 100.0), (10.0, 10.0), (1.5, 22.5), (10.0, 5000.0)),
    "rma": ((0.5, 30.0), (10.0, 150.0), (1.0, 10.0), (10.0, 10000.0)),
    "inh": ((0.5, 100.0), (3.0, 3.0), (1.0, 2.5), (0.0, 150.0)),
}

N_LINKS = 64


@st.composite
def links(draw: st.DrawFn, scenario: str) -> dict:
    (f_lo, f_hi), (hb_lo, hb_hi), (hu_lo, hu_hi), (d_lo, d_hi) = SCENARIOS[scenario]
    fc = draw(st.floats(f_lo, f_hi))
    h_bs = draw(st.floats(hb_lo, hb_hi))
    h_ut = draw(st.floats(hu_lo, hu_hi))
    d_2d = np.sort(  # ascending distances [link]
        np.array(draw(st.lists(st.floats(d_lo, d_hi), min_size=2, max_size=N_LINKS)))
    )
    h_e = 1.0
    if scenario == "uma" and h_ut >= 13.5:  # a valid effective height of note 1
        h_e = draw(st.sampled_from([1.0] + list(np.arange(12.0, h_ut - 1.5 + 1e-9, 3.0))))
    extra = {}
    if scenario == "rma":
        extra = {
            "h_building_m": draw(st.floats(5.0, 50.0)),
            "w_street_m": draw(st.floats(5.0, 50.0)),
        }
    return {
        "d_2d_m": d_2d,
        "d_3d_m": np.hypot(d_2d, h_bs - h_ut),
        "fc_ghz": fc,
        "h_bs_m": h_bs,
        "h_ut_m": h_ut,
        "h_e_m": h_e,
        **extra,
    }


def _check_monotone_and_nlos_above_los(scenario: str, kw: dict) -> None:
    pl_los = pathloss_db(scenario, True, **kw)
    pl_nlos = pathloss_db(scenario, False, **kw)
    tol = RMA_BREAKPOINT_STEP_TOL_DB if scenario == "rma" else MONOTONE_TOL_DB
    assert np.all(np.diff(pl_los) >= -tol)
    assert np.all(np.diff(pl_nlos) >= -tol)
    assert np.all(pl_nlos >= pl_los)
    assert np.all(np.isfinite(pl_los)) and np.all(np.isfinite(pl_nlos))


@settings(max_examples=150, deadline=None)
@given(links("uma"))
def test_uma_monotone(kw: dict) -> None:
    _check_monotone_and_nlos_above_los("uma", kw)


@settings(max_examples=150, deadline=None)
@given(links("umi"))
def test_umi_monotone(kw: dict) -> None:
    _check_monotone_and_nlos_above_los("umi", kw)


@settings(max_examples=150, deadline=None)
@given(links("rma"))
def test_rma_monotone(kw: dict) -> None:
    _check_monotone_and_nlos_above_los("rma", kw)


@settings(max_examples=150, deadline=None)
@given(links("inh"))
def test_inh_monotone(kw: dict) -> None:
    _check_monotone_and_nlos_above_los("inh", kw)


def test_tables_carry_provenance() -> None:
    tables = resources.files("nrsim.channel.tr38901") / "tables"
    names = sorted(p.name for p in tables.iterdir() if p.name.endswith(".csv"))
    assert names, "no spec tables shipped"
    for name in names:
        text = (tables / name).read_text(encoding="utf-8")
        header = [line for line in text.splitlines() if line.startswith("#")]
        assert header and text.startswith("#"), name
        assert any("TR 38.901 V17.0.0" in line for line in header), name
