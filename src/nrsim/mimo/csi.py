"""CSI selection for the Type I single-panel codebook: RI, PMI (i1 wideband, i2 per subband)
and CQI per subband from a channel estimate (TS 38.214 V17 5.2.2.1, 5.2.2.2.1, 5.2.1.4).

The UE model, stated (the spec leaves the choice to the UE implementation):

1. Per rank v, per codebook entry W and per channel sample n of each subband, the per-layer
   post-MMSE-IRC SINR of H W (:func:`nrsim.mimo.receiver.whitened_mmse_sinr`, the covariance
   R of noise plus interference given by the caller).
2. PMI by mutual information (Schwarz, Wrulich & Rupp, "Mutual information based calculation
   of the precoding matrix indicator for 3GPP UMTS/LTE", WSA 2010): per subband the i2 that
   maximises C = sum_{n, layer} log2(1 + SINR); the wideband i1 that maximises the sum over
   subbands of that best C.
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

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.errors import ConfigError
from nrsim.link import cqi_sinr_thresholds_db, cqi_table, eesm_effective_sinr_lin, mcs_table
from nrsim.mimo.codebook import Type1Codebook, Type1Config, type1_codebook
from nrsim.mimo.receiver import whitened_mmse_sinr
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


def _whiten(h: NDArray, noise_cov: ArrayLike | None, noise_w: ArrayLike | None) -> NDArray:
    if (noise_cov is None) == (noise_w is None):
        raise ConfigError("give exactly one of noise_cov and noise_w", field="noise")
    if noise_cov is not None:
        chol = np.linalg.cholesky(np.asarray(noise_cov, dtype=np.complex128))
        return np.linalg.solve(chol, h)
    return h / np.sqrt(np.asarray(noise_w, dtype=np.float64))[..., None, None]


def _rank_search(hw: NDArray, cb: Type1Codebook, threshold_set: str):
    """Best PMI and its CQI for one rank; hw [b, sb, n, rx, tx] whitened."""
    a = hw[:, :, :, None, None] @ cb.w  # [b, sb, n, i1, i2, rx, r]
    sinr = whitened_mmse_sinr(a)  # [b, sb, n, i1, i2, r]
    cap = np.log2(1.0 + sinr).sum(axis=(-1, 2))  # [b, sb, i1, i2]
    best_i2 = np.argmax(cap, axis=-1)  # [b, sb, i1]
    cap_best = np.take_along_axis(cap, best_i2[..., None], axis=-1)[..., 0]
    i1 = np.argmax(cap_best.sum(axis=1), axis=-1)  # [b]
    b_idx = np.arange(hw.shape[0])
    i2 = best_i2[b_idx, :, i1]  # [b, sb]
    chosen = sinr[b_idx[:, None], np.arange(hw.shape[1])[None, :], :, i1[:, None], i2]  # [b, sb, n, r]
    cqi = cqi_from_layer_sinr(chosen.reshape(chosen.shape[:2] + (-1,)), threshold_set=threshold_set)
    cqi_wb = cqi_from_layer_sinr(chosen.reshape(chosen.shape[0], -1), threshold_set=threshold_set)
    se = cb.rank * cqi_spectral_efficiency_per_layer(cqi)  # [b, sb]
    return cb.i1[i1], i2, cqi, cqi_wb, se


def select_csi(h: ArrayLike, cfg: Type1Config, *, noise_cov: ArrayLike | None = None,
               noise_w: ArrayLike | None = None, ranks: tuple[int, ...] = (1, 2, 3, 4),
               threshold_set: str = DEFAULT_THRESHOLD_SET, chunk: int = 8) -> CsiReport:
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
    chunk : leading entries processed at once (bounds the memory of the search).

    Returns
    -------
    :class:`CsiReport` with leading shape ``[...]``.
    """
    h = np.asarray(h, dtype=np.complex128)
    if h.ndim < 4 or h.shape[-1] != cfg.n_ports:
        raise ConfigError(f"h must be [..., sb, n, rx, {cfg.n_ports}] for {cfg}; got shape {h.shape}",
                          field="h")
    max_rank = min(h.shape[-2], cfg.n_ports, 2 if cfg.n_ports == 2 else 4)
    use = tuple(r for r in ranks if 1 <= r <= max_rank)
    if not use:
        raise ConfigError(f"no rank of {ranks} is possible (max {max_rank})", field="ranks")
    lead = h.shape[:-4]
    n_sb = h.shape[-4]
    hw = _whiten(h, noise_cov, noise_w).reshape((-1,) + h.shape[-4:])
    n_b = hw.shape[0]
    ri = np.zeros(n_b, np.int64)
    i1 = np.zeros((n_b, 3), np.int64)
    i2 = np.zeros((n_b, n_sb), np.int64)
    cqi = np.zeros((n_b, n_sb), np.int64)
    cqi_wb = np.zeros(n_b, np.int64)
    se = np.full((n_b, n_sb), -1.0)
    for start in range(0, n_b, max(1, chunk)):
        sl = slice(start, min(n_b, start + max(1, chunk)))
        for rank in use:
            r_i1, r_i2, r_cqi, r_wb, r_se = _rank_search(hw[sl], _codebook(cfg, rank), threshold_set)
            better = r_se.sum(axis=-1) > se[sl].sum(axis=-1)  # strict: ties keep the lower rank
            ri[sl] = np.where(better, rank, ri[sl])
            i1[sl] = np.where(better[:, None], r_i1, i1[sl])
            i2[sl] = np.where(better[:, None], r_i2, i2[sl])
            cqi[sl] = np.where(better[:, None], r_cqi, cqi[sl])
            cqi_wb[sl] = np.where(better, r_wb, cqi_wb[sl])
            se[sl] = np.where(better[:, None], r_se, se[sl])
    return CsiReport(ri=ri.reshape(lead), i1=i1.reshape(lead + (3,)), i2=i2.reshape(lead + (n_sb,)),
                     cqi=cqi.reshape(lead + (n_sb,)), cqi_wideband=cqi_wb.reshape(lead),
                     se_bit_per_re=se.reshape(lead + (n_sb,)))
