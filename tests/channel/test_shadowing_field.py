"""Statistics of the spatially correlated shadowing field (TR 38.901 7.5 step 4, Table 7.5-6):
unit variance, exponential autocorrelation exp(-r/d_corr), independence between sites."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nrsim.channel.shadowing_field import SiteShadowingField

# Correlation estimates from N effectively independent pairs have a standard error of about
# 1/sqrt(N_eff); the fields are re-drawn per trial so estimates average over realisations.
CORR_TOL = 0.05
STD_TOL = 0.04


def _fields(d_corr_m: float, n_trials: int, n_sites: int = 19):
    rng = np.random.default_rng(2024)
    for _ in range(n_trials):
        yield SiteShadowingField(np.array([-1000.0, -1000.0]), 2000.0, n_sites, d_corr_m, rng=rng), rng


@pytest.mark.parametrize("d_corr_m", [37.0, 50.0, 13.0])
def test_unit_variance_and_exponential_correlation(d_corr_m: float) -> None:
    lags = np.array([0.5, 1.0, 2.0]) * d_corr_m
    prods = {lag: [] for lag in lags}
    values = []
    for field, rng in _fields(d_corr_m, 20):
        x = rng.uniform(-900, 900, size=(400, 2))
        theta = rng.uniform(0, 2 * np.pi, size=400)
        v = field.values(x, np.arange(19)[None, :])
        values.append(v.ravel())
        for lag in lags:
            y = x + lag * np.stack([np.cos(theta), np.sin(theta)], axis=1)
            w = field.values(y, np.arange(19)[None, :])
            prods[lag].append((v * w).ravel())
    allv = np.concatenate(values)
    assert abs(allv.std() - 1.0) < STD_TOL
    assert abs(allv.mean()) < STD_TOL
    for lag in lags:
        rho = np.mean(np.concatenate(prods[lag]))
        assert abs(rho - math.exp(-lag / d_corr_m)) < CORR_TOL, (lag, rho)


def test_sites_are_independent() -> None:
    corr = []
    for field, rng in _fields(50.0, 10):
        x = rng.uniform(-900, 900, size=(2000, 2))
        v = field.values(x, np.arange(19)[None, :])
        c = np.corrcoef(v.T)
        corr.append(c[np.triu_indices(19, 1)])
    mean_abs = np.abs(np.mean(corr, axis=0))
    assert mean_abs.max() < 0.1
    assert abs(np.mean(corr)) < 0.01


def test_many_sites_fit_and_shapes() -> None:
    rng = np.random.default_rng(1)
    field = SiteShadowingField(np.zeros(2), 5000.0, 1000, 50.0, rng=rng)
    offs = {tuple(o) for o in field.site_offset_cells.tolist()}
    assert len(offs) == 1000
    v = field.values(np.zeros((0, 2)), np.arange(1000)[None, :])
    assert v.shape == (0, 1000)
