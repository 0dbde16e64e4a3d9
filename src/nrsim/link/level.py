"""Link-abstraction tables of one MCS table as plain arrays, for the slot core: the MCS
10 %-BLER thresholds of the shipped BLER curves and the CQI thresholds that go with them
(TS 38.214 V17 Tables 5.1.3.1-1..3 and 5.2.2.1-2..4 of the same index)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nrsim.link.adaptation import mcs_for_sinr_array
from nrsim.link.bler import bler_curves
from nrsim.link.mcs import cqi_table, mcs_table
from nrsim.units import lin_to_db

CQI0_BACKOFF_DB = 3.0
"""The gNB reads CQI 0 ("out of range") as the CQI-1 threshold minus this [dB]."""


@dataclass(frozen=True)
class LinkLevel:
    """Link-abstraction tables of one MCS table, as plain arrays.

    mcs_thr_db [mcs]: SNR at 10 % BLER (2000-bit code blocks); mcs_se [mcs] bit/RE;
    mcs_qm, mcs_r_x1024, mcs_beta [mcs]; cqi_thr_db, cqi_beta [15] (CQI 1..15);
    cqi_sinr_db [16]: the SINR the gNB reads for CQI 0..15.
    """

    mcs_table: int
    mcs_thr_db: NDArray[np.float64]
    mcs_se: NDArray[np.float64]
    mcs_qm: NDArray[np.int64]
    mcs_r_x1024: NDArray[np.float64]
    mcs_beta: NDArray[np.float64]
    cqi_thr_db: NDArray[np.float64]
    cqi_beta: NDArray[np.float64]
    cqi_sinr_db: NDArray[np.float64]

    def mcs_for_sinr(self, sinr_db: NDArray[np.float64]) -> NDArray[np.int64]:
        """Highest MCS whose 10 %-BLER SNR is <= ``sinr_db`` (MCS 0 below all)."""
        x = np.asarray(sinr_db, dtype=np.float64)
        return mcs_for_sinr_array(np.ascontiguousarray(self.mcs_thr_db), np.ascontiguousarray(x))


def link_level(mcs_table_index: int) -> LinkLevel:
    """MCS thresholds from the shipped BLER curves; CQI thresholds from the MCS that carries
    the same (Qm, R) (TS 38.214 CQI and MCS tables of the same index). CQI 1 (QPSK 78/1024,
    in no MCS table) gets the gap to capacity of MCS 0."""
    tab = mcs_table(mcs_table_index)
    thr = bler_curves(mcs_table_index).threshold_db()
    cq = cqi_table(mcs_table_index)
    cap_db = lin_to_db(2.0 ** tab.spectral_efficiency_bit_per_re - 1.0)
    gap0 = thr[0] - cap_db[0]
    cqi_thr = np.where(
        cq.has_mcs,
        thr[cq.mcs_same_qm_r],
        lin_to_db(2.0**cq.spectral_efficiency_bit_per_re - 1.0) + gap0,
    )
    cqi_beta = tab.eesm_beta[cq.mcs_same_qm_r]
    cqi_sinr = np.concatenate([[cqi_thr[0] - CQI0_BACKOFF_DB], cqi_thr])
    return LinkLevel(
        mcs_table=mcs_table_index, mcs_thr_db=np.asarray(thr), mcs_se=tab.spectral_efficiency_bit_per_re,
        mcs_qm=tab.qm, mcs_r_x1024=tab.r_x1024, mcs_beta=tab.eesm_beta,
        cqi_thr_db=cqi_thr, cqi_beta=cqi_beta, cqi_sinr_db=cqi_sinr,
    )
