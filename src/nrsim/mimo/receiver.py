"""Linear MIMO receivers: per-layer SINR after MMSE-IRC and MMSE combining.

Model (one resource element, one UE)::

    y = H_eff x + z,    H_eff = sqrt(p) H W  [rx, layer],    E[z z^H] = R  [rx, rx]

with x the unit-power layer symbols and z the noise plus every interference not carried by
the wanted layers: intra-cell MU interference from co-scheduled UEs' precoders and inter-cell
interference from other cells' precoders (:func:`interference_covariance`).

* MMSE-IRC (the receiver knows R): SINR_k = 1 / [(I + H_eff^H R^-1 H_eff)^-1]_kk - 1,
  the standard post-MMSE SINR (e.g. Tse & Viswanath, "Fundamentals of Wireless
  Communication", 2005, eq. (8.66)-(8.67); 3GPP TR 36.829 V11.1.0 for LTE MMSE-IRC).
* MMSE without IRC (the receiver takes R as diagonal: per-antenna noise-plus-interference
  power, TR 36.829 "MMSE-MRC/MMSE" baseline): weights G = (H_eff H_eff^H + diag R)^-1 H_eff
  and the true SINR of each layer after combining,
  SINR_k = |g_k^H h_k|^2 / (sum_{j != k} |g_k^H h_j|^2 + g_k^H R g_k).

All powers in watts per resource element; shapes broadcast over leading axes, e.g.
``[ue, cell, prb]`` or ``[ue, sb, i1, i2]``.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.compiled import jit, jit_parallel
from nrsim.errors import ConfigError
from nrsim.mimo.smallmat import cholesky_inplace, whiten_into, whitened_sinr_into


def hermitian(a: NDArray) -> NDArray:
    """Conjugate transpose of the last two axes."""
    return np.conj(np.swapaxes(a, -1, -2))


def effective_channel(h: ArrayLike, w: ArrayLike, power_w: ArrayLike = 1.0) -> NDArray[np.complex128]:
    """H_eff = sqrt(p) H W.

    Parameters
    ----------
    h : complex [..., rx, tx]
        Channel (amplitude gain, large-scale loss included) [sqrt(linear)].
    w : complex [..., tx, layer]
        Precoder (total power ||W||_F^2 = 1 for the codebook and the precoders here).
    power_w : float [...]
        Transmit power per resource element [W].

    Returns
    -------
    complex128 [..., rx, layer] [sqrt(W)].
    """
    return np.sqrt(np.asarray(power_w, dtype=np.float64))[..., None, None] * (np.asarray(h) @ np.asarray(w))


def interference_covariance(h: ArrayLike, w: ArrayLike, power_w: ArrayLike = 1.0,
                            noise_w: ArrayLike = 0.0) -> NDArray[np.complex128]:
    """R = noise_w I + sum_k p_k H_k W_k W_k^H H_k^H: the covariance of noise plus the
    interference of K precoded transmissions (co-scheduled MU layers of the serving cell,
    or other cells' transmissions with their actual precoders).

    Parameters
    ----------
    h : complex [..., k, rx, tx]
        Channel from each interfering transmission to the receiver (for intra-cell MU
        interference the serving channel, broadcast over k).
    w : complex [..., k, tx, layer]
        The interferers' precoders.
    power_w : float [..., k]
        Their transmit power per resource element [W].
    noise_w : float [...]
        Thermal noise power per resource element and receive antenna [W].

    Returns
    -------
    complex128 [..., rx, rx] [W], Hermitian positive semi-definite.
    """
    a = effective_channel(h, w, power_w)  # [..., k, rx, layer]
    a = np.moveaxis(a, -3, -2).reshape(a.shape[:-3] + (a.shape[-2], -1))  # [..., rx, k * layer]
    cov = a @ hermitian(a)
    n_rx = cov.shape[-1]
    return cov + np.asarray(noise_w, dtype=np.float64)[..., None, None] * np.eye(n_rx)


def mmse_irc_sinr(h_eff: ArrayLike, r_cov: ArrayLike) -> NDArray[np.float64]:
    """Per-layer SINR after the MMSE-IRC receiver: 1 / [(I + H^H R^-1 H)^-1]_kk - 1 (linear).

    Computed by whitening with the Cholesky factor of R (R = L L^H, A = L^-1 H_eff) and the
    inverse of the small layer x layer matrix I + A^H A.

    Parameters
    ----------
    h_eff : complex [..., rx, layer]  [sqrt(W)]
    r_cov : complex [..., rx, rx]  [W], Hermitian positive definite.

    Returns
    -------
    float64 [..., layer], linear SINR (>= 0).
    """
    h = np.asarray(h_eff, dtype=np.complex128)
    chol = np.linalg.cholesky(np.asarray(r_cov, dtype=np.complex128))
    a = np.linalg.solve(chol, h)  # whitened channel [..., rx, layer]
    return whitened_mmse_sinr(a)


def whitened_mmse_sinr(a: ArrayLike) -> NDArray[np.float64]:
    """Per-layer post-MMSE SINR of a whitened channel A = R^-1/2 H_eff [..., rx, layer]:
    1 / [(I + A^H A)^-1]_kk - 1 (linear, [..., layer])."""
    a = np.asarray(a, dtype=np.complex128)
    n_layer = a.shape[-1]
    m = hermitian(a) @ a + np.eye(n_layer)
    d = np.real(np.diagonal(np.linalg.inv(m), axis1=-2, axis2=-1))
    return np.maximum(1.0 / d - 1.0, 0.0)


def mmse_combiner(h_eff: ArrayLike, r_assumed: ArrayLike) -> NDArray[np.complex128]:
    """MMSE combining weights G = (H_eff H_eff^H + R)^-1 H_eff [..., rx, layer] for the
    covariance R [..., rx, rx] the receiver assumes (the full one for MMSE-IRC, its diagonal
    for plain MMSE)."""
    h = np.asarray(h_eff, dtype=np.complex128)
    return np.linalg.solve(h @ hermitian(h) + np.asarray(r_assumed), h)


def post_combining_sinr(g: ArrayLike, h_eff: ArrayLike, r_cov: ArrayLike) -> NDArray[np.float64]:
    """True per-layer SINR after linear combining with weights G [..., rx, layer]:
    |g_k^H h_k|^2 / (sum_{j != k} |g_k^H h_j|^2 + g_k^H R g_k), R [..., rx, rx] the true
    noise-plus-interference covariance [W]. Returns float64 [..., layer] (linear)."""
    g = np.asarray(g, dtype=np.complex128)
    gh = np.abs(hermitian(g) @ np.asarray(h_eff)) ** 2  # [..., layer(k), layer(j)]
    wanted = np.diagonal(gh, axis1=-2, axis2=-1)
    inter = gh.sum(axis=-1) - wanted
    noise = np.real(np.einsum("...rk,...rs,...sk->...k", g.conj(), np.asarray(r_cov), g))
    return wanted / (inter + noise)


def mmse_sinr(h_eff: ArrayLike, r_cov: ArrayLike) -> NDArray[np.float64]:
    """Per-layer SINR [..., layer] (linear) of the MMSE receiver without interference
    rejection: it combines with (H H^H + diag R)^-1 H and sees the full R."""
    r = np.asarray(r_cov, dtype=np.complex128)
    r_diag = np.real(np.diagonal(r, axis1=-2, axis2=-1))[..., None] * np.eye(r.shape[-1])
    return post_combining_sinr(mmse_combiner(h_eff, r_diag), h_eff, r)


PARALLEL_CHUNK = 64
"""Samples per thread task of the threaded kernels (:data:`nrsim.compiled.jit_parallel`):
large enough that the scratch allocated per task costs nothing, small enough to balance."""


@jit
def _irc_range(h_eff, h_int, w_bank, w_index, power_w, noise_w, out, lo, hi):
    """Per sample i in lo..hi-1: R = noise I + sum_k p_k (H_k W_k)(H_k W_k)^H, L = chol(R), the
    post-MMSE SINR of L^-1 H_eff into out[i]."""
    n_rx, n_layer = h_eff.shape[1], h_eff.shape[2]
    n_k, n_tx = h_int.shape[1], h_int.shape[3]
    l_int = w_bank.shape[2]
    r = np.empty((n_rx, n_rx), np.complex128)
    a = np.empty((n_rx, l_int), np.complex128)
    aw = np.empty((n_rx, n_layer), np.complex128)
    m = np.empty((n_layer, n_layer), np.complex128)
    work = np.empty((n_layer, n_layer), np.complex128)
    for i in range(lo, hi):
        r[:, :] = 0.0
        for x in range(n_rx):
            r[x, x] = noise_w[i]
        for k in range(n_k):
            pw = power_w[i, k]
            w = w_bank[w_index[i, k]]
            for x in range(n_rx):
                for c in range(l_int):
                    acc = 0j
                    for t in range(n_tx):
                        acc += h_int[i, k, x, t] * w[t, c]
                    a[x, c] = acc
            for x in range(n_rx):
                for y in range(x, n_rx):
                    acc = 0j
                    for c in range(l_int):
                        acc += a[y, c] * np.conj(a[x, c])
                    r[y, x] += pw * acc
        for x in range(n_rx):  # Hermitian: mirror the lower triangle
            for y in range(x + 1, n_rx):
                r[x, y] = np.conj(r[y, x])
        if not cholesky_inplace(r, n_rx):
            for c in range(n_layer):
                out[i, c] = np.nan
            continue
        whiten_into(r, n_rx, h_eff[i], n_layer, aw)
        whitened_sinr_into(aw, n_rx, n_layer, m, work, out[i])


@jit_parallel
def _irc_kernel(h_eff, h_int, w_bank, w_index, power_w, noise_w, out):
    """:func:`_irc_range` over every sample, PARALLEL_CHUNK samples per thread task."""
    n = h_eff.shape[0]
    n_chunk = (n + PARALLEL_CHUNK - 1) // PARALLEL_CHUNK
    for c in numba.prange(n_chunk):
        _irc_range(h_eff, h_int, w_bank, w_index, power_w, noise_w, out, c * PARALLEL_CHUNK,
                   min(n, (c + 1) * PARALLEL_CHUNK))


def mmse_irc_sinr_interferers(h_eff: ArrayLike, h_int: ArrayLike, w_bank: ArrayLike, w_index: ArrayLike,
                              power_w: ArrayLike, noise_w: ArrayLike) -> NDArray[np.float64]:
    """Per-layer post-MMSE-IRC SINR with precoded interferers, compiled: the covariance of
    :func:`interference_covariance` and the SINR of :func:`mmse_irc_sinr` fused per sample
    (e.g. per UE and RBG), the precoders taken from a bank by index so that many UEs share
    the few precoders of each interfering cell and RBG without copies.

    Parameters
    ----------
    h_eff : complex [..., rx, layer]  the wanted effective channel sqrt(p) H W [sqrt(W)].
    h_int : complex [..., k, rx, tx]  channel from each interferer.
    w_bank : complex [m, tx, l]  precoders (||W||_F^2 = 1; zero columns pad smaller ranks).
    w_index : int [..., k]  the bank row of each interferer's precoder.
    power_w : float [..., k]  the interferers' transmit power per resource element [W].
    noise_w : float [...]  noise power per resource element and receive antenna [W] (> 0).

    Returns
    -------
    float64 [..., layer], linear SINR (>= 0); NaN where R is not positive definite.
    """
    h_eff = np.asarray(h_eff, dtype=np.complex128)
    h_int = np.asarray(h_int)
    if h_int.dtype not in (np.complex64, np.complex128):
        h_int = h_int.astype(np.complex128)
    w_bank = np.ascontiguousarray(w_bank, dtype=np.complex128)
    lead = h_eff.shape[:-2]
    n_rx, n_layer = h_eff.shape[-2:]
    if h_int.ndim != len(lead) + 3 or h_int.shape[:len(lead)] != lead or h_int.shape[-2] != n_rx:
        raise ConfigError(f"h_int must be {lead} + (k, {n_rx}, tx); got {h_int.shape}", field="h_int")
    n_k, n_tx = h_int.shape[-3], h_int.shape[-1]
    if w_bank.ndim != 3 or w_bank.shape[1] != n_tx:
        raise ConfigError(f"w_bank must be (m, {n_tx}, layer); got {w_bank.shape}", field="w_bank")
    idx = np.broadcast_to(np.asarray(w_index, dtype=np.int64), lead + (n_k,))
    if idx.size and (idx.min() < 0 or idx.max() >= w_bank.shape[0]):
        raise ConfigError(f"w_index must be in 0..{w_bank.shape[0] - 1}", field="w_index")
    n = int(np.prod(lead, dtype=np.int64))
    p = np.broadcast_to(np.asarray(power_w, dtype=np.float64), lead + (n_k,)).reshape(n, n_k)
    nw = np.broadcast_to(np.asarray(noise_w, dtype=np.float64), lead).reshape(n)
    out = np.empty((n, n_layer))
    _irc_kernel(np.ascontiguousarray(h_eff.reshape(n, n_rx, n_layer)),
                np.ascontiguousarray(h_int.reshape(n, n_k, n_rx, n_tx)), w_bank,
                np.ascontiguousarray(idx.reshape(n, n_k)), np.ascontiguousarray(p), np.ascontiguousarray(nw), out)
    return out.reshape(lead + (n_layer,))


def rbg_sample_prbs(n_prb: int, rbg_size: int, per_rbg: int) -> NDArray[np.int64]:
    """PRBs at which to evaluate the SINR when it is computed per RBG rather than per PRB:
    ``per_rbg`` PRBs evenly inside each RBG of ``rbg_size`` PRBs (at the centres of equal
    sub-blocks; the last RBG may be shorter), the link abstraction's EESM then running per
    layer over these samples. docs/mimo.md gives the EESM error against all PRBs.

    Returns
    -------
    int64 [rbg, per_rbg], ascending PRB indices (a short last RBG repeats its PRBs).
    """
    if min(n_prb, rbg_size, per_rbg) < 1 or per_rbg > rbg_size:
        raise ConfigError(f"need n_prb, rbg_size >= 1 and 1 <= per_rbg <= rbg_size; got {n_prb}, {rbg_size}, "
                          f"{per_rbg}", field="per_rbg")
    n_rbg = -(-n_prb // rbg_size)
    start = np.arange(n_rbg)[:, None] * rbg_size
    size = np.minimum(rbg_size, n_prb - start)  # [rbg, 1]
    return (start + ((np.arange(per_rbg)[None, :] + 0.5) * size / per_rbg).astype(np.int64)).astype(np.int64)
