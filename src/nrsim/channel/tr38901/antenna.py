"""BS antenna element pattern, vertical column array and coordinate transforms.

Reference: 3GPP TR 38.901 V17.0.0 (2022-03):

* 7.1.1-7.1.3 coordinate systems: zenith angle theta in [0, 180] deg from the +z axis,
  azimuth phi counter-clockwise from the +x axis (here: x = east, y = north, z = up);
  GCS -> LCS angles by eqs. (7.1-7) and (7.1-8), which invert the rotation
  R = R_Z(alpha) R_Y(beta) R_X(gamma) of 7.1.3 (alpha = bearing, beta = mechanical downtilt,
  gamma = slant).
* 7.3, Table 7.3-1: radiation power pattern of a single element.
* 7.3.1, eq. (7.3-1): a legacy vertical uniform linear array driven by one port with fixed
  phase weights (electrical tilt).

All functions are elementwise over broadcastable ``float64`` arrays: angles of shape
``[ue, cell]`` (or ``[ue, k]``) with per-cell parameters such as ``bearing_deg [cell]``.
Angles are in degrees, gains in dBi.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.compiled import gufunc, jit, ufunc
from nrsim.errors import ConfigError

__all__ = [
    "ElementPattern",
    "TR38901_ELEMENT",
    "wrap_angle_deg",
    "element_pattern_db",
    "column_array_gain_dbi",
    "column_array_factor_db",
    "gcs_to_lcs_angles",
    "angles_from_vector_deg",
    "bs_antenna_gain_dbi",
    "wrap_angle_core",
    "vertical_attenuation_core",
    "horizontal_attenuation_core",
    "element_gain_core",
    "column_af_core",
    "lcs_angles_core",
]

# Table 7.3-1 defaults.
THETA_3DB_DEG: float = 65.0
"""Vertical half-power beamwidth theta_3dB [deg] (Table 7.3-1)."""
PHI_3DB_DEG: float = 65.0
"""Horizontal half-power beamwidth phi_3dB [deg] (Table 7.3-1)."""
SLA_V_DB: float = 30.0
"""Side-lobe level limit SLA_V [dB] (Table 7.3-1)."""
A_MAX_DB: float = 30.0
"""Front-back ratio A_max [dB] (Table 7.3-1)."""
G_E_MAX_DBI: float = 8.0
"""Maximum directional gain of an element G_E,max [dBi] (Table 7.3-1)."""


@dataclass(frozen=True)
class ElementPattern:
    """Parameters of the BS antenna element pattern, TR 38.901 V17.0.0 Table 7.3-1 (defaults
    are the table's values)."""

    theta_3db_deg: float = THETA_3DB_DEG
    """Vertical half-power beamwidth theta_3dB [deg]."""
    phi_3db_deg: float = PHI_3DB_DEG
    """Horizontal half-power beamwidth phi_3dB [deg]."""
    sla_v_db: float = SLA_V_DB
    """Side-lobe level limit SLA_V [dB]."""
    a_max_db: float = A_MAX_DB
    """Front-back ratio A_max [dB]."""
    g_max_dbi: float = G_E_MAX_DBI
    """Maximum directional gain of an element G_E,max [dBi]."""


TR38901_ELEMENT = ElementPattern()
"""The element of Table 7.3-1 (65 deg beamwidths, 30 dB limits, 8 dBi)."""


# --------------------------------------------------------------------------------------------
# Scalar cores: the one implementation of each formula. The compiled drop kernel calls them
# per link; the public array functions below are NumPy ufuncs over them.
# --------------------------------------------------------------------------------------------


@jit
def wrap_angle_core(angle_deg: float) -> float:
    """``angle_deg`` wrapped to (-180, 180] [deg] (whole turns subtracted exactly as many
    times as needed; reduced modulo 360 first beyond three turns)."""
    a = angle_deg
    if abs(a) > 1080.0:
        a = a % 360.0
    while a > 180.0:
        a -= 360.0
    while a <= -180.0:
        a += 360.0
    return a


@jit
def vertical_attenuation_core(theta_deg: float, theta_3db_deg: float, sla_v_db: float) -> float:
    """min(12 ((theta - 90) / theta_3dB)^2, SLA_V) [dB] (Table 7.3-1: -A_V(theta))."""
    return min(12.0 * ((theta_deg - 90.0) / theta_3db_deg) ** 2, sla_v_db)


@jit
def horizontal_attenuation_core(phi_deg: float, phi_3db_deg: float, a_max_db: float) -> float:
    """min(12 (phi / phi_3dB)^2, A_max) [dB] (Table 7.3-1: -A_H(phi)); ``phi_deg`` wrapped
    to one turn about boresight by the caller."""
    return min(12.0 * (phi_deg / phi_3db_deg) ** 2, a_max_db)


@jit
def element_gain_core(a_v_db: float, a_h_db: float, a_max_db: float, peak_dbi: float) -> float:
    """peak - min(-(A_V + A_H), A_max) [dBi] (Table 7.3-1, A'' + G_E,max) from the two
    attenuations (>= 0); ``peak_dbi`` is G_E,max, plus the column's array factor for a
    column (7.3.1)."""
    return peak_dbi - min(a_h_db + a_v_db, a_max_db)


@jit
def column_af_core(cos_theta: float, n_el: int, spacing_wl: float, cos_etilt: float) -> float:
    """10 log10 |AF|^2 of the one-port vertical column [dB] (7.3.1, eq. 7.3-1), from the
    cosines of the LCS zenith angle and of the electrical steering angle.

    With psi = 2 pi d_V (cos theta - cos theta_etilt) and weights 1/sqrt(M),
    |AF|^2 = sin^2(M psi / 2) / (M sin^2(psi / 2)) = (1 - T_M(c)) / (M (1 - c)) with
    c = cos(psi) and T_M the Chebyshev polynomial (cos(M psi) = T_M(cos psi)), evaluated by
    its three-term recurrence: one cosine instead of two sines. The limit where c = 1 is M;
    -inf at an exact null."""
    if n_el <= 1:
        return 0.0
    psi = 2.0 * math.pi * spacing_wl * (cos_theta - cos_etilt)
    c = math.cos(psi)
    one_minus_c = 1.0 - c
    if one_minus_c < 1e-12:
        return 10.0 * math.log10(n_el)
    t_prev, t_cur = 1.0, c  # T_0, T_1
    for _ in range(n_el - 1):
        t_prev, t_cur = t_cur, 2.0 * c * t_cur - t_prev
    val = (1.0 - t_cur) / (n_el * one_minus_c)
    if val <= 0.0:
        return -math.inf
    return 10.0 * math.log10(val)


@jit
def lcs_angles_core(
    theta_deg: float, dphi_deg: float, cos_b: float, sin_b: float, cos_g: float, sin_g: float
) -> tuple[float, float, float]:
    """GCS -> LCS angles of one direction, TR 38.901 V17.0.0 7.1.3, eqs. (7.1-7), (7.1-8):
    zenith ``theta_deg``, azimuth relative to the bearing ``dphi_deg`` = phi - alpha, and the
    cosines and sines of the downtilt beta and slant gamma. Returns (theta' [deg],
    cos theta' (clipped to [-1, 1]), phi' [deg] in [-180, 180])."""
    t = math.radians(theta_deg)
    dp = math.radians(dphi_deg)
    ct, st = math.cos(t), math.sin(t)
    cp, sp = math.cos(dp), math.sin(dp)
    cos_tl = cos_b * cos_g * ct + (sin_b * cos_g * cp - sin_g * sp) * st  # eq. (7.1-7)
    cos_tl = min(max(cos_tl, -1.0), 1.0)
    re = cos_b * st * cp - sin_b * ct  # eq. (7.1-8)
    im = cos_b * sin_g * ct + (sin_b * sin_g * cp + cos_g * sp) * st
    return math.degrees(math.acos(cos_tl)), cos_tl, math.degrees(math.atan2(im, re))


@ufunc(["float64(float64)"])
def _wrap_ufunc(angle_deg):
    return wrap_angle_core(angle_deg)


@ufunc(["float64(float64, float64, float64, float64, float64, float64, float64)"])
def _element_ufunc(theta_deg, phi_deg, theta_3db_deg, phi_3db_deg, sla_v_db, a_max_db, peak_dbi):
    a_v = vertical_attenuation_core(theta_deg, theta_3db_deg, sla_v_db)
    a_h = horizontal_attenuation_core(wrap_angle_core(phi_deg), phi_3db_deg, a_max_db)
    return element_gain_core(a_v, a_h, a_max_db, peak_dbi)


@ufunc(["float64(float64, int64, float64, float64)"])
def _column_af_ufunc(theta_deg, n_el, spacing_wl, etilt_deg):
    return column_af_core(math.cos(math.radians(theta_deg)), n_el, spacing_wl, math.cos(math.radians(etilt_deg)))


@ufunc(["float64(float64, float64, int64, float64, float64, float64, float64, float64, float64, float64)"])
def _column_gain_ufunc(theta_deg, phi_deg, n_el, spacing_wl, etilt_deg, theta_3db_deg, phi_3db_deg,
                       sla_v_db, a_max_db, g_max_dbi):
    af = column_af_core(math.cos(math.radians(theta_deg)), n_el, spacing_wl, math.cos(math.radians(etilt_deg)))
    a_v = vertical_attenuation_core(theta_deg, theta_3db_deg, sla_v_db)
    a_h = horizontal_attenuation_core(wrap_angle_core(phi_deg), phi_3db_deg, a_max_db)
    return element_gain_core(a_v, a_h, a_max_db, g_max_dbi + af)


@gufunc(["void(float64, float64, float64, float64, float64, float64[:], float64[:])"], "(),(),(),(),()->(),()")
def _lcs_gufunc(theta_deg, phi_deg, bearing_deg, downtilt_deg, slant_deg, theta_out, phi_out):
    b = math.radians(downtilt_deg)
    g = math.radians(slant_deg)
    th, _, ph = lcs_angles_core(theta_deg, phi_deg - bearing_deg, math.cos(b), math.sin(b), math.cos(g), math.sin(g))
    theta_out[0] = th
    phi_out[0] = wrap_angle_core(ph)


def _f64(x: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(x, dtype=np.float64)


def wrap_angle_deg(angle_deg: ArrayLike) -> NDArray[np.float64]:
    """Wrap angles to the azimuth range (-180, 180] deg.

    Parameters
    ----------
    angle_deg : array_like of float64, any shape, [deg]

    Returns
    -------
    ndarray of float64, same shape, [deg], in (-180, 180]
    """
    return np.asarray(_wrap_ufunc(_f64(angle_deg)), dtype=np.float64)


def element_pattern_db(
    theta_deg: ArrayLike, phi_deg: ArrayLike, element: ElementPattern = TR38901_ELEMENT
) -> NDArray[np.float64]:
    """Gain of one BS antenna element, A''(theta, phi) + G_E,max [dBi].

    TR 38.901 V17.0.0, Table 7.3-1::

        A_V(theta) = -min(12 ((theta - 90) / theta_3dB)^2, SLA_V)
        A_H(phi)   = -min(12 (phi / phi_3dB)^2, A_max)
        A''        = -min(-(A_V + A_H), A_max)
        gain       = A'' + G_E,max

    Parameters
    ----------
    theta_deg : array_like of float64, e.g. [ue, cell], [deg]
        LCS zenith angle in [0, 180] (90 = horizon of the panel).
    phi_deg : array_like of float64, broadcastable, [deg]
        LCS azimuth (0 = boresight); wrapped to (-180, 180] first.
    element : ElementPattern
        theta_3dB, phi_3dB [deg], SLA_V, A_max [dB] and G_E,max [dBi] (Table 7.3-1 values by
        default).

    Returns
    -------
    ndarray of float64, broadcast shape, [dBi]
    """
    e = element
    return np.asarray(_element_ufunc(theta_deg, phi_deg, e.theta_3db_deg, e.phi_3db_deg, e.sla_v_db, e.a_max_db,
                                     e.g_max_dbi), dtype=np.float64)


def _validated_n_elements(n_elements: ArrayLike) -> NDArray[np.int64]:
    m = np.asarray(n_elements)
    m_f = m.astype(np.float64)
    if m.size and (np.any(~np.isfinite(m_f)) or np.any(m_f < 1) or np.any(m_f != np.floor(m_f))):
        raise ConfigError(
            f"n_elements = {m.tolist()!r} must be whole numbers >= 1 (elements per column)",
            field="n_elements",
        )
    return m.astype(np.int64)


def column_array_gain_dbi(
    theta_deg: ArrayLike,
    phi_deg: ArrayLike,
    n_elements: ArrayLike,
    spacing_wl: ArrayLike = 0.5,
    etilt_deg: ArrayLike = 90.0,
    *,
    element: ElementPattern = TR38901_ELEMENT,
) -> NDArray[np.float64]:
    """Gain of a vertical column of M elements fed by one port with electrical tilt [dBi].

    TR 38.901 V17.0.0, 7.3.1, eq. (7.3-1): the M elements sit on the LCS z axis at
    z_m = m d_V lambda (m = 0..M-1) with weights::

        w_m = 1/sqrt(M) exp(-j 2 pi m d_V cos(theta_etilt))

    and the array factor (phase term r^T d / lambda of 7.5, eq. (7.5-22))::

        AF(theta) = sum_m w_m exp(j 2 pi m d_V cos(theta))

    The gain is element gain (Table 7.3-1, :func:`element_pattern_db`) + 10 log10 |AF|^2. With
    sum |w_m|^2 = 1 the array adds 10 log10(M) dB in the steering direction, so the peak is at
    most G_E,max + 10 log10(M); it equals that only if the element pattern is at its maximum
    there (theta_etilt = 90). The element pattern itself is not tilted. At an exact null of AF
    the result is -inf.

    Parameters
    ----------
    theta_deg, phi_deg : array_like of float64, e.g. [ue, cell], [deg]
        LCS zenith and azimuth angles.
    n_elements : int or array_like of int, broadcastable (e.g. [cell])
        Elements per column M >= 1; M = 1 reduces to the element pattern.
    spacing_wl : array_like of float64, broadcastable, [wavelengths]
        Vertical element spacing d_V (0.5).
    etilt_deg : array_like of float64, broadcastable, [deg]
        Electrical steering zenith angle theta_etilt in [0, 180]; 90 = broadside,
        102 = 12 deg below the panel horizon.
    element : ElementPattern
        Element parameters (Table 7.3-1), see :func:`element_pattern_db`.

    Returns
    -------
    ndarray of float64, broadcast shape, [dBi]

    Raises
    ------
    ConfigError
        If ``n_elements`` is not a whole number >= 1.
    """
    m_count = _validated_n_elements(n_elements)
    e = element
    return np.asarray(_column_gain_ufunc(theta_deg, phi_deg, m_count, spacing_wl, etilt_deg, e.theta_3db_deg,
                                         e.phi_3db_deg, e.sla_v_db, e.a_max_db, e.g_max_dbi), dtype=np.float64)


def column_array_factor_db(
    theta_deg: ArrayLike,
    n_elements: ArrayLike,
    spacing_wl: ArrayLike = 0.5,
    etilt_deg: ArrayLike = 90.0,
) -> NDArray[np.float64]:
    """Array gain 10 log10 |AF|^2 of the one-port vertical column of
    :func:`column_array_gain_dbi` [dB], in closed form.

    With psi = 2 pi d_V (cos theta - cos theta_etilt) and weights 1/sqrt(M), the geometric
    series gives |AF|^2 = sin^2(M psi / 2) / (M sin^2(psi / 2)), whose limit where
    sin(psi / 2) = 0 is M (TR 38.901 V17.0.0, 7.3.1, eq. (7.3-1)). It depends on theta only,
    so a site's co-located sectors share it.

    Parameters
    ----------
    theta_deg : array_like of float64, any shape, [deg]
        LCS zenith angle.
    n_elements : int or array_like of int, broadcastable
    spacing_wl : array_like of float64, broadcastable, [wavelengths]
    etilt_deg : array_like of float64, broadcastable, [deg]

    Returns
    -------
    ndarray of float64, broadcast shape, [dB]; -inf at an exact null.
    """
    m_count = _validated_n_elements(n_elements)
    return np.asarray(_column_af_ufunc(theta_deg, m_count, spacing_wl, etilt_deg), dtype=np.float64)


def gcs_to_lcs_angles(
    theta_deg: ArrayLike,
    phi_deg: ArrayLike,
    bearing_deg: ArrayLike,
    downtilt_deg: ArrayLike,
    *,
    slant_deg: ArrayLike = 0.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert GCS angles to the LCS of a rotated antenna panel.

    TR 38.901 V17.0.0, 7.1.3, eqs. (7.1-7) and (7.1-8), with alpha = ``bearing_deg``,
    beta = ``downtilt_deg``, gamma = ``slant_deg``::

        theta' = arccos(cos b cos g cos theta
                        + (sin b cos g cos(phi - a) - sin g sin(phi - a)) sin theta)
        phi'   = arg(cos b sin theta cos(phi - a) - sin b cos theta
                     + j (cos b sin g cos theta
                          + (sin b sin g cos(phi - a) + cos g sin(phi - a)) sin theta))

    Parameters
    ----------
    theta_deg : array_like of float64, e.g. [ue, cell], [deg]
        GCS zenith angle in [0, 180].
    phi_deg : array_like of float64, broadcastable, [deg]
        GCS azimuth, counter-clockwise from the x axis (east).
    bearing_deg : array_like of float64, broadcastable (e.g. [cell]), [deg]
        Boresight azimuth alpha, counter-clockwise from east.
    downtilt_deg : array_like of float64, broadcastable (e.g. [cell]), [deg]
        Mechanical downtilt beta; positive tilts the boresight below the horizon.
    slant_deg : array_like of float64, broadcastable, [deg]
        Slant angle gamma (default 0).

    Returns
    -------
    theta_lcs_deg : ndarray of float64, broadcast shape, [deg] in [0, 180]
    phi_lcs_deg : ndarray of float64, broadcast shape, [deg] in (-180, 180]
        With zero downtilt and slant: theta' = theta, phi' = wrap(phi - bearing).
    """
    theta_lcs_deg, phi_lcs_deg = _lcs_gufunc(theta_deg, phi_deg, bearing_deg, downtilt_deg, slant_deg)
    return np.asarray(theta_lcs_deg, dtype=np.float64), np.asarray(phi_lcs_deg, dtype=np.float64)


def angles_from_vector_deg(
    dx_m: ArrayLike, dy_m: ArrayLike, dz_m: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Zenith and azimuth angle of a direction vector in the GCS (TR 38.901 V17.0.0, 7.1.1).

    Parameters
    ----------
    dx_m, dy_m, dz_m : array_like of float64, broadcastable, e.g. [ue, cell], [m]
        Components of the vector from BS antenna to UE antenna (x east, y north, z up).

    Returns
    -------
    theta_deg : ndarray of float64, broadcast shape, [deg] in [0, 180]
        Zenith angle from +z (90 = horizontal, > 90 below the BS horizon).
    phi_deg : ndarray of float64, broadcast shape, [deg] in (-180, 180]
        Azimuth counter-clockwise from +x (east).
        The zero vector gives (0, 0).
    """
    dx = _f64(dx_m)
    dy = _f64(dy_m)
    dz = _f64(dz_m)
    theta_deg = np.degrees(np.arctan2(np.hypot(dx, dy), dz))
    phi_deg = wrap_angle_deg(np.degrees(np.arctan2(dy, dx)))
    return theta_deg, phi_deg


def bs_antenna_gain_dbi(
    dx_m: ArrayLike,
    dy_m: ArrayLike,
    dz_m: ArrayLike,
    bearing_deg: ArrayLike,
    mech_downtilt_deg: ArrayLike,
    n_elements: ArrayLike,
    etilt_deg: ArrayLike,
    spacing_wl: ArrayLike = 0.5,
    *,
    element: ElementPattern = TR38901_ELEMENT,
) -> NDArray[np.float64]:
    """BS antenna gain towards each UE [dBi]: direction -> LCS -> column array gain.

    Chains :func:`angles_from_vector_deg`, :func:`gcs_to_lcs_angles` (slant 0) and
    :func:`column_array_gain_dbi` (TR 38.901 V17.0.0, 7.1 and 7.3).

    Parameters
    ----------
    dx_m, dy_m, dz_m : array_like of float64, e.g. [ue, cell] or [ue, k], [m]
        Vector from BS antenna to UE antenna (x east, y north, z up).
    bearing_deg : array_like of float64, broadcastable (e.g. [cell]), [deg]
        Boresight azimuth, counter-clockwise from east.
    mech_downtilt_deg : array_like of float64, broadcastable (e.g. [cell]), [deg]
        Mechanical downtilt (positive = down).
    n_elements : int or array_like of int, broadcastable (e.g. [cell])
        Elements per vertical column.
    etilt_deg : array_like of float64, broadcastable (e.g. [cell]), [deg]
        Electrical steering zenith angle in the LCS (90 = broadside).
    spacing_wl : array_like of float64, broadcastable, [wavelengths]
        Vertical element spacing.
    element : ElementPattern
        Element parameters of Table 7.3-1.

    Returns
    -------
    ndarray of float64, broadcast shape, [dBi]
    """
    theta_gcs_deg, phi_gcs_deg = angles_from_vector_deg(dx_m, dy_m, dz_m)  # [ue, cell]
    theta_lcs_deg, phi_lcs_deg = gcs_to_lcs_angles(
        theta_gcs_deg, phi_gcs_deg, bearing_deg, mech_downtilt_deg
    )
    return column_array_gain_dbi(
        theta_lcs_deg, phi_lcs_deg, n_elements, spacing_wl, etilt_deg, element=element
    )
