"""MU-MIMO user pairing per RBG: greedy proportional-fair selection of semi-orthogonal users.

The semi-orthogonal user selection (SUS) of Yoo & Goldsmith, "On the optimality of
multiantenna broadcast scheduling using zero-forcing beamforming", IEEE JSAC 24(3), 2006,
with the PF metric in place of the channel norm and the ZF sum rate as stopping rule
(greedy user selection with a rate criterion as in Dimic & Sidiropoulos, "On downlink
beamforming with greedy user selection", IEEE Trans. Signal Process. 53(10), 2005):

1. Start with the UE of largest SU PF metric  sum_layers log2(1 + SINR_SU) / R_avg.
2. Repeatedly try every UE not yet chosen whose principal layer channel is semi-orthogonal to
   the principal layer channel of each chosen UE (|g_u^H g_v| / (||g_u|| ||g_v||) < epsilon,
   the SUS test) and whose layers fit under the cell's layer limit; estimate the group's PF
   metric with ZF over all layers and equal power per layer:
       rate_u = sum_{layers i of u} log2(1 + SINR_SU,u,i * (L_u / L) * eta_i),
       eta_i  = 1 / ([(G G^H)^-1]_ii ||g_i||^2)   (the ZF power loss of layer i, <= 1),
   with L the group's layer count; add the UE that gives the largest group metric if that
   exceeds the current one, else stop.

SINR_SU,u,i is UE u's SINR on its layer i when it alone gets the cell's power, split over
its L_u layers. Power is split equally over the L layers of the group (1/L each).
The function is pure, vectorised over leading axes (e.g. [cell]) and the RBG axis; the
engine's scheduler calls it per slot with its PF averages.

Computation (compiled, one problem = one cell and RBG at a time): no Gram matrix is inverted
per candidate. The group's inverse Gram (G G^H)^-1 is kept and grown by the block-inverse
(Schur complement) formula when a UE joins; each candidate c keeps B_c = G g_c^H,
X_c = (G G^H)^-1 B_c and its Schur complement S_c = g_c g_c^H - B_c^H X_c (the Gram of its
layers' components orthogonal to the group: incremental Gram-Schmidt), updated by rank-L_a
corrections when UE a joins. Then [(G' G'^H)^-1]_ii = [(G G^H)^-1]_ii + [X_c S_c^-1 X_c^H]_ii
for the group's rows and [S_c^-1]_jj for the candidate's (Golub & Van Loan, "Matrix
Computations", 4th ed., 2013, 3.2.11 and 6.5 for the updates). A candidate whose S_c has a
Cholesky pivot^2 at or below GRAM_RCOND times the group's largest row energy is not
zero-forceable (its layers are, numerically, in the span of the others) and is refused.
Optional shortlist: per cell and RBG only the ``shortlist`` eligible UEs of the largest SU PF
metric sum_layers log2(1 + SINR_SU) / R_avg are candidates (ties: lower UE index).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.compiled import jit, jit_parallel
from nrsim.errors import ConfigError
from nrsim.mimo.smallmat import chol_inv_diag, chol_inverse, cholesky_inplace, cross_row_into, gram_into


@dataclass(frozen=True)
class MuGroups:
    """Co-scheduled UEs per RBG.

    selected : bool [..., ue, rbg]
    n_layers : int64 [..., rbg]          layers of the group (0 if nobody is scheduled)
    power_share : float64 [..., rbg]     1 / n_layers (0 if empty): share of the cell power per layer
    est_se_bps_hz : float64 [..., ue, rbg]  estimated spectral efficiency of each chosen UE [bit/s/Hz]
    """

    selected: NDArray[np.bool_]
    n_layers: NDArray[np.int64]
    power_share: NDArray[np.float64]
    est_se_bps_hz: NDArray[np.float64]


GRAM_RCOND = 1e-10
"""A candidate whose layers keep, beyond the span of the group's and its own earlier layers,
an energy (Cholesky pivot^2 of its Schur complement) at or below this fraction of the group's
largest row energy is not zero-forceable: it is refused."""


@jit
def _eta(inv_diag, norm2):
    """ZF power loss 1 / ([(G G^H)^-1]_ii ||g_i||^2), clipped to [0, 1] (0 for a zero row)."""
    if not norm2 > 0.0:
        return 0.0
    e = 1.0 / (inv_diag * norm2)
    return min(max(e, 0.0), 1.0)


@jit
def _pair_range(gp, sp, nlp, wp, ep, max_layers, epsilon, shortlist, split, sel, n_rows_out, est, lo, hi):
    """Greedy PF SUS per problem p = (lead, rbg) (module docstring); gp [lead, ue, rbg, layer, tx],
    sp [lead, ue, rbg, layer], nlp int [lead, ue], wp = 1 / R_avg [lead, ue], ep bool
    [lead, ue, rbg], read in place (strided, no per-problem copy); writes sel [p, ue],
    n_rows_out [p] and est [p, ue] (zeroed by the caller)."""
    n_ue, n_rbg, l_ue, n_tx = gp.shape[1], gp.shape[2], gp.shape[3], gp.shape[4]
    big_l = max_layers
    r_norm2 = np.zeros(big_l)
    r_sinr = np.zeros(big_l)
    r_nl = np.zeros(big_l)
    r_w = np.zeros(big_l)
    r_owner = np.zeros(big_l, np.int64)
    ginv = np.zeros((big_l, big_l), np.complex128)
    bmat = np.zeros((n_ue, big_l, l_ue), np.complex128)
    xmat = np.zeros((n_ue, big_l, l_ue), np.complex128)
    smat = np.zeros((n_ue, l_ue, l_ue), np.complex128)
    gn2 = np.zeros((n_ue, l_ue))
    g0n = np.zeros((n_ue, n_tx), np.complex128)
    alive = np.zeros(n_ue, np.bool_)
    su = np.zeros(n_ue)
    chol = np.zeros((l_ue, l_ue), np.complex128)
    work = np.zeros((l_ue, l_ue), np.complex128)
    sinv = np.zeros((l_ue, l_ue), np.complex128)
    sdiag = np.zeros(l_ue)
    zvec = np.zeros(l_ue, np.complex128)
    xs = np.zeros((big_l, l_ue), np.complex128)
    emat = np.zeros((l_ue, l_ue), np.complex128)
    ymat = np.zeros((l_ue, l_ue), np.complex128)
    dvec = np.zeros(l_ue, np.complex128)
    for p in range(lo, hi):
        ld, rb = p // n_rbg, p % n_rbg
        gq, sq, eq = gp[ld, :, rb], sp[ld, :, rb], ep[ld, :, rb]  # [ue, layer, tx], [ue, layer], [ue]
        nlq, wq = nlp[ld], wp[ld]  # [ue]
        # eligibility, principal-layer directions, own Grams
        n_alive = 0
        for u in range(n_ue):
            nl = nlq[u]
            n0 = 0.0
            for t in range(n_tx):
                n0 += gq[u, 0, t].real ** 2 + gq[u, 0, t].imag ** 2
            alive[u] = eq[u] and nl <= big_l and n0 > 0.0
            if not alive[u]:
                continue
            n_alive += 1
            inv0 = 1.0 / math.sqrt(n0)
            for t in range(n_tx):
                g0n[u, t] = gq[u, 0, t] * inv0
            gram_into(gq[u], nl, n_tx, smat[u])  # own Gram g_u g_u^H
            for j in range(nl):
                gn2[u, j] = smat[u, j, j].real
        if shortlist < n_alive:
            for u in range(n_ue):
                su[u] = -np.inf
                if alive[u]:
                    acc = 0.0
                    for j in range(nlq[u]):
                        acc += np.log2(1.0 + sq[u, j])
                    su[u] = wq[u] * acc
            order = np.argsort(-su, kind="mergesort")
            for i in range(shortlist, n_ue):
                alive[order[i]] = False
        n = 0
        metric = 0.0
        max_norm2 = 0.0
        while True:
            best = -1
            best_score = -np.inf
            for u in range(n_ue):
                if not alive[u]:
                    continue
                nl = nlq[u]
                if n + nl > big_l:
                    alive[u] = False
                    continue
                m_norm2 = max_norm2
                for j in range(nl):
                    chol[j, :nl] = smat[u, j, :nl]
                    m_norm2 = max(m_norm2, gn2[u, j])
                if not cholesky_inplace(chol, nl):
                    continue
                ok = True
                for j in range(nl):
                    if not chol[j, j].real ** 2 > GRAM_RCOND * m_norm2:
                        ok = False
                if not ok:
                    continue
                chol_inv_diag(chol, nl, work, sdiag)
                l_tot = float(n + nl)
                score = 0.0
                prod = 1.0  # per UE, one log2 of the product of its layers' (1 + SINR)
                for i in range(n):  # the group's rows: [X S^-1 X^H]_ii = || L^-1 x_i^H ||^2
                    q = 0.0
                    for j in range(nl):
                        acc = np.conj(xmat[u, i, j])
                        for t in range(j):
                            acc -= chol[j, t] * zvec[t]
                        zvec[j] = acc / chol[j, j].real
                        q += zvec[j].real ** 2 + zvec[j].imag ** 2
                    eta = _eta(ginv[i, i].real + q, r_norm2[i])
                    prod *= 1.0 + r_sinr[i] * (r_nl[i] / l_tot if split else 1.0) * eta
                    if i == n - 1 or r_owner[i + 1] != r_owner[i]:  # a UE's rows are contiguous
                        score += r_w[i] * np.log2(prod)
                        prod = 1.0
                for j in range(nl):
                    eta = _eta(sdiag[j], gn2[u, j])
                    prod *= 1.0 + sq[u, j] * (nl / l_tot if split else 1.0) * eta
                score += wq[u] * np.log2(prod)
                if score > best_score:
                    best_score = score
                    best = u
            if best < 0 or not best_score > metric:
                break
            # UE a joins: grow (G G^H)^-1 by the block-inverse formula
            a = best
            la = nlq[a]
            for j in range(la):
                chol[j, :la] = smat[a, j, :la]
            cholesky_inplace(chol, la)
            chol_inverse(chol, la, work, sinv)
            for i in range(n):
                for j in range(la):
                    acc = 0j
                    for k in range(la):
                        acc += xmat[a, i, k] * sinv[k, j]
                    xs[i, j] = acc
            for i in range(n):
                for k in range(n):
                    acc = 0j
                    for j in range(la):
                        acc += xs[i, j] * np.conj(xmat[a, k, j])
                    ginv[i, k] += acc
                for j in range(la):
                    ginv[i, n + j] = -xs[i, j]
                    ginv[n + j, i] = -np.conj(xs[i, j])
            for j in range(la):
                for k in range(la):
                    ginv[n + j, n + k] = sinv[j, k]
                r_norm2[n + j] = gn2[a, j]
                r_sinr[n + j] = sq[a, j]
                r_nl[n + j] = la
                r_w[n + j] = wq[a]
                r_owner[n + j] = a
                max_norm2 = max(max_norm2, gn2[a, j])
            alive[a] = False
            sel[p, a] = True
            # update the other candidates: SUS test, then B, X, S by the rank-la correction
            for c in range(n_ue):
                if not alive[c]:
                    continue
                acc = 0j
                for t in range(n_tx):
                    acc += g0n[c, t] * np.conj(g0n[a, t])
                if abs(acc) >= epsilon:
                    alive[c] = False
                    continue
                lc = nlq[c]
                for j in range(la):  # D = g_a g_c^H into B_c's new rows; E = D - B_a^H X_c
                    cross_row_into(gq[a, j], gq[c], lc, n_tx, dvec)
                    for k in range(lc):
                        d = dvec[k]
                        bmat[c, n + j, k] = d
                        e = d
                        for i in range(n):
                            e -= np.conj(bmat[a, i, j]) * xmat[c, i, k]
                        emat[j, k] = e
                for j in range(la):  # Y = S_a^-1 E
                    for k in range(lc):
                        acc = 0j
                        for i in range(la):
                            acc += sinv[j, i] * emat[i, k]
                        ymat[j, k] = acc
                for i in range(n):
                    for k in range(lc):
                        acc = 0j
                        for j in range(la):
                            acc += xmat[a, i, j] * ymat[j, k]
                        xmat[c, i, k] -= acc
                for j in range(la):
                    for k in range(lc):
                        xmat[c, n + j, k] = ymat[j, k]
                for k in range(lc):
                    for m in range(lc):
                        acc = 0j
                        for j in range(la):
                            acc += np.conj(emat[j, k]) * ymat[j, m]
                        smat[c, k, m] -= acc
            n += la
            metric = best_score
        for i in range(n):
            eta = _eta(ginv[i, i].real, r_norm2[i])
            est[p, r_owner[i]] += np.log2(1.0 + r_sinr[i] * (r_nl[i] / n if split else 1.0) * eta)
        n_rows_out[p] = n


PAIR_CHUNK = 16
"""Problems (cell x RBG) per thread task of :func:`_pair_kernel`."""


@jit_parallel
def _pair_kernel(gp, sp, nlp, wp, ep, max_layers, epsilon, shortlist, split, sel, n_rows_out, est):
    """:func:`_pair_range` over every problem, PAIR_CHUNK problems per thread task."""
    n_p = gp.shape[0] * gp.shape[2]
    n_chunk = (n_p + PAIR_CHUNK - 1) // PAIR_CHUNK
    for c in numba.prange(n_chunk):
        _pair_range(gp, sp, nlp, wp, ep, max_layers, epsilon, shortlist, split, sel, n_rows_out, est,
                    c * PAIR_CHUNK, min(n_p, (c + 1) * PAIR_CHUNK))


def pair_users(g: ArrayLike, sinr_su_lin: ArrayLike, n_layers: ArrayLike, avg_throughput: ArrayLike, *,
               max_layers: int, epsilon: float = 0.5, eligible: ArrayLike | None = None,
               shortlist: int | None = None, power_split: bool = True) -> MuGroups:
    """Greedy PF semi-orthogonal MU-MIMO pairing per RBG (module docstring).

    Parameters
    ----------
    g : complex [..., ue, rbg, layer, tx]
        Layer channels of each UE (e.g. sigma_i v_i^H of its SRS channel,
        :func:`nrsim.mimo.precoding.layer_channels`, or its CSI precoder columns scaled by
        the layer gains), strongest layer first; rows at or beyond ``n_layers`` are ignored.
    sinr_su_lin : float [..., ue, rbg, layer]
        SU SINR per layer (linear) with the cell's power split over the UE's own layers.
    n_layers : int [..., ue]
        Layers (rank) of each UE, 1..layer.
    avg_throughput : float [..., ue]
        PF average throughput (any positive unit; only ratios matter).
    max_layers : co-scheduled layers per cell and RBG (e.g. 8 or 16).
    epsilon : SUS semi-orthogonality threshold on the principal layers' normalised
        correlation, in (0, 1]; 1 admits every pair that is not exactly collinear.
    eligible : bool [..., ue, rbg], optional
        UEs that may be scheduled on each RBG (e.g. with data); default all.
    shortlist : int, optional
        Candidates per cell and RBG: the ``shortlist`` eligible UEs of the largest SU PF
        metric (default: all).
    power_split : bool
        True (downlink): the cell's power is split equally over the group's L layers, so a
        UE's SU SINR on layer i is scaled by (L_u / L) eta_i. False (uplink MU-MIMO, SRS-based
        pairing with ``g`` the UEs' receive signatures at the base station): every UE keeps
        its own transmit power, the scaling is eta_i only (the ZF receiver's noise
        enhancement; ``power_share`` is then still 1 / n_layers, for bookkeeping only).

    Returns
    -------
    :class:`MuGroups`.
    """
    g = np.asarray(g, dtype=np.complex128)
    if g.ndim < 4:
        raise ConfigError(f"g must be [..., ue, rbg, layer, tx]; got shape {g.shape}", field="g")
    if not isinstance(max_layers, (int, np.integer)) or max_layers < 1:
        raise ConfigError(f"max_layers = {max_layers!r} must be a whole number >= 1", field="max_layers")
    if not 0.0 < epsilon <= 1.0:
        raise ConfigError(f"epsilon = {epsilon!r} must be in (0, 1]", field="epsilon")
    if shortlist is not None and (not isinstance(shortlist, (int, np.integer)) or shortlist < 1):
        raise ConfigError(f"shortlist = {shortlist!r} must be None or a whole number >= 1", field="shortlist")
    lead, (n_ue, n_rbg, l_ue, n_tx) = g.shape[:-4], g.shape[-4:]
    sinr = np.broadcast_to(np.asarray(sinr_su_lin, dtype=np.float64), g.shape[:-1])
    n_l = np.broadcast_to(np.asarray(n_layers, dtype=np.int64), lead + (n_ue,))
    avg = np.broadcast_to(np.asarray(avg_throughput, dtype=np.float64), lead + (n_ue,))
    elig = (np.ones(lead + (n_ue, n_rbg), bool) if eligible is None
            else np.broadcast_to(np.asarray(eligible, dtype=bool), lead + (n_ue, n_rbg)))
    if n_l.size and (n_l.min() < 1 or n_l.max() > l_ue):
        raise ConfigError(f"n_layers must be in 1..{l_ue}", field="n_layers")
    if np.any(avg <= 0):
        raise ConfigError("avg_throughput must be > 0", field="avg_throughput")
    # problems p = (lead, rbg) flattened: [p, ue, ...]
    n_lead = int(np.prod(lead, dtype=np.int64))
    n_p = n_lead * n_rbg
    if n_ue == 0 or n_p == 0:
        return MuGroups(selected=np.zeros(lead + (n_ue, n_rbg), bool), n_layers=np.zeros(lead + (n_rbg,), np.int64),
                        power_share=np.zeros(lead + (n_rbg,)), est_se_bps_hz=np.zeros(lead + (n_ue, n_rbg)))
    gp = g.reshape((n_lead, n_ue, n_rbg, l_ue, n_tx))  # a view: the kernel reads problem (lead, rbg) in place
    sp = np.ascontiguousarray(sinr).reshape((n_lead, n_ue, n_rbg, l_ue))
    nlp = np.ascontiguousarray(n_l).reshape(n_lead, n_ue)
    wp = np.ascontiguousarray(1.0 / avg).reshape(n_lead, n_ue)
    ep = np.ascontiguousarray(elig).reshape((n_lead, n_ue, n_rbg))
    sel = np.zeros((n_p, n_ue), bool)
    n_rows = np.zeros(n_p, np.int64)
    est = np.zeros((n_p, n_ue))
    _pair_kernel(gp, sp, nlp, wp, ep, int(max_layers), float(epsilon), n_ue if shortlist is None else int(shortlist),
                 bool(power_split),
                 sel, n_rows, est)

    def back(a: NDArray, tail: tuple[int, ...] = ()) -> NDArray:
        return np.moveaxis(a.reshape((n_lead, n_rbg, n_ue) + tail), 1, 2).reshape(lead + (n_ue, n_rbg) + tail)

    n_group = n_rows.reshape(lead + (n_rbg,))
    with np.errstate(divide="ignore"):
        share = np.where(n_group > 0, 1.0 / np.maximum(n_group, 1), 0.0)
    return MuGroups(selected=back(sel), n_layers=n_group, power_share=share, est_se_bps_hz=back(est))
