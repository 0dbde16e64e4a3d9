"""CSI selection for the Type I single-panel codebook: RI, PMI (i1 wideband, i2 per subband)
and CQI per subband from a channel estimate (TS 38.214 V17 5.2.2.1, 5.2.2.2.1, 5.2.1.4).

The UE model, stated (the spec leaves the choice to the UE implementation):

1. Per rank v, per codebook entry W and per channel sample n of each subband, the per-layer
   post-MMSE-IRC SINR of H W (1 / [(I + A^H A)^-1]_kk - 1 of the whitened A, as
   :func:`nrsim.mimo.receiver.whitened_mmse_sinr`, compiled in
   :func:`nrsim.mimo.smallmat.whitened_sinr_into`; the covariance R of noise plus
   interference given by the caller).
2. PMI by mutual information (Schwarz, Wrulich & Rupp, "Mutual information based calculation
   of the precoding matrix indicator for 3GPP UMTS/LTE", WSA 2010): per subband the i2 that
   maximises C = sum_{n, layer} log2(1 + SINR) (per entry and sample
   -log2 prod_layer [(I + A^H A)^-1]_kk, :func:`nrsim.mimo.smallmat.whitened_mmse_capacity`:
   one factorisation and one logarithm); the wideband i1 that maximises the sum over
   subbands of that best C (capacities within CAPACITY_TIE_RTOL are ties, won by the lower
   index). Over every i1 (exhaustive) or, with ``n_beam_candidates``, only the i1 that use
   one of the strongest DFT beams of the wideband channel covariance (i1 preselection,
   :func:`select_csi`).
3. CQI per subband (one codeword for ranks 1-4): EESM over the layers and samples of the
   subband with the beta of each CQI's MCS (:func:`cqi_from_layer_sinr`); the highest CQI
   whose effective SINR reaches its 10 %-BLER threshold (CQI table 1, SINR thresholds of
   ``nrsim.link``).
4. RI maximises the estimated throughput v * sum_subbands SE(CQI_sb) (SE in bit per resource
   element per layer from TS 38.214 Table 5.2.2.1-2); ties go to the lower rank
   (Schwarz, Mehlfuehrer & Rupp, "Calculation of the spatial preprocessing and link
   adaption feedback for 3GPP UMTS/LTE", Wireless Advanced 2010: RI, PMI and CQI chosen
   jointly to maximise the expected rate).

Channel scaling: ``h`` is the channel from the CSI-RS ports with the PDSCH power per
resource element folded in (y = H W x + z, unit-power layers, ||W||_F = 1: the power is split
evenly over the layers), i.e. the PDSCH EPRE equals the CSI-RS EPRE times the port count.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.compiled import jit, jit_parallel
from nrsim.errors import ConfigError
from nrsim.link import cqi_sinr_thresholds_db, cqi_table, eesm_effective_sinr_lin, mcs_table
from nrsim.mimo.codebook import Type1Codebook, Type1Config, dft_beam, index_ranges, type1_codebook
from nrsim.mimo.smallmat import whitened_mmse_capacity, whitened_sinr_into
from nrsim.units import lin_to_db

DEFAULT_THRESHOLD_SET = "vienna_lte_ll_dl_bler10"
"""SINR-to-CQI thresholds (CQI table 1, 10 % BLER) of ``nrsim.link.tables``."""


@functools.lru_cache(maxsize=None)
def _codebook(cfg: Type1Config, rank: int) -> Type1Codebook:
    return type1_codebook(cfg, rank)


@functools.lru_cache(maxsize=None)
def _cqi_betas() -> NDArray[np.float64]:
    """EESM beta of CQI 1..15 of CQI table 1: the beta of the MCS (MCS table 1) with the same
    (Qm, R); CQI 1 (QPSK 78/1024, no such MCS) takes MCS 0's."""
    table = cqi_table(1)
    out = mcs_table(1).eesm_beta[table.mcs_same_qm_r].copy()
    out.setflags(write=False)
    return out


