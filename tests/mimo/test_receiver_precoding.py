"""Receivers and precoders against NumPy oracles written here with explicit per-layer
inverses, and the ZF / eigen-beamforming properties on exact channels."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.errors import ConfigError
from nrsim.mimo.precoding import eigen_precoder, layer_channels, zf_precoder
from nrsim.mimo.receiver import (
    effective_channel,
    interference_covariance,
    mmse_irc_sinr,
    mmse_sinr,
    post_combining_sinr,
)

RTOL = 1e-9
"""Double-precision linear algebra on well-conditioned 2..8-dimensional matrices."""


def _cn(rng, *shape):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)


def _oracle_irc_sinr(h_eff, r):
    """SINR_k = h_k^H (R + sum_{j != k} h_j h_j^H)^-1 h_k, one explicit inverse per layer."""
    out = np.empty(h_eff.shape[-1])
    for k in range(h_eff.shape[-1]):
        others = [j for j in range(h_eff.shape[-1]) if j != k]
        q = r + sum(np.outer(h_eff[:, j], h_eff[:, j].conj()) for j in others)
        out[k] = np.real(h_eff[:, k].conj() @ np.linalg.inv(q) @ h_eff[:, k])
    return out


def _oracle_mmse_no_irc(h_eff, r):
    """Weights from the diagonal of R, SINR with the full R, in a plain loop."""
    rd = np.diag(np.diag(r).real)
    g = np.linalg.inv(h_eff @ h_eff.conj().T + rd) @ h_eff
    out = np.empty(h_eff.shape[-1])
    for k in range(h_eff.shape[-1]):
        gk = g[:, k]
        sig = abs(gk.conj() @ h_eff[:, k]) ** 2
        itf = sum(abs(gk.conj() @ h_eff[:, j]) ** 2 for j in range(h_eff.shape[-1]) if j != k)
        out[k] = sig / (itf + np.real(gk.conj() @ r @ gk))
    return out


def _scenario(rng, n_rx=4, n_tx=8, rank=2, n_mu=2, n_cells=3):
    """A UE with its serving precoder, co-scheduled MU precoders and faded inter-cell
    interferers with their own precoders; R built here by explicit sums."""
    h = _cn(rng, n_rx, n_tx)
    w = np.linalg.qr(_cn(rng, n_tx, rank))[0] / np.sqrt(rank)
    p = 2.0
    w_mu = [np.linalg.qr(_cn(rng, n_tx, 1))[0] for _ in range(n_mu)]
    h_ic = [0.3 * _cn(rng, n_rx, n_tx) for _ in range(n_cells)]
    w_ic = [np.linalg.qr(_cn(rng, n_tx, 2))[0] / np.sqrt(2) for _ in range(n_cells)]
    noise = 0.1
    r = noise * np.eye(n_rx, dtype=complex)
    for wm in w_mu:
        r += p * h @ wm @ wm.conj().T @ h.conj().T
    for hc, wc in zip(h_ic, w_ic):
        r += 1.5 * hc @ wc @ wc.conj().T @ hc.conj().T
    return h, w, p, w_mu, h_ic, w_ic, noise, r


def test_interference_covariance_against_explicit_sum() -> None:
    rng = np.random.default_rng(1)
    h, w, p, w_mu, h_ic, w_ic, noise, r = _scenario(rng)
    k_h = np.stack([h] * len(w_mu) + h_ic)
    # pad the MU precoders (1 layer) to 2 layers with a zero column so one stack holds all
    k_w = np.stack([np.concatenate([wm, np.zeros_like(wm)], axis=1) for wm in w_mu] + w_ic)
    k_p = np.asarray([p] * len(w_mu) + [1.5] * len(h_ic))
    np.testing.assert_allclose(interference_covariance(k_h, k_w, k_p, noise), r, rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_mmse_irc_sinr_against_oracle(seed) -> None:
    rng = np.random.default_rng(seed)
    h, w, p, *_, r = _scenario(rng, rank=1 + seed % 4)
    h_eff = effective_channel(h, w, p)
    np.testing.assert_allclose(mmse_irc_sinr(h_eff, r), _oracle_irc_sinr(h_eff, r), rtol=RTOL)


def test_mmse_irc_batched_matches_loop() -> None:
    rng = np.random.default_rng(7)
    hs = _cn(rng, 3, 5, 4, 2)  # [ue, prb, rx, layer]
    a = _cn(rng, 3, 5, 4, 6)  # six interfering streams
    rs = a @ np.conj(np.swapaxes(a, -1, -2)) + 0.2 * np.eye(4)
    got = mmse_irc_sinr(hs, rs)
    for i in range(3):
        for j in range(5):
            np.testing.assert_allclose(got[i, j], _oracle_irc_sinr(hs[i, j], rs[i, j]), rtol=RTOL)


@pytest.mark.parametrize("seed", [0, 1])
def test_mmse_without_irc_against_oracle_and_below_irc(seed) -> None:
    rng = np.random.default_rng(10 + seed)
    h, w, p, *_, r = _scenario(rng, n_cells=4)
    h_eff = effective_channel(h, w, p)
    plain = mmse_sinr(h_eff, r)
    np.testing.assert_allclose(plain, _oracle_mmse_no_irc(h_eff, r), rtol=RTOL)
    # with coloured interference, interference rejection gains on every layer
    assert np.all(mmse_irc_sinr(h_eff, r) > plain)


def test_post_combining_with_full_covariance_is_irc() -> None:
    """MMSE weights built from the true R give the closed-form MMSE-IRC SINR."""
    rng = np.random.default_rng(3)
    h, w, p, *_, r = _scenario(rng, rank=3)
    h_eff = effective_channel(h, w, p)
    g = np.linalg.inv(h_eff @ h_eff.conj().T + r) @ h_eff
    np.testing.assert_allclose(post_combining_sinr(g, h_eff, r), mmse_irc_sinr(h_eff, r), rtol=RTOL)


def test_single_layer_white_noise_is_mrc_snr() -> None:
    """Hand value: one layer, R = s2 I: SINR = p ||H w||^2 / s2."""
    h = np.array([[1.0, 1j], [0.5, -1.0]])
    w = np.array([[1.0], [0.0]])
    got = mmse_irc_sinr(effective_channel(h, w, 4.0), 0.5 * np.eye(2))
    np.testing.assert_allclose(got, [4.0 * (1.0 + 0.25) / 0.5], rtol=1e-12)


def test_zf_gives_zero_intra_cell_interference() -> None:
    """Four UEs with 4 antennas each, 2 layers each over 32 tx: each UE combining with its
    own eigenmode combiners sees no other layer (exact channels)."""
    rng = np.random.default_rng(5)
    h = _cn(rng, 4, 4, 32)  # [ue, rx, tx]
    g, u = layer_channels(h, 2)  # g [ue, 2, tx], u [ue, rx, 2]
    w = zf_precoder(g.reshape(8, 32))  # [tx, 8]
    np.testing.assert_allclose(np.linalg.norm(w, axis=0), np.full(8, 1 / np.sqrt(8)), rtol=1e-12)
    for ue in range(4):
        seen = u[ue].conj().T @ h[ue] @ w  # [2, 8]
        own = np.zeros(8, bool)
        own[2 * ue:2 * ue + 2] = True
        assert np.max(np.abs(seen[:, ~own])) < 1e-12 * np.max(np.abs(seen[:, own]))
        # layer i of the UE sees only its own stream: diagonal on the own block
        blk = seen[:, own]
        assert abs(blk[0, 1]) < 1e-12 and abs(blk[1, 0]) < 1e-12


def test_layer_channels_are_the_singular_modes() -> None:
    """rows g_i = sigma_i v_i^H of the SVD (up to the phase of each mode), u orthonormal,
    for the Gram route (rx <= tx) and the SVD route (rx > tx)."""
    rng = np.random.default_rng(9)
    for shape in ((3, 4, 32), (3, 6, 4)):
        h = _cn(rng, *shape)
        g, u = layer_channels(h, 2)
        _, s, vh = np.linalg.svd(h, full_matrices=False)
        np.testing.assert_allclose(np.linalg.norm(g, axis=-1), s[:, :2], rtol=1e-10)
        overlap = np.abs(np.einsum("blt,blt->bl", g, vh[:, :2].conj()))
        np.testing.assert_allclose(overlap, s[:, :2], rtol=1e-10)
        np.testing.assert_allclose(np.conj(np.swapaxes(u, -1, -2)) @ u, np.broadcast_to(np.eye(2), (3, 2, 2)),
                                   atol=1e-12)
        np.testing.assert_allclose(np.conj(np.swapaxes(u, -1, -2)) @ h, g, atol=1e-12)


def test_rzf_tends_to_zf_and_to_matched_filter() -> None:
    rng = np.random.default_rng(6)
    g = _cn(rng, 4, 16)
    zf = zf_precoder(g)
    np.testing.assert_allclose(zf_precoder(g, regularisation=1e-12), zf, atol=1e-9)
    mf = g.conj().T / np.linalg.norm(g, axis=1) / 2.0  # alpha -> inf: matched filter, 1/sqrt(4)
    np.testing.assert_allclose(zf_precoder(g, regularisation=1e9), mf, atol=1e-6)
    # RZF leaks some interference on purpose
    off = np.abs(g @ zf_precoder(g, regularisation=1.0))
    assert np.max(off - np.diag(np.diag(off))) > 1e-3


def test_eigen_precoder_reaches_the_singular_values() -> None:
    rng = np.random.default_rng(8)
    h = _cn(rng, 4, 32)
    w = eigen_precoder(h, 2)
    np.testing.assert_allclose(w.conj().T @ w, np.eye(2) / 2, atol=1e-12)
    s = np.linalg.svd(h, compute_uv=False)
    # the layer powers ||H w_k||^2 are the two largest eigenvalues over 2, and H W has
    # orthogonal columns (no inter-layer interference with the matching combiner)
    hw = h @ w
    np.testing.assert_allclose(np.sort(np.linalg.norm(hw, axis=0) ** 2)[::-1], s[:2] ** 2 / 2, rtol=1e-10)
    assert abs(hw[:, 0].conj() @ hw[:, 1]) < 1e-10
    with pytest.raises(ConfigError, match="rank"):
        eigen_precoder(h, 5)
    with pytest.raises(ConfigError, match="layers"):
        zf_precoder(_cn(rng, 5, 4))


def test_zf_precoder_matches_numpy_inverse_oracle():
    """The compiled (Cholesky) ZF/RZF equals G^H (G G^H + alpha I)^-1 by numpy.linalg.inv with
    the columns scaled to 1/sqrt(layer), batched with a per-problem alpha."""
    rng = np.random.default_rng(5)
    g = _cn(rng, 3, 4, 6, 16)  # [cell, rbg, layer, tx]
    alpha = rng.uniform(0.0, 2.0, (3, 4))
    alpha[0, 0] = 0.0
    w_ref = np.conj(np.swapaxes(g, -1, -2)) @ np.linalg.inv(
        g @ np.conj(np.swapaxes(g, -1, -2)) + alpha[..., None, None] * np.eye(6))
    w_ref = w_ref / (np.linalg.norm(w_ref, axis=-2, keepdims=True) * np.sqrt(6))
    np.testing.assert_allclose(zf_precoder(g, regularisation=alpha), w_ref, rtol=1e-10, atol=1e-12)


def test_zf_precoder_dependent_layers_give_nan():
    g = np.ones((2, 4), np.complex128)  # two identical rows: G G^H singular
    assert np.isnan(zf_precoder(g)).all()
