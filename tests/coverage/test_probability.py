"""Probability-of-coverage layers (nrsim.coverage.probability) against a Monte Carlo of the
same links, against the engine's single draw, and their files."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nrsim
from nrsim.coverage import probability_maps, probability_polygon_stats
from nrsim.coverage.probability import link_statistics, p_rsrp_at_least, p_sinr_at_least
from nrsim.engine.snapshot import build_layout
from nrsim.link.numerology import SUBCARRIERS_PER_RB, n_rb
from nrsim.radio.link_budget import noise_power_dbm

SMALL = ["coverage.resolution_m=60", "coverage.margin_m=100", "drops=1", "deployment.ue.per_sector=5"]
N_DRAWS = 20_000
"""Monte Carlo draws. The issue names 500, but a 500-draw estimate of p = 0.5 has a standard
error of 2.2 pp by itself, so even the exact RSRP formula fails "2 pp on 95 % of pixels"
against it on some seeds (94.6 % here); 20 000 draws (0.35 pp) test the approximation
instead of the Monte Carlo's noise, in about 2 s."""
TOL_PP = 0.02  # the tolerance: 2 percentage points ...
SHARE_OK = 0.95  # ... on 95 % of the pixels


def monte_carlo(st, rsrp_t, sinr_t, *, load, noise_dbm, offset_db, n_draws, rng):
    """P(RSRP >= t), P(SINR >= t) of the strongest server from ``n_draws`` independent draws
    of every link's LOS state (Bernoulli(Pr_LOS)) and shadow fading (N(0, sigma of the
    state)): an independent NumPy re-implementation of the engine's serving-cell choice and
    SINR (interferers at ``load``, co-sited cells included)."""
    n, k = st.p_los.shape
    hit_r = np.zeros((len(rsrp_t), n))
    hit_s = np.zeros((len(sinr_t), n))
    noise_mw = 10 ** (noise_dbm / 10)
    for _ in range(n_draws):
        los = rng.random((n, k)) < st.p_los
        comp = np.where(los, 0, 1)[..., None]
        mu = np.take_along_axis(st.mean_dbm, comp, axis=2)[..., 0]
        sg = np.take_along_axis(st.sigma_db, comp, axis=2)[..., 0]
        r = mu + sg * rng.standard_normal((n, k))  # [pixel, site] best cell of each site [dBm]
        best = r.max(axis=1)
        total = load * (10 ** ((r + st.site_excess_db) / 10)).sum(axis=1)
        interf = total - load * 10 ** (best / 10)
        sinr = best - 10 * np.log10(interf + noise_mw)
        for q, t in enumerate(rsrp_t):
            hit_r[q] += best - offset_db >= t
        for q, t in enumerate(sinr_t):
            hit_s[q] += sinr >= t
    return hit_r / n_draws, hit_s / n_draws


@pytest.fixture(scope="module")
def setup():
    cfg = nrsim.load_config("uma-7site", SMALL)
    layout = build_layout(cfg)
    pm = probability_maps(cfg, layout=layout)
    x, y = pm.grid.centres_m()
    m = pm.grid.mask
    xy = np.stack([x[m], y[m]], axis=1)
    return cfg, layout, pm, xy


def _link_budget(cfg):
    r = cfg.radio
    n_sc = n_rb(r.bandwidth_mhz, r.scs_khz, cfg.channel.fc_ghz) * SUBCARRIERS_PER_RB
    return 10 * math.log10(n_sc), float(noise_power_dbm(r.bandwidth_mhz * 1e6, r.ue_noise_figure_db))


def test_probabilities_agree_with_monte_carlo(setup):
    cfg, layout, pm, xy = setup
    offset_db, noise_dbm = _link_budget(cfg)
    st = link_statistics(cfg, layout, xy)
    r_t, s_t = pm.rsrp_thresholds_dbm, pm.sinr_thresholds_db
    mc_r, mc_s = monte_carlo(st, r_t, s_t, load=cfg.radio.load, noise_dbm=noise_dbm, offset_db=offset_db,
                             n_draws=N_DRAWS, rng=np.random.default_rng(12345))
    m = pm.grid.mask
    for mc, layers, ts in ((mc_r, pm.p_rsrp, r_t), (mc_s, pm.p_sinr, s_t)):
        for q, t in enumerate(ts):
            err = np.abs(layers[t][m] - mc[q])
            assert np.mean(err <= TOL_PP) >= SHARE_OK, (t, np.mean(err <= TOL_PP), err.max())
    # the layers span the interesting range (not all 0 or 1, which would pass trivially)
    for layers in (pm.p_rsrp, pm.p_sinr):
        assert max(np.mean((a[m] > 0.05) & (a[m] < 0.95)) for a in layers.values()) > 0.3


def test_rsrp_probability_is_exact_product_formula(setup):
    cfg, layout, pm, xy = setup
    offset_db, _ = _link_budget(cfg)
    st = link_statistics(cfg, layout, xy[:5])
    from scipy.stats import norm

    t = -100.0
    f = (st.p_los * norm.cdf(t + offset_db, st.mean_dbm[..., 0], st.sigma_db[..., 0])
         + (1 - st.p_los) * norm.cdf(t + offset_db, st.mean_dbm[..., 1], st.sigma_db[..., 1]))
    np.testing.assert_allclose(p_rsrp_at_least(st, t, offset_db), 1 - f.prod(axis=1), rtol=1e-12)


