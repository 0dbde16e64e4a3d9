"""Clusters and rays of the TR 38.901 V17.0.0 clustered channel, 7.5 steps 5-11, and the
delay and angle spreads computed from them (TR 25.996 V17.0.0, Annex A).

Every function is vectorised over links: arrays are ``[link, cluster]`` or
``[link, cluster, ray]``; all links of one call share one scenario and condition
(:class:`nrsim.channel.tr38901.lsp.LspParameters`). Random draws use the caller's ``rng``:
a :class:`numpy.random.Generator`, or the per-link keyed variates of
:class:`nrsim.channel.tr38901.draws.LinkDraws` (what the channel uses), which make each
link's rays independent of the other links computed with it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nrsim.channel.tr38901._common import read_table
from nrsim.channel.tr38901.lsp import LinkLsps, LspParameters
from nrsim.errors import ConfigError

CLUSTER_CUT_DB = 25.0
"""Clusters more than 25 dB below the strongest are removed (7.5 step 6)."""
N_STRONGEST_SPLIT = 2
"""The two strongest clusters are split into three sub-clusters (7.5 step 11)."""


@functools.lru_cache(maxsize=1)
def ray_offsets() -> NDArray[np.float64]:
    """alpha_m [20], ray offset angles for a 1-deg cluster RMS spread (Table 7.5-3)."""
    rows = read_table("ray_offsets.csv")
    out = np.array([float(r["offset"]) for r in sorted(rows, key=lambda r: int(r["ray"]))])
    out.setflags(write=False)
    return out


@functools.lru_cache(maxsize=1)
def subcluster_map() -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """(sub-cluster index 0..2 of each ray [20], delay offsets [3] in units of c_DS)
    (Table 7.5-5, eq. (7.5-26))."""
    rows = sorted(read_table("subclusters.csv"), key=lambda r: int(r["ray"]))
    sub = np.array([int(r["subcluster"]) - 1 for r in rows], dtype=np.int64)
    off = np.zeros(3)
    for r in rows:
        off[int(r["subcluster"]) - 1] = float(r["delay_offset_cds"])
    sub.setflags(write=False)
    off.setflags(write=False)
    return sub, off


def _scaling(n_clusters: int, column: str) -> float:
    for r in read_table("angle_scaling.csv"):
        if int(r["n_clusters"]) == n_clusters and r[column]:
            return float(r[column])
    raise ConfigError(f"no {column} for {n_clusters} clusters (Tables 7.5-2/7.5-4)",
                      field="n_clusters")


def c_phi(n_clusters: int, k_db: NDArray[np.float64] | None) -> NDArray[np.float64] | float:
    """Azimuth scaling factor, eq. (7.5-10) with Table 7.5-2: C_phi^NLOS for N clusters, times
    (1.1035 - 0.028 K - 2e-3 K^2 + 1e-4 K^3) with K in dB for LOS links (``k_db`` given)."""
    c = _scaling(n_clusters, "c_phi_nlos")
    if k_db is None:
        return c
    k = np.asarray(k_db, dtype=np.float64)
    return c * (1.1035 - 0.028 * k - 2e-3 * k**2 + 1e-4 * k**3)


def c_theta(n_clusters: int, k_db: NDArray[np.float64] | None) -> NDArray[np.float64] | float:
    """Zenith scaling factor, eq. (7.5-15) with Table 7.5-4: C_theta^NLOS for N clusters,
    times (1.3086 + 0.0339 K - 0.0077 K^2 + 2e-4 K^3) for LOS links (K in dB)."""
    c = _scaling(n_clusters, "c_theta_nlos")
    if k_db is None:
        return c
    k = np.asarray(k_db, dtype=np.float64)
    return c * (1.3086 + 0.0339 * k - 0.0077 * k**2 + 2e-4 * k**3)


def los_delay_scaling(k_db: NDArray[np.float64]) -> NDArray[np.float64]:
    """C_tau = 0.7705 - 0.0433 K + 0.0002 K^2 + 0.000017 K^3 (K in dB), eq. (7.5-3)."""
    k = np.asarray(k_db, dtype=np.float64)
    return 0.7705 - 0.0433 * k + 0.0002 * k**2 + 0.000017 * k**3


def cluster_delays_s(
    ds_s: NDArray[np.float64], r_tau: float, n_clusters: int, *, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Step 5, eqs. (7.5-1)-(7.5-2): tau'_n = -r_tau DS ln(X_n), X_n ~ U(0, 1), normalised
    to the smallest and sorted. ``ds_s`` [link] -> ([link, cluster] [s] (first delay 0),
    min_n tau'_n [link] [s], the tau_Delta of the oxygen absorption of 7.6.1)."""
    x = 1.0 - rng.random((ds_s.shape[0], n_clusters))  # in (0, 1]
    tau = -r_tau * ds_s[:, None] * np.log(x)
    tau_min = tau.min(axis=1)
    tau = np.sort(tau - tau_min[:, None], axis=1)
    return tau, tau_min


