"""Type I single-panel codebook (TS 38.214 V17 5.2.2.2.1) against matrices written by hand
from the tables' formulas, and its structural properties (modulus, layer orthogonality)."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.errors import ConfigError
from nrsim.mimo import Type1Config, index_ranges, panel_to_csirs_ports, type1_codebook, type1_precoder

EXACT = 1e-12
"""The phases are exact multiples of pi/8 and below: only rounding error remains."""

E = np.exp(1j * np.pi / 4)  # exp(j pi / 4) = (1 + j) / sqrt 2
J = 1j


def _cfg(n1, n2, mode=1):
    return Type1Config.for_ports(n1, n2, mode)


# (config, rank, (i11, i12, i13, i2), hand-written W before the 1/sqrt(v P) factor)
HAND = [
    # 4 ports (N1, N2) = (2, 1), (O1, O2) = (4, 1); rank 1, l = 1, n = 1:
    # v_1,0 = [1, e^{j 2 pi / 8}], phi_1 = j
    ((2, 1, 1), 1, (1, 0, 0, 1), [[1], [E], [J], [J * E]]),
    # 8 ports (2, 2), (4, 4); rank 1, l = 2, m = 1, n = 2: u_1 = [1, e^{j pi/4}],
    # v_2,1 = [u_1, e^{j 2 pi 2/8} u_1] = [1, E, j, jE], phi_2 = -1
    ((2, 2, 1), 1, (2, 1, 0, 2), [[1], [E], [J], [J * E], [-1], [-E], [-J], [-J * E]]),
    # 4 ports rank 2, i13 = 1 -> k1 = O1 = 4 (Table 5.2.2.2.1-3, N1 = 2, N2 = 1), l = 0, n = 1:
    # v_0 = [1, 1], v_4 = [1, e^{j pi}] = [1, -1]
    ((2, 1, 1), 2, (0, 0, 1, 1), [[1, 1], [1, -1], [J, -J], [J, J]]),
    # 8 ports (4, 1), (4, 1); rank 2, i13 = 2 -> k1 = 2 O1 = 8 (N1 > 2, N2 = 1), l = 2, n = 0:
    # v_2 = [1, e^{j pi/4}, e^{j pi/2}, e^{j 3pi/4}], v_10 = [1, e^{j 5pi/4}, e^{j 5pi/2}, e^{j 15pi/4}]
    ((4, 1, 1), 2, (2, 0, 2, 0),
     [[1, 1], [E, -E], [J, J], [J * E, -J * E], [1, -1], [E, E], [J, -J], [J * E, J * E]]),
    # 8 ports (2, 2) rank 3 (P < 16), i13 = 2 -> (k1, k2) = (O1, O2) = (4, 4) (Table -4),
    # l = 0, m = 0, n = 1: v_0,0 = [1, 1, 1, 1], v_4,4 = [1, -1, -1, 1]
    ((2, 2, 1), 3, (0, 0, 2, 1),
     [[1, 1, 1], [1, -1, 1], [1, -1, 1], [1, 1, 1], [J, J, -J], [J, -J, -J], [J, -J, -J], [J, J, -J]]),
    # 4 ports rank 4 is not allowed above 2 ports? it is (N1 = 2, N2 = 1, i13 = 0 -> k1 = O1):
    # l = 1, n = 0: v_1 = [1, E], v_5 = [1, e^{j 10 pi / 8}] = [1, -E]
    ((2, 1, 1), 4, (1, 0, 0, 0), [[1, 1, 1, 1], [E, -E, E, -E], [1, 1, -1, -1], [E, -E, -E, E]]),
    # 16 ports (4, 2), (4, 4), rank 4 (P >= 16): l = 1, m = 0, p = i13 = 1, n = 1:
    # u_0 = [1, 1]; v~_1,0 = [u_0, e^{j 4 pi / 16} u_0] = [1, 1, E, E]; theta_1 = E, phi_1 = j
    ((4, 2, 1), 4, (1, 0, 1, 1),
     [[1, 1, 1, 1]] * 2 + [[E, E, E, E]] * 2
     + [[E, -E, E, -E]] * 2 + [[E * E, -E * E, E * E, -E * E]] * 2
     + [[J, J, -J, -J]] * 2 + [[J * E, J * E, -J * E, -J * E]] * 2
     + [[J * E, -J * E, -J * E, J * E]] * 2 + [[J * E * E, -J * E * E, -J * E * E, J * E * E]] * 2),
    # 2 ports (Table 5.2.2.2.1-1): rank 1 index 3 = [1, -j] / sqrt 2; rank 2 index 1
    ((1, 1, 1), 1, (0, 0, 0, 3), [[1], [-J]]),
    ((1, 1, 1), 2, (0, 0, 0, 1), [[1, 1], [J, -J]]),
]


@pytest.mark.parametrize("cfg_key, rank, idx, expected", HAND)
def test_entries_against_hand_values(cfg_key, rank, idx, expected) -> None:
    cfg = _cfg(*cfg_key)
    w = type1_precoder(cfg, rank, *idx)
    exp = np.asarray(expected, dtype=np.complex128) / np.sqrt(rank * cfg.n_ports)
    np.testing.assert_allclose(w, exp, atol=EXACT)


def test_rank3_p16_hand_value() -> None:
    # 16 ports (8, 1), (4, 1), rank 3: l = 3, p = 2, n = 0: v~_3 = [1, e^{j 4 pi 3/32}, ...] over 4
    cfg = _cfg(8, 1)
    w = type1_precoder(cfg, 3, 3, 0, 2, 0)
    vt = np.exp(1j * 4 * np.pi * 3 * np.arange(4) / 32)
    th = 1j  # theta_2 = e^{j pi/2}
    exp = np.concatenate([np.stack([vt, vt, vt], -1), np.stack([th * vt, -th * vt, th * vt], -1),
                          np.stack([vt, vt, -vt], -1), np.stack([th * vt, -th * vt, -th * vt], -1)])
    np.testing.assert_allclose(w, exp / np.sqrt(48), atol=EXACT)


def test_mode2_maps_i2_to_neighbour_beams() -> None:
    """Tables 5.2.2.2.1-5/-6, codebookMode = 2: hand-picked i2 against the mode-1 entry."""
    m1, m2 = _cfg(2, 2, 1), _cfg(2, 2, 2)
    # rank 1, N2 > 1: i2 = 4..7 -> W_{2 i11 + 1, 2 i12, i2 - 4}; 8..11 -> (2 i11, 2 i12 + 1); 12..15 -> both
    np.testing.assert_allclose(type1_precoder(m2, 1, 1, 2, 0, 6), type1_precoder(m1, 1, 3, 4, 0, 2), atol=EXACT)
    np.testing.assert_allclose(type1_precoder(m2, 1, 1, 2, 0, 9), type1_precoder(m1, 1, 2, 5, 0, 1), atol=EXACT)
    np.testing.assert_allclose(type1_precoder(m2, 1, 3, 1, 0, 15), type1_precoder(m1, 1, 7, 3, 0, 3), atol=EXACT)
    # rank 2, N2 = 1 (4, 1): i2 = 6..7 -> l = 2 i11 + 3, n = i2 - 6; i13 = 1 -> k1 = O1
    a, b = _cfg(4, 1, 2), _cfg(4, 1, 1)
    np.testing.assert_allclose(type1_precoder(a, 2, 2, 0, 1, 7), type1_precoder(b, 2, 7, 0, 1, 1), atol=EXACT)
    # and the first written out: l = 7, l' = 11, n = 1 over N1 O1 = 16
    v7 = np.exp(2j * np.pi * 7 * np.arange(4) / 16)
    v11 = np.exp(2j * np.pi * 11 * np.arange(4) / 16)
    exp = np.concatenate([np.stack([v7, v11], -1), np.stack([1j * v7, -1j * v11], -1)]) / np.sqrt(16)
    np.testing.assert_allclose(type1_precoder(a, 2, 2, 0, 1, 7), exp, atol=EXACT)


CONFIGS = [(1, 1), (2, 1), (2, 2), (4, 1), (3, 2), (6, 1), (4, 2), (8, 1), (4, 3), (6, 2), (12, 1),
           (4, 4), (8, 2), (16, 1)]


@pytest.mark.parametrize("n1, n2", CONFIGS)
@pytest.mark.parametrize("mode", [1, 2])
def test_modulus_and_layer_orthogonality(n1, n2, mode) -> None:
    """Every entry has modulus 1/sqrt(v P), and W^H W = I / v for every codebook entry."""
    cfg = _cfg(n1, n2, mode)
    for rank in (1, 2) if cfg.n_ports == 2 else (1, 2, 3, 4):
        cb = type1_codebook(cfg, rank)
        assert cb.w.shape[-2:] == (cfg.n_ports, rank)
        np.testing.assert_allclose(np.abs(cb.w), 1.0 / np.sqrt(rank * cfg.n_ports), atol=EXACT)
        gram = np.einsum("abpk,abpq->abkq", cb.w.conj(), cb.w)
        np.testing.assert_allclose(gram, np.broadcast_to(np.eye(rank) / rank, gram.shape), atol=1e-12)


@pytest.mark.parametrize("n1, n2, rank, sizes", [
    (4, 4, 1, (16, 16, 1, 4)), (4, 4, 2, (16, 16, 4, 2)), (4, 4, 3, (8, 16, 4, 2)), (4, 4, 4, (8, 16, 4, 2)),
    (2, 1, 2, (8, 1, 2, 2)), (4, 1, 3, (16, 1, 3, 2)), (3, 2, 4, (12, 8, 4, 2)), (2, 2, 3, (8, 8, 3, 2)),
])
def test_index_ranges_mode1(n1, n2, rank, sizes) -> None:
    """i1,1 0..N1O1-1 (0..N1O1/2-1 for P >= 16, ranks 3-4), i1,2 0..N2O2-1, i1,3 per Tables -3/-4."""
    assert index_ranges(_cfg(n1, n2), rank) == sizes


def test_index_ranges_mode2() -> None:
    assert index_ranges(_cfg(4, 4, 2), 1) == (8, 8, 1, 16)
    assert index_ranges(_cfg(8, 1, 2), 2) == (16, 1, 4, 8)


def test_codebook_lists_distinct_entries() -> None:
    cb = type1_codebook(_cfg(4, 2), 2)
    flat = cb.w.reshape(-1, cb.w.shape[-2] * cb.w.shape[-1])
    rounded = {tuple(np.round(r, 9)) for r in flat}
    assert len(rounded) == flat.shape[0]
    assert cb.i1.shape == (cb.n_i1, 3) and cb.n_i1 == 16 * 8 * 4


def test_bad_inputs_raise_config_errors() -> None:
    with pytest.raises(ConfigError, match="Table 5.2.2.2.1-2"):
        Type1Config(4, 4, 4, 1)
    with pytest.raises(ConfigError, match="Table 5.2.2.2.1-2"):
        Type1Config.for_ports(5, 1)
    with pytest.raises(ConfigError, match="mode"):
        Type1Config(2, 1, 4, 1, mode=3)
    with pytest.raises(ConfigError, match="rank"):
        type1_precoder(_cfg(1, 1), 3, 0, 0, 0, 0)
    with pytest.raises(ConfigError, match="i2"):
        type1_precoder(_cfg(2, 1), 2, 0, 0, 0, 2)


def test_panel_port_permutation() -> None:
    """Panel element (pol, m, n) -> CSI-RS port pol N1 N2 + n1 N2 + n2 with n1 = n, n2 = m."""
    m_rows, n_cols = 2, 3
    perm = panel_to_csirs_ports(m_rows, n_cols, 2)
    # panel element index: pol * 6 + m * 3 + n; CSI-RS port 1 is (pol 0, n1 0, n2 1) = element m=1, n=0 = 3
    assert perm.tolist() == [0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11]
