"""The compiled small-matrix helpers of nrsim.mimo.smallmat against NumPy/LAPACK oracles:
the MMSE capacity by LDL^H, the Gram and cross products by independent sums, and the
row-wise substitutions (which keep the summation order of the column-wise ones, so they are
compared bit for bit with an explicit loop)."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.mimo.smallmat import (
    cholesky_inplace,
    cross_row_into,
    gram_into,
    lower_h_solve_into,
    whiten_into,
    whitened_mmse_capacity,
    whitened_sinr_into,
)

CAPACITY_RTOL = 1e-12
"""LDL^H with one logarithm vs LAPACK's inverse with one logarithm per layer: rounding only
(a few units in the last place of each layer's term)."""


def _cn(rng, *shape):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)


def _oracle_capacity(a):
    """sum_k log2(1 + SINR_k), SINR_k = 1 / [(I + A^H A)^-1]_kk - 1 clipped at 0 (LAPACK)."""
    m = np.conj(a.T) @ a + np.eye(a.shape[1])
    d = np.real(np.diag(np.linalg.inv(m)))
    return float(np.sum(np.log2(1.0 + np.maximum(1.0 / d - 1.0, 0.0))))


@pytest.mark.parametrize("n_rx,n_layer", [(4, 1), (4, 2), (4, 3), (4, 4), (2, 2), (8, 4), (8, 6), (6, 5)])
def test_mmse_capacity_equals_the_per_layer_sum(n_rx, n_layer) -> None:
    """Up to 4 layers the unrolled path, above it the general one; scales from noise-limited
    to strongly interference-limited layers."""
    rng = np.random.default_rng(10 * n_rx + n_layer)
    m = np.empty((n_layer, n_layer), np.complex128)
    work = np.empty((n_layer, n_layer), np.complex128)
    g = np.empty(n_layer)
    for scale in (0.1, 1.0, 30.0, 1e3):
        a = scale * _cn(rng, n_rx, n_layer)
        got = whitened_mmse_capacity(a, n_rx, n_layer, m)
        assert got == pytest.approx(_oracle_capacity(a), rel=CAPACITY_RTOL)
        whitened_sinr_into(a, n_rx, n_layer, m, work, g)  # the same quantity by the per-layer kernel
        assert got == pytest.approx(float(np.sum(np.log2(1.0 + g))), rel=CAPACITY_RTOL)


def test_mmse_capacity_hand_value_and_nan() -> None:
    """Orthogonal columns of squared norms 3 and 7: SINRs 3 and 7, capacity 2 + 3 bits."""
    a = np.zeros((4, 2), np.complex128)
    a[0, 0] = np.sqrt(3.0)
    a[1, 1] = 1j * np.sqrt(7.0)
    m = np.empty((2, 2), np.complex128)
    assert whitened_mmse_capacity(a, 4, 2, m) == pytest.approx(5.0, rel=1e-15)
    a[2, 1] = np.nan
    assert np.isnan(whitened_mmse_capacity(a, 4, 2, m))


@pytest.mark.parametrize("n_row,n_col", [(1, 5), (3, 32), (4, 32), (7, 9), (16, 32)])
def test_gram_and_cross_products_equal_the_sequential_sums(n_row, n_col) -> None:
    rng = np.random.default_rng(n_row * n_col)
    g = _cn(rng, n_row, n_col)
    out = np.empty((n_row, n_row), np.complex128)
    gram_into(g, n_row, n_col, out)
    np.testing.assert_allclose(out, g @ np.conj(g.T), rtol=1e-13, atol=1e-13)
    want = np.zeros((n_row, n_row), np.complex128)  # the plain sequential sum, bit for bit
    for b in range(n_row):
        for a in range(b + 1):
            acc = 0j
            for t in range(n_col):
                acc += g[b, t] * np.conj(g[a, t])
            want[b, a] = acc
    np.testing.assert_array_equal(np.tril(out), want)
    np.testing.assert_array_equal(out, np.conj(out.T))
    x = _cn(rng, n_col)
    cross = np.empty(n_row, np.complex128)
    cross_row_into(x, g, n_row, n_col, cross)
    np.testing.assert_allclose(cross, np.conj(g) @ x, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("n,n_col", [(1, 3), (4, 4), (16, 32)])
def test_substitutions_solve_the_triangular_systems(n, n_col) -> None:
    rng = np.random.default_rng(n + n_col)
    g = _cn(rng, n, n + 3)
    ell = g @ np.conj(g.T) + 0.1 * np.eye(n)
    assert cholesky_inplace(ell, n)
    h = _cn(rng, n, n_col)
    y = np.empty((n, n_col), np.complex128)
    whiten_into(ell, n, h, n_col, y)
    np.testing.assert_allclose(ell @ y, h, rtol=1e-10, atol=1e-10)
    x = h.copy()
    lower_h_solve_into(ell, n, x, n_col)
    np.testing.assert_allclose(np.conj(ell.T) @ x, h, rtol=1e-10, atol=1e-10)