def cluster_powers(
    delays_s: NDArray[np.float64],
    ds_s: NDArray[np.float64],
    r_tau: float,
    zeta_db: float,
    *,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Step 6, eqs. (7.5-5)-(7.5-6): P'_n = exp(-tau_n (r_tau - 1) / (r_tau DS)) 10^(-Z_n/10),
    Z_n ~ N(0, zeta^2), normalised to sum 1. ``delays_s`` [link, cluster] are the unscaled
    delays of step 5. Returns [link, cluster]."""
    z = rng.standard_normal(delays_s.shape) * zeta_db
    p = np.exp(-delays_s * (r_tau - 1.0) / (r_tau * ds_s[:, None])) * 10.0 ** (-z / 10.0)
    return p / p.sum(axis=1, keepdims=True)


def los_powers(power: NDArray[np.float64], k_lin: NDArray[np.float64]) -> NDArray[np.float64]:
    """Eq. (7.5-8): P_n^LOS = P_n / (K_R + 1) + delta(n - 1) K_R / (K_R + 1) (K_R linear);
    used only for the angle generation of step 7 (eqs. (7.5-9) and (7.5-14))."""
    out = power / (k_lin[:, None] + 1.0)
    out[:, 0] += k_lin / (k_lin + 1.0)
    return out


def cut_weak_clusters(power: NDArray[np.float64]) -> NDArray[np.float64]:
    """Step 6: zero the clusters more than :data:`CLUSTER_CUT_DB` below the strongest of
    their link (the other powers and the scaling factors are not changed)."""
    keep = power >= power.max(axis=1, keepdims=True) * 10.0 ** (-CLUSTER_CUT_DB / 10.0)
    return np.where(keep, power, 0.0)


def wrap_azimuth_deg(a: NDArray[np.float64]) -> NDArray[np.float64]:
    """Azimuth wrapped to [-180, 180) deg."""
    return np.mod(a + 180.0, 360.0) - 180.0


def fold_zenith_deg(t: NDArray[np.float64]) -> NDArray[np.float64]:
    """Zenith folded into [0, 180] deg (7.5 step 7: theta in [180, 360] -> 360 - theta)."""
    t = np.mod(t, 360.0)
    return np.where(t > 180.0, 360.0 - t, t)


def cluster_azimuths_deg(
    power_angles: NDArray[np.float64],
    spread_deg: NDArray[np.float64],
    c: NDArray[np.float64] | float,
    los_deg: NDArray[np.float64],
    los: bool,
    *,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Step 7, eqs. (7.5-9), (7.5-11), (7.5-12): phi'_n = 2 (AS/1.4) sqrt(-ln(P_n/max P)) / C,
    phi_n = X_n phi'_n + Y_n + phi_LOS, X_n = +-1, Y_n ~ N(0, (AS/7)^2); for LOS links the
    first cluster is moved onto the LOS direction. Arrays [link, cluster] [deg]."""
    pr = np.clip(power_angles / power_angles.max(axis=1, keepdims=True), 1e-300, 1.0)
    c_arr = np.broadcast_to(np.asarray(c, dtype=np.float64), spread_deg.shape)[:, None]
    phi_p = 2.0 * (spread_deg[:, None] / 1.4) * np.sqrt(-np.log(pr)) / c_arr
    x = rng.integers(0, 2, size=pr.shape) * 2.0 - 1.0
    y = rng.standard_normal(pr.shape) * (spread_deg[:, None] / 7.0)
    phi = x * phi_p + y
    if los:
        phi = phi - phi[:, :1]
    return phi + los_deg[:, None]


def cluster_zeniths_deg(
    power_angles: NDArray[np.float64],
    spread_deg: NDArray[np.float64],
    c: NDArray[np.float64] | float,
    mean_deg: NDArray[np.float64],
    los_deg: NDArray[np.float64],
    los: bool,
    *,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Step 7, eqs. (7.5-14)-(7.5-16) and (7.5-19): theta'_n = -ZS ln(P_n/max P) / C,
    theta_n = X_n theta'_n + Y_n + mean, Y_n ~ N(0, (ZS/7)^2), with ``mean_deg`` [link] =
    theta_LOS (ZoA), 90 deg (ZoA of O2I links) or theta_LOS + mu_offset (ZoD); for LOS
    links the first cluster is moved onto ``los_deg``. [link, cluster] [deg]."""
    pr = np.clip(power_angles / power_angles.max(axis=1, keepdims=True), 1e-300, 1.0)
    c_arr = np.broadcast_to(np.asarray(c, dtype=np.float64), spread_deg.shape)[:, None]
    th_p = -spread_deg[:, None] * np.log(pr) / c_arr
    x = rng.integers(0, 2, size=pr.shape) * 2.0 - 1.0
    y = rng.standard_normal(pr.shape) * (spread_deg[:, None] / 7.0)
    th = x * th_p + y
    if los:
        return th - th[:, :1] + los_deg[:, None]
    return th + mean_deg[:, None]


def random_coupling(angles_deg: NDArray[np.float64], *, rng: np.random.Generator) -> NDArray[np.float64]:
    """Step 8: an independent random permutation of the rays of each cluster.
    [link, cluster, ray] -> same shape."""
    perm = np.argsort(rng.random(angles_deg.shape), axis=-1)
    return np.take_along_axis(angles_deg, perm, axis=-1)


@dataclass(frozen=True)
class ClusterSet:
    """Clusters and rays of a set of links in one condition (TR 38.901 7.5 steps 5-11).

    delay_s : float64 [link, cluster]
        Cluster delays (scaled by 1/C_tau for LOS links, eq. (7.5-4)); first is 0.
    power : float64 [link, cluster]
        Cluster powers of eq. (7.5-6), sum 1 before the 25 dB cut (removed clusters 0); the
        powers of eq. (7.5-22), without the K-factor.
    aod_deg, aoa_deg, zod_deg, zoa_deg : float64 [link, cluster, ray]
        Ray angles after the random coupling of step 8 (GCS; azimuths in [-180, 180)).
    xpr_lin : float64 [link, cluster, ray]
        Cross-polarisation power ratio kappa (step 9).
    phase_rad : float64 [link, cluster, ray, 4]
        Initial phases (theta-theta, theta-phi, phi-theta, phi-phi) (step 10).
    k_lin : float64 [link]
        Ricean K-factor (0 for NLOS and O2I).
    los_aod_deg, los_zod_deg, los_aoa_deg, los_zoa_deg : float64 [link]
        Directions of the direct path.
    strongest : int64 [link, 2]
        The two strongest clusters, split into sub-clusters (step 11).
    c_ds_s : float or float64 [link]
        Cluster delay spread of the sub-cluster delays [s].
    delay_offset_s : float64 [link]
        min tau'_n of step 5 before the normalisation [s] (tau_Delta of 7.6.1 for NLOS).
    cluster_aoa_deg, cluster_zoa_deg : float64 [link, cluster]
        Cluster arrival angles of step 7 (azimuth wrapped, zenith folded) [deg] (blockage).
    """

    delay_s: NDArray[np.float64]
    power: NDArray[np.float64]
    aod_deg: NDArray[np.float64]
    aoa_deg: NDArray[np.float64]
    zod_deg: NDArray[np.float64]
    zoa_deg: NDArray[np.float64]
    xpr_lin: NDArray[np.float64]
    phase_rad: NDArray[np.float64]
    k_lin: NDArray[np.float64]
    los_aod_deg: NDArray[np.float64]
    los_zod_deg: NDArray[np.float64]
    los_aoa_deg: NDArray[np.float64]
    los_zoa_deg: NDArray[np.float64]
    strongest: NDArray[np.int64]
    c_ds_s: float | NDArray[np.float64]
    delay_offset_s: NDArray[np.float64] | None = None
    cluster_aoa_deg: NDArray[np.float64] | None = None
    cluster_zoa_deg: NDArray[np.float64] | None = None

    @property
    def n_links(self) -> int:
        return self.delay_s.shape[0]

    def ray_delays_s(self) -> NDArray[np.float64]:
        """Delay of every ray [link, cluster, ray] [s]: the cluster delay, plus the sub-cluster
        offset 0, 1.28 c_DS or 2.56 c_DS for the rays of the two strongest clusters
        (Table 7.5-5, eq. (7.5-26))."""
        sub, off = subcluster_map()
        n_rays = self.aod_deg.shape[2]
        out = np.repeat(self.delay_s[:, :, None], n_rays, axis=2)
        rows = np.arange(self.n_links)[:, None]
        c_ds = np.broadcast_to(np.asarray(self.c_ds_s, dtype=np.float64), (self.n_links,))
        out[rows, self.strongest, :] += off[sub][None, None, :n_rays] * c_ds[:, None, None]
        return out


def generate_clusters(
    params: LspParameters,
    lsps: LinkLsps,
    los_aod_deg: NDArray[np.float64],
    los_zod_deg: NDArray[np.float64],
    *,
    indoor: bool = False,
    rng: np.random.Generator,
) -> ClusterSet:
    """Steps 5-11 of TR 38.901 V17.0.0 7.5 for links of one condition.

    Parameters
    ----------
    params : the condition's Table 7.5-6 column (``params.has_k``: a LOS ray is added).
    lsps : LSPs of the links (:func:`nrsim.channel.tr38901.lsp.lsps_from_normals`), [link].
    los_aod_deg, los_zod_deg : float64 [link], GCS azimuth and zenith of the BS->UE direct
        path [deg]; the arrival direction is the opposite one.
    indoor : O2I links: mean ZoA 90 deg (eq. (7.5-16)).
    rng : generator of the random draws.
    """
    n_link = lsps.ds_s.shape[0]
    n, m = params.n_clusters, params.n_rays
    los = params.has_k
    k_db = lsps.k_db if los else None
    k_lin = 10.0 ** (lsps.k_db / 10.0) if los else np.zeros(n_link)
    los_aoa = wrap_azimuth_deg(los_aod_deg + 180.0)
    los_zoa = 180.0 - los_zod_deg
    # step 5
    tau, tau_min = cluster_delays_s(lsps.ds_s, params.r_tau, n, rng=rng)
    # step 6
    p = cluster_powers(tau, lsps.ds_s, params.r_tau, params.zeta_db, rng=rng)
    p_ang = los_powers(p, k_lin) if los else p
    p = cut_weak_clusters(p)
    p_ang = np.where(p > 0.0, p_ang, p_ang.min(axis=1, keepdims=True))  # removed: no effect
    if los:
        tau = tau / los_delay_scaling(lsps.k_db)[:, None]
    # step 7
    cphi = c_phi(n, k_db)
    cth = c_theta(n, k_db)
    aoa_c = cluster_azimuths_deg(p_ang, lsps.asa_deg, cphi, los_aoa, los, rng=rng)
    aod_c = cluster_azimuths_deg(p_ang, lsps.asd_deg, cphi, los_aod_deg, los, rng=rng)
    zoa_mean = np.full(n_link, 90.0) if indoor else los_zoa
    zoa_c = cluster_zeniths_deg(p_ang, lsps.zsa_deg, cth, zoa_mean, los_zoa, los, rng=rng)
    zod_c = cluster_zeniths_deg(
        p_ang, lsps.zsd_deg, cth, los_zod_deg + lsps.zod_offset_deg, los_zod_deg, los, rng=rng
    )
    alpha = ray_offsets()[:m][None, None, :]
    aoa = wrap_azimuth_deg(aoa_c[:, :, None] + params.c_asa_deg * alpha)
    aod = wrap_azimuth_deg(aod_c[:, :, None] + params.c_asd_deg * alpha)
    zoa = fold_zenith_deg(zoa_c[:, :, None] + params.c_zsa_deg * alpha)
    zod = fold_zenith_deg(
        zod_c[:, :, None] + (3.0 / 8.0) * 10.0 ** lsps.mu_lgzsd[:, None, None] * alpha
    )
    # step 8
    aod = random_coupling(aod, rng=rng)
    aoa = random_coupling(aoa, rng=rng)
    zod = random_coupling(zod, rng=rng)
    zoa = random_coupling(zoa, rng=rng)
    # step 9, eq. (7.5-21)
    xpr_db = params.mu_xpr_db + params.sigma_xpr_db * rng.standard_normal((n_link, n, m))
    # step 10
    phase = rng.uniform(-np.pi, np.pi, size=(n_link, n, m, 4))
    # step 11: the two strongest clusters (by the powers of eq. (7.5-22))
    strongest = np.argsort(-p, axis=1, kind="stable")[:, :N_STRONGEST_SPLIT].astype(np.int64)
    return ClusterSet(
        delay_s=tau, power=p, aod_deg=aod, aoa_deg=aoa, zod_deg=zod, zoa_deg=zoa,
        xpr_lin=10.0 ** (xpr_db / 10.0), phase_rad=phase, k_lin=k_lin,
        los_aod_deg=np.asarray(los_aod_deg, dtype=np.float64), los_zod_deg=np.asarray(los_zod_deg, dtype=np.float64),
        los_aoa_deg=los_aoa, los_zoa_deg=los_zoa, strongest=strongest, c_ds_s=params.c_ds_s,
        delay_offset_s=tau_min, cluster_aoa_deg=wrap_azimuth_deg(aoa_c), cluster_zoa_deg=fold_zenith_deg(zoa_c),
    )


# --------------------------------------------------------------------- spreads from rays

def ray_power_table(cs: ClusterSet) -> dict[str, NDArray[np.float64]]:
    """Powers, delays and angles of every ray of each link, the direct path last, without
    antenna patterns: ``power`` [link, ray'] (NLOS rays P_n / (M (K + 1)), direct path
    K / (K + 1)), ``delay_s``, ``aod_deg``, ``aoa_deg``, ``zod_deg``, ``zoa_deg``."""
    n_link, n, m = cs.aod_deg.shape
    k = cs.k_lin
    pw = np.repeat(cs.power[:, :, None] / m, m, axis=2) / (k[:, None, None] + 1.0)
    out = {
        "power": np.concatenate([pw.reshape(n_link, -1), (k / (k + 1.0))[:, None]], axis=1),
        "delay_s": np.concatenate([cs.ray_delays_s().reshape(n_link, -1), np.zeros((n_link, 1))], axis=1),
    }
    for name, los in (("aod_deg", cs.los_aod_deg), ("aoa_deg", cs.los_aoa_deg),
                      ("zod_deg", cs.los_zod_deg), ("zoa_deg", cs.los_zoa_deg)):
        out[name] = np.concatenate([getattr(cs, name).reshape(n_link, -1), los[:, None]], axis=1)
    return out


def rms_delay_spread_s(delay_s: NDArray[np.float64], power: NDArray[np.float64]) -> NDArray[np.float64]:
    """Power-weighted RMS spread of ``delay_s`` [..., path] with ``power`` [..., path]."""
    w = power / power.sum(axis=-1, keepdims=True)
    mean = (w * delay_s).sum(axis=-1, keepdims=True)
    return np.sqrt(np.maximum((w * (delay_s - mean) ** 2).sum(axis=-1), 0.0))


CIRCULAR_SPREAD_COARSE_STEP_DEG = 5.0
CIRCULAR_SPREAD_FINE_STEP_DEG = 0.25
CIRCULAR_SPREAD_CHUNK = 256


def circular_angle_spread_deg(angle_deg: NDArray[np.float64], power: NDArray[np.float64]) -> NDArray[np.float64]:
    """Circular angle spread of TR 25.996 V17.0.0 Annex A, eqs. (A-1)-(A-4) [deg].

    sigma_AS = min over Delta of sqrt(sum P theta_mu(Delta)^2 / sum P), with
    theta(Delta) = wrap(theta + Delta), mu(Delta) its power-weighted mean and
    theta_mu(Delta) = wrap(theta(Delta) - mu(Delta)), wrap to [-180, 180). The minimum is
    searched on a 5-deg grid of Delta, then refined on a 0.25-deg grid around the best
    point. ``angle_deg``, ``power``: [link, path] -> [link]."""
    a = np.asarray(angle_deg, dtype=np.float64)
    w = power / power.sum(axis=-1, keepdims=True)
    out = np.empty(a.shape[0])

    def spread(ai: NDArray[np.float64], wi: NDArray[np.float64], delta: NDArray[np.float64]) -> NDArray[np.float64]:
        th = wrap_azimuth_deg(ai[:, None, :] + delta[..., None])  # [link, delta, path]
        mu = (wi[:, None, :] * th).sum(axis=-1, keepdims=True)
        d = wrap_azimuth_deg(th - mu)
        return np.sqrt((wi[:, None, :] * d * d).sum(axis=-1))  # [link, delta]

    coarse = np.arange(0.0, 360.0, CIRCULAR_SPREAD_COARSE_STEP_DEG)
    fine = np.arange(-CIRCULAR_SPREAD_COARSE_STEP_DEG, CIRCULAR_SPREAD_COARSE_STEP_DEG + 1e-9,
                     CIRCULAR_SPREAD_FINE_STEP_DEG)
    for s in range(0, a.shape[0], CIRCULAR_SPREAD_CHUNK):
        ai, wi = a[s:s + CIRCULAR_SPREAD_CHUNK], w[s:s + CIRCULAR_SPREAD_CHUNK]
        sc = spread(ai, wi, np.broadcast_to(coarse, (ai.shape[0], coarse.size)))
        best = coarse[np.argmin(sc, axis=1)]
        sf = spread(ai, wi, best[:, None] + fine[None, :])
        out[s:s + CIRCULAR_SPREAD_CHUNK] = np.minimum(sf.min(axis=1), sc.min(axis=1))
    return out
