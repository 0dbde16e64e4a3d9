"""Outdoor-to-indoor (O2I) building and car penetration loss of TR 38.901 clause 7.4.3.

Reference: 3GPP TR 38.901 V17.0.0 (2022-03), 7.4.3.1 (eq. 7.4-2, Tables 7.4.3-1 and 7.4.3-2)
and 7.4.3.2 (eq. 7.4-4). Spec tables live in ``tables/o2i_materials.csv`` and
``tables/o2i_building_models.csv``.

The building model (7.4-2) is::

    PL = PL_b + PL_tw + PL_in + N(0, sigma_P^2)

where PL_b is the basic outdoor path loss (:mod:`nrsim.channel.tr38901.pathloss`), PL_tw the
through-wall loss, PL_in = 0.5 d_2D-in the indoor loss. Both the low- and the high-loss model
apply to UMa and UMi-Street Canyon; only the low-loss model applies to RMa (7.4.3.1). The
share of high-loss buildings is a simulation parameter chosen by the user. The O2I loss is
UT-specific: one draw per UT, shared by all of its links.

All functions are elementwise over broadcastable ``float64`` arrays.
"""

from __future__ import annotations

import functools
from types import MappingProxyType
from typing import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.channel.tr38901._common import read_table
from nrsim.errors import ConfigError
from nrsim.units import db_to_lin, lin_to_db

__all__ = [
    "O2I_MATERIALS",
    "INDOOR_DISTANCE_MAX_M",
    "CAR_PENETRATION_MEAN_DB",
    "CAR_PENETRATION_MEAN_METALLIZED_DB",
    "CAR_PENETRATION_STD_DB",
    "material_loss_db",
    "o2i_through_wall_loss_db",
    "o2i_indoor_loss_db",
    "o2i_shadow_std_db",
    "sample_indoor_distance_m",
    "sample_o2i_loss_db",
    "sample_car_penetration_loss_db",
]

O2I_MATERIALS: tuple[str, ...] = ("standard_glass", "irr_glass", "concrete", "wood")
"""Materials of Table 7.4.3-1 (IRR = infrared-reflecting, i.e. metal-coated, glass)."""

INDOOR_DISTANCE_MAX_M: Mapping[str, float] = MappingProxyType(
    {"uma": 25.0, "umi": 25.0, "rma": 10.0}
)
"""Upper bound of each of the two uniform variables whose minimum is d_2D-in [m]
(TR 38.901 V17.0.0, 7.4.3.1: 0..25 m for UMa and UMi-Street Canyon, 0..10 m for RMa)."""

CAR_PENETRATION_MEAN_DB: float = 9.0
"""Mean car penetration loss mu [dB] (TR 38.901 V17.0.0, 7.4.3.2)."""

CAR_PENETRATION_MEAN_METALLIZED_DB: float = 20.0
"""Optional mean for metallized car windows [dB] (TR 38.901 V17.0.0, 7.4.3.2)."""

CAR_PENETRATION_STD_DB: float = 5.0
"""Standard deviation sigma_P of the car penetration loss [dB] (TR 38.901 V17.0.0, 7.4.3.2;
applicable for at least 0.6-60 GHz)."""


@functools.lru_cache(maxsize=None)
def _materials() -> dict[str, tuple[float, float]]:
    return {
        row["material"]: (float(row["a_db"]), float(row["b_db_per_ghz"]))
        for row in read_table("o2i_materials.csv")
    }


@functools.lru_cache(maxsize=None)
def _building_model(model: str) -> dict[str, float | str]:
    for row in read_table("o2i_building_models.csv"):
        if row["model"] == model:
            return {
                k: (v if k.startswith("material") or k == "model" else float(v))
                for k, v in row.items()
            }
    raise LookupError(f"o2i_building_models.csv has no row {model!r}")  # table bug


