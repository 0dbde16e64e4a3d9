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

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.errors import ConfigError
from nrsim.mimo.receiver import hermitian


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
    alpha = 0, G W is diagonal (no inter-layer interference on the exact channel).
    """
    g = np.asarray(g, dtype=np.complex128)
    n_layer = g.shape[-2]
    if n_layer > g.shape[-1]:
        raise ConfigError(f"{n_layer} layers over {g.shape[-1]} transmit antennas: ZF needs layers <= antennas",
                          field="layers")
    alpha = np.asarray(regularisation, dtype=np.float64)[..., None, None]
    w = hermitian(g) @ np.linalg.inv(g @ hermitian(g) + alpha * np.eye(n_layer))
    return w / (np.linalg.norm(w, axis=-2, keepdims=True) * np.sqrt(n_layer))
