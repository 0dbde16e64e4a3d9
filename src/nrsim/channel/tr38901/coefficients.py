"""Channel coefficients and frequency response of the clustered channel, TR 38.901 V17.0.0,
7.5 steps 11-12: eq. (7.5-22) (NLOS rays), (7.5-27)-(7.5-29) (direct path), (7.5-30)
(K-factor combination), the Doppler term of the UE velocity, and the frequency response per
PRB.

The coefficient of ray (n, m) between Rx port u and Tx port s at time t is::

    c_u,s,n,m(t) = sqrt(P_n / M) F_rx,u(aoa, zoa)^T [[e^{j Phi_tt}, kappa^-1/2 e^{j Phi_tp}],
                   [kappa^-1/2 e^{j Phi_pt}, e^{j Phi_pp}]] F_tx,s(aod, zod)
                   exp(j 2 pi r_rx,n,m . v t / lambda)

with the array phases inside the port fields (:func:`nrsim.channel.tr38901.panel.port_field_core`,
row x column form of the panel) and r_rx,n,m the unit vector of the arrival direction
(eq. 7.5-22; the BS does not move). Rays that share a delay are summed: each cluster is one
delay, except the two strongest, which are three (sub-clusters of Table 7.5-5), and the
direct path is one more, so a link has N + 5 delay taps. For LOS links the NLOS taps are
scaled by sqrt(1 / (K_R + 1)) and the direct path,
sqrt(K_R / (K_R + 1)) F_rx^T diag(1, -1) F_tx exp(-j 2 pi d_3D / lambda) exp(j 2 pi r_rx,LOS . v t / lambda),
sits at the first cluster's delay (0). The frequency response per PRB is
H_u,s(t, f) = sum_taps c_tap(t) exp(-j 2 pi f tau_tap).

Time evolution: the rays are those of the drop (t = 0); the channel at t changes by the
Doppler phase of each ray only (eq. 7.5-22 with fixed delays and angles, no spatial
consistency update of 7.6.3). :func:`channel_taps` evaluates the taps at one t from the rays
directly; :func:`ray_coefficients` keeps every ray's coefficient and Doppler frequency so
that :func:`taps_at` refreshes the taps at any t without the antenna fields, and
:class:`ResponseRefresh` (and :class:`ServingInterfererRefresh`, interferers per PRB or per
subband) refreshes the frequency response slot by slot, in blocks of slots.

The per-ray work of a drop is compiled with threads (:data:`nrsim.compiled.jit_parallel`, one
link per iteration, so the result does not depend on the number of threads); the per-slot
refresh is serial by default (per call it runs for milliseconds, where on a shared machine
thread contention can cost more than it gains: measured 2 threads 2-5x slower than 1 at load
3 on 2 cores) and threaded with ``parallel=True`` (fixed link chunks: the same result).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.channel.tr38901.clusters import ClusterSet, subcluster_map
from nrsim.channel.tr38901.panel import PanelArray, port_field_core
from nrsim.compiled import jit, jit_parallel
from nrsim.errors import ConfigError

MODE_TAPS = 0
MODE_RAYS = 1


def polarisation_matrix(xpr_lin: NDArray[np.float64], phase_rad: NDArray[np.float64]) -> NDArray[np.complex128]:
    """The 2x2 polarisation matrix of eq. (7.5-22) per ray: [..., 2, 2] from XPR kappa [...]
    and the four initial phases [..., 4] (theta-theta, theta-phi, phi-theta, phi-phi)."""
    e = np.exp(1j * phase_rad)
    x = 1.0 / np.sqrt(xpr_lin)
    return np.stack(
        [np.stack([e[..., 0], x * e[..., 1]], axis=-1), np.stack([x * e[..., 2], e[..., 3]], axis=-1)],
        axis=-2,
    )


@jit
def _cis(x: float) -> complex:
    return complex(math.cos(x), math.sin(x))


@jit
def doppler_hz_core(zoa_deg: float, aoa_deg: float, vx: float, vy: float, vz: float, inv_wl: float) -> float:
    """r_rx . v / lambda [Hz]: the Doppler frequency of a ray arriving from (ZoA, AoA) (GCS)
    at a UE moving with velocity (vx, vy, vz) [m/s] (eq. 7.5-22, its last factor)."""
    t = math.radians(zoa_deg)
    p = math.radians(aoa_deg)
    st = math.sin(t)
    return (st * math.cos(p) * vx + st * math.sin(p) * vy + math.cos(t) * vz) * inv_wl


@jit_parallel
def _ray_kernel(mode, pair, bearing, cos_b, sin_b, d3d, inv_wl,
                power, delay, aod, aoa, zod, zoa, xpr, phase, k_lin, los_ang, los_amp, strongest, sub, off, c_ds,
                tx_table, tx_pattern, rx_table, rx_pattern, vel, t_s,
                taps, delays, ray_c, ray_nu, ray_tap):  # pragma: no cover - compiled
    n_link = pair.shape[0]
    n_max = power.shape[1]
    m = aod.shape[2]
    n_tx = tx_table.shape[0]
    n_rx = rx_table.shape[0]
    two_pi = 2.0 * math.pi
    for li in numba.prange(n_link):
        q = pair[li]
        ftx = np.empty((n_tx, 2), dtype=np.complex128)
        frx = np.empty((n_rx, 2), dtype=np.complex128)
        v = np.empty((n_tx, 2), dtype=np.complex128)
        k = k_lin[q]
        nlos_scale = math.sqrt(1.0 / (k + 1.0))
        vx, vy, vz = vel[li, 0], vel[li, 1], vel[li, 2]
        for n in range(n_max):
            delays[li, n] = delay[q, n]
        for s in range(2):
            sn = strongest[q, s]
            for j in range(2):
                delays[li, n_max + 2 * s + j] = delay[q, sn] + off[j + 1] * c_ds[q]
        delays[li, n_max + 4] = delay[q, 0]
        for n in range(n_max):
            p_n = power[q, n]
            if mode == MODE_RAYS:
                for r in range(m):
                    ray_tap[li, n * m + r] = -1
            if p_n <= 0.0:
                continue
            s_idx = -1
            if strongest[q, 0] == n:
                s_idx = 0
            elif strongest[q, 1] == n:
                s_idx = 1
            amp = math.sqrt(p_n / m) * nlos_scale
            for r in range(m):
                port_field_core(zod[q, n, r], aod[q, n, r], bearing[li], cos_b[li], sin_b[li], tx_table,
                                tx_pattern, ftx)
                port_field_core(zoa[q, n, r], aoa[q, n, r], 0.0, 1.0, 0.0, rx_table, rx_pattern, frx)
                x = 1.0 / math.sqrt(xpr[q, n, r])
                p_tt = _cis(phase[q, n, r, 0])
                p_tp = x * _cis(phase[q, n, r, 1])
                p_pt = x * _cis(phase[q, n, r, 2])
                p_pp = _cis(phase[q, n, r, 3])
                for s in range(n_tx):
                    v[s, 0] = p_tt * ftx[s, 0] + p_tp * ftx[s, 1]
                    v[s, 1] = p_pt * ftx[s, 0] + p_pp * ftx[s, 1]
                tap = n
                if s_idx >= 0 and sub[r] > 0:
                    tap = n_max + 2 * s_idx + sub[r] - 1
                if mode == MODE_TAPS:
                    if t_s != 0.0:
                        g = amp * _cis(two_pi * t_s * doppler_hz_core(zoa[q, n, r], aoa[q, n, r], vx, vy, vz, inv_wl))
                    else:
                        g = complex(amp, 0.0)
                    for u in range(n_rx):
                        for s in range(n_tx):
                            taps[li, tap, u, s] += g * (frx[u, 0] * v[s, 0] + frx[u, 1] * v[s, 1])
                else:
                    ri = n * m + r
                    ray_tap[li, ri] = tap
                    ray_nu[li, ri] = doppler_hz_core(zoa[q, n, r], aoa[q, n, r], vx, vy, vz, inv_wl)
                    for u in range(n_rx):
                        for s in range(n_tx):
                            ray_c[li, ri, u, s] = amp * (frx[u, 0] * v[s, 0] + frx[u, 1] * v[s, 1])
        # direct path, eqs. (7.5-27)-(7.5-29)
        ri = n_max * m
        if mode == MODE_RAYS:
            ray_tap[li, ri] = -1
        if k > 0.0:
            port_field_core(los_ang[q, 1], los_ang[q, 0], bearing[li], cos_b[li], sin_b[li], tx_table,
                            tx_pattern, ftx)
            port_field_core(los_ang[q, 3], los_ang[q, 2], 0.0, 1.0, 0.0, rx_table, rx_pattern, frx)
            g = math.sqrt(k / (k + 1.0)) * los_amp[q] * _cis(-two_pi * d3d[li] * inv_wl)
            nu = doppler_hz_core(los_ang[q, 3], los_ang[q, 2], vx, vy, vz, inv_wl)
            if mode == MODE_TAPS:
                if t_s != 0.0:
                    g = g * _cis(two_pi * nu * t_s)
                for u in range(n_rx):
                    for s in range(n_tx):
                        taps[li, n_max + 4, u, s] += g * (frx[u, 0] * ftx[s, 0] - frx[u, 1] * ftx[s, 1])
            else:
                ray_tap[li, ri] = n_max + 4
                ray_nu[li, ri] = nu
                for u in range(n_rx):
                    for s in range(n_tx):
                        ray_c[li, ri, u, s] = g * (frx[u, 0] * ftx[s, 0] - frx[u, 1] * ftx[s, 1])


@dataclass(frozen=True)
class RayLinks:
    """The links whose channel coefficients 7.5 step 11 gives: their clusters and rays, the
    panels at both ends, and each link's BS panel orientation and distance. The input of
    :func:`channel_taps` (taps at one time) and :func:`ray_coefficients` (every ray, for any
    time).

    cs : clusters and rays (:func:`nrsim.channel.tr38901.clusters.generate_clusters`), [pair].
    tx_panel, rx_panel : BS and UE panels; the UE panel is not rotated (LCS = GCS).
    bearing_deg, downtilt_deg : float64 [link], orientation of each link's BS panel [deg].
    d_3d_m : float64 [link], BS-UE distance [m] (phase of the direct path).
    wavelength_m : carrier wavelength [m].
    pair : int64 [link], the row of ``cs`` each link uses (default: link l uses row l); the
        cells of one site share the rays of their UE-site pair.
    los_amplitude : float64 [pair], extra amplitude factor of the direct path (blockage,
        oxygen absorption; default 1).
    """

    cs: ClusterSet
    tx_panel: PanelArray
    rx_panel: PanelArray
    bearing_deg: ArrayLike
    downtilt_deg: ArrayLike
    d_3d_m: ArrayLike
    wavelength_m: float
    pair: NDArray[np.int64] | None = None
    los_amplitude: ArrayLike | None = None


def _link_args(rl: RayLinks, velocity_mps: ArrayLike | None) -> tuple:
    cs, pair, los_amplitude = rl.cs, rl.pair, rl.los_amplitude
    n_pair = cs.n_links
    pair = np.arange(n_pair, dtype=np.int64) if pair is None else np.ascontiguousarray(pair, dtype=np.int64)
    n_link = pair.shape[0]
    b = np.ascontiguousarray(np.broadcast_to(np.asarray(rl.bearing_deg, dtype=np.float64), (n_link,)))
    dt = np.radians(np.broadcast_to(np.asarray(rl.downtilt_deg, dtype=np.float64), (n_link,)))
    d3 = np.ascontiguousarray(np.broadcast_to(np.asarray(rl.d_3d_m, dtype=np.float64), (n_link,)))
    vel = (np.zeros((n_link, 3)) if velocity_mps is None
           else np.ascontiguousarray(np.broadcast_to(np.asarray(velocity_mps, dtype=np.float64), (n_link, 3))))
    los_amp = (np.ones(n_pair) if los_amplitude is None
               else np.ascontiguousarray(np.broadcast_to(np.asarray(los_amplitude, dtype=np.float64), (n_pair,))))
    sub, off = subcluster_map()
    m = cs.aod_deg.shape[2]
    c_ds = np.ascontiguousarray(np.broadcast_to(np.asarray(cs.c_ds_s, dtype=np.float64), (n_pair,)))
    los_ang = np.ascontiguousarray(np.stack([cs.los_aod_deg, cs.los_zod_deg, cs.los_aoa_deg, cs.los_zoa_deg], axis=1),
                                   dtype=np.float64)
    c = np.ascontiguousarray
    return (pair, b, np.cos(dt), np.sin(dt), d3,
            c(cs.power, dtype=np.float64), c(cs.delay_s, dtype=np.float64), c(cs.aod_deg), c(cs.aoa_deg),
            c(cs.zod_deg), c(cs.zoa_deg), c(cs.xpr_lin), c(cs.phase_rad), c(cs.k_lin, dtype=np.float64), los_ang,
            los_amp, c(cs.strongest, dtype=np.int64), c(sub[:m], dtype=np.int64), c(off, dtype=np.float64), c_ds, vel)


def channel_taps(
    rl: RayLinks, *, velocity_mps: ArrayLike | None = None, t_s: float = 0.0
) -> tuple[NDArray[np.complex128], NDArray[np.float64]]:
    """Delay taps of every link of ``rl`` at time ``t_s``: (coefficients [link, tap, rx, tx]
    complex128, delays [link, tap] [s]), tap = N clusters + 4 sub-clusters + the direct path
    (zero for NLOS links); clusters with zero power (cut, or padding) give zero taps.

    velocity_mps : float64 [link, 3], UE velocity (GCS) [m/s] for the Doppler term (default 0).
    t_s : time since the drop [s].
    """
    cs, tx_panel, rx_panel = rl.cs, rl.tx_panel, rl.rx_panel
    args = _link_args(rl, velocity_mps)
    n_link = args[0].shape[0]
    n_max = cs.delay_s.shape[1]
    taps = np.zeros((n_link, n_max + 5, rx_panel.n_ports, tx_panel.n_ports), dtype=np.complex128)
    delays = np.zeros((n_link, n_max + 5))
    dummy_c = np.zeros((1, 1, 1, 1), dtype=np.complex64)
    _ray_kernel(MODE_TAPS, *args[:5], 1.0 / rl.wavelength_m, *args[5:20], tx_panel.port_table(), tx_panel.pattern,
                rx_panel.port_table(), rx_panel.pattern, args[20], float(t_s), taps, delays, dummy_c,
                np.zeros((1, 1)), np.zeros((1, 1), dtype=np.int16))
    return taps, delays


@dataclass(frozen=True)
class RayChannel:
    """The drop-time rays of a set of links, for the channel at any time t (:func:`taps_at`).

    coef : complex64 [link, ray, rx, tx], coefficient of each ray at t = 0 (K-factor and
        amplitudes included; ray = cluster * M + m, the direct path last).
    doppler_hz : float64 [link, ray], r_rx . v / lambda.
    tap : int16 [link, ray], the delay tap of each ray (-1: no ray).
    delays_s : float64 [link, tap].
    """

    coef: NDArray[np.complex64]
    doppler_hz: NDArray[np.float64]
    tap: NDArray[np.int16]
    delays_s: NDArray[np.float64]

    @property
    def n_taps(self) -> int:
        return int(self.delays_s.shape[1])

    def subset(self, idx: ArrayLike) -> "RayChannel":
        """The links ``idx`` [n] (any order)."""
        i = np.asarray(idx, dtype=np.int64)
        return RayChannel(coef=self.coef[i], doppler_hz=self.doppler_hz[i], tap=self.tap[i], delays_s=self.delays_s[i])


def ray_coefficients(rl: RayLinks, velocity_mps: ArrayLike) -> RayChannel:
    """Per-ray coefficients and Doppler frequencies of every link of ``rl`` for UE velocities
    ``velocity_mps`` float64 [link, 3] [m/s] (GCS); ``taps_at(ray_coefficients(rl, v), t)``
    equals ``channel_taps(rl, velocity_mps=v, t_s=t)`` (to complex64 rounding)."""
    cs, tx_panel, rx_panel = rl.cs, rl.tx_panel, rl.rx_panel
    args = _link_args(rl, velocity_mps)
    n_link = args[0].shape[0]
    n_max, m = cs.aod_deg.shape[1:]
    n_ray = n_max * m + 1
    coef = np.zeros((n_link, n_ray, rx_panel.n_ports, tx_panel.n_ports), dtype=np.complex64)
    nu = np.zeros((n_link, n_ray))
    tap = np.full((n_link, n_ray), -1, dtype=np.int16)
    delays = np.zeros((n_link, n_max + 5))
    _ray_kernel(MODE_RAYS, *args[:5], 1.0 / rl.wavelength_m, *args[5:20], tx_panel.port_table(), tx_panel.pattern,
                rx_panel.port_table(), rx_panel.pattern, args[20], 0.0, np.zeros((1, 1, 1, 1), dtype=np.complex128),
                delays, coef, nu, tap)
    return RayChannel(coef=coef, doppler_hz=nu, tap=tap, delays_s=delays)


@jit
def _taps_at_kernel(coef, nu, tap, t_s, out):  # pragma: no cover - compiled
    n_link, n_ray, n_rx, n_tx = coef.shape
    two_pi_t = 2.0 * math.pi * t_s
    for li in numba.prange(n_link):
        for r in range(n_ray):
            k = tap[li, r]
            if k < 0:
                continue
            g = _cis(two_pi_t * nu[li, r])
            for u in range(n_rx):
                for s in range(n_tx):
                    out[li, k, u, s] += coef[li, r, u, s] * g


@jit
def _advance_kernel(coef, tap, phasor, step, out):  # pragma: no cover - compiled
    n_link, n_ray, n_rx, n_tx = coef.shape
    for li in numba.prange(n_link):
        for k in range(out.shape[1]):
            for u in range(n_rx):
                for s in range(n_tx):
                    out[li, k, u, s] = 0.0
        for r in range(n_ray):
            k = tap[li, r]
            if k < 0:
                continue
            g = np.complex64(phasor[li, r])
            for u in range(n_rx):
                for s in range(n_tx):
                    out[li, k, u, s] += coef[li, r, u, s] * g
            phasor[li, r] *= step[li, r]


@jit
def _phasor_kernel(nu, t_s, out):  # pragma: no cover - compiled
    two_pi_t = 2.0 * math.pi * t_s
    for li in numba.prange(nu.shape[0]):
        for r in range(nu.shape[1]):
            out[li, r] = _cis(two_pi_t * nu[li, r])


REANCHOR_STEPS = 1024
"""Steps of the phasor recurrence of :func:`taps_every` between exact evaluations."""


def taps_every(rays: RayChannel, dt_s: float, t0_s: float = 0.0):
    """Generator of (t [s], taps [link, tap, rx, tx] complex64) at t0, t0 + dt, t0 + 2 dt, ...
    (e.g. every slot): the Doppler phasor of each ray advances by one multiplication per step
    (exp(j 2 pi nu (t + dt)) = exp(j 2 pi nu t) exp(j 2 pi nu dt), recomputed exactly every
    :data:`REANCHOR_STEPS` steps), so a step costs one complex product per ray and port pair.
    The same output array is reused: copy it to keep it beyond the next step. Equals
    :func:`taps_at` to single precision."""
    n_link, _, n_rx, n_tx = rays.coef.shape
    out = np.zeros((n_link, rays.n_taps, n_rx, n_tx), dtype=np.complex64)
    phasor = np.empty(rays.doppler_hz.shape, dtype=np.complex128)
    step = np.empty_like(phasor)
    _phasor_kernel(rays.doppler_hz, float(dt_s), step)
    k = 0
    while True:
        t = t0_s + k * dt_s
        if k % REANCHOR_STEPS == 0:
            _phasor_kernel(rays.doppler_hz, float(t), phasor)
        _advance_kernel(rays.coef, rays.tap, phasor, step, out)
        yield t, out
        k += 1


def taps_at(rays: RayChannel, t_s: float) -> NDArray[np.complex128]:
    """Delay taps [link, tap, rx, tx] complex128 at time ``t_s`` [s] from the drop-time rays
    (eq. 7.5-22 with the Doppler term; the delays are ``rays.delays_s``)."""
    n_link, _, n_rx, n_tx = rays.coef.shape
    out = np.zeros((n_link, rays.n_taps, n_rx, n_tx), dtype=np.complex128)
    _taps_at_kernel(rays.coef, rays.doppler_hz, rays.tap, float(t_s), out)
    return out


@jit
def _freq_kernel(taps, delays, f0, df, freqs, uniform, out):  # pragma: no cover - compiled
    n_link, n_tap, n_rx, n_tx = taps.shape
    n_f = out.shape[3]
    n_rt = n_rx * n_tx
    for li in numba.prange(n_link):
        acc = np.zeros((n_f, n_rt), dtype=np.complex64)
        c = np.empty(n_rt, dtype=np.complex64)
        for t in range(n_tap):
            nz = False
            for u in range(n_rx):
                for s in range(n_tx):
                    c[u * n_tx + s] = taps[li, t, u, s]
                    if taps[li, t, u, s] != 0.0:
                        nz = True
            if not nz:
                continue
            tau = delays[li, t]
            if uniform:
                ph = _cis(-2.0 * math.pi * f0 * tau)
                step = _cis(-2.0 * math.pi * df * tau)
                for k in range(n_f):
                    ph32 = np.complex64(ph)
                    for j in range(n_rt):
                        acc[k, j] += c[j] * ph32
                    ph *= step
            else:
                for k in range(n_f):
                    ph32 = np.complex64(_cis(-2.0 * math.pi * freqs[k] * tau))
                    for j in range(n_rt):
                        acc[k, j] += c[j] * ph32
        for u in range(n_rx):
            for s in range(n_tx):
                for k in range(n_f):
                    out[li, u, s, k] = acc[k, u * n_tx + s]


def frequency_response(
    taps: NDArray[np.complex128], delays_s: NDArray[np.float64], freq_hz: NDArray[np.float64]
) -> NDArray[np.complex64]:
    """H(f) = sum_tap c_tap exp(-j 2 pi f tau_tap): taps [link, tap, rx, tx], delays
    [link, tap] [s], frequencies [prb] [Hz, relative to the carrier] -> complex64
    [link, rx, tx, prb]. Evenly spaced frequencies (PRB centres) use the phase recurrence
    e^{-j 2 pi (f + df) tau} = e^{-j 2 pi f tau} e^{-j 2 pi df tau} (in double precision;
    relative error below 1e-13 over 273 PRBs); others evaluate each phase. The sum over taps
    is accumulated in single precision, the precision of the output."""
    f = np.ascontiguousarray(freq_hz, dtype=np.float64)
    n_link, _, n_rx, n_tx = taps.shape
    out = np.empty((n_link, n_rx, n_tx, f.shape[0]), dtype=np.complex64)
    uniform = f.shape[0] > 1 and bool(np.allclose(np.diff(f), f[1] - f[0], rtol=0.0, atol=1e-9 * max(1.0, abs(f[1] - f[0]))))
    df = float(f[1] - f[0]) if f.shape[0] > 1 else 0.0
    _freq_kernel(np.ascontiguousarray(taps, dtype=np.complex128), np.ascontiguousarray(delays_s, dtype=np.float64),
                 float(f[0]) if f.shape[0] else 0.0, df, f, uniform, out)
    return out


def prb_frequencies_hz(n_prb: int, scs_hz: float) -> NDArray[np.float64]:
    """Centre frequency of each PRB relative to the carrier centre [Hz] (12 subcarriers of
    ``scs_hz`` per PRB, TS 38.211 4.4.4), ``n_prb`` PRBs centred on the carrier."""
    prb_hz = 12.0 * scs_hz
    return (np.arange(n_prb) - (n_prb - 1) / 2.0) * prb_hz


# -- per-slot refresh of the frequency response -------------------------------------------
#
# H(t, f) = sum_tap [sum_rays of the tap a_r exp(j 2 pi nu_r t)] exp(-j 2 pi f tau_tap): the two
# sums are split. Per link and call of ``n_step`` slots:
# 1. ray sums: the Doppler phasor of each ray advances by the recurrence
#    exp(j 2 pi nu (t + dt)) = exp(j 2 pi nu t) exp(j 2 pi nu dt) (double-precision products,
#    the state stored in float32 once per call, re-anchored exactly every
#    REFRESH_REANCHOR_STEPS steps); the rays, sorted by tap and stored [ray, rx * tx] per link
#    (vectorised over the port pairs), are read once per call for all its slots (the refresh
#    of many links is bound by the memory traffic of the ray arrays: a call of 8 slots reads
#    them an eighth as often as 8 calls of one);
# 2. delay sum: H[j, f] = sum_tap c[tap, j] e[tap, f], four real products per term, over the
#    link's active taps only. On an evenly spaced grid the centre frequency's phase is folded
#    into c and the grid is mirrored about its centre: exp(-j 2 pi (-f) tau) is the conjugate
#    of exp(-j 2 pi f tau), so with c e = (a + jb)(x + jy) the sums A = sum a x, B = sum b y,
#    C = sum a y, D = sum b x give H(+f) = (A - B) + j (C + D) and H(-f) = (A + B) + j (D - C):
#    the upper half of the grid costs nothing more (exact, not an approximation). The phases
#    of the upper half are built per link and call in blocks of PHASE_BLOCK PRBs, one complex
#    product each, from block starts and in-block powers stored at construction (from double
#    precision; [link, tap, PHASE_BLOCK + blocks], fixed over time). Other grids (e.g. subband
#    centres) use a phase table [link, tap, f] computed once at construction.
# Everything for one link stays in the L1/L2 cache; nothing of size [link, tap, prb] is
# stored for PRB grids. Links are independent: the threaded kernels split them into
# REFRESH_CHUNKS fixed chunks, so results do not depend on the number of threads.


REFRESH_REANCHOR_STEPS = 64
"""Steps of :class:`ResponseRefresh` between exact evaluations of its single-precision ray
phasors (drift after 64 steps: below 1e-5 relative, tested)."""
PHASE_BLOCK = 32
"""PRBs per block of the delay-phase table of the per-slot refresh."""
REFRESH_CHUNKS = 64
"""Fixed link chunks of the threaded refresh (one chunk per parallel iteration)."""
INTERFERER_GRANULARITIES = ("prb", "subband")
"""Frequency granularity of the interferer links of :class:`ServingInterfererRefresh`."""


@dataclass(frozen=True)
class CompactTaps:
    """The active (non-empty) delay taps of each link of a :class:`RayChannel`.

    tap : int16 [link, ray], the ray's index among its link's active taps (-1: no ray);
    n_active : int64 [link]; delays_s : float64 [link, tap] (active taps first, 0 after).
    """

    tap: NDArray[np.int16]
    n_active: NDArray[np.int64]
    delays_s: NDArray[np.float64]


def compact_taps(rays: RayChannel) -> CompactTaps:
    """Renumber each link's taps to its active ones (those with at least one ray), in tap
    order (a link of C clusters has C + 4 delays, C + 5 with a direct path)."""
    n_link, n_ray = rays.tap.shape
    n_tap = rays.n_taps
    used = np.zeros((n_link, n_tap + 1), dtype=bool)
    rows = np.repeat(np.arange(n_link), n_ray)
    used[rows, rays.tap.reshape(-1).astype(np.int64)] = True  # -1 lands in the last column
    used = used[:, :n_tap]
    n_active = used.sum(axis=1).astype(np.int64)
    rank = np.cumsum(used, axis=1) - 1  # [link, tap] compact index of each used tap
    t = rays.tap.astype(np.int64)
    ctap = np.where(t >= 0, np.take_along_axis(rank, np.maximum(t, 0), axis=1), -1).astype(np.int16)
    width = int(n_active.max(initial=0))
    delays = np.zeros((n_link, max(width, 1)))
    li, ti = np.nonzero(used)
    delays[li, rank[li, ti]] = rays.delays_s[li, ti]
    return CompactTaps(tap=ctap, n_active=n_active, delays_s=delays)




def subband_frequencies_hz(freq_hz: ArrayLike, subband_prb: int) -> NDArray[np.float64]:
    """Centre frequency of each subband of ``subband_prb`` consecutive PRBs [Hz]: the mean of
    its PRB centres ``freq_hz`` [prb] (the last subband may be shorter, e.g. 273 PRBs in
    subbands of 16: 17 of 16 and one of 1; TS 38.214 Table 5.2.1.4-2 gives 16 or 32 PRBs for
    145-275 PRBs)."""
    f = np.asarray(freq_hz, dtype=np.float64)
    if int(subband_prb) < 1:
        raise ConfigError(f"subband_prb = {subband_prb} must be at least 1", field="subband_prb")
    starts = np.arange(0, f.size, int(subband_prb))
    return np.add.reduceat(f, starts) / np.diff(np.append(starts, f.size))


@jit
def _advance_phasors(nr, n_step, pr, pi, qr, qi, h_re, h_im, g_re, g_im):  # pragma: no cover - compiled
    """g[r, s] = p_r q_r^s (s < n_step, double-precision products stored in float32), then
    p <- p q^n_step (rounded to float32 once per block)."""
    for r in range(nr):
        h_re[r] = pr[r]
        h_im[r] = pi[r]
    for s in range(n_step):  # vectorised over rays
        for r in range(nr):
            a = h_re[r]
            b = h_im[r]
            g_re[r, s] = np.float32(a)
            g_im[r, s] = np.float32(b)
            x = np.float64(qr[r])
            y = np.float64(qi[r])
            h_re[r] = a * x - b * y
            h_im[r] = a * y + b * x
    for r in range(nr):
        pr[r] = np.float32(h_re[r])
        pi[r] = np.float32(h_im[r])


@jit
def _ray_sums(li, n_step, a_re, a_im, tap_start, n_ray, n_act, p_re, p_im, q_re, q_im, h_re, h_im, g_re, g_im,
              c_re, c_im):  # pragma: no cover - compiled
    """c[t, j * n_step + s] = sum over the rays r of active tap t of a[li, r, j] p_r q_r^s
    (s < n_step); then p <- p q^n_step: for a block of steps the phasor products in double
    precision, stored in float32 once per block (:func:`_advance_phasors`), the steps the
    innermost, contiguous loop (vectorised); for one step one float32 product per ray."""
    nr = n_ray[li]
    nt = n_act[li]
    n_rt = a_re.shape[2]
    pr = p_re[li]
    pi = p_im[li]
    qr = q_re[li]
    qi = q_im[li]
    if n_step == 1:  # one step: the phasors now, then one float32 product on
        for r in range(nr):
            a = pr[r]
            b = pi[r]
            g_re[r, 0] = a
            g_im[r, 0] = b
            pr[r] = a * qr[r] - b * qi[r]
            pi[r] = a * qi[r] + b * qr[r]
        if n_rt == 1:  # one port pair: products vectorised over rays, then the sums per tap
            m_re = h_re
            m_im = h_im
            for r in range(nr):
                m_re[r] = a_re[li, r, 0] * g_re[r, 0] - a_im[li, r, 0] * g_im[r, 0]
                m_im[r] = a_re[li, r, 0] * g_im[r, 0] + a_im[li, r, 0] * g_re[r, 0]
            for t in range(nt):
                x = 0.0
                y = 0.0
                for r in range(tap_start[li, t], tap_start[li, t + 1]):
                    x += m_re[r]
                    y += m_im[r]
                c_re[t, 0] = x
                c_im[t, 0] = y
            return
        c_re[:nt, :n_rt] = 0.0
        c_im[:nt, :n_rt] = 0.0
        for t in range(nt):  # several port pairs: vectorised over them
            cr = c_re[t]
            ci = c_im[t]
            for r in range(tap_start[li, t], tap_start[li, t + 1]):
                x = g_re[r, 0]
                y = g_im[r, 0]
                ar = a_re[li, r]
                ai = a_im[li, r]
                for j in range(n_rt):
                    cr[j] += ar[j] * x - ai[j] * y
                    ci[j] += ar[j] * y + ai[j] * x
        return
    _advance_phasors(nr, n_step, pr, pi, qr, qi, h_re, h_im, g_re, g_im)
    c_re[:nt, :n_step * n_rt] = 0.0
    c_im[:nt, :n_step * n_rt] = 0.0
    for t in range(nt):
        cr = c_re[t]
        ci = c_im[t]
        for r in range(tap_start[li, t], tap_start[li, t + 1]):
            gr = g_re[r]
            gi = g_im[r]
            for j in range(n_rt):  # each ray's coefficients read once for all steps
                x = a_re[li, r, j]
                y = a_im[li, r, j]
                o = j * n_step
                for s in range(n_step):
                    cr[o + s] += x * gr[s] - y * gi[s]
                    ci[o + s] += x * gi[s] + y * gr[s]


@jit
def _half_phases(li, nt, pw_re, pw_im, bs_re, bs_im, e_re, e_im):  # pragma: no cover - compiled
    """e[t, m] = e0 dph^m (float32) for m < e_re.shape[1], from the link's stored phases:
    block starts bs[li, t, b] = e0 dph^(PHASE_BLOCK b) and in-block powers pw[li, t, q] =
    dph^q (both from double precision, :class:`ResponseRefresh`); one complex product each."""
    n_e = e_re.shape[1]
    blk = pw_re.shape[2]
    for t in range(nt):
        pr = pw_re[li, t]
        pi = pw_im[li, t]
        for b in range(bs_re.shape[2]):
            k0 = b * blk
            m = min(blk, n_e - k0)
            er = e_re[t, k0:k0 + m]  # views: loop indices from range() vectorise
            ei = e_im[t, k0:k0 + m]
            zr = bs_re[li, t, b]
            zi = bs_im[li, t, b]
            for q in range(m):
                er[q] = zr * pr[q] - zi * pi[q]
                ei[q] = zr * pi[q] + zi * pr[q]


@jit
def _delay_sums(q, nt, c_re, c_im, e_re, e_im, acc):  # pragma: no cover - compiled
    """acc[0..3, m] = sum_t (a x, b y, a y, b x)[t, m] with a + jb = c[t, q] and
    x + jy = e[t, m] (float32); four taps per pass over the accumulators."""
    n_e = e_re.shape[1]
    aa = acc[0]
    bb = acc[1]
    cc = acc[2]
    dd = acc[3]
    for m in range(n_e):
        aa[m] = 0.0
        bb[m] = 0.0
        cc[m] = 0.0
        dd[m] = 0.0
    t = 0
    while t + 3 < nt:
        a0, b0, a1, b1 = c_re[t, q], c_im[t, q], c_re[t + 1, q], c_im[t + 1, q]
        a2, b2, a3, b3 = c_re[t + 2, q], c_im[t + 2, q], c_re[t + 3, q], c_im[t + 3, q]
        x0, y0, x1, y1 = e_re[t], e_im[t], e_re[t + 1], e_im[t + 1]
        x2, y2, x3, y3 = e_re[t + 2], e_im[t + 2], e_re[t + 3], e_im[t + 3]
        for m in range(n_e):
            aa[m] += (a0 * x0[m] + a1 * x1[m]) + (a2 * x2[m] + a3 * x3[m])
            bb[m] += (b0 * y0[m] + b1 * y1[m]) + (b2 * y2[m] + b3 * y3[m])
            cc[m] += (a0 * y0[m] + a1 * y1[m]) + (a2 * y2[m] + a3 * y3[m])
            dd[m] += (b0 * x0[m] + b1 * x1[m]) + (b2 * x2[m] + b3 * x3[m])
        t += 4
    while t < nt:
        a0, b0 = c_re[t, q], c_im[t, q]
        x0, y0 = e_re[t], e_im[t]
        for m in range(n_e):
            aa[m] += a0 * x0[m]
            bb[m] += b0 * y0[m]
            cc[m] += a0 * y0[m]
            dd[m] += b0 * x0[m]
        t += 1


@jit
def _table_sums(nt, n_q, c_re, c_im, x_re, x_im, h_re, h_im):  # pragma: no cover - compiled
    """h[m, q] = sum_t c[t, q] x[t, m] (complex, float32) for q < n_q (the steps and port
    pairs, contiguous: vectorised over them), m < x.shape[1] (the table's frequencies)."""
    for m in range(x_re.shape[1]):
        hr = h_re[m]
        hi = h_im[m]
        for q in range(n_q):
            hr[q] = 0.0
            hi[q] = 0.0
        t = 0
        while t + 1 < nt:
            x0, y0, x1, y1 = x_re[t, m], x_im[t, m], x_re[t + 1, m], x_im[t + 1, m]
            cr0, ci0, cr1, ci1 = c_re[t], c_im[t], c_re[t + 1], c_im[t + 1]
            for q in range(n_q):
                hr[q] += (cr0[q] * x0 - ci0[q] * y0) + (cr1[q] * x1 - ci1[q] * y1)
                hi[q] += (cr0[q] * y0 + ci0[q] * x0) + (cr1[q] * y1 + ci1[q] * x1)
            t += 2
        if t < nt:
            x0, y0 = x_re[t, m], x_im[t, m]
            cr0, ci0 = c_re[t], c_im[t]
            for q in range(n_q):
                hr[q] += cr0[q] * x0 - ci0[q] * y0
                hi[q] += cr0[q] * y0 + ci0[q] * x0


@jit
def _refresh_scratch(n_step, width, n_tap, n_rt, n_e):  # pragma: no cover - compiled
    """Work arrays of one chunk of the refresh (allocated once per chunk, reused per link)."""
    h_re, h_im = np.empty(width), np.empty(width)
    g_re = np.empty((width, n_step), dtype=np.float32)
    g_im = np.empty((width, n_step), dtype=np.float32)
    c_re = np.empty((n_tap, n_step * n_rt), dtype=np.float32)
    c_im = np.empty((n_tap, n_step * n_rt), dtype=np.float32)
    e_re = np.empty((n_tap, n_e), dtype=np.float32)
    e_im = np.empty((n_tap, n_e), dtype=np.float32)
    acc = np.empty((4, n_e), dtype=np.float32)
    hq_re = np.empty((n_e, n_step * n_rt), dtype=np.float32)
    hq_im = np.empty((n_e, n_step * n_rt), dtype=np.float32)
    return h_re, h_im, g_re, g_im, c_re, c_im, e_re, e_im, acc, hq_re, hq_im


@jit
def _refresh_chunk(ci, n_chunk, n_step, st, grid, out, pout, scale, row0, row_stride, power):  # pragma: no cover
    """Links of chunk ``ci`` of ``n_chunk``, ``n_step`` steps: H into out[s, link, rx, tx, f]
    (``power`` False) or scale[link] * sum_rx,tx |H|^2 into pout[row0 + link * row_stride + s, f]
    (``power`` True). ``grid`` = (mirrored, k_hi0, k_lo0, n_tx, n_e): index m < n_e of the
    delay sums is frequency k_hi0 + m and, mirrored, k_lo0 - m."""
    a_re, a_im, tap_start, n_ray, n_act, p_re, p_im, q_re, q_im, pw_re, pw_im, bs_re, bs_im, tab_re, tab_im = st
    mirrored, k_hi0, k_lo0, n_tx, n_e = grid
    n_link, width, n_rt = a_re.shape
    n_tap = tap_start.shape[1] - 1
    lo = ci * n_link // n_chunk
    hi = (ci + 1) * n_link // n_chunk
    h_re, h_im, g_re, g_im, c_re, c_im, e_re, e_im, acc, hq_re, hq_im = _refresh_scratch(
        n_step, max(width, 1), max(n_tap, 1), n_rt, n_e)
    m_lo = 1 if k_lo0 == k_hi0 else 0  # the centre of an odd mirrored grid is written once
    for li in range(lo, hi):
        nt = n_act[li]
        _ray_sums(li, n_step, a_re, a_im, tap_start, n_ray, n_act, p_re, p_im, q_re, q_im, h_re, h_im, g_re, g_im,
                  c_re, c_im)
        if not mirrored:  # phase table: all steps and port pairs at once
            _table_sums(nt, n_step * n_rt, c_re, c_im, tab_re[li], tab_im[li], hq_re, hq_im)
            for s in range(n_step):
                if power:
                    row = row0 + li * row_stride + s
                    g = np.float32(scale[li])
                    for m in range(n_e):
                        x = np.float32(0.0)
                        for j in range(n_rt):
                            q = j * n_step + s
                            x += hq_re[m, q] * hq_re[m, q] + hq_im[m, q] * hq_im[m, q]
                        pout[row, m] = g * x
                else:
                    for j in range(n_rt):
                        u = j // n_tx
                        o = out[s, li, u, j - u * n_tx]
                        for m in range(n_e):
                            o[m] = complex(hq_re[m, j * n_step + s], hq_im[m, j * n_step + s])
            continue
        _half_phases(li, nt, pw_re, pw_im, bs_re, bs_im, e_re, e_im)
        for s in range(n_step):
            if power:
                row = row0 + li * row_stride + s
                g = np.float32(scale[li])
                for k in range(pout.shape[1]):
                    pout[row, k] = 0.0
            for j in range(n_rt):
                _delay_sums(j * n_step + s, nt, c_re, c_im, e_re, e_im, acc)
                aa = acc[0]
                bb = acc[1]
                cc = acc[2]
                dd = acc[3]
                if power:
                    for m in range(n_e):
                        hr = aa[m] - bb[m]
                        hi_ = cc[m] + dd[m]
                        pout[row, k_hi0 + m] += g * (hr * hr + hi_ * hi_)
                    for m in range(m_lo, n_e):
                        hr = aa[m] + bb[m]
                        hi_ = dd[m] - cc[m]
                        pout[row, k_lo0 - m] += g * (hr * hr + hi_ * hi_)
                else:
                    u = j // n_tx
                    v = j - u * n_tx
                    o = out[s, li, u, v]
                    for m in range(n_e):
                        o[k_hi0 + m] = complex(aa[m] - bb[m], cc[m] + dd[m])
                    for m in range(m_lo, n_e):
                        o[k_lo0 - m] = complex(aa[m] + bb[m], dd[m] - cc[m])


@jit
def _refresh_serial(n_step, st, grid, out, pout, scale, row0, row_stride, power):  # pragma: no cover - compiled
    for ci in range(REFRESH_CHUNKS):
        _refresh_chunk(ci, REFRESH_CHUNKS, n_step, st, grid, out, pout, scale, row0, row_stride, power)


@jit_parallel
def _refresh_parallel(n_step, st, grid, out, pout, scale, row0, row_stride, power):  # pragma: no cover - compiled
    for ci in numba.prange(REFRESH_CHUNKS):
        _refresh_chunk(ci, REFRESH_CHUNKS, n_step, st, grid, out, pout, scale, row0, row_stride, power)


@jit
def _cis_kernel(nu, n_ray, t_s, out_re, out_im):  # pragma: no cover - compiled
    two_pi_t = 2.0 * math.pi * t_s
    for li in range(nu.shape[0]):
        for r in range(n_ray[li]):
            x = two_pi_t * nu[li, r]
            out_re[li, r] = math.cos(x)
            out_im[li, r] = math.sin(x)


_NO_RESPONSE = np.zeros((1, 1, 1, 1, 1), dtype=np.complex64)
_NO_POWER = np.zeros((1, 1), dtype=np.float32)


def _grid(freq_hz: ArrayLike) -> tuple[NDArray[np.float64], bool]:
    """(frequencies float64 [f], evenly spaced)."""
    f = np.ascontiguousarray(freq_hz, dtype=np.float64)
    if f.ndim != 1 or f.size == 0:
        raise ValueError("freq_hz must be a non-empty 1-D grid")
    df = float(f[1] - f[0]) if f.size > 1 else 0.0
    even = f.size < 3 or bool(np.allclose(np.diff(f), df, rtol=0.0, atol=1e-9 * max(1.0, abs(df))))
    return f, even


class ResponseRefresh:
    """The frequency response of a set of links on a frequency grid, advanced slot by slot
    (time evolution of eq. 7.5-22 by the Doppler phase of each ray).

    Parameters
    ----------
    rays : the drop-time rays (:func:`ray_coefficients`), [link].
    freq_hz : float64 [f], frequencies relative to the carrier [Hz]: PRB centres (evenly
        spaced: mirrored about the centre, the phases kept as block starts and in-block
        powers, float32 [link, tap, PHASE_BLOCK + blocks]) or any grid, e.g. subband centres
        (:func:`subband_frequencies_hz`; a phase table float32 [link, tap, f] x 2 is kept).
    dt_s : time step [s] (e.g. the slot).
    t0_s : time of the first step [s].
    parallel : split the links over the numba threads (``NUMBA_NUM_THREADS``); the result
        does not depend on the number of threads.

    :meth:`response` returns H complex64 [link, rx, tx, f] at the current time and moves one
    step on; :meth:`responses` returns ``n_steps`` consecutive steps [step, link, rx, tx, f]
    (the ray arrays are read once for all of them: faster per step); :meth:`power` returns
    ``scale`` [link] * sum over rx and tx of |H|^2 as float32 rows. The ray phasors advance
    by one multiplication per step and are recomputed exactly every
    :data:`REFRESH_REANCHOR_STEPS` steps and by :meth:`seek`; H equals
    ``frequency_response(taps_at(rays, t), rays.delays_s, freq_hz)`` to single precision.
    """

    def __init__(self, rays: RayChannel, freq_hz: ArrayLike, dt_s: float, t0_s: float = 0.0, *,
                 parallel: bool = False) -> None:
        f, even = _grid(freq_hz)
        ct = compact_taps(rays)
        n_link, _, n_rx, n_tx = rays.coef.shape
        # each link's rays sorted by compact tap, inactive rays dropped
        big = np.iinfo(np.int16).max
        key = np.where(ct.tap >= 0, ct.tap, big).astype(np.int64)
        order = np.argsort(key, axis=1, kind="stable")
        self.n_ray = (ct.tap >= 0).sum(axis=1).astype(np.int64)
        width = max(int(self.n_ray.max(initial=0)), 1)
        order = order[:, :width]
        valid = np.arange(width)[None, :] < self.n_ray[:, None]
        coef = np.take_along_axis(rays.coef.reshape(n_link, rays.coef.shape[1], n_rx * n_tx), order[:, :, None], axis=1)
        coef = np.where(valid[:, :, None], coef, 0.0)
        self.nu = np.ascontiguousarray(np.where(valid, np.take_along_axis(rays.doppler_hz, order, axis=1), 0.0))
        counts = np.zeros((n_link, ct.delays_s.shape[1] + 1), dtype=np.int64)
        li, ri = np.nonzero(ct.tap >= 0)
        np.add.at(counts, (li, ct.tap[li, ri].astype(np.int64) + 1), 1)
        self.tap_start = np.ascontiguousarray(np.cumsum(counts, axis=1))  # [link, tap + 1]
        self.n_active = np.ascontiguousarray(ct.n_active)
        tau = ct.delays_s
        n_f = int(f.size)
        if even:
            # mirrored grid: f_k = fc + (k - (n - 1) / 2) df; index m of the upper half is
            # k = n - half + m at fc + (m + eps) df, its mirror k = half - 1 - m; the centre
            # phase exp(-j 2 pi fc tau) is folded into the ray coefficients
            half = (n_f + 1) // 2
            df = float(f[1] - f[0]) if n_f > 1 else 0.0
            fc = float(f[0]) + 0.5 * (n_f - 1) * df
            eps = (n_f - half) - 0.5 * (n_f - 1)
            ray_tap = np.take_along_axis(np.where(ct.tap >= 0, ct.tap, 0).astype(np.int64), order, axis=1)
            coef = coef * np.exp(-2j * np.pi * fc * np.take_along_axis(tau, ray_tap, axis=1))[:, :, None]
            # delay phases of the upper half, exp(-j 2 pi (m + eps) df tau), stored as block
            # starts [link, tap, block] and in-block powers [link, tap, PHASE_BLOCK] (float32,
            # from double precision): fixed over time, so no recurrence per call
            q = np.arange(PHASE_BLOCK)
            pw = np.exp(-2j * np.pi * df * tau[:, :, None] * q)
            bs = np.exp(-2j * np.pi * df * tau[:, :, None] * (eps + PHASE_BLOCK * np.arange(-(-half // PHASE_BLOCK))))
            self.pw_re = np.ascontiguousarray(pw.real, dtype=np.float32)
            self.pw_im = np.ascontiguousarray(pw.imag, dtype=np.float32)
            self.bs_re = np.ascontiguousarray(bs.real, dtype=np.float32)
            self.bs_im = np.ascontiguousarray(bs.imag, dtype=np.float32)
            tab = np.zeros((1, 1, 1), dtype=np.float32)
            self.tab_re, self.tab_im = tab, tab
            self._grid = (True, n_f - half, half - 1, n_tx, half)
        else:
            self.pw_re = self.pw_im = self.bs_re = self.bs_im = np.zeros((1, 1, 1), dtype=np.float32)
            ph = np.exp(-2j * np.pi * tau[:, :, None] * f[None, None, :])  # [link, tap, f]
            self.tab_re = np.ascontiguousarray(ph.real, dtype=np.float32)
            self.tab_im = np.ascontiguousarray(ph.imag, dtype=np.float32)
            self._grid = (False, 0, -1, n_tx, n_f)
        self.a_re = np.ascontiguousarray(coef.real, dtype=np.float32)  # [link, ray, rx * tx]
        self.a_im = np.ascontiguousarray(coef.imag, dtype=np.float32)
        self.shape = (n_link, n_rx, n_tx)
        self.n_prb = n_f
        self.dt_s = float(dt_s)
        self.parallel = bool(parallel)
        # phasors and their per-step factors in single precision (the refresh streams them:
        # memory traffic, not arithmetic, bounds it); re-anchored exactly every
        # REFRESH_REANCHOR_STEPS steps
        self.p_re = np.zeros(self.nu.shape, dtype=np.float32)
        self.p_im = np.zeros_like(self.p_re)
        self.q_re = np.zeros_like(self.p_re)
        self.q_im = np.zeros_like(self.p_re)
        _cis_kernel(self.nu, self.n_ray, self.dt_s, self.q_re, self.q_im)
        self.seek(t0_s)

    @property
    def n_links(self) -> int:
        return int(self.shape[0])

    @property
    def nbytes(self) -> int:
        """Memory held by the refresh's arrays [bytes]."""
        return int(sum(a.nbytes for a in (self.a_re, self.a_im, self.nu, self.tap_start, self.n_active, self.pw_re,
                                           self.pw_im, self.bs_re, self.bs_im, self.tab_re, self.tab_im, self.p_re,
                                           self.p_im, self.q_re, self.q_im)))

    def seek(self, t_s: float) -> None:
        """Move to time ``t_s`` [s] (exact phasors)."""
        self._t_anchor = float(t_s)
        self._since_anchor = 0
        _cis_kernel(self.nu, self.n_ray, self._t_anchor, self.p_re, self.p_im)

    @property
    def t_s(self) -> float:
        """The current time [s] (of the next step returned)."""
        return self._t_anchor + self._since_anchor * self.dt_s

    def _run(self, n_steps: int, out: NDArray[np.complex64], pout: NDArray[np.float32], scale: NDArray[np.float64],
             row0: int, row_stride: int, power: bool) -> None:
        if self._since_anchor > 0 and self._since_anchor + n_steps > REFRESH_REANCHOR_STEPS:
            self.seek(self.t_s)
        st = (self.a_re, self.a_im, self.tap_start, self.n_ray, self.n_active, self.p_re, self.p_im, self.q_re,
              self.q_im, self.pw_re, self.pw_im, self.bs_re, self.bs_im, self.tab_re, self.tab_im)
        kernel = _refresh_parallel if self.parallel else _refresh_serial
        kernel(int(n_steps), st, self._grid, out, pout, scale, int(row0), int(row_stride), power)
        self._since_anchor += int(n_steps)

    def responses(self, n_steps: int, out: NDArray[np.complex64] | None = None) -> NDArray[np.complex64]:
        """H complex64 [step, link, rx, tx, f] of the next ``n_steps`` steps (the current
        time first); then ``n_steps`` steps on."""
        n_steps = int(n_steps)
        if n_steps < 1:
            raise ValueError("n_steps must be at least 1")
        want = (n_steps, *self.shape, self.n_prb)
        if out is None:
            out = np.empty(want, dtype=np.complex64)
        elif out.shape != want or out.dtype != np.complex64 or not out.flags.c_contiguous:
            raise ValueError(f"out must be complex64 {want} (C order), not {out.dtype} {out.shape}")
        self._run(n_steps, out, _NO_POWER, np.zeros(1), 0, 1, False)
        return out

    def response(self, out: NDArray[np.complex64] | None = None) -> NDArray[np.complex64]:
        """H complex64 [link, rx, tx, f] at the current time; then one step on."""
        if out is None:
            out = np.empty((*self.shape, self.n_prb), dtype=np.complex64)
        self.responses(1, out[None])
        return out

    def power(self, scale: NDArray[np.float64], out: NDArray[np.float32], row0: int = 0,
              row_stride: int = 1, n_steps: int = 1) -> None:
        """out[row0 + l * row_stride + s, :] = scale[l] * sum_rx,tx |H_l|^2 (float32 [row, f])
        for the next ``n_steps`` steps s (the current time first); then ``n_steps`` steps on."""
        n_steps = int(n_steps)
        if n_steps < 1:
            raise ValueError("n_steps must be at least 1")
        last = int(row0) + (self.n_links - 1) * int(row_stride) + n_steps - 1
        if (out.ndim != 2 or out.dtype != np.float32 or out.shape[1] != self.n_prb or row0 < 0 or row_stride < 0
                or (self.n_links and last >= out.shape[0])):
            raise ValueError(f"out must be float32 [row, {self.n_prb}] with rows up to {last}, not "
                             f"{out.dtype} {out.shape}")
        self._run(n_steps, _NO_RESPONSE, out, np.ascontiguousarray(scale, dtype=np.float64), row0, row_stride,
                  True)


class ServingInterfererRefresh:
    """The frequency response of each UE's serving link per PRB and of its interferer links per
    PRB or per subband, refreshed slot by slot (:class:`ResponseRefresh` for each set).

    Parameters
    ----------
    rays : the drop-time rays of ``[ue, k]`` links flattened UE-major, k = 0 the serving
        cell (the ``[ue, k]`` candidate form of the large-scale model), [ue * k].
    k : links per UE (serving + k - 1 interferers).
    freq_hz : float64 [prb], evenly spaced PRB centres relative to the carrier [Hz].
    dt_s, t0_s, parallel : as :class:`ResponseRefresh`.
    interferer_granularity : ``"prb"`` (the interferers on ``freq_hz``) or ``"subband"``
        (at the centre of each subband of ``subband_prb`` PRBs, :func:`subband_frequencies_hz`:
        the channel evaluated exactly there, 16x fewer frequencies for 16-PRB subbands).
    subband_prb : PRBs per subband (TS 38.214 Table 5.2.1.4-2: 16 or 32 for 145-275 PRBs).
    """

    def __init__(self, rays: RayChannel, k: int, freq_hz: ArrayLike, dt_s: float, t0_s: float = 0.0, *,
                 interferer_granularity: str = "prb", subband_prb: int = 16, parallel: bool = False) -> None:
        if interferer_granularity not in INTERFERER_GRANULARITIES:
            raise ConfigError(f"interferer_granularity = {interferer_granularity!r}; allowed: "
                              f"{', '.join(INTERFERER_GRANULARITIES)}", field="interferer_granularity")
        n_link = rays.coef.shape[0]
        k = int(k)
        if k < 1 or n_link % k:
            raise ValueError(f"{n_link} links are not [ue, k] with k = {k}")
        ue_k = np.arange(n_link).reshape(-1, k)
        f = np.ascontiguousarray(freq_hz, dtype=np.float64)
        self.interferer_freq_hz = f if interferer_granularity == "prb" else subband_frequencies_hz(f, subband_prb)
        self.granularity = interferer_granularity
        self.serving = ResponseRefresh(rays.subset(ue_k[:, 0]), f, dt_s, t0_s, parallel=parallel)
        self.interferers = ResponseRefresh(rays.subset(ue_k[:, 1:].reshape(-1)), self.interferer_freq_hz, dt_s,
                                           t0_s, parallel=parallel)

    def seek(self, t_s: float) -> None:
        """Move both link sets to time ``t_s`` [s]."""
        self.serving.seek(t_s)
        self.interferers.seek(t_s)

    def responses(self, n_steps: int, out_serving: NDArray[np.complex64] | None = None,
                  out_interferers: NDArray[np.complex64] | None = None
                  ) -> tuple[NDArray[np.complex64], NDArray[np.complex64]]:
        """(H serving complex64 [step, ue, rx, tx, prb], H interferers complex64
        [step, ue * (k - 1), rx, tx, f], UE-major) of the next ``n_steps`` steps."""
        return (self.serving.responses(n_steps, out_serving), self.interferers.responses(n_steps, out_interferers))
