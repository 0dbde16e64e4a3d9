"""CSI of the slot core: the CQI report of one UE and the report ring between measurement and
the gNB, compiled (the subband CQI rule is :func:`nrsim.link.adaptation.cqi_thresholds_met`,
one resource per subband; TS 38.214 V17 5.2.2.1).

- ``CQ`` :data:`CQI_DTYPE` [16]: ``thr_db`` / ``thr_lin`` the 10 %-BLER SINR thresholds of CQI
  1..15 (entry 15: +inf, padding), ``sinr_db`` the SINR the gNB assumes for CQI 0..15 [dB].
- ``csi_ring`` float64 [ring, ue, rbg]: measured reports (SINR of the CQI [dB]; wideband: column
  0), ``csi_ok`` bool [ring, ue]: a report was measured in that slot; ``reported_db`` [ue, rbg]
  the gNB's (wideband: all columns equal).

A wideband report is the CQI of the mutual-information average over one PRB per RBG (the
sum of log2(1 + SINR) taken as the log2 of the product: one log2 per report); a
subband report has one CQI per RBG, measured on its middle PRB (one fading sample per
subband: the EESM over all its PRBs made the slot loop 3x slower, docs/video.md).
"""

from __future__ import annotations

import math

import numpy as np

from nrsim.compiled import jit
from nrsim.link.adaptation import cqi_thresholds_met

CQI_DTYPE = np.dtype([("thr_db", np.float64), ("thr_lin", np.float64), ("sinr_db", np.float64)], align=True)


def cqi_records(thr_db, thr_lin, sinr_db):
    """:data:`CQI_DTYPE` [16] from the 15 CQI thresholds [dB] and linear, and the 16 CQI SINRs [dB]."""
    c = np.zeros(len(sinr_db), dtype=CQI_DTYPE)
    c["thr_db"][:-1], c["thr_lin"][:-1] = thr_db, thr_lin
    c["thr_db"][-1] = c["thr_lin"][-1] = np.inf
    c["sinr_db"] = sinr_db
    return c


@jit
def mi_effective_db(mi_sum: float, n: int) -> float:
    """Effective SINR [dB] of ``n`` resources whose log2(1 + SINR) sum to ``mi_sum``."""
    return 10.0 * math.log10(2.0 ** (mi_sum / n) - 1.0 + 1e-30)


@jit
def wideband_report(inv_lin, bank_rbg, row, CQ, csi_ring, ring, u):
    """Wideband CQI of UE u: SINR ``inv_lin`` x fading gain ``bank_rbg[row, rbg]`` on one PRB
    per RBG, mutual-information average; writes the CQI's SINR to ``csi_ring[ring, u, 0]``
    and returns (the effective SINR [dB], the wideband SINR KPI; the mean SINR over the
    measured PRBs [lin], the static slot run's ``mean_sinr_db``)."""
    n_rbg = bank_rbg.shape[1]
    prod = 1.0  # product of (1 + SINR): one log2 for the sum of the logs
    lin = 0.0
    for r in range(n_rbg):
        x = inv_lin * bank_rbg[row, r]
        prod *= 1.0 + x
        lin += x
    if math.isfinite(prod):
        mi = math.log2(prod)
    else:  # overflow (mean SINR above ~170 dB) or NaN: the sum of the logs
        mi = 0.0
        for r in range(n_rbg):
            mi += math.log2(1.0 + inv_lin * bank_rbg[row, r])
    eff_db = mi_effective_db(mi, n_rbg)
    thr = CQ["thr_db"]
    cq = np.searchsorted(thr[:thr.size - 1], eff_db, side="right")  # CQI 0..15
    csi_ring[ring, u, 0] = CQ[cq].sinr_db
    return eff_db, lin / n_rbg


@jit
def subband_report(s_mw, i_rbg_mw, bank_rbg, row, CQ, csi_ring, ring, u):
    """Subband CQI of UE u, one per RBG: SINR ``s_mw / i_rbg_mw[rbg]`` x fading gain of the
    RBG's middle PRB; writes the CQIs' SINRs to ``csi_ring[ring, u, :]`` and returns the
    mutual-information average over the subbands [dB] (the wideband SINR KPI) and the mean
    SINR over the measured PRBs [lin] (the static slot run's ``mean_sinr_db``)."""
    n_rbg = bank_rbg.shape[1]
    thr = CQ["thr_lin"]
    thr = thr[:thr.size - 1]
    prod = 1.0  # product of (1 + SINR): one log2 for the sum of the logs
    lin = 0.0
    for r in range(n_rbg):
        x = s_mw / i_rbg_mw[r] * bank_rbg[row, r]
        csi_ring[ring, u, r] = CQ[cqi_thresholds_met(thr, x)].sinr_db
        prod *= 1.0 + x
        lin += x
    if math.isfinite(prod):
        return mi_effective_db(math.log2(prod), n_rbg), lin / n_rbg
    mi = 0.0  # overflow (mean SINR above ~170 dB) or NaN: the sum of the logs
    for r in range(n_rbg):
        mi += math.log2(1.0 + s_mw / i_rbg_mw[r] * bank_rbg[row, r])
    return mi_effective_db(mi, n_rbg), lin / n_rbg


@jit
def deliver_reports(t, delay, period, csi_ring, csi_ok, reported_db, subband, fresh):
    """Reports measured ``delay`` slots before slot t reach the gNB: ``reported_db`` [ue, rbg]
    takes them (wideband: column 0 in every column) and ``fresh`` [ue] is set. Reports are
    measured every ``period`` slots by the UEs u with (slot - u) % period == 0 and delivered
    every slot, so only those UEs of the source slot are looked at."""
    src = t - delay
    if src < 0:
        return
    ring = src % csi_ring.shape[0]
    for u in range(src % period, csi_ok.shape[1], period):
        if csi_ok[ring, u]:
            for r in range(reported_db.shape[1]):
                reported_db[u, r] = csi_ring[ring, u, r if subband else 0]
            fresh[u] = True
            csi_ok[ring, u] = False