def test_median_prediction_matches_engine_without_shadowing(setup):
    """Without shadow fading the engine's single draw at a pixel is the LOS or the NLOS
    component mean of its serving site (same physics functions), and its serving cell is the
    best cell of that site."""
    from nrsim.coverage import coverage_maps

    cfg, layout, _, _ = setup
    cfg0 = nrsim.load_config("uma-7site", [*SMALL, "channel.shadowing=false"])
    maps = coverage_maps(cfg0, layout=layout)
    m = maps.grid.mask
    x, y = maps.grid.centres_m()
    st = link_statistics(cfg0, layout, np.stack([x[m], y[m]], axis=1))
    offset_db, _ = _link_budget(cfg0)
    cell = maps.serving_cell[m]
    site = layout.cell_site[cell]
    i = np.arange(site.size)
    np.testing.assert_array_equal(st.best_cell[i, site], cell)
    means = st.mean_dbm[i, site] - offset_db  # [pixel, 2]
    d = np.abs(maps.rsrp_dbm[m][:, None] - means).min(axis=1)
    assert d.max() < 1e-3


def test_dominance_is_argmax_of_median_and_area_probability(setup):
    cfg, layout, pm, xy = setup
    m = pm.grid.mask
    dom = pm.dominant_cell
    assert (dom[~m] == -1).all() and (dom[m] >= 0).all() and (dom[m] < layout.n_cells).all()
    # the median best-server RSRP is exceeded with probability 1/2
    offset_db, _ = _link_budget(cfg)
    st = link_statistics(cfg, layout, xy[:50])
    p = np.array([p_rsrp_at_least(st, float(v), offset_db)[j] for j, v in enumerate(pm.median_rsrp_dbm[m][:50])])
    assert (p >= 0.5 - 1e-6).all()  # max of the link medians: P(max >= it) >= 1/2
    (row,) = probability_polygon_stats(pm)
    t = cfg.coverage.rsrp_threshold_dbm
    assert row[f"p_rsrp_ge_{t:g}dbm"] == pytest.approx(float(pm.p_rsrp[t][m].mean()))
    assert row["pixels"] == int(m.sum())


def test_geotiffs_and_cell_table(setup, tmp_path):
    from nrsim.coverage import coverage_maps, read_geotiff, write_coverage_geotiffs

    cfg, layout, pm, _ = setup
    maps = coverage_maps(cfg, layout=layout, grid=pm.grid)
    ids = [(f"c{c}", f"s{layout.cell_site[c]}") for c in range(layout.n_cells)]
    files = write_coverage_geotiffs(maps, tmp_path, probability=pm, cell_ids=ids)
    assert "coverage_rsrp_dbm.tif" in files  # the single-draw layers keep their names
    p, meta = read_geotiff(files["coverage_p_sinr_ge_m5db.tif"])
    assert p.dtype == np.float32 and meta["resolution_m"] == pm.grid.resolution_m
    np.testing.assert_array_equal(p, pm.p_sinr[-5.0])
    np.testing.assert_array_equal(read_geotiff(files["coverage_p_rsrp_ge_m110dbm.tif"])[0], pm.p_rsrp[-110.0])
    dom, dmeta = read_geotiff(files["coverage_dominant_cell.tif"])
    np.testing.assert_array_equal(np.where(dom == dmeta["nodata"], -1, dom.astype(np.int64)), pm.dominant_cell)
    import pandas as pd

    table = pd.read_csv(files["coverage_best_server_lookup.csv"], keep_default_na=False)
    assert list(table.columns) == ["index", "cell_id", "site_id", "vendor"] and len(table) == layout.n_cells
    assert table.loc[5, "cell_id"] == "c5" and table.loc[5, "site_id"] == f"s{layout.cell_site[5]}"


def test_thresholds_config_bounds():
    from nrsim.errors import NrsimError

    cfg = nrsim.load_config("single-site", ["coverage.probability_rsrp_thresholds_dbm=[-95, -105]"])
    assert cfg.coverage.probability_rsrp_thresholds_dbm == [-95.0, -105.0]
    with pytest.raises((NrsimError, ValueError)):
        nrsim.load_config("single-site", ["coverage.probability_rsrp_thresholds_dbm=[10]"])
    with pytest.raises((NrsimError, ValueError)):
        nrsim.load_config("single-site", ["coverage.probability_sinr_thresholds_db=[99]"])
    with pytest.raises((NrsimError, ValueError)):
        nrsim.load_config("single-site", ["coverage.probability_sinr_thresholds_db=[1, 2, 3, 4, 5, 6, 7, 8, 9]"])


def test_sinr_probability_without_shadowing_is_smoothed_not_broken():
    """Without shadow fading the links are point masses (random LOS state only); the SINR
    integral smooths them by SIGMA_FLOOR_DB: right on average, not per pixel."""
    cfg = nrsim.load_config("uma-7site", [*SMALL, "channel.shadowing=false"])
    layout = build_layout(cfg)
    pm = probability_maps(cfg, layout=layout)
    x, y = pm.grid.centres_m()
    m = pm.grid.mask
    st = link_statistics(cfg, layout, np.stack([x[m], y[m]], axis=1))
    offset_db, noise_dbm = _link_budget(cfg)
    _, mc = monte_carlo(st, [], pm.sinr_thresholds_db, load=cfg.radio.load, noise_dbm=noise_dbm,
                        offset_db=offset_db, n_draws=2000, rng=np.random.default_rng(7))
    for q, t in enumerate(pm.sinr_thresholds_db):
        err = np.abs(pm.p_sinr[t][m] - mc[q])
        assert err.mean() < 0.06, (t, err.mean())
