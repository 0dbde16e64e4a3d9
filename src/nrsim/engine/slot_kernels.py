"""Compiled per-slot kernels of the slot-level simulation (numba, cached).

Shared conventions (all powers per PRB, linear):
- ``link_cell`` int64 [ue, link]: cells of each UE's modelled links, link 0 = serving cell.
- ``link_rx_mw`` float64 [ue, link]: received power per PRB without fast fading [mW]
  (transmit power per PRB x coupling gain).
- ``rows`` int64 [ue, link]: row of the fading bank each link reads in this slot.
- ``bank`` float32 [row, prb]: fast-fading power gain |H|^2 (unit mean).
- ``rbg_first_prb`` int64 [rbg + 1]: RBG r holds PRBs rbg_first_prb[r] .. rbg_first_prb[r+1]-1.
- ``active`` bool [cell, rbg]: cells transmitting on each RBG in the slot.
- ``resid_mw`` float64 [ue]: interference of the cells without a modelled link (wideband,
  no fast fading), per PRB [mW].

Per-PRB DL SINR (TR 38.901 fast fading on top of the large-scale gains):
    sinr[u, p] = S_u |h_u0(p)|^2 / (sum_k active[c_k, rbg(p)] I_uk |h_uk(p)|^2 + resid[u] + N)
EESM over the PRBs of a transmission with the shared accumulator of
:mod:`nrsim.link.adaptation` (``eesm_add`` / ``eesm_value``).
"""

from __future__ import annotations

import numba
import numpy as np

from nrsim.compiled import jit
from nrsim.link.adaptation import eesm_add, eesm_value, subband_cqi

# Serial on purpose: per slot each kernel runs for about a millisecond, where thread start-up
# and, on a shared 2-core machine, contention cost more than they gain (measured: 2 OpenMP
# threads 5-9x slower than 1 under load). ``prange`` marks the loops that could run parallel.
_pjit = jit

MAX_RBG_PRB = 16
"""Largest nominal RBG (TS 38.214 Table 5.1.2.2.1-1): the kernels' per-RBG scratch size."""


@jit
def _rbg_sinr(u, r, p0, n, link_cell, link_rx_mw, rows, bank, active, resid_mw, noise_mw, out):
    """Per-PRB SINR of UE u on the n PRBs p0.. of RBG r into out[:n] (link by link, so the
    inner loops run over contiguous PRBs of one bank row)."""
    base = resid_mw[u] + noise_mw
    for j in range(n):
        out[j] = base
    for k in range(1, link_cell.shape[1]):
        if active[link_cell[u, k], r]:
            g = link_rx_mw[u, k]
            row = rows[u, k]
            for j in range(n):
                out[j] += g * bank[row, p0 + j]
    s0 = link_rx_mw[u, 0]
    row0 = rows[u, 0]
    for j in range(n):
        out[j] = s0 * bank[row0, p0 + j] / out[j]


@_pjit
def dl_tx_sinr(tx_ue, tx_rbg, tx_beta, rbg_first_prb, link_cell, link_rx_mw, rows, bank,
               active, resid_mw, noise_mw, out_eff_lin, out_n_prb):
    """EESM effective SINR (linear) and PRB count of each DL transmission.

    tx_ue int64 [tx]; tx_rbg bool [tx, rbg]; tx_beta float64 [tx] (EESM beta of its MCS)."""
    n_rbg = tx_rbg.shape[1]
    buf = np.empty(MAX_RBG_PRB)
    for i in numba.prange(tx_ue.shape[0]):
        u = tx_ue[i]
        beta = tx_beta[i]
        m = -np.inf  # running max of -sinr/beta (log-sum-exp)
        acc = 0.0
        n_tot = 0
        for r in range(n_rbg):
            if not tx_rbg[i, r]:
                continue
            p0 = rbg_first_prb[r]
            n = rbg_first_prb[r + 1] - p0
            _rbg_sinr(u, r, p0, n, link_cell, link_rx_mw, rows, bank, active, resid_mw, noise_mw, buf)
            for j in range(n):
                m, acc = eesm_add(buf[j], beta, m, acc)
            n_tot += n
        out_n_prb[i] = n_tot
        out_eff_lin[i] = eesm_value(beta, m, acc, n_tot)


@_pjit
def csi_measure(meas_ue, rbg_first_prb, link_cell, link_rx_mw, rows, bank, active, resid_mw,
                noise_mw, cqi_thr_lin, cqi_beta, out_cqi, out_wb_sinr_lin):
    """Subband CQI (one subband per RBG, :func:`nrsim.link.adaptation.subband_cqi` over the
    subband's PRBs) and wideband mean SINR of measuring UEs."""
    n_rbg = rbg_first_prb.shape[0] - 1
    buf = np.empty(MAX_RBG_PRB)
    for i in numba.prange(meas_ue.shape[0]):
        u = meas_ue[i]
        tot = 0.0
        n_tot = 0
        for r in range(n_rbg):
            p0 = rbg_first_prb[r]
            n = rbg_first_prb[r + 1] - p0
            _rbg_sinr(u, r, p0, n, link_cell, link_rx_mw, rows, bank, active, resid_mw, noise_mw, buf)
            s_r = 0.0
            for j in range(n):
                s_r += buf[j]
            tot += s_r
            n_tot += n
            out_cqi[i, r] = subband_cqi(buf, n, cqi_thr_lin, cqi_beta)
        out_wb_sinr_lin[i] = tot / max(n_tot, 1)


