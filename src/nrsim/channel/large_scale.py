"""One large-scale drop of TR 38.901 V17.0.0: LOS state, path loss, shadow fading, O2I
penetration and BS antenna gain, combined into the coupling gain of every UE-cell link.

Modelling choices (each one matches the 3GPP calibration, see docs/modelling.md):
- LOS state, UMa effective height h_E and shadow fading are per UE-site link, shared by the
  co-sited sectors (they describe the propagation path, not the antenna).
- O2I penetration is per UE (the building is the UE's): building type, indoor distance and
  the O2I shadowing sigma_P are drawn once per indoor UE (7.4.3.1).
- LOS probability of indoor UEs uses d_2D-out = d_2D - d_2D-in (Table 7.4.2-1 note).
- LOS state (7.6.3.1, spatially consistent, ``channel.los_spatial_consistency``): LOS iff
  Phi(G_s(x)) < P_LOS(d), with G_s a unit-variance Gaussian field per site whose correlation
  is exp(-r / d_LOS) (d_LOS of Table 7.6.3.1-2; :func:`make_los_field`), read at the UE's
  position x, so a UE that moves keeps or changes its LOS state. Without spatial consistency
  the uniform is the link's fixed draw. The hard state reads the LOS field at the nearest
  grid point (exact correlation at the grid points; the state is binary). Moving UEs may
  take the soft LOS state of 7.6.3.3 instead (``soft_los``; :func:`soft_los_state` in
  :mod:`nrsim.channel.field_read`): the field read bilinearly, and the LOS and NLOS powers
  (each with its own path loss and shadow fading) mixed with weight LOS_soft^2.
- Random draws per link (h_E, and the LOS uniform without spatial consistency) come from a
  counter-based generator keyed by (drop, UE index, site index)
  (:func:`nrsim.rng.link_uniforms`), so a link's value does not depend on chunking, on the
  other links computed, or on the number of workers; the fields are likewise read per link.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nrsim.channel.shadowing_field import SiteShadowingField
from nrsim.channel.tr38901 import antenna, o2i, pathloss
from nrsim.channel.field_read import (
    los_from_gaussian_array,
    soft_los_loss_db_array,
    soft_los_scale,
    soft_los_state_array,
)
from nrsim.channel.tr38901.los_probability import los_probability, los_state_correlation_m
from nrsim.channel.tr38901.scenarios import PL_UMA
from nrsim.channel.tr38901.scenarios import scenario as scenario_row
from nrsim.deployment.geometry import link_geometry
from nrsim.deployment.layout import Layout
from nrsim.deployment.ue_drop import UeDrop
from nrsim.rng import (
    LINK_VARIATE_HE_1M,
    LINK_VARIATE_HE_LEVEL,
    LINK_VARIATE_LOS,
    link_uniforms,
)

UE_BLOCK = 4096
"""UEs per block of the engine's work (any value gives identical results)."""


@dataclass(frozen=True)
class ChannelParams:
    """Parameters of the large-scale channel (a plain, validated view of the config)."""

    scenario: str  # "uma" | "umi" | "rma" | "inh"
    fc_ghz: float
    inh_variant: str = "mixed"
    o2i_model: str = "mixed"  # "low" | "high" | "mixed"
    o2i_high_loss_fraction: float = 0.5
    shadowing: bool = True
    antenna_model: str = "column"  # "column" | "element" | "omni"
    n_elements: int = 10
    spacing_wl: float = 0.5
    etilt_deg: float = 102.0
    mech_downtilt_deg: float = 0.0
    ue_gain_dbi: float = 0.0
    rma_building_height_m: float = 5.0
    rma_street_width_m: float = 20.0
    los_spatial_consistency: bool = False

    @property
    def los_scenario(self) -> str:
        return f"inh-{self.inh_variant}" if self.scenario == "inh" else self.scenario


@dataclass(frozen=True)
class UeO2I:
    """Per-UE outdoor-to-indoor state. Arrays [ue]."""

    d_2d_in_m: NDArray[np.float64]
    high_loss: NDArray[np.bool_]
    loss_db: NDArray[np.float64]


RMA_TO_URBAN_INDOOR_DISTANCE = 10.0 / 25.0
"""Ratio of the d_2D-in ranges of RMa (min of two U(0, 10 m)) and UMa/UMi (min of two
U(0, 25 m)), TR 38.901 7.4.3.1 (Table 7.4.3-2 notes): scaling the urban draw gives the RMa law."""


