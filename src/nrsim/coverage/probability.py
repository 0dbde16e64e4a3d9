"""Probability-of-coverage maps, as radio-planning tools show them: a median prediction per
pixel and site, and the probability over the random LOS state and shadow fading that the
best-server RSRP / the SINR reaches a threshold (instead of the single random realisation of
:func:`nrsim.coverage.raster.coverage_maps`).

Model (every pixel centre an outdoor UE at ``deployment.ue.outdoor_height_m``, as in the
single-draw maps):

* **Link statistics.** The received power of link (pixel, site s) through the site's cell
  c, in dBm, is ``P_tx,c + G_c - PL - SF + G_UE`` with the BS antenna gain ``G_c`` of
  TR 38.901 7.3 (per cell, with the cell's tilts), the path loss ``PL`` of 7.4.1 (Table
  7.4.1-1) and the shadow fading ``SF ~ N(0, sigma_SF^2)`` (Table 7.4.1-1). The LOS state is
  treated as part of the randomness: LOS with probability ``Pr_LOS(d_2D)`` of 7.4.2 (Table
  7.4.2-1), so each link's received power is a two-component Gaussian mixture in dB,
  ``Pr_LOS N(m_LOS, sigma_LOS^2) + (1 - Pr_LOS) N(m_NLOS, sigma_NLOS^2)``. The UMa effective
  environment height is h_E = 1 m (exact for h_UT < 13 m, 7.4.1 note 1). Links of different
  sites are independent (as the simulator's per-site shadowing fields and per-link LOS
  draws); the cells of a site share the site's LOS state and shadow fading, so a site's
  best cell at a pixel (largest ``P_tx + G``) is the only one of its cells that can serve.
* **Median prediction.** The median of each link's mixture (bisection of its CDF); the
  median best-server RSRP is the largest link median, and the dominance map is the cell of
  that link (argmax of median RSRP): deterministic, no confetti.
* **SSB beams** (a BS array): ``G_c`` is cell c's best SSB beam towards the pixel
  (:func:`nrsim.mimo.beam_rsrp.ssb_cell_rsrp`), so the median RSRP, dominance and P(RSRP)
  are those of the best beam, as the single-draw map's RSRP; P(SINR) then counts every
  interferer at its best beam towards the pixel too (the single-draw map: at its beams' mean
  gain), a pessimistic bound.
* **P(RSRP >= t).** ``P(max_s R_s >= t) = 1 - prod_s P(R_s < t)``, exact, over the sites
  the engine's interference set holds (every site in dense mode, the ``k_sites`` nearest in
  sparse mode: the same truncation as the simulation itself).
* **P(SINR >= t)** of the strongest server (as the engine picks it; ``radio.handover_margin_db``
  not applied): ``sum_s int f_s(x) P(every other site below x) P(I_s <= c_s(x) | ...) dx``
  over every site s of the link set, integrated numerically over the server's power x
  (trapezoidal rule, ``N_GRID`` points per pixel). Given x, the other sites' load-weighted
  interference ``I_s``, each site conditioned on being below x (closed-form truncated
  log-normal moments), is split on whether any of them is in LOS (a rare LOS interferer is
  far stronger than the NLOS ones, which makes the sum bimodal), and each part is replaced by
  a gamma distribution of the same mean and variance (moment matching; a Fenton-Wilkinson
  log-normal was tried and is worse in the lower tail that high thresholds need). The
  co-sited cells' interference is a fixed multiple of x. Validated against a Monte Carlo
  of the same links in ``tests/coverage/test_probability.py`` (numbers in docs/sites.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from nrsim.channel.tr38901 import antenna as tr_antenna
from nrsim.channel.tr38901 import pathloss as tr_pathloss
from nrsim.channel.tr38901.los_probability import los_probability
from nrsim.coverage.raster import Grid, make_grid, points_in_polygons
from nrsim.deployment.area import area_polygons, read_area_file
from nrsim.deployment.build import build_layout, site_scenarios
from nrsim.deployment.geometry import link_geometry
from nrsim.deployment.layout import Layout
from nrsim.deployment.sites import config_site_list
from nrsim.engine.candidates import nearest_sites
from nrsim.engine.snapshot import is_sparse
from nrsim.engine.ssb_link import drop_cell_beams
from nrsim.link.numerology import SUBCARRIERS_PER_RB, n_rb
from nrsim.mimo.beam_rsrp import ssb_cell_rsrp
from nrsim.radio.link_budget import noise_power_dbm

__all__ = [
    "LinkStatistics", "ProbabilityMaps", "link_statistics", "mixture_cdf", "mixture_median_db",
    "p_rsrp_at_least", "p_sinr_at_least", "probability_maps", "probability_polygon_stats",
]

N_GRID = 36
"""Grid points of the integral over the server's power x (per pixel)."""
WEIGHT_FLOOR = 1e-7
"""(pixel, x, server) entries of the SINR integral below this weight are dropped: at most
``N_GRID x sites x WEIGHT_FLOOR`` of probability per pixel (6.7e-4 for 140 sites, 0.07 pp)."""
SIGMA_FLOOR_DB = 2.0
"""Smallest link sigma in the SINR integral: without shadowing (``channel.shadowing =
false``) the links are point masses that the x grid cannot resolve, so each is smoothed by
this much (never binding with shadowing: sigma_SF >= 3 dB in Table 7.4.1-1)."""
PIXEL_BLOCK = 256
"""Pixels per block of work (bounds the memory of the [pixel, site, node] arrays)."""

