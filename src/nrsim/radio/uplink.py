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


@jit
def pusch_prb_power_mw(gain_lin: float, n_prb: int, p0_dbm: float, alpha: float, p_max_dbm: float, mu: int) -> float:
    """PUSCH power per PRB [mW] of a UE with coupling gain ``gain_lin`` to its serving cell
    (path loss PL = -10 log10 gain) on ``n_prb`` PRBs (:func:`pusch_power_core`)."""
    pl_db = -10.0 * math.log10(gain_lin)
    p_dbm = pusch_power_core(p0_dbm, alpha, pl_db, n_prb, mu, p_max_dbm)
    return 10.0 ** (p_dbm / 10.0) / n_prb


@jit
def ul_signal_prb_mw(gain_lin: float, n_prb: int, p0_dbm: float, alpha: float, p_max_dbm: float, mu: int,
                     rx_gain_lin: float) -> float:
    """UL signal per PRB at the gNB [mW] of a UE on ``n_prb`` PRBs (at least 1): power control
    (:func:`pusch_prb_power_mw`), coupling gain ``gain_lin`` and receive combining gain. Constant
    while the coupling gain is (the slot core keeps the one-PRB value per UE and mobility step)."""
    m = max(n_prb, 1)
    return pusch_prb_power_mw(gain_lin, m, p0_dbm, alpha, p_max_dbm, mu) * gain_lin * rx_gain_lin


@jit
def ul_sinr_db(signal_prb_mw: float, i_mw: float, noise_mw: float) -> float:
    """UL SINR per PRB [dB] of a signal ``signal_prb_mw`` (:func:`ul_signal_prb_mw`) against the
    cell's interference ``i_mw`` plus noise ``noise_mw`` per PRB [mW]."""
    return 10.0 * math.log10(signal_prb_mw / (i_mw + noise_mw))


@jit
def ul_sinr_estimate_db(gain_lin: float, n_prb: int, p0_dbm: float, alpha: float, p_max_dbm: float, mu: int,
                        i_mw: float, noise_mw: float, rx_gain_lin: float) -> float:
    """gNB estimate of the UL SINR per PRB [dB] of a UE on ``n_prb`` PRBs (at least 1): power
    control (:func:`pusch_prb_power_mw`), coupling gain, receive combining gain and the cell's
    average interference ``i_mw`` plus noise ``noise_mw`` per PRB (:func:`ul_signal_prb_mw`,
    :func:`ul_sinr_db`)."""
    return ul_sinr_db(ul_signal_prb_mw(gain_lin, n_prb, p0_dbm, alpha, p_max_dbm, mu, rx_gain_lin), i_mw, noise_mw)


@jit
def ul_prb_cap(gain_lin: float, min_sinr_db: float, p_max_dbm: float, i_mw: float, noise_mw: float,
               rx_gain_lin: float) -> float:
    """Most PRBs over which P_CMAX still reaches ``min_sinr_db`` per PRB (the SINR of MCS 0
    plus the OLLA offset): a power-limited UE gets no more PRBs than that (float, not floored)."""
    g_min = 10.0 ** (min_sinr_db / 10.0)
    return 10.0 ** (p_max_dbm / 10.0) * gain_lin * rx_gain_lin / (g_min * (i_mw + noise_mw))
