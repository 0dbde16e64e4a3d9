"""Exponential effective SINR mapping (EESM).

gamma_eff = -beta ln( (1/N) sum_n exp(-gamma_n / beta) ), gamma in linear units, over the N
resource blocks of one transmission. Brueninger et al., "Link performance models for
system level simulations of broadband radio access systems", IEEE PIMRC 2005; 3GPP
R1-031303 (Ericsson, "System-level evaluation of OFDM - further considerations"). The beta
of each MCS is in :func:`nrsim.link.mcs.mcs_table` (``eesm_beta``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.units import db_to_lin, lin_to_db


def eesm_effective_sinr_lin(
    sinr_lin: ArrayLike, beta: ArrayLike, *, mask: ArrayLike | None = None, axis: int = -1
) -> NDArray[np.float64]:
    """Effective SINR (linear) over ``axis``.

    Parameters
    ----------
    sinr_lin : float [..., prb]
        Per-PRB SINR, linear.
    beta : float [...]
        EESM calibration factor (linear), broadcast against the reduced shape.
    mask : bool [..., prb], optional
        PRBs that belong to the transmission (default all). Rows without a PRB give NaN.

    Computed as gamma_min - beta ln(mean exp(-(gamma - gamma_min) / beta)), which cannot
    underflow.
    """
    g = np.moveaxis(np.asarray(sinr_lin, dtype=np.float64), axis, -1)
    m = np.ones(g.shape, dtype=bool) if mask is None else np.moveaxis(np.asarray(mask, dtype=bool), axis, -1)
    b = np.asarray(beta, dtype=np.float64)[..., None]
    g_min = np.min(np.where(m, g, np.inf), axis=-1, keepdims=True)
    n = m.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(m, np.exp(-(g - g_min) / b), 0.0).sum(axis=-1)
        out = g_min[..., 0] - b[..., 0] * np.log(s / n)
    return np.where(n > 0, out, np.nan)


def eesm_effective_sinr_db(
    sinr_db: ArrayLike, beta: ArrayLike, *, mask: ArrayLike | None = None, axis: int = -1
) -> NDArray[np.float64]:
    """:func:`eesm_effective_sinr_lin` on dB input and output."""
    return lin_to_db(eesm_effective_sinr_lin(db_to_lin(sinr_db), beta, mask=mask, axis=axis))
