"""SSB beams: a grid of DFT beams per cell, L1-RSRP per beam and the cell RSRP consolidated
from the beams.

* Beam sweeping (TS 38.213 V17 4.1): a cell sends up to L_max SS/PBCH blocks per half frame,
  each on its own beam: L_max = 4 or 8 in FR1 (8 above 3 GHz for unpaired spectrum), 64 in
  FR2. The beams here are DFT (conjugate-phase) beams over every element of the TR 38.901 7.3
  panel, both polarisations fed with the same weights, steered to a stated grid in the panel's
  LCS: :func:`ssb_beam_grid` (default FR1: 8 azimuths over [-60, 60] deg in 15-deg steps at
  the panel's boresight zenith; FR2: 16 azimuths x 4 zeniths).
* L1-RSRP (TS 38.215 V17 5.1.1): the linear average of the power of the resource elements
  carrying the SSS of one SS/PBCH block; with several receive branches the reported value
  is not lower than any branch's, here the best branch.
* Cell quality from beams (TS 38.331 V17 5.5.3.3): with nrofSS-BlocksToAverage (N) and
  absThreshSS-BlocksConsolidation (T) both configured and the best beam above T, the linear
  average of the best beams above T, at most N of them; otherwise the best beam.
"""

from __future__ import annotations

import dataclasses
import math

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.channel.tr38901.panel import _PT_Y0, _PT_Z0, PanelArray, port_field_core
from nrsim.compiled import jit_parallel
from nrsim.errors import ConfigError
from nrsim.units import db_to_lin, lin_to_db


