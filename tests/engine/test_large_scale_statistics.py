"""Seeded statistical checks of the large-scale drop (NumPy reference path): LOS share
against Table 7.4.2-1, shadow-fading std per Table 7.4.1-1, O2I building mix."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nrsim
from nrsim.channel.large_scale import large_scale_block, make_shadowing_fields, sample_ue_o2i
from nrsim.deployment import drop_ues
from nrsim.engine import build_layout, channel_params
from nrsim.rng import link_key, stream

N_SIGMA = 5.0  # binomial / chi-square tolerance: 5 standard errors


def _drop(preset: str, overrides: list[str], seed: int):
    cfg = nrsim.load_config(preset, overrides, seed=seed, drops=1)
    layout = build_layout(cfg)
    params = channel_params(cfg)
    u = cfg.deployment.ue
    ues = drop_ues(layout, per_sector=u.per_sector, min_distance_2d_m=u.min_distance_2d_m,
                   indoor_fraction=u.indoor_fraction, indoor_floors=u.indoor_floors,
                   indoor_height_m=u.indoor_height_m, rng=stream(seed, "ue_drop"))
    o2i = sample_ue_o2i(ues, params, rng=stream(seed, "o2i"))
    fields = make_shadowing_fields(ues, layout, params, rng=stream(seed, "shadowing"))
    ls = large_scale_block(ues, slice(0, ues.n_ue), layout, params, o2i, fields, link_key=link_key(seed, 0))
    return cfg, layout, ues, o2i, ls


def _umi_los_prob(d: float) -> float:  # Table 7.4.2-1, written out here
    return 1.0 if d <= 18 else 18 / d + math.exp(-d / 36) * (1 - 18 / d)


def _uma_los_prob(d: float) -> float:  # h_UT <= 13 m
    return 1.0 if d <= 18 else 18 / d + math.exp(-d / 63) * (1 - 18 / d)


@pytest.mark.parametrize("preset, prob", [("umi-default", _umi_los_prob), ("uma-default", _uma_los_prob)])
def test_los_share_matches_probability(preset, prob) -> None:
    cfg, layout, ues, o2i, ls = _drop(preset, ["deployment.ue.per_sector=60", "deployment.ue.indoor_fraction=0"], seed=21)
    d = ls.d_2d_m.ravel()
    los = ls.los.ravel()
    edges = np.array([20, 40, 80, 150, 300, 600])
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (d >= lo) & (d < hi)
        n = int(sel.sum())
        expected = np.mean([prob(x) for x in d[sel]])
        se = math.sqrt(expected * (1 - expected) / n)
        assert abs(los[sel].mean() - expected) < N_SIGMA * se + 1e-3, (lo, hi, los[sel].mean(), expected)


def test_shadow_fading_std_per_state() -> None:
    cfg, layout, ues, o2i, ls = _drop("uma-default", ["deployment.ue.per_sector=60"], seed=5)
    # one UE per 37 m on average share a field value only within the decorrelation
    # distance; with 19 independent sites the per-state sample std is tight.
    sf_los = ls.shadow_fading_db[ls.los]
    sf_nlos = ls.shadow_fading_db[~ls.los]
    assert abs(sf_los.std() - 4.0) < 0.25
    assert abs(sf_nlos.std() - 6.0) < 0.25
    assert abs(sf_nlos.mean()) < 0.3


def test_o2i_mix_and_outdoor_zero() -> None:
    cfg, layout, ues, o2i, ls = _drop("uma-default", ["deployment.ue.per_sector=60"], seed=8)
    assert np.all(o2i.loss_db[~ues.indoor] == 0.0)
    share_high = o2i.high_loss[ues.indoor].mean()
    n = int(ues.indoor.sum())
    assert abs(share_high - 0.5) < N_SIGMA * math.sqrt(0.25 / n)
    # TR 38.901 7.4.3.1 at 3.5 GHz: low-loss wall 5 - 10 log10(0.3*10^(-(2+0.2f)/10) + 0.7*10^(-(5+4f)/10))
    f = 3.5
    low = 5 - 10 * math.log10(0.3 * 10 ** (-(2 + 0.2 * f) / 10) + 0.7 * 10 ** (-(5 + 4 * f) / 10))
    high = 5 - 10 * math.log10(0.7 * 10 ** (-(23 + 0.3 * f) / 10) + 0.3 * 10 ** (-(5 + 4 * f) / 10))
    ind = ues.indoor
    lo_mean = o2i.loss_db[ind & ~o2i.high_loss].mean()
    hi_mean = o2i.loss_db[ind & o2i.high_loss].mean()
    # + 0.5 * E[min(U(0,25), U(0,25))] = 0.5 * 25/3 indoor loss; N(0, sigma_P) averages out
    assert abs(lo_mean - (low + 0.5 * 25 / 3)) < 0.5
    assert abs(hi_mean - (high + 0.5 * 25 / 3)) < 0.7
