"""UE-site geometry with wrap-around: every UE sees the nearest image of each site."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class LinkGeometry:
    """Geometry of UE-site links, all arrays [ue, site].

    dx_m, dy_m, dz_m : float64
        Vector from the (nearest image of the) site's antenna to the UE [m].
    d_2d_m, d_3d_m : float64
        Horizontal and 3-D distances [m].
    """

    dx_m: NDArray[np.float64]
    dy_m: NDArray[np.float64]
    dz_m: NDArray[np.float64]
    d_2d_m: NDArray[np.float64]
    d_3d_m: NDArray[np.float64]


def nearest_image_offsets_m(
    ue_xy_m: NDArray[np.float64],
    site_xy_m: NDArray[np.float64],
    wrap_shifts_m: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Horizontal vector (dx, dy) [ue, site] from the nearest image of each site to each UE.

    Parameters
    ----------
    ue_xy_m : float64 [ue, 2]
    site_xy_m : float64 [site, 2]
    wrap_shifts_m : float64 [image, 2], identity first ([1, 2] zeros without wrap-around).
    """
    # [ue, site]
    dx = ue_xy_m[:, None, 0] - site_xy_m[None, :, 0]
    dy = ue_xy_m[:, None, 1] - site_xy_m[None, :, 1]
    if wrap_shifts_m.shape[0] <= 1:
        return dx, dy
    best_dx = dx.copy()
    best_dy = dy.copy()
    best_d2 = dx * dx + dy * dy
    for sx, sy in wrap_shifts_m[1:]:
        cx = dx - sx
        cy = dy - sy
        d2 = cx * cx + cy * cy
        closer = d2 < best_d2
        np.copyto(best_dx, cx, where=closer)
        np.copyto(best_dy, cy, where=closer)
        np.copyto(best_d2, d2, where=closer)
    return best_dx, best_dy


def link_geometry(
    ue_xy_m: NDArray[np.float64],
    ue_height_m: NDArray[np.float64],
    site_xy_m: NDArray[np.float64],
    site_height_m: NDArray[np.float64],
    wrap_shifts_m: NDArray[np.float64],
) -> LinkGeometry:
    """Distances and direction vectors of every UE-site link [ue, site]."""
    dx, dy = nearest_image_offsets_m(ue_xy_m, site_xy_m, wrap_shifts_m)
    dz = ue_height_m[:, None] - site_height_m[None, :]
    d_2d = np.hypot(dx, dy)
    d_3d = np.sqrt(d_2d * d_2d + dz * dz)
    return LinkGeometry(dx_m=dx, dy_m=dy, dz_m=dz, d_2d_m=d_2d, d_3d_m=d_3d)
