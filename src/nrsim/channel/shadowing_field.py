"""Spatially correlated shadow fading per site (TR 38.901 7.4.1, 7.5 Table 7.5-6, 7.6.3.1).

The shadow fading of the link from site s to a UE at x is sigma_SF * F_s(x), where F_s is a
zero-mean unit-variance Gaussian field whose autocorrelation is exp(-|dx| / d_corr)
(the exponential model of TR 38.901 7.5 step 4 / 7.6.3.1), independent between sites.

Method (exact up to the grid): one stationary field F is sampled per drop on a periodic
grid (a torus) by circulant embedding with the FFT (Dietrich & Newsam, SIAM J. Sci. Comput.
18(4), 1997). Site s reads F through its own offset o_s: F_s(x) = F(x + o_s). The offsets lie
on a lattice at least ``OFFSET_SPACING_DCORR`` decorrelation distances apart, so the fields of
two sites at any UE correlate by at most exp(-8) = 3.4e-4, while the cost no longer grows
with the number of sites (one FFT per drop serves 10,000 sites). The torus is wider than the
UE area by ``MARGIN_DCORR`` decorrelation distances, so the periodic wrap adds at most
exp(-10) of correlation. Values are read at the nearest grid point or interpolated bilinearly
between the four surrounding points and renormalised (:mod:`nrsim.channel.field_read`); both
keep the marginal variance exactly 1; the grid step is d_corr / 4, and the torus period at most
``MAX_GRID_POINTS`` steps (1024 d_corr: 10-120 km). The field is drawn as the circulant square
root of the covariance applied to real white noise, X = irfft2(sqrt(lambda) rfft2(W)), in
float32 (shadow fading in dB needs no more than 7 significant digits).
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.fft
from numpy.typing import NDArray

from nrsim.channel.field_read import bilinear_rho, read_sites

OFFSET_SPACING_DCORR = 8.0
"""Minimum distance between two sites' read offsets, in decorrelation distances."""
MARGIN_DCORR = 10.0
"""Extra torus width beyond the UE area, in decorrelation distances."""
STEP_DCORR = 1.0 / 4.0
"""Preferred grid step, in decorrelation distances."""
MAX_GRID_POINTS = 4096
"""Largest grid side: a larger UE area is covered periodically (torus period
MAX_GRID_POINTS x step = 1024 d_corr); the step grows only when the sites' offset lattice
needs more room (more than (MAX_GRID_POINTS / 32)^2 = 16,384 sites)."""


def _grid_plan(extent_m: float, n_sites: int, d_corr_m: float) -> tuple[int, float, int]:
    """(grid side n, step [m], offset lattice side m) for a square torus."""
    spacing_m = OFFSET_SPACING_DCORR * d_corr_m
    step_m = STEP_DCORR * d_corr_m
    # the torus covers the UE area, but never more than MAX_GRID_POINTS steps: beyond that a
    # site's field repeats with the torus period (tens of km), which only links that far
    # apart could notice; the offset lattice must still hold every site
    side_m = min(extent_m + MARGIN_DCORR * d_corr_m, MAX_GRID_POINTS * step_m)
    side_m = max(side_m, np.ceil(np.sqrt(max(n_sites, 1))) * spacing_m)
    step_m = max(step_m, side_m / MAX_GRID_POINTS)
    n = scipy.fft.next_fast_len(int(np.ceil(side_m / step_m)))
    lattice = max(1, int(np.floor(n * step_m / spacing_m)))
    return n, step_m, lattice


def grid_step_m(extent_m: float, n_sites: int, d_corr_m: float) -> float:
    """The grid step [m] used for a UE area of ``extent_m`` and ``n_sites`` sites."""
    return _grid_plan(extent_m, n_sites, d_corr_m)[1]


@functools.lru_cache(maxsize=16)
def _sqrt_spectrum(n: int, step_m: float, d_corr_m: float) -> NDArray[np.float32]:
    """sqrt(eigenvalues) of the circulant covariance exp(-r/d) on an n x n torus, in the
    half-spectrum layout of ``rfft2`` ([n, n // 2 + 1])."""
    k = np.arange(n)
    k = np.minimum(k, n - k).astype(np.float64) * step_m  # periodic distance along one axis
    r = np.hypot(k[:, None], k[None, :])
    cov = np.exp(-r / d_corr_m)
    lam = scipy.fft.rfft2(cov).real
    lam = np.clip(lam, 0.0, None)  # tiny negative round-off eigenvalues
    out = np.sqrt(lam).astype(np.float32)
    out.setflags(write=False)
    return out


class SiteShadowingField:
    """Unit-variance correlated fields of all sites for one drop.

    Parameters
    ----------
    origin_m : float64 [2]
        Lower-left corner of the UE area [m].
    extent_m : float
        Side of the (square) UE area [m].
    n_sites : int
    d_corr_m : float
        Decorrelation distance [m] (Table 7.5-6).
    rng : numpy.random.Generator
    """

    def __init__(
        self,
        origin_m: NDArray[np.float64],
        extent_m: float,
        n_sites: int,
        d_corr_m: float,
        *,
        rng: np.random.Generator,
    ) -> None:
        n, step_m, lattice = _grid_plan(float(extent_m), int(n_sites), float(d_corr_m))
        self.n = n
        self.step_m = step_m
        self.d_corr_m = float(d_corr_m)
        self.rho = bilinear_rho(step_m, self.d_corr_m)
        """(rho1, rho2): grid-neighbour correlations of the bilinear read."""
        self.origin_m = np.asarray(origin_m, dtype=np.float64)
        sq = _sqrt_spectrum(n, step_m, float(d_corr_m))
        white = rng.standard_normal((n, n), dtype=np.float32)
        spec = scipy.fft.rfft2(white, workers=-1)
        spec *= sq
        self.field = scipy.fft.irfft2(spec, s=(n, n), workers=-1)
        """float32 [n, n]: the unit-variance field on the torus grid."""
        # [site, 2] offsets in grid cells: distinct lattice points in site order (site-major
        # reads of one UE then walk the field row by row, which the cache likes), plus a
        # random global shift
        cells = np.arange(n_sites)
        pitch = n // lattice
        shift = rng.integers(0, n, size=2)
        self.site_offset_cells = np.stack(
            [(cells // lattice) * pitch + shift[0], (cells % lattice) * pitch + shift[1]], axis=1
        ) % n

    def values(
        self, ue_xy_m: NDArray[np.float64], site_idx: NDArray[np.int64], *, bilinear: bool = False
    ) -> NDArray[np.float64]:
        """F_s(x) for UEs [ue, 2] and site indices broadcastable to [ue, k]; returns [ue, k].
        Nearest grid point, or the unit-variance bilinear read with ``bilinear``."""
        xy = np.asarray(ue_xy_m, dtype=np.float64)
        idx = np.ascontiguousarray(
            np.broadcast_to(np.asarray(site_idx, dtype=np.int64), np.broadcast_shapes(
                (xy.shape[0], 1), np.shape(site_idx)))
        )
        return read_sites(
            self.field, self.n, self.step_m, self.origin_m[0], self.origin_m[1],
            np.ascontiguousarray(self.site_offset_cells, dtype=np.int64),
            np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]), idx,
            bool(bilinear), self.rho[0], self.rho[1],
        )
