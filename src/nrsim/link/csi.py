"""CSI of the slot core: the CQI report of one UE and the report ring between measurement and
the gNB, compiled. The CQI of a subband is :func:`nrsim.link.adaptation.subband_cqi` of the
per-PRB SINRs of all its PRBs: the highest CQI whose transport block over those PRBs (EESM
with the beta of the CQI's MCS) meets 10 % BLER (TS 38.214 V17 5.2.2.1), the same core the
static slot engine calls (:func:`nrsim.engine.slot_kernels.csi_measure`). The wideband CQI
is that of the mutual-information average SINR sampled on each RBG's middle PRB
(:func:`wideband_report`: the band's average, cheap enough for moving call runs).

- ``CQ`` :data:`CQI_DTYPE` [16]: ``thr_db`` / ``thr_lin`` the 10 %-BLER SINR thresholds of CQI
  1..15 and ``beta`` the EESM beta of each CQI's MCS (entry 15: padding, threshold +inf),
  ``sinr_db`` the SINR the gNB assumes for CQI 0..15 [dB].
- ``csi_ring`` float64 [ring, ue, rbg]: measured reports (SINR of the CQI [dB]; wideband: column
  0), ``csi_ok`` bool [ring, ue]: a report was measured in that slot; ``reported_db`` [ue, rbg]
  the gNB's (wideband: all columns equal).
- ``bank`` float32 [row, prb]: the fading power gain of the UE's serving link; ``rbg_first_prb``
  int64 [rbg + 1] the subbands (subband = RBG); ``buf`` float64 [prb] scratch.
- ``s_mw`` the serving link's received power per PRB without fast fading, ``i_prb_mw``
  float64 [prb] the interference plus noise per PRB that the UE measures [mW] (with the
  interferers' fast fading, or the same on every PRB of an RBG without it:
  :func:`nrsim.engine.call_kernels.dl_interference`). The SINR of PRB q is
  ``(s_mw / i_prb_mw[q]) * bank[row, q]``.

Each report also returns two SINR KPIs over the PRBs it read (subband: all; wideband: one per
RBG): the mutual-information average [dB] and the mean SINR [lin].
"""

from __future__ import annotations

import math

import numpy as np

from nrsim.compiled import jit
from nrsim.link.adaptation import subband_cqi

CQI_DTYPE = np.dtype([("thr_db", np.float64), ("thr_lin", np.float64), ("beta", np.float64),
                      ("sinr_db", np.float64)], align=True)


def cqi_records(thr_db, thr_lin, beta, sinr_db):
    """:data:`CQI_DTYPE` [16] from the 15 CQI thresholds [dB] and linear, their 15 EESM betas
    and the 16 CQI SINRs [dB]."""
    c = np.zeros(len(sinr_db), dtype=CQI_DTYPE)
    c["thr_db"][:-1], c["thr_lin"][:-1], c["beta"][:-1] = thr_db, thr_lin, beta
    c["thr_db"][-1] = c["thr_lin"][-1] = np.inf
    c["beta"][-1] = 1.0
    c["sinr_db"] = sinr_db
    return c


@jit
def mi_effective_db(mi_sum: float, n: int) -> float:
    """Effective SINR [dB] of ``n`` resources whose log2(1 + SINR) sum to ``mi_sum``."""
    return 10.0 * math.log10(2.0 ** (mi_sum / n) - 1.0 + 1e-30)


@jit
def prb_sinrs(s_mw, i_prb_mw, bank, row, q0, q1, buf, j0):
    """SINR ``s_mw / i_prb_mw[q]`` x fading gain ``bank[row, q]`` of the PRBs q = q0 .. q1-1 into
    ``buf[j0 + q - q0]`` -> (their sum, the sum of their log2(1 + SINR)) (one log2 of the
    product; the sum of the logs where the product overflows: SINR above ~190 dB, or NaN)."""
    prod = 1.0
    lin = 0.0
    for q in range(q0, q1):
        x = (s_mw / i_prb_mw[q]) * bank[row, q]
        buf[j0 + q - q0] = x
        prod *= 1.0 + x
        lin += x
    if math.isfinite(prod):
        return lin, math.log2(prod)
    mi = 0.0
    for j in range(j0, j0 + q1 - q0):
        mi += math.log2(1.0 + buf[j])
    return lin, mi


