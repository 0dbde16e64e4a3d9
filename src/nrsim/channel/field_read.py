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

The soft LOS state of TR 38.901 V17.0.0 7.6.3.3 (eq. 7.6-18), for a smooth LOS/NLOS
transition of moving UEs, is (:func:`soft_los_state`)
    LOS_soft = 1/2 + (1/pi) arctan( sqrt(20 / lambda) (F(d) - G) ),
    F(d) = sqrt(2) erfinv(2 P_LOS(d) - 1) = Phi^-1(P_LOS(d)),
lambda the wavelength in metres. The clause writes "+ G" with its own zero-mean unit
Gaussian; G -> -G has the same law, and with "- G" LOS_soft > 1/2 exactly where the hard
state of 7.6.3.1 (Phi(G) < P_LOS) is LOS, so both read the same field. The clause combines
the channels as H = LOS_soft H_LOS + sqrt(1 - LOS_soft^2) H_NLOS (eq. 7.6-19); with
independent LOS and NLOS small-scale phases the mean power gain is therefore
    g = LOS_soft^2 g_LOS + (1 - LOS_soft^2) g_NLOS
(:func:`soft_los_loss_db`), g_LOS and g_NLOS each with its own path loss and shadow fading.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from nrsim.compiled import jit


_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
SPEED_OF_LIGHT_M_S = 299_792_458.0

# P. J. Acklam's rational approximation of the standard normal quantile (relative error
# below 1.2e-9), refined by one Halley step on erfc to double precision.
_ACK_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
          1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
_ACK_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
          6.680131188771972e01, -1.328068155288572e01)
_ACK_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
          -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
_ACK_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
          3.754408661907416e00)
_ACK_P_LOW = 0.02425


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
def std_normal_ppf(p: float) -> float:
    """Phi^-1(p) = sqrt(2) erfinv(2 p - 1): -inf for p <= 0, +inf for p >= 1 (Acklam's
    approximation with one Halley step; agrees with scipy.special.ndtri to ~1e-15)."""
    if p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return math.inf
    a, b, c, d = _ACK_A, _ACK_B, _ACK_C, _ACK_D
    if p < _ACK_P_LOW or p > 1.0 - _ACK_P_LOW:
        q = math.sqrt(-2.0 * math.log(p if p < 0.5 else 1.0 - p))
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0)
        if p > 0.5:
            x = -x
    else:
        q = p - 0.5
        r = q * q
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (
            ((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0)
    # Halley step on Phi(x) - p (upper tail through 1 - p to keep the precision)
    if x > 0.0:  # Phi(x) - p = (1 - p) - erfc(x / sqrt 2) / 2
        e = (1.0 - p) - 0.5 * math.erfc(x * _INV_SQRT2)
    else:
        e = 0.5 * math.erfc(-x * _INV_SQRT2) - p
    u = e * _SQRT_2PI * math.exp(0.5 * x * x)
    return x - u / (1.0 + 0.5 * x * u)


@jit
def soft_los_scale(fc_ghz: float) -> float:
    """sqrt(20 / lambda) of eq. 7.6-18, lambda = c / fc in metres (15.3 at 3.5 GHz)."""
    return math.sqrt(20.0 * fc_ghz * 1e9 / SPEED_OF_LIGHT_M_S)


@jit
def soft_los_state(g: float, p_los: float, scale: float) -> float:
    """LOS_soft of TR 38.901 V17.0.0 7.6.3.3, eq. 7.6-18 (module docstring), in [0, 1]:
    ``g`` the link's value of the unit Gaussian LOS field, ``scale`` = sqrt(20 / lambda)
    (:func:`soft_los_scale`). > 1/2 exactly where :func:`los_from_gaussian` is LOS."""
    return 0.5 + math.atan(scale * (std_normal_ppf(p_los) - g)) / math.pi


@jit
def soft_los_loss_db(s: float, loss_los_db: float, loss_nlos_db: float) -> float:
    """Loss [dB] of the soft-LOS link: -10 log10(s^2 10^(-L_LOS/10) + (1 - s^2) 10^(-L_NLOS/10))
    (eq. 7.6-19 in power, module docstring), ``s`` = LOS_soft; exactly L_LOS at s = 1 and
    L_NLOS at s = 0."""
    w = s * s
    lo = min(loss_los_db, loss_nlos_db)
    mix = w * 10.0 ** (-(loss_los_db - lo) / 10.0) + (1.0 - w) * 10.0 ** (-(loss_nlos_db - lo) / 10.0)
    return lo - 10.0 * math.log10(mix)


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


@numba.vectorize(["float64(float64)"], cache=True)
def std_normal_ppf_array(p):
    """Elementwise :func:`std_normal_ppf`."""
    return std_normal_ppf(p)


@numba.vectorize(["float64(float64, float64, float64)"], cache=True)
def soft_los_state_array(g, p_los, scale):
    """Elementwise :func:`soft_los_state`."""
    return soft_los_state(g, p_los, scale)


@numba.vectorize(["float64(float64, float64, float64)"], cache=True)
def soft_los_loss_db_array(s, loss_los_db, loss_nlos_db):
    """Elementwise :func:`soft_los_loss_db`."""
    return soft_los_loss_db(s, loss_los_db, loss_nlos_db)