def sample_ue_o2i(
    drop: UeDrop,
    params: ChannelParams,
    *,
    rng: np.random.Generator,
    ue_scenario: NDArray[np.str_] | None = None,
) -> UeO2I:
    """Building type, indoor distance and O2I loss of every UE (zero for outdoor UEs and for
    InH, where UEs and BSs share the hall). ``ue_scenario`` [ue] gives each UE's own
    environment in networks that mix them (its indoor-distance law)."""
    n = drop.n_ue
    if params.scenario == "inh":
        z = np.zeros(n)
        return UeO2I(d_2d_in_m=z, high_loss=np.zeros(n, dtype=bool), loss_db=z.copy())
    if params.o2i_model == "mixed":
        high = rng.random(n) < params.o2i_high_loss_fraction
    else:
        high = np.full(n, params.o2i_model == "high")
    if ue_scenario is None:
        d_in = o2i.sample_indoor_distance_m((n,), params.scenario, rng=rng)
    else:
        d_in = o2i.sample_indoor_distance_m((n,), "uma", rng=rng)
        d_in = np.where(ue_scenario == "rma", d_in * RMA_TO_URBAN_INDOOR_DISTANCE, d_in)
    loss = o2i.sample_o2i_loss_db(params.fc_ghz, high, d_in, rng=rng)
    indoor = drop.indoor
    return UeO2I(
        d_2d_in_m=np.where(indoor, d_in, 0.0),
        high_loss=high & indoor,
        loss_db=np.where(indoor, loss, 0.0),
    )


def make_shadowing_fields(
    drop: UeDrop, layout: Layout, params: ChannelParams, *, rng: np.random.Generator
) -> tuple[SiteShadowingField, SiteShadowingField] | None:
    """The (LOS, NLOS) unit-variance site fields of one drop, or None without shadowing."""
    if not params.shadowing:
        return None
    lo, extent = field_area(drop)
    fields = []
    for los in (True, False):
        d_corr = float(pathloss.shadow_fading_decorrelation_m(params.scenario, los))
        fields.append(SiteShadowingField(lo, extent, layout.n_sites, d_corr, rng=rng))
    return fields[0], fields[1]


def field_area(drop: UeDrop) -> tuple[NDArray[np.float64], float]:
    """(lower-left corner [m], side [m]) of the square UE area the site fields cover."""
    if drop.n_ue:
        lo = drop.xy_m.min(axis=0)
        hi = drop.xy_m.max(axis=0)
    else:
        lo = hi = np.zeros(2)
    return lo, float(np.max(hi - lo)) + 1.0


def make_los_field(
    drop: UeDrop, layout: Layout, params: ChannelParams, *, rng: np.random.Generator
) -> SiteShadowingField | None:
    """The unit-variance per-site Gaussian field of the spatially consistent LOS state
    (TR 38.901 7.6.3.1, correlation distance of Table 7.6.3.1-2), or None when
    ``params.los_spatial_consistency`` is off. ``rng`` is the drop's own named stream
    (``"los_field"``), so the other streams do not move."""
    if not params.los_spatial_consistency:
        return None
    lo, extent = field_area(drop)
    d_corr = los_state_correlation_m(params.scenario)
    return SiteShadowingField(lo, extent, layout.n_sites, d_corr, rng=rng)


@dataclass(frozen=True)
class LinkUniforms:
    """The uniform variates of one block of UE-site links, drawn in a fixed order so that
    every implementation (the NumPy reference here and the compiled engine kernel) makes
    identical decisions.

    u_los : float64 [ue, site]
        LOS if u_los < P_LOS (Table 7.4.2-1).
    he_rows : int64 [ue_high]
        UEs with h_UT >= 13 m, the only ones whose UMa h_E can differ from 1 m (note 1).
    u_he : float64 [ue_high, site, 2]
        The two variates of the UMa h_E draw of those UEs (empty for other scenarios).
    """

    u_los: NDArray[np.float64]
    he_rows: NDArray[np.int64]
    u_he: NDArray[np.float64]


UMA_H_E_MIN_UT_HEIGHT_M = 13.0
"""Below this UT height C(d_2D, h_UT) = 0 and h_E = 1 m surely (Table 7.4.1-1 note 1)."""


def draw_link_uniforms(
    h_ut_m: NDArray[np.float64],
    n_sites: int,
    scenario: str,
    *,
    link_key: int,
    ue_index: NDArray[np.int64],
) -> LinkUniforms:
    """The per-link uniforms of a block of UEs (heights ``h_ut_m`` [ue], their indices in the
    drop ``ue_index`` [ue]) to every site, from the counter-based generator of
    :func:`nrsim.rng.link_uniforms` keyed by ``link_key``."""
    sites = np.arange(n_sites, dtype=np.int64)[None, :]
    ue_col = np.asarray(ue_index, dtype=np.int64)[:, None]
    u_los = link_uniforms(link_key, ue_col, sites, LINK_VARIATE_LOS)
    if scenario_row(scenario).pathloss_law == PL_UMA:  # the law with an h_E draw (note 1)
        he_rows = np.flatnonzero(h_ut_m >= UMA_H_E_MIN_UT_HEIGHT_M).astype(np.int64)
    else:
        he_rows = np.zeros(0, dtype=np.int64)
    rows = ue_col[he_rows]
    u_he = np.stack(
        [
            link_uniforms(link_key, rows, sites, LINK_VARIATE_HE_1M),
            link_uniforms(link_key, rows, sites, LINK_VARIATE_HE_LEVEL),
        ],
        axis=-1,
    ).reshape(he_rows.size, n_sites, 2)
    return LinkUniforms(u_los=u_los, he_rows=he_rows, u_he=u_he)


