"""PUSCH transmit power: open-loop fractional power control of TS 38.213 V17.x 7.1.1.

P_PUSCH = min(P_CMAX, P_O_PUSCH + 10 log10(2^mu M_RB) + alpha PL + Delta_TF + f) [dBm],
here with Delta_TF = 0 (deltaMCS disabled) and no closed-loop correction (f = 0). PL is the
UE's downlink path-loss estimate, referenceSignalPower - filtered RSRP, i.e. the serving-cell
coupling loss including antenna gains.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.compiled import jit, ufunc

ALPHA_VALUES: tuple[float, ...] = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
"""Allowed alpha (TS 38.331 ``Alpha``: alpha0, alpha04, ..., alpha1)."""


@jit
def pusch_power_core(
    p0_dbm: float, alpha: float, pathloss_db: float, n_prb: float, mu: int, p_max_dbm: float
) -> float:
    """PUSCH transmit power of one UE [dBm], TS 38.213 7.1.1 open loop (Delta_TF = f = 0):
    min(P_CMAX, P_O_PUSCH + 10 log10(2^mu M_RB) + alpha PL). The one implementation: the
    slot and call kernels call it, :func:`pusch_tx_power_dbm` is its array form."""
    return min(p_max_dbm, p0_dbm + 10.0 * math.log10((2.0**mu) * n_prb) + alpha * pathloss_db)


@ufunc(["float64(float64, float64, float64, float64, int64, float64)"])
def _pusch_ufunc(p0_dbm, alpha, pathloss_db, n_prb, mu, p_max_dbm):
    return pusch_power_core(p0_dbm, alpha, pathloss_db, n_prb, mu, p_max_dbm)


def pusch_tx_power_dbm(
    p0_dbm: ArrayLike,
    alpha: ArrayLike,
    pathloss_db: ArrayLike,
    n_prb: ArrayLike,
    mu: int,
    p_max_dbm: ArrayLike,
) -> NDArray[np.float64]:
    """PUSCH transmit power [dBm] of TS 38.213 7.1.1 (open loop, Delta_TF = f = 0).

    Parameters
    ----------
    p0_dbm : float [...]
        P_O_PUSCH, target received power per RB at 15 kHz [dBm].
    alpha : float [...]
        Path-loss compensation factor.
    pathloss_db : float [...]
        Downlink path-loss estimate PL (coupling loss, positive) [dB].
    n_prb : int [...]
        M_RB, PRBs of the allocation (> 0).
    mu : int
        Numerology (SCS = 15 * 2^mu kHz).
    p_max_dbm : float [...]
        P_CMAX [dBm].
    """
    with np.errstate(divide="ignore"):  # M_RB = 0 gives -inf
        return np.asarray(_pusch_ufunc(p0_dbm, alpha, pathloss_db, n_prb, np.int64(mu), p_max_dbm),
                          dtype=np.float64)