def middle_prb_gains(bank: np.ndarray, rbg_first_prb: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """float32 [row, rbg]: the gains ``bank`` [row, prb] of each RBG's middle PRB
    (``(rbg_first_prb[r] + rbg_first_prb[r + 1]) // 2``), the samples of :func:`wideband_report`;
    into ``out`` when given (a bank refilled in place)."""
    mid = (rbg_first_prb[:-1] + rbg_first_prb[1:]) // 2
    if out is None:
        return np.ascontiguousarray(bank[:, mid])
    np.take(bank, mid, axis=1, out=out)
    return out


@jit
def wideband_report(s_mw, i_rbg_mw, bank_mid, row, CQ, csi_ring, ring, u):
    """Wideband CQI of UE u: the CQI of the mutual-information average of the SINRs
    ``s_mw / i_rbg_mw[r]`` x fading gain ``bank_mid[row, r]`` on each RBG r's middle PRB
    (``bank_mid`` float32 [row, rbg]: the bank's gains of those PRBs, ``i_rbg_mw`` [rbg] the
    interference plus noise there [mW]) (the 10 %-BLER thresholds
    of ``CQ``); writes the CQI's SINR to ``csi_ring[ring, u, 0]`` and returns (the effective
    SINR [dB], the wideband SINR KPI; the mean SINR over the sampled PRBs [lin]).

    The sampled gains are a compact copy of the bank's middle-PRB columns: a report of a UE
    with faded interferers reads the k + 1 links' rows, two cache lines each instead of
    eighteen (issue 12 interferer fading; :func:`middle_prb_gains`).

    One PRB per RBG, not all PRBs, and MI, not the EESM of :func:`subband_report`: a wideband
    report needs the band's average, which 18 evenly spaced samples estimate well, while the
    all-PRB MI made moving call runs 10-17 % slower and the all-PRB EESM CQI search 2.4x (issue
    12 note). The subband report, whose per-RBG values the scheduler
    picks from, uses every PRB."""
    n_rbg = bank_mid.shape[1]
    prod = 1.0  # product of (1 + SINR): one log2 for the sum of the logs
    lin = 0.0
    for r in range(n_rbg):
        x = (s_mw / i_rbg_mw[r]) * bank_mid[row, r]
        prod *= 1.0 + x
        lin += x
    if math.isfinite(prod):
        mi = math.log2(prod)
    else:  # overflow (mean SINR above ~170 dB) or NaN: the sum of the logs
        mi = 0.0
        for r in range(n_rbg):
            mi += math.log2(1.0 + (s_mw / i_rbg_mw[r]) * bank_mid[row, r])
    eff_db = mi_effective_db(mi, n_rbg)
    thr = CQ["thr_db"]
    cq = np.searchsorted(thr[:thr.size - 1], eff_db, side="right")  # CQI 0..15
    csi_ring[ring, u, 0] = CQ[cq].sinr_db
    return eff_db, lin / n_rbg


@jit
def subband_report(s_mw, i_prb_mw, bank, row, rbg_first_prb, CQ, buf, csi_ring, ring, u):
    """Subband CQI of UE u, one per RBG: :func:`nrsim.link.adaptation.subband_cqi` of the SINRs
    ``s_mw / i_prb_mw[q]`` x fading gain ``bank[row, q]`` of the RBG's PRBs q; writes the
    CQIs' SINRs to ``csi_ring[ring, u, :]`` and returns the mutual-information average SINR
    over all PRBs [dB] (the wideband SINR KPI) and their mean SINR [lin] (the static slot
    run's ``mean_sinr_db``)."""
    n_rbg = rbg_first_prb.shape[0] - 1
    thr, beta = CQ["thr_lin"], CQ["beta"]
    thr, beta = thr[:thr.size - 1], beta[:beta.size - 1]
    lin = 0.0
    mi = 0.0
    for r in range(n_rbg):
        q0, q1 = rbg_first_prb[r], rbg_first_prb[r + 1]
        l_r, m_r = prb_sinrs(s_mw, i_prb_mw, bank, row, q0, q1, buf, 0)
        csi_ring[ring, u, r] = CQ[subband_cqi(buf, q1 - q0, thr, beta)].sinr_db
        lin += l_r
        mi += m_r
    n_prb = rbg_first_prb[n_rbg]
    return mi_effective_db(mi, n_prb), lin / n_prb


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
