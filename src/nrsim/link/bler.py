"""AWGN BLER per MCS: a logistic curve family in dB, per code block, and the transport-block
BLER over its code blocks.

Curve (per MCS m and code-block size K):
    BLER_cb(snr) = 1 / (1 + 9 exp((snr_db - snr10_db[m, K]) / scale_db[m, K]))
so that BLER_cb(snr10) = 0.1. Parameters in ``nrsim/link/tables/bler_logistic_pdsch.csv``,
fitted to the AWGN LDPC tables of NVlabs/sionna (Apache-2.0) for K = 24..2000 bits (see
:mod:`nrsim.link.bler_fit`; not 3GPP). Between tabulated K the parameters are interpolated
linearly in log K; outside, clamped (so the 8448-bit blocks of large TBs use the 2000-bit
curve: slightly pessimistic, as longer LDPC blocks have steeper waterfalls).

TB BLER = 1 - (1 - BLER_cb)^C for C code blocks of TS 38.212 5.2.2 segmentation (code blocks
assumed to fail independently at the same effective SINR).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.link.mcs import _check_table, mcs_table
from nrsim.link.tables import read_csv_table
from nrsim.link.tbs import code_block_segmentation

REFERENCE_CBS_BITS = 2000
"""Code-block size whose 10 %-BLER SNR sets the MCS thresholds of link adaptation."""


@dataclass(frozen=True)
class BlerCurves:
    """Logistic BLER parameters of one MCS table.

    cbs_bits : float64 [k]
        Tabulated code-block sizes (ascending).
    snr10_db, scale_db : float64 [mcs, k]
        SNR at 10 % code-block BLER and logistic scale [dB].
    """

    mcs_table: int
    cbs_bits: NDArray[np.float64]
    snr10_db: NDArray[np.float64]
    scale_db: NDArray[np.float64]

    def threshold_db(self, cbs_bits: int = REFERENCE_CBS_BITS) -> NDArray[np.float64]:
        """SNR at 10 % code-block BLER of every MCS at code-block size ``cbs_bits`` [mcs]."""
        s10, _ = self.parameters(np.arange(self.snr10_db.shape[0]), np.asarray(cbs_bits))
        return s10

    def parameters(
        self, mcs: NDArray[np.int64], cbs_bits: NDArray
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(snr10_db, scale_db) for each (mcs, cbs) pair, interpolated in log10 K."""
        lk = np.log10(self.cbs_bits)
        x = np.clip(np.log10(np.maximum(np.asarray(cbs_bits, dtype=np.float64), 1.0)), lk[0], lk[-1])
        j = np.clip(np.searchsorted(lk, x, side="right") - 1, 0, lk.size - 2)
        w = (x - lk[j]) / (lk[j + 1] - lk[j])
        m = np.asarray(mcs, dtype=np.int64)
        s10 = (1 - w) * self.snr10_db[m, j] + w * self.snr10_db[m, j + 1]
        sc = (1 - w) * self.scale_db[m, j] + w * self.scale_db[m, j + 1]
        return s10, sc


@functools.lru_cache(maxsize=None)
def bler_curves(mcs_table_index: int = 1) -> BlerCurves:
    """The shipped logistic BLER curves of MCS table 1 or 2."""
    _check_table(mcs_table_index)
    rows = [
        r for r in read_csv_table("bler_logistic_pdsch.csv") if int(r["mcs_table"]) == mcs_table_index
    ]
    cbs = sorted({int(r["cbs_bits"]) for r in rows})
    n_mcs = mcs_table(mcs_table_index).n_mcs
    s10 = np.full((n_mcs, len(cbs)), np.nan)
    sc = np.full((n_mcs, len(cbs)), np.nan)
    for r in rows:
        i, k = int(r["mcs"]), cbs.index(int(r["cbs_bits"]))
        s10[i, k] = float(r["snr_db_at_bler10"])
        sc[i, k] = float(r["scale_db"])
    for a in (s10, sc):
        a.setflags(write=False)
    return BlerCurves(mcs_table_index, np.asarray(cbs, dtype=np.float64), s10, sc)


def logistic_bler(snr_db: ArrayLike, snr10_db: ArrayLike, scale_db: ArrayLike) -> NDArray[np.float64]:
    """BLER = 1 / (1 + 9 exp((snr - snr10) / scale)) (0.1 at snr10). Broadcasts."""
    z = (np.asarray(snr_db, dtype=np.float64) - snr10_db) / scale_db
    return 1.0 / (1.0 + 9.0 * np.exp(np.clip(z, -700.0, 700.0)))


def code_block_bler(
    snr_db: ArrayLike, mcs: ArrayLike, cbs_bits: ArrayLike, *, mcs_table_index: int = 1
) -> NDArray[np.float64]:
    """AWGN code-block BLER at ``snr_db`` for MCS ``mcs`` and code-block size ``cbs_bits``."""
    s10, sc = bler_curves(mcs_table_index).parameters(np.asarray(mcs), np.asarray(cbs_bits))
    return logistic_bler(snr_db, s10, sc)


def transport_block_bler(
    snr_db: ArrayLike, mcs: ArrayLike, tbs_bits: ArrayLike, *, mcs_table_index: int = 1
) -> NDArray[np.float64]:
    """TB BLER = 1 - (1 - BLER_cb)^C with C and K' from TS 38.212 5.2.2 segmentation.

    Parameters
    ----------
    snr_db : float [...]
        Effective SINR of the transmission (AWGN-equivalent) [dB].
    mcs : int [...]
    tbs_bits : int [...]
        Transport block size [bits]; TBS 0 gives BLER 0.
    """
    tab = mcs_table(mcs_table_index)
    m = np.asarray(mcs, dtype=np.int64)
    c, k = code_block_segmentation(tbs_bits, tab.code_rate[m])
    p = code_block_bler(snr_db, m, np.maximum(k, 1), mcs_table_index=mcs_table_index)
    return np.where(c > 0, 1.0 - (1.0 - p) ** np.maximum(c, 1), 0.0)
