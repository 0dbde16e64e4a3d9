"""Reading the per-site Gaussian fields (shadow fading, LOS state) at a UE position: the one
scalar core that the NumPy reference chain (:mod:`nrsim.channel.large_scale`, through
:meth:`nrsim.channel.shadowing_field.SiteShadowingField.values`) and the compiled drop kernel
(:mod:`nrsim.engine.dense_kernel`) both call, so that they read identical values.

Two reads of a unit-variance field F sampled on a square grid of step h whose points
correlate as exp(-r / d_corr) (TR 38.901 7.5 step 4 / 7.6.3.1):

- nearest: F at the nearest grid point (piecewise constant: steps between cells);
- bilinear: the bilinear interpolation of the four surrounding grid points, divided by its
  standard deviation so that the value stays exactly N(0, 1) (continuous in x). With
  weights a = (1 - fx, fx) along x and b = (1 - fy, fy) along y (fx, fy in [0, 1)), and
  rho1 = exp(-h / d_corr) between neighbours along one axis and rho2 = exp(-sqrt(2) h /
  d_corr) across the diagonal, the variance of sum_ij a_i b_j F_ij is
      V = A0 B0 + rho1 (A1 B0 + A0 B1) + rho2 A1 B1,
  with A0 = a0^2 + a1^2, A1 = 2 a0 a1 (A0 + A1 = 1) and B0, B1 likewise: the pair terms of
  the tensor-product weights, grouped by whether the two points differ in x, in y or in
  both. V = 1 at grid points; its minimum, at a cell's centre, is (1 + 2 rho1 + rho2) / 4.

The LOS state of 7.6.3.1 compares a spatially consistent uniform with P_LOS; the uniform is
Phi(G) with G such a field and Phi the standard normal CDF (:func:`std_normal_cdf`).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from nrsim.compiled import jit


_INV_SQRT2 = 1.0 / math.sqrt(2.0)


@jit
def std_normal_cdf(g: float) -> float:
    """Phi(g) = erfc(-g / sqrt 2) / 2, in (0, 1) for finite g."""
    return 0.5 * math.erfc(-g * _INV_SQRT2)


@jit
def los_from_gaussian(g: float, p_los: float) -> bool:
    """The LOS state of 7.6.3.1: Phi(g) < p_los. Phi is evaluated only where the sign of g
    does not decide (Phi(g) >= 1/2 for g >= 0, <= 1/2 for g < 0), which halves the cost and
    gives the same answer as the plain comparison."""
    if g >= 0.0 and p_los < 0.5:
        return False
    if g < 0.0 and p_los > 0.5:
        return True
    return std_normal_cdf(g) < p_los


@jit
def grid_coord(x: float, org: float, step: float, n: int) -> tuple[int, float]:
    """Lower torus grid index of coordinate x, in [0, n), and the fraction in [0, 1) towards
    the next index."""
    u = (x - org) / step
    f = math.floor(u)
    g = int(f) % n
    if g < 0:
        g += n
    return g, u - f


@jit
def grid_nearest(x: float, org: float, step: float, n: int) -> int:
    """Nearest torus grid index of coordinate x, in [0, n) (ties to even, as numpy.rint)."""
    g = int(np.rint((x - org) / step)) % n
    return g + n if g < 0 else g


@jit
def bilinear_rho(step_m: float, d_corr_m: float) -> tuple[float, float]:
    """(rho1, rho2): correlation of grid neighbours along an axis and across the diagonal."""
    return math.exp(-step_m / d_corr_m), math.exp(-math.sqrt(2.0) * step_m / d_corr_m)


@jit
def _wrap(i: int, n: int) -> int:
    """Index ``i`` in [0, 2n) folded onto the torus [0, n)."""
    return i - n if i >= n else i


@jit
def field_nearest(field, n: int, off_x: int, off_y: int, gx: int, gy: int) -> float:
    """Field value at grid point (gx, gy) shifted by a site's offset; all indices in [0, n)
    (``field`` may be a padded [nmax, nmax] array of which the first n x n are used)."""
    return field[_wrap(gx + off_x, n), _wrap(gy + off_y, n)]


@jit
def field_bilinear(
    field, n: int, off_x: int, off_y: int, gx: int, gy: int, fx: float, fy: float,
    rho1: float, rho2: float,
) -> float:
    """Unit-variance bilinear read between grid points (gx, gy) .. (gx + 1, gy + 1) of a
    site's window (module docstring)."""
    ix = _wrap(gx + off_x, n)
    iy = _wrap(gy + off_y, n)
    jx = _wrap(ix + 1, n)
    jy = _wrap(iy + 1, n)
    a0, a1 = 1.0 - fx, fx
    b0, b1 = 1.0 - fy, fy
    v = a0 * (b0 * field[ix, iy] + b1 * field[ix, jy]) + a1 * (b0 * field[jx, iy] + b1 * field[jx, jy])
    ca0, ca1 = a0 * a0 + a1 * a1, 2.0 * a0 * a1
    cb0, cb1 = b0 * b0 + b1 * b1, 2.0 * b0 * b1
    var = ca0 * cb0 + rho1 * (ca1 * cb0 + ca0 * cb1) + rho2 * ca1 * cb1
    return v / math.sqrt(var)


@jit
def read_sites(field, n, step, org_x, org_y, offsets, ue_x, ue_y, site_idx, bilinear, rho1, rho2):
    """F_s(x) of UE i and site ``site_idx[i, k]`` -> float64 [ue, k] (the reference chain's
    vectorised read, through the same scalar core as the kernel)."""
    n_ue, k = site_idx.shape
    out = np.empty((n_ue, k))
    for i in range(n_ue):
        if bilinear:
            gx, fx = grid_coord(ue_x[i], org_x, step, n)
            gy, fy = grid_coord(ue_y[i], org_y, step, n)
        else:
            gx = grid_nearest(ue_x[i], org_x, step, n)
            gy = grid_nearest(ue_y[i], org_y, step, n)
            fx = fy = 0.0
        for q in range(k):
            s = site_idx[i, q]
            if bilinear:
                out[i, q] = field_bilinear(field, n, offsets[s, 0], offsets[s, 1], gx, gy, fx, fy, rho1, rho2)
            else:
                out[i, q] = field_nearest(field, n, offsets[s, 0], offsets[s, 1], gx, gy)
    return out


@numba.vectorize(["float64(float64)"], cache=True)
def std_normal_cdf_array(g):
    """Elementwise :func:`std_normal_cdf`."""
    return std_normal_cdf(g)


@numba.vectorize(["boolean(float64, float64)"], cache=True)
def los_from_gaussian_array(g, p_los):
    """Elementwise :func:`los_from_gaussian`."""
    return los_from_gaussian(g, p_los)
