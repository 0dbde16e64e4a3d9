"""Basic path loss, shadow-fading parameters and validity ranges of TR 38.901 clause 7.4.1.

Reference: 3GPP TR 38.901 V17.0.0 (2022-03), 7.4.1, Table 7.4.1-1 and its notes; shadow-fading
correlation distances from 7.5, Table 7.5-6.

Conventions
-----------
* Every function is elementwise over broadcastable ``float64`` arrays, so the same call serves
  the dense ``[ue, cell]`` form and the sparse ``[ue, k]`` candidate-link form. Per-cell
  quantities (``h_bs_m`` of shape ``[cell]``) broadcast against ``[ue, cell]``; per-UE
  quantities must be given as ``[ue, 1]`` to broadcast against ``[ue, cell]``.
* Distances are in metres, heights in metres, the carrier frequency ``fc_ghz`` in GHz (the TR
  formulas use fc normalised by 1 GHz, Table 7.4.1-1 note 6); results are in dB.
* ``d_2d_m`` is the horizontal BS-UT distance (for O2I UEs the outdoor part d_2D-out plus
  d_2D-in as in Figure 7.4.1-2 -- the caller decides which distance it passes), ``d_3d_m`` the
  direct BS-UT antenna distance.
* The path-loss functions clip ``d_3d_m`` to at least :data:`MIN_D_3D_M` = 1 m so that a UE
  dropped on top of an antenna (e.g. InH d_2D = 0) gives a finite value; they do **not**
  enforce the validity ranges of Table 7.4.1-1. Distances below the 10 m minimum are common
  in drops, so range checking is a separate, explicit call: :func:`check_validity`.
* Beyond the validity ranges the formulas are extrapolated as written.
"""

from __future__ import annotations

import math
import warnings
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.channel.tr38901._common import C_TR38901_M_S
from nrsim.channel.tr38901.scenarios import PL_INH, PL_RMA, PL_UMA, PL_UMI, scenario as _scenario
from nrsim.compiled import jit, ufunc
from nrsim.errors import ConfigError, ModelValidityError, ModelValidityWarning

__all__ = [
    "MIN_D_3D_M",
    "breakpoint_distance_m",
    "rma_breakpoint_distance_m",
    "pathloss_uma_los_db",
    "pathloss_uma_nlos_db",
    "pathloss_umi_los_db",
    "pathloss_umi_nlos_db",
    "pathloss_rma_los_db",
    "pathloss_rma_nlos_db",
    "pathloss_inh_los_db",
    "pathloss_inh_nlos_db",
    "pathloss_db",
    "shadow_fading_std_db",
    "shadow_fading_decorrelation_m",
    "uma_effective_height_prob_1m",
    "sample_uma_effective_height_m",
    "check_validity",
    "pathloss_core",
    "pathloss_law_db",
    "breakpoint_core",
    "rma_breakpoint_core",
    "sigma_sf_los_core",
    "uma_effective_height_core",
]

MIN_D_3D_M: float = 1.0
"""Lower clip applied to ``d_3d_m`` inside every path-loss function [m]. Equal to the smallest
distance for which any Table 7.4.1-1 formula is specified (InH: 1 m <= d_3D); it only guards
the logarithm against d_3D = 0 and is not a validity statement."""

UMI_H_E_M: float = 1.0
"""Effective environment height of UMi-Street Canyon [m] (Table 7.4.1-1 note 1: h_E = 1.0 m)."""

DEFAULT_H_E_M: float = 1.0
"""Default effective environment height [m] for UMa when no h_E draw is supplied
(Table 7.4.1-1 note 1: h_E = 1 m with probability 1/(1 + C), the most likely value)."""

RMA_DEFAULT_H_BUILDING_M: float = 5.0
"""RMa default average building height h [m] (Table 7.4.1-1)."""

RMA_DEFAULT_W_STREET_M: float = 20.0
"""RMa default average street width W [m] (Table 7.4.1-1)."""

_UMA_H_E_LEVELS_START_M = 12.0
_UMA_H_E_LEVELS_STEP_M = 3.0


