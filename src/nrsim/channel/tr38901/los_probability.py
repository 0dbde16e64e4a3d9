"""LOS probability of TR 38.901 clause 7.4.2 and the LOS/NLOS draw.

Reference: 3GPP TR 38.901 V17.0.0 (2022-03), 7.4.2, Table 7.4.2-1.

All functions are elementwise over broadcastable ``float64`` arrays (dense ``[ue, cell]`` or
sparse ``[ue, k]``). Per the table notes the model was derived for BS antenna heights of 3 m
(indoor), 10 m (UMi) and 25 m (UMa); it depends only on d_2D-out (and h_UT for UMa).
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.channel.tr38901.scenarios import (
    LOS_INH_MIXED,
    LOS_INH_OPEN,
    LOS_LAWS,
    LOS_RMA,
    LOS_UMA,
    LOS_UMI,
    SCENARIOS,
    los_law,
    scenario as _scenario,
)
from nrsim.compiled import jit, ufunc
from nrsim.errors import ConfigError

__all__ = [
    "LOS_PROBABILITY_SCENARIOS",
    "LOS_STATE_CORRELATION_M",
    "los_probability",
    "los_probability_core",
    "los_state_correlation_m",
    "sample_los",
]

LOS_PROBABILITY_SCENARIOS: tuple[str, ...] = (*SCENARIOS, *(k for k in LOS_LAWS if k not in SCENARIOS))
"""Accepted scenario keys; ``"inh"`` means InH-Mixed office."""

LOS_STATE_CORRELATION_M: Mapping[str, float] = {k: s.los_state_correlation_m for k, s in SCENARIOS.items()}
"""Correlation distance [m] of the spatially consistent LOS state, TR 38.901 V17.0.0
7.6.3.1, Table 7.6.3.1-2 (row "LOS/NLOS state"): RMa 60, UMi-Street Canyon 50, UMa 50,
Indoor (InH, mixed and open office) 10 (from the scenario registry); InF d_clutter / 2 (nrsim
has no InF scenario). The same field drives the soft LOS state of 7.6.3.3 (eq. 7.6-18) for
moving UEs."""


def los_state_correlation_m(scenario: str) -> float:
    """Correlation distance [m] of the LOS state of ``scenario`` (Table 7.6.3.1-2)."""
    return _scenario(scenario, field="channel.scenario").los_state_correlation_m


@jit
def los_probability_core(law: int, d_2d_out_m: float, h_ut_m: float) -> float:
    """Pr_LOS of one link, TR 38.901 V17.0.0 Table 7.4.2-1, clipped to [0, 1]; ``law`` is
    the LOS-probability law (:data:`nrsim.channel.tr38901.scenarios.LOS_UMA` ...).

    UMa: 1 for d <= 18 m, else [18/d + exp(-d/63)(1 - 18/d)] [1 + C'(h_UT) 5/4 (d/100)^3
    exp(-d/150)], C'(h_UT) = 0 for h_UT <= 13 m, ((h_UT - 13)/10)^1.5 above (extrapolated
    as written above 23 m; the product exceeds 1 slightly just beyond 18 m, hence the clip).
    UMi-Street canyon: 1 for d <= 18 m, else 18/d + exp(-d/36)(1 - 18/d).
    RMa: 1 for d <= 10 m, else exp(-(d - 10)/1000).
    InH-Mixed office: 1 for d <= 1.2 m; exp(-(d - 1.2)/4.7) for d < 6.5 m; exp(-(d - 6.5)/32.6)
    0.32 beyond. InH-Open office: 1 for d <= 5 m; exp(-(d - 5)/70.8) for d <= 49 m;
    exp(-(d - 49)/211.7) 0.54 beyond."""
    d = d_2d_out_m
    if law == LOS_UMA:
        if d <= 18.0:
            return 1.0
        c_p = 0.0 if h_ut_m <= 13.0 else (max(h_ut_m - 13.0, 0.0) / 10.0) ** 1.5
        p = (18.0 / d + math.exp(-d / 63.0) * (1.0 - 18.0 / d)) * (
            1.0 + c_p * 1.25 * (d / 100.0) ** 3 * math.exp(-d / 150.0)
        )
    elif law == LOS_UMI:
        if d <= 18.0:
            return 1.0
        p = 18.0 / d + math.exp(-d / 36.0) * (1.0 - 18.0 / d)
    elif law == LOS_RMA:
        p = 1.0 if d <= 10.0 else math.exp(-(d - 10.0) / 1000.0)
    elif law == LOS_INH_MIXED:
        if d <= 1.2:
            return 1.0
        p = math.exp(-(d - 1.2) / 4.7) if d < 6.5 else math.exp(-(d - 6.5) / 32.6) * 0.32
    elif law == LOS_INH_OPEN:
        if d <= 5.0:
            return 1.0
        p = math.exp(-(d - 5.0) / 70.8) if d <= 49.0 else math.exp(-(d - 49.0) / 211.7) * 0.54
    else:
        return math.nan
    if p > 1.0:
        return 1.0
    if p < 0.0:
        return 0.0
    return p


@ufunc(["float64(int64, float64, float64)"])
def _los_probability_ufunc(law, d_2d_out_m, h_ut_m):
    return los_probability_core(law, d_2d_out_m, h_ut_m)


def los_probability(
    scenario: str, d_2d_out_m: ArrayLike, h_ut_m: ArrayLike
) -> NDArray[np.float64]:
    """LOS probability Pr_LOS of TR 38.901 V17.0.0, Table 7.4.2-1.

    Parameters
    ----------
    scenario : {"uma", "umi", "rma", "inh", "inh-mixed", "inh-open"}
        UMa, UMi-Street canyon, RMa, Indoor-Mixed office (``"inh"`` is an alias of
        ``"inh-mixed"``), Indoor-Open office.
    d_2d_out_m : array_like of float64, e.g. [ue, cell] or [ue, k], [m]
        Outdoor horizontal BS-UT distance d_2D-out (for outdoor UEs simply d_2D; for indoor
        UEs of outdoor scenarios d_2D minus the indoor distance d_2D-in, Figure 7.4.1-2).
    h_ut_m : array_like of float64, broadcastable (e.g. [ue, 1]), [m]
        UT antenna height; only UMa uses it (term C'(h_UT) for h_UT > 13 m, extrapolated as
        written above 23 m). It still takes part in the output broadcast for every scenario.

    Returns
    -------
    ndarray of float64 in [0, 1], broadcast shape of ``d_2d_out_m`` and ``h_ut_m``
        The UMa formula as written exceeds 1 slightly (by up to about 0.6 %) just beyond
        d_2D-out = 18 m when h_UT > 13 m; results are clipped to [0, 1].

    Raises
    ------
    ConfigError
        If ``scenario`` is unknown.
    """
    try:
        law = los_law(scenario)
    except ConfigError:
        allowed = ", ".join(repr(s) for s in LOS_PROBABILITY_SCENARIOS)
        raise ConfigError(
            f"scenario = {scenario!r} has no TR 38.901 LOS probability; allowed: {allowed}",
            field="scenario",
        ) from None
    return np.asarray(_los_probability_ufunc(np.int64(law), d_2d_out_m, h_ut_m), dtype=np.float64)


def sample_los(prob: ArrayLike, *, rng: np.random.Generator) -> NDArray[np.bool_]:
    """Draw the LOS condition of each link: True with probability ``prob``.

    One uniform variate U(0, 1) is consumed per element; the link is LOS when U < prob.
    (TR 38.901 V17.0.0, 7.5 step 2 assigns the propagation condition from Table 7.4.2-1.)
    Values outside [0, 1] saturate (never / always LOS); NaN gives NLOS.

    Parameters
    ----------
    prob : array_like of float64, any shape, e.g. [ue, cell]
        LOS probability, e.g. from :func:`los_probability`.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of bool, shape of ``prob``
    """
    p = np.asarray(prob, dtype=np.float64)
    return rng.random(p.shape) < p
