"""The compiled pairing (incremental Schur-complement / Gram-Schmidt updates) against an
independent NumPy oracle (eigendecomposition of every candidate group's Gram matrix), and the
PF shortlist against the full candidate set."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.errors import ConfigError
from nrsim.mimo.pairing import pair_users

# --- the NumPy oracle: every candidate group's Gram inverse from its eigendecomposition ---

GRAM_RCOND = 1e-10


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



def _oracle_pair(g, sinr_su_lin, n_layers, avg_throughput, *, max_layers, epsilon=0.5, eligible=None):
    """The greedy PF pairing written plainly in NumPy (inputs valid: pair_users checks them)."""
    g = np.asarray(g, dtype=np.complex128)
    lead, (n_ue, n_rbg, l_ue, n_tx) = g.shape[:-4], g.shape[-4:]
    sinr = np.broadcast_to(np.asarray(sinr_su_lin, dtype=np.float64), g.shape[:-1])
    n_l = np.broadcast_to(np.asarray(n_layers, dtype=np.int64), lead + (n_ue,))
    avg = np.broadcast_to(np.asarray(avg_throughput, dtype=np.float64), lead + (n_ue,))
    elig = (np.ones(lead + (n_ue, n_rbg), bool) if eligible is None
            else np.broadcast_to(np.asarray(eligible, dtype=bool), lead + (n_ue, n_rbg)))
    n_lead = int(np.prod(lead, dtype=np.int64))  # problems p = (lead, rbg) flattened: [p, ue, ...]
    n_p = n_lead * n_rbg
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
    return back(sel), n_group, back(est)



def _problem(rng, n_cell, n_ue, n_rbg, l_ue, n_tx, corr=0.0):
    """Random layer channels; ``corr`` mixes in a direction common to the cell's UEs."""
    g = (rng.standard_normal((n_cell, n_ue, n_rbg, l_ue, n_tx))
         + 1j * rng.standard_normal((n_cell, n_ue, n_rbg, l_ue, n_tx)))
    common = rng.standard_normal((n_cell, 1, n_rbg, 1, n_tx)) + 1j * rng.standard_normal((n_cell, 1, n_rbg, 1, n_tx))
    g = np.sqrt(1 - corr) * g + np.sqrt(corr) * common
    g *= np.linspace(1.0, 0.3, l_ue)[:, None]  # weaker later layers
    sinr = 10 ** rng.uniform(-0.5, 3, (n_cell, n_ue, n_rbg, l_ue))
    nl = rng.integers(1, l_ue + 1, (n_cell, n_ue))
    avg = rng.uniform(0.3, 3.0, (n_cell, n_ue))
    return g, sinr, nl, avg


@pytest.mark.parametrize("shape,max_layers,eps,corr",
                         [((4, 6, 3, 2, 8), 6, 0.9, 0.0), ((3, 10, 2, 4, 32), 16, 0.6, 0.3),
                          ((2, 8, 2, 1, 4), 4, 1.0, 0.5), ((2, 12, 2, 3, 16), 8, 0.8, 0.7)])
def test_compiled_pairing_equals_numpy_oracle(shape, max_layers, eps, corr) -> None:
    rng = np.random.default_rng(sum(shape))
    g, sinr, nl, avg = _problem(rng, *shape, corr=corr)
    elig = rng.random(shape[:3]) < 0.85
    got = pair_users(g, sinr, nl, avg, max_layers=max_layers, epsilon=eps, eligible=elig)
    sel, n_group, est = _oracle_pair(g, sinr, nl, avg, max_layers=max_layers, epsilon=eps, eligible=elig)
    np.testing.assert_array_equal(got.selected, sel)
    np.testing.assert_array_equal(got.n_layers, n_group)
    np.testing.assert_allclose(got.est_se_bps_hz, est, rtol=1e-9, atol=1e-12)
    assert got.selected.any(axis=-2).all()  # every RBG serves somebody


SHORTLIST_SAME_GROUP = 0.6
"""Share of (cell, RBG) whose group with a shortlist of 6 of 12 UEs equals the full search's
(measured 0.75 on this problem, 0.69 with seed 13; 0.96 / 0.93 with a shortlist of 8)."""
SHORTLIST_METRIC = 0.98
"""PF metric sum_u est_se_u / R_avg,u over all (cell, RBG), shortlist of 6 / full (measured
0.994; 0.9998 with 8)."""
SHORTLIST_SE = 0.95
"""Estimated sum SE, shortlist of 6 / full (measured 0.971; 0.997 with 8)."""


def test_shortlist_agrees_with_the_full_candidate_set() -> None:
    rng = np.random.default_rng(12)
    g, sinr, nl, avg = _problem(rng, 20, 12, 4, 2, 32, corr=0.3)
    full = pair_users(g, sinr, nl, avg, max_layers=8, epsilon=0.7)
    short = pair_users(g, sinr, nl, avg, max_layers=8, epsilon=0.7, shortlist=6)
    same = np.all(full.selected == short.selected, axis=-2)
    assert same.mean() >= SHORTLIST_SAME_GROUP
    pf = [(r.est_se_bps_hz / avg[..., None]).sum() for r in (full, short)]
    assert pf[1] >= SHORTLIST_METRIC * pf[0]
    assert short.est_se_bps_hz.sum() >= SHORTLIST_SE * full.est_se_bps_hz.sum()
    # only shortlisted UEs (the 6 best SU PF metrics per cell and RBG) are ever chosen
    su = (np.log2(1 + sinr) * (np.arange(2) < nl[..., None, None])).sum(-1) / avg[..., None]  # [cell, ue, rbg]
    rank = np.argsort(np.argsort(-su, axis=1, kind="stable"), axis=1)
    assert not np.any(short.selected & (rank >= 6))
    all_ = pair_users(g, sinr, nl, avg, max_layers=8, epsilon=0.7, shortlist=12)
    np.testing.assert_array_equal(all_.selected, full.selected)
    with pytest.raises(ConfigError, match="shortlist"):
        pair_users(g, sinr, nl, avg, max_layers=8, shortlist=0)
