"""One snapshot drop: UEs -> large-scale channel -> serving cell and SINR -> throughput.

Everything here is driven by a :class:`~nrsim.config.ScenarioConfig`; the physics lives in
the deployment, channel, radio and link packages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nrsim.channel.large_scale import (
    UE_BLOCK,
    ChannelParams,
    draw_link_uniforms,
    make_shadowing_fields,
    sample_ue_o2i,
)
from nrsim.channel.tr38901 import antenna as tr_antenna
from nrsim.channel.tr38901 import pathloss as tr_pathloss
from nrsim.engine import dense_kernel as dk
from nrsim.config.schema import ScenarioConfig
from nrsim.deployment.layout import Layout, hex_layout, inh_office_layout
from nrsim.deployment.ue_drop import drop_ues
from nrsim.link.numerology import SUBCARRIERS_PER_RB, n_rb
from nrsim.link.spectral_efficiency import attenuated_shannon_efficiency, cqi_spectral_efficiency
from nrsim.radio.link_budget import noise_power_dbm, rsrp_dbm
from nrsim.units import db_to_lin, lin_to_db
from nrsim.rng import stream

UE_COLUMNS: tuple[str, ...] = (
    "drop", "ue", "x_m", "y_m", "height_m", "indoor", "floor", "los", "serving_cell",
    "d_2d_m", "pathloss_db", "shadow_fading_db", "o2i_loss_db", "coupling_loss_db",
    "rsrp_dbm", "sinr_db", "sir_db", "snr_db", "spectral_efficiency_bps_per_hz",
    "throughput_bps",
)
CELL_COLUMNS: tuple[str, ...] = (
    "drop", "cell", "site", "x_m", "y_m", "bearing_deg", "n_ue",
    "throughput_bps", "spectral_efficiency_bps_per_hz",
)


def build_layout(cfg: ScenarioConfig) -> Layout:
    dep = cfg.deployment
    if dep.layout == "inh-office":
        return inh_office_layout(dep.bs_height_m, sectors_per_site=dep.sectors_per_site)
    return hex_layout(
        dep.rings,
        dep.isd_m,
        dep.bs_height_m,
        sectors_per_site=dep.sectors_per_site,
        wraparound=dep.wraparound,
    )


def channel_params(cfg: ScenarioConfig) -> ChannelParams:
    ch, ant = cfg.channel, cfg.antenna
    return ChannelParams(
        scenario=ch.scenario,
        fc_ghz=ch.fc_ghz,
        inh_variant=ch.inh_variant,
        o2i_model=ch.o2i_model,
        o2i_high_loss_fraction=ch.o2i_high_loss_fraction,
        shadowing=ch.shadowing,
        antenna_model=ant.model,
        n_elements=ant.n_elements,
        spacing_wl=ant.spacing_wl,
        etilt_deg=ant.etilt_deg,
        mech_downtilt_deg=ant.mech_downtilt_deg,
        ue_gain_dbi=ant.ue_gain_dbi,
        rma_building_height_m=ch.rma_building_height_m,
        rma_street_width_m=ch.rma_street_width_m,
    )


def _static_kernel_args(
    cfg: ScenarioConfig, layout: Layout, params: ChannelParams, fields
) -> dict[str, tuple]:
    """The arguments of :func:`dense_kernel.dense_drop_kernel` that do not change per block."""
    if np.any(np.diff(layout.cell_site) < 0):
        raise ValueError("the dense kernel needs cells ordered by site")
    n_cells = layout.n_cells
    lay = (
        layout.site_xy_m[:, 0].copy(), layout.site_xy_m[:, 1].copy(), layout.site_height_m,
        np.ascontiguousarray(layout.wrap_shifts_m, dtype=np.float64),
        layout.cell_site, layout.cell_bearing_deg,
        np.full(n_cells, float(cfg.radio.tx_power_dbm)),
        np.full(n_cells, float(cfg.radio.load)),
    )
    scn = {"uma": dk.SCN_UMA, "umi": dk.SCN_UMI, "rma": dk.SCN_RMA, "inh": dk.SCN_INH}[params.scenario]
    los_code = {
        "uma": dk.LOS_UMA, "umi": dk.LOS_UMI, "rma": dk.LOS_RMA,
        "inh-mixed": dk.LOS_INH_MIXED, "inh-open": dk.LOS_INH_OPEN,
    }[params.los_scenario]
    ant = {"omni": dk.ANT_OMNI, "element": dk.ANT_ELEMENT, "column": dk.ANT_COLUMN}[params.antenna_model]
    chan = (
        scn, los_code, float(params.fc_ghz), float(params.rma_building_height_m),
        float(params.rma_street_width_m),
        ant, int(params.n_elements), float(params.spacing_wl), float(params.etilt_deg),
        float(params.mech_downtilt_deg), float(params.ue_gain_dbi),
        tr_antenna.THETA_3DB_DEG, tr_antenna.PHI_3DB_DEG, tr_antenna.SLA_V_DB,
        tr_antenna.A_MAX_DB, tr_antenna.G_E_MAX_DBI,
    )
    sig_los = float(tr_pathloss.shadow_fading_std_db(params.scenario, True))
    sig_nlos = float(tr_pathloss.shadow_fading_std_db(params.scenario, False))
    sig_rma_after = float(
        tr_pathloss.shadow_fading_std_db(
            "rma", True, d_2d_m=np.inf, fc_ghz=1.0, h_bs_m=35.0, h_ut_m=1.5
        )
    )
    if fields is None:
        dummy_f = np.zeros((1, 1), dtype=np.float32)
        dummy_o = np.zeros((layout.n_sites, 2), dtype=np.int64)
        org = np.zeros(2)
        sh = (False, dummy_f, dummy_o, org, 1.0, sig_los, dummy_f, dummy_o, org, 1.0, sig_nlos, sig_rma_after)
    else:
        fl, fn = fields
        sh = (
            True,
            fl.field, fl.site_offset_cells, fl.origin_m, float(fl.step_m), sig_los,
            fn.field, fn.site_offset_cells, fn.origin_m, float(fn.step_m), sig_nlos,
            sig_rma_after,
        )
    return {"layout": lay, "channel": chan, "shadowing": sh}


@dataclass(frozen=True)
class DropResult:
    """Per-UE and per-cell columns of one drop (dicts of equal-length 1-D arrays)."""

    ue: dict[str, NDArray]
    cell: dict[str, NDArray]


def snapshot_drop(cfg: ScenarioConfig, drop: int, *, layout: Layout | None = None) -> DropResult:
    """Simulate drop number ``drop`` of ``cfg`` (random streams keyed by seed, drop, name)."""
    layout = layout if layout is not None else build_layout(cfg)
    params = channel_params(cfg)
    seed = cfg.seed
    dep = cfg.deployment
    ue_cfg = dep.ue
    ues = drop_ues(
        layout,
        per_sector=ue_cfg.per_sector,
        min_distance_2d_m=ue_cfg.min_distance_2d_m,
        indoor_fraction=ue_cfg.indoor_fraction,
        outdoor_height_m=ue_cfg.outdoor_height_m,
        indoor_floors=ue_cfg.indoor_floors,
        building_floors_min=ue_cfg.building_floors_min,
        building_floors_max=ue_cfg.building_floors_max,
        indoor_height_m=ue_cfg.indoor_height_m,
        rng=stream(seed, "ue_drop", drop=drop),
    )
    o2i_state = sample_ue_o2i(ues, params, rng=stream(seed, "o2i", drop=drop))
    fields = make_shadowing_fields(ues, layout, params, rng=stream(seed, "shadowing", drop=drop))

    radio = cfg.radio
    bandwidth_hz = radio.bandwidth_mhz * 1e6
    n_sc = n_rb(radio.bandwidth_mhz, radio.scs_khz, cfg.channel.fc_ghz) * SUBCARRIERS_PER_RB
    noise_dbm = noise_power_dbm(bandwidth_hz, radio.ue_noise_figure_db)

    n = ues.n_ue
    out = {
        "serving_cell": np.zeros(n, dtype=np.int64),
        "los": np.zeros(n, dtype=bool),
        "d_2d_m": np.zeros(n),
        "pathloss_db": np.zeros(n),
        "shadow_fading_db": np.zeros(n),
        "coupling_loss_db": np.zeros(n),
        "rsrp_dbm": np.zeros(n),
        "sinr_db": np.zeros(n),
        "sir_db": np.zeros(n),
        "snr_db": np.zeros(n),
    }
    kernel_args = _static_kernel_args(cfg, layout, params, fields)
    noise_mw = float(db_to_lin(noise_dbm))
    for block, start in enumerate(range(0, n, UE_BLOCK)):
        sl = slice(start, min(start + UE_BLOCK, n))
        draws = draw_link_uniforms(
            ues.height_m[sl], layout.n_sites, params.scenario,
            rng=stream(seed, f"links/{block}", drop=drop),
        )
        he_row = np.full(sl.stop - sl.start, -1, dtype=np.int64)
        he_row[draws.he_rows] = np.arange(draws.he_rows.size)
        m = sl.stop - sl.start
        serv = np.empty(m, dtype=np.int64)
        rx_dbm = np.empty(m)
        gain_db = np.empty(m)
        interf_mw = np.empty(m)
        los = np.empty(m, dtype=np.bool_)
        d2d, pl, sf = np.empty(m), np.empty(m), np.empty(m)
        dk.dense_drop_kernel(
            ues.xy_m[sl, 0].copy(), ues.xy_m[sl, 1].copy(), ues.height_m[sl],
            o2i_state.d_2d_in_m[sl], o2i_state.loss_db[sl], ues.home_cell[sl],
            *kernel_args["layout"],
            *kernel_args["channel"],
            draws.u_los, he_row, draws.u_he,
            *kernel_args["shadowing"],
            float(radio.handover_margin_db),
            serv, rx_dbm, gain_db, interf_mw, los, d2d, pl, sf,
        )
        out["serving_cell"][sl] = serv
        out["los"][sl] = los
        out["d_2d_m"][sl] = d2d
        out["pathloss_db"][sl] = pl
        out["shadow_fading_db"][sl] = sf
        out["coupling_loss_db"][sl] = -gain_db
        out["rsrp_dbm"][sl] = rsrp_dbm(rx_dbm, n_sc)
        out["sinr_db"][sl] = rx_dbm - lin_to_db(interf_mw + noise_mw)
        with np.errstate(divide="ignore"):
            out["sir_db"][sl] = np.where(interf_mw > 0, rx_dbm - lin_to_db(interf_mw), np.inf)
        out["snr_db"][sl] = rx_dbm - noise_dbm

    # snapshot throughput: full buffer, each cell's bandwidth shared equally by its UEs
    link = cfg.link
    if link.model == "cqi":
        se = cqi_spectral_efficiency(out["sinr_db"], link.cqi_thresholds)
    else:
        se = attenuated_shannon_efficiency(
            out["sinr_db"],
            alpha=link.shannon_alpha,
            sinr_min_db=link.shannon_sinr_min_db,
            max_bps_per_hz=link.shannon_max_bps_per_hz,
        )
    n_ue_cell = np.bincount(out["serving_cell"], minlength=layout.n_cells)
    share = 1.0 / np.maximum(n_ue_cell[out["serving_cell"]], 1)
    thr = (1.0 - link.overhead_fraction) * bandwidth_hz * share * se
    cell_thr = np.bincount(out["serving_cell"], weights=thr, minlength=layout.n_cells)

    ue_cols: dict[str, NDArray] = {
        "drop": np.full(n, drop, dtype=np.int64),
        "ue": np.arange(n, dtype=np.int64),
        "x_m": ues.xy_m[:, 0],
        "y_m": ues.xy_m[:, 1],
        "height_m": ues.height_m,
        "indoor": ues.indoor,
        "floor": ues.floor,
        "o2i_loss_db": o2i_state.loss_db,
        "spectral_efficiency_bps_per_hz": se,
        "throughput_bps": thr,
        **out,
    }
    cell_xy = layout.cell_xy_m
    cell_cols: dict[str, NDArray] = {
        "drop": np.full(layout.n_cells, drop, dtype=np.int64),
        "cell": np.arange(layout.n_cells, dtype=np.int64),
        "site": layout.cell_site,
        "x_m": cell_xy[:, 0],
        "y_m": cell_xy[:, 1],
        "bearing_deg": layout.cell_bearing_deg,
        "n_ue": n_ue_cell.astype(np.int64),
        "throughput_bps": cell_thr,
        "spectral_efficiency_bps_per_hz": cell_thr / bandwidth_hz,
    }
    return DropResult(
        ue={k: ue_cols[k] for k in UE_COLUMNS}, cell={k: cell_cols[k] for k in CELL_COLUMNS}
    )
