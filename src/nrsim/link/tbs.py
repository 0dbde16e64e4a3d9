"""Transport block size (TS 38.214 V17.x 5.1.3.2) and LDPC code-block segmentation
(TS 38.212 V17.x 5.2.2 with the base-graph choice of 7.2.2).

Vectorised over arrays of allocations: every argument broadcasts.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.link.tables import read_csv_table

SUBCARRIERS_PER_RB = 12
MAX_RE_PER_PRB = 156
"""N'_RE is capped at 156 REs per PRB (TS 38.214 5.1.3.2 step 1)."""
N_INFO_SMALL_MAX = 3824
"""Above this N_info the TBS follows the quantisation of step 4 (5.1.3.2)."""


@functools.lru_cache(maxsize=None)
def tbs_small_table() -> NDArray[np.int64]:
    """TS 38.214 Table 5.1.3.2-1, the 93 TBS values for N_info <= 3824 [bits]."""
    out = np.asarray([int(r["tbs_bits"]) for r in read_csv_table("tbs_small_ts38214.csv")])
    out.setflags(write=False)
    return out


def n_re_per_prb(
    n_symb_sh: ArrayLike, n_dmrs_re_per_prb: ArrayLike = 12, n_oh_re_per_prb: ArrayLike = 0
) -> NDArray[np.int64]:
    """REs per PRB available to the PDSCH: min(156, 12 N_symb^sh - N_DMRS^PRB - N_oh^PRB)
    (TS 38.214 5.1.3.2 step 1). N_DMRS^PRB counts the DM-RS REs including the overhead of
    CDM groups without data; N_oh^PRB is xOverhead (0, 6, 12 or 18)."""
    n = SUBCARRIERS_PER_RB * np.asarray(n_symb_sh, dtype=np.int64) - np.asarray(
        n_dmrs_re_per_prb, dtype=np.int64
    ) - np.asarray(n_oh_re_per_prb, dtype=np.int64)
    return np.minimum(MAX_RE_PER_PRB, np.maximum(n, 0))


def transport_block_size(
    n_prb: ArrayLike,
    qm: ArrayLike,
    r_x1024: ArrayLike,
    *,
    n_symb_sh: ArrayLike = 12,
    n_dmrs_re_per_prb: ArrayLike = 12,
    n_oh_re_per_prb: ArrayLike = 0,
    layers: ArrayLike = 1,
) -> NDArray[np.int64]:
    """TBS [bits] of TS 38.214 5.1.3.2 (steps 1-4).

    Parameters
    ----------
    n_prb : int [...]
        Allocated PRBs n_PRB (0 gives TBS 0).
    qm : int [...]
        Modulation order Q_m.
    r_x1024 : float [...]
        Target code rate R x 1024 of the MCS table.
    n_symb_sh : int
        OFDM symbols of the PDSCH allocation.
    n_dmrs_re_per_prb, n_oh_re_per_prb : int
        DM-RS REs per PRB (with CDM groups without data) and xOverhead.
    layers : int
        Number of layers v.

    Returns
    -------
    int64 [...]
    """
    n_prb_a = np.asarray(n_prb, dtype=np.int64)
    r = np.asarray(r_x1024, dtype=np.float64) / 1024.0
    n_re = n_re_per_prb(n_symb_sh, n_dmrs_re_per_prb, n_oh_re_per_prb) * n_prb_a  # step 1
    n_info = n_re * r * np.asarray(qm, dtype=np.float64) * np.asarray(layers, dtype=np.float64)
    n_info, r = np.broadcast_arrays(n_info, r)
    out = np.zeros(n_info.shape, dtype=np.int64)
    # step 3: N_info <= 3824, quantise and look up Table 5.1.3.2-1
    small = (n_info > 0) & (n_info <= N_INFO_SMALL_MAX)
    if np.any(small):
        ni = n_info[small]
        n = np.maximum(3, np.floor(np.log2(ni)) - 6)
        ni_q = np.maximum(24.0, 2.0**n * np.floor(ni / 2.0**n))
        table = tbs_small_table()
        out[small] = table[np.searchsorted(table, ni_q, side="left")]
    # step 4: N_info > 3824, quantise ("round" breaks ties upwards) and segment
    large = n_info > N_INFO_SMALL_MAX
    if np.any(large):
        ni = n_info[large]
        rl = r[large]
        n = np.floor(np.log2(ni - 24.0)) - 5.0
        ni_q = np.maximum(3840.0, 2.0**n * np.floor((ni - 24.0) / 2.0**n + 0.5))
        c_low = np.ceil((ni_q + 24.0) / 3816.0)
        c_high = np.ceil((ni_q + 24.0) / 8424.0)
        c = np.where(rl <= 0.25, c_low, np.where(ni_q > 8424.0, c_high, 1.0))
        tbs = 8.0 * c * np.ceil((ni_q + 24.0) / (8.0 * c)) - 24.0
        out[large] = tbs.astype(np.int64)
    return out


def ldpc_base_graph(tbs_bits: ArrayLike, code_rate: ArrayLike) -> NDArray[np.int64]:
    """LDPC base graph (1 or 2) of TS 38.212 7.2.2: BG2 if A <= 292, or A <= 3824 and
    R <= 0.67, or R <= 0.25; otherwise BG1."""
    a = np.asarray(tbs_bits, dtype=np.int64)
    r = np.asarray(code_rate, dtype=np.float64)
    bg2 = (a <= 292) | ((a <= 3824) & (r <= 0.67)) | (r <= 0.25)
    return np.where(bg2, 2, 1).astype(np.int64)


def code_block_segmentation(
    tbs_bits: ArrayLike, code_rate: ArrayLike
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Number of code blocks C and bits per code block K' = B'/C (TS 38.212 5.2.2).

    The TB carries a 24-bit CRC above 3824 bits, else 16 bits (38.212 7.2.1); B = A + L.
    With K_cb = 8448 (BG1) or 3840 (BG2): C = 1 if B <= K_cb, else C = ceil(B / (K_cb - 24))
    and each block gets a 24-bit CRC, B' = B + 24 C.

    Returns (C, K') as int64 arrays (C = 0, K' = 0 for TBS 0).
    """
    a = np.asarray(tbs_bits, dtype=np.int64)
    bg = ldpc_base_graph(a, code_rate)
    crc = np.where(a > N_INFO_SMALL_MAX, 24, 16)
    b = a + crc
    k_cb = np.where(bg == 1, 8448, 3840)
    c = np.where(b <= k_cb, 1, -(-b // (k_cb - 24)))
    b_prime = np.where(c == 1, b, b + 24 * c)
    k_prime = -(-b_prime // c)
    zero = a <= 0
    return np.where(zero, 0, c).astype(np.int64), np.where(zero, 0, k_prime).astype(np.int64)
