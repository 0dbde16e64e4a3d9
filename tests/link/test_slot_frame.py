"""Numerology, RBGs (TS 38.214 Table 5.1.2.2.1-1) and TDD slot patterns."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.errors import ConfigError
from nrsim.link.frame import (
    n_rbg,
    nominal_rbg_size,
    numerology_mu,
    prb_centre_frequencies_hz,
    rbg_of_prb,
    slot_duration_s,
    slot_pattern,
)
from nrsim.link.numerology import n_rb


@pytest.mark.parametrize("scs, mu, slot_ms", [(15, 0, 1.0), (30, 1, 0.5), (60, 2, 0.25), (120, 3, 0.125)])
def test_numerology(scs, mu, slot_ms) -> None:
    assert numerology_mu(scs) == mu
    assert np.isclose(slot_duration_s(scs), slot_ms * 1e-3)


def test_nrb_examples() -> None:
    # TS 38.101-1 Table 5.3.2-1 / 38.101-2 Table 5.3.2-1
    assert n_rb(100, 30, 3.5) == 273 and n_rb(20, 15, 2.0) == 106 and n_rb(100, 120, 28.0) == 66
    assert n_rb(20, 30, 4.0) == 51 and n_rb(40, 60, 3.5) == 51


@pytest.mark.parametrize(
    "n_prb, config, p, n_groups, last",
    [(273, 1, 16, 18, 1), (273, 2, 16, 18, 1), (51, 1, 4, 13, 3), (51, 2, 8, 7, 3),
     (106, 1, 8, 14, 2), (24, 1, 2, 12, 2), (36, 2, 4, 9, 4), (145, 1, 16, 10, 1)],
)
def test_rbg_sizes(n_prb, config, p, n_groups, last) -> None:
    assert nominal_rbg_size(n_prb, config) == p
    g = rbg_of_prb(n_prb, config)
    assert n_rbg(n_prb, config) == n_groups == g[-1] + 1
    counts = np.bincount(g)
    assert np.all(counts[:-1] == p) and counts[-1] == last


def test_rbg_with_bwp_start() -> None:
    # start 3, P = 4 (51 PRBs, config 1): first RBG has P - 3 = 1 PRB
    g = rbg_of_prb(51, 1, bwp_start=3)
    assert np.bincount(g)[0] == 1 and n_rbg(51, 1, bwp_start=3) == g[-1] + 1 == 14


def test_tdd_and_fdd_patterns() -> None:
    p = slot_pattern("tdd", "DDDSU", 10)
    assert p.period == 5 and p.dl_symbols.tolist() == [14, 14, 14, 10, 0]
    assert p.ul.tolist() == [False, False, False, False, True]
    assert np.isclose(p.dl_time_share, 52 / 70) and np.isclose(p.ul_time_share, 0.2)
    f = slot_pattern("fdd")
    assert f.dl_time_share == 1.0 and f.ul_time_share == 1.0
    with pytest.raises(ConfigError):
        slot_pattern("tdd", "DDXU")


def test_prb_frequencies() -> None:
    f = prb_centre_frequencies_hz(3, 30)
    assert np.allclose(f, [180e3, 540e3, 900e3])
