"""The compiled MMSE-IRC with precoded interferers against the NumPy composition of
interference_covariance and mmse_irc_sinr (and a hand value)."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.errors import ConfigError
from nrsim.mimo.receiver import interference_covariance, mmse_irc_sinr, mmse_irc_sinr_interferers


def _cn(rng, *shape):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)


@pytest.mark.parametrize("n_rx,n_layer,n_k,n_tx,l_int",
                         [(4, 4, 8, 32, 4), (4, 2, 3, 16, 2), (2, 1, 1, 8, 2), (1, 1, 2, 4, 1)])
def test_fused_kernel_equals_numpy_composition(n_rx, n_layer, n_k, n_tx, l_int) -> None:
    rng = np.random.default_rng(n_rx * 100 + n_k)
    lead = (5, 3)  # e.g. [ue, rbg]
    h_eff = 3 * _cn(rng, *lead, n_rx, n_layer)
    h_int = _cn(rng, *lead, n_k, n_rx, n_tx)
    bank = _cn(rng, 6, n_tx, l_int) / np.sqrt(n_tx * l_int)
    idx = rng.integers(0, 6, lead + (n_k,))
    p = rng.uniform(0.1, 2.0, lead + (n_k,))
    noise = rng.uniform(0.05, 0.2, lead)
    got = mmse_irc_sinr_interferers(h_eff, h_int, bank, idx, p, noise)
    r = interference_covariance(h_int, bank[idx], p, noise)
    np.testing.assert_allclose(got, mmse_irc_sinr(h_eff, r), rtol=1e-10)


def test_hand_value_interferer_along_one_antenna() -> None:
    """2 rx, wanted layer on rx 0 with power 100, noise 1; an interferer of power 10 along rx 1
    only: IRC sees 100 on a noise-only antenna -> SINR 100 (the interference is rejected)."""
    h_eff = np.array([[[10.0], [0.0]]])  # [1, rx, layer]
    h_int = np.array([[[[0.0, 0.0], [1.0, 0.0]]]], complex)  # [1, k, rx, tx]: rx 1 from tx 0
    bank = np.array([[[1.0], [0.0]]], complex)  # tx 0
    got = mmse_irc_sinr_interferers(h_eff, h_int, bank, [[0]], [[10.0]], [1.0])
    np.testing.assert_allclose(got, [[100.0]], rtol=1e-12)


def test_bad_inputs() -> None:
    h_eff = np.ones((2, 2, 1))
    with pytest.raises(ConfigError, match="w_index"):
        mmse_irc_sinr_interferers(h_eff, np.ones((2, 1, 2, 4)), np.ones((1, 4, 1)), [[3], [0]], 1.0, 1.0)
    with pytest.raises(ConfigError, match="h_int"):
        mmse_irc_sinr_interferers(h_eff, np.ones((2, 1, 3, 4)), np.ones((1, 4, 1)), [[0], [0]], 1.0, 1.0)
