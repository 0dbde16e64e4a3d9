"""LSP tables (TR 38.901 V17.0.0 Table 7.5-6) and the LSP draw of 7.5 step 4."""

import numpy as np
import pytest
from scipy import stats

from nrsim.channel.tr38901.lsp import (
    I_ASA, I_ASD, I_DS, I_K, I_SF, I_ZSA, I_ZSD, LspFields, lsp_parameters, lsps_from_normals,
    zsd_parameters,
)
from nrsim.errors import ConfigError

# Hand transcriptions of Table 7.5-6 at fc = 6 GHz (UMa: log10(6) = 0.77815; UMi/InH:
# log10(7) = 0.84510), evaluated by hand here, independent of the CSV.
HAND = {
    ("uma", "los"): {"mu_ds": -6.955 - 0.0963 * 0.77815, "mu_asd": 1.06 + 0.1114 * 0.77815, "mu_asa": 1.81,
                     "sigma_ds": 0.66, "n": 12, "r_tau": 2.5, "corr_ds_sf": -0.4, "corr_zsa_sf": -0.8},
    ("uma", "nlos"): {"mu_ds": -6.28 - 0.204 * 0.77815, "mu_asd": 1.5 - 0.1144 * 0.77815,
                      "mu_asa": 2.08 - 0.27 * 0.77815, "sigma_ds": 0.39, "n": 20, "r_tau": 2.3,
                      "corr_ds_sf": -0.4, "corr_zsa_sf": -0.4},
    ("umi", "nlos"): {"mu_ds": -0.24 * 0.84510 - 6.83, "mu_asd": -0.23 * 0.84510 + 1.53,
                      "mu_asa": -0.08 * 0.84510 + 1.81, "sigma_ds": 0.16 * 0.84510 + 0.28, "n": 19,
                      "r_tau": 2.1, "corr_ds_sf": -0.7, "corr_zsa_sf": 0.0},
    ("inh", "los"): {"mu_ds": -0.01 * 0.84510 - 7.692, "mu_asd": 1.60, "mu_asa": -0.19 * 0.84510 + 1.781,
                     "sigma_ds": 0.18, "n": 15, "r_tau": 3.6, "corr_ds_sf": -0.8, "corr_zsa_sf": 0.3},
}


@pytest.mark.parametrize("key", sorted(HAND))
def test_table_values_match_hand_transcription(key):
    p = lsp_parameters(*key, 6.0)
    h = HAND[key]
    assert p.mu[I_DS] == pytest.approx(h["mu_ds"], abs=1e-4)
    assert p.mu[I_ASD] == pytest.approx(h["mu_asd"], abs=1e-4)
    assert p.mu[I_ASA] == pytest.approx(h["mu_asa"], abs=1e-4)
    assert p.sigma[I_DS] == pytest.approx(h["sigma_ds"], abs=1e-4)
    assert p.n_clusters == h["n"] and p.n_rays == 20
    assert p.r_tau == h["r_tau"]
    assert p.corr[I_DS, I_SF] == h["corr_ds_sf"] == p.corr[I_SF, I_DS]
    assert p.corr[I_ZSA, I_SF] == h["corr_zsa_sf"]


def test_low_frequency_clip_and_uma_cds():
    # UMa uses fc = 6 GHz below 6 GHz (Table 7.5-6 note 6); c_DS(6 GHz) = 6.5622 - 3.4084 log10 6
    assert lsp_parameters("uma", "nlos", 3.5).mu[I_DS] == lsp_parameters("uma", "nlos", 6.0).mu[I_DS]
    assert lsp_parameters("uma", "los", 6.0).c_ds_s == pytest.approx((6.5622 - 3.4084 * 0.77815) * 1e-9, rel=1e-4)
    assert lsp_parameters("uma", "los", 100.0).c_ds_s == pytest.approx(0.25e-9)
    assert lsp_parameters("inh", "los", 6.0).c_ds_s == pytest.approx(3.91e-9)


def test_unknown_condition_raises():
    with pytest.raises(ConfigError):
        lsp_parameters("inh", "o2i", 6.0)
    with pytest.raises(ConfigError):
        lsp_parameters("rma", "los", 6.0)


def test_zsd_hand_values():
    # UMa NLOS, d = 100 m, h_UT = 1.5 m, 6 GHz: mu = max(-0.5, -0.21 + 0.9) = 0.69
    mu, sg, off = zsd_parameters("uma", False, 100.0, 1.5, 25.0, 6.0)
    lf = np.log10(6.0)
    e, a, c = 7.66 * lf - 5.96, 0.208 * lf - 0.782, -0.13 * lf + 2.03
    assert mu == pytest.approx(0.69)
    assert sg == pytest.approx(0.49)
    assert off == pytest.approx(e - 10 ** (a * 2.0 + c))
    # UMi LOS d = 50 m, h_UT 1.5, h_BS 10: max(-0.21, -0.74 + 0.085 + 0.83) = 0.175
    mu, sg, off = zsd_parameters("umi", True, 50.0, 1.5, 10.0, 6.0)
    assert (mu, sg, off) == (pytest.approx(0.175), pytest.approx(0.35), 0.0)
    # UMi NLOS offset at d = 100: -10^(-3 + 3.3)
    assert zsd_parameters("umi", False, 100.0, 1.5, 10.0, 6.0)[2] == pytest.approx(-(10 ** 0.3))