@dataclass(frozen=True)
class LargeScale:
    """Large-scale quantities of a block of UEs.

    los : bool [ue, site]
    pathloss_db, shadow_fading_db : float64 [ue, site]
    d_2d_m : float64 [ue, site]
    coupling_gain_db : float32 [ue, cell]
        Antenna gains - path loss - shadow fading - O2I loss (no transmit power). float32
        (0.01 dB resolution down to -1e5 dB) halves the memory of the largest array.
    """

    los: NDArray[np.bool_]
    pathloss_db: NDArray[np.float64]
    shadow_fading_db: NDArray[np.float64]
    d_2d_m: NDArray[np.float64]
    coupling_gain_db: NDArray[np.float32]


def bs_antenna_gain_dbi(
    dx_m: NDArray[np.float64],
    dy_m: NDArray[np.float64],
    dz_m: NDArray[np.float64],
    layout: Layout,
    params: ChannelParams,
) -> NDArray[np.float32]:
    """BS antenna gain towards each UE [ue, cell] (float32, dBi) from site-level vectors
    [ue, site].

    Without mechanical downtilt the LCS zenith equals the GCS zenith, so the vertical
    pattern and the column's array factor are computed once per UE-site link and only the
    horizontal pattern per cell (TR 38.901 7.1.3 with beta = 0; Table 7.3-1). With a
    mechanical downtilt the full GCS -> LCS chain runs per UE-cell link."""
    n_ue = dx_m.shape[0]
    if params.antenna_model == "omni":
        return np.zeros((n_ue, layout.n_cells), dtype=np.float32)
    n_el = params.n_elements if params.antenna_model == "column" else 1
    cs = layout.cell_site
    if params.mech_downtilt_deg != 0.0:
        return antenna.bs_antenna_gain_dbi(
            dx_m[:, cs],
            dy_m[:, cs],
            dz_m[:, cs],
            layout.cell_bearing_deg[None, :],
            params.mech_downtilt_deg,
            n_el,
            params.etilt_deg,
            spacing_wl=params.spacing_wl,
        ).astype(np.float32)
    # [ue, site]
    theta_deg, phi_deg = antenna.angles_from_vector_deg(dx_m, dy_m, dz_m)
    a_v_db = -np.minimum(12.0 * ((theta_deg - 90.0) / antenna.THETA_3DB_DEG) ** 2, antenna.SLA_V_DB)
    af_db = (
        antenna.column_array_factor_db(theta_deg, n_el, params.spacing_wl, params.etilt_deg)
        if n_el > 1
        else np.zeros_like(theta_deg)
    )
    a_v32 = a_v_db.astype(np.float32)
    phi32 = phi_deg.astype(np.float32)
    base32 = (af_db + antenna.G_E_MAX_DBI).astype(np.float32)
    # [ue, cell]: horizontal pattern per cell, combined with the site's vertical part
    dphi = phi32[:, cs] - layout.cell_bearing_deg.astype(np.float32)[None, :]
    dphi = np.abs(np.remainder(dphi + np.float32(180.0), np.float32(360.0)) - np.float32(180.0))
    k_h = np.float32(12.0 / antenna.PHI_3DB_DEG**2)
    a_h = np.minimum(k_h * dphi * dphi, np.float32(antenna.A_MAX_DB))  # attenuation >= 0
    att = np.minimum(a_h + (-a_v32)[:, cs], np.float32(antenna.A_MAX_DB))
    return base32[:, cs] - att


