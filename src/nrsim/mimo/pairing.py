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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.errors import ConfigError


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
"""A group whose layer Gram matrix has an eigenvalue below this fraction of its largest is
not zero-forceable (linearly dependent layers): such a candidate group is refused."""


def _zf_eta(rows: NDArray, valid: NDArray) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """eta_i = 1 / ([(G G^H)^-1]_ii ||g_i||^2) of the valid rows (0 elsewhere) and whether the
    group is zero-forceable; rows [..., L, tx], valid bool [..., L]. Padded rows get a unit
    diagonal so the Gram stays block-diagonal; the inverse's diagonal comes from the
    eigendecomposition, sum_k |V_ik|^2 / lambda_k."""
    gram = rows @ np.conj(np.swapaxes(rows, -1, -2))
    norm2 = np.real(np.diagonal(gram, axis1=-2, axis2=-1)).copy()
    scale = np.maximum(np.max(np.where(valid, norm2, 0.0), axis=-1), np.finfo(float).tiny)
    # padded rows: unit diagonal at the group's scale (keeps the conditioning honest)
    gram = gram + np.eye(rows.shape[-2]) * ((~valid) * scale[..., None])[..., None]
    lam, vec = np.linalg.eigh(gram)
    ok = lam[..., 0] > GRAM_RCOND * lam[..., -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        d = ((np.abs(vec) ** 2) / lam[..., None, :]).sum(axis=-1)
        eta = 1.0 / (d * norm2)
    eta = np.where(valid & (norm2 > 0) & ok[..., None], np.clip(eta, 0.0, 1.0), 0.0)
    return eta, ok


def _row_rates(sinr: NDArray, n_l: NDArray, l_tot: NDArray, eta: NDArray) -> NDArray[np.float64]:
    """log2(1 + SINR_SU (L_u / L) eta) per row (0 where eta = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(l_tot > 0, n_l / l_tot, 0.0)
    return np.log2(1.0 + sinr * share * eta)


def pair_users(g: ArrayLike, sinr_su_lin: ArrayLike, n_layers: ArrayLike, avg_throughput: ArrayLike, *,
               max_layers: int, epsilon: float = 0.5, eligible: ArrayLike | None = None) -> MuGroups:
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
    gp = np.moveaxis(g.reshape((n_lead, n_ue, n_rbg, l_ue, n_tx)), 2, 1).reshape(n_p, n_ue, l_ue, n_tx)
    sp = np.moveaxis(sinr.reshape((n_lead, n_ue, n_rbg, l_ue)), 2, 1).reshape(n_p, n_ue, l_ue)
    nlp = np.repeat(n_l.reshape(n_lead, 1, n_ue), n_rbg, axis=1).reshape(n_p, n_ue)
    wp = np.repeat(1.0 / avg.reshape(n_lead, 1, n_ue), n_rbg, axis=1).reshape(n_p, n_ue)
    ep = np.moveaxis(elig.reshape((n_lead, n_ue, n_rbg)), 2, 1).reshape(n_p, n_ue)
    row_ok = np.arange(l_ue) < nlp[..., None]  # [p, ue, layer]
    gp = np.where(row_ok[..., None], gp, 0.0)
    sp = np.where(row_ok, sp, 0.0)
    ep = ep & (nlp <= max_layers) & (np.linalg.norm(gp[:, :, 0], axis=-1) > 0)

    # normalised principal layers and their pairwise correlation [p, ue, ue]
    g0 = gp[:, :, 0]
    g0n = g0 / np.maximum(np.linalg.norm(g0, axis=-1, keepdims=True), np.finfo(float).tiny)
    corr = np.abs(g0n @ np.conj(np.swapaxes(g0n, -1, -2)))

    sel = np.zeros((n_p, n_ue), bool)
    rows = np.zeros((n_p, max_layers, n_tx), np.complex128)
    r_valid = np.zeros((n_p, max_layers), bool)
    r_sinr = np.zeros((n_p, max_layers))
    r_nl = np.zeros((n_p, max_layers))
    r_w = np.zeros((n_p, max_layers))
    r_owner = np.zeros((n_p, max_layers), np.int64)
    n_rows = np.zeros(n_p, np.int64)
    metric = np.zeros(n_p)
    active = np.ones(n_p, bool)
    pidx = np.arange(n_p)

    for _ in range(max_layers):
        # candidate groups: chosen rows + the candidate's rows  [p, ue, max_layers + l_ue, tx]
        cand_rows = np.concatenate([np.broadcast_to(rows[:, None], (n_p, n_ue, max_layers, n_tx)), gp], axis=2)
        cand_valid = np.concatenate([np.broadcast_to(r_valid[:, None], (n_p, n_ue, max_layers)), row_ok], axis=2)
        eta, zf_ok = _zf_eta(cand_rows, cand_valid)
        l_tot = (n_rows[:, None] + nlp).astype(np.float64)  # [p, ue]
        c_sinr = np.concatenate([np.broadcast_to(r_sinr[:, None], (n_p, n_ue, max_layers)), sp], axis=2)
        c_nl = np.concatenate([np.broadcast_to(r_nl[:, None], (n_p, n_ue, max_layers)),
                               np.broadcast_to(nlp[..., None], (n_p, n_ue, l_ue)).astype(float)], axis=2)
        c_w = np.concatenate([np.broadcast_to(r_w[:, None], (n_p, n_ue, max_layers)),
                              np.broadcast_to(wp[..., None], (n_p, n_ue, l_ue))], axis=2)
        rate = _row_rates(c_sinr, c_nl, l_tot[..., None], eta)
        cand_metric = (c_w * rate).sum(axis=-1)  # [p, ue]
        orth = ~np.any(sel[:, None, :] & (corr >= epsilon), axis=-1)  # [p, ue]
        feasible = active[:, None] & ep & ~sel & orth & (l_tot <= max_layers) & zf_ok
        score = np.where(feasible, cand_metric, -np.inf)
        best = np.argmax(score, axis=-1)
        best_score = score[pidx, best]
        take = best_score > metric
        if not np.any(take):
            break
        active &= take
        for j in range(l_ue):  # append the chosen UE's rows
            put = take & (j < nlp[pidx, best])
            pos = np.minimum(n_rows + j, max_layers - 1)
            p_put = pidx[put]
            rows[p_put, pos[put]] = gp[p_put, best[put], j]
            r_valid[p_put, pos[put]] = True
            r_sinr[p_put, pos[put]] = sp[p_put, best[put], j]
            r_nl[p_put, pos[put]] = nlp[p_put, best[put]]
            r_w[p_put, pos[put]] = wp[p_put, best[put]]
            r_owner[p_put, pos[put]] = best[put]
        sel[pidx[take], best[take]] = True
        n_rows = np.where(take, n_rows + nlp[pidx, best], n_rows)
        metric = np.where(take, best_score, metric)

    # final estimate per UE: the group's ZF rates summed over each UE's rows
    eta, _ = _zf_eta(rows, r_valid)
    rate_rows = _row_rates(r_sinr, r_nl, n_rows[:, None].astype(float), eta)  # [p, max_layers]
    est = np.zeros((n_p, n_ue))
    np.add.at(est, (np.repeat(pidx[:, None], max_layers, 1)[r_valid], r_owner[r_valid]), rate_rows[r_valid])

    def back(a: NDArray, tail: tuple[int, ...] = ()) -> NDArray:
        return np.moveaxis(a.reshape((n_lead, n_rbg, n_ue) + tail), 1, 2).reshape(lead + (n_ue, n_rbg) + tail)

    n_group = n_rows.reshape(lead + (n_rbg,))
    with np.errstate(divide="ignore"):
        share = np.where(n_group > 0, 1.0 / np.maximum(n_group, 1), 0.0)
    return MuGroups(selected=back(sel), n_layers=n_group, power_share=share, est_se_bps_hz=back(est))

