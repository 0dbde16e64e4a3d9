"""Reciprocity-based (SRS, TDD) precoders: eigen-beamforming for SU-MIMO and zero-forcing /
regularised zero-forcing for MU-MIMO.

* Eigen-beamforming: W = the ``rank`` right singular vectors of H with the largest singular
  values (the capacity-achieving input directions with equal power; Telatar, "Capacity of
  multi-antenna Gaussian channels", Eur. Trans. Telecomm. 10(6), 1999), each layer 1/rank of
  the power.
* ZF and RZF: W ~ G^H (G G^H + alpha I)^-1 over the stacked layer channels G [layer, tx] of
  the co-scheduled UEs (alpha = 0: ZF; alpha = n_layer / SNR: the regularised inverse of
  Peel, Hochwald & Swindlehurst, "A vector-perturbation technique for near-capacity
  multiantenna multiuser communication -- Part I", IEEE Trans. Commun. 53(1), 2005), each
  column scaled to 1/sqrt(n_layer) of unit norm (equal power split across layers, total
  ||W||_F^2 = 1). A UE with several antennas contributes its dominant receive eigenmodes as
  layer channels: row i is sigma_i v_i^H = u_i^H H (:func:`layer_channels`), so a UE that
  combines with u_i sees no other layer on exact channels.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.compiled import jit, jit_parallel
from nrsim.errors import ConfigError
from nrsim.mimo.receiver import hermitian
from nrsim.mimo.smallmat import cholesky_inplace, gram_into, lower_h_solve_into, whiten_into


def _svd(h: ArrayLike) -> tuple[NDArray, NDArray, NDArray]:
    return np.linalg.svd(np.asarray(h, dtype=np.complex128), full_matrices=False)


def eigen_precoder(h: ArrayLike, rank: int) -> NDArray[np.complex128]:
    """SU eigen-beamforming precoder from the (SRS-estimated) channel.

    Parameters
    ----------
    h : complex [..., rx, tx]
    rank : number of layers, 1 <= rank <= min(rx, tx).

    Returns
    -------
    complex128 [..., tx, rank]: the strongest right singular vectors over sqrt(rank)
    (orthogonal columns, ||W||_F^2 = 1).
    """
    h = np.asarray(h, dtype=np.complex128)
    if not 1 <= rank <= min(h.shape[-2:]):
        raise ConfigError(f"rank = {rank!r}; allowed 1..{min(h.shape[-2:])} for a {h.shape[-2]}x{h.shape[-1]} "
                          f"channel", field="rank")
    _, _, vh = _svd(h)
    return hermitian(vh[..., :rank, :]) / np.sqrt(rank)


def layer_channels(h: ArrayLike, rank: int) -> tuple[NDArray[np.complex128], NDArray[np.complex128]]:
    """Dominant eigenmodes of a multi-antenna UE's channel as MU layer channels.

    Parameters
    ----------
    h : complex [..., rx, tx]

    Returns
    -------
    (g, u): g complex128 [..., rank, tx], row i = u_i^H H = sigma_i v_i^H; u complex128
    [..., rx, rank], the receive combiners (left singular vectors, strongest first).

    With rx <= tx the left singular vectors come from the eigendecomposition of the small
    Gram matrix H H^H = U diag(sigma^2) U^H (rx x rx) and g = U^H H, a third of the cost of the
    SVD of H; each u_i is fixed up to a phase, as with the SVD, and g is consistent with it.
    """
    h = np.asarray(h, dtype=np.complex128)
    if h.shape[-2] > h.shape[-1]:
        u, s, vh = _svd(h)
        return s[..., :rank, None] * vh[..., :rank, :], u[..., :, :rank]
    _, vec = np.linalg.eigh(h @ hermitian(h))  # ascending eigenvalues
    u = vec[..., ::-1][..., :rank]  # [..., rx, rank]
    return hermitian(u) @ h, u


def zf_precoder(g: ArrayLike, *, regularisation: ArrayLike = 0.0) -> NDArray[np.complex128]:
    """ZF (``regularisation`` = 0) or RZF MU precoder over stacked layer channels.

    Parameters
    ----------
    g : complex [..., layer, tx]
        One row per co-scheduled layer (all UEs of the group), layer <= tx.
    regularisation : float [...]
        alpha of (G G^H + alpha I)^-1 (linear; n_layer * noise / power per RE for RZF).

    Returns
    -------
    complex128 [..., tx, layer]: column k has norm 1/sqrt(layer) (equal power split); with
    alpha = 0, G W is diagonal (no inter-layer interference on the exact channel). Compiled
    (Cholesky of the layer x layer Gram matrix, no explicit inverse); NaN where G G^H +
    alpha I is singular.
    """
    g = np.asarray(g, dtype=np.complex128)
    n_layer, n_tx = g.shape[-2:]
    if n_layer > n_tx:
        raise ConfigError(f"{n_layer} layers over {n_tx} transmit antennas: ZF needs layers <= antennas",
                          field="layers")
    lead = g.shape[:-2]
    n = int(np.prod(lead, dtype=np.int64))
    alpha = np.broadcast_to(np.asarray(regularisation, dtype=np.float64), lead).reshape(n)
    if alpha.size and not np.all(alpha >= 0.0):
        raise ConfigError("regularisation must be >= 0", field="regularisation")
    out = np.empty((n, n_tx, n_layer), np.complex128)
    _zf_kernel(np.ascontiguousarray(g.reshape(n, n_layer, n_tx)), np.ascontiguousarray(alpha), out)
    return out.reshape(lead + (n_tx, n_layer))


ZF_CHUNK = 16
"""Problems (e.g. cell x RBG) per thread task of :func:`_zf_kernel` (each is about 20-40 us
for 16 layers over 32 antennas)."""


@jit_parallel
def _zf_kernel(g, alpha, out):
    """:func:`_zf_range` over every problem, ZF_CHUNK problems per thread task."""
    n = g.shape[0]
    n_chunk = (n + ZF_CHUNK - 1) // ZF_CHUNK
    for c in numba.prange(n_chunk):
        _zf_range(g, alpha, out, c * ZF_CHUNK, min(n, (c + 1) * ZF_CHUNK))


@jit
def _zf_range(g, alpha, out, lo, hi):
    """Per problem i in lo..hi-1: W = G^H (G G^H + alpha I)^-1 by the Cholesky factor L of the
    Gram matrix (W^H = L^-H L^-1 G: a forward and a backward substitution), each column scaled
    to norm 1/sqrt(layer); a singular Gram (ZF of dependent layers) gives NaN columns."""
    n_layer, n_tx = g.shape[1], g.shape[2]
    gram = np.empty((n_layer, n_layer), np.complex128)
    x = np.empty((n_layer, n_tx), np.complex128)
    inv_sqrt_l = 1.0 / np.sqrt(n_layer)
    for i in range(lo, hi):
        gram_into(g[i], n_layer, n_tx, gram)
        for a in range(n_layer):
            gram[a, a] = gram[a, a].real + alpha[i]
        if not cholesky_inplace(gram, n_layer):
            out[i] = np.nan
            continue
        whiten_into(gram, n_layer, g[i], n_tx, x)  # L^-1 G
        lower_h_solve_into(gram, n_layer, x, n_tx)  # L^-H L^-1 G = W^H
        for a in range(n_layer):
            nrm = 0.0
            for t in range(n_tx):
                nrm += x[a, t].real ** 2 + x[a, t].imag ** 2
            f = inv_sqrt_l / np.sqrt(nrm) if nrm > 0.0 else np.nan
            for t in range(n_tx):
                out[i, t, a] = np.conj(x[a, t]) * f
