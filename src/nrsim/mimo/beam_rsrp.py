"""SSB beam-based cell RSRP of large-scale links: the beams of every cell's array towards the
LOS departure direction of each link, L1-RSRP per beam and the consolidated cell RSRP.

* Beam grid (TS 38.213 V17 4.1, L_max SS/PBCH blocks per half frame): 4 or 8 beams in FR1
  (azimuths over [-60, 60] deg of the panel's LCS at the zenith of the cell's electrical
  tilt), 64 in FR2 (16 azimuths x 4 zeniths at the tilt - 9, - 3, + 3, + 9 deg; the 6-deg
  zenith step of :func:`nrsim.mimo.ssb.ssb_beam_grid`'s FR2 grid, centred on the tilt).
  Beams are DFT beams over the panel's ports (:func:`nrsim.mimo.ssb.ssb_port_beam_weights`),
  whose sub-arrays keep their electrical tilt.
* L1-RSRP of beam b (TS 38.215 V17 5.1.1) of a geometric link (no fast fading): the SSB
  EPRE times the link gain at 0 dBi times the beam's power gain towards the link's LOS
  departure angles (element pattern x array factor, TR 38.901 V17.0.0 7.3); every receive
  branch of an omnidirectional UE array sees the same power, so the best branch is any.
* Cell RSRP (TS 38.331 V17 5.5.3.3): :func:`nrsim.mimo.ssb.consolidate_cell_rsrp_dbm`.

A cell without an array (``single-column``) has one beam: its antenna of ``antenna.model``
(the TR 38.901 7.3.1 column, one element or omni) as a one-port panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.channel.tr38901.arrays import SINGLE_COLUMN, bs_array
from nrsim.channel.tr38901.panel import bs_array_panel
from nrsim.channel.tr38901.panel import PanelArray
from nrsim.errors import ConfigError
from nrsim.link.numerology import frequency_range
from nrsim.mimo.ssb import (
    beam_power_lin,
    best_beam,
    consolidate_cell_rsrp_dbm,
    ssb_beam_grid,
    ssb_port_beam_weights,
)
from nrsim.units import lin_to_db

SSB_GRIDS: dict[int, tuple[int, tuple[float, ...]]] = {
    4: (4, (0.0,)),
    8: (8, (0.0,)),
    64: (16, (-9.0, -3.0, 3.0, 9.0)),
}
"""L_max -> (azimuths over 120 deg, zenith offsets from the cell's electrical tilt [deg])."""

FR_BEAMS: dict[str, tuple[int, ...]] = {"FR1": (4, 8), "FR2": (64,)}
"""L_max allowed per frequency range (TS 38.213 V17 4.1), the first FR1 value not the default."""

UE_CHUNK = 512
"""UEs per pass of :func:`ssb_cell_rsrp` (bounds the [ue, cell, beam] gain array)."""


def default_n_beams(fc_ghz: float, n_beams: int | None) -> int:
    """``ssb.n_beams`` checked against the carrier's frequency range; None -> 8 (FR1) or 64."""
    fr = frequency_range(fc_ghz)
    if n_beams is None:
        return 8 if fr == "FR1" else 64
    if n_beams not in FR_BEAMS[fr]:
        raise ConfigError(f"ssb.n_beams = {n_beams}: allowed in {fr} (channel.fc_ghz = {fc_ghz:g}): "
                          f"{', '.join(map(str, FR_BEAMS[fr]))} (TS 38.213 4.1)", field="ssb.n_beams")
    return n_beams


def single_port_panel(model: str, n_elements: int, spacing_wl: float, etilt_deg: float) -> PanelArray:
    """The one-port panel of the legacy antenna of ``antenna.model`` (TR 38.901 7.3.1:
    the M-element vertical column is the panel (M, 1, 1), vertical polarisation)."""
    if model == "column":
        return PanelArray(int(n_elements), 1, slant="v", dv_wl=float(spacing_wl), etilt_deg=float(etilt_deg))
    return PanelArray(1, 1, slant="v", element="isotropic" if model == "omni" else "3gpp")


@dataclass(frozen=True)
class CellBeams:
    """The SSB beams of every cell: cells grouped by (array type, electrical tilt), each
    group one panel and one set of port weights.

    groups : tuple of (cells int64 [g], panel, weights complex128 [beam, port]).
    n_cells : number of cells.
    """

    groups: tuple[tuple[NDArray[np.int64], PanelArray, NDArray[np.complex128]], ...]
    n_cells: int

    @property
    def any_array(self) -> bool:
        """True when some cell sends more than one beam."""
        return any(w.shape[0] > 1 or p.n_ports > 1 for _, p, w in self.groups)


def cell_beams(cell_array: Sequence[str], cell_etilt_deg: ArrayLike, *, fc_ghz: float,
               n_beams: int | None = None, model: str = "column", n_elements: int = 10,
               spacing_wl: float = 0.5) -> CellBeams:
    """Beams of every cell from its array type (:data:`nrsim.channel.tr38901.arrays.BS_ARRAY_NAMES`)
    and electrical tilt [deg zenith], for carrier ``fc_ghz`` (``ssb.n_beams``); the
    single-column cells get one beam, the antenna of ``model``, ``n_elements``, ``spacing_wl``."""
    etilt = np.asarray(cell_etilt_deg, dtype=np.float64)
    names = np.asarray(list(cell_array), dtype=object)
    if names.shape != etilt.shape:
        raise ConfigError(f"cell_array has {names.size} cells, cell_etilt_deg {etilt.size}", field="cell_array")
    n_az, zen_off = SSB_GRIDS[default_n_beams(fc_ghz, n_beams)]
    groups = []
    for name, tilt in dict.fromkeys(zip(names.tolist(), etilt.tolist())):
        cells = np.flatnonzero((names == name) & (etilt == tilt)).astype(np.int64)
        if name == SINGLE_COLUMN:
            panel = single_port_panel(model, n_elements, spacing_wl, tilt)
            w = np.ones((1, 1), dtype=np.complex128)
        else:
            panel = bs_array_panel(bs_array(name), tilt)
            az, zen = ssb_beam_grid(n_az, tilt + np.asarray(zen_off))
            w = ssb_port_beam_weights(panel, az, zen)
        groups.append((cells, panel, w))
    return CellBeams(groups=tuple(groups), n_cells=int(etilt.size))


@dataclass(frozen=True)
class SsbCellRsrp:
    """Beam-based quantities of UE-cell links, float64 / int64 [ue, cell].

    cell_rsrp_dbm : consolidated cell RSRP (TS 38.331 5.5.3.3) [dBm].
    best_beam : index of the strongest beam.
    best_gain_dbi : that beam's gain towards the UE [dBi].
    mean_gain_dbi : the beams' mean linear gain towards the UE [dBi] (a cell that serves its
        UEs on its beams in turn, seen from an interfered UE).
    """

    cell_rsrp_dbm: NDArray[np.float64]
    best_beam: NDArray[np.int64]
    best_gain_dbi: NDArray[np.float64]
    mean_gain_dbi: NDArray[np.float64]


def ssb_cell_rsrp(beams: CellBeams, re_rx_0dbi_dbm: ArrayLike, theta_deg: ArrayLike, phi_deg: ArrayLike,
                  cell_bearing_deg: ArrayLike, cell_mech_downtilt_deg: ArrayLike, *,
                  n_consolidate: int | None = None, threshold_dbm: float | None = None) -> SsbCellRsrp:
    """Cell RSRP from SSB beams for every UE-cell link.

    Parameters
    ----------
    beams : :func:`cell_beams`.
    re_rx_0dbi_dbm : float [ue, cell]
        Received SSB power per resource element with a 0 dBi BS antenna [dBm] (EPRE - path
        loss - shadow fading - O2I loss + UE gain).
    theta_deg, phi_deg : float [ue, cell]
        GCS zenith and azimuth of the LOS departure direction from the cell's site [deg].
    cell_bearing_deg, cell_mech_downtilt_deg : float [cell] : panel orientation [deg].
    n_consolidate, threshold_dbm : nrofSS-BlocksToAverage, absThreshSS-BlocksConsolidation.

    Returns
    -------
    :class:`SsbCellRsrp`; the L1-RSRP of beam b is ``re_rx_0dbi_dbm + gain_b``.
    """
    rx = np.asarray(re_rx_0dbi_dbm, dtype=np.float64)
    th = np.asarray(theta_deg, dtype=np.float64)
    ph = np.asarray(phi_deg, dtype=np.float64)
    bearing = np.asarray(cell_bearing_deg, dtype=np.float64)
    mtilt = np.asarray(cell_mech_downtilt_deg, dtype=np.float64)
    if rx.ndim != 2 or rx.shape[1] != beams.n_cells or th.shape != rx.shape or ph.shape != rx.shape:
        raise ConfigError(f"re_rx_0dbi_dbm, theta_deg, phi_deg must be [ue, {beams.n_cells}]; got "
                          f"{rx.shape}, {th.shape}, {ph.shape}", field="re_rx_0dbi_dbm")
    shape = rx.shape
    cell_rsrp = np.empty(shape)
    best = np.empty(shape, dtype=np.int64)
    best_gain = np.empty(shape)
    mean_gain = np.empty(shape)
    for u0 in range(0, shape[0], UE_CHUNK):
        u = slice(u0, min(u0 + UE_CHUNK, shape[0]))
        for cells, panel, w in beams.groups:
            # [ue, g, beam]
            p = beam_power_lin(panel, w, th[u][:, cells], ph[u][:, cells], bearing[cells], mtilt[cells])
            with np.errstate(divide="ignore"):
                g = lin_to_db(p)
            l1 = rx[u][:, cells, None] + g
            cell_rsrp[u, cells] = consolidate_cell_rsrp_dbm(l1, n_consolidate, threshold_dbm)
            b = best_beam(l1)
            best[u, cells] = b
            best_gain[u, cells] = np.take_along_axis(g, b[..., None], axis=-1)[..., 0]
            with np.errstate(divide="ignore"):
                mean_gain[u, cells] = lin_to_db(p.mean(axis=-1))
    return SsbCellRsrp(cell_rsrp_dbm=cell_rsrp, best_beam=best, best_gain_dbi=best_gain, mean_gain_dbi=mean_gain)
