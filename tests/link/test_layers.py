"""Codeword-to-layer mapping against TS 38.211 V17.0.0 Table 7.3.1.3-1 and the per-codeword
EESM against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.errors import ConfigError
from nrsim.link.layers import codeword_effective_sinr_lin, codeword_layer_mask, codeword_layers

# TS 38.211 V17.0.0 Table 7.3.1.3-1: layers of codeword 0 and 1 for 1..8 layers
TABLE_7_3_1_3_1 = {1: (1, 0), 2: (2, 0), 3: (3, 0), 4: (4, 0), 5: (2, 3), 6: (3, 3), 7: (3, 4), 8: (4, 4)}


def test_codeword_layers_match_ts38211_table() -> None:
    v = np.arange(1, 9)
    assert [tuple(x) for x in codeword_layers(v).tolist()] == [TABLE_7_3_1_3_1[int(k)] for k in v]
    m = codeword_layer_mask(5)
    assert m[0].tolist() == [True, True] + [False] * 6
    assert m[1].tolist() == [False, False, True, True, True, False, False, False]
    with pytest.raises(ConfigError):
        codeword_layers(9)
    with pytest.raises(ConfigError):
        codeword_layer_mask(5, n_layer_axis=4)


def test_two_layer_codeword_hand_value() -> None:
    """Rank 2, one codeword, one sample per layer: SINR 1 (0 dB) and 10 (10 dB), beta 1:
    -ln((e^-1 + e^-10) / 2) = 1.69302 (hand value); the second codeword does not exist."""
    out = codeword_effective_sinr_lin(np.array([[1.0], [10.0]]), 2, [1.0, 1.0])
    assert out[0] == pytest.approx(-np.log((np.exp(-1.0) + np.exp(-10.0)) / 2), rel=1e-12)
    assert out[0] == pytest.approx(1.69302, abs=1e-5)
    assert np.isnan(out[1])


def test_rank_six_two_codewords() -> None:
    """Rank 6: codeword 0 on layers 0-2 (SINR 4 each: effective 4 for any beta), codeword 1
    on layers 3-5 (SINR 2, 2, 8 with beta 2: -2 ln((2 e^-1 + e^-4) / 3) = 2.7638); layers 6-7
    ignored; masked samples ignored."""
    g = np.zeros((8, 2))
    g[:3] = 4.0
    g[3:6, 0] = [2.0, 2.0, 8.0]
    g[3:6, 1] = 1e-3  # masked out below
    out = codeword_effective_sinr_lin(g, 6, [5.0, 2.0], sample_mask=[True, False])
    assert out[0] == pytest.approx(4.0, rel=1e-12)
    assert out[1] == pytest.approx(-2 * np.log((2 * np.exp(-1.0) + np.exp(-4.0)) / 3), rel=1e-12)
    assert out[1] == pytest.approx(2.7618, abs=1e-4)


def test_batched_matches_one_by_one() -> None:
    rng = np.random.default_rng(2)
    g = 10 ** rng.uniform(-1, 2, (5, 8, 6))
    nl = np.array([1, 4, 5, 7, 8])
    beta = rng.uniform(1, 20, (5, 2))
    out = codeword_effective_sinr_lin(g, nl, beta)
    for i in range(5):
        np.testing.assert_allclose(out[i], codeword_effective_sinr_lin(g[i], nl[i], beta[i]), rtol=1e-12)