def cqi_from_layer_sinr(sinr_lin: ArrayLike, *, threshold_set: str = DEFAULT_THRESHOLD_SET) -> NDArray[np.int64]:
    """CQI (0..15, CQI table 1 of TS 38.214 Table 5.2.2.1-2) of one codeword over its
    resource elements and layers.

    Parameters
    ----------
    sinr_lin : float [..., n]
        Per-layer (and per-sample) SINR, linear, of the codeword.

    Returns
    -------
    int64 [...]: the highest CQI c whose EESM effective SINR with beta_c is >= the 10 %-BLER
    threshold of c; 0 (out of range) when none.
    """
    g = np.asarray(sinr_lin, dtype=np.float64)
    thr_db = cqi_sinr_thresholds_db(threshold_set)  # [15]
    eff = eesm_effective_sinr_lin(g[..., None, :], _cqi_betas())  # [..., 15]
    with np.errstate(divide="ignore"):
        ok = lin_to_db(eff) >= thr_db
    return np.max(np.where(ok, np.arange(1, 16), 0), axis=-1).astype(np.int64)


def cqi_spectral_efficiency_per_layer(cqi: ArrayLike) -> NDArray[np.float64]:
    """Qm R [bit per resource element per layer] of CQI 0..15 (0 for CQI 0), TS 38.214 Table
    5.2.2.1-2."""
    eff = np.concatenate([[0.0], cqi_table(1).spectral_efficiency_bit_per_re])
    return eff[np.asarray(cqi, dtype=np.int64)]


@dataclass(frozen=True)
class CsiReport:
    """One CSI report per leading index ``[...]`` (e.g. ``[ue]``).

    ri : int64 [...]           rank (1..4)
    i1 : int64 [..., 3]        (i1,1, i1,2, i1,3), wideband
    i2 : int64 [..., sb]       per subband
    cqi : int64 [..., sb]      per subband (0..15)
    cqi_wideband : int64 [...] EESM over every subband
    se_bit_per_re : float64 [..., sb]  ri * SE(CQI) per subband [bit/RE], the RI criterion
    """

    ri: NDArray[np.int64]
    i1: NDArray[np.int64]
    i2: NDArray[np.int64]
    cqi: NDArray[np.int64]
    cqi_wideband: NDArray[np.int64]
    se_bit_per_re: NDArray[np.float64]

    def updated(self, ues: ArrayLike, new: CsiReport) -> CsiReport:
        """This report ``[ue]`` with the rows ``ues`` replaced by ``new`` (leading shape
        ``[len(ues)]``, e.g. ``select_csi(h[ues], ...)`` for :func:`staggered_csi_ues`)."""
        idx = np.asarray(ues, dtype=np.int64)
        if self.ri.ndim != 1 or new.ri.shape != idx.shape:
            raise ConfigError(f"updated() needs a [ue] report and one new row per UE; got {self.ri.shape} "
                              f"and {new.ri.shape} for {idx.shape} UEs", field="ues")
        out = {}
        for f in ("ri", "i1", "i2", "cqi", "cqi_wideband", "se_bit_per_re"):
            a = getattr(self, f).copy()
            a[idx] = getattr(new, f)
            out[f] = a
        return CsiReport(**out)


def _whiten(h: NDArray, noise_cov: ArrayLike | None, noise_w: ArrayLike | None) -> NDArray:
    if (noise_cov is None) == (noise_w is None):
        raise ConfigError("give exactly one of noise_cov and noise_w", field="noise")
    if noise_cov is not None:
        chol = np.linalg.cholesky(np.asarray(noise_cov, dtype=np.complex128))
        return np.linalg.solve(chol, h)
    nw = np.asarray(noise_w, dtype=np.float64)
    return h / np.sqrt(nw).reshape(nw.shape + (1,) * (h.ndim - nw.ndim))


