"""TBS of TS 38.214 5.1.3.2 and code-block segmentation of TS 38.212 5.2.2 against worked
cases computed by hand (each step written out in the case's comment)."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.link.mcs import mcs_table
from nrsim.link.tbs import code_block_segmentation, ldpc_base_graph, n_re_per_prb, tbs_small_table, transport_block_size

# (n_prb, qm, r_x1024, n_symb, n_dmrs, n_oh, expected TBS)
CASES = [
    # N'_RE = 12*12 - 12 = 132; N_info = 132 * 120/1024 * 2 = 30.94; n = max(3, 4 - 6) = 3;
    # N'_info = max(24, 8 floor(30.94 / 8)) = 24 -> Table 5.1.3.2-1: 24
    (1, 2, 120, 12, 12, 0, 24),
    # N_RE = 1320; N_info = 1320 * 340/1024 * 4 = 1753.125; n = 10 - 6 = 4;
    # N'_info = 16 floor(109.57) = 1744 -> smallest TBS >= 1744 in the table: 1800
    (10, 4, 340, 12, 12, 0, 1800),
    # N_info = 1320 * 567/1024 * 6 = 4385.39 > 3824; n = floor(log2 4361.39) - 5 = 7;
    # N'_info = max(3840, 128 round(34.07)) = 4352; R > 1/4, N'_info <= 8424:
    # TBS = 8 ceil(4376 / 8) - 24 = 4352
    (10, 6, 567, 12, 12, 0, 4352),
    # N_info = 2640 * 3.3223 = 8770.78; n = 13 - 5 = 8; N'_info = 256 round(34.17) = 8704;
    # > 8424: C = ceil(8728 / 8424) = 2; TBS = 16 ceil(8728 / 16) - 24 = 16 * 546 - 24 = 8712
    (20, 6, 567, 12, 12, 0, 8712),
    # R = 0.117 <= 1/4: N_RE = 132 * 273 = 36036; N_info = 8446.03; n = 8;
    # N'_info = 256 round(32.90) = 8448; C = ceil(8472 / 3816) = 3; TBS = 24 ceil(8472/24) - 24 = 8448
    (273, 2, 120, 12, 12, 0, 8448),
    # N_info = 36036 * 910/1024 * 6 = 192145.08; n = 17 - 5 = 12; N'_info = 4096 round(46.90)
    # = 192512; C = ceil(192536 / 8424) = 23; TBS = 184 ceil(192536 / 184) - 24 = 192624
    (273, 6, 910, 12, 12, 0, 192624),
    # 14 symbols, no DM-RS: 168 REs capped at 156; N_info = 156 * 948/1024 * 6 = 866.53;
    # n = 3; N'_info = 8 floor(108.3) = 864 -> table: 888
    (1, 6, 948, 14, 0, 0, 888),
    # xOverhead 18: N'_RE = 144 - 12 - 18 = 114; N_info = 114 * 2 * 0.5 = 114; n = 3;
    # N'_info = 8 * 14 = 112 -> 112
    (1, 2, 512, 12, 12, 18, 112),
    # the tie of "round": N_info = 37 * 120 * 2 * 0.5 = 4440; (4440 - 24) / 2^7 = 34.5 rounds up
    # to 35 (ties to the larger integer): N'_info = 4480; TBS = 8 ceil(4504 / 8) - 24 = 4480
    (37, 2, 512, 11, 12, 0, 4480),
    # 256QAM, R = 682.5/1024: N_RE = 1320; N_info = 1320 * 8 * 0.66650 = 7038.28; n = 12 - 5 = 7;
    # N'_info = 128 round(54.80) = 7040; TBS = 8 ceil(7064 / 8) - 24 = 7040
    (10, 8, 682.5, 12, 12, 0, 7040),
]


@pytest.mark.parametrize("n_prb, qm, r, n_symb, n_dmrs, n_oh, expected", CASES)
def test_tbs_worked_cases(n_prb, qm, r, n_symb, n_dmrs, n_oh, expected) -> None:
    got = transport_block_size(n_prb, qm, r, n_symb_sh=n_symb, n_dmrs_re_per_prb=n_dmrs, n_oh_re_per_prb=n_oh)
    assert int(got) == expected


def test_tbs_vectorised_matches_scalar_and_zero_prb() -> None:
    n_prb = np.array([0, 1, 10, 20, 273, 273])
    qm = np.array([2, 2, 4, 6, 2, 6])
    r = np.array([120, 120, 340, 567, 120, 910])
    got = transport_block_size(n_prb, qm, r)
    assert got.tolist() == [0, 24, 1800, 8712, 8448, 192624]
    assert transport_block_size(np.zeros((0,), dtype=int), 2, 120).shape == (0,)


def test_tbs_table_and_monotonicity() -> None:
    t = tbs_small_table()
    assert t.size == 93 and t[0] == 24 and t[-1] == 3824 and np.all(np.diff(t) > 0)
    tab = mcs_table(1)
    n_prb = np.arange(1, 274)
    for m in (0, 9, 16, 28):
        tbs = transport_block_size(n_prb, tab.qm[m], tab.r_x1024[m])
        assert np.all(np.diff(tbs) >= 0)
    assert int(n_re_per_prb(14, 0, 0)) == 156


def test_code_block_segmentation_by_hand() -> None:
    # TBS 192624 at R 0.889: BG1 (K_cb 8448); B = 192648; C = ceil(192648 / 8424) = 23;
    # B' = B + 24 * 23 = 193200; K' = 8400
    c, k = code_block_segmentation(192624, 910 / 1024)
    assert (int(c), int(k)) == (23, 8400)
    # TBS 8448 at R 0.117: BG2 (R <= 1/4, K_cb 3840); B = 8472; C = ceil(8472 / 3816) = 3;
    # B' = 8544; K' = 2848
    c, k = code_block_segmentation(8448, 120 / 1024)
    assert (int(c), int(k)) == (3, 2848)
    # TBS 1800 (16-bit CRC), R 0.33: BG2; B = 1816 <= 3840: one block of 1816 bits
    c, k = code_block_segmentation(1800, 340 / 1024)
    assert (int(c), int(k)) == (1, 1816)
    assert ldpc_base_graph([200, 4000, 4000, 3000], [0.9, 0.9, 0.2, 0.5]).tolist() == [2, 1, 2, 2]
    c, k = code_block_segmentation(0, 0.5)
    assert (int(c), int(k)) == (0, 0)