def _f64(x: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(x, dtype=np.float64)


def _bool(x: ArrayLike) -> NDArray[np.bool_]:
    return np.asarray(x, dtype=bool)


# --------------------------------------------------------------------------------------------
# Scalar cores: the one implementation of each formula of Table 7.4.1-1. The compiled drop
# kernel calls them per link; the public array functions below are NumPy ufuncs over them.
# --------------------------------------------------------------------------------------------


@jit
def nan_max(a: float, b: float) -> float:
    """max(a, b) propagating NaN from either argument (as ``numpy.maximum``)."""
    return a if (a >= b or a != a) else b


@jit
def breakpoint_core(fc_ghz: float, h_bs_m: float, h_ut_m: float, h_e_m: float) -> float:
    """d'_BP = 4 (h_BS - h_E) (h_UT - h_E) fc / c [m] (Table 7.4.1-1 note 1)."""
    return 4.0 * (h_bs_m - h_e_m) * (h_ut_m - h_e_m) * fc_ghz * 1e9 / C_TR38901_M_S


@jit
def rma_breakpoint_core(fc_ghz: float, h_bs_m: float, h_ut_m: float) -> float:
    """d_BP = 2 pi h_BS h_UT fc / c [m] (Table 7.4.1-1 note 5)."""
    return 2.0 * math.pi * h_bs_m * h_ut_m * fc_ghz * 1e9 / C_TR38901_M_S


@jit
def sigma_sf_los_core(
    sigma_db: float, sigma_after_bp_db: float, d_2d_m: float, fc_ghz: float, h_bs_m: float, h_ut_m: float
) -> float:
    """LOS shadow-fading sigma_SF [dB] of one link (Table 7.4.1-1): ``sigma_after_bp_db``
    beyond the RMa breakpoint d_BP of note 5, else ``sigma_db``; scenarios without a
    breakpoint carry the same value in both."""
    if sigma_after_bp_db != sigma_db and d_2d_m > rma_breakpoint_core(fc_ghz, h_bs_m, h_ut_m):
        return sigma_after_bp_db
    return sigma_db


@jit
def _street_core(
    los: bool, d_2d: float, d3: float, fc: float, h_bs: float, h_ut: float, h_e: float,
    pl_0: float, pl_los_slope: float, bp_coef: float, nlos_0: float, nlos_slope: float,
    nlos_fc: float, nlos_hut: float,
) -> float:
    """UMa and UMi-Street Canyon rows of Table 7.4.1-1, which share their form::

        PL1 = pl_0 + pl_los_slope log10(d_3D) + 20 log10(fc)               d_2D <= d'_BP
        PL2 = pl_0 + 40 log10(d_3D) + 20 log10(fc) - bp_coef log10(d'_BP^2 + (h_BS - h_UT)^2)
        PL'_NLOS = nlos_0 + nlos_slope log10(d_3D) + nlos_fc log10(fc) - nlos_hut (h_UT - 1.5)
        NLOS: max(PL_LOS, PL'_NLOS)
    """
    lf = math.log10(fc)
    ld = math.log10(d3)
    d_bp = breakpoint_core(fc, h_bs, h_ut, h_e)
    if d_2d <= d_bp:
        pl_los = pl_0 + pl_los_slope * ld + 20.0 * lf
    else:
        pl_los = pl_0 + 40.0 * ld + 20.0 * lf - bp_coef * math.log10(d_bp * d_bp + (h_bs - h_ut) ** 2)
    if los:
        return pl_los
    return nan_max(pl_los, nlos_slope * ld + nlos_0 + nlos_fc * lf - nlos_hut * (h_ut - 1.5))


@jit
def _rma_pl1_core(d: float, fc: float, h: float) -> float:
    # Table 7.4.1-1, RMa LOS PL1 evaluated at distance d.
    h_pow = h**1.72
    return (
        20.0 * math.log10(40.0 * math.pi * d * fc / 3.0)
        + min(0.03 * h_pow, 10.0) * math.log10(d)
        - min(0.044 * h_pow, 14.77)
        + 0.002 * math.log10(h) * d
    )


@jit
def _rma_core(
    los: bool, d_2d: float, d3: float, fc: float, h_bs: float, h_ut: float, h_bld: float, w_street: float
) -> float:
    # Table 7.4.1-1, RMa LOS (PL1 / PL2 about d_BP of note 5) and NLOS.
    d_bp = rma_breakpoint_core(fc, h_bs, h_ut)
    if d_2d <= d_bp:
        pl_los = _rma_pl1_core(d3, fc, h_bld)
    else:
        pl_los = _rma_pl1_core(d_bp, fc, h_bld) + 40.0 * math.log10(d3 / d_bp)
    if los:
        return pl_los
    nlos = (
        161.04 - 7.1 * math.log10(w_street) + 7.5 * math.log10(h_bld)
        - (24.37 - 3.7 * (h_bld / h_bs) ** 2) * math.log10(h_bs)
        + (43.42 - 3.1 * math.log10(h_bs)) * (math.log10(d3) - 3.0)
        + 20.0 * math.log10(fc)
        - (3.2 * (math.log10(11.75 * h_ut)) ** 2 - 4.97)
    )
    return nan_max(pl_los, nlos)


@jit
def _inh_core(los: bool, d3: float, fc: float) -> float:
    # Table 7.4.1-1, InH-Office LOS and NLOS.
    ld = math.log10(d3)
    lf = math.log10(fc)
    pl_los = 32.4 + 17.3 * ld + 20.0 * lf
    if los:
        return pl_los
    return nan_max(pl_los, 38.3 * ld + 17.30 + 24.9 * lf)


@jit
def pathloss_core(
    law: int, los: bool, d_2d_m: float, d_3d_m: float, fc_ghz: float, h_bs_m: float,
    h_ut_m: float, h_e_m: float, h_building_m: float, w_street_m: float,
) -> float:
    """Basic path loss of one link [dB], TR 38.901 V17.0.0 Table 7.4.1-1: the LOS formula, or
    max(PL_LOS, PL'_NLOS) for NLOS. ``law`` is the scenario's path-loss law
    (:data:`nrsim.channel.tr38901.scenarios.PL_UMA` ...); d_3D is clipped to
    :data:`MIN_D_3D_M`. UMi fixes h_E = 1 m (note 1); only UMa reads ``h_e_m``; only RMa
    reads ``h_building_m`` and ``w_street_m``."""
    d3 = nan_max(d_3d_m, MIN_D_3D_M)
    if law == PL_UMA:
        return _street_core(los, d_2d_m, d3, fc_ghz, h_bs_m, h_ut_m, h_e_m,
                            28.0, 22.0, 9.0, 13.54, 39.08, 20.0, 0.6)
    if law == PL_UMI:
        return _street_core(los, d_2d_m, d3, fc_ghz, h_bs_m, h_ut_m, UMI_H_E_M,
                            32.4, 21.0, 9.5, 22.4, 35.3, 21.3, 0.3)
    if law == PL_RMA:
        return _rma_core(los, d_2d_m, d3, fc_ghz, h_bs_m, h_ut_m, h_building_m, w_street_m)
    if law == PL_INH:
        return _inh_core(los, d3, fc_ghz)
    return math.nan


@ufunc(["float64(int64, boolean, float64, float64, float64, float64, float64, float64, float64, float64)"])
def pathloss_law_db(law, los, d_2d_m, d_3d_m, fc_ghz, h_bs_m, h_ut_m, h_e_m, h_building_m, w_street_m):
    """Elementwise :func:`pathloss_core` (a NumPy ufunc: broadcasting array arguments) [dB]."""
    return pathloss_core(law, los, d_2d_m, d_3d_m, fc_ghz, h_bs_m, h_ut_m, h_e_m, h_building_m, w_street_m)


@ufunc(["float64(float64, float64, float64, float64)"])
def _breakpoint_ufunc(fc_ghz, h_bs_m, h_ut_m, h_e_m):
    return breakpoint_core(fc_ghz, h_bs_m, h_ut_m, h_e_m)


@ufunc(["float64(float64, float64, float64)"])
def _rma_breakpoint_ufunc(fc_ghz, h_bs_m, h_ut_m):
    return rma_breakpoint_core(fc_ghz, h_bs_m, h_ut_m)


def _law_db(law: int, los: bool | ArrayLike, d_2d_m: ArrayLike, d_3d_m: ArrayLike, fc_ghz: ArrayLike,
            h_bs_m: ArrayLike, h_ut_m: ArrayLike, h_e_m: ArrayLike = 1.0,
            h_building_m: ArrayLike = 5.0, w_street_m: ArrayLike = 20.0) -> NDArray[np.float64]:
    """The array form of one path-loss law (float64 array, broadcast shape of the inputs)."""
    return np.asarray(pathloss_law_db(
        np.int64(law), _bool(los), d_2d_m, d_3d_m, fc_ghz, h_bs_m, h_ut_m, h_e_m, h_building_m, w_street_m,
    ), dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Breakpoint distances
# --------------------------------------------------------------------------------------------


def breakpoint_distance_m(
    fc_ghz: ArrayLike, h_bs_m: ArrayLike, h_ut_m: ArrayLike, h_e_m: ArrayLike
) -> NDArray[np.float64]:
    """Effective breakpoint distance d'_BP of UMa and UMi [m].

    TR 38.901 V17.0.0, Table 7.4.1-1 note 1::

        d'_BP = 4 h'_BS h'_UT fc / c,   h'_BS = h_BS - h_E,   h'_UT = h_UT - h_E

    with fc in Hz and c = 3.0e8 m/s as fixed by the note.

    Parameters
    ----------
    fc_ghz : array_like of float64, broadcastable, [GHz]
        Carrier frequency.
    h_bs_m, h_ut_m : array_like of float64, broadcastable, [m]
        Actual BS and UT antenna heights, e.g. ``[cell]`` and ``[ue, 1]``.
    h_e_m : array_like of float64, broadcastable, [m]
        Effective environment height h_E (1 m for UMi; for UMa see
        :func:`sample_uma_effective_height_m`).

    Returns
    -------
    ndarray of float64, broadcast shape, [m]
    """
    return np.asarray(_breakpoint_ufunc(fc_ghz, h_bs_m, h_ut_m, h_e_m), dtype=np.float64)


def rma_breakpoint_distance_m(
    fc_ghz: ArrayLike, h_bs_m: ArrayLike, h_ut_m: ArrayLike
) -> NDArray[np.float64]:
    """RMa breakpoint distance d_BP [m].

    TR 38.901 V17.0.0, Table 7.4.1-1 note 5: d_BP = 2 pi h_BS h_UT fc / c, with the *actual*
    antenna heights, fc in Hz and c = 3.0e8 m/s.

    Parameters
    ----------
    fc_ghz : array_like of float64, broadcastable, [GHz]
    h_bs_m, h_ut_m : array_like of float64, broadcastable, [m]

    Returns
    -------
    ndarray of float64, broadcast shape, [m]
    """
    return np.asarray(_rma_breakpoint_ufunc(fc_ghz, h_bs_m, h_ut_m), dtype=np.float64)


# --------------------------------------------------------------------------------------------
# UMa (Table 7.4.1-1, rows "UMa")
# --------------------------------------------------------------------------------------------


def pathloss_uma_los_db(
    d_2d_m: ArrayLike,
    d_3d_m: ArrayLike,
    fc_ghz: ArrayLike,
    h_bs_m: ArrayLike,
    h_ut_m: ArrayLike,
    h_e_m: ArrayLike = DEFAULT_H_E_M,
) -> NDArray[np.float64]:
    """UMa LOS path loss PL_UMa-LOS [dB].

    TR 38.901 V17.0.0, Table 7.4.1-1, UMa LOS::

        PL1 = 28.0 + 22 log10(d_3D) + 20 log10(fc)                         10 m <= d_2D <= d'_BP
        PL2 = 28.0 + 40 log10(d_3D) + 20 log10(fc)
              - 9 log10(d'_BP^2 + (h_BS - h_UT)^2)                         d'_BP <= d_2D <= 5 km

    d'_BP from note 1 (:func:`breakpoint_distance_m`) with the given h_E. The two branches meet
    continuously at d_2D = d'_BP.

    Parameters
    ----------
    d_2d_m : array_like of float64, e.g. [ue, cell] or [ue, k], [m]
        BS-UT horizontal distance (selects PL1/PL2).
    d_3d_m : array_like of float64, broadcastable with ``d_2d_m``, [m]
        BS-UT 3D distance; clipped to >= 1 m.
    fc_ghz : array_like of float64, broadcastable (usually scalar or [cell]), [GHz]
    h_bs_m : array_like of float64, broadcastable (e.g. [cell]), [m]
        Actual BS antenna height (Table 7.4.1-1 default 25 m).
    h_ut_m : array_like of float64, broadcastable (e.g. [ue, 1]), [m]
        Actual UT antenna height (1.5..22.5 m).
    h_e_m : array_like of float64, broadcastable, [m]
        Effective environment height h_E per link; default 1 m. Draw it per link with
        :func:`sample_uma_effective_height_m` for the full model of note 1.

    Returns
    -------
    ndarray of float64, broadcast shape of the inputs, [dB]
    """
    return _law_db(PL_UMA, True, d_2d_m, d_3d_m, fc_ghz, h_bs_m, h_ut_m, h_e_m)


def pathloss_uma_nlos_db(
    d_2d_m: ArrayLike,
    d_3d_m: ArrayLike,
    fc_ghz: ArrayLike,
    h_bs_m: ArrayLike,
    h_ut_m: ArrayLike,
    h_e_m: ArrayLike = DEFAULT_H_E_M,
) -> NDArray[np.float64]:
    """UMa NLOS path loss PL_UMa-NLOS = max(PL_UMa-LOS, PL'_UMa-NLOS) [dB].

    TR 38.901 V17.0.0, Table 7.4.1-1, UMa NLOS (10 m <= d_2D <= 5 km)::

        PL'_UMa-NLOS = 13.54 + 39.08 log10(d_3D) + 20 log10(fc) - 0.6 (h_UT - 1.5)

    The optional simplified NLOS formula of the table is not implemented.

    Parameters and returns as :func:`pathloss_uma_los_db` (h_E enters through the LOS term).
    """
    return _law_db(PL_UMA, False, d_2d_m, d_3d_m, fc_ghz, h_bs_m, h_ut_m, h_e_m)


# --------------------------------------------------------------------------------------------
# UMi-Street Canyon (Table 7.4.1-1, rows "UMi-Street Canyon")
# --------------------------------------------------------------------------------------------


def pathloss_umi_los_db(
    d_2d_m: ArrayLike,
    d_3d_m: ArrayLike,
    fc_ghz: ArrayLike,
    h_bs_m: ArrayLike,
    h_ut_m: ArrayLike,
) -> NDArray[np.float64]:
    """UMi-Street Canyon LOS path loss PL_UMi-LOS [dB].

    TR 38.901 V17.0.0, Table 7.4.1-1, UMi-Street Canyon LOS::

        PL1 = 32.4 + 21 log10(d_3D) + 20 log10(fc)                         10 m <= d_2D <= d'_BP
        PL2 = 32.4 + 40 log10(d_3D) + 20 log10(fc)
              - 9.5 log10(d'_BP^2 + (h_BS - h_UT)^2)                       d'_BP <= d_2D <= 5 km

    d'_BP from note 1 with h_E fixed at 1.0 m for UMi (:data:`UMI_H_E_M`), which is why this
    function takes no ``h_e_m``.

    Parameters
    ----------
    d_2d_m, d_3d_m : array_like of float64, e.g. [ue, cell], [m]
        Horizontal and 3D BS-UT distance (d_3D clipped to >= 1 m).
    fc_ghz : array_like of float64, broadcastable, [GHz]
    h_bs_m : array_like of float64, broadcastable, [m]
        BS antenna height (Table 7.4.1-1 default 10 m).
    h_ut_m : array_like of float64, broadcastable, [m]
        UT antenna height (1.5..22.5 m).

    Returns
    -------
    ndarray of float64, broadcast shape of the inputs, [dB]
    """
    return _law_db(PL_UMI, True, d_2d_m, d_3d_m, fc_ghz, h_bs_m, h_ut_m)


def pathloss_umi_nlos_db(
    d_2d_m: ArrayLike,
    d_3d_m: ArrayLike,
    fc_ghz: ArrayLike,
    h_bs_m: ArrayLike,
    h_ut_m: ArrayLike,
) -> NDArray[np.float64]:
    """UMi-Street Canyon NLOS path loss max(PL_UMi-LOS, PL'_UMi-NLOS) [dB].

    TR 38.901 V17.0.0, Table 7.4.1-1, UMi-Street Canyon NLOS (10 m <= d_2D <= 5 km)::

        PL'_UMi-NLOS = 35.3 log10(d_3D) + 22.4 + 21.3 log10(fc) - 0.3 (h_UT - 1.5)

    The optional simplified NLOS formula is not implemented.
    Parameters and returns as :func:`pathloss_umi_los_db`.
    """
    return _law_db(PL_UMI, False, d_2d_m, d_3d_m, fc_ghz, h_bs_m, h_ut_m)


# --------------------------------------------------------------------------------------------
# RMa (Table 7.4.1-1, rows "RMa")
# --------------------------------------------------------------------------------------------


def pathloss_rma_los_db(
    d_2d_m: ArrayLike,
    d_3d_m: ArrayLike,
    fc_ghz: ArrayLike,
    h_bs_m: ArrayLike,
    h_ut_m: ArrayLike,
    h_building_m: ArrayLike = RMA_DEFAULT_H_BUILDING_M,
    w_street_m: ArrayLike = RMA_DEFAULT_W_STREET_M,
) -> NDArray[np.float64]:
    """RMa LOS path loss PL_RMa-LOS [dB].

    TR 38.901 V17.0.0, Table 7.4.1-1, RMa LOS::

        PL1(d) = 20 log10(40 pi d fc / 3) + min(0.03 h^1.72, 10) log10(d)
                 - min(0.044 h^1.72, 14.77) + 0.002 log10(h) d
        PL_RMa-LOS = PL1(d_3D)                              10 m <= d_2D <= d_BP
                   = PL1(d_BP) + 40 log10(d_3D / d_BP)      d_BP <= d_2D <= 10 km

    with d_BP = 2 pi h_BS h_UT fc / c from note 5 (actual heights, :func:`rma_breakpoint_
    distance_m`). ``PL1(d_BP)`` is evaluated literally with d = d_BP, as the table writes it
    (and as ns-3 and Sionna do); this leaves a step of at most a few thousandths of a dB at
    d_2D = d_BP, because d_3D > d_BP there.

    Parameters
    ----------
    d_2d_m, d_3d_m : array_like of float64, e.g. [ue, cell], [m]
        Horizontal and 3D BS-UT distance (d_3D clipped to >= 1 m).
    fc_ghz : array_like of float64, broadcastable, [GHz]
    h_bs_m : array_like of float64, broadcastable, [m]
        BS antenna height (10..150 m, default 35 m).
    h_ut_m : array_like of float64, broadcastable, [m]
        UT antenna height (1..10 m, default 1.5 m).
    h_building_m : array_like of float64, broadcastable, [m]
        Average building height h (5..50 m, default 5 m).
    w_street_m : array_like of float64, broadcastable, [m]
        Average street width W (5..50 m, default 20 m). Not used by the LOS formula; accepted
        so that LOS and NLOS share one signature.

    Returns
    -------
    ndarray of float64, broadcast shape of the inputs, [dB]
    """
    del w_street_m  # The LOS formula does not depend on W (Table 7.4.1-1).
    return _law_db(PL_RMA, True, d_2d_m, d_3d_m, fc_ghz, h_bs_m, h_ut_m, h_building_m=h_building_m)


def pathloss_rma_nlos_db(
    d_2d_m: ArrayLike,
    d_3d_m: ArrayLike,
    fc_ghz: ArrayLike,
    h_bs_m: ArrayLike,
    h_ut_m: ArrayLike,
    h_building_m: ArrayLike = RMA_DEFAULT_H_BUILDING_M,
    w_street_m: ArrayLike = RMA_DEFAULT_W_STREET_M,
) -> NDArray[np.float64]:
    """RMa NLOS path loss max(PL_RMa-LOS, PL'_RMa-NLOS) [dB].

    TR 38.901 V17.0.0, Table 7.4.1-1, RMa NLOS (10 m <= d_2D <= 5 km)::

        PL'_RMa-NLOS = 161.04 - 7.1 log10(W) + 7.5 log10(h)
                       - (24.37 - 3.7 (h / h_BS)^2) log10(h_BS)
                       + (43.42 - 3.1 log10(h_BS)) (log10(d_3D) - 3)
                       + 20 log10(fc) - (3.2 (log10(11.75 h_UT))^2 - 4.97)

    Parameters and returns as :func:`pathloss_rma_los_db` (here ``w_street_m`` is used).
    """
    return _law_db(PL_RMA, False, d_2d_m, d_3d_m, fc_ghz, h_bs_m, h_ut_m,
                   h_building_m=h_building_m, w_street_m=w_street_m)


# --------------------------------------------------------------------------------------------
# InH-Office (Table 7.4.1-1, rows "InH-Office")
# --------------------------------------------------------------------------------------------


def pathloss_inh_los_db(d_3d_m: ArrayLike, fc_ghz: ArrayLike) -> NDArray[np.float64]:
    """InH-Office LOS path loss [dB].

    TR 38.901 V17.0.0, Table 7.4.1-1, InH-Office LOS (1 m <= d_3D <= 150 m)::

        PL_InH-LOS = 32.4 + 17.3 log10(d_3D) + 20 log10(fc)

    Parameters
    ----------
    d_3d_m : array_like of float64, e.g. [ue, cell], [m]
        3D distance; clipped to >= 1 m.
    fc_ghz : array_like of float64, broadcastable, [GHz]

    Returns
    -------
    ndarray of float64, broadcast shape, [dB]
    """
    return _law_db(PL_INH, True, 0.0, d_3d_m, fc_ghz, 0.0, 0.0)


def pathloss_inh_nlos_db(d_3d_m: ArrayLike, fc_ghz: ArrayLike) -> NDArray[np.float64]:
    """InH-Office NLOS path loss max(PL_InH-LOS, PL'_InH-NLOS) [dB].

    TR 38.901 V17.0.0, Table 7.4.1-1, InH-Office NLOS (1 m <= d_3D <= 150 m)::

        PL'_InH-NLOS = 38.3 log10(d_3D) + 17.30 + 24.9 log10(fc)

    The optional simplified NLOS formula is not implemented.
    Parameters and returns as :func:`pathloss_inh_los_db`.
    """
    return _law_db(PL_INH, False, 0.0, d_3d_m, fc_ghz, 0.0, 0.0)


# --------------------------------------------------------------------------------------------
# Dispatcher
# --------------------------------------------------------------------------------------------


def pathloss_db(
    scenario: str,
    los: ArrayLike,
    d_2d_m: ArrayLike,
    d_3d_m: ArrayLike,
    fc_ghz: ArrayLike,
    h_bs_m: ArrayLike,
    h_ut_m: ArrayLike,
    h_e_m: ArrayLike | None = None,
    *,
    h_building_m: ArrayLike = RMA_DEFAULT_H_BUILDING_M,
    w_street_m: ArrayLike = RMA_DEFAULT_W_STREET_M,
) -> NDArray[np.float64]:
    """Basic path loss PL_b of TR 38.901 V17.0.0 Table 7.4.1-1 for LOS and NLOS links [dB].

    Returns the LOS formula where ``los`` is true and the NLOS formula (which already is
    max(PL_LOS, PL'_NLOS)) elsewhere. Shadow fading and O2I losses are not included.

    Parameters
    ----------
    scenario : {"uma", "umi", "rma", "inh"}
        UMa, UMi-Street Canyon, RMa, InH-Office. ``"inh-mixed"`` and ``"inh-open"`` are
        accepted as aliases of ``"inh"`` (they differ only in LOS probability).
    los : array_like of bool, broadcastable with the distances, e.g. [ue, cell]
        LOS condition per link.
    d_2d_m, d_3d_m : array_like of float64, e.g. [ue, cell] or [ue, k], [m]
        Horizontal and 3D BS-UT distance (d_3D clipped to >= 1 m). InH uses only d_3D.
    fc_ghz : array_like of float64, broadcastable, [GHz]
    h_bs_m, h_ut_m : array_like of float64, broadcastable, [m]
        Actual antenna heights (unused by InH).
    h_e_m : array_like of float64 or None, broadcastable, [m]
        UMa effective environment height per link; ``None`` means 1.0 m. Ignored by UMi
        (fixed at 1.0 m by note 1), RMa and InH.
    h_building_m, w_street_m : array_like of float64, broadcastable, [m]
        RMa average building height and street width (defaults 5 m and 20 m); ignored
        otherwise.

    Returns
    -------
    ndarray of float64, broadcast shape of all array inputs, [dB]

    Raises
    ------
    ConfigError
        If ``scenario`` is unknown.
    """
    law = _scenario(scenario).pathloss_law
    h_e = DEFAULT_H_E_M if h_e_m is None else h_e_m
    return _law_db(law, los, d_2d_m, d_3d_m, fc_ghz, h_bs_m, h_ut_m, h_e, h_building_m, w_street_m)


# --------------------------------------------------------------------------------------------
# Shadow fading parameters (Table 7.4.1-1 sigma_SF, Table 7.5-6 correlation distance)
# --------------------------------------------------------------------------------------------


def shadow_fading_std_db(
    scenario: str,
    los: ArrayLike,
    d_2d_m: ArrayLike | None = None,
    fc_ghz: ArrayLike | None = None,
    h_bs_m: ArrayLike | None = None,
    h_ut_m: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Shadow-fading standard deviation sigma_SF per link [dB].

    TR 38.901 V17.0.0, Table 7.4.1-1 (values in ``tables/shadow_fading.csv``):
    UMa 4 (LOS) / 6 (NLOS), UMi-Street Canyon 4 / 7.82, RMa 4 or 6 (LOS) / 8 (NLOS),
    InH-Office 3 / 8.03.

    RMa LOS has sigma_SF = 4 dB for d_2D <= d_BP and 6 dB beyond (d_BP of note 5). That
    distinction is made when ``d_2d_m``, ``fc_ghz``, ``h_bs_m`` and ``h_ut_m`` are all given;
    when none is given the before-breakpoint value 4 dB is returned for every RMa LOS link (a
    simplification: d_BP is several km at typical RMa heights and frequencies). The distance
    arguments are ignored for the other scenarios.

    Parameters
    ----------
    scenario : {"uma", "umi", "rma", "inh"} (or "inh-mixed", "inh-open")
    los : array_like of bool, e.g. [ue, cell]
    d_2d_m : array_like of float64 or None, broadcastable, [m]
    fc_ghz : array_like of float64 or None, broadcastable, [GHz]
    h_bs_m, h_ut_m : array_like of float64 or None, broadcastable, [m]

    Returns
    -------
    ndarray of float64, broadcast shape of ``los`` (and the RMa distance inputs), [dB]

    Raises
    ------
    ConfigError
        If ``scenario`` is unknown, or for RMa if only some of the four breakpoint
        inputs are given.
    """
    row = _scenario(scenario)
    los_b = _bool(los)
    sigma_los_db: NDArray[np.float64] | float = row.sigma_sf_los_db
    if row.sigma_sf_los_after_bp_db != row.sigma_sf_los_db:  # RMa: the breakpoint of note 5
        bp_inputs = {"d_2d_m": d_2d_m, "fc_ghz": fc_ghz, "h_bs_m": h_bs_m, "h_ut_m": h_ut_m}
        missing = [name for name, value in bp_inputs.items() if value is None]
        if 0 < len(missing) < len(bp_inputs):
            raise ConfigError(
                f"shadow_fading_std_db for {row.label} needs all of d_2d_m, fc_ghz, h_bs_m, h_ut_m to "
                f"place links relative to the breakpoint, or none of them; missing: "
                f"{', '.join(missing)}",
                field=missing[0],
            )
        if not missing:
            d_bp = rma_breakpoint_distance_m(fc_ghz, h_bs_m, h_ut_m)  # type: ignore[arg-type]
            sigma_los_db = np.where(_f64(d_2d_m) <= d_bp, row.sigma_sf_los_db, row.sigma_sf_los_after_bp_db)
    return np.where(los_b, sigma_los_db, row.sigma_sf_nlos_db).astype(np.float64)


def shadow_fading_decorrelation_m(scenario: str, los: ArrayLike) -> NDArray[np.float64]:
    """Shadow-fading correlation distance in the horizontal plane per link [m].

    TR 38.901 V17.0.0, Table 7.5-6 Part-1 (UMi-Street Canyon, UMa, RMa) and Part-2
    (InH-Office), column SF (values in ``tables/shadow_fading.csv``): UMa 37 (LOS) / 50 (NLOS),
    UMi 10 / 13, RMa 37 / 120, InH 10 / 6. To be used in the exponential autocorrelation
    R(dx) = exp(-|dx| / d_cor) of 7.4.4, eq. (7.4-5).

    Parameters
    ----------
    scenario : {"uma", "umi", "rma", "inh"} (or "inh-mixed", "inh-open")
    los : array_like of bool, any shape

    Returns
    -------
    ndarray of float64, shape of ``los``, [m]
    """
    row = _scenario(scenario)
    return np.where(_bool(los), row.sf_decorrelation_los_m, row.sf_decorrelation_nlos_m).astype(np.float64)


# --------------------------------------------------------------------------------------------
# UMa effective environment height (Table 7.4.1-1 note 1)
# --------------------------------------------------------------------------------------------


@jit
def uma_h_e_prob_1m_core(d_2d_m: float, h_ut_m: float) -> float:
    """P(h_E = 1 m) = 1 / (1 + C(d_2D, h_UT)) of one UMa link (Table 7.4.1-1 note 1)."""
    g = 1.25 * (d_2d_m / 100.0) ** 3 * math.exp(-d_2d_m / 150.0) if d_2d_m > 18.0 else 0.0
    # max(., 0): the compiler may evaluate both arms; keep the unused one finite
    c = 0.0 if h_ut_m < 13.0 else (max(h_ut_m - 13.0, 0.0) / 10.0) ** 1.5 * g
    return 1.0 / (1.0 + c)


@jit
def uma_effective_height_core(u_1m: float, u_level: float, d_2d_m: float, h_ut_m: float) -> float:
    """h_E of one UMa link from two uniforms [m] (Table 7.4.1-1 note 1): 1 m where
    ``u_1m`` < P(h_E = 1 m), else level floor(``u_level`` n) of {12, 15, ..., h_UT - 1.5} m
    (n levels; {12} when h_UT - 1.5 < 12 m)."""
    if u_1m < uma_h_e_prob_1m_core(d_2d_m, h_ut_m):
        return 1.0
    n_levels = math.floor((h_ut_m - 1.5 - _UMA_H_E_LEVELS_START_M) / _UMA_H_E_LEVELS_STEP_M + 1e-9) + 1.0
    if not n_levels >= 1.0:  # also NaN
        n_levels = 1.0
    level = min(math.floor(u_level * n_levels), n_levels - 1.0)
    return _UMA_H_E_LEVELS_START_M + _UMA_H_E_LEVELS_STEP_M * level


@ufunc(["float64(float64, float64)"])
def _uma_h_e_prob_ufunc(d_2d_m, h_ut_m):
    return uma_h_e_prob_1m_core(d_2d_m, h_ut_m)


@ufunc(["float64(float64, float64, float64, float64)"])
def _uma_h_e_ufunc(u_1m, u_level, d_2d_m, h_ut_m):
    return uma_effective_height_core(u_1m, u_level, d_2d_m, h_ut_m)


def uma_effective_height_prob_1m(d_2d_m: ArrayLike, h_ut_m: ArrayLike) -> NDArray[np.float64]:
    """Probability that the UMa effective environment height h_E equals 1 m.

    TR 38.901 V17.0.0, Table 7.4.1-1 note 1: P(h_E = 1 m) = 1 / (1 + C(d_2D, h_UT)) with::

        C(d_2D, h_UT) = 0                                        h_UT < 13 m
                      = ((h_UT - 13) / 10)^1.5 g(d_2D)           13 m <= h_UT <= 23 m
        g(d_2D)       = 0                                        d_2D <= 18 m
                      = 5/4 (d_2D / 100)^3 exp(-d_2D / 150)      18 m < d_2D

    (extrapolated as written for h_UT > 23 m).

    Parameters
    ----------
    d_2d_m : array_like of float64, e.g. [ue, cell], [m]
    h_ut_m : array_like of float64, broadcastable (e.g. [ue, 1]), [m]

    Returns
    -------
    ndarray of float64 in (0, 1], broadcast shape
    """
    return np.asarray(_uma_h_e_prob_ufunc(d_2d_m, h_ut_m), dtype=np.float64)


def sample_uma_effective_height_m(
    d_2d_m: ArrayLike, h_ut_m: ArrayLike, *, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Draw the UMa effective environment height h_E per link [m].

    TR 38.901 V17.0.0, Table 7.4.1-1 note 1: h_E = 1 m with probability
    :func:`uma_effective_height_prob_1m`, otherwise drawn from the discrete uniform
    distribution over {12, 15, ..., h_UT - 1.5} m. When h_UT - 1.5 < 12 m (possible only for
    13 m < h_UT < 13.5 m, where C > 0) the set is taken as {12} m.

    The note requires an independent draw for every BS-site/UT link; co-located sectors of one
    site should share it, so draw at ``[ue, site]`` and index by each cell's site if needed.

    Exactly two uniform variates are consumed per element (one for the 1 m test, one for the
    level), so the stream position does not depend on the outcomes.

    Parameters
    ----------
    d_2d_m : array_like of float64, e.g. [ue, site], [m]
    h_ut_m : array_like of float64, broadcastable (e.g. [ue, 1]), [m]
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of float64, broadcast shape, [m]
    """
    shape = np.broadcast_shapes(np.shape(d_2d_m), np.shape(h_ut_m))
    u = rng.random(shape + (2,))
    return uma_effective_height_from_uniforms_m(u[..., 0], u[..., 1], d_2d_m, h_ut_m)


def uma_effective_height_from_uniforms_m(
    u_1m: ArrayLike, u_level: ArrayLike, d_2d_m: ArrayLike, h_ut_m: ArrayLike
) -> NDArray[np.float64]:
    """h_E of Table 7.4.1-1 note 1 from two uniform variates per link [m]: h_E = 1 m where
    ``u_1m`` < 1/(1 + C(d_2D, h_UT)), else level floor(``u_level`` * n) of
    {12, 15, ..., h_UT - 1.5} m (n levels; {12} when h_UT - 1.5 < 12 m).

    Parameters
    ----------
    u_1m, u_level : array_like of float64 in [0, 1), broadcastable, e.g. [ue, site]
    d_2d_m : array_like of float64, e.g. [ue, site], [m]
    h_ut_m : array_like of float64, broadcastable (e.g. [ue, 1]), [m]
    """
    return np.asarray(_uma_h_e_ufunc(u_1m, u_level, d_2d_m, h_ut_m), dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Validity ranges (Table 7.4.1-1)
# --------------------------------------------------------------------------------------------

ValidityPolicy = Literal["raise", "warn", "ignore"]
_POLICIES: tuple[str, ...] = ("raise", "warn", "ignore")


def _format_violation(
    field: str,
    values: NDArray[np.float64],
    bad: NDArray[np.bool_],
    lo: float,
    hi: float,
    unit: str,
    label: str,
    source: str,
) -> str:
    bad_values = values[bad]
    # Report the value farthest outside the range (NaN counts as worst).
    excess = np.where(np.isnan(bad_values), np.inf, np.maximum(lo - bad_values, bad_values - hi))
    worst = float(bad_values[int(np.argmax(excess))])
    text = f"{field} = {worst:g}"
    if bad_values.size > 1 or values.size > 1:
        text += f" ({bad_values.size} of {values.size} values out of range)"
    return (
        f"{text} is outside the TR 38.901 {label} validity range {lo:g}..{hi:g} {unit} "
        f"({source}, 3GPP TR 38.901 V17.0.0)"
    )


def check_validity(
    scenario: str,
    *,
    fc_ghz: ArrayLike,
    d_2d_m: ArrayLike | None = None,
    h_bs_m: ArrayLike | None = None,
    h_ut_m: ArrayLike | None = None,
    policy: ValidityPolicy = "raise",
    d_3d_m: ArrayLike | None = None,
    los: ArrayLike | None = None,
    h_building_m: ArrayLike | None = None,
    w_street_m: ArrayLike | None = None,
) -> None:
    """Check inputs against the applicability ranges of TR 38.901 V17.0.0 Table 7.4.1-1.

    Ranges (closed intervals, from ``tables/pathloss_validity.csv``):

    * fc: 0.5..100 GHz, except RMa 0.5..30 GHz (note 2).
    * UMa and UMi-Street Canyon: 10 m <= d_2D <= 5 km, 1.5 m <= h_UT <= 22.5 m. The table gives
      a single default h_BS (25 m UMa, 10 m UMi), not a range, so h_BS is not checked.
    * RMa: 10 m <= d_2D <= 10 km (LOS) and <= 5 km (NLOS, checked only when ``los`` is
      given), 10 <= h_BS <= 150 m, 1 <= h_UT <= 10 m, 5 <= h <= 50 m, 5 <= W <= 50 m.
    * InH-Office: 1 m <= d_3D <= 150 m (``d_2d_m`` and heights are not checked).

    Only the arguments that are given are checked. The path-loss functions never call this
    themselves: drops routinely contain links shorter than the 10 m minimum (and InH UEs
    below the antenna), so the caller decides what to check, e.g. only ``fc_ghz`` and heights
    at configuration time, and distances only when it wants to flag them.

    Parameters
    ----------
    scenario : {"uma", "umi", "rma", "inh"} (or "inh-mixed", "inh-open")
    fc_ghz : array_like of float64, [GHz]
    d_2d_m, d_3d_m : array_like of float64 or None, any shape, [m]
    h_bs_m, h_ut_m, h_building_m, w_street_m : array_like of float64 or None, [m]
    policy : {"raise", "warn", "ignore"}
        ``"raise"`` raises :class:`~nrsim.errors.ModelValidityError` naming the first
        offending field (all violations are listed in the message); ``"warn"`` issues one
        :class:`~nrsim.errors.ModelValidityWarning` per violated field; ``"ignore"`` does
        nothing.
    los : array_like of bool or None, broadcastable with ``d_2d_m``
        Needed only for the RMa NLOS distance limit.

    Raises
    ------
    ModelValidityError
        Under ``policy="raise"`` when any value is outside its range; ``.field`` is the field.
    ConfigError
        If ``scenario`` or ``policy`` is unknown.
    """
    if policy not in _POLICIES:
        raise ConfigError(
            f"policy = {policy!r} is not one of {', '.join(repr(p) for p in _POLICIES)}",
            field="policy",
        )
    row_scn = _scenario(scenario)
    if policy == "ignore":
        return
    label = row_scn.label
    given: dict[str, ArrayLike | None] = {
        "fc_ghz": fc_ghz,
        "d_2d_m": d_2d_m,
        "d_3d_m": d_3d_m,
        "h_bs_m": h_bs_m,
        "h_ut_m": h_ut_m,
        "h_building_m": h_building_m,
        "w_street_m": w_street_m,
    }
    violations: list[tuple[str, str]] = []
    for rng_row in row_scn.validity:
        field = rng_row.field
        value = given.get(field)
        if value is None:
            continue
        values = _f64(value)
        lo, hi = rng_row.min_value, rng_row.max_value
        bad = ~((values >= lo) & (values <= hi))  # NaN counts as out of range
        if rng_row.condition == "nlos":
            if los is None:
                continue
            nlos_b = ~np.asarray(los, dtype=bool)
            shape = np.broadcast_shapes(values.shape, nlos_b.shape)
            values = np.broadcast_to(values, shape)
            bad = np.broadcast_to(bad, shape) & np.broadcast_to(nlos_b, shape)
        if np.any(bad):
            message = _format_violation(
                field, values, bad, lo, hi, rng_row.unit, label, rng_row.source
            )
            violations.append((field, message))
    if not violations:
        return
    if policy == "warn":
        for _, message in violations:
            warnings.warn(message, ModelValidityWarning, stacklevel=2)
        return
    raise ModelValidityError("; ".join(m for _, m in violations), field=violations[0][0])
