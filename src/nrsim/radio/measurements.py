"""UE measurement quantities of every cell (TS 38.215 V17.x 5.1.1-5.1.3), from the received
power of each cell over the whole band.

- RSRP: power per resource element of the cell's reference signals [dBm]; every RE at the
  same power, so RSRP = P_rx / N_sc.
- RSSI: total received power over the N RBs of the measurement bandwidth: every cell at its
  load (share of occupied REs) plus noise [mW].
- RSRQ = N x RSRP / RSSI [dB] (5.1.3): -10.8 dB for a lone, fully loaded cell without noise
  (N x (P / 12 N) / P = 1/12).
- SINR of cell c: its RE power over the interference of the other cells (at their loads) and
  noise per RE (5.1.5/5.1.6 SS-SINR, as if c served the UE) [dB].
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nrsim.units import lin_to_db

SUBCARRIERS_PER_RB = 12


def measurement_quantities(
    rx_mw: NDArray[np.float64], load: NDArray[np.float64], noise_mw: float, n_sc: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(RSRP [dBm], RSRQ [dB], SINR [dB]) of every cell [ue, cell].

    Parameters
    ----------
    rx_mw : float [ue, cell]
        Received power of each cell over the whole band at full power [mW].
    load : float [cell], or [ue, cell] per link
        Share of each cell's REs that carry power (0..1); per link for the sparse link form,
        whose columns are each UE's own candidate cells.
    noise_mw : float
        Noise power over the whole band [mW].
    n_sc : int
        Subcarriers of the band (12 N_RB).
    """
    rx = np.asarray(rx_mw, dtype=np.float64)  # [ue, cell]
    ld = np.asarray(load, dtype=np.float64)  # [cell] or [ue, cell]
    with np.errstate(divide="ignore"):
        rsrp_dbm = lin_to_db(rx) - 10.0 * np.log10(n_sc)  # [ue, cell]
        rssi_mw = (rx @ ld if ld.ndim == 1 else (rx * ld).sum(axis=1)) + noise_mw  # [ue]
        rsrq_db = 10.0 * np.log10(n_sc / SUBCARRIERS_PER_RB) + rsrp_dbm - lin_to_db(rssi_mw)[:, None]
        sinr_db = lin_to_db(rx / np.maximum(rssi_mw[:, None] - rx * ld, noise_mw * 1e-12))
    return rsrp_dbm, rsrq_db, sinr_db