# ---------------------------------------------------------------------------------------------
# Structure of the Type I codebook used by both searches: every column is c (x) v / sqrt(r P),
# a DFT beam v (v_lm over N1 N2 ports, or v~_lm over N1 N2 / 2 ports for P >= 16 ranks 3-4)
# repeated over the port blocks (2 polarisation blocks, or 4 half-polarisation blocks) with one
# unit-modulus coefficient per block (1, phi_n, theta_p, signs). So H W needs only the beam
# projections y_p(v) = H_p v of the beams in use, and w^H R w = c^H Q(v) c / (r P) with
# Q(v)_pq = v^H R_pq v.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _BeamStructure:
    """One rank of a codebook as beams x block coefficients.

    n1b, n2b : ports of one block along dimensions 1 and 2 (N1 or N1/2, N2).
    m1, m2 : DFT grid size (O1 N1 or O1 N1 / 2, O2 N2); beam g = l m2 + m.
    grid : complex128 [g, n1b n2b]   the beams v_g
    scale : 1 / sqrt(rank P_CSI-RS)
    col_beam : int64 [i1, i2, rank]      beam of each column
    col_coef : complex128 [i1, i2, rank, block]  coefficient of each block (column = scale coef (x) v)
    type_beam, type_coef : int64 [t], complex128 [t, block]  the distinct (beam, coefficients
        with the first block of each polarisation set to 1) of all columns
    row_beams, row_n_beams : int64 [i1, k], [i1]  the distinct beams of each i1 row
    phase1, phase2 : complex128 [m1, 2 n1b - 1], [m2, 2 n2b - 1]  exp(j 2 pi l d1 / m1) and
        exp(j 2 pi m d2 / m2) for the port-index differences d1 in -(n1b-1)..n1b-1 and
        d2 in -(n2b-1)..n2b-1: the beam grid's phase exp(j 2 pi (l d1 / m1 + m d2 / m2)) is
        their product (separable, so the beam powers of the whole grid cost
        (2 n1b - 1) m2 (2 n2b - 1) + m1 m2 (2 n1b - 1) products per block pair instead of
        m1 m2 (2 n1b - 1)(2 n2b - 1)).
    score_key : the grid and the set of column types: ranks with the same key (e.g. ranks 1
        and 2 of Type I, whose columns use the same beams and co-phasings) have the same beam
        scores, computed once per report (:func:`select_csi`).
    """

    n1b: int
    n2b: int
    m1: int
    m2: int
    grid: NDArray[np.complex128]
    scale: float
    col_beam: NDArray[np.int64]
    col_coef: NDArray[np.complex128]
    type_beam: NDArray[np.int64]
    type_coef: NDArray[np.complex128]
    row_beams: NDArray[np.int64]
    row_n_beams: NDArray[np.int64]
    phase1: NDArray[np.complex128]
    phase2: NDArray[np.complex128]
    score_key: tuple


