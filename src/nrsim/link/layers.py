"""Per-layer link abstraction of a MIMO transmission: layers to codewords and the effective
SINR of each codeword (EESM).

Codeword-to-layer mapping of TS 38.211 V17.0.0, 7.3.1.3, Table 7.3.1.3-1 (PDSCH; the PUSCH
of 6.3.1.3 uses the same split): one codeword for 1-4 layers; two codewords for 5-8, the
first codeword on the first floor(v / 2) layers and the second on the rest
(5: 2 + 3, 6: 3 + 3, 7: 3 + 4, 8: 4 + 4). TS 38.214 V17 5.1.3 / 5.2.2.1: one MCS (and CQI)
per codeword, so each codeword has one transport block, one HARQ process and one
effective SINR.

Effective SINR per codeword: EESM (:func:`nrsim.link.eesm_effective_sinr_lin`, the beta of
the codeword's MCS) over every resource-element sample of every layer that carries the
codeword: the codeword's coded bits are spread over its layers, so a weak layer lowers the
effective SINR as a faded PRB does (as the CQI of :mod:`nrsim.mimo.csi` does for ranks 1-4).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.errors import ConfigError
from nrsim.link.eesm import eesm_effective_sinr_lin

MAX_LAYERS = 8
"""Layers of one PDSCH/PUSCH transmission (TS 38.211 Table 7.3.1.3-1)."""


def codeword_layers(n_layers: ArrayLike) -> NDArray[np.int64]:
    """Layers of codeword 0 and 1 for ``n_layers`` (TS 38.211 V17.0.0 Table 7.3.1.3-1).

    Parameters
    ----------
    n_layers : int [...], 1..8

    Returns
    -------
    int64 [..., 2]: (floor(v/2), v - floor(v/2)) for v >= 5, (v, 0) for v <= 4.
    """
    v = np.asarray(n_layers, dtype=np.int64)
    if v.size and (v.min() < 1 or v.max() > MAX_LAYERS):
        raise ConfigError(f"n_layers must be in 1..{MAX_LAYERS}", field="n_layers")
    two = v >= 5
    cw0 = np.where(two, v // 2, v)
    return np.stack([cw0, v - cw0], axis=-1)


def codeword_layer_mask(n_layers: ArrayLike, n_layer_axis: int = MAX_LAYERS) -> NDArray[np.bool_]:
    """bool [..., 2, n_layer_axis]: layer l carries codeword c (layers in order, codeword 0
    first, :func:`codeword_layers`)."""
    cw = codeword_layers(n_layers)  # [..., 2]
    if cw.size and int(cw.sum(axis=-1).max()) > n_layer_axis:
        raise ConfigError(f"n_layers exceeds the layer axis ({n_layer_axis})", field="n_layers")
    layer = np.arange(n_layer_axis)
    start = np.stack([np.zeros_like(cw[..., 0]), cw[..., 0]], axis=-1)  # [..., 2]
    return (layer >= start[..., None]) & (layer < (start + cw)[..., None])


def codeword_effective_sinr_lin(sinr_lin: ArrayLike, n_layers: ArrayLike, beta: ArrayLike,
                                *, sample_mask: ArrayLike | None = None) -> NDArray[np.float64]:
    """EESM effective SINR of each codeword over its layers and samples (module docstring).

    Parameters
    ----------
    sinr_lin : float [..., layer, sample]
        Per-layer post-MMSE SINR (linear) at each sample (PRB or RBG sample) of the
        allocation; layers beyond ``n_layers`` are ignored.
    n_layers : int [...]
        Layers of the transmission (1..8, at most the layer axis).
    beta : float [..., 2]
        EESM beta of each codeword's MCS (linear; the second is ignored for one codeword).
    sample_mask : bool [..., sample], optional
        Samples that belong to the allocation (default all).

    Returns
    -------
    float64 [..., 2]: effective SINR (linear) of codeword 0 and 1; NaN for a codeword that
    does not exist (ranks 1-4) or has no sample.
    """
    g = np.asarray(sinr_lin, dtype=np.float64)
    if g.ndim < 2:
        raise ConfigError(f"sinr_lin must be [..., layer, sample]; got shape {g.shape}", field="sinr_lin")
    n_layer_axis, n_s = g.shape[-2:]
    lead = g.shape[:-2]
    cw_mask = np.broadcast_to(codeword_layer_mask(n_layers, n_layer_axis), lead + (2, n_layer_axis))
    s_mask = (np.ones(lead + (n_s,), bool) if sample_mask is None
              else np.broadcast_to(np.asarray(sample_mask, dtype=bool), lead + (n_s,)))
    mask = cw_mask[..., :, :, None] & s_mask[..., None, None, :]  # [..., 2, layer, sample]
    flat = np.broadcast_to(g[..., None, :, :], mask.shape).reshape(lead + (2, n_layer_axis * n_s))
    b = np.broadcast_to(np.asarray(beta, dtype=np.float64), lead + (2,))
    return eesm_effective_sinr_lin(flat, b, mask=mask.reshape(flat.shape))