def test_sf_variate_is_passed_through_unchanged():
    p = lsp_parameters("uma", "los", 6.0)
    z = np.random.default_rng(0).standard_normal((100, 7))
    out = lsps_from_normals(z, p, 0.5, 0.4, 0.0)
    np.testing.assert_array_equal(out.sf_unit, z[:, I_SF])


MEAN_TOL_SIGMAS = 4.0
"""Sample means within 4 standard errors (effective sample size, see below)."""
CORR_TOL = 0.08
"""Sample correlations within 0.08 of Table 7.5-6 (standard error ~0.03 at n_eff ~1000)."""
KS_P_MIN = 1e-3


@pytest.mark.parametrize("scenario,cond", [("uma", "los"), ("uma", "nlos"), ("umi", "los"), ("umi", "o2i"),
                                           ("inh", "los"), ("inh", "nlos")])
def test_lsp_marginals_and_correlations(scenario, cond):
    """Statistics of the spatially correlated LSPs against Table 7.5-6: UEs spread far
    apart (>= 6 correlation distances) over many sites, so the draws are independent."""
    p = lsp_parameters(scenario, cond, 6.0)
    rng = np.random.default_rng(7)
    n_sites, per_site = 100, 20
    spacing = 6.0 * float(np.nanmax(p.dcorr_m))  # field correlation exp(-6) = 0.0025
    grid = np.arange(per_site) * spacing
    xy = np.stack([grid, np.zeros(per_site)], axis=1)
    fields = LspFields(scenario, 6.0, np.zeros(2), float(grid[-1]) + 1.0, n_sites, rng=rng)
    xy_l = np.tile(xy, (n_sites, 1))
    site = np.repeat(np.arange(n_sites), per_site)
    sf = rng.standard_normal(site.size)
    z = fields.normals(cond, xy_l, site, sf)
    x = z @ p.sqrt_corr.T
    n = x.shape[0]
    idx = [I_SF, I_DS, I_ASD, I_ASA, I_ZSA, I_ZSD] + ([I_K] if p.has_k else [])
    for i in idx:
        assert abs(x[:, i].mean()) < MEAN_TOL_SIGMAS / np.sqrt(n)
        assert stats.kstest(x[:, i], "norm").pvalue > KS_P_MIN
    c = np.corrcoef(x[:, idx].T)
    np.testing.assert_allclose(c, p.corr[np.ix_(idx, idx)], atol=CORR_TOL)
    # marginals of lgDS in physical units
    lsps = lsps_from_normals(z, p, 0.5, 0.3, 0.0)
    lg = np.log10(lsps.ds_s)
    assert lg.mean() == pytest.approx(p.mu[I_DS], abs=MEAN_TOL_SIGMAS * p.sigma[I_DS] / np.sqrt(n))
    assert lg.std() == pytest.approx(p.sigma[I_DS], rel=0.08)


def test_lsp_fields_are_spatially_correlated():
    """Two UEs 1 correlation distance apart on the same site correlate by about exp(-1)."""
    p = lsp_parameters("uma", "nlos", 6.0)
    d = p.dcorr_m[I_DS]
    rng = np.random.default_rng(3)
    n_sites = 400
    f = LspFields("uma", 6.0, np.zeros(2), 4.0 * d, n_sites, rng=rng)
    site = np.arange(n_sites)
    a = f.normals("nlos", np.tile([[d, d]], (n_sites, 1)), site, np.zeros(n_sites))[:, I_DS]
    b = f.normals("nlos", np.tile([[2 * d, d]], (n_sites, 1)), site, np.zeros(n_sites))[:, I_DS]
    assert np.corrcoef(a, b)[0, 1] == pytest.approx(np.exp(-1.0), abs=0.12)


def test_shadow_fading_enters_as_a_gain():
    """The large-scale model's shadow fading is a loss; Table 7.5-6's SF is a gain (DS-SF
    correlation -0.4 in UMa NLOS: stronger links have smaller DS). A link with 2 sigma less
    loss must get a smaller DS than one with 2 sigma more loss, on the same field values."""
    p = lsp_parameters("uma", "nlos", 6.0)
    f = LspFields("uma", 6.0, np.zeros(2), 100.0, 1, rng=np.random.default_rng(0))
    xy = np.array([[10.0, 10.0], [10.0, 10.0]])
    z = f.normals("nlos", xy, np.array([0, 0]), np.array([-2.0, 2.0]))  # [strong, weak]
    np.testing.assert_array_equal(z[:, I_SF], [2.0, -2.0])
    lsps = lsps_from_normals(z, p, 0.5, 0.3, 0.0)
    assert lsps.ds_s[0] < lsps.ds_s[1] and lsps.asd_deg[0] < lsps.asd_deg[1]
    assert np.log10(lsps.ds_s[1] / lsps.ds_s[0]) == pytest.approx(-p.corr[I_DS, I_SF] * 4 * p.sigma[I_DS])