def large_scale_block(
    drop: UeDrop,
    ue_slice: slice,
    layout: Layout,
    params: ChannelParams,
    ue_o2i: UeO2I,
    fields: tuple[SiteShadowingField, SiteShadowingField] | None,
    *,
    link_key: int,
    los_field: SiteShadowingField | None = None,
    bilinear: bool = False,
    soft_los: bool = False,
) -> LargeScale:
    """Large-scale channel of the UEs in ``ue_slice`` to every cell.

    ``link_key`` keys the per-link variates (:func:`nrsim.rng.link_key`); ``los_field``
    (:func:`make_los_field`) makes the LOS state spatially consistent; ``bilinear`` reads
    the shadow-fading fields with the unit-variance bilinear interpolation instead of the
    nearest grid point (:mod:`nrsim.channel.field_read`); ``soft_los`` (with ``los_field``
    and ``bilinear``, moving UEs) takes the soft LOS state of TR 38.901 7.6.3.3: ``los`` is
    then LOS_soft > 1/2, ``pathloss_db`` the power mix of the LOS and NLOS path losses and
    ``shadow_fading_db`` the rest of the mixed loss. This NumPy implementation is the
    reference that the engine's compiled kernel is tested against."""
    xy = drop.xy_m[ue_slice]
    h_ut = drop.height_m[ue_slice]
    d_in = ue_o2i.d_2d_in_m[ue_slice]
    geo = link_geometry(xy, h_ut, layout.site_xy_m, layout.site_height_m, layout.wrap_shifts_m)
    n_ue, n_site = geo.d_2d_m.shape
    h_bs = layout.site_height_m[None, :]
    h_ut2 = h_ut[:, None]
    # [ue, site] LOS state on d_2D-out (Table 7.4.2-1)
    d_out = np.maximum(geo.d_2d_m - d_in[:, None], 0.0)
    p_los = los_probability(params.los_scenario, d_out, h_ut2)
    ue_index = np.arange(ue_slice.start or 0, (ue_slice.start or 0) + n_ue, dtype=np.int64)
    draws = draw_link_uniforms(h_ut, n_site, params.scenario, link_key=link_key, ue_index=ue_index)
    site_idx = np.arange(n_site)[None, :]
    soft = soft_los and bilinear and los_field is not None
    s_los = None
    if soft:  # 7.6.3.3: LOS_soft from the bilinear read of the same field
        s_los = soft_los_state_array(los_field.values(xy, site_idx, bilinear=True), p_los, soft_los_scale(params.fc_ghz))
        los = s_los > 0.5
    elif los_field is not None:  # 7.6.3.1: spatially consistent uniform Phi(G_s(x))
        los = los_from_gaussian_array(los_field.values(xy, site_idx), p_los)  # nearest grid point
    else:
        los = draws.u_los < p_los
    if soft:  # the path loss of both states on every link
        los_kind = (np.ones_like(los), np.zeros_like(los))
    else:
        los_kind = (los,)
    # [ue, site] path loss (Table 7.4.1-1) with the scenario's law and the h_E draws
    row = scenario_row(params.scenario)
    h_e = np.ones((n_ue, n_site))
    hi = draws.he_rows  # UMa UEs with h_UT >= 13 m (empty otherwise)
    h_e[hi] = pathloss.uma_effective_height_from_uniforms_m(
        draws.u_he[..., 0], draws.u_he[..., 1], geo.d_2d_m[hi], h_ut[hi][:, None]
    )
    pls, sfs = [], []
    for state in los_kind:
        pl = pathloss.pathloss_db(
            params.scenario, state, geo.d_2d_m, geo.d_3d_m, params.fc_ghz, h_bs, h_ut2, h_e,
            h_building_m=params.rma_building_height_m, w_street_m=params.rma_street_width_m,
        )
        # [ue, site] shadow fading
        if fields is not None:
            sigma = pathloss.shadow_fading_std_db(
                row.key, state, d_2d_m=geo.d_2d_m, fc_ghz=params.fc_ghz, h_bs_m=h_bs, h_ut_m=h_ut2
            )
            unit = np.where(
                state,
                fields[0].values(xy, site_idx, bilinear=bilinear),
                fields[1].values(xy, site_idx, bilinear=bilinear),
            )
            sf = sigma * unit
        else:
            sf = np.zeros((n_ue, n_site))
        pls.append(pl)
        sfs.append(sf)
    if soft:  # 7.6.3.3: LOS and NLOS mixed in power with weight LOS_soft^2
        pl = soft_los_loss_db_array(s_los, pls[0], pls[1])
        sf = soft_los_loss_db_array(s_los, pls[0] + sfs[0], pls[1] + sfs[1]) - pl
    else:
        pl, sf = pls[0], sfs[0]
    # [ue, cell]
    g_ant = bs_antenna_gain_dbi(geo.dx_m, geo.dy_m, geo.dz_m, layout, params)
    cs = layout.cell_site
    site_loss32 = (pl + sf + ue_o2i.loss_db[ue_slice][:, None] - params.ue_gain_dbi).astype(
        np.float32
    )
    coupling = g_ant
    coupling -= site_loss32[:, cs]
    return LargeScale(
        los=los, pathloss_db=pl, shadow_fading_db=sf, d_2d_m=geo.d_2d_m, coupling_gain_db=coupling
    )
