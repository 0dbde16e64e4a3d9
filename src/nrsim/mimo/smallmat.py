"""Compiled helpers for the small dense matrices of the MIMO kernels (receive antennas and
layers up to a few, e.g. 4 x 4): Hermitian Gram matrices, Cholesky factors and the diagonal
of an inverse, written as plain loops so numba keeps them in registers and caches.

The post-MMSE SINR of a whitened channel A = R^-1/2 H_eff [rx, layer] is
SINR_k = 1 / [(I + A^H A)^-1]_kk - 1 (e.g. Tse & Viswanath, "Fundamentals of Wireless
Communication", 2005, eq. (8.66)-(8.67)); here the inverse's diagonal comes from the Cholesky
factor M = L L^H as [M^-1]_kk = sum_j |(L^-1)_jk|^2 (Golub & Van Loan, "Matrix
Computations", 4th ed., 2013, 4.2).
"""

from __future__ import annotations

import math

import numpy as np

from nrsim.compiled import jit


@jit
def cholesky_inplace(m, n):
    """Lower Cholesky factor of the Hermitian positive-definite m[:n, :n] in place (the strict
    upper triangle is zeroed). Returns False if a pivot is not positive (m not PD)."""
    for j in range(n):
        d = m[j, j].real
        for k in range(j):
            d -= m[j, k].real * m[j, k].real + m[j, k].imag * m[j, k].imag
        if not d > 0.0:
            return False
        d = math.sqrt(d)
        m[j, j] = d
        for i in range(j + 1, n):
            s = m[i, j]
            for k in range(j):
                s -= m[i, k] * np.conj(m[j, k])
            m[i, j] = s / d
        for i in range(j):
            m[i, j] = 0.0
    return True


@jit
def lower_inverse_into(ell, n, work):
    """work[:n, :n] = L^-1 for the lower Cholesky factor ell[:n, :n], column k by forward
    substitution (the strict upper triangle of work is zeroed)."""
    for k in range(n):
        for i in range(n):
            if i < k:
                work[i, k] = 0.0
                continue
            s = 1.0 + 0j if i == k else 0j
            for t in range(k, i):
                s -= ell[i, t] * work[t, k]
            work[i, k] = s / ell[i, i].real


@jit
def chol_inv_diag(ell, n, work, out):
    """Diagonal of (L L^H)^-1 from the lower Cholesky factor ell[:n, :n] into out[:n]:
    [M^-1]_kk = sum_j |(L^-1)_jk|^2 (work: complex scratch of at least n x n)."""
    lower_inverse_into(ell, n, work)
    for k in range(n):
        acc = 0.0
        for i in range(k, n):
            acc += work[i, k].real * work[i, k].real + work[i, k].imag * work[i, k].imag
        out[k] = acc


@jit
def whitened_sinr_into(a, n_rx, n_layer, m, work, out):
    """Per-layer post-MMSE SINR of the whitened channel a[:n_rx, :n_layer] into out[:n_layer]
    (linear, clipped at 0); m and work: complex scratch of at least n_layer x n_layer."""
    for i in range(n_layer):
        for j in range(i, n_layer):
            s = 0j
            for t in range(n_rx):
                s += np.conj(a[t, j]) * a[t, i]
            m[j, i] = s if j != i else s + 1.0  # (I + A^H A)_ji
            m[i, j] = np.conj(m[j, i])
    if not cholesky_inplace(m, n_layer):  # I + A^H A is PD for finite A: only NaN/inf get here
        for k in range(n_layer):
            out[k] = np.nan
        return
    chol_inv_diag(m, n_layer, work, out)
    for k in range(n_layer):
        g = 1.0 / out[k] - 1.0
        out[k] = g if g > 0.0 else 0.0


@jit
def whiten_into(ell, n_rx, h, n_col, out):
    """out[:n_rx, :n_col] = L^-1 h for the lower Cholesky factor ell[:n_rx, :n_rx] (forward
    substitution)."""
    for c in range(n_col):
        for i in range(n_rx):
            s = h[i, c]
            for t in range(i):
                s -= ell[i, t] * out[t, c]
            out[i, c] = s / ell[i, i].real


@jit
def chol_inverse(ell, n, work, out):
    """Full (L L^H)^-1 = L^-H L^-1 from the lower Cholesky factor ell[:n, :n] into out[:n, :n]
    (work: complex scratch of at least n x n, holds L^-1 on return)."""
    lower_inverse_into(ell, n, work)
    for i in range(n):
        for j in range(n):
            acc = 0j
            for t in range(max(i, j), n):
                acc += np.conj(work[t, i]) * work[t, j]
            out[i, j] = acc


@jit
def lower_h_solve_into(ell, n, x, n_col):
    """x[:n, :n_col] <- L^-H x in place for the lower Cholesky factor ell[:n, :n] (backward
    substitution with the conjugate transpose)."""
    for c in range(n_col):
        for i in range(n - 1, -1, -1):
            s = x[i, c]
            for t in range(i + 1, n):
                s -= np.conj(ell[t, i]) * x[t, c]
            x[i, c] = s / ell[i, i].real