_A = math.log(10.0) / 10.0  # dB -> natural log


@dataclass(frozen=True)
class LinkStatistics:
    """Per (pixel, site) link: the two LOS components of the best cell's received power.

    p_los : float64 [pixel, site], Pr_LOS (Table 7.4.2-1)
    mean_dbm : float64 [pixel, site, 2], received power of the site's best cell without
        shadow fading, LOS then NLOS [dBm] (total over the bandwidth)
    sigma_db : float64 [pixel, site, 2], sigma_SF LOS then NLOS [dB] (Table 7.4.1-1)
    best_cell : int64 [pixel, site], the site's cell of largest P_tx + G at the pixel
    site_excess_db : float64 [pixel, site], 10 log10(sum over the site's cells of the
        linear P_tx + G) - (P_tx + G of the best cell) >= 0 [dB]
    """

    p_los: NDArray[np.float64]
    mean_dbm: NDArray[np.float64]
    sigma_db: NDArray[np.float64]
    best_cell: NDArray[np.int64]
    site_excess_db: NDArray[np.float64]


def link_statistics(cfg, layout: Layout, xy_m: NDArray[np.float64],
                    sites: NDArray[np.int64] | None = None) -> LinkStatistics:
    """Link statistics of outdoor points ``xy_m`` [pixel, 2] to every site (or to the sites
    ``sites`` [pixel, k]), from the TR 38.901 functions the engine uses (7.3, 7.4.1,
    7.4.2)."""
    n = xy_m.shape[0]
    h_ut = np.full(n, float(cfg.deployment.ue.outdoor_height_m))
    geo = link_geometry(xy_m, h_ut, layout.site_xy_m, layout.site_height_m, layout.wrap_shifts_m)
    if sites is None:
        sites = np.broadcast_to(np.arange(layout.n_sites, dtype=np.int64), (n, layout.n_sites))
    take = (lambda a: np.take_along_axis(a, sites, axis=1))
    d2d, d3d = take(geo.d_2d_m), take(geo.d_3d_m)
    dx, dy, dz = take(geo.dx_m), take(geo.dy_m), take(geo.dz_m)
    h_bs = layout.site_height_m[sites]  # [pixel, k]
    h2 = h_ut[:, None]
    fc = float(cfg.channel.fc_ghz)
    ch = cfg.channel
    scn_of_site = np.asarray(site_scenarios(cfg, layout))
    scn = scn_of_site[sites]
    p_los = np.empty(d2d.shape)
    mean = np.empty((*d2d.shape, 2))
    sigma = np.empty((*d2d.shape, 2))
    rma_kw = dict(h_building_m=ch.rma_building_height_m, w_street_m=ch.rma_street_width_m)
    for x in np.unique(scn):
        m = scn == x
        args = (d2d[m], d3d[m], fc, h_bs[m], np.broadcast_to(h2, d2d.shape)[m])
        los_scn = f"inh-{ch.inh_variant}" if x == "inh" else x
        p_los[m] = los_probability(los_scn, args[0], args[4])
        for k, los in enumerate((True, False)):
            kw = rma_kw if x == "rma" else {}
            mean[..., k][m] = -tr_pathloss.pathloss_db(x, los, *args, **kw)
            if x == "rma":
                sigma[..., k][m] = tr_pathloss.shadow_fading_std_db(
                    x, los, d_2d_m=args[0], fc_ghz=fc, h_bs_m=args[3], h_ut_m=args[4])
            else:
                sigma[..., k][m] = tr_pathloss.shadow_fading_std_db(x, los)
    if not ch.shadowing:
        sigma[:] = 0.0
    # [pixel, k, cell of site] antenna gain + transmit power of every cell of each site
    n_cells = layout.n_cells
    counts = np.bincount(layout.cell_site, minlength=layout.n_sites)
    start = np.concatenate([[0], np.cumsum(counts)])
    cmax = int(counts.max())
    slot = np.arange(cmax)
    cell = start[sites][..., None] + slot  # [pixel, k, slot]
    valid = slot[None, None, :] < counts[sites][..., None]
    cell = np.where(valid, cell, 0)
    radio, ant = cfg.radio, cfg.antenna
    tx = (layout.cell_tx_power_dbm if layout.cell_tx_power_dbm is not None
          else np.full(n_cells, float(radio.tx_power_dbm)))
    beams = drop_cell_beams(cfg, layout)
    if beams is not None:  # SSB beams: each cell's best beam towards the pixel (docs/sites.md)
        site_of = layout.cell_site
        mtilt = (layout.cell_mech_downtilt_deg if layout.cell_mech_downtilt_deg is not None
                 else np.full(n_cells, float(ant.mech_downtilt_deg)))
        best = ssb_cell_rsrp(beams, np.zeros((n, n_cells)),
                             np.degrees(np.arctan2(geo.d_2d_m, geo.dz_m))[:, site_of],
                             np.degrees(np.arctan2(geo.dy_m, geo.dx_m))[:, site_of],
                             layout.cell_bearing_deg, mtilt).best_gain_dbi  # [pixel, cell]
        gain = np.take_along_axis(best, cell.reshape(n, -1), axis=1).reshape(cell.shape)
    elif ant.model == "omni":
        gain = np.zeros(cell.shape)
    else:
        etilt = (layout.cell_etilt_deg if layout.cell_etilt_deg is not None
                 else np.full(n_cells, float(ant.etilt_deg)))
        mtilt = (layout.cell_mech_downtilt_deg if layout.cell_mech_downtilt_deg is not None
                 else np.full(n_cells, float(ant.mech_downtilt_deg)))
        gain = tr_antenna.bs_antenna_gain_dbi(
            dx[..., None], dy[..., None], dz[..., None], layout.cell_bearing_deg[cell],
            mtilt[cell], ant.n_elements if ant.model == "column" else 1, etilt[cell],
            spacing_wl=ant.spacing_wl,
        )
    eirp = np.where(valid, tx[cell] + gain, -np.inf)  # [pixel, k, slot]
    b = np.argmax(eirp, axis=2)
    best = np.take_along_axis(eirp, b[..., None], axis=2)[..., 0]
    excess = np.log10(np.sum(10.0 ** ((eirp - best[..., None]) / 10.0), axis=2)) * 10.0
    mean += (best + float(ant.ue_gain_dbi))[..., None]
    return LinkStatistics(p_los=p_los, mean_dbm=mean, sigma_db=sigma,
                          best_cell=np.take_along_axis(cell, b[..., None], axis=2)[..., 0],
                          site_excess_db=excess)


