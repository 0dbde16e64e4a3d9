"""Optional attenuations of the clustered channel, TR 38.901 V17.0.0, 7.6: oxygen absorption
(7.6.1) and blockage model A (7.6.4.1). Both are off by default
(:class:`nrsim.channel.tr38901.links.ChannelOptions`).

Oxygen absorption, eq. (7.6-1): cluster n loses::

    OL_n(fc) = alpha(fc) / 1000 [d_3D + c (tau_n + tau_Delta)]   [dB]

with alpha(fc) [dB/km] of Table 7.6.1-1 (linear interpolation; 0 below 52 GHz and from
68 GHz), tau_n the cluster delay, tau_Delta = 0 for LOS links and min tau'_n of step 5 for
the others; the direct path loses alpha d_3D / 1000. All rays of a cluster (its sub-clusters
too) share the cluster's loss (the small-bandwidth form).

Blockage model A: a UE has K non-self-blocking regions (blockers at distance r, Table
7.6.4.1-2) in the GCS and one self-blocking region (Table 7.6.4.1-1, portrait or landscape
mode) in its LCS (here the GCS: the UE is not rotated). A cluster arriving inside the
self-blocking region loses 30 dB; a cluster whose AoA and ZoA lie within twice a blocker's
angular span loses, eqs. (7.6-22)-(7.6-27)::

    L_dB = -20 log10(1 - (F_A1 + F_A2)(F_Z1 + F_Z2))
    F_X  = atan(s_X pi/2 sqrt(pi r / lambda (1 / cos X - 1))) / pi
    A1 = phi_AOA - (phi_k + x_k/2), A2 = phi_AOA - (phi_k - x_k/2),
    Z1 = theta_ZOA - (theta_k + y_k/2), Z2 = theta_ZOA - (theta_k - y_k/2)

with the signs of Table 7.6.4.1-3: s_A1 = -1 where x_k/2 < phi_AOA - phi_k <= x_k, s_A2 = -1
where -x_k < phi_AOA - phi_k <= -x_k/2 (the lit side of that edge), +1 otherwise; Z likewise.
The attenuations of the blockers add in dB. Blockers are drawn per UE (keyed by the UE, the
same for all its links) without the spatial or temporal correlation of 7.6.4.1 (a drop-based
channel).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.channel.tr38901._common import read_table
from nrsim.errors import ConfigError
from nrsim.rng import link_uniforms

SPEED_OF_LIGHT_M_S = 299_792_458.0
SELF_BLOCKING_MODES = ("portrait", "landscape", "none")


@functools.lru_cache(maxsize=1)
def _oxygen_table() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    rows = read_table("oxygen_absorption.csv")
    return (np.array([float(r["fc_ghz"]) for r in rows]), np.array([float(r["alpha_db_per_km"]) for r in rows]))


def oxygen_absorption_db_per_km(fc_ghz: float) -> float:
    """alpha(fc) [dB/km] of Table 7.6.1-1, linearly interpolated (0 beyond 100 GHz too)."""
    f, a = _oxygen_table()
    return float(np.interp(float(fc_ghz), f, a, left=0.0, right=0.0))


def oxygen_loss_db(fc_ghz: float, d_3d_m: ArrayLike, tau_s: ArrayLike, tau_delta_s: ArrayLike) -> NDArray[np.float64]:
    """OL_n(fc) of eq. (7.6-1) [dB], elementwise over broadcastable ``d_3d_m`` [m], cluster
    delays ``tau_s`` [s] and ``tau_delta_s`` [s] (0 for LOS links)."""
    alpha = oxygen_absorption_db_per_km(fc_ghz)
    return alpha / 1000.0 * (np.asarray(d_3d_m, dtype=np.float64)
                             + SPEED_OF_LIGHT_M_S * (np.asarray(tau_s, dtype=np.float64)
                                                     + np.asarray(tau_delta_s, dtype=np.float64)))


@dataclass(frozen=True)
class BlockageModelA:
    """Blockage model A of 7.6.4.1: ``scenario`` ("uma", "umi", "inh", "rma": the blocker
    distance of Table 7.6.4.1-2), ``n_blockers`` K (4 by default), ``self_blocking`` one of
    :data:`SELF_BLOCKING_MODES`."""

    scenario: str
    n_blockers: int = 4
    self_blocking: str = "portrait"

    def __post_init__(self) -> None:
        if self.scenario not in ("uma", "umi", "inh", "rma"):
            raise ConfigError(f"blockage scenario = {self.scenario!r}; allowed: uma, umi, inh, rma",
                              field="blockage.scenario")
        if isinstance(self.n_blockers, bool) or not isinstance(self.n_blockers, (int, np.integer)) \
                or not 0 <= self.n_blockers <= 64:
            raise ConfigError(f"n_blockers = {self.n_blockers!r} must be a whole number in [0, 64]",
                              field="blockage.n_blockers")
        if self.self_blocking not in SELF_BLOCKING_MODES:
            raise ConfigError(f"self_blocking = {self.self_blocking!r}; allowed: {', '.join(SELF_BLOCKING_MODES)}",
                              field="blockage.self_blocking")

    def _row(self, kind: str, name: str) -> dict[str, str]:
        for r in read_table("blockage_model_a.csv"):
            if r["kind"] == kind and r["name"] == name:
                return dict(r)
        raise AssertionError(f"no {kind} row {name!r} in blockage_model_a.csv")

    @property
    def blocker_distance_m(self) -> float:
        return float(self._row("nonself", self.scenario)["r_m"])

    def blocker_ranges(self) -> tuple[float, float, float, float, float]:
        """(x_lo, x_hi, theta_k, y_lo, y_hi) [deg] of Table 7.6.4.1-2."""
        r = self._row("nonself", self.scenario)
        return (float(r["x_lo_deg"]), float(r["x_hi_deg"]), float(r["theta_deg"]), float(r["y_lo_deg"]),
                float(r["y_hi_deg"]))

    def self_region(self) -> tuple[float, float, float, float, float] | None:
        """(phi'_sb, x_sb, theta'_sb, y_sb [deg], loss [dB]) of Table 7.6.4.1-1, or None."""
        if self.self_blocking == "none":
            return None
        r = self._row("self", self.self_blocking)
        return (float(r["phi_deg"]), float(r["x_lo_deg"]), float(r["theta_deg"]), float(r["y_lo_deg"]),
                float(r["loss_db"]))


def draw_blockers(model: BlockageModelA, key: int, ue: NDArray[np.int64]) -> NDArray[np.float64]:
    """Blockers of each UE, float64 [n, K, 4]: (phi_k, x_k, theta_k, y_k) [deg] drawn from
    Table 7.6.4.1-2 with the counter-based variates of (``key``, UE, 0, variate): the same
    blockers for every link of a UE, whatever else is computed."""
    ue = np.asarray(ue, dtype=np.int64)
    k = model.n_blockers
    x_lo, x_hi, theta_k, y_lo, y_hi = model.blocker_ranges()
    out = np.empty((ue.shape[0], k, 4))
    for b in range(k):
        u = [link_uniforms(key, ue, np.zeros_like(ue), 3 * b + j) for j in range(3)]
        out[:, b, 0] = 360.0 * u[0]
        out[:, b, 1] = x_lo + (x_hi - x_lo) * u[1]
        out[:, b, 2] = theta_k
        out[:, b, 3] = y_lo + (y_hi - y_lo) * u[2]
    return out


def _wrap(a: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.mod(a + 180.0, 360.0) - 180.0


def _edge_term(angle_deg: NDArray[np.float64], sign: NDArray[np.float64], r_over_wl: float) -> NDArray[np.float64]:
    """F of eq. (7.6-23) for an edge at ``angle_deg`` from the arrival direction."""
    a = np.radians(angle_deg)
    return np.arctan(sign * np.pi / 2.0 * np.sqrt(np.maximum(np.pi * r_over_wl * (1.0 / np.cos(a) - 1.0), 0.0))) / np.pi


def nonself_blocking_db(dphi_deg: ArrayLike, dtheta_deg: ArrayLike, x_deg: ArrayLike, y_deg: ArrayLike,
                        r_m: float, wavelength_m: float) -> NDArray[np.float64]:
    """L_dB of eqs. (7.6-22)-(7.6-27) for arrival directions at ``dphi_deg`` = phi_AOA - phi_k
    (wrapped) and ``dtheta_deg`` = theta_ZOA - theta_k from a blocker of spans ``x_deg``,
    ``y_deg``; 0 outside |dphi| < x, |dtheta| < y. Elementwise, broadcastable."""
    dphi, dth, x, y = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (dphi_deg, dtheta_deg, x_deg, y_deg)))
    inside = (np.abs(dphi) < x) & (np.abs(dth) < y)
    s_a1 = np.where((dphi > x / 2) & (dphi <= x), -1.0, 1.0)
    s_a2 = np.where((dphi > -x) & (dphi <= -x / 2), -1.0, 1.0)
    s_z1 = np.where((dth > y / 2) & (dth <= y), -1.0, 1.0)
    s_z2 = np.where((dth > -y) & (dth <= -y / 2), -1.0, 1.0)
    rw = r_m / wavelength_m
    fa = _edge_term(dphi - x / 2, s_a1, rw) + _edge_term(dphi + x / 2, s_a2, rw)
    fz = _edge_term(dth - y / 2, s_z1, rw) + _edge_term(dth + y / 2, s_z2, rw)
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = -20.0 * np.log10(1.0 - fa * fz)
    return np.where(inside, loss, 0.0)


def blockage_attenuation_db(model: BlockageModelA, blockers: NDArray[np.float64], aoa_deg: ArrayLike,
                            zoa_deg: ArrayLike, wavelength_m: float) -> NDArray[np.float64]:
    """Attenuation [dB] of clusters arriving from (``aoa_deg``, ``zoa_deg``) float64
    [n, cluster] (GCS = UT LCS) at UEs with ``blockers`` [n, K, 4] (:func:`draw_blockers`):
    30 dB inside the self-blocking region plus the non-self-blocking losses, added in dB."""
    aoa = np.asarray(aoa_deg, dtype=np.float64)
    zoa = np.asarray(zoa_deg, dtype=np.float64)
    out = np.zeros(np.broadcast_shapes(aoa.shape, zoa.shape))
    reg = model.self_region()
    if reg is not None:
        phi_sb, x_sb, th_sb, y_sb, loss = reg
        out += np.where((np.abs(_wrap(aoa - phi_sb)) < x_sb / 2) & (np.abs(zoa - th_sb) < y_sb / 2), loss, 0.0)
    r_m = model.blocker_distance_m
    for k in range(blockers.shape[1]):
        b = blockers[:, k, :, None]
        out += nonself_blocking_db(_wrap(aoa - b[:, 0]), zoa - b[:, 2], b[:, 1], b[:, 3], r_m, wavelength_m)
    return out