@functools.lru_cache(maxsize=None)
def _beam_structure(cfg: Type1Config, rank: int) -> _BeamStructure:
    cb = _codebook(cfg, rank)
    half = rank >= 3 and cfg.n_ports >= 16
    if cfg.n_ports == 2:  # (N1, N2) = (1, 1): one port per polarisation, the "beam" is 1
        n1b, n2b, m1, m2 = 1, 1, 1, 1
    else:
        n1b, n2b = (cfg.n1 // 2 if half else cfg.n1), cfg.n2
        m1, m2 = (cfg.n1 * cfg.o1 // (2 if half else 1)), cfg.n2 * cfg.o2
    n_blk = 4 if half else 2
    blk = n1b * n2b
    gl, gm = np.meshgrid(np.arange(m1), np.arange(m2), indexing="ij")
    grid = (dft_beam(gl.ravel(), gm.ravel(), cfg.n1, cfg.n2, cfg.o1, cfg.o2, half=half) if cfg.n_ports > 2
            else np.ones((1, 1), np.complex128))  # [g, blk]
    scale = 1.0 / np.sqrt(rank * cfg.n_ports)
    w = cb.w / scale  # unit-modulus entries [i1, i2, tx, r]
    blocks = np.moveaxis(w.reshape(w.shape[:2] + (n_blk, blk, rank)), -1, 2)  # [i1, i2, r, block, blk]
    coef = blocks[..., 0].copy()  # v[0] = 1, so each block's first entry is its coefficient
    v = blocks[..., 0, :] / coef[..., :1]  # [i1, i2, r, blk]
    corr = np.abs(v.reshape(-1, blk) @ np.conj(grid).T)  # [col, g]
    col_beam = np.argmax(corr, axis=-1).reshape(v.shape[:3]).astype(np.int64)
    rebuilt = coef[..., :, None] * grid[col_beam][..., None, :]
    if not np.allclose(rebuilt, blocks, atol=1e-9):  # pragma: no cover - a codebook outside Type I
        raise ConfigError(f"rank {rank} of {cfg} is not a DFT-beam (x) block-coefficient codebook", field="codebook")
    per_pol = coef.reshape(coef.shape[:3] + (2, n_blk // 2))
    norm = (per_pol / per_pol[..., :1]).reshape(-1, n_blk)  # [col, block]
    key = np.concatenate([col_beam.reshape(-1, 1), np.round(norm.real * 1e6), np.round(norm.imag * 1e6)], axis=1)
    _, first = np.unique(key, axis=0, return_index=True)
    type_beam = col_beam.reshape(-1)[first]
    type_coef = norm[first]
    per_row = [np.unique(col_beam[e]) for e in range(col_beam.shape[0])]
    row_n_beams = np.array([len(x) for x in per_row], np.int64)
    row_beams = np.zeros((len(per_row), int(row_n_beams.max())), np.int64)
    for e, x in enumerate(per_row):
        row_beams[e, :len(x)] = x
    d1 = np.arange(-(n1b - 1), n1b)
    d2 = np.arange(-(n2b - 1), n2b)
    phase1 = np.exp(2j * np.pi * np.arange(m1)[:, None] * d1[None, :] / m1)
    phase2 = np.exp(2j * np.pi * np.arange(m2)[:, None] * d2[None, :] / m2)
    type_coef = np.ascontiguousarray(type_coef)
    coef_key = np.round(np.concatenate([type_coef.real, type_coef.imag], axis=1) * 1e6) + 0.0  # no -0.0
    score_key = (n1b, n2b, m1, m2, n_blk, type_beam.tobytes(), coef_key.tobytes())
    out = _BeamStructure(n1b, n2b, m1, m2, np.ascontiguousarray(grid), float(scale), col_beam,
                         np.ascontiguousarray(coef), type_beam, type_coef, row_beams, row_n_beams,
                         phase1, phase2, score_key)
    for arr in (out.grid, out.col_beam, out.col_coef, out.type_beam, out.type_coef, out.row_beams,
                out.row_n_beams, out.phase1, out.phase2):
        arr.setflags(write=False)
    return out


# ---------------------------------------------------------------------------------------------
# i1 preselection from the wideband beam power
# ---------------------------------------------------------------------------------------------


@jit_parallel
def _wideband_cov_kernel(hw, out):
    """out[b] = sum over subbands, samples and receive antennas of hw^H hw [tx, tx] (compiled,
    one report per thread task: a batched BLAS product of this size stalls for up to a second
    when its threads compete for busy cores)."""
    n_b, n_sb, n_s, n_rx, n_tx = hw.shape
    for b in numba.prange(n_b):
        out[b] = 0.0
        for s in range(n_sb):
            for t in range(n_s):
                for a in range(n_rx):
                    for i in range(n_tx):
                        x = np.conj(hw[b, s, t, a, i])
                        for j in range(i, n_tx):
                            out[b, i, j] += x * hw[b, s, t, a, j]
        for i in range(n_tx):
            for j in range(i + 1, n_tx):
                out[b, j, i] = np.conj(out[b, i, j])


@jit
def _beam_scores_one(r, n_blk, n1b, n2b, phase1, phase2, type_beam, type_coef, c, tmp, q, score):
    """score[g] of one wideband covariance r [tx, tx]: Q(g)_ps = v_g^H R_ps v_g of every grid
    beam for the block pairs (p, s) of the same polarisation (R folded by port-index
    difference into c [p, s, d1, d2], then the separable DFT: over d2 with phase2 into
    tmp [d1, m], over d1 with phase1), the power c^H Q(beam) c of every column type (only
    same-polarisation pairs, Q Hermitian), a beam's score its best type's (-inf without one)."""
    blk = n1b * n2b
    per_pol = n_blk // 2
    m1, m2 = phase1.shape[0], phase2.shape[0]
    n_d1, n_d2 = phase1.shape[1], phase2.shape[1]
    c[:, :, :, :] = 0.0
    for p in range(n_blk):
        for s in range(p, (p // per_pol + 1) * per_pol):
            for i in range(blk):
                for j in range(blk):
                    d1 = j // n2b - i // n2b + n1b - 1
                    d2 = j % n2b - i % n2b + n2b - 1
                    c[p, s, d1, d2] += r[p * blk + i, s * blk + j]
    for p in range(n_blk):
        for s in range(p, (p // per_pol + 1) * per_pol):
            for a in range(n_d1):
                for m in range(m2):
                    acc = 0j
                    for e in range(n_d2):
                        acc += phase2[m, e] * c[p, s, a, e]
                    tmp[a, m] = acc
            for ll in range(m1):
                for m in range(m2):
                    acc = 0j
                    for a in range(n_d1):
                        acc += phase1[ll, a] * tmp[a, m]
                    q[ll * m2 + m, p, s] = acc
    score[:] = -np.inf
    for t in range(type_beam.shape[0]):
        g = type_beam[t]
        pw = 0.0
        for p in range(n_blk):
            cp = type_coef[t, p]
            pw += (cp.real * cp.real + cp.imag * cp.imag) * q[g, p, p].real
            for s in range(p + 1, (p // per_pol + 1) * per_pol):
                pw += 2.0 * (np.conj(cp) * q[g, p, s] * type_coef[t, s]).real
        if pw > score[g]:
            score[g] = pw


@jit_parallel
def _beam_scores_kernel(r, n_blk, n1b, n2b, phase1, phase2, type_beam, type_coef, scores):
    """:func:`_beam_scores_one` for every wideband covariance r [b, tx, tx] into scores [b, g]."""
    n_b = r.shape[0]
    n_d1, n_d2 = phase1.shape[1], phase2.shape[1]
    for b in numba.prange(n_b):
        c = np.empty((n_blk, n_blk, n_d1, n_d2), np.complex128)
        tmp = np.empty((n_d1, phase2.shape[0]), np.complex128)
        q = np.empty((scores.shape[1], n_blk, n_blk), np.complex128)
        _beam_scores_one(r[b], n_blk, n1b, n2b, phase1, phase2, type_beam, type_coef, c, tmp, q, scores[b])


@jit
def _candidate_rows_kernel(scores, row_beams, row_n_beams, n_beams, rows, n_rows):
    """Per b: the ``n_beams`` beams of the largest score (ties: lower beam index) and the i1
    rows with a column on one of them (ascending) into rows[b, :n_rows[b]]."""
    n_b, n_g = scores.shape
    chosen = np.zeros(n_g, np.bool_)
    for b in range(n_b):
        chosen[:] = False
        for _ in range(min(n_beams, n_g)):  # the next best beam not yet chosen; NaN ranks as -inf
            best = -1
            best_v = -np.inf
            for g in range(n_g):
                v = scores[b, g]
                if v != v:
                    v = -np.inf
                if not chosen[g] and (best < 0 or v > best_v):
                    best = g
                    best_v = v
            chosen[best] = True
        cnt = 0
        for e1 in range(row_beams.shape[0]):
            hit = False
            for k in range(row_n_beams[e1]):
                if chosen[row_beams[e1, k]]:
                    hit = True
            if hit:
                rows[b, cnt] = e1
                cnt += 1
        n_rows[b] = cnt


def _beam_scores(r_wb: NDArray, st: _BeamStructure) -> NDArray[np.float64]:
    """Wideband power score of every grid beam, float64 [b, g], from r_wb [b, tx, tx]."""
    scores = np.empty((r_wb.shape[0], st.m1 * st.m2))
    _beam_scores_kernel(r_wb, st.col_coef.shape[-1], st.n1b, st.n2b, st.phase1, st.phase2, st.type_beam,
                        st.type_coef, scores)
    return scores


def _i1_candidates(r_wb: NDArray, cfg: Type1Config, rank: int, n_beams: int,
                   scores: NDArray | None = None) -> tuple[NDArray, NDArray]:
    """i1 rows to search per wideband covariance r_wb [b, tx, tx]: every row with a column on
    one of the ``n_beams`` beams of the largest wideband power (``scores``
    [b, g] of :func:`_beam_scores` when already computed for a rank of the same score_key);
    (rows [b, k] ascending in their first n_rows[b] entries, n_rows [b])."""
    st = _beam_structure(cfg, rank)
    if scores is None:
        scores = _beam_scores(r_wb, st)
    rows = np.zeros((r_wb.shape[0], st.col_coef.shape[0]), np.int64)
    n_rows = np.zeros(r_wb.shape[0], np.int64)
    _candidate_rows_kernel(scores, st.row_beams, st.row_n_beams, n_beams, rows, n_rows)
    return rows[:, :max(1, int(n_rows.max()))].copy(), n_rows


# ---------------------------------------------------------------------------------------------
# the search over the candidate i1 (all of them for the exhaustive search), i2 and rank
# ---------------------------------------------------------------------------------------------

CAPACITY_TIE_RTOL = 1e-9
"""Capacities (sum log2(1 + SINR)) of two PMIs within this relative distance are a tie, won
by the lower index: some entries are the same beams with the layers permuted (e.g. rank 3-4,
P < 16, i1,3 offsets of N1 O1 / 2), equal in exact arithmetic, and the rounding of the sum
must not choose between them."""


@jit
def _rank_search_range(hw, grid, scale, col_beam, col_coef, cand, n_cand, best_i1, best_i2, sinr_out, lo, hi):
    """Per leading entry b of hw [b, sb, n, rx, tx]: over the i1 rows cand[b, :n_cand[b]]
    (ascending) of the codebook (grid, scale, col_beam, col_coef of :class:`_BeamStructure`),
    the i2 per subband maximising sum_{n, layer} log2(1 + SINR) and the i1 maximising its sum
    over subbands (first maximum wins, as numpy.argmax, with capacities within
    CAPACITY_TIE_RTOL taken as equal); writes best_i1 [b], best_i2 [b, sb] and the chosen SINR
    [b, sb, n, r]. H W is assembled from the projections y_p = H_p v of the beams in use."""
    n_sb, n_s, n_rx = hw.shape[1], hw.shape[2], hw.shape[3]
    n_i2, rank, n_blk = col_coef.shape[1], col_coef.shape[2], col_coef.shape[3]
    n_g, blk = grid.shape
    loc = np.empty(n_g, np.int64)
    used = np.empty(n_g, np.int64)
    y = np.empty((n_g, n_sb, n_s, n_blk, n_rx), np.complex128)
    a = np.empty((n_rx, rank), np.complex128)
    m = np.empty((rank, rank), np.complex128)
    work = np.empty((rank, rank), np.complex128)
    cur = np.empty(n_sb, np.int64)
    for b in range(lo, hi):
        loc[:] = n_g
        n_used = 0
        for ci in range(n_cand[b]):
            e1 = cand[b, ci]
            for e2 in range(n_i2):
                for k in range(rank):
                    g = col_beam[e1, e2, k]
                    if loc[g] == n_g:
                        loc[g] = n_used
                        used[n_used] = g
                        n_used += 1
        for u in range(n_used):
            g = used[u]
            for s in range(n_sb):
                for t in range(n_s):
                    for p in range(n_blk):
                        yv = y[u, s, t, p]
                        yv[:] = 0.0
                        for i in range(blk):  # the receive antennas as independent sums
                            gv = grid[g, i]
                            for r in range(n_rx):
                                yv[r] += hw[b, s, t, r, p * blk + i] * gv
                        for r in range(n_rx):
                            yv[r] *= scale
        best_total = 0.0
        for ci in range(n_cand[b]):
            e1 = cand[b, ci]
            total = 0.0
            for s in range(n_sb):
                best_c = 0.0
                for e2 in range(n_i2):
                    cap = 0.0
                    for t in range(n_s):
                        _assemble(y, loc, col_beam, col_coef, e1, e2, s, t, a)
                        cap += whitened_mmse_capacity(a, n_rx, rank, m)
                    if e2 == 0 or cap > best_c + CAPACITY_TIE_RTOL * abs(best_c):
                        best_c = cap
                        cur[s] = e2
                total += best_c
            if ci == 0 or total > best_total + CAPACITY_TIE_RTOL * abs(best_total):
                best_total = total
                best_i1[b] = e1
                best_i2[b, :] = cur
        for s in range(n_sb):
            for t in range(n_s):
                _assemble(y, loc, col_beam, col_coef, best_i1[b], best_i2[b, s], s, t, a)
                whitened_sinr_into(a, n_rx, rank, m, work, sinr_out[b, s, t])


CSI_CHUNK = 4
"""Reports per thread task of :func:`_rank_search_kernel` (each is about 0.1-0.5 ms)."""


@jit_parallel
def _rank_search_kernel(hw, grid, scale, col_beam, col_coef, cand, n_cand, best_i1, best_i2, sinr_out):
    """:func:`_rank_search_range` over every report, CSI_CHUNK reports per thread task."""
    n_b = hw.shape[0]
    n_chunk = (n_b + CSI_CHUNK - 1) // CSI_CHUNK
    for c in numba.prange(n_chunk):
        _rank_search_range(hw, grid, scale, col_beam, col_coef, cand, n_cand, best_i1, best_i2, sinr_out,
                           c * CSI_CHUNK, min(n_b, (c + 1) * CSI_CHUNK))


@jit
def _assemble(y, loc, col_beam, col_coef, e1, e2, s, t, out):
    """out[:, k] = sum_p coef_p y_p(beam of column k): the whitened H W of one entry."""
    n_blk, n_rx = y.shape[3], y.shape[4]
    for k in range(out.shape[1]):
        u = loc[col_beam[e1, e2, k]]
        for r in range(n_rx):
            acc = 0j
            for p in range(n_blk):
                acc += col_coef[e1, e2, k, p] * y[u, s, t, p, r]
            out[r, k] = acc


def _rank_search(hw: NDArray, r_wb: NDArray, cfg: Type1Config, rank: int, n_beam_candidates: int | None,
                 threshold_set: str, score_cache: dict):
    """Best PMI and its subband CQI for one rank; hw [b, sb, n, rx, tx] whitened, r_wb
    [b, tx, tx] its wideband covariance; score_cache: beam scores by score_key, shared by the
    ranks of one call. Returns (i1 [b, 3], i2 [b, sb], cqi [b, sb], se [b, sb], the chosen
    entry's SINR [b, sb, n, rank])."""
    cb = _codebook(cfg, rank)
    st = _beam_structure(cfg, rank)
    n_b, n_sb, n_s = hw.shape[:3]
    if n_beam_candidates is None or n_beam_candidates >= st.m1 * st.m2:
        cand = np.broadcast_to(np.arange(cb.n_i1, dtype=np.int64), (n_b, cb.n_i1))
        n_cand = np.full(n_b, cb.n_i1, np.int64)
    else:
        if st.score_key not in score_cache:
            score_cache[st.score_key] = _beam_scores(r_wb, st)
        cand, n_cand = _i1_candidates(r_wb, cfg, rank, n_beam_candidates, score_cache[st.score_key])
    i1 = np.zeros(n_b, np.int64)
    i2 = np.zeros((n_b, n_sb), np.int64)
    chosen = np.zeros((n_b, n_sb, n_s, rank))
    _rank_search_kernel(hw, st.grid, st.scale, st.col_beam, st.col_coef, np.ascontiguousarray(cand), n_cand,
                        i1, i2, chosen)
    cqi = cqi_from_layer_sinr(chosen.reshape(chosen.shape[:2] + (-1,)), threshold_set=threshold_set)
    se = cb.rank * cqi_spectral_efficiency_per_layer(cqi)  # [b, sb]
    return cb.i1[i1], i2, cqi, se, chosen


DEFAULT_BEAM_CANDIDATES = 4
"""Beams per rank whose i1 the engine should search (:func:`select_csi`
``n_beam_candidates``); the agreement with the exhaustive search is in docs/mimo.md and
tests/mimo/test_csi_fast.py."""


def select_csi(h: ArrayLike, cfg: Type1Config, *, noise_cov: ArrayLike | None = None,
               noise_w: ArrayLike | None = None, ranks: tuple[int, ...] = (1, 2, 3, 4),
               threshold_set: str = DEFAULT_THRESHOLD_SET, chunk: int = 64,
               n_beam_candidates: int | None = None) -> CsiReport:
    """RI, PMI and CQI per subband maximising the estimated throughput (module docstring).

    Parameters
    ----------
    h : complex [..., sb, n, rx, tx]
        Channel estimate per subband and sample n (e.g. PRBs of the subband) from the
        P_CSI-RS ports (tx = 2 N1 N2, CSI-RS port order, :func:`panel_to_csirs_ports`) with
        the PDSCH power per RE folded in [sqrt(W)].
    cfg : the codebook configuration (P_CSI-RS = tx).
    noise_cov : complex [..., sb, n, rx, rx], optional
        Noise-plus-interference covariance per RE [W] (IRC receiver); or
    noise_w : float [...], optional
        White noise-plus-interference power per RE and antenna [W].
    ranks : ranks tried (those above min(rx, P) or the codebook's maximum are skipped).
    chunk : leading entries processed at once (bounds the memory of the whitening).
    n_beam_candidates : int, optional
        None (default): exhaustive search over every i1. Otherwise, per rank, the i1
        preselection: every column of the codebook is c (x) v, a DFT beam v (v_lm, or v~_lm
        for P >= 16 ranks 3-4) times one coefficient per port block; its wideband power is
        c^H Q(v) c with Q(v)_pq = v^H R_pq v, R the wideband covariance of the whitened
        channel (summed over subbands, samples and receive antennas), over port blocks p, q
        of the same polarisation (the co-phasing across polarisations, i2, is left to the
        per-subband search). A beam scores its best column's power; only the i1 with a
        column on one of the ``n_beam_candidates`` best beams are searched, with every i2
        per subband. :data:`DEFAULT_BEAM_CANDIDATES` for the engine.

    Returns
    -------
    :class:`CsiReport` with leading shape ``[...]``.
    """
    h = np.asarray(h, dtype=np.complex128)
    if h.ndim < 4 or h.shape[-1] != cfg.n_ports:
        raise ConfigError(f"h must be [..., sb, n, rx, {cfg.n_ports}] for {cfg}; got shape {h.shape}",
                          field="h")
    if n_beam_candidates is not None and (not isinstance(n_beam_candidates, (int, np.integer))
                                          or n_beam_candidates < 1):
        raise ConfigError(f"n_beam_candidates = {n_beam_candidates!r} must be None or a whole number >= 1",
                          field="n_beam_candidates")
    max_rank = min(h.shape[-2], cfg.n_ports, 2 if cfg.n_ports == 2 else 4)
    use = tuple(r for r in ranks if 1 <= r <= max_rank)
    if not use:
        raise ConfigError(f"no rank of {ranks} is possible (max {max_rank})", field="ranks")
    lead = h.shape[:-4]
    n_sb = h.shape[-4]
    n_b = int(np.prod(lead, dtype=np.int64))
    h_flat = h.reshape((n_b,) + h.shape[-4:])
    cov_flat = (None if noise_cov is None else
                np.broadcast_to(np.asarray(noise_cov, dtype=np.complex128), lead + h.shape[-4:-1] + (h.shape[-2],))
                .reshape((n_b,) + h.shape[-4:-1] + (h.shape[-2],)))
    nw_flat = (None if noise_w is None else
               np.broadcast_to(np.asarray(noise_w, dtype=np.float64), lead).reshape(n_b))
    ri = np.zeros(n_b, np.int64)
    i1 = np.zeros((n_b, 3), np.int64)
    i2 = np.zeros((n_b, n_sb), np.int64)
    cqi = np.zeros((n_b, n_sb), np.int64)
    cqi_wb = np.zeros(n_b, np.int64)
    se = np.full((n_b, n_sb), -1.0)
    for start in range(0, n_b, max(1, chunk)):
        sl = slice(start, min(n_b, start + max(1, chunk)))
        hw = np.ascontiguousarray(_whiten(h_flat[sl], None if cov_flat is None else cov_flat[sl],
                                          None if nw_flat is None else nw_flat[sl]))
        cov_wb = np.empty((hw.shape[0], hw.shape[-1], hw.shape[-1]), np.complex128)
        _wideband_cov_kernel(hw, cov_wb)  # [b, tx, tx]
        score_cache: dict = {}
        chosen = {}
        for rank in use:
            r_i1, r_i2, r_cqi, r_se, chosen[rank] = _rank_search(hw, cov_wb, cfg, rank, n_beam_candidates,
                                                                 threshold_set, score_cache)
            better = r_se.sum(axis=-1) > se[sl].sum(axis=-1)  # strict: ties keep the lower rank
            ri[sl] = np.where(better, rank, ri[sl])
            i1[sl] = np.where(better[:, None], r_i1, i1[sl])
            i2[sl] = np.where(better[:, None], r_i2, i2[sl])
            cqi[sl] = np.where(better[:, None], r_cqi, cqi[sl])
            se[sl] = np.where(better[:, None], r_se, se[sl])
        for rank in use:  # wideband CQI of the chosen rank only: EESM over every subband and layer
            pick = np.flatnonzero(ri[sl] == rank)
            if pick.size:
                cqi_wb[start + pick] = cqi_from_layer_sinr(chosen[rank][pick].reshape(pick.size, -1),
                                                           threshold_set=threshold_set)
    return CsiReport(ri=ri.reshape(lead), i1=i1.reshape(lead + (3,)), i2=i2.reshape(lead + (n_sb,)),
                     cqi=cqi.reshape(lead + (n_sb,)), cqi_wideband=cqi_wb.reshape(lead),
                     se_bit_per_re=se.reshape(lead + (n_sb,)))


def staggered_csi_ues(n_ue: int, slot: int, period_slots: int) -> NDArray[np.int64]:
    """UEs whose periodic CSI report falls in ``slot`` when each UE reports every
    ``period_slots`` slots with a fixed offset u mod period_slots (TS 38.214 5.2.1.4 / TS 38.331
    CSI-ReportPeriodicityAndOffset: periodicity and slot offset per report configuration), so
    a fixed 1/period of the UEs (ceil or floor of n_ue / period) report in each slot.

    Returns
    -------
    int64 [k]: ascending UE indices u with u mod period_slots == slot mod period_slots.
    """
    if not isinstance(period_slots, (int, np.integer)) or period_slots < 1:
        raise ConfigError(f"period_slots = {period_slots!r} must be a whole number >= 1", field="period_slots")
    return np.arange(int(slot) % period_slots, int(n_ue), period_slots, dtype=np.int64)
