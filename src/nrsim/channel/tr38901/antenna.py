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

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.errors import ConfigError
from nrsim.units import lin_to_db

__all__ = [
    "wrap_angle_deg",
    "element_pattern_db",
    "column_array_gain_dbi",
    "column_array_factor_db",
    "gcs_to_lcs_angles",
    "angles_from_vector_deg",
    "bs_antenna_gain_dbi",
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
    return 180.0 - np.mod(180.0 - _f64(angle_deg), 360.0)


def element_pattern_db(
    theta_deg: ArrayLike,
    phi_deg: ArrayLike,
    theta_3db_deg: float = THETA_3DB_DEG,
    phi_3db_deg: float = PHI_3DB_DEG,
    sla_v_db: float = SLA_V_DB,
    a_max_db: float = A_MAX_DB,
    g_max_dbi: float = G_E_MAX_DBI,
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
    theta_3db_deg, phi_3db_deg : float, [deg]
        Half-power beamwidths (65 deg).
    sla_v_db, a_max_db : float, [dB]
        Side-lobe level limit and front-back ratio (30 dB).
    g_max_dbi : float, [dBi]
        Maximum directional element gain (8 dBi).

    Returns
    -------
    ndarray of float64, broadcast shape, [dBi]
    """
    theta = _f64(theta_deg)
    phi = wrap_angle_deg(phi_deg)
    a_v_db = -np.minimum(12.0 * ((theta - 90.0) / theta_3db_deg) ** 2, sla_v_db)
    a_h_db = -np.minimum(12.0 * (phi / phi_3db_deg) ** 2, a_max_db)
    return -np.minimum(-(a_v_db + a_h_db), a_max_db) + g_max_dbi


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
    theta_3db_deg: float = THETA_3DB_DEG,
    phi_3db_deg: float = PHI_3DB_DEG,
    sla_v_db: float = SLA_V_DB,
    a_max_db: float = A_MAX_DB,
    g_max_dbi: float = G_E_MAX_DBI,
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
    theta_3db_deg, phi_3db_deg, sla_v_db, a_max_db, g_max_dbi : float
        Element parameters, see :func:`element_pattern_db`.

    Returns
    -------
    ndarray of float64, broadcast shape, [dBi]

    Raises
    ------
    ConfigError
        If ``n_elements`` is not a whole number >= 1.
    """
    m_count = _validated_n_elements(n_elements)
    element_dbi = element_pattern_db(
        theta_deg,
        phi_deg,
        theta_3db_deg=theta_3db_deg,
        phi_3db_deg=phi_3db_deg,
        sla_v_db=sla_v_db,
        a_max_db=a_max_db,
        g_max_dbi=g_max_dbi,
    )
    return element_dbi + column_array_factor_db(theta_deg, m_count, spacing_wl, etilt_deg)


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
    m_count = _validated_n_elements(n_elements).astype(np.float64)
    psi_rad = (
        2.0
        * math.pi
        * _f64(spacing_wl)
        * (np.cos(np.radians(_f64(theta_deg))) - np.cos(np.radians(_f64(etilt_deg))))
    )
    half = 0.5 * psi_rad
    den = np.sin(half)
    num = np.sin(m_count * half)
    small = np.abs(den) < 1e-9
    with np.errstate(divide="ignore", invalid="ignore"):
        af_power_lin = np.where(small, m_count, (num * num) / (m_count * np.where(small, 1.0, den * den)))
    return lin_to_db(af_power_lin)


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
    theta = np.radians(_f64(theta_deg))
    dphi = np.radians(_f64(phi_deg) - _f64(bearing_deg))
    beta = np.radians(_f64(downtilt_deg))
    gamma = np.radians(_f64(slant_deg))
    cos_b, sin_b = np.cos(beta), np.sin(beta)
    cos_g, sin_g = np.cos(gamma), np.sin(gamma)
    cos_t, sin_t = np.cos(theta), np.sin(theta)
    cos_p, sin_p = np.cos(dphi), np.sin(dphi)
    # eq. (7.1-7)
    cos_theta_lcs = cos_b * cos_g * cos_t + (sin_b * cos_g * cos_p - sin_g * sin_p) * sin_t
    theta_lcs_deg = np.degrees(np.arccos(np.clip(cos_theta_lcs, -1.0, 1.0)))
    # eq. (7.1-8)
    re = cos_b * sin_t * cos_p - sin_b * cos_t
    im = cos_b * sin_g * cos_t + (sin_b * sin_g * cos_p + cos_g * sin_p) * sin_t
    phi_lcs_deg = wrap_angle_deg(np.degrees(np.arctan2(im, re)))
    return theta_lcs_deg, phi_lcs_deg


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
    theta_3db_deg: float = THETA_3DB_DEG,
    phi_3db_deg: float = PHI_3DB_DEG,
    sla_v_db: float = SLA_V_DB,
    a_max_db: float = A_MAX_DB,
    g_max_dbi: float = G_E_MAX_DBI,
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
    theta_3db_deg, phi_3db_deg, sla_v_db, a_max_db, g_max_dbi : float
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
        theta_lcs_deg,
        phi_lcs_deg,
        n_elements,
        spacing_wl,
        etilt_deg,
        theta_3db_deg=theta_3db_deg,
        phi_3db_deg=phi_3db_deg,
        sla_v_db=sla_v_db,
        a_max_db=a_max_db,
        g_max_dbi=g_max_dbi,
    )
