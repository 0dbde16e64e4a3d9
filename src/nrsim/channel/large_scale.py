"""One large-scale drop of TR 38.901 V17.0.0: LOS state, path loss, shadow fading, O2I
penetration and BS antenna gain, combined into the coupling gain of every UE-cell link.

Modelling choices (each one matches the 3GPP calibration, see docs/modelling.md):
- LOS state, UMa effective height h_E and shadow fading are per UE-site link, shared by the
  co-sited sectors (they describe the propagation path, not the antenna).
- O2I penetration is per UE (the building is the UE's): building type, indoor distance and
  the O2I shadowing sigma_P are drawn once per indoor UE (7.4.3.1).
- LOS probability of indoor UEs uses d_2D-out = d_2D - d_2D-in (Table 7.4.2-1 note).
- Random draws per link come from per-block streams (``UE_BLOCK`` UEs per block), so any
  chunking of UEs that respects block boundaries gives identical numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nrsim.channel.shadowing_field import SiteShadowingField
from nrsim.channel.tr38901 import antenna, o2i, pathloss
from nrsim.channel.tr38901.los_probability import los_probability
from nrsim.deployment.geometry import link_geometry
from nrsim.deployment.layout import Layout
from nrsim.deployment.ue_drop import UeDrop

UE_BLOCK = 4096
"""UEs per random-number block (fixed: changing it changes the draws)."""


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

    @property
    def los_scenario(self) -> str:
        return f"inh-{self.inh_variant}" if self.scenario == "inh" else self.scenario


@dataclass(frozen=True)
class UeO2I:
    """Per-UE outdoor-to-indoor state. Arrays [ue]."""

    d_2d_in_m: NDArray[np.float64]
    high_loss: NDArray[np.bool_]
    loss_db: NDArray[np.float64]


def sample_ue_o2i(drop: UeDrop, params: ChannelParams, *, rng: np.random.Generator) -> UeO2I:
    """Building type, indoor distance and O2I loss of every UE (zero for outdoor UEs and for
    InH, where UEs and BSs share the hall)."""
    n = drop.n_ue
    if params.scenario == "inh":
        z = np.zeros(n)
        return UeO2I(d_2d_in_m=z, high_loss=np.zeros(n, dtype=bool), loss_db=z.copy())
    if params.o2i_model == "mixed":
        high = rng.random(n) < params.o2i_high_loss_fraction
    else:
        high = np.full(n, params.o2i_model == "high")
    d_in = o2i.sample_indoor_distance_m((n,), params.scenario, rng=rng)
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
    if drop.n_ue:
        lo = drop.xy_m.min(axis=0)
        hi = drop.xy_m.max(axis=0)
    else:
        lo = hi = np.zeros(2)
    extent = float(np.max(hi - lo)) + 1.0
    fields = []
    for los in (True, False):
        d_corr = float(pathloss.shadow_fading_decorrelation_m(params.scenario, los))
        fields.append(SiteShadowingField(lo, extent, layout.n_sites, d_corr, rng=rng))
    return fields[0], fields[1]


@dataclass(frozen=True)
class LargeScale:
    """Large-scale quantities of a block of UEs.

    los : bool [ue, site]
    pathloss_db, shadow_fading_db : float64 [ue, site]
    d_2d_m : float64 [ue, site]
    coupling_gain_db : float64 [ue, cell]
        Antenna gains - path loss - shadow fading - O2I loss (no transmit power).
    """

    los: NDArray[np.bool_]
    pathloss_db: NDArray[np.float64]
    shadow_fading_db: NDArray[np.float64]
    d_2d_m: NDArray[np.float64]
    coupling_gain_db: NDArray[np.float64]


def bs_antenna_gain_dbi(
    dx_m: NDArray[np.float64],
    dy_m: NDArray[np.float64],
    dz_m: NDArray[np.float64],
    layout: Layout,
    params: ChannelParams,
) -> NDArray[np.float64]:
    """BS antenna gain towards each UE [ue, cell] from site-level vectors [ue, site]."""
    n_ue = dx_m.shape[0]
    if params.antenna_model == "omni":
        return np.zeros((n_ue, layout.n_cells))
    n_el = params.n_elements if params.antenna_model == "column" else 1
    cs = layout.cell_site
    return antenna.bs_antenna_gain_dbi(
        dx_m[:, cs],
        dy_m[:, cs],
        dz_m[:, cs],
        layout.cell_bearing_deg[None, :],
        params.mech_downtilt_deg,
        n_el,
        params.etilt_deg,
        spacing_wl=params.spacing_wl,
    )


def large_scale_block(
    drop: UeDrop,
    ue_slice: slice,
    layout: Layout,
    params: ChannelParams,
    ue_o2i: UeO2I,
    fields: tuple[SiteShadowingField, SiteShadowingField] | None,
    *,
    rng: np.random.Generator,
) -> LargeScale:
    """Large-scale channel of the UEs in ``ue_slice`` to every cell.

    ``rng`` must be the block's own stream (see ``UE_BLOCK``)."""
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
    los = rng.random((n_ue, n_site)) < p_los
    # [ue, site] path loss
    if params.scenario == "uma":
        h_e = pathloss.sample_uma_effective_height_m(geo.d_2d_m, h_ut2 + 0.0 * geo.d_2d_m, rng=rng)
        pl = np.where(
            los,
            pathloss.pathloss_uma_los_db(geo.d_2d_m, geo.d_3d_m, params.fc_ghz, h_bs, h_ut2, h_e),
            pathloss.pathloss_uma_nlos_db(geo.d_2d_m, geo.d_3d_m, params.fc_ghz, h_bs, h_ut2, h_e),
        )
    elif params.scenario == "rma":
        kw = dict(
            h_building_m=params.rma_building_height_m, w_street_m=params.rma_street_width_m
        )
        pl = np.where(
            los,
            pathloss.pathloss_rma_los_db(geo.d_2d_m, geo.d_3d_m, params.fc_ghz, h_bs, h_ut2, **kw),
            pathloss.pathloss_rma_nlos_db(geo.d_2d_m, geo.d_3d_m, params.fc_ghz, h_bs, h_ut2, **kw),
        )
    else:
        pl = pathloss.pathloss_db(
            params.scenario, los, geo.d_2d_m, geo.d_3d_m, params.fc_ghz, h_bs, h_ut2
        )
    # [ue, site] shadow fading
    if fields is not None:
        site_idx = np.arange(n_site)[None, :]
        if params.scenario == "rma":
            sigma = pathloss.shadow_fading_std_db(
                "rma", los, d_2d_m=geo.d_2d_m, fc_ghz=params.fc_ghz, h_bs_m=h_bs, h_ut_m=h_ut2
            )
        else:
            sigma = pathloss.shadow_fading_std_db(params.scenario, los)
        unit = np.where(los, fields[0].values(xy, site_idx), fields[1].values(xy, site_idx))
        sf = sigma * unit
    else:
        sf = np.zeros((n_ue, n_site))
    # [ue, cell]
    g_ant = bs_antenna_gain_dbi(geo.dx_m, geo.dy_m, geo.dz_m, layout, params)
    cs = layout.cell_site
    coupling = (
        g_ant + params.ue_gain_dbi - (pl + sf)[:, cs] - ue_o2i.loss_db[ue_slice][:, None]
    )
    return LargeScale(
        los=los, pathloss_db=pl, shadow_fading_db=sf, d_2d_m=geo.d_2d_m, coupling_gain_db=coupling
    )
