"""Large-scale parameters (LSPs) of the clustered channel, TR 38.901 V17.0.0, 7.5 step 4.

The seven LSPs of a UE-site link -- shadow fading SF, Ricean K-factor K, delay spread DS and
the four angle spreads ASD, ASA, ZSD, ZSA -- are log-normal (K and SF normal in dB) with the
means and standard deviations of Table 7.5-6 (ZSD: Tables 7.5-7, 7.5-8 and 7.5-10) and the
cross-correlations of Table 7.5-6. They are drawn as::

    x = sqrt(C) z,      lgX = mu_lgX + sigma_lgX x_X

where ``z`` holds one unit-variance Gaussian per LSP, spatially correlated per site with the
LSP's own correlation distance (exponential autocorrelation, 7.5 step 4 / 7.6.3.1, the
site fields of :mod:`nrsim.channel.shadowing_field`), and ``sqrt(C)`` is the lower Cholesky
factor of the cross-correlation matrix ``C`` with SF ordered first. Ordering SF first makes
``x_SF = z_SF``: the SF variate is the unit shadow fading the large-scale model already drew,
so the clustered channel and the calibrated large-scale model share one shadow fading and one
LOS state; no second SF is drawn.

Sign of SF: in Table 7.5-6 (as in WINNER II, where these correlations come from) SF is the
shadowing *gain* of the received power: DS, ASD and ASA correlate negatively with it (strong
links have small spreads) and K positively in UMi/InH LOS. nrsim's large-scale model adds its
``shadow_fading_db`` to the path loss (a loss). :meth:`LspFields.normals` therefore takes
``z_SF = -shadow_fading_db / sigma_SF``; with the loss itself the correlations would act with
the wrong sign (the serving links, which have less loss, would get larger spreads).

Conditions: ``"los"``, ``"nlos"`` and ``"o2i"`` (indoor UEs of UMa and UMi-Street Canyon use
the O2I column of Table 7.5-6 whatever the outdoor LOS state; their ZSD and ZoD offset follow
the outdoor LOS state, Tables 7.5-7 and 7.5-8). InH has no O2I column.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.channel.shadowing_field import SiteShadowingField
from nrsim.channel.tr38901._common import read_table
from nrsim.errors import ConfigError

LSP_NAMES: tuple[str, ...] = ("SF", "K", "DS", "ASD", "ASA", "ZSD", "ZSA")
"""Order of the LSP Gaussian variates (SF first, see the module docstring)."""
I_SF, I_K, I_DS, I_ASD, I_ASA, I_ZSD, I_ZSA = range(7)

CONDITIONS: tuple[str, ...] = ("los", "nlos", "o2i")
LSP_SCENARIOS: tuple[str, ...] = ("uma", "umi", "inh")

ASD_MAX_DEG = 104.0
ASA_MAX_DEG = 104.0
ZSD_MAX_DEG = 52.0
ZSA_MAX_DEG = 52.0
"""Caps of the angle spreads, TR 38.901 V17.0.0, 7.5 step 4: ASA = min(ASA, 104 deg),
ASD = min(ASD, 104 deg), ZSA = min(ZSA, 52 deg), ZSD = min(ZSD, 52 deg)."""

_FC_MIN_GHZ = {"uma": 6.0, "umi": 2.0, "inh": 6.0}
"""Table 7.5-6 Part-1 notes 6-7, Part-2 note: frequency-dependent LSPs use fc = 6 GHz (UMa,
InH) or 2 GHz (UMi) below that frequency."""

C_DS_NA_NS = 3.91
"""Cluster delay spread used when Table 7.5-6 gives N/A (InH), 7.5 step 11 [ns]."""
C_DS_MIN_NS = 0.25
"""UMa cluster delay spread c_DS = max(0.25, 6.5622 - 3.4084 log10(fc)) [ns] (Table 7.5-6)."""


def _freq_term(scenario: str, fc_ghz: float) -> float:
    fc = max(float(fc_ghz), _FC_MIN_GHZ[scenario])
    return float(np.log10(fc)) if scenario == "uma" else float(np.log10(1.0 + fc))


@dataclass(frozen=True)
class LspParameters:
    """The Table 7.5-6 column of one scenario and condition at one carrier frequency.

    mu, sigma : float64 [7]
        Means and standard deviations of the LSP variates in :data:`LSP_NAMES` order: SF in dB
        (mu 0), K in dB, lgDS (DS in s), lgASD, lgASA, lgZSD, lgZSA (deg). NaN where the value
        depends on the link (UMa/UMi ZSD, :func:`zsd_parameters`) or does not exist (K in NLOS).
    corr : float64 [7, 7]
        Cross-correlation matrix (K row and column are the identity's in NLOS and O2I).
    sqrt_corr : float64 [7, 7]
        Lower Cholesky factor of ``corr`` (SF first).
    dcorr_m : float64 [7]
        Correlation distances in the horizontal plane [m] (NaN for K in NLOS).
    """

    scenario: str
    condition: str
    fc_ghz: float
    mu: NDArray[np.float64]
    sigma: NDArray[np.float64]
    corr: NDArray[np.float64]
    sqrt_corr: NDArray[np.float64]
    dcorr_m: NDArray[np.float64]
    r_tau: float
    mu_xpr_db: float
    sigma_xpr_db: float
    n_clusters: int
    n_rays: int
    c_ds_s: float
    c_asd_deg: float
    c_asa_deg: float
    c_zsa_deg: float
    zeta_db: float

    @property
    def has_k(self) -> bool:
        return self.condition == "los"


def _check(scenario: str, condition: str) -> None:
    if scenario not in LSP_SCENARIOS:
        raise ConfigError(
            f"scenario = {scenario!r} has no clustered-channel parameters here; allowed: "
            f"{', '.join(LSP_SCENARIOS)}",
            field="channel.scenario",
        )
    if condition not in CONDITIONS or (scenario == "inh" and condition == "o2i"):
        raise ConfigError(
            f"condition = {condition!r} is not a Table 7.5-6 column of {scenario!r}",
            field="condition",
        )


def correlation_sqrt(corr: NDArray[np.float64]) -> NDArray[np.float64]:
    """Lower Cholesky factor of a cross-correlation matrix (TR 38.901 7.5 step 4).

    Table 7.5-6 matrices that are not positive definite are first replaced by the nearest
    correlation matrix with eigenvalues >= 1e-6 (eigenvalue clipping, then unit diagonal),
    the usual remedy (WINNER II D1.1.2, 3.3.1)."""
    try:
        return np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(corr)
        fixed = (v * np.maximum(w, 1e-6)) @ v.T
        d = np.sqrt(np.diag(fixed))
        return np.linalg.cholesky(fixed / np.outer(d, d))


@functools.lru_cache(maxsize=64)
def lsp_parameters(scenario: str, condition: str, fc_ghz: float) -> LspParameters:
    """The Table 7.5-6 parameters of ``scenario`` (``"uma"``, ``"umi"``, ``"inh"``) and
    ``condition`` (``"los"``, ``"nlos"``, ``"o2i"``) at ``fc_ghz`` (values in
    ``tables/lsp_parameters.csv``).

    Raises
    ------
    ConfigError
        For a scenario or condition without a Table 7.5-6 column.
    """
    _check(scenario, condition)
    lf = _freq_term(scenario, fc_ghz)
    vals = {
        r["key"]: float(r["c"]) + float(r["f"]) * lf
        for r in read_table("lsp_parameters.csv")
        if r["scenario"] == scenario and r["condition"] == condition
    }
    nan = float("nan")
    mu = np.array([0.0, vals.get("mu_K", nan), vals["mu_lgDS"], vals["mu_lgASD"],
                   vals["mu_lgASA"], vals.get("mu_lgZSD", nan), vals["mu_lgZSA"]])
    sg_sf = 1.0  # SF enters as its unit variate; its sigma is the large-scale model's
    sigma = np.array([sg_sf, vals.get("sigma_K", nan), vals["sigma_lgDS"], vals["sigma_lgASD"],
                      vals["sigma_lgASA"], vals.get("sigma_lgZSD", nan), vals["sigma_lgZSA"]])
    corr = np.eye(7)
    for key, v in vals.items():
        if key.startswith("corr_"):
            a, b = key[5:].split("_")
            i, j = LSP_NAMES.index(a), LSP_NAMES.index(b)
            corr[i, j] = corr[j, i] = v
    dcorr = np.array([vals["dcorr_SF"], vals.get("dcorr_K", nan), vals["dcorr_DS"],
                      vals["dcorr_ASD"], vals["dcorr_ASA"], vals["dcorr_ZSD"], vals["dcorr_ZSA"]])
    if scenario == "uma":
        c_ds_ns = max(C_DS_MIN_NS, vals["c_ds_ns"])
    else:
        c_ds_ns = vals["c_ds_ns"]
    out = LspParameters(
        scenario=scenario, condition=condition, fc_ghz=float(fc_ghz), mu=mu, sigma=sigma,
        corr=corr, sqrt_corr=correlation_sqrt(corr), dcorr_m=dcorr, r_tau=vals["r_tau"],
        mu_xpr_db=vals["mu_XPR"], sigma_xpr_db=vals["sigma_XPR"],
        n_clusters=int(vals["n_clusters"]), n_rays=int(vals["n_rays"]), c_ds_s=c_ds_ns * 1e-9,
        c_asd_deg=vals["c_asd"], c_asa_deg=vals["c_asa"], c_zsa_deg=vals["c_zsa"],
        zeta_db=vals["zeta_db"],
    )
    for a in (out.mu, out.sigma, out.corr, out.sqrt_corr, out.dcorr_m):
        a.setflags(write=False)
    return out


def zsd_parameters(
    scenario: str,
    los: ArrayLike,
    d_2d_m: ArrayLike,
    h_ut_m: ArrayLike,
    h_bs_m: ArrayLike,
    fc_ghz: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(mu_lgZSD, sigma_lgZSD, ZoD offset [deg]) per link, elementwise over broadcastable
    arrays (e.g. [link]).

    TR 38.901 V17.0.0: UMa Table 7.5-7, UMi-Street Canyon Table 7.5-8, InH-Office Table 7.5-10
    (O2I links use the row of their outdoor LOS state)::

        UMa LOS   mu = max(-0.5, -2.1 d/1000 - 0.01 (h_UT - 1.5) + 0.75),  sigma 0.40, offset 0
        UMa NLOS  mu = max(-0.5, -2.1 d/1000 - 0.01 (h_UT - 1.5) + 0.9),   sigma 0.49,
                  offset = e(fc) - 10^(a(fc) log10(max(b(fc), d)) + c(fc) - 0.07 (h_UT - 1.5))
                  e = 7.66 log10 fc - 5.96, a = 0.208 log10 fc - 0.782, b = 25,
                  c = -0.13 log10 fc + 2.03 (fc in GHz, at least 6)
        UMi LOS   mu = max(-0.21, -14.8 d/1000 + 0.01 |h_UT - h_BS| + 0.83), sigma 0.35, offset 0
        UMi NLOS  mu = max(-0.5, -3.1 d/1000 + 0.01 max(h_UT - h_BS, 0) + 0.2), sigma 0.35,
                  offset = -10^(-1.5 log10(max(10, d)) + 3.3)
        InH       Table 7.5-6 Part-2 lgZSD, offset 0
    """
    los_b = np.asarray(los, dtype=bool)
    d = np.asarray(d_2d_m, dtype=np.float64)
    h_ut = np.asarray(h_ut_m, dtype=np.float64)
    h_bs = np.asarray(h_bs_m, dtype=np.float64)
    shape = np.broadcast_shapes(los_b.shape, d.shape, h_ut.shape, h_bs.shape)
    if scenario == "uma":
        base = -2.1 * d / 1000.0 - 0.01 * (h_ut - 1.5)
        mu = np.where(los_b, np.maximum(-0.5, base + 0.75), np.maximum(-0.5, base + 0.9))
        sigma = np.where(los_b, 0.40, 0.49)
        lfc = np.log10(max(float(fc_ghz), 6.0))
        e, a, b, c = 7.66 * lfc - 5.96, 0.208 * lfc - 0.782, 25.0, -0.13 * lfc + 2.03
        off = e - 10.0 ** (a * np.log10(np.maximum(b, d)) + c - 0.07 * (h_ut - 1.5))
        offset = np.where(los_b, 0.0, off)
    elif scenario == "umi":
        mu = np.where(
            los_b,
            np.maximum(-0.21, -14.8 * d / 1000.0 + 0.01 * np.abs(h_ut - h_bs) + 0.83),
            np.maximum(-0.5, -3.1 * d / 1000.0 + 0.01 * np.maximum(h_ut - h_bs, 0.0) + 0.2),
        )
        sigma = np.full(shape, 0.35)
        offset = np.where(los_b, 0.0, -(10.0 ** (-1.5 * np.log10(np.maximum(10.0, d)) + 3.3)))
    elif scenario == "inh":
        p_l = lsp_parameters("inh", "los", fc_ghz)
        p_n = lsp_parameters("inh", "nlos", fc_ghz)
        mu = np.where(los_b, p_l.mu[I_ZSD], p_n.mu[I_ZSD])
        sigma = np.where(los_b, p_l.sigma[I_ZSD], p_n.sigma[I_ZSD])
        offset = np.zeros(shape)
    else:
        _check(scenario, "los")
        raise AssertionError("unreachable")
    return (np.broadcast_to(mu, shape).astype(np.float64),
            np.broadcast_to(sigma, shape).astype(np.float64),
            np.broadcast_to(offset, shape).astype(np.float64))


@dataclass(frozen=True)
class LinkLsps:
    """LSPs of a set of links, arrays [link].

    ds_s [s]; asd_deg, asa_deg, zsd_deg, zsa_deg [deg] (capped); k_db [dB] (NaN without
    LOS); mu_lgzsd (for the ZoD ray spread of 7.5 step 7); zod_offset_deg [deg]; sf_unit
    (the unit SF variate as a gain: minus the large-scale model's unit shadow-fading loss)."""

    ds_s: NDArray[np.float64]
    asd_deg: NDArray[np.float64]
    asa_deg: NDArray[np.float64]
    zsd_deg: NDArray[np.float64]
    zsa_deg: NDArray[np.float64]
    k_db: NDArray[np.float64]
    mu_lgzsd: NDArray[np.float64]
    zod_offset_deg: NDArray[np.float64]
    sf_unit: NDArray[np.float64]


def lsps_from_normals(
    z: NDArray[np.float64],
    params: LspParameters,
    mu_lgzsd: ArrayLike,
    sigma_lgzsd: ArrayLike,
    zod_offset_deg: ArrayLike,
) -> LinkLsps:
    """LSPs from independent unit Gaussians ``z`` [link, 7] (:data:`LSP_NAMES` order;
    ``z[:, 0]`` is the unit SF as a gain, :meth:`LspFields.normals`), TR 38.901 7.5 step 4:
    x = sqrt(C) z, lgX = mu + sigma x, and the angle-spread caps. ``mu_lgzsd``,
    ``sigma_lgzsd``, ``zod_offset_deg`` [link] come from :func:`zsd_parameters`."""
    z = np.asarray(z, dtype=np.float64)
    x = z @ params.sqrt_corr.T  # [link, 7]
    mu = params.mu
    sg = params.sigma
    mu_zsd = np.broadcast_to(np.asarray(mu_lgzsd, dtype=np.float64), x.shape[:1])
    sg_zsd = np.broadcast_to(np.asarray(sigma_lgzsd, dtype=np.float64), x.shape[:1])
    k_db = mu[I_K] + sg[I_K] * x[:, I_K] if params.has_k else np.full(x.shape[0], np.nan)
    return LinkLsps(
        ds_s=10.0 ** (mu[I_DS] + sg[I_DS] * x[:, I_DS]),
        asd_deg=np.minimum(10.0 ** (mu[I_ASD] + sg[I_ASD] * x[:, I_ASD]), ASD_MAX_DEG),
        asa_deg=np.minimum(10.0 ** (mu[I_ASA] + sg[I_ASA] * x[:, I_ASA]), ASA_MAX_DEG),
        zsd_deg=np.minimum(10.0 ** (mu_zsd + sg_zsd * x[:, I_ZSD]), ZSD_MAX_DEG),
        zsa_deg=np.minimum(10.0 ** (mu[I_ZSA] + sg[I_ZSA] * x[:, I_ZSA]), ZSA_MAX_DEG),
        k_db=k_db,
        mu_lgzsd=np.array(mu_zsd),
        zod_offset_deg=np.broadcast_to(np.asarray(zod_offset_deg, dtype=np.float64),
                                       x.shape[:1]).copy(),
        sf_unit=x[:, I_SF].copy(),
    )


class LspFields:
    """The spatially correlated unit Gaussian fields of the LSPs other than SF, one per
    (condition, LSP) and per site, for one drop (TR 38.901 7.5 step 4, exponential
    autocorrelation with the Table 7.5-6 correlation distances).

    Parameters
    ----------
    scenario : "uma" | "umi" | "inh"
    fc_ghz : float
    origin_m : float64 [2], extent_m : float
        The UE area (:func:`nrsim.channel.large_scale.field_area`).
    n_sites : int
    rng : numpy.random.Generator
        The drop's own named stream (e.g. ``stream(seed, "lsp", drop=d)``).
    """

    def __init__(self, scenario: str, fc_ghz: float, origin_m: NDArray[np.float64],
                 extent_m: float, n_sites: int, *, rng: np.random.Generator) -> None:
        self.scenario = scenario
        self.fc_ghz = float(fc_ghz)
        self.fields: dict[tuple[str, int], SiteShadowingField] = {}
        conds = ("los", "nlos") if scenario == "inh" else CONDITIONS
        for cond in conds:
            p = lsp_parameters(scenario, cond, fc_ghz)
            for i in range(1, 7):
                if i == I_K and not p.has_k:
                    continue
                self.fields[(cond, i)] = SiteShadowingField(
                    origin_m, extent_m, n_sites, float(p.dcorr_m[i]), rng=rng
                )

    def normals(
        self, condition: str, ue_xy_m: NDArray[np.float64], site_idx: NDArray[np.int64],
        sf_unit: NDArray[np.float64],
    ) -> NDArray[np.float64]:
        """z [link, 7] of links (UE position [link, 2], site [link]) in ``condition``.
        ``sf_unit`` [link] is the large-scale model's unit shadow fading, a loss
        (``shadow_fading_db / sigma_SF``); ``z[:, 0] = -sf_unit``, the TR's SF as a gain
        (module docstring)."""
        n = ue_xy_m.shape[0]
        z = np.zeros((n, 7))
        z[:, I_SF] = -np.asarray(sf_unit, dtype=np.float64)  # loss -> gain (module docstring)
        site = np.asarray(site_idx, dtype=np.int64)[:, None]
        for i in range(1, 7):
            f = self.fields.get((condition, i))
            if f is None or n == 0:
                continue
            # one UE per row: read each link's own site
            z[:, i] = f.values(ue_xy_m, site)[:, 0]
        return z
