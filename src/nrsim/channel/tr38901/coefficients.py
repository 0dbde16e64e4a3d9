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
that :func:`taps_at` refreshes the taps at any t without the antenna fields (the per-slot
refresh).

The per-ray work of a drop is compiled with threads (:data:`nrsim.compiled.jit_parallel`, one
link per iteration, so the result does not depend on the number of threads); the per-slot
kernels (the tap refresh and the frequency response) are serial: per call they run for
milliseconds, where thread start-up and, on a shared machine, contention cost more than they
gain (measured: 2 threads 2-5x slower than 1 at load 3 on 2 cores).
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


def _link_args(cs: ClusterSet, pair: NDArray[np.int64] | None, bearing_deg: ArrayLike, downtilt_deg: ArrayLike,
               d_3d_m: ArrayLike, velocity_mps: ArrayLike | None, los_amplitude: ArrayLike | None) -> tuple:
    n_pair = cs.n_links
    pair = np.arange(n_pair, dtype=np.int64) if pair is None else np.ascontiguousarray(pair, dtype=np.int64)
    n_link = pair.shape[0]
    b = np.ascontiguousarray(np.broadcast_to(np.asarray(bearing_deg, dtype=np.float64), (n_link,)))
    dt = np.radians(np.broadcast_to(np.asarray(downtilt_deg, dtype=np.float64), (n_link,)))
    d3 = np.ascontiguousarray(np.broadcast_to(np.asarray(d_3d_m, dtype=np.float64), (n_link,)))
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
    cs: ClusterSet,
    tx_panel: PanelArray,
    rx_panel: PanelArray,
    bearing_deg: ArrayLike,
    downtilt_deg: ArrayLike,
    d_3d_m: ArrayLike,
    wavelength_m: float,
    *,
    pair: NDArray[np.int64] | None = None,
    velocity_mps: ArrayLike | None = None,
    t_s: float = 0.0,
    los_amplitude: ArrayLike | None = None,
) -> tuple[NDArray[np.complex128], NDArray[np.float64]]:
    """Delay taps of every link at time ``t_s``: (coefficients [link, tap, rx, tx] complex128,
    delays [link, tap] [s]), tap = N clusters + 4 sub-clusters + the direct path (zero for
    NLOS links); clusters with zero power (cut, or padding) give zero taps.

    Parameters
    ----------
    cs : clusters and rays (:func:`nrsim.channel.tr38901.clusters.generate_clusters`), [pair].
    tx_panel, rx_panel : BS and UE panels; the UE panel is not rotated (LCS = GCS).
    bearing_deg, downtilt_deg : float64 [link], orientation of each link's BS panel [deg].
    d_3d_m : float64 [link], BS-UE distance [m] (phase of the direct path).
    wavelength_m : carrier wavelength [m].
    pair : int64 [link], the row of ``cs`` each link uses (default: link l uses row l); the
        cells of one site share the rays of their UE-site pair.
    velocity_mps : float64 [link, 3], UE velocity (GCS) [m/s] for the Doppler term (default 0).
    t_s : time since the drop [s].
    los_amplitude : float64 [pair], extra amplitude factor of the direct path (blockage,
        oxygen absorption; default 1).
    """
    args = _link_args(cs, pair, bearing_deg, downtilt_deg, d_3d_m, velocity_mps, los_amplitude)
    n_link = args[0].shape[0]
    n_max = cs.delay_s.shape[1]
    taps = np.zeros((n_link, n_max + 5, rx_panel.n_ports, tx_panel.n_ports), dtype=np.complex128)
    delays = np.zeros((n_link, n_max + 5))
    dummy_c = np.zeros((1, 1, 1, 1), dtype=np.complex64)
    _ray_kernel(MODE_TAPS, *args[:5], 1.0 / wavelength_m, *args[5:20], tx_panel.port_table(), tx_panel.pattern,
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


def ray_coefficients(
    cs: ClusterSet,
    tx_panel: PanelArray,
    rx_panel: PanelArray,
    bearing_deg: ArrayLike,
    downtilt_deg: ArrayLike,
    d_3d_m: ArrayLike,
    wavelength_m: float,
    velocity_mps: ArrayLike,
    *,
    pair: NDArray[np.int64] | None = None,
    los_amplitude: ArrayLike | None = None,
) -> RayChannel:
    """Per-ray coefficients and Doppler frequencies of every link (same parameters as
    :func:`channel_taps`); ``taps_at(ray_coefficients(...), t)`` equals
    ``channel_taps(..., t_s=t)`` (to complex64 rounding)."""
    args = _link_args(cs, pair, bearing_deg, downtilt_deg, d_3d_m, velocity_mps, los_amplitude)
    n_link = args[0].shape[0]
    n_max, m = cs.aod_deg.shape[1:]
    n_ray = n_max * m + 1
    coef = np.zeros((n_link, n_ray, rx_panel.n_ports, tx_panel.n_ports), dtype=np.complex64)
    nu = np.zeros((n_link, n_ray))
    tap = np.full((n_link, n_ray), -1, dtype=np.int16)
    delays = np.zeros((n_link, n_max + 5))
    _ray_kernel(MODE_RAYS, *args[:5], 1.0 / wavelength_m, *args[5:20], tx_panel.port_table(), tx_panel.pattern,
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
# Per link and step: the Doppler phasor of each ray advances by the recurrence
# exp(j 2 pi nu (t + dt)) = exp(j 2 pi nu t) exp(j 2 pi nu dt) (single precision, rays sorted
# by tap and stored contiguously per link, inactive rays dropped: the refresh of many links
# is bound by the memory traffic of the ray arrays), the rays of each tap are summed into
# its coefficient, then H(f_k) = sum_tap c_tap exp(-j 2 pi f_k tau_tap) over the link's
# active taps only, with the delay phases of the PRB grid built per link in blocks of
# PHASE_BLOCK PRBs (exp(-j 2 pi (f + df) tau) = exp(-j 2 pi f tau) exp(-j 2 pi df tau), double
# precision) and the tap sum accumulated in float32 with the PRBs in the innermost,
# contiguous loop (vectorised without fastmath). Everything for one link stays in the L1/L2
# cache; nothing of size [link, tap, prb] is stored.


REFRESH_REANCHOR_STEPS = 64
"""Steps of :class:`ResponseRefresh` between exact evaluations of its single-precision ray
phasors (drift after 64 products: ~1e-5 relative)."""
PHASE_BLOCK = 32
"""PRBs per block of the delay-phase table of the per-slot refresh."""
FOLD_MAX_PAIRS = 2
"""Up to this many port pairs the refresh folds each tap coefficient into its delay phases
(no per-link phase table: faster for single-stream links, measured)."""


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


@jit
def _link_response(li, c_re, c_im, tap_start, n_ray, p_re, p_im, q_re, q_im, n_act, ph0, dph, sc, c, pw_re, pw_im,
                   pf_re, pf_im, s_re, s_im, e_re, e_im, acc_re, acc_im):  # pragma: no cover - compiled
    """acc_re/acc_im [rx * tx, prb] <- H of link ``li`` now; advances its ray phasors one step.
    Rays are sorted by tap (tap t: rays tap_start[li, t] ... tap_start[li, t + 1] - 1)."""
    n_rt = c_re.shape[1]
    n_f = acc_re.shape[1]
    nt = n_act[li]
    nr = n_ray[li]
    g_re = sc[0]
    g_im = sc[1]
    m_re = sc[2]
    m_im = sc[3]
    pr = p_re[li]
    pi = p_im[li]
    qr = q_re[li]
    qi = q_im[li]
    for r in range(nr):  # the phasors now, then one step on (contiguous: vectorised)
        a = pr[r]
        b = pi[r]
        g_re[r] = a
        g_im[r] = b
        pr[r] = a * qr[r] - b * qi[r]
        pi[r] = a * qi[r] + b * qr[r]
    for j in range(n_rt):
        cr = c_re[li, j]
        ci = c_im[li, j]
        for r in range(nr):
            m_re[r] = cr[r] * g_re[r] - ci[r] * g_im[r]
            m_im[r] = cr[r] * g_im[r] + ci[r] * g_re[r]
        for t in range(nt):
            x = 0.0
            y = 0.0
            for r in range(tap_start[li, t], tap_start[li, t + 1]):
                x += m_re[r]
                y += m_im[r]
            c[t, j] = complex(x, y)
    # delay phases e[t, k] = ph0 dph^k in blocks of BLOCK PRBs: the powers dph^q (q < BLOCK)
    # by recurrence, then each block's first phase times them (contiguous, vectorised)
    blk = pw_re.shape[1]
    for t in range(nt):
        pw_re[t, 0] = 1.0
        pw_im[t, 0] = 0.0
        s_re[t] = dph[li, t].real
        s_im[t] = dph[li, t].imag
    for q in range(1, blk):
        for t in range(nt):
            a = pw_re[t, q - 1]
            b = pw_im[t, q - 1]
            pw_re[t, q] = a * s_re[t] - b * s_im[t]
            pw_im[t, q] = a * s_im[t] + b * s_re[t]
    if n_rt <= FOLD_MAX_PAIRS:
        # few port pairs: fold each tap's coefficient into its block phase,
        # H[j, k0 + q] += (c[t, j] ph0 dph^k0) dph^q, no phase table
        for t in range(nt):
            for q in range(blk):
                pf_re[t, q] = np.float32(pw_re[t, q])
                pf_im[t, q] = np.float32(pw_im[t, q])
        for j in range(n_rt):
            for k in range(n_f):
                acc_re[j, k] = 0.0
                acc_im[j, k] = 0.0
            for t in range(nt):
                a = pw_re[t, blk - 1]
                b = pw_im[t, blk - 1]
                sb_re = a * s_re[t] - b * s_im[t]
                sb_im = a * s_im[t] + b * s_re[t]
                cr = np.float64(c[t, j].real)
                ci = np.float64(c[t, j].imag)
                a = cr * ph0[li, t].real - ci * ph0[li, t].imag
                b = cr * ph0[li, t].imag + ci * ph0[li, t].real
                pr = pf_re[t]
                pi = pf_im[t]
                for k0 in range(0, n_f, blk):
                    m = min(blk, n_f - k0)
                    ar = acc_re[j, k0:k0 + m]
                    ai = acc_im[j, k0:k0 + m]
                    zr = np.float32(a)
                    zi = np.float32(b)
                    for q in range(m):
                        ar[q] += zr * pr[q] - zi * pi[q]
                        ai[q] += zr * pi[q] + zi * pr[q]
                    a, b = a * sb_re - b * sb_im, a * sb_im + b * sb_re
        return
    for t in range(nt):
        a = pw_re[t, blk - 1]
        b = pw_im[t, blk - 1]
        sb_re = a * s_re[t] - b * s_im[t]  # dph^BLOCK
        sb_im = a * s_im[t] + b * s_re[t]
        a = ph0[li, t].real
        b = ph0[li, t].imag
        pr = pw_re[t]
        pi = pw_im[t]
        for k0 in range(0, n_f, blk):
            m = min(blk, n_f - k0)
            er = e_re[t, k0:k0 + m]  # views: loop indices from range() vectorise
            ei = e_im[t, k0:k0 + m]
            for q in range(m):
                er[q] = np.float32(a * pr[q] - b * pi[q])
                ei[q] = np.float32(a * pi[q] + b * pr[q])
            a, b = a * sb_re - b * sb_im, a * sb_im + b * sb_re
    # H[j, k] = sum_t c[t, j] e[t, k], four taps per pass over the accumulators
    for j in range(n_rt):
        ar = acc_re[j]
        ai = acc_im[j]
        for k in range(n_f):
            ar[k] = 0.0
            ai[k] = 0.0
        t = 0
        while t + 3 < nt:
            r0, i0 = np.float32(c[t, j].real), np.float32(c[t, j].imag)
            r1, i1 = np.float32(c[t + 1, j].real), np.float32(c[t + 1, j].imag)
            r2, i2 = np.float32(c[t + 2, j].real), np.float32(c[t + 2, j].imag)
            r3, i3 = np.float32(c[t + 3, j].real), np.float32(c[t + 3, j].imag)
            er0, ei0, er1, ei1 = e_re[t], e_im[t], e_re[t + 1], e_im[t + 1]
            er2, ei2, er3, ei3 = e_re[t + 2], e_im[t + 2], e_re[t + 3], e_im[t + 3]
            for k in range(n_f):
                ar[k] += (((r0 * er0[k] - i0 * ei0[k]) + (r1 * er1[k] - i1 * ei1[k]))
                          + ((r2 * er2[k] - i2 * ei2[k]) + (r3 * er3[k] - i3 * ei3[k])))
                ai[k] += (((r0 * ei0[k] + i0 * er0[k]) + (r1 * ei1[k] + i1 * er1[k]))
                          + ((r2 * ei2[k] + i2 * er2[k]) + (r3 * ei3[k] + i3 * er3[k])))
            t += 4
        while t < nt:
            r0, i0 = np.float32(c[t, j].real), np.float32(c[t, j].imag)
            er0, ei0 = e_re[t], e_im[t]
            for k in range(n_f):
                ar[k] += r0 * er0[k] - i0 * ei0[k]
                ai[k] += r0 * ei0[k] + i0 * er0[k]
            t += 1


@jit
def _link_scratch(n_cols, w, n_rt, n_f):  # pragma: no cover - compiled
    """Work arrays of :func:`_link_response` for ``w`` active taps, ``n_rt`` rx-tx pairs and
    ``n_f`` frequencies (allocated once per kernel call, reused for every link)."""
    sc = np.empty((4, max(n_cols, 1)), dtype=np.float32)
    c = np.empty((w, n_rt), dtype=np.complex64)
    pw_re, pw_im = np.empty((w, PHASE_BLOCK)), np.empty((w, PHASE_BLOCK))
    pf_re = np.empty((w, PHASE_BLOCK), dtype=np.float32)
    pf_im = np.empty((w, PHASE_BLOCK), dtype=np.float32)
    s_re, s_im = np.empty(w), np.empty(w)
    e_re = np.empty((w, n_f), dtype=np.float32)
    e_im = np.empty((w, n_f), dtype=np.float32)
    acc_re = np.empty((n_rt, n_f), dtype=np.float32)
    acc_im = np.empty((n_rt, n_f), dtype=np.float32)
    return sc, c, pw_re, pw_im, pf_re, pf_im, s_re, s_im, e_re, e_im, acc_re, acc_im


@jit
def _response_kernel(c_re, c_im, tap_start, n_ray, p_re, p_im, q_re, q_im, n_act, ph0, dph, out):  # pragma: no cover
    n_link, n_rx, n_tx, n_f = out.shape
    n_rt = n_rx * n_tx
    w = ph0.shape[1]
    sc, c, pw_re, pw_im, pf_re, pf_im, s_re, s_im, e_re, e_im, acc_re, acc_im = _link_scratch(c_re.shape[2], w, n_rt, n_f)
    for li in range(n_link):
        _link_response(li, c_re, c_im, tap_start, n_ray, p_re, p_im, q_re, q_im, n_act, ph0, dph, sc, c, pw_re,
                       pw_im, pf_re, pf_im, s_re, s_im, e_re, e_im, acc_re, acc_im)
        for u in range(n_rx):
            for s in range(n_tx):
                j = u * n_tx + s
                for k in range(n_f):
                    out[li, u, s, k] = complex(acc_re[j, k], acc_im[j, k])


@jit
def _power_kernel(c_re, c_im, tap_start, n_ray, p_re, p_im, q_re, q_im, n_act, ph0, dph, scale, out, row0,
                  row_stride):  # pragma: no cover - compiled
    """out[row0 + li * row_stride, prb] = scale[li] * sum_rx,tx |H|^2 (float32)."""
    n_link, n_rt = c_re.shape[0], c_re.shape[1]
    n_f = out.shape[1]
    w = ph0.shape[1]
    sc, c, pw_re, pw_im, pf_re, pf_im, s_re, s_im, e_re, e_im, acc_re, acc_im = _link_scratch(c_re.shape[2], w, n_rt, n_f)
    for li in range(n_link):
        _link_response(li, c_re, c_im, tap_start, n_ray, p_re, p_im, q_re, q_im, n_act, ph0, dph, sc, c, pw_re,
                       pw_im, pf_re, pf_im, s_re, s_im, e_re, e_im, acc_re, acc_im)
        row = row0 + li * row_stride
        g = np.float32(scale[li])
        for k in range(n_f):
            out[row, k] = 0.0
        for j in range(n_rt):
            for k in range(n_f):
                out[row, k] += g * (acc_re[j, k] * acc_re[j, k] + acc_im[j, k] * acc_im[j, k])


@jit
def _cis_kernel(nu, n_ray, t_s, out_re, out_im):  # pragma: no cover - compiled
    two_pi_t = 2.0 * math.pi * t_s
    for li in range(nu.shape[0]):
        for r in range(n_ray[li]):
            x = two_pi_t * nu[li, r]
            out_re[li, r] = math.cos(x)
            out_im[li, r] = math.sin(x)


class ResponseRefresh:
    """The frequency response of a set of links on a uniform PRB grid, advanced slot by slot
    (time evolution of eq. 7.5-22 by the Doppler phase of each ray).

    Parameters
    ----------
    rays : the drop-time rays (:func:`ray_coefficients`), [link].
    freq_hz : float64 [prb], evenly spaced frequencies relative to the carrier [Hz].
    dt_s : time step [s] (e.g. the slot).
    t0_s : time of the first step [s].

    :meth:`response` returns H complex64 [link, rx, tx, prb] at the current time and moves
    one step on; :meth:`power` returns ``scale`` [link] * sum over rx and tx of |H|^2 as
    float32 rows. The ray phasors advance by one multiplication per step and are recomputed
    exactly every :data:`REANCHOR_STEPS` steps and by :meth:`seek`; H equals
    ``frequency_response(taps_at(rays, t), rays.delays_s, freq_hz)`` to single precision.
    """

    def __init__(self, rays: RayChannel, freq_hz: ArrayLike, dt_s: float, t0_s: float = 0.0) -> None:
        f = np.ascontiguousarray(freq_hz, dtype=np.float64)
        if f.ndim != 1 or f.size == 0:
            raise ValueError("freq_hz must be a non-empty 1-D grid")
        df = float(f[1] - f[0]) if f.size > 1 else 0.0
        if f.size > 2 and not np.allclose(np.diff(f), df, rtol=0.0, atol=1e-9 * max(1.0, abs(df))):
            raise ValueError("freq_hz must be evenly spaced (a PRB grid)")
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
        self.c_re = np.ascontiguousarray(np.moveaxis(coef.real, 2, 1), dtype=np.float32)  # [link, rt, ray]
        self.c_im = np.ascontiguousarray(np.moveaxis(coef.imag, 2, 1), dtype=np.float32)
        self.nu = np.ascontiguousarray(np.where(valid, np.take_along_axis(rays.doppler_hz, order, axis=1), 0.0))
        counts = np.zeros((n_link, ct.delays_s.shape[1] + 1), dtype=np.int64)
        li, ri = np.nonzero(ct.tap >= 0)
        np.add.at(counts, (li, ct.tap[li, ri].astype(np.int64) + 1), 1)
        self.tap_start = np.ascontiguousarray(np.cumsum(counts, axis=1))  # [link, tap + 1]
        self.n_active = np.ascontiguousarray(ct.n_active)
        self.ph0 = np.ascontiguousarray(np.exp(-2j * np.pi * f[0] * ct.delays_s))
        self.dph = np.ascontiguousarray(np.exp(-2j * np.pi * df * ct.delays_s))
        self.shape = (n_link, n_rx, n_tx)
        self.n_prb = int(f.size)
        self.dt_s = float(dt_s)
        # phasors and their per-step factors in single precision (the refresh streams them
        # every step: memory traffic, not arithmetic, bounds it); re-anchored exactly every
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

    def seek(self, t_s: float) -> None:
        """Move to time ``t_s`` [s] (exact phasors)."""
        self.t_s = float(t_s)
        self._since_anchor = 0
        _cis_kernel(self.nu, self.n_ray, self.t_s, self.p_re, self.p_im)

    def _advance(self) -> None:
        self._since_anchor += 1
        t_next = self.t_s + self.dt_s
        if self._since_anchor >= REFRESH_REANCHOR_STEPS:
            self.seek(t_next)
        else:
            self.t_s = t_next

    def response(self, out: NDArray[np.complex64] | None = None) -> NDArray[np.complex64]:
        """H complex64 [link, rx, tx, prb] at the current time; then one step on."""
        if out is None:
            out = np.empty((*self.shape, self.n_prb), dtype=np.complex64)
        _response_kernel(self.c_re, self.c_im, self.tap_start, self.n_ray, self.p_re, self.p_im, self.q_re, self.q_im,
                         self.n_active, self.ph0, self.dph, out)
        self._advance()
        return out

    def power(self, scale: NDArray[np.float64], out: NDArray[np.float32], row0: int = 0,
              row_stride: int = 1) -> None:
        """out[row0 + l * row_stride, :] = scale[l] * sum_rx,tx |H_l|^2 (float32 [row, prb])
        at the current time; then one step on."""
        _power_kernel(self.c_re, self.c_im, self.tap_start, self.n_ray, self.p_re, self.p_im, self.q_re, self.q_im,
                      self.n_active, self.ph0, self.dph, np.ascontiguousarray(scale, dtype=np.float64), out,
                      int(row0), int(row_stride))
        self._advance()