def _phi(x_db, mean, sigma):
    """Gaussian CDF, a step function where sigma = 0."""
    if np.all(sigma > 0):
        return ndtr((x_db - mean) / sigma)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (x_db - mean) / sigma
    return np.where(sigma > 0, ndtr(np.nan_to_num(z, nan=0.0)), (x_db >= mean).astype(float))


def mixture_cdf(x_db: NDArray[np.float64], stats_p: NDArray, mean: NDArray, sigma: NDArray) -> NDArray:
    """P(R < x) of each link's two-component mixture; ``x_db`` broadcasts against
    ``stats_p`` [...], ``mean``/``sigma`` [..., 2]."""
    return (stats_p * _phi(x_db, mean[..., 0], sigma[..., 0])
            + (1.0 - stats_p) * _phi(x_db, mean[..., 1], sigma[..., 1]))


def mixture_median_db(stats: LinkStatistics, iterations: int = 40) -> NDArray[np.float64]:
    """Median of each link's received power [dBm], float64 [pixel, site]: the root of the
    mixture CDF = 1/2, bracketed by the two component medians (bisection)."""
    lo = stats.mean_dbm.min(axis=-1)
    hi = stats.mean_dbm.max(axis=-1)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        below = mixture_cdf(mid, stats.p_los, stats.mean_dbm, stats.sigma_db) < 0.5
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def p_rsrp_at_least(stats: LinkStatistics, threshold_dbm: float, rsrp_offset_db: float) -> NDArray[np.float64]:
    """P(best-server RSRP >= threshold) [pixel] = 1 - prod_s P(R_s - offset < t): exact for
    independent sites (``rsrp_offset_db`` = 10 log10 of the subcarriers)."""
    f = mixture_cdf(threshold_dbm + rsrp_offset_db, stats.p_los, stats.mean_dbm, stats.sigma_db)
    return 1.0 - np.prod(f, axis=1)


