"""SINR -> spectral efficiency for snapshot throughput."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.link.tables import cqi_sinr_thresholds_db, cqi_table1_efficiency
from nrsim.units import db_to_lin


def cqi_from_sinr(sinr_db: ArrayLike, thresholds_db: NDArray[np.float64]) -> NDArray[np.int64]:
    """Highest CQI (1..15) whose 10 %-BLER SINR threshold is <= the SINR; 0 when below CQI 1
    (out of range, TS 38.214 Table 5.2.2.1-2)."""
    return np.searchsorted(thresholds_db, np.asarray(sinr_db, dtype=np.float64), side="right")


def cqi_spectral_efficiency(
    sinr_db: ArrayLike, threshold_set: str = "vienna_lte_ll_dl_bler10"
) -> NDArray[np.float64]:
    """Spectral efficiency [bit/s/Hz] of the CQI reached at ``sinr_db`` in TS 38.214 CQI
    table 1 (0 below CQI 1), with the named SINR thresholds."""
    cqi = cqi_from_sinr(sinr_db, cqi_sinr_thresholds_db(threshold_set))
    eff = np.concatenate([[0.0], cqi_table1_efficiency()])
    return eff[cqi]


def attenuated_shannon_efficiency(
    sinr_db: ArrayLike,
    *,
    alpha: float = 0.6,
    sinr_min_db: float = -10.0,
    max_bps_per_hz: float = 4.4,
) -> NDArray[np.float64]:
    """TR 36.942 Annex A.2 attenuated Shannon bound: 0 below SINR_min,
    alpha log2(1 + SINR) up to the cap Thr_max (DL defaults alpha 0.6, -10 dB, 4.4 bit/s/Hz)."""
    sinr = np.asarray(sinr_db, dtype=np.float64)
    thr = alpha * np.log2(1.0 + db_to_lin(sinr))
    return np.where(sinr < sinr_min_db, 0.0, np.minimum(thr, max_bps_per_hz))
