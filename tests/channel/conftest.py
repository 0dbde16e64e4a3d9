"""Shared checks of the channel tests."""

from __future__ import annotations

import math

import numpy as np
import pytest

LOS_SHARE_EDGES_M = np.array([20.0, 40.0, 80.0, 150.0, 300.0, 600.0])
"""2D-distance bins of the LOS-share check [m]."""
LOS_CELL_M = 50.0
"""Side of the square cells whose links share a LOS Gaussian (the effective sample) [m]."""


def los_share_check(drops, n_sites: int) -> None:
    """Per distance bin, the LOS share of the links of ``drops`` (a list of (drop index,
    d_2d_m [ue, site], los [ue, site], p_los [ue, site], ue_xy_m [ue, 2])) against the mean LOS
    probability, within 4 binomial standard errors on n_eff = number of distinct (drop, site,
    50 m cell) groups (links of one site in one cell share their Gaussian)."""
    d_all, los_all, p_all, cell_all = [], [], [], []
    for drop, d_2d_m, los, p_los, xy_m in drops:
        site = np.broadcast_to(np.arange(n_sites)[None, :], d_2d_m.shape)
        cells = np.floor(xy_m / LOS_CELL_M).astype(np.int64)
        d_all.append(d_2d_m.ravel())
        los_all.append(los.ravel())
        p_all.append(p_los.ravel())
        cell_all.append((drop * 10**9 + site * 10**6 + (cells[:, 0] % 1000)[:, None] * 1000
                         + (cells[:, 1] % 1000)[:, None]).ravel())
    d, los, p, cell = (np.concatenate(x) for x in (d_all, los_all, p_all, cell_all))
    for lo, hi in zip(LOS_SHARE_EDGES_M[:-1], LOS_SHARE_EDGES_M[1:]):
        sel = (d >= lo) & (d < hi)
        expected = float(p[sel].mean())
        n_eff = np.unique(cell[sel]).size
        se = math.sqrt(expected * (1.0 - expected) / n_eff)
        assert abs(los[sel].mean() - expected) < 4.0 * se + 1e-3, (lo, hi, los[sel].mean(), expected, n_eff)


@pytest.fixture
def assert_los_share():
    """:func:`los_share_check`, for the tests of the LOS state along distance."""
    return los_share_check