def _lognormal_moments(mu_ln, s_ln, cap_ln=None):
    """E[Y], E[Y^2] of Y = exp(N(mu, s^2)), or the partial moments E[Y 1{ln Y < cap}]."""
    m1 = np.exp(mu_ln + 0.5 * s_ln**2)
    m2 = np.exp(2.0 * mu_ln + 2.0 * s_ln**2)
    if cap_ln is not None:
        m1 = m1 * _phi(cap_ln, mu_ln + s_ln**2, s_ln)
        m2 = m2 * _phi(cap_ln, mu_ln + 2.0 * s_ln**2, s_ln)
    return m1, m2


def _gamma_cdf(c, m1, var):
    """P(I <= c) of the gamma distribution with mean ``m1`` and variance ``var``."""
    from scipy.special import gammainc

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pos = (m1 > 0) & (var > 0)
        shape = np.where(pos, m1**2 / np.where(pos, var, 1.0), 1.0)
        scale = np.where(pos, var / np.where(pos, m1, 1.0), 1.0)
        return np.where(pos, gammainc(shape, np.maximum(c, 0.0) / scale), (c >= m1).astype(float))


def p_sinr_at_least(stats: LinkStatistics, thresholds_db: list[float], *, load: float,
                    noise_dbm: float, n_grid: int = N_GRID) -> NDArray[np.float64]:
    """P(SINR of the strongest server >= t) for each threshold, float64 [threshold, pixel]:

    ``sum_s int f_s(x) prod_{j != s} P(R_j < x) P(I_s <= c_s(x) | R_j < x for all j) dx``

    over every site s of the link set, with ``f_s`` the mixture density of the server's
    power x [dBm] (trapezoidal rule on a per-pixel grid of ``n_grid`` points from 40 dB
    below the largest link median to 5 sigma above the largest LOS mean), ``c_s(x) = x / t -
    (co-sited cells' interference) - noise`` and the interference ``I_s`` of the other sites,
    each conditioned on being below x (truncated log-normal moments, closed form), split on
    "no interferer in LOS" (probability q0) or not, each part a moment-matched gamma."""
    n, k = stats.p_los.shape
    med = mixture_median_db(stats, iterations=20)
    lo = med.max(axis=1) - 40.0
    sigma = np.maximum(stats.sigma_db, SIGMA_FLOOR_DB)
    hi = np.maximum((stats.mean_dbm + 5.0 * sigma).max(axis=(1, 2)), lo + 1.0)
    u = np.linspace(0.0, 1.0, n_grid)
    x = lo[:, None] + (hi - lo)[:, None] * u  # [pixel, grid]
    dx = (hi - lo) / (n_grid - 1)
    wt = np.full(n_grid, 1.0)
    wt[[0, -1]] = 0.5
    ln_load = math.log(load) if load > 0 else -np.inf
    xx = x[:, :, None]  # [pixel, grid, site]
    p = stats.p_los[:, None, :]
    m, sg, e = stats.mean_dbm[:, None], sigma[:, None], stats.site_excess_db[:, None, :]
    f_l, f_n = _phi(xx, m[..., 0], sg[..., 0]), _phi(xx, m[..., 1], sg[..., 1])
    fj = p * f_l + (1.0 - p) * f_n  # P(R_j < x) [pixel, grid, site]
    with np.errstate(divide="ignore", invalid="ignore"):
        dens = (p * np.exp(-0.5 * ((xx - m[..., 0]) / sg[..., 0]) ** 2) / sg[..., 0]
                + (1.0 - p) * np.exp(-0.5 * ((xx - m[..., 1]) / sg[..., 1]) ** 2) / sg[..., 1]) / math.sqrt(2 * math.pi)
    dens = np.nan_to_num(dens)
    cap = _A * (xx + e) + ln_load
    a1, a2 = _lognormal_moments(_A * (m[..., 0] + e) + ln_load, _A * sg[..., 0], cap)
    b1, b2 = _lognormal_moments(_A * (m[..., 1] + e) + ln_load, _A * sg[..., 1], cap)
    ok = fj > 1e-300
    with np.errstate(divide="ignore", invalid="ignore"):
        c1 = np.where(ok, (p * a1 + (1.0 - p) * b1) / fj, 0.0)
        cv = np.maximum(np.where(ok, (p * a2 + (1.0 - p) * b2) / fj, 0.0) - c1**2, 0.0)
        log_f = np.maximum(np.log(fj), -700.0)  # finite, so that sum - own stays exact
    # every other site below x: prod over all sites / own factor [pixel, grid, site]
    p_others = np.exp(log_f.sum(axis=2, keepdims=True) - log_f)
    weight = (dens * p_others) * (wt[None, :, None] * dx[:, None, None])  # P(s best, R_s in dx)
    # only the (pixel, x, server) entries that carry probability are evaluated further
    sel = weight > WEIGHT_FLOOR
    pix = np.broadcast_to(np.arange(n)[:, None, None], sel.shape)[sel]
    tot = (lambda a: a.sum(axis=2, keepdims=True))
    own = (lambda a: a[sel])
    rest = (lambda a: (np.broadcast_to(tot(a), sel.shape)[sel] - a[sel]))  # sum over j != s
    w_sel = weight[sel]
    i_m1 = rest(c1)
    i_v = np.maximum(rest(cv), 0.0)
    # split on the LOS states of the interferers: none in LOS (probability q0), or some
    okn = f_n > 1e-300
    with np.errstate(divide="ignore", invalid="ignore"):
        n1 = np.where(okn, b1 / f_n, 0.0)
        nv = np.maximum(np.where(okn, b2 / f_n, 0.0) - n1**2, 0.0)
        log_q = np.where(ok, np.maximum(np.log((1.0 - p) * f_n), -700.0) - log_f, 0.0)  # log P(NLOS | below x)
    q0 = np.exp(rest(log_q))
    s_n1 = rest(n1)
    s_nv = np.maximum(rest(nv), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        some = 1.0 - q0 > 1e-9
        l1 = np.where(some, (i_m1 - q0 * s_n1) / (1.0 - q0), 0.0)
        l2 = np.where(some, (i_v + i_m1**2 - q0 * (s_nv + s_n1**2)) / (1.0 - q0), 0.0)
    l1 = np.maximum(l1, 0.0)
    lv = np.maximum(l2 - l1**2, 0.0)
    x_mw = np.exp(_A * np.broadcast_to(xx, sel.shape)[sel])
    co = load * (10.0 ** (own(np.broadcast_to(e, sel.shape)) / 10.0) - 1.0) * x_mw  # co-sited cells
    noise_mw = 10.0 ** (noise_dbm / 10.0)
    out = np.empty((len(thresholds_db), n))
    for q, t in enumerate(thresholds_db):
        c = x_mw / 10.0 ** (t / 10.0) - co - noise_mw  # interference budget
        live = c > 0
        g = np.zeros(c.shape)
        g[live] = (q0[live] * _gamma_cdf(c[live], s_n1[live], s_nv[live])
                   + (1.0 - q0[live]) * _gamma_cdf(c[live], l1[live], lv[live]))
        out[q] = np.clip(np.bincount(pix, weights=w_sel * g, minlength=n), 0.0, 1.0)
    return out


@dataclass(frozen=True)
class ProbabilityMaps:
    """Probability layers on a grid, [row, col], NaN (-1 for ``dominant_cell``) outside the
    area. ``p_rsrp[t]`` / ``p_sinr[t]``: float32 probability in 0..1 that the best-server
    RSRP >= t dBm / the SINR >= t dB, for every threshold t of ``rsrp_thresholds_dbm`` /
    ``sinr_thresholds_db``."""

    grid: Grid
    median_rsrp_dbm: NDArray[np.float32]
    dominant_cell: NDArray[np.int32]
    p_rsrp: dict[float, NDArray[np.float32]]
    p_sinr: dict[float, NDArray[np.float32]]
    rsrp_thresholds_dbm: tuple[float, ...]
    sinr_thresholds_db: tuple[float, ...]
    epsg: int | None
    origin_e_m: float
    origin_n_m: float


def _thresholds(first: float, extra) -> tuple[float, ...]:
    return tuple(dict.fromkeys([float(first), *(float(v) for v in extra)]))


def probability_maps(cfg, *, layout: Layout | None = None, grid: Grid | None = None) -> ProbabilityMaps:
    """Median best-server RSRP, dominance map and P(RSRP >= t), P(SINR >= t) per pixel for
    t in ``coverage.rsrp_threshold_dbm`` + ``coverage.probability_rsrp_thresholds_dbm`` and
    ``coverage.sinr_threshold_db`` + ``coverage.probability_sinr_thresholds_db``."""
    layout = layout if layout is not None else build_layout(cfg)
    projection = None
    if cfg.deployment.layout == "sites":
        projection = config_site_list(cfg).projection
    if grid is None:
        polys = None
        if projection is not None and cfg.coverage.area_file:
            polys = [p for _, p in read_area_file(cfg.coverage.area_file, projection)]
        grid = make_grid(area_polygons(layout, cfg.coverage.margin_m, polys), cfg.coverage.resolution_m)
    radio = cfg.radio
    n_sc = n_rb(radio.bandwidth_mhz, radio.scs_khz, cfg.channel.fc_ghz) * SUBCARRIERS_PER_RB
    offset_db = 10.0 * math.log10(n_sc)
    noise_dbm = float(noise_power_dbm(radio.bandwidth_mhz * 1e6, radio.ue_noise_figure_db))
    cv = cfg.coverage
    r_t = _thresholds(cv.rsrp_threshold_dbm, cv.probability_rsrp_thresholds_dbm)
    s_t = _thresholds(cv.sinr_threshold_db, cv.probability_sinr_thresholds_db)
    x, y = grid.centres_m()
    sel = grid.mask.ravel()
    xy = np.stack([x.ravel()[sel], y.ravel()[sel]], axis=1)
    n = xy.shape[0]
    sparse = is_sparse(cfg, layout)
    med_best = np.empty(n)
    dom = np.empty(n, dtype=np.int64)
    pr = np.empty((len(r_t), n))
    ps = np.empty((len(s_t), n))
    for b0 in range(0, n, PIXEL_BLOCK):
        b1 = min(b0 + PIXEL_BLOCK, n)
        sites = None
        if sparse:
            cand, n_cand = nearest_sites(xy[b0:b1], layout.site_xy_m, cfg.interference.k_sites,
                                         max_distance_m=cfg.interference.max_distance_m)
            # pad the short rows with their nearest site at -1e4 dBm (never counts)
            sites = np.where(np.arange(cand.shape[1])[None, :] < n_cand[:, None], cand, cand[:, :1])
        st = link_statistics(cfg, layout, xy[b0:b1], sites)
        if sparse:
            pad = ~(np.arange(sites.shape[1])[None, :] < n_cand[:, None])
            st = LinkStatistics(st.p_los, np.where(pad[..., None], -1e4, st.mean_dbm), st.sigma_db,
                                st.best_cell, st.site_excess_db)
        med = mixture_median_db(st)
        j = np.argmax(med, axis=1)
        med_best[b0:b1] = med[np.arange(b1 - b0), j] - offset_db
        dom[b0:b1] = st.best_cell[np.arange(b1 - b0), j]
        for q, t in enumerate(r_t):
            pr[q, b0:b1] = p_rsrp_at_least(st, t, offset_db)
        ps[:, b0:b1] = p_sinr_at_least(st, list(s_t), load=float(radio.load), noise_dbm=noise_dbm)

    layer = grid.layer
    return ProbabilityMaps(
        grid=grid, median_rsrp_dbm=layer(med_best, np.nan, np.float32), dominant_cell=layer(dom, -1, np.int32),
        p_rsrp={t: layer(pr[q], np.nan, np.float32) for q, t in enumerate(r_t)},
        p_sinr={t: layer(ps[q], np.nan, np.float32) for q, t in enumerate(s_t)},
        rsrp_thresholds_dbm=r_t, sinr_thresholds_db=s_t,
        epsg=projection.epsg if projection else None,
        origin_e_m=projection.origin_e_m if projection else 0.0,
        origin_n_m=projection.origin_n_m if projection else 0.0,
    )


def probability_polygon_stats(pm: ProbabilityMaps, polygons: list[tuple[str, NDArray[np.float64]]] | None = None
                              ) -> list[dict[str, float | str | int]]:
    """Area coverage probability per polygon (default: the whole area of interest): the mean
    over its pixels of P(RSRP >= t) (key ``p_rsrp_ge_<t>dbm``) and P(SINR >= t) (key
    ``p_sinr_ge_<t>db``) for every threshold."""
    g = pm.grid
    x, y = g.centres_m()
    out = []
    for name, poly in (polygons or [("area of interest", None)]):
        m = g.mask if poly is None else (g.mask & points_in_polygons(x, y, [poly]))
        npx = int(m.sum())
        row: dict[str, float | str | int] = {"polygon": name, "pixels": npx}
        for t, arr in pm.p_rsrp.items():
            row[f"p_rsrp_ge_{t:g}dbm"] = float(arr[m].mean()) if npx else float("nan")
        for t, arr in pm.p_sinr.items():
            row[f"p_sinr_ge_{t:g}db"] = float(arr[m].mean()) if npx else float("nan")
        out.append(row)
    return out
