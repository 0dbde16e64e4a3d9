"""LOS probability of TR 38.901 clause 7.4.2 and the LOS/NLOS draw.

Reference: 3GPP TR 38.901 V17.0.0 (2022-03), 7.4.2, Table 7.4.2-1.

All functions are elementwise over broadcastable ``float64`` arrays (dense ``[ue, cell]`` or
sparse ``[ue, k]``). Per the table notes the model was derived for BS antenna heights of 3 m
(indoor), 10 m (UMi) and 25 m (UMa); it depends only on d_2D-out (and h_UT for UMa).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.errors import ConfigError

__all__ = ["LOS_PROBABILITY_SCENARIOS", "LOS_STATE_CORRELATION_M", "los_probability", "los_state_correlation_m", "sample_los"]

LOS_PROBABILITY_SCENARIOS: tuple[str, ...] = ("uma", "umi", "rma", "inh", "inh-mixed", "inh-open")
"""Accepted scenario keys; ``"inh"`` means InH-Mixed office."""

LOS_STATE_CORRELATION_M: dict[str, float] = {"uma": 50.0, "umi": 50.0, "rma": 60.0, "inh": 10.0}
"""Correlation distance [m] of the spatially consistent LOS state, TR 38.901 V17.0.0
7.6.3.1, Table 7.6.3.1-2 (row "LOS/NLOS state"): RMa 60, UMi-Street Canyon 50, UMa 50,
Indoor (InH, mixed and open office) 10; InF d_clutter / 2 (nrsim has no InF scenario). The
same field drives the soft LOS state of 7.6.3.3 (eq. 7.6-18) for moving UEs."""


def los_state_correlation_m(scenario: str) -> float:
    """Correlation distance [m] of the LOS state of ``scenario`` (Table 7.6.3.1-2)."""
    key = "inh" if scenario.startswith("inh") else scenario
    if key not in LOS_STATE_CORRELATION_M:
        raise ConfigError(f"unknown scenario {scenario!r} for the LOS correlation distance", field="channel.scenario")
    return LOS_STATE_CORRELATION_M[key]


def _uma(d: NDArray[np.float64], h_ut: NDArray[np.float64]) -> NDArray[np.float64]:
    # Table 7.4.2-1, UMa: 1 for d <= 18 m, else
    # [18/d + exp(-d/63)(1 - 18/d)] [1 + C'(h_UT) 5/4 (d/100)^3 exp(-d/150)],
    # C'(h_UT) = 0 for h_UT <= 13 m, ((h_UT - 13)/10)^1.5 for 13 m < h_UT <= 23 m.
    d_safe = np.maximum(d, 18.0)  # the formula is used only for d > 18 m; avoids 18/0
    c_prime = np.where(h_ut <= 13.0, 0.0, ((np.maximum(h_ut, 13.0) - 13.0) / 10.0) ** 1.5)
    base = 18.0 / d_safe + np.exp(-d_safe / 63.0) * (1.0 - 18.0 / d_safe)
    height_factor = 1.0 + c_prime * 1.25 * (d_safe / 100.0) ** 3 * np.exp(-d_safe / 150.0)
    return np.where(d <= 18.0, 1.0, base * height_factor)


def _umi(d: NDArray[np.float64]) -> NDArray[np.float64]:
    # Table 7.4.2-1, UMi-Street canyon: 1 for d <= 18 m, else 18/d + exp(-d/36)(1 - 18/d).
    d_safe = np.maximum(d, 18.0)
    return np.where(d <= 18.0, 1.0, 18.0 / d_safe + np.exp(-d_safe / 36.0) * (1.0 - 18.0 / d_safe))


def _rma(d: NDArray[np.float64]) -> NDArray[np.float64]:
    # Table 7.4.2-1, RMa: 1 for d <= 10 m, else exp(-(d - 10)/1000).
    return np.where(d <= 10.0, 1.0, np.exp(-(d - 10.0) / 1000.0))


def _inh_mixed(d: NDArray[np.float64]) -> NDArray[np.float64]:
    # Table 7.4.2-1, Indoor - Mixed office: 1 for d <= 1.2 m; exp(-(d - 1.2)/4.7) for
    # 1.2 m < d < 6.5 m; exp(-(d - 6.5)/32.6) * 0.32 for 6.5 m <= d.
    return np.where(
        d <= 1.2,
        1.0,
        np.where(d < 6.5, np.exp(-(d - 1.2) / 4.7), np.exp(-(d - 6.5) / 32.6) * 0.32),
    )


def _inh_open(d: NDArray[np.float64]) -> NDArray[np.float64]:
    # Table 7.4.2-1, Indoor - Open office: 1 for d <= 5 m; exp(-(d - 5)/70.8) for
    # 5 m < d <= 49 m; exp(-(d - 49)/211.7) * 0.54 for 49 m < d.
    return np.where(
        d <= 5.0,
        1.0,
        np.where(d <= 49.0, np.exp(-(d - 5.0) / 70.8), np.exp(-(d - 49.0) / 211.7) * 0.54),
    )


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
    d = np.asarray(d_2d_out_m, dtype=np.float64)
    h_ut = np.asarray(h_ut_m, dtype=np.float64)
    if scenario == "uma":
        p = _uma(d, h_ut)
    elif scenario == "umi":
        p = _umi(d)
    elif scenario == "rma":
        p = _rma(d)
    elif scenario in ("inh", "inh-mixed"):
        p = _inh_mixed(d)
    elif scenario == "inh-open":
        p = _inh_open(d)
    else:
        allowed = ", ".join(repr(s) for s in LOS_PROBABILITY_SCENARIOS)
        raise ConfigError(
            f"scenario = {scenario!r} has no TR 38.901 LOS probability; allowed: {allowed}",
            field="scenario",
        )
    shape = np.broadcast_shapes(d.shape, h_ut.shape)
    return np.clip(np.broadcast_to(p, shape), 0.0, 1.0).astype(np.float64)


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