def material_loss_db(material: str, fc_ghz: ArrayLike) -> NDArray[np.float64]:
    """Penetration loss of one material [dB].

    TR 38.901 V17.0.0, Table 7.4.3-1 (f in GHz): standard glass 2 + 0.2 f, IRR glass
    23 + 0.3 f, concrete 5 + 4 f, wood 4.85 + 0.12 f.

    Parameters
    ----------
    material : {"standard_glass", "irr_glass", "concrete", "wood"}
    fc_ghz : array_like of float64, any shape, [GHz]

    Returns
    -------
    ndarray of float64, shape of ``fc_ghz``, [dB]

    Raises
    ------
    ConfigError
        If ``material`` is unknown.
    """
    table = _materials()
    if material not in table:
        raise ConfigError(
            f"material = {material!r} is not in TR 38.901 Table 7.4.3-1; allowed: "
            f"{', '.join(repr(m) for m in table)}",
            field="material",
        )
    a_db, b_db_per_ghz = table[material]
    return a_db + b_db_per_ghz * np.asarray(fc_ghz, dtype=np.float64)


def _through_wall_db(model: str, fc_ghz: NDArray[np.float64]) -> NDArray[np.float64]:
    # TR 38.901 V17.0.0, Table 7.4.3-2:
    # PL_tw = 5 - 10 log10(p1 10^(-L_1/10) + p2 10^(-L_2/10)).
    row = _building_model(model)
    l1_db = material_loss_db(str(row["material_1"]), fc_ghz)
    l2_db = material_loss_db(str(row["material_2"]), fc_ghz)
    mix_lin = float(row["share_1"]) * db_to_lin(-l1_db) + float(row["share_2"]) * db_to_lin(-l2_db)
    return float(row["extra_db"]) - lin_to_db(mix_lin)


def o2i_through_wall_loss_db(fc_ghz: ArrayLike, high_loss: ArrayLike) -> NDArray[np.float64]:
    """Through-wall loss PL_tw of the low- or high-loss O2I building model [dB].

    TR 38.901 V17.0.0, Table 7.4.3-2::

        low loss : PL_tw = 5 - 10 log10(0.3 10^(-L_glass/10)    + 0.7 10^(-L_concrete/10))
        high loss: PL_tw = 5 - 10 log10(0.7 10^(-L_IIRglass/10) + 0.3 10^(-L_concrete/10))

    with the material losses of Table 7.4.3-1 (:func:`material_loss_db`).

    Parameters
    ----------
    fc_ghz : array_like of float64, broadcastable, [GHz]
    high_loss : array_like of bool, broadcastable (e.g. [ue] or [ue, 1])
        True for the high-loss model, False for the low-loss model.

    Returns
    -------
    ndarray of float64, broadcast shape, [dB]
    """
    fc = np.asarray(fc_ghz, dtype=np.float64)
    high = np.asarray(high_loss, dtype=bool)
    return np.where(high, _through_wall_db("high_loss", fc), _through_wall_db("low_loss", fc))


def o2i_indoor_loss_db(d_2d_in_m: ArrayLike) -> NDArray[np.float64]:
    """Indoor loss PL_in = 0.5 d_2D-in [dB] (TR 38.901 V17.0.0, Table 7.4.3-2, both models).

    Parameters
    ----------
    d_2d_in_m : array_like of float64, any shape, [m]
        Indoor horizontal distance d_2D-in.

    Returns
    -------
    ndarray of float64, shape of ``d_2d_in_m``, [dB]
    """
    per_m = float(_building_model("low_loss")["indoor_db_per_m"])
    return per_m * np.asarray(d_2d_in_m, dtype=np.float64)


def o2i_shadow_std_db(high_loss: ArrayLike) -> NDArray[np.float64]:
    """Standard deviation sigma_P of the O2I penetration loss [dB].

    TR 38.901 V17.0.0, Table 7.4.3-2: 4.4 dB (low loss), 6.5 dB (high loss).

    Parameters
    ----------
    high_loss : array_like of bool, any shape

    Returns
    -------
    ndarray of float64, shape of ``high_loss``, [dB]
    """
    high = np.asarray(high_loss, dtype=bool)
    return np.where(
        high,
        float(_building_model("high_loss")["sigma_p_db"]),
        float(_building_model("low_loss")["sigma_p_db"]),
    ).astype(np.float64)


