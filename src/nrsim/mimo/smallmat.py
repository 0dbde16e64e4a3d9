"""Compiled helpers for the small dense matrices of the MIMO kernels (receive antennas and
layers up to a few, e.g. 4 x 4): Hermitian Gram matrices, Cholesky factors and the diagonal
of an inverse, written as plain loops so numba keeps them in registers and caches.

The post-MMSE SINR of a whitened channel A = R^-1/2 H_eff [rx, layer] is
SINR_k = 1 / [(I + A^H A)^-1]_kk - 1 (e.g. Tse & Viswanath, "Fundamentals of Wireless
Communication", 2005, eq. (8.66)-(8.67)); here the inverse's diagonal comes from the Cholesky
factor M = L L^H as [M^-1]_kk = sum_j |(L^-1)_jk|^2 (Golub & Van Loan, "Matrix
Computations", 4th ed., 2013, 4.2). The PMI search needs only the sum over layers of
log2(1 + SINR_k) = -log2 prod_k [M^-1]_kk (1 + SINR_k = 1 / [M^-1]_kk), which
:func:`whitened_mmse_capacity` gets from the square-root-free factor M = L D L^H (unit lower
L, D > 0; Golub & Van Loan 4.1.2) with one logarithm instead of one per layer.
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
def _row_update(x, i, t, f, n_col):
    """x[i, :n_col] -= f x[t, :n_col] (one step of a row-wise substitution)."""
    for c in range(n_col):
        x[i, c] -= f * x[t, c]


@jit
def _row_divide(x, i, d, n_col):
    """x[i, :n_col] /= d."""
    for c in range(n_col):
        x[i, c] = x[i, c] / d


@jit
def whiten_into(ell, n_rx, h, n_col, out):
    """out[:n_rx, :n_col] = L^-1 h for the lower Cholesky factor ell[:n_rx, :n_rx] (forward
    substitution, row by row: the columns are independent sums, each in the order
    h[i, c] - sum_{t < i} ell[i, t] out[t, c] by ascending t)."""
    for i in range(n_rx):
        for c in range(n_col):
            out[i, c] = h[i, c]
        for t in range(i):
            _row_update(out, i, t, ell[i, t], n_col)
        _row_divide(out, i, ell[i, i].real, n_col)


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
    substitution with the conjugate transpose, row by row as :func:`whiten_into`)."""
    for i in range(n - 1, -1, -1):
        for t in range(i + 1, n):
            _row_update(x, i, t, np.conj(ell[t, i]), n_col)
        _row_divide(x, i, ell[i, i].real, n_col)


@jit
def whitened_mmse_capacity(a, n_rx, n_layer, m):
    """sum_k log2(1 + SINR_k) [bit/s/Hz] of the per-layer post-MMSE SINR of the whitened
    channel a[:n_rx, :n_layer] (each SINR clipped at 0, as :func:`whitened_sinr_into`), as
    -log2 prod_k min([M^-1]_kk, 1), M = I + A^H A = L D L^H factored in m (complex scratch of
    at least n_layer x n_layer; its lower triangle holds L below the diagonal and D on it),
    [M^-1]_kk = sum_j |(L^-1)_jk|^2 / D_j. Equal to the sum of the logs of
    :func:`whitened_sinr_into` up to rounding (a few units in the last place); NaN for a
    non-finite A."""
    for i in range(n_layer):
        for j in range(i, n_layer):
            s = 0j
            for t in range(n_rx):
                s += np.conj(a[t, i]) * a[t, j]
            m[j, i] = np.conj(s) if j != i else s + 1.0  # (I + A^H A)_ji, lower triangle
    # LDL^H in place: m[j, j] = D_j (real), m[i, j] = L_ij for i > j
    for j in range(n_layer):
        d = m[j, j].real
        for k in range(j):
            lj = m[j, k]
            d -= (lj.real * lj.real + lj.imag * lj.imag) * m[k, k].real
        if not d > 0.0:
            return np.nan
        m[j, j] = d
        inv_d = 1.0 / d
        for i in range(j + 1, n_layer):
            s = m[i, j]
            for k in range(j):
                s -= m[i, k] * np.conj(m[j, k]) * m[k, k].real
            m[i, j] = s * inv_d
    if n_layer > 4:
        return _capacity_general(m, n_layer)
    prod = 1.0
    for k in range(n_layer):  # column k of L^-1 (unrolled for up to 4 layers), x_k = 1
        acc = 1.0 / m[k, k].real
        x1 = 0j
        x2 = 0j
        x3 = 0j
        if k + 1 < n_layer:
            x1 = -m[k + 1, k]
            acc += (x1.real * x1.real + x1.imag * x1.imag) / m[k + 1, k + 1].real
        if k + 2 < n_layer:
            x2 = -m[k + 2, k] - m[k + 2, k + 1] * x1
            acc += (x2.real * x2.real + x2.imag * x2.imag) / m[k + 2, k + 2].real
        if k + 3 < n_layer:
            x3 = -m[k + 3, k] - m[k + 3, k + 1] * x1 - m[k + 3, k + 2] * x2
            acc += (x3.real * x3.real + x3.imag * x3.imag) / m[k + 3, k + 3].real
        prod *= acc if acc < 1.0 else 1.0
    return -math.log2(prod)


@jit
def _capacity_general(m, n):
    """-log2 prod_k min([M^-1]_kk, 1) from the LDL^H factor in m[:n, :n] (any n)."""
    x = np.empty(n, np.complex128)
    prod = 1.0
    for k in range(n):
        acc = 1.0 / m[k, k].real
        x[k] = 1.0
        for i in range(k + 1, n):
            s = -m[i, k]
            for t in range(k + 1, i):
                s -= m[i, t] * x[t]
            x[i] = s
            acc += (s.real * s.real + s.imag * s.imag) / m[i, i].real
        prod *= acc if acc < 1.0 else 1.0
    return -math.log2(prod)


@jit
def gram_into(g, n_row, n_col, out):
    """out[:n_row, :n_row] = G G^H of g[:n_row, :n_col] (Hermitian, both triangles): the upper
    triangle's rows by :func:`cross_row_into` (entry (a, b) = sum_t g[a, t] conj(g[b, t]) by
    ascending t), the lower triangle their conjugates (bit for bit the sums
    sum_t g[b, t] conj(g[a, t]))."""
    for a in range(n_row):
        cross_row_into(g[a], g[a:], n_row - a, n_col, out[a, a:])
        for b in range(a, n_row):
            out[b, a] = np.conj(out[a, b])


@jit
def cross_row_into(x, g, n_row, n_col, out):
    """out[k] = sum_t x[t] conj(g[k, t]) for k < n_row (x [n_col], g [n_row, n_col]), each
    summed by ascending t; four rows at a time (independent sums)."""
    k = 0
    while k + 3 < n_row:
        s0 = 0j
        s1 = 0j
        s2 = 0j
        s3 = 0j
        for t in range(n_col):
            v = x[t]
            s0 += v * np.conj(g[k, t])
            s1 += v * np.conj(g[k + 1, t])
            s2 += v * np.conj(g[k + 2, t])
            s3 += v * np.conj(g[k + 3, t])
        out[k] = s0
        out[k + 1] = s1
        out[k + 2] = s2
        out[k + 3] = s3
        k += 4
    while k < n_row:
        s0 = 0j
        for t in range(n_col):
            s0 += x[t] * np.conj(g[k, t])
        out[k] = s0
        k += 1
