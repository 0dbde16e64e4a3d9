"""Network layouts: the hexagonal grid with wrap-around and the InH open-office hall.

Conventions: positions are metres in a local east/north frame, ``[n, 2]`` (x east, y north);
azimuths and bearings are degrees counter-clockwise from east (TR 38.901 7.1 GCS, phi).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

SQRT3 = float(np.sqrt(3.0))
SECTOR_BEARINGS_DEG: tuple[float, float, float] = (30.0, 150.0, 270.0)
"""Boresights of the three sectors of a site (TR 38.901 Table 7.8-1 layouts; the 3GPP
convention used in the calibration spreadsheets)."""

INH_HALL_X_M: tuple[float, float] = (-60.0, 60.0)
INH_HALL_Y_M: tuple[float, float] = (-25.0, 25.0)
"""The InH-office hall of TR 38.901 Table 7.8-2 (120 m x 50 m), centred on the origin."""


@dataclass(frozen=True)
class Layout:
    """Sites and cells of a network.

    Attributes
    ----------
    site_xy_m : float64 [site, 2]
        Site positions [m].
    site_height_m : float64 [site]
        BS antenna heights [m].
    cell_site : int64 [cell]
        Site index of each cell.
    cell_bearing_deg : float64 [cell]
        Boresight azimuth of each cell [deg, counter-clockwise from east].
    wrap_shifts_m : float64 [image, 2]
        Translations of the wrap-around images, the identity (0, 0) first; shape [1, 2]
        when wrap-around is off.
    kind : str
        ``"hex"``, ``"inh-office"`` or ``"regions"``.
    isd_m : float
        Inter-site distance [m] (the smallest one for mixed layouts).
    site_scenario : tuple of str or None
        Path-loss environment of each site (``"uma"``, ``"umi"``, ``"rma"``) for networks
        that mix environments; None means the scenario's single environment.
    site_isd_m : float64 [site] or None
        Local inter-site distance of each site (UE drop area) for mixed layouts.
    cell_tx_power_dbm, cell_etilt_deg, cell_mech_downtilt_deg : float64 [cell] or None
        Per-cell transmit power [dBm], electrical tilt (beam zenith angle, 90 = horizon)
        and mechanical downtilt [deg] (site lists); None means the config's single value.
    cell_array : tuple of str [cell] or None
        BS array type of each cell (a site list's ``antenna_model`` naming one of
        ``nrsim.channel.tr38901.arrays.BS_ARRAY_NAMES``); None means ``antenna.array``.
    """

    site_xy_m: NDArray[np.float64]
    site_height_m: NDArray[np.float64]
    cell_site: NDArray[np.int64]
    cell_bearing_deg: NDArray[np.float64]
    wrap_shifts_m: NDArray[np.float64]
    kind: str
    isd_m: float
    site_scenario: tuple[str, ...] | None = None
    site_isd_m: NDArray[np.float64] | None = None
    cell_tx_power_dbm: NDArray[np.float64] | None = None
    cell_etilt_deg: NDArray[np.float64] | None = None
    cell_mech_downtilt_deg: NDArray[np.float64] | None = None
    cell_array: tuple[str, ...] | None = None

    @property
    def n_sites(self) -> int:
        return int(self.site_xy_m.shape[0])

    @property
    def n_cells(self) -> int:
        return int(self.cell_site.shape[0])

    @property
    def cell_xy_m(self) -> NDArray[np.float64]:
        """Cell positions [cell, 2] (the position of each cell's site)."""
        return self.site_xy_m[self.cell_site]


def hex_axial_coords(rings: int) -> NDArray[np.int64]:
    """Axial coordinates (q, r) of a hexagon of ``rings`` rings: the centre first, then ring by
    ring counter-clockwise starting east. Shape [1 + 3N(N+1), 2]."""
    coords: list[tuple[int, int]] = [(0, 0)]
    # the six axial directions, counter-clockwise from east
    dirs = [(1, 0), (0, 1), (-1, 1), (-1, 0), (0, -1), (1, -1)]
    for ring in range(1, rings + 1):
        q, r = ring, 0  # start east
        # walk the ring: from east, go along directions 2..7 (mod 6) ring steps each
        for side in range(6):
            dq, dr = dirs[(side + 2) % 6]
            for _ in range(ring):
                coords.append((q, r))
                q, r = q + dq, r + dr
    return np.asarray(coords, dtype=np.int64)


def axial_to_xy_m(qr: NDArray[np.int64], isd_m: float) -> NDArray[np.float64]:
    """Axial hex coordinates to metres: basis isd at 30 deg and isd at 90 deg, so the six
    neighbours of a site lie at 30, 90, ..., 330 deg and each sector boresight (30/150/270)
    points at a neighbouring site: the 3GPP clover-leaf layout (ISD = 3 x cell radius), as
    in QuaDRiGa's qd_layout 'regular' used for the TR 38.901 7.8 calibration."""
    q = qr[:, 0].astype(np.float64)
    r = qr[:, 1].astype(np.float64)
    return np.stack([isd_m * (SQRT3 / 2.0) * q, isd_m * (0.5 * q + r)], axis=1)


def hex_wrap_shifts_m(rings: int, isd_m: float) -> NDArray[np.float64]:
    """The 6 translations that tile the plane with copies of an N-ring hexagonal cluster,
    preceded by the identity: shape [7, 2]. The shift is (2N+1, -N) in axial coordinates and
    its rotations by 60 deg; its length is sqrt(1 + 3N(N+1)) * ISD (sqrt(19) ISD for 19 sites)."""
    q, r = 2 * rings + 1, -rings
    shifts = [(0, 0)]
    for _ in range(6):
        shifts.append((q, r))
        q, r = -r, q + r  # rotate 60 deg counter-clockwise in axial coordinates
    return axial_to_xy_m(np.asarray(shifts, dtype=np.int64), isd_m)


def _cells(n_sites: int, sectors_per_site: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    if sectors_per_site == 3:
        bearings = np.asarray(SECTOR_BEARINGS_DEG, dtype=np.float64)
    else:
        bearings = np.asarray([SECTOR_BEARINGS_DEG[0]], dtype=np.float64)
    cell_site = np.repeat(np.arange(n_sites, dtype=np.int64), sectors_per_site)
    cell_bearing = np.tile(bearings, n_sites)
    return cell_site, cell_bearing


def hex_layout(
    rings: int,
    isd_m: float,
    bs_height_m: float,
    *,
    sectors_per_site: int = 3,
    wraparound: bool = True,
) -> Layout:
    """Hexagonal grid of ``rings`` rings (1 + 3N(N+1) sites), cells site-major
    (cell = site * sectors + sector)."""
    site_xy = axial_to_xy_m(hex_axial_coords(rings), isd_m)
    cell_site, cell_bearing = _cells(site_xy.shape[0], sectors_per_site)
    shifts = (
        hex_wrap_shifts_m(rings, isd_m) if (wraparound and rings >= 1) else np.zeros((1, 2))
    )
    return Layout(
        site_xy_m=site_xy,
        site_height_m=np.full(site_xy.shape[0], float(bs_height_m)),
        cell_site=cell_site,
        cell_bearing_deg=cell_bearing,
        wrap_shifts_m=shifts,
        kind="hex",
        isd_m=float(isd_m),
    )


def inh_office_layout(bs_height_m: float = 3.0, *, sectors_per_site: int = 3) -> Layout:
    """TR 38.901 Table 7.8-2 indoor office: 12 BSs on a 6 x 2 grid 20 m apart in a
    120 m x 50 m hall (centred on the origin), ceiling-mounted at ``bs_height_m``."""
    xs = np.arange(-50.0, 50.0 + 1e-9, 20.0)
    ys = np.asarray([-10.0, 10.0])
    gx, gy = np.meshgrid(xs, ys)
    site_xy = np.stack([gx.ravel(), gy.ravel()], axis=1)
    cell_site, cell_bearing = _cells(site_xy.shape[0], sectors_per_site)
    return Layout(
        site_xy_m=site_xy,
        site_height_m=np.full(site_xy.shape[0], float(bs_height_m)),
        cell_site=cell_site,
        cell_bearing_deg=cell_bearing,
        wrap_shifts_m=np.zeros((1, 2)),
        kind="inh-office",
        isd_m=20.0,
    )
