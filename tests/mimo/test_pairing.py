"""MU-MIMO pairing on constructed channels: orthogonal users are paired, collinear users are
not, the layer limit holds, and the PF stopping rule decides as computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.errors import ConfigError
from nrsim.mimo.pairing import pair_users


def _unit_rows(idx, n_tx=8):
    g = np.zeros((len(idx), n_tx), complex)
    g[np.arange(len(idx)), idx] = 1.0
    return g


def test_orthogonal_users_are_all_paired() -> None:
    """4 single-layer UEs on orthogonal unit channels, SINR 100: together 4 log2(1 + 25) =
    18.8 > log2(101) = 6.66 bit/s/Hz, so all four are co-scheduled with 1/4 power each."""
    g = _unit_rows([0, 1, 2, 3])[:, None, None, :]  # [ue, rbg, layer, tx]
    res = pair_users(g, np.full((4, 1, 1), 100.0), np.ones(4, int), np.ones(4), max_layers=8)
    assert res.selected[:, 0].tolist() == [True] * 4
    assert int(res.n_layers[0]) == 4 and res.power_share[0] == pytest.approx(0.25)
    np.testing.assert_allclose(res.est_se_bps_hz[:, 0], np.log2(26.0), rtol=1e-12)


def test_collinear_users_are_not_paired() -> None:
    """UE 1's channel is UE 0's times 2 e^{j 0.3} (correlation 1); UE 2 is orthogonal to both:
    the group is the best PF UE (UE 1, stronger) and UE 2."""
    g0 = np.array([1.0, 1j, 0, 0, 0, 0, 0, 0]) / np.sqrt(2)
    g = np.stack([g0, 2 * np.exp(0.3j) * g0, _unit_rows([5])[0]])[:, None, None, :]
    sinr = np.array([50.0, 200.0, 50.0])[:, None, None]
    res = pair_users(g, sinr, np.ones(3, int), np.ones(3), max_layers=8, epsilon=0.99)
    assert res.selected[:, 0].tolist() == [False, True, True]


def test_pf_weight_picks_the_first_user_and_the_stop_rule() -> None:
    """UE 0 SINR 1000, UE 1 orthogonal with SINR 1 and the same average: alone UE 0 gives
    log2(1001) = 9.967; with UE 1, log2(1 + 500) + log2(1 + 0.5) = 8.969 + 0.585 = 9.554 <
    9.967, so UE 1 is not added. With UE 1's average 10x lower (weight 10), 8.969 + 5.85 >
    9.967 and it is added."""
    g = _unit_rows([0, 3])[:, None, None, :]
    sinr = np.array([1000.0, 1.0])[:, None, None]
    alone = pair_users(g, sinr, [1, 1], [1.0, 1.0], max_layers=4)
    assert alone.selected[:, 0].tolist() == [True, False]
    assert alone.est_se_bps_hz[0, 0] == pytest.approx(np.log2(1001.0))
    both = pair_users(g, sinr, [1, 1], [1.0, 0.1], max_layers=4)
    assert both.selected[:, 0].tolist() == [True, True]


def test_layer_limit_and_multi_layer_users() -> None:
    """6 UEs with 2 orthogonal layers each over 16 tx, limit 8 layers: 4 UEs, 8 layers."""
    g = np.stack([_unit_rows([2 * u, 2 * u + 1], 16) for u in range(6)])[:, None]  # [ue, 1, 2, 16]
    res = pair_users(g, np.full((6, 1, 2), 1000.0), np.full(6, 2), np.ones(6), max_layers=8)
    assert res.selected[:, 0].sum() == 4 and int(res.n_layers[0]) == 8
    # each chosen UE: 2 layers at SINR 1000 * (2/8) with no ZF loss
    np.testing.assert_allclose(res.est_se_bps_hz[res.selected[:, 0], 0], 2 * np.log2(251.0), rtol=1e-12)


def test_zf_loss_of_correlated_users_matches_hand_value() -> None:
    """Two unit channels at correlation c = 0.6 (real): (G G^H)^-1 diagonal = 1/(1 - c^2), so
    eta = 1 - c^2 = 0.64 for both; with SINR 100 each: 2 log2(1 + 100/2 * 0.64) = 10.05 >
    log2(101) = 6.66: paired with that rate."""
    g = np.array([[1.0, 0, 0, 0], [0.6, 0.8, 0, 0]], complex)[:, None, None, :]
    res = pair_users(g, np.full((2, 1, 1), 100.0), [1, 1], [1.0, 1.0], max_layers=4, epsilon=0.7)
    assert res.selected[:, 0].tolist() == [True, True]
    np.testing.assert_allclose(res.est_se_bps_hz[:, 0], np.log2(1 + 50 * 0.64), rtol=1e-12)
    # with epsilon 0.5 the SUS test rejects the pair
    res = pair_users(g, np.full((2, 1, 1), 100.0), [1, 1], [1.0, 1.0], max_layers=4, epsilon=0.5)
    assert res.selected[:, 0].sum() == 1


def test_batched_cells_and_rbgs_match_one_by_one() -> None:
    rng = np.random.default_rng(3)
    g = rng.standard_normal((3, 5, 4, 2, 8)) + 1j * rng.standard_normal((3, 5, 4, 2, 8))  # [cell, ue, rbg, l, tx]
    sinr = 10 ** rng.uniform(0, 3, (3, 5, 4, 2))
    nl = rng.integers(1, 3, (3, 5))
    avg = rng.uniform(0.5, 2, (3, 5))
    elig = rng.random((3, 5, 4)) < 0.8
    full = pair_users(g, sinr, nl, avg, max_layers=6, epsilon=0.9, eligible=elig)
    for c in range(3):
        for r in range(4):
            one = pair_users(g[c, :, r:r + 1], sinr[c, :, r:r + 1], nl[c], avg[c], max_layers=6, epsilon=0.9,
                             eligible=elig[c, :, r:r + 1])
            np.testing.assert_array_equal(full.selected[c, :, r], one.selected[:, 0])
            np.testing.assert_allclose(full.est_se_bps_hz[c, :, r], one.est_se_bps_hz[:, 0], rtol=1e-12)
            assert full.n_layers[c, r] <= 6
            assert not np.any(full.selected[c, :, r] & ~elig[c, :, r])


def test_empty_and_bad_inputs() -> None:
    res = pair_users(np.zeros((0, 3, 1, 4)), np.zeros((0, 3, 1)), np.zeros(0, int), np.ones(0), max_layers=4)
    assert res.selected.shape == (0, 3) and res.n_layers.tolist() == [0, 0, 0]
    with pytest.raises(ConfigError, match="max_layers"):
        pair_users(np.ones((1, 1, 1, 4)), np.ones((1, 1, 1)), [1], [1.0], max_layers=0)
    with pytest.raises(ConfigError, match="epsilon"):
        pair_users(np.ones((1, 1, 1, 4)), np.ones((1, 1, 1)), [1], [1.0], max_layers=2, epsilon=0.0)


def test_uplink_pairing_keeps_each_ues_power() -> None:
    """Two unit channels at correlation c with c^2 = 0.9 (eta = 1 - c^2 = 0.1 for both), SU
    SINR 100 each. Downlink (power split): 2 log2(1 + 50 * 0.1) = 5.17 < log2(101) = 6.66, not
    paired. Uplink (each UE keeps its power, ZF receiver loss only): 2 log2(1 + 100 * 0.1) =
    6.92 > 6.66, paired, log2(11) each."""
    c = np.sqrt(0.9)
    g = np.array([[1.0, 0, 0, 0], [c, np.sqrt(1 - c * c), 0, 0]], complex)[:, None, None, :]
    args = (g, np.full((2, 1, 1), 100.0), [1, 1], [1.0, 1.0])
    dl = pair_users(*args, max_layers=4, epsilon=1.0)
    assert dl.selected[:, 0].sum() == 1
    ul = pair_users(*args, max_layers=4, epsilon=1.0, power_split=False)
    assert ul.selected[:, 0].tolist() == [True, True]
    np.testing.assert_allclose(ul.est_se_bps_hz[:, 0], np.log2(11.0), rtol=1e-9)