@jit
def reserve_retx(cand_ue, cand_rbg, serving, n_cells, n_rbg):
    """Give each retransmission candidate (in priority order) its original RBGs when they are
    all still free in its cell. Returns (ok bool [cand], reserved bool [cell, rbg])."""
    reserved = np.zeros((n_cells, n_rbg), dtype=np.bool_)
    ok = np.zeros(cand_ue.shape[0], dtype=np.bool_)
    for i in range(cand_ue.shape[0]):
        c = serving[cand_ue[i]]
        free = True
        for r in range(n_rbg):
            if cand_rbg[i, r] and reserved[c, r]:
                free = False
                break
        if free:
            for r in range(n_rbg):
                if cand_rbg[i, r]:
                    reserved[c, r] = True
            ok[i] = True
    return ok, reserved


@_pjit
def ul_interference(tx_ue, tx_rbg, tx_p_prb_mw, rbg_first_prb, serving, gain_lin, link_cell,
                    rows, bank, n_prb, out_i_mw):
    """Uplink interference per cell and PRB [cell, prb] from the transmissions of UEs served by
    other cells: P_prb(u) G[u, c] |h_uc(p)|^2, with the fast fading of the link when c is one
    of the UE's modelled links (reciprocal to the downlink), else without."""
    n_cells = out_i_mw.shape[0]
    n_rbg = tx_rbg.shape[1]
    n_link = link_cell.shape[1]
    for c in numba.prange(n_cells):
        for p in range(n_prb):
            out_i_mw[c, p] = 0.0
        for i in range(tx_ue.shape[0]):
            u = tx_ue[i]
            if serving[u] == c:
                continue
            g = tx_p_prb_mw[i] * gain_lin[u, c]
            row = -1
            for k in range(n_link):
                if link_cell[u, k] == c:
                    row = rows[u, k]
                    break
            for r in range(n_rbg):
                if not tx_rbg[i, r]:
                    continue
                for p in range(rbg_first_prb[r], rbg_first_prb[r + 1]):
                    if row >= 0:
                        out_i_mw[c, p] += g * bank[row, p]
                    else:
                        out_i_mw[c, p] += g


@_pjit
def ul_tx_sinr(tx_ue, tx_rbg, tx_p_prb_mw, tx_beta, rbg_first_prb, serving, serving_gain_lin,
               rows, bank, i_mw, noise_mw, out_eff_lin, out_mean_lin):
    """EESM effective SINR and mean per-PRB SINR (linear) of each uplink transmission at its
    serving gNB: P_prb G |h(p)|^2 / (I[c, p] + N)."""
    n_rbg = tx_rbg.shape[1]
    for i in numba.prange(tx_ue.shape[0]):
        u = tx_ue[i]
        c = serving[u]
        beta = tx_beta[i]
        s0 = tx_p_prb_mw[i] * serving_gain_lin[u]
        m = -np.inf
        acc = 0.0
        tot = 0.0
        n = 0
        for r in range(n_rbg):
            if not tx_rbg[i, r]:
                continue
            for p in range(rbg_first_prb[r], rbg_first_prb[r + 1]):
                g = s0 * bank[rows[u, 0], p] / (i_mw[c, p] + noise_mw)
                tot += g
                m, acc = eesm_add(g, beta, m, acc)
                n += 1
        out_eff_lin[i] = eesm_value(beta, m, acc, n)
        out_mean_lin[i] = tot / n if n > 0 else 0.0


@jit
def split_contiguous(sel_cell, reserved):
    """Equal contiguous shares of each cell's free RBGs among its selected UEs.

    sel_cell int64 [sel] (grouped by cell, in the order the shares are handed out);
    reserved bool [cell, rbg]. Share j of k takes free RBGs floor(j F / k) .. floor((j+1) F / k) - 1
    of the cell's F free RBGs (in index order). Returns bool [sel, rbg]."""
    n_sel = sel_cell.shape[0]
    n_rbg = reserved.shape[1]
    out = np.zeros((n_sel, n_rbg), dtype=np.bool_)
    free = np.empty(n_rbg, dtype=np.int64)
    i = 0
    while i < n_sel:
        c = sel_cell[i]
        j = i
        while j < n_sel and sel_cell[j] == c:
            j += 1
        k = j - i
        f = 0
        for r in range(n_rbg):
            if not reserved[c, r]:
                free[f] = r
                f += 1
        for q in range(k):
            a = (q * f) // k
            b = ((q + 1) * f) // k
            for t in range(a, b):
                out[i + q, free[t]] = True
        i = j
    return out