def ssb_beam_grid(n_azimuth: int = 8, zenith_deg: ArrayLike = (90.0,), *,
                  azimuth_span_deg: float = 120.0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Steering directions of an SSB beam grid in the panel's LCS.

    Azimuths at the centres of ``n_azimuth`` equal slices of [-span/2, span/2] (8 beams over
    120 deg: -52.5, -37.5, ..., 52.5 deg), each at every zenith of ``zenith_deg`` (90 =
    panel boresight; larger = further down). FR1 (TS 38.213 4.1, L_max = 8):
    ``ssb_beam_grid(8, (90,))``; FR2 (L_max = 64): ``ssb_beam_grid(16, (84, 90, 96, 102))``.

    Returns
    -------
    (azimuth_deg [beam], zenith_deg [beam]), beam index = zenith-major.
    """
    if n_azimuth < 1:
        raise ConfigError(f"n_azimuth = {n_azimuth!r} must be >= 1", field="n_azimuth")
    step = azimuth_span_deg / n_azimuth
    az = -azimuth_span_deg / 2.0 + step * (np.arange(n_azimuth) + 0.5)
    zen = np.atleast_1d(np.asarray(zenith_deg, dtype=np.float64))
    za, aa = np.meshgrid(zen, az, indexing="ij")
    return aa.ravel(), za.ravel()


def ssb_beam_weights(panel: PanelArray, azimuth_deg: ArrayLike, zenith_deg: ArrayLike) -> NDArray[np.complex128]:
    """DFT beam weights over the panel's elements (order of :meth:`PanelArray.elements`).

    w_b,e = exp(-j 2 pi r_b . d_e) / sqrt(n_element), r_b the LCS unit vector of beam b
    (TR 38.901 7.1 spherical coordinates), d_e the element position in wavelengths.

    Returns
    -------
    complex128 [beam, element], ||w_b|| = 1.
    """
    pos = panel.elements()[0]  # [element, 3] wavelengths
    t = np.radians(np.asarray(zenith_deg, dtype=np.float64))
    p = np.radians(np.asarray(azimuth_deg, dtype=np.float64))
    r = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], axis=-1)  # [beam, 3]
    return np.exp(-2j * np.pi * (r @ pos.T)) / np.sqrt(pos.shape[0])


def ssb_port_beam_weights(panel: PanelArray, azimuth_deg: ArrayLike, zenith_deg: ArrayLike
                          ) -> NDArray[np.complex128]:
    """DFT beam weights over the panel's ports (order of :meth:`PanelArray.port_table`): the
    beams a BS with one transceiver per port can form, e.g. the 32 sub-array ports of a
    32T32R panel (each port's K elements keep their fixed electrical tilt).

    w_b,p = exp(-j 2 pi r_b . d_p) / sqrt(n_port), d_p the LCS position of port p's first
    element [wavelengths]; both polarisations get the same weights.

    Returns
    -------
    complex128 [beam, port], ||w_b|| = 1.
    """
    table = panel.port_table()
    t = np.radians(np.asarray(zenith_deg, dtype=np.float64))
    p = np.radians(np.asarray(azimuth_deg, dtype=np.float64))
    r_y, r_z = np.sin(t) * np.sin(p), np.cos(t)  # [beam]; ports have x' = 0
    phase = np.multiply.outer(r_y, table[:, _PT_Y0]) + np.multiply.outer(r_z, table[:, _PT_Z0])
    return np.exp(-2j * np.pi * phase) / np.sqrt(table.shape[0])


@jit_parallel
def beam_power_kernel(theta_deg, phi_deg, bearing_deg, downtilt_deg, table, pattern, weights):
    """Linear power gain |sum_p w_b,p F_p|^2 (both field components) of every beam towards
    every direction: float64 [n, beam] from flat float64 [n] GCS angles and panel orientations
    [deg], a port table (:meth:`PanelArray.port_table`) and complex128 weights [beam, port].
    The port fields are those of :func:`nrsim.channel.tr38901.panel.port_field_core`."""
    n = theta_deg.shape[0]
    n_beam, n_port = weights.shape
    out = np.empty((n, n_beam))
    for i in numba.prange(n):
        f = np.empty((n_port, 2), dtype=np.complex128)
        b = math.radians(downtilt_deg[i])
        port_field_core(theta_deg[i], phi_deg[i], bearing_deg[i], math.cos(b), math.sin(b), table, pattern, f)
        for k in range(n_beam):
            s0 = 0.0j
            s1 = 0.0j
            for q in range(n_port):
                s0 += weights[k, q] * f[q, 0]
                s1 += weights[k, q] * f[q, 1]
            out[i, k] = s0.real * s0.real + s0.imag * s0.imag + s1.real * s1.real + s1.imag * s1.imag
    return out


def beam_power_lin(panel: PanelArray, weights: ArrayLike, theta_deg: ArrayLike, phi_deg: ArrayLike,
                   bearing_deg: ArrayLike = 0.0, downtilt_deg: ArrayLike = 0.0) -> NDArray[np.float64]:
    """Linear power gain of every beam, weights over the panel's ports, towards GCS
    directions: float64 [..., beam] (the broadcast shape of the angles)."""
    th, ph, b, dt = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in
                                           (theta_deg, phi_deg, bearing_deg, downtilt_deg)))
    w = np.ascontiguousarray(np.asarray(weights, dtype=np.complex128))
    if w.ndim != 2 or w.shape[1] != panel.n_ports:
        raise ConfigError(f"weights must be [beam, {panel.n_ports}] for this panel; got {w.shape}", field="weights")
    out = beam_power_kernel(np.ascontiguousarray(th.ravel()), np.ascontiguousarray(ph.ravel()),
                            np.ascontiguousarray(b.ravel()), np.ascontiguousarray(dt.ravel()),
                            panel.port_table(), panel.pattern, w)
    return out.reshape(*th.shape, w.shape[0])


def ssb_beam_gain_dbi(panel: PanelArray, weights: ArrayLike, theta_deg: ArrayLike, phi_deg: ArrayLike,
                      bearing_deg: ArrayLike = 0.0, downtilt_deg: ArrayLike = 0.0, *,
                      over: str = "element") -> NDArray[np.float64]:
    """Power gain of every SSB beam towards GCS directions (geometric, no fading) [dBi].

    Parameters
    ----------
    weights : complex [beam, element] (:func:`ssb_beam_weights`) or, with ``over="port"``,
        [beam, port] (:func:`ssb_port_beam_weights`).
    theta_deg, phi_deg : float, broadcastable [...] : GCS zenith and azimuth [deg].
    bearing_deg, downtilt_deg : panel orientation [deg] (TR 38.901 7.1.3).
    over : ``"element"`` (every element weighted) or ``"port"`` (the panel's ports, with
        their sub-array virtualisation).

    Returns
    -------
    float64 [..., beam]: 10 log10 |sum_e w_b,e F_e|^2 (F the element or port fields of TR
    38.901 7.3 with their array phase, :func:`nrsim.channel.tr38901.panel.port_field_core`).
    """
    if over not in ("element", "port"):
        raise ConfigError(f"over = {over!r}; allowed: element, port", field="over")
    used = dataclasses.replace(panel, port_map="element") if over == "element" else panel
    p = beam_power_lin(used, weights, theta_deg, phi_deg, bearing_deg, downtilt_deg)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(p)


def l1_rsrp_w(h: ArrayLike, weights: ArrayLike, re_power_w: ArrayLike) -> NDArray[np.float64]:
    """L1-RSRP of every SSB beam (TS 38.215 V17 5.1.1) from the per-element channel.

    Parameters
    ----------
    h : complex [..., prb, rx, element]
        Channel per PRB (samples of the SSS bandwidth) from each panel element [sqrt(linear)].
    weights : complex [beam, element]
    re_power_w : float [...]
        SSB transmit power per resource element [W] (EPRE).

    Returns
    -------
    float64 [..., beam] [W]: the best receive branch's mean over PRBs of
    EPRE |h_rx w_b|^2.

    The beam outputs h_rx w_b of every PRB and branch are one matrix product
    (n_prb_rx_total x element) @ (element x beam) (BLAS; a complex64 channel is multiplied in
    complex64 with the weights rounded to it, so no complex128 copy of h is made).
    """
    h = np.asarray(h)
    if h.dtype not in (np.complex64, np.complex128):
        h = h.astype(np.complex128)
    w = np.asarray(weights)
    if h.ndim < 3 or w.ndim != 2 or w.shape[1] != h.shape[-1]:
        raise ConfigError(f"h must be [..., prb, rx, {w.shape[-1]}] for weights {w.shape}; got {h.shape}",
                          field="h")
    y = np.ascontiguousarray(h).reshape(-1, h.shape[-1]) @ w.T.astype(h.dtype)  # [... prb rx, beam]
    y = (y.real ** 2 + y.imag ** 2).reshape(h.shape[:-1] + (w.shape[0],))  # [..., prb, rx, beam]
    return np.asarray(re_power_w, dtype=np.float64)[..., None] * y.mean(axis=-3, dtype=np.float64).max(axis=-2)


def consolidate_cell_rsrp_dbm(beam_rsrp_dbm: ArrayLike, n_average: int | None = None,
                              abs_threshold_dbm: float | None = None) -> NDArray[np.float64]:
    """Cell RSRP from the beams' L1-RSRP (TS 38.331 V17 5.5.3.3).

    Parameters
    ----------
    beam_rsrp_dbm : float [..., beam] [dBm]
    n_average : nrofSS-BlocksToAverage (>= 1) or None (not configured).
    abs_threshold_dbm : absThreshSS-BlocksConsolidation [dBm] or None (not configured).

    Returns
    -------
    float64 [...] [dBm]: the best beam if either parameter is missing or the best beam is not
    above the threshold; else 10 log10 of the linear mean of the best beams strictly above the
    threshold, at most ``n_average`` of them.
    """
    x = np.asarray(beam_rsrp_dbm, dtype=np.float64)
    best = x.max(axis=-1)
    if n_average is None or abs_threshold_dbm is None:
        return best
    if isinstance(n_average, bool) or int(n_average) != n_average or n_average < 1:
        raise ConfigError(f"n_average = {n_average!r} must be a whole number >= 1", field="n_average")
    ordered = -np.sort(-x, axis=-1)  # descending
    rank = np.arange(x.shape[-1])
    use = (rank < n_average) & (ordered > abs_threshold_dbm)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = lin_to_db(np.where(use, db_to_lin(ordered), 0.0).sum(axis=-1) / use.sum(axis=-1))
    return np.where(best > abs_threshold_dbm, avg, best)


def best_beam(beam_rsrp: ArrayLike) -> NDArray[np.int64]:
    """Index of the strongest beam [...] (the first on ties) of an RSRP array [..., beam]."""
    return np.argmax(np.asarray(beam_rsrp), axis=-1).astype(np.int64)
