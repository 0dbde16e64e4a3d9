"""Uplink multi-antenna reception and SRS-based UL MU-MIMO.

* **Reception**: per-layer post-MMSE-IRC SINR at a base station with many receive antennas
  (32, 64) of every layer of a co-scheduled group (all UEs' layers detected jointly, the
  other cells' UEs as coloured interference): SINR_k = 1 / [(I + H^H R^-1 H)^-1]_kk - 1 with
  R = noise I + A A^H (Tse & Viswanath, "Fundamentals of Wireless Communication", 2005,
  eq. (8.66)-(8.67); the MMSE detector of all layers gives each layer the SINR of MMSE-IRC
  against the others). With rx antennas much more than interfering layers K, R^-1 comes from
  the Woodbury identity (Golub & Van Loan, "Matrix Computations", 4th ed., 2013, 2.1.4)::

      H^H R^-1 H = (H^H H - X^H X) / noise,   X = L_K^-1 A^H H,   L_K L_K^H = noise I_K + A^H A

  O(rx (L + K)^2) per sample instead of O(rx^3) (:func:`ul_mmse_irc_sinr`).
* **SRS channel estimates** (:func:`srs_channel_estimate`): the linear MMSE estimate of each
  channel coefficient from an SRS least-squares observation y = h + n averaged over
  ``n_avg`` resource elements, per element with the prior variance beta (uncorrelated
  elements): h_hat = beta / (beta + s2) y, s2 = beta / (snr n_avg); the error h - h_hat is
  uncorrelated with h_hat and has variance beta / (1 + snr n_avg) (Bjornson, Hoydis &
  Sanguinetti, "Massive MIMO Networks", Found. Trends Signal Process. 11(3-4), 2017,
  Theorem 3.1 with R = beta I and tau_p p = snr n_avg noise / beta). The estimate is as old
  as the SRS: with period and delay (:class:`SrsParams`, :func:`srs_ues`) the engine keeps
  each UE's last estimate and uses it until the next one arrives.
* **UL MU-MIMO pairing** (:func:`pair_uplink_users`): the greedy PF semi-orthogonal selection of
  :func:`nrsim.mimo.pairing.pair_users` on the UEs' receive signatures at the base station
  (the columns H_u w_u of their SRS estimates) with ``power_split=False``: each UE keeps its
  own transmit power, a group costs the ZF receiver's noise enhancement eta only.

Shapes: channels ``[..., rx, tx]`` with rx the base-station antennas and tx the UE's; powers in
watts per resource element, SINR linear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.compiled import jit, jit_parallel
from nrsim.errors import ConfigError
from nrsim.mimo.pairing import MuGroups, pair_users
from nrsim.mimo.receiver import PARALLEL_CHUNK
from nrsim.mimo.smallmat import chol_inv_diag, cholesky_inplace, whiten_into

# ---------------------------------------------------------------------------------------------
# reception
# ---------------------------------------------------------------------------------------------


@jit
def _ul_irc_range(h, a, noise_w, out, lo, hi):
    """Per sample i in lo..hi-1 the per-layer post-MMSE-IRC SINR of h[i] [rx, L] against
    R = noise I + a[i] a[i]^H (a [rx, K]) by the Woodbury form (module docstring)."""
    n_rx, n_l = h.shape[1], h.shape[2]
    n_k = a.shape[2]
    gk = np.empty((max(n_k, 1), max(n_k, 1)), np.complex128)
    ah = np.empty((max(n_k, 1), n_l), np.complex128)
    x = np.empty((max(n_k, 1), n_l), np.complex128)
    m = np.empty((n_l, n_l), np.complex128)
    work = np.empty((n_l, n_l), np.complex128)
    d = np.empty(n_l)
    for i in range(lo, hi):
        nw = noise_w[i]
        for p in range(n_k):  # noise I + A^H A and A^H H
            for q in range(p, n_k):
                acc = 0j
                for r in range(n_rx):
                    acc += np.conj(a[i, r, q]) * a[i, r, p]
                gk[q, p] = acc
                gk[p, q] = np.conj(acc)
            gk[p, p] = gk[p, p].real + nw
            for c in range(n_l):
                acc = 0j
                for r in range(n_rx):
                    acc += np.conj(a[i, r, p]) * h[i, r, c]
                ah[p, c] = acc
        ok = True
        if n_k > 0:
            ok = cholesky_inplace(gk, n_k)
            if ok:
                whiten_into(gk, n_k, ah, n_l, x)  # X = L_K^-1 A^H H
        for p in range(n_l):  # M = I + (H^H H - X^H X) / noise
            for q in range(p, n_l):
                acc = 0j
                for r in range(n_rx):
                    acc += np.conj(h[i, r, q]) * h[i, r, p]
                for t in range(n_k):
                    acc -= np.conj(x[t, q]) * x[t, p]
                m[q, p] = acc / nw
                m[p, q] = np.conj(m[q, p])
            m[p, p] = m[p, p].real + 1.0
        if not (ok and nw > 0.0 and cholesky_inplace(m, n_l)):
            for c in range(n_l):
                out[i, c] = np.nan
            continue
        chol_inv_diag(m, n_l, work, d)
        for c in range(n_l):
            g = 1.0 / d[c] - 1.0
            out[i, c] = g if g > 0.0 else 0.0


@jit_parallel
def _ul_irc_kernel(h, a, noise_w, out):
    n = h.shape[0]
    n_chunk = (n + PARALLEL_CHUNK - 1) // PARALLEL_CHUNK
    for c in numba.prange(n_chunk):
        _ul_irc_range(h, a, noise_w, out, c * PARALLEL_CHUNK, min(n, (c + 1) * PARALLEL_CHUNK))


def ul_mmse_irc_sinr(h_layers: ArrayLike, h_int: ArrayLike | None, noise_w: ArrayLike) -> NDArray[np.float64]:
    """Per-layer post-MMSE-IRC SINR at a multi-antenna base station (module docstring).

    Parameters
    ----------
    h_layers : complex [..., rx, layer]
        Received layer signatures of the co-scheduled group: column = sqrt(p_u) H_u w_u,l
        (the UE's transmit power per RE and layer folded in) [sqrt(W)]; every layer of every
        co-scheduled UE of the cell (MU-MIMO: detected jointly).
    h_int : complex [..., rx, k], optional
        Interfering layers (other cells' scheduled UEs), same form [sqrt(W)]; None or k = 0
        for none.
    noise_w : float [...]
        Noise power per RE and receive antenna [W] (> 0; add white interference here).

    Returns
    -------
    float64 [..., layer], linear SINR (>= 0); NaN where noise_w <= 0 or the input is not finite.
    """
    h = np.asarray(h_layers, dtype=np.complex128)
    if h.ndim < 2:
        raise ConfigError(f"h_layers must be [..., rx, layer]; got shape {h.shape}", field="h_layers")
    lead, (n_rx, n_l) = h.shape[:-2], h.shape[-2:]
    a = (np.zeros(lead + (n_rx, 0), np.complex128) if h_int is None
         else np.asarray(h_int, dtype=np.complex128))
    if a.ndim != h.ndim or a.shape[-2] != n_rx:
        raise ConfigError(f"h_int must be [..., {n_rx}, k]; got shape {a.shape}", field="h_int")
    a = np.broadcast_to(a, lead + a.shape[-2:])
    n = int(np.prod(lead, dtype=np.int64))
    nw = np.broadcast_to(np.asarray(noise_w, dtype=np.float64), lead).reshape(n)
    out = np.empty((n, n_l))
    if n and n_l:
        _ul_irc_kernel(np.ascontiguousarray(h.reshape(n, n_rx, n_l)),
                       np.ascontiguousarray(a.reshape(n, n_rx, a.shape[-1])), np.ascontiguousarray(nw), out)
    return out.reshape(lead + (n_l,))


# ---------------------------------------------------------------------------------------------
# SRS
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SrsParams:
    """Periodic SRS of every UE (TS 38.331 SRS-Resource, resourceType periodic:
    periodicityAndOffset-p in slots, 1..2560; TS 38.214 6.2.1).

    period_slots : slots between two SRS of a UE (>= 1); UE u sounds in the slots with
        slot mod period = u mod period (staggered offsets).
    delay_slots : slots from the SRS until its estimate is used for pairing, precoding and
        the UL receiver (>= 0; processing delay).
    n_avg : resource elements averaged per channel coefficient of the estimate (>= 1; the
        SRS processing gain, e.g. the comb's REs in a PRB times the symbols).
    """

    period_slots: int = 10
    delay_slots: int = 2
    n_avg: int = 6

    def __post_init__(self) -> None:
        for name, low in (("period_slots", 1), ("delay_slots", 0), ("n_avg", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                raise ConfigError(f"srs.{name} = {v!r} must be a whole number >= {low}", field=f"srs.{name}")
        if self.period_slots > 2560:
            raise ConfigError(f"srs.period_slots = {self.period_slots} must be in 1..2560 (TS 38.331)",
                              field="srs.period_slots")


def srs_ues(n_ue: int, slot: int, params: SrsParams) -> NDArray[np.int64]:
    """UEs whose SRS estimate becomes usable in ``slot``: those that sounded in slot - delay,
    i.e. u mod period == (slot - delay) mod period. Returns int64 [k], ascending (empty
    before the first SRS can have arrived, slot < delay)."""
    if slot < params.delay_slots:
        return np.zeros(0, np.int64)
    first = (int(slot) - params.delay_slots) % params.period_slots
    return np.arange(first, int(n_ue), params.period_slots, dtype=np.int64)


def srs_channel_estimate(h: ArrayLike, snr_lin: ArrayLike, *, rng: np.random.Generator, n_avg: int = 1,
                         beta: ArrayLike | None = None) -> NDArray[np.complex128]:
    """Linear MMSE SRS channel estimate with its estimation error (module docstring).

    Parameters
    ----------
    h : complex [..., rx, tx]
        True channel at the SRS [sqrt(linear)].
    snr_lin : float [...]
        SRS SNR per RE and receive antenna, p_SRS beta / noise (linear).
    rng : the named stream for the estimation noise.
    n_avg : resource elements averaged per coefficient (>= 1).
    beta : float [...], optional
        Prior mean power of one coefficient (the large-scale gain); default the mean of
        |h|^2 over the last two axes.

    Returns
    -------
    complex128 [..., rx, tx]: h_hat = beta / (beta + s2) (h + n), n ~ CN(0, s2),
    s2 = beta / (snr n_avg); E|h - h_hat|^2 = beta / (1 + snr n_avg).
    """
    h = np.asarray(h, dtype=np.complex128)
    if isinstance(n_avg, bool) or not isinstance(n_avg, (int, np.integer)) or n_avg < 1:
        raise ConfigError(f"n_avg = {n_avg!r} must be a whole number >= 1", field="srs.n_avg")
    snr = np.asarray(snr_lin, dtype=np.float64)
    if np.any(~(snr > 0)):
        raise ConfigError("snr_lin must be > 0", field="snr_lin")
    b = (np.mean(np.abs(h) ** 2, axis=(-2, -1)) if beta is None else np.asarray(beta, dtype=np.float64))
    b = np.broadcast_to(b, h.shape[:-2])[..., None, None]
    s2 = b / (snr[..., None, None] * n_avg)
    noise = (rng.standard_normal(h.shape) + 1j * rng.standard_normal(h.shape)) * np.sqrt(s2 / 2.0)
    return (b / (b + s2)) * (h + noise)


# ---------------------------------------------------------------------------------------------
# UL MU-MIMO pairing
# ---------------------------------------------------------------------------------------------


def ul_layer_signatures(h_est: ArrayLike, w_ul: ArrayLike, power_w: ArrayLike) -> NDArray[np.complex128]:
    """Received signature of each UE layer, sqrt(p / L) H w_l.

    Parameters
    ----------
    h_est : complex [..., ue, rbg, rx, tx]  SRS estimates (BS rx, UE tx).
    w_ul : complex [..., ue, tx, layer]  the UEs' UL precoders (unit-norm columns; a UE with
        fewer layers pads zero columns).
    power_w : float [..., ue]  UE transmit power per RE, split over its ``n_layers`` layers
        by the caller (here: per layer) [W].

    Returns
    -------
    complex128 [..., ue, rbg, layer, rx] (rows: the layers' receive signatures).
    """
    h = np.asarray(h_est, dtype=np.complex128)
    w = np.asarray(w_ul, dtype=np.complex128)
    sig = h @ w[..., :, None, :, :]  # [..., ue, rbg, rx, layer]
    amp = np.sqrt(np.asarray(power_w, dtype=np.float64))[..., None, None, None]
    return np.swapaxes(sig * amp, -1, -2)


def pair_uplink_users(h_est: ArrayLike, w_ul: ArrayLike, n_layers: ArrayLike, power_w: ArrayLike,
                      noise_w: ArrayLike, avg_throughput: ArrayLike, *, max_layers: int, epsilon: float = 0.5,
                      eligible: ArrayLike | None = None, shortlist: int | None = None) -> MuGroups:
    """SRS-based UL MU-MIMO pairing per RBG (module docstring).

    Parameters
    ----------
    h_est : complex [..., ue, rbg, rx, tx]  SRS channel estimates.
    w_ul : complex [..., ue, tx, layer]  UL precoders (zero columns beyond ``n_layers``).
    n_layers : int [..., ue]  UL layers per UE (1..layer).
    power_w : float [..., ue]  transmit power per RE and layer [W].
    noise_w : float  noise (plus white interference) per RE and receive antenna [W].
    avg_throughput, max_layers, epsilon, eligible, shortlist : as
        :func:`nrsim.mimo.pairing.pair_users`.

    Returns
    -------
    :class:`MuGroups`; SU SINR per layer from :func:`ul_mmse_irc_sinr` of the UE's own layers
    (noise only), the group's estimate with the ZF loss eta and no power split.
    """
    sig = ul_layer_signatures(h_est, w_ul, power_w)  # [..., ue, rbg, layer, rx]
    n_l = np.asarray(n_layers, dtype=np.int64)
    l_max = sig.shape[-2]
    keep = np.arange(l_max) < n_l[..., None, None]  # [..., ue, 1, layer]
    cols = np.swapaxes(np.where(keep[..., None], sig, 0.0), -1, -2)  # [..., ue, rbg, rx, layer]
    # padding layers (zero columns) get SINR 0 and do not disturb the UE's own layers
    su = ul_mmse_irc_sinr(cols, None, np.broadcast_to(np.asarray(noise_w, dtype=np.float64), cols.shape[:-2]))
    return pair_users(sig, su, n_l, avg_throughput, max_layers=max_layers, epsilon=epsilon, eligible=eligible,
                      shortlist=shortlist, power_split=False)
