"""Downlink link budget: noise, received power, serving cell, SINR.

Power sums are done in linear units only. Axis order [ue, cell].
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nrsim.units import THERMAL_NOISE_DBM_PER_HZ, db_to_lin, lin_to_db


def noise_power_dbm(bandwidth_hz: float, noise_figure_db: float) -> float:
    """Thermal noise over ``bandwidth_hz`` at the receiver: -174 dBm/Hz + 10 log10(B) + NF
    (TR 38.901 Table 7.8-1 note; TR 38.802 A.2)."""
    return float(THERMAL_NOISE_DBM_PER_HZ + 10.0 * np.log10(bandwidth_hz) + noise_figure_db)


def rsrp_dbm(rx_power_dbm: NDArray[np.float64], n_subcarriers: int) -> NDArray[np.float64]:
    """RSRP [dBm] (power per resource element, TS 38.215 5.1.1) when the total received
    power ``rx_power_dbm`` is spread evenly over ``n_subcarriers`` subcarriers."""
    return rx_power_dbm - 10.0 * np.log10(n_subcarriers)


def serving_cell(
    rsrp_dbm_: NDArray[np.float64],
    *,
    preferred_cell: NDArray[np.int64] | None = None,
    margin_db: float = 0.0,
) -> NDArray[np.int64]:
    """Serving cell of each UE [ue]: the strongest RSRP; with ``margin_db`` > 0 a UE keeps its
    ``preferred_cell`` (e.g. its previous serving cell) while that is within the margin of
    the strongest (a handover margin / hysteresis). ``rsrp_dbm_`` is [ue, cell]."""
    best = np.argmax(rsrp_dbm_, axis=1).astype(np.int64) if rsrp_dbm_.shape[1] else np.zeros(
        rsrp_dbm_.shape[0], dtype=np.int64
    )
    if preferred_cell is None or margin_db <= 0.0 or rsrp_dbm_.shape[0] == 0:
        return best
    rows = np.arange(rsrp_dbm_.shape[0])
    keep = rsrp_dbm_[rows, preferred_cell] >= rsrp_dbm_[rows, best] - margin_db
    return np.where(keep, preferred_cell, best)


def downlink_sinr(
    rx_power_dbm: NDArray[np.float64],
    serving: NDArray[np.int64],
    noise_dbm: float,
    *,
    load: float | NDArray[np.float64] = 1.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Wideband DL SINR and SIR of each UE on its serving cell.

    Parameters
    ----------
    rx_power_dbm : float64 [ue, cell]
        Received power from every cell over the whole bandwidth [dBm].
    serving : int64 [ue]
    noise_dbm : float
        Noise power over the bandwidth [dBm].
    load : float or float64 [cell]
        Activity factor of each interfering cell in [0, 1].

    Returns
    -------
    sinr_db, sir_db, signal_dbm : float64 [ue]
        SIR is the geometry without noise (+inf with no interferer).
    """
    n_ue = rx_power_dbm.shape[0]
    rows = np.arange(n_ue)
    p_w = db_to_lin(rx_power_dbm)  # [ue, cell] in mW
    signal = p_w[rows, serving]
    load_arr = np.broadcast_to(np.asarray(load, dtype=np.float64), (rx_power_dbm.shape[1],))
    interf = p_w @ load_arr - signal * load_arr[serving]
    interf = np.maximum(interf, 0.0)
    noise = float(db_to_lin(noise_dbm))
    sinr = lin_to_db(signal / (interf + noise))
    with np.errstate(divide="ignore"):
        sir = lin_to_db(np.where(interf > 0, signal / np.where(interf > 0, interf, 1.0), np.inf))
    return sinr, sir, lin_to_db(signal)