def sample_indoor_distance_m(
    shape: int | tuple[int, ...], scenario: str, *, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Draw the indoor distance d_2D-in per UT [m].

    TR 38.901 V17.0.0, 7.4.3.1: d_2D-in is the minimum of two independent uniform variables on
    [0, 25] m for UMa and UMi-Street Canyon and on [0, 10] m for RMa, generated per UT.

    Parameters
    ----------
    shape : int or tuple of int
        Output shape, e.g. ``(n_ue,)``.
    scenario : {"uma", "umi", "rma"}
    rng : numpy.random.Generator
        Consumes 2 * prod(shape) uniform variates.

    Returns
    -------
    ndarray of float64, ``shape``, [m]

    Raises
    ------
    ConfigError
        If ``scenario`` has no O2I building model (e.g. ``"inh"``).
    """
    if scenario not in INDOOR_DISTANCE_MAX_M:
        raise ConfigError(
            f"scenario = {scenario!r} has no TR 38.901 O2I indoor distance; allowed: "
            f"{', '.join(repr(s) for s in INDOOR_DISTANCE_MAX_M)}",
            field="scenario",
        )
    shape_t = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    u = rng.uniform(0.0, INDOOR_DISTANCE_MAX_M[scenario], size=(2, *shape_t))  # [2, *shape]
    return np.minimum(u[0], u[1])


def sample_o2i_loss_db(
    fc_ghz: ArrayLike,
    high_loss: ArrayLike,
    d_2d_in_m: ArrayLike,
    *,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Draw the O2I building penetration loss PL_tw + PL_in + N(0, sigma_P^2) [dB].

    TR 38.901 V17.0.0, 7.4.3.1, eq. (7.4-2) and Table 7.4.3-2. Add the result to the basic path
    loss PL_b of the UT's links (the O2I term is "added to the SF realization in the log
    domain").

    One Gaussian variate is drawn per element of ``high_loss`` and broadcast against the other
    inputs: pass ``high_loss`` as ``[ue]`` (or ``[ue, 1]`` against ``[ue, cell]`` inputs) so that
    every link of a UT shares its O2I loss, as the TR requires.

    Parameters
    ----------
    fc_ghz : array_like of float64, broadcastable, [GHz]
    high_loss : array_like of bool, e.g. [ue] or [ue, 1]
        Building type of each UT (True: high-loss model).
    d_2d_in_m : array_like of float64, broadcastable, [m]
        Indoor distance, e.g. from :func:`sample_indoor_distance_m`.
    rng : numpy.random.Generator
        Consumes prod(shape of ``high_loss``) standard normal variates.

    Returns
    -------
    ndarray of float64, broadcast shape of the three inputs, [dB]
    """
    high = np.asarray(high_loss, dtype=bool)
    sigma_db = o2i_shadow_std_db(high)  # shape of high_loss
    noise_db = sigma_db * rng.standard_normal(high.shape)
    return o2i_through_wall_loss_db(fc_ghz, high) + o2i_indoor_loss_db(d_2d_in_m) + noise_db


def sample_car_penetration_loss_db(
    shape: int | tuple[int, ...],
    *,
    rng: np.random.Generator,
    metallized: bool = False,
) -> NDArray[np.float64]:
    """Draw the O2I car penetration loss N(mu, sigma_P^2) per UT [dB].

    TR 38.901 V17.0.0, 7.4.3.2, eq. (7.4-4): mu = 9 dB, sigma_P = 5 dB; optionally mu = 20 dB
    for metallized car windows. UT-specific; applicable for at least 0.6-60 GHz. Add the result
    to the basic path loss PL_b of the UT's links.

    Parameters
    ----------
    shape : int or tuple of int
        Output shape, e.g. ``(n_ue,)``.
    rng : numpy.random.Generator
    metallized : bool
        Use the metallized-window mean of 20 dB.

    Returns
    -------
    ndarray of float64, ``shape``, [dB]
    """
    mean_db = CAR_PENETRATION_MEAN_METALLIZED_DB if metallized else CAR_PENETRATION_MEAN_DB
    shape_t = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return mean_db + CAR_PENETRATION_STD_DB * rng.standard_normal(shape_t)
