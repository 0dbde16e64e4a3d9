"""Uplink: multi-antenna MMSE-IRC against a NumPy oracle (explicit R and inverse), SRS
estimate statistics against the closed-form MMSE error, SRS timing, UL MU-MIMO pairing on
hand-made channels."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.errors import ConfigError
from nrsim.mimo.uplink import (
    SrsParams,
    pair_uplink_users,
    srs_channel_estimate,
    srs_ues,
    ul_layer_signatures,
    ul_mmse_irc_sinr,
)


def _cn(rng, *shape):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)


def _oracle(h, a, noise_w):
    """1 / diag((I + H^H R^-1 H)^-1) - 1 with R = noise I + A A^H formed and inverted."""
    n_rx, n_l = h.shape[-2:]
    r = noise_w[..., None, None] * np.eye(n_rx) + a @ np.conj(np.swapaxes(a, -1, -2))
    hh = np.conj(np.swapaxes(h, -1, -2))
    m = np.eye(n_l) + hh @ np.linalg.inv(r) @ h
    return np.maximum(1.0 / np.real(np.diagonal(np.linalg.inv(m), axis1=-2, axis2=-1)) - 1.0, 0.0)


@pytest.mark.parametrize("n_rx, n_l, n_k", [(64, 6, 10), (32, 4, 0), (4, 2, 8), (32, 8, 31)])
def test_ul_mmse_irc_matches_numpy_oracle(n_rx, n_l, n_k) -> None:
    rng = np.random.default_rng(n_rx + n_l + n_k)
    h = 0.3 * _cn(rng, 3, 5, n_rx, n_l)  # [cell, rbg, rx, layer]
    a = 0.5 * _cn(rng, 3, 5, n_rx, n_k)
    nw = rng.uniform(0.05, 0.2, (3, 5))
    np.testing.assert_allclose(ul_mmse_irc_sinr(h, a, nw), _oracle(h, a, nw), rtol=1e-9, atol=1e-12)


def test_single_layer_without_interference_is_mrc() -> None:
    """One layer, white noise: SINR = ||h||^2 / noise (maximum ratio combining)."""
    h = np.zeros((64, 1), complex)
    h[:, 0] = 0.25 * np.exp(1j * np.arange(64))
    sinr = ul_mmse_irc_sinr(h, None, 0.01)
    np.testing.assert_allclose(sinr, [64 * 0.0625 / 0.01], rtol=1e-12)


def test_interferer_along_the_wanted_direction_is_not_rejected_but_orthogonal_one_is() -> None:
    """rx = 2, wanted h = (1, 0): an interferer (0, 10) is nulled (SINR 1 / noise = 100); one at
    (10, 0) leaves SINR 1 / (noise + 100) (hand values)."""
    h = np.array([[1.0], [0.0]], complex)
    np.testing.assert_allclose(ul_mmse_irc_sinr(h, np.array([[0.0], [10.0]], complex), 0.01), [100.0], rtol=1e-9)
    np.testing.assert_allclose(ul_mmse_irc_sinr(h, np.array([[10.0], [0.0]], complex), 0.01),
                               [1 / 100.01], rtol=1e-9)


def test_srs_estimate_error_matches_mmse_closed_form() -> None:
    """Rayleigh h with beta = 0.5, SNR 2 (3 dB), n_avg 4: E|h - h_hat|^2 = beta / (1 + 8) =
    0.0556, E|h_hat|^2 = beta 8 / 9 = 0.444, E[h_hat^* (h - h_hat)] = 0 (orthogonality)."""
    rng = np.random.default_rng(3)
    beta = 0.5
    h = np.sqrt(beta) * _cn(rng, 400, 64, 4)
    est = srs_channel_estimate(h, 2.0, n_avg=4, beta=beta, rng=np.random.default_rng(4))
    err = h - est
    n = h.size
    tol = 4.0 / np.sqrt(n)  # about 4 standard errors of a mean of |CN|^2 (relative)
    assert np.mean(np.abs(err) ** 2) == pytest.approx(beta / 9, rel=tol)
    assert np.mean(np.abs(est) ** 2) == pytest.approx(beta * 8 / 9, rel=tol)
    assert abs(np.mean(np.conj(est) * err)) < 4 * np.sqrt(beta / 9 * beta * 8 / 9 / n)


def test_srs_estimate_is_seeded_and_checks_inputs() -> None:
    h = _cn(np.random.default_rng(0), 2, 4, 2)
    a = srs_channel_estimate(h, 10.0, rng=np.random.default_rng(1))
    b = srs_channel_estimate(h, 10.0, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ConfigError):
        srs_channel_estimate(h, 0.0, rng=np.random.default_rng(1))
    with pytest.raises(ConfigError):
        srs_channel_estimate(h, 1.0, n_avg=0, rng=np.random.default_rng(1))


def test_srs_timing() -> None:
    """Period 4, delay 2, 10 UEs: in slot 7 the SRS of slot 5 arrives: UEs 1, 5, 9; before
    slot 2 nothing."""
    p = SrsParams(period_slots=4, delay_slots=2)
    assert srs_ues(10, 7, p).tolist() == [1, 5, 9]
    assert srs_ues(10, 1, p).tolist() == []
    assert srs_ues(10, 2, p).tolist() == [0, 4, 8]
    with pytest.raises(ConfigError, match="period_slots"):
        SrsParams(period_slots=0)
    with pytest.raises(ConfigError, match="delay_slots"):
        SrsParams(delay_slots=-1)


def test_uplink_pairing_on_orthogonal_signatures() -> None:
    """Two 1-antenna UEs whose 8-antenna channels are orthogonal unit vectors times 0.5, power
    0.4 W per RE, noise 0.001: SU SINR = 0.25 * 0.4 / 0.001 = 100; together each keeps its
    SINR (no power split, eta = 1): paired with log2(101) each. A third UE collinear with
    UE 0 is refused."""
    h = np.zeros((3, 1, 8, 1), complex)  # [ue, rbg, rx, tx]
    h[0, 0, 0, 0] = 0.5
    h[1, 0, 3, 0] = 0.5
    h[2, 0, 0, 0] = 0.5j
    w = np.ones((3, 1, 1), complex)
    res = pair_uplink_users(h, w, [1, 1, 1], 0.4, 0.001, [1.0, 1.0, 2.0], max_layers=4, epsilon=0.9)
    assert res.selected[:, 0].tolist() == [True, True, False]
    np.testing.assert_allclose(res.est_se_bps_hz[:2, 0], np.log2(101.0), rtol=1e-9)
    sig = ul_layer_signatures(h, w, 0.4)
    assert sig.shape == (3, 1, 1, 8)
    np.testing.assert_allclose(np.abs(sig[1, 0, 0, 3]), 0.5 * np.sqrt(0.4))
