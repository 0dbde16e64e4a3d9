"""One snapshot drop: UEs -> large-scale channel -> serving cell and SINR -> throughput.

A drop is prepared once (:func:`prepare_drop`: layout, UE drop, O2I, shadowing fields, the
link key) and its UEs are then processed in chunks (:func:`radio_chunk`), independently and
in any order or process, with identical results. Throughput needs the number of UEs per
cell, so it is applied after all chunks (:func:`apply_throughput`). Everything is driven by
a :class:`~nrsim.config.ScenarioConfig`; the physics lives in the deployment, channel, radio
and link packages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nrsim.channel.large_scale import (
    UE_BLOCK,
    ChannelParams,
    UeO2I,
    field_area,
    sample_ue_o2i,
)
from nrsim.channel.shadowing_field import SiteShadowingField
from nrsim.channel.field_read import soft_los_scale
from nrsim.channel.tr38901 import antenna as tr_antenna
from nrsim.channel.tr38901.scenarios import scenario as scenario_row
from nrsim.engine import dense_kernel as dk
from nrsim.config.schema import ScenarioConfig
from nrsim.deployment.build import area_positions, build_layout, site_scenarios
from nrsim.deployment.layout import Layout
from nrsim.deployment.identity import CellIdentity, cell_identity, ue_identity_columns
from nrsim.deployment.ue_drop import UeDrop, drop_ues
from nrsim.engine.candidates import nearest_sites
from nrsim.engine.ssb_link import SSB_COLUMNS, SsbKernel, drop_cell_beams
from nrsim.errors import ConfigError
from nrsim.link.numerology import SUBCARRIERS_PER_RB, n_rb
from nrsim.link.spectral_efficiency import attenuated_shannon_efficiency, cqi_spectral_efficiency
from nrsim.radio.link_budget import noise_power_dbm, rsrp_dbm
from nrsim.rng import link_key, stream
from nrsim.units import db_to_lin, lin_to_db

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
        los_spatial_consistency=ch.los_spatial_consistency,
    )


@dataclass(frozen=True)
class DropState:
    """Everything of one drop that its UE chunks share. Cheap to rebuild from
    (config, drop), which is all a worker receives."""

    drop: int
    layout: Layout
    params: ChannelParams
    ues: UeDrop
    o2i: UeO2I
    link_key: int
    site_scn: NDArray[np.int64]
    site_los_code: NDArray[np.int64]
    site_sig: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]
    site_fields: tuple[NDArray[np.int64], NDArray[np.int64]]
    fields: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None
    """(stack [field, n, n], n [field], step [field], origin [field, 2], site offsets
    [field, site, 2], bilinear rho [field, 2]): the shadow-fading fields, then the LOS-state
    fields; None when there is neither."""
    site_cell_start: NDArray[np.int64]
    sparse: bool
    site_f_lst: NDArray[np.int64] | None = None
    """[site] index in ``fields`` of the site's LOS-state field (7.6.3.1), or None when the
    LOS state uses the per-link uniform (``channel.los_spatial_consistency = false``)."""
    bilinear: bool = False
    """Read the shadow-fading fields with the unit-variance bilinear interpolation (moving
    UEs) instead of the nearest grid point (:mod:`nrsim.channel.field_read`); the LOS-state
    fields are read at the nearest grid point unless ``soft_los``."""
    soft_los: bool = False
    """Moving UEs with the spatially consistent LOS state: the soft LOS state of TR 38.901
    7.6.3.3 (LOS field read bilinearly, LOS and NLOS mixed in power); needs ``bilinear``."""


_ANT_CODE = {"omni": dk.ANT_OMNI, "element": dk.ANT_ELEMENT, "column": dk.ANT_COLUMN}


def is_sparse(cfg: ScenarioConfig, layout: Layout) -> bool:
    mode = cfg.interference.mode
    if mode == "dense":
        return False
    if layout.wrap_shifts_m.shape[0] > 1:
        if mode == "sparse":
            raise ConfigError(
                "interference.mode = 'sparse' needs deployment.wraparound = false "
                "(wrap-around layouts are small enough to run dense)",
                field="interference.mode",
            )
        return False
    if mode == "sparse":
        return True
    return layout.n_sites > cfg.interference.auto_dense_max_sites


def prepare_drop(cfg: ScenarioConfig, drop: int, *, layout: Layout | None = None) -> DropState:
    """UE drop, O2I state and shadowing fields of drop number ``drop`` (random streams keyed
    by seed, drop and name)."""
    layout = layout if layout is not None else build_layout(cfg)
    if np.any(np.diff(layout.cell_site) < 0):
        raise ValueError("cells must be ordered by site")
    params = channel_params(cfg)
    seed = cfg.seed
    ue_cfg = cfg.deployment.ue
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
        positions_m=area_positions(cfg, layout, rng=stream(seed, "ue_area", drop=drop))
        if ue_cfg.placement == "area" else None,
        rng=stream(seed, "ue_drop", drop=drop),
    )
    scn_names = site_scenarios(cfg, layout)
    if layout.site_scenario is not None and ues.n_ue:
        # O2I indoor-distance law per the UE's own environment (7.4.3.1)
        home_scn = np.asarray(scn_names)[layout.cell_site[ues.home_cell]]
        o2i_state = sample_ue_o2i(
            ues, params, rng=stream(seed, "o2i", drop=drop), ue_scenario=home_scn
        )
    else:
        o2i_state = sample_ue_o2i(ues, params, rng=stream(seed, "o2i", drop=drop))
    names, inverse = np.unique(np.asarray(scn_names), return_inverse=True)
    per = {}
    for x in names:  # the registry row of each environment (channel/tr38901/scenarios.py)
        row = scenario_row(x)
        per[x] = (
            row.pathloss_law, row.los_law(params.inh_variant), row.sigma_sf_los_db,
            row.sigma_sf_los_after_bp_db, row.sigma_sf_nlos_db,
            row.sf_decorrelation_los_m, row.sf_decorrelation_nlos_m,
        )
    table = np.asarray([per[x] for x in names])  # [scenario, 7]
    site_vals = table[inverse]  # [site, 7]
    site_scn = site_vals[:, 0].astype(np.int64)
    site_los = site_vals[:, 1].astype(np.int64)
    sig_l, sig_after, sig_n = site_vals[:, 2], site_vals[:, 3], site_vals[:, 4]
    # one field per distinct decorrelation distance (Table 7.5-6), LOS then NLOS per
    # environment in order of first appearance
    distinct: list[float] = []
    for x in dict.fromkeys(scn_names):
        for d in (per[x][5], per[x][6]):
            if d not in distinct:
                distinct.append(d)
    f_los = np.asarray([distinct.index(per[x][5]) for x in names], dtype=np.int64)[inverse]
    f_nlos = np.asarray([distinct.index(per[x][6]) for x in names], dtype=np.int64)[inverse]
    made: list[SiteShadowingField] = []
    lo, extent = field_area(ues)
    if params.shadowing:
        rng_sf = stream(seed, "shadowing", drop=drop)
        made = [SiteShadowingField(lo, extent, layout.n_sites, d, rng=rng_sf) for d in distinct]
    site_f_lst = None
    if params.los_spatial_consistency:
        # LOS-state fields (7.6.3.1, Table 7.6.3.1-2), one per distinct correlation distance,
        # from their own stream so that the shadowing and the UE drop do not move
        d_los = {x: scenario_row(x).los_state_correlation_m for x in names}
        distinct_los = list(dict.fromkeys(d_los[x] for x in dict.fromkeys(scn_names)))
        rng_los = stream(seed, "los_field", drop=drop)
        base = len(made)
        made += [SiteShadowingField(lo, extent, layout.n_sites, d, rng=rng_los) for d in distinct_los]
        site_f_lst = (base + np.asarray([distinct_los.index(d_los[x]) for x in names], dtype=np.int64))[inverse]
    fields = None
    if made:
        nmax = max(f.n for f in made)
        stack = np.zeros((len(made), nmax, nmax), dtype=np.float32)
        for q, f in enumerate(made):
            stack[q, : f.n, : f.n] = f.field
        fields = (
            stack,
            np.asarray([f.n for f in made], dtype=np.int64),
            np.asarray([f.step_m for f in made]),
            np.stack([f.origin_m for f in made]),
            np.stack([f.site_offset_cells for f in made]).astype(np.int64),
            np.asarray([f.rho for f in made], dtype=np.float64),
        )
    counts = np.bincount(layout.cell_site, minlength=layout.n_sites)
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return DropState(
        drop=drop, layout=layout, params=params, ues=ues, o2i=o2i_state,
        link_key=link_key(seed, drop), site_scn=site_scn, site_los_code=site_los,
        site_sig=(sig_l, sig_after, sig_n), site_fields=(f_los, f_nlos), fields=fields,
        site_cell_start=start, sparse=is_sparse(cfg, layout), site_f_lst=site_f_lst,
    )


def radio_chunk(
    cfg: ScenarioConfig,
    state: DropState,
    start: int,
    stop: int,
    *,
    rx_cells_dbm: NDArray[np.float32] | None = None,
    rx_links: tuple[NDArray[np.float32], NDArray[np.int64]] | None = None,
    cand_sites: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None,
) -> dict[str, NDArray]:
    """Per-UE radio columns (everything but throughput) of UEs ``start..stop`` of a drop
    (with a BS array, the serving cell by SSB beams and the :data:`SSB_COLUMNS`).

    With ``rx_cells_dbm`` (float32 [stop - start, cell], dense form only), the received power
    of every cell is written there too (for measurements and handover). With ``rx_links`` =
    (float32 [stop - start, m], int64 [stop - start, m]; m = :func:`n_link_slots`), the
    received power [dBm] of each UE's candidate links and their cells (the sparse link form:
    candidate site kk's q-th cell in column kk * cells per site + q; columns of no link are
    left as they are: the caller fills them with -inf dBm). ``cand_sites`` = (sites int64
    [stop - start, k], their count int64 [stop - start]) replaces the sparse form's nearest
    sites (a moving UE's candidates along its path, :mod:`nrsim.engine.link_steps`)."""
    layout, params, ues, o2i_state = state.layout, state.params, state.ues, state.o2i
    radio = cfg.radio
    bandwidth_hz = radio.bandwidth_mhz * 1e6
    n_sc = n_rb(radio.bandwidth_mhz, radio.scs_khz, cfg.channel.fc_ghz) * SUBCARRIERS_PER_RB
    noise_dbm = noise_power_dbm(bandwidth_hz, radio.ue_noise_figure_db)
    noise_mw = float(db_to_lin(noise_dbm))
    n_cells = layout.n_cells
    ant = cfg.antenna
    cell_tx = (
        layout.cell_tx_power_dbm if layout.cell_tx_power_dbm is not None
        else np.full(n_cells, float(radio.tx_power_dbm))
    )
    cell_etilt = (
        layout.cell_etilt_deg if layout.cell_etilt_deg is not None
        else np.full(n_cells, float(ant.etilt_deg))
    )
    cell_mtilt = (
        layout.cell_mech_downtilt_deg if layout.cell_mech_downtilt_deg is not None
        else np.full(n_cells, float(ant.mech_downtilt_deg))
    )
    cell_load = np.full(n_cells, float(radio.load))
    if state.fields is None:
        f_args = (
            False, np.zeros((1, 1, 1), dtype=np.float32), np.ones(1, dtype=np.int64),
            np.ones(1), np.zeros((1, 2)), np.zeros((1, layout.n_sites, 2), dtype=np.int64),
            np.zeros((1, 2)),
        )
    else:
        f_args = (bool(params.shadowing), *state.fields)
    los_sc = state.site_f_lst is not None
    f_args = (
        *f_args, bool(state.bilinear), los_sc,
        state.site_f_lst if los_sc else np.zeros(layout.n_sites, dtype=np.int64),
        bool(los_sc and state.bilinear and state.soft_los), soft_los_scale(float(params.fc_ghz)),
    )
    m = stop - start
    beams = drop_cell_beams(cfg, layout)  # SSB beam-based cell selection (engine/ssb_link.py)
    kernel = dk.drop_kernel if beams is None else SsbKernel(
        cfg, beams, sparse=state.sparse, n_subcarriers=n_sc, start=start, stop=stop)
    cols = {
        "serving_cell": np.empty(m, dtype=np.int64), "los": np.empty(m, dtype=np.bool_),
        "d_2d_m": np.empty(m), "pathloss_db": np.empty(m), "shadow_fading_db": np.empty(m),
        "coupling_loss_db": np.empty(m), "rsrp_dbm": np.empty(m), "sinr_db": np.empty(m),
        "sir_db": np.empty(m), "snr_db": np.empty(m),
    }
    for b0 in range(start, stop, UE_BLOCK):
        b1 = min(b0 + UE_BLOCK, stop)
        sl = slice(b0, b1)
        xy = ues.xy_m[sl]
        if state.sparse and cand_sites is not None:
            cand = np.ascontiguousarray(cand_sites[0][b0 - start : b1 - start])
            n_cand = np.ascontiguousarray(cand_sites[1][b0 - start : b1 - start])
        elif state.sparse:
            cand, n_cand = nearest_sites(
                xy, layout.site_xy_m, cfg.interference.k_sites,
                max_distance_m=cfg.interference.max_distance_m,
            )
        else:
            cand = np.broadcast_to(np.arange(layout.n_sites, dtype=np.int64), (b1 - b0, layout.n_sites))
            n_cand = np.full(b1 - b0, layout.n_sites, dtype=np.int64)
        k = b1 - b0
        serv = np.empty(k, dtype=np.int64)
        rx_dbm, gain_db, interf_mw = np.empty(k), np.empty(k), np.empty(k)
        los = np.empty(k, dtype=np.bool_)
        d2d, pl, sf = np.empty(k), np.empty(k), np.empty(k)
        rx_out = (
            rx_cells_dbm[b0 - start : b1 - start] if rx_cells_dbm is not None
            else np.zeros((0, 0), dtype=np.float32)
        )
        if rx_links is not None:
            links_out = (rx_links[0][b0 - start : b1 - start], rx_links[1][b0 - start : b1 - start])
        else:
            links_out = (np.zeros((0, 0), dtype=np.float32), np.zeros((0, 0), dtype=np.int64))
        kernel(
            np.arange(b0, b1, dtype=np.int64), xy[:, 0].copy(), xy[:, 1].copy(),
            ues.height_m[sl], o2i_state.d_2d_in_m[sl], o2i_state.loss_db[sl], ues.home_cell[sl],
            cand, n_cand,
            layout.site_xy_m[:, 0].copy(), layout.site_xy_m[:, 1].copy(), layout.site_height_m,
            np.ascontiguousarray(layout.wrap_shifts_m, dtype=np.float64),
            state.site_scn, state.site_los_code, state.site_fields[0], state.site_fields[1],
            state.site_sig[0], state.site_sig[1], state.site_sig[2],
            state.site_cell_start, layout.cell_bearing_deg, cell_tx, cell_load,
            float(params.fc_ghz), float(params.rma_building_height_m), float(params.rma_street_width_m),
            _ANT_CODE[params.antenna_model], int(ant.n_elements), float(ant.spacing_wl),
            np.ascontiguousarray(cell_etilt, dtype=np.float64),
            np.ascontiguousarray(cell_mtilt, dtype=np.float64), float(ant.ue_gain_dbi),
            tr_antenna.THETA_3DB_DEG, tr_antenna.PHI_3DB_DEG, tr_antenna.SLA_V_DB,
            tr_antenna.A_MAX_DB, tr_antenna.G_E_MAX_DBI,
            np.uint64(state.link_key),
            *f_args,
            float(radio.handover_margin_db),
            serv, rx_dbm, gain_db, interf_mw, los, d2d, pl, sf,
            rx_out, *links_out,
        )
        o = slice(b0 - start, b1 - start)
        cols["serving_cell"][o] = serv
        cols["los"][o] = los
        cols["d_2d_m"][o] = d2d
        cols["pathloss_db"][o] = pl
        cols["shadow_fading_db"][o] = sf
        cols["coupling_loss_db"][o] = -gain_db
        cols["rsrp_dbm"][o] = rsrp_dbm(rx_dbm, n_sc)
        cols["sinr_db"][o] = rx_dbm - lin_to_db(interf_mw + noise_mw)
        with np.errstate(divide="ignore"):
            cols["sir_db"][o] = np.where(interf_mw > 0, rx_dbm - lin_to_db(interf_mw), np.inf)
        cols["snr_db"][o] = rx_dbm - noise_dbm
    sl = slice(start, stop)
    link = cfg.link
    if link.model == "cqi":
        se = cqi_spectral_efficiency(cols["sinr_db"], link.cqi_thresholds)
    else:
        se = attenuated_shannon_efficiency(
            cols["sinr_db"], alpha=link.shannon_alpha, sinr_min_db=link.shannon_sinr_min_db,
            max_bps_per_hz=link.shannon_max_bps_per_hz,
        )
    out = {
        "drop": np.full(m, state.drop, dtype=np.int64),
        "ue": np.arange(start, stop, dtype=np.int64),
        "x_m": ues.xy_m[sl, 0], "y_m": ues.xy_m[sl, 1], "height_m": ues.height_m[sl],
        "indoor": ues.indoor[sl], "floor": ues.floor[sl],
        "o2i_loss_db": o2i_state.loss_db[sl],
        "spectral_efficiency_bps_per_hz": se,
        **cols,
        **(kernel.columns() if beams is not None else {}),
    }
    return out


def n_link_slots(cfg: ScenarioConfig, state: DropState, n_sites: int | None = None) -> int:
    """Columns of the sparse link form of :func:`radio_chunk` (``rx_links``): the candidate
    sites per UE (``n_sites``; default ``interference.k_sites``, at most all sites) times the
    most cells of a site."""
    k = min(int(cfg.interference.k_sites), state.layout.n_sites) if n_sites is None else int(n_sites)
    return k * int(np.diff(state.site_cell_start).max())


def apply_throughput(
    cfg: ScenarioConfig, cols: dict[str, NDArray], n_ue_cell: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Full-buffer snapshot throughput [bit/s] of each UE: its cell's bandwidth shared
    equally by the ``n_ue_cell`` UEs the cell serves."""
    share = 1.0 / np.maximum(n_ue_cell[cols["serving_cell"]], 1)
    bandwidth_hz = cfg.radio.bandwidth_mhz * 1e6
    return (1.0 - cfg.link.overhead_fraction) * bandwidth_hz * share * cols["spectral_efficiency_bps_per_hz"]


def cell_columns(
    cfg: ScenarioConfig, layout: Layout, drop: int, n_ue_cell: NDArray[np.int64],
    cell_thr_bps: NDArray[np.float64], ident: CellIdentity | None = None,
) -> dict[str, NDArray]:
    """One drop's ``cell.parquet`` rows; the identifiers of ``ident`` (else computed) at the end."""
    bandwidth_hz = cfg.radio.bandwidth_mhz * 1e6
    cell_xy = layout.cell_xy_m
    ident = ident if ident is not None else cell_identity(cfg, layout)
    return {
        "drop": np.full(layout.n_cells, drop, dtype=np.int64),
        "cell": np.arange(layout.n_cells, dtype=np.int64),
        "site": layout.cell_site,
        "x_m": cell_xy[:, 0],
        "y_m": cell_xy[:, 1],
        "bearing_deg": layout.cell_bearing_deg,
        "n_ue": n_ue_cell.astype(np.int64),
        "throughput_bps": cell_thr_bps,
        "spectral_efficiency_bps_per_hz": cell_thr_bps / bandwidth_hz,
        **ident.cell_columns(),
    }


@dataclass(frozen=True)
class DropResult:
    """Per-UE and per-cell columns of one drop (dicts of equal-length 1-D arrays)."""

    ue: dict[str, NDArray]
    cell: dict[str, NDArray]


def snapshot_drop(cfg: ScenarioConfig, drop: int, *, layout: Layout | None = None) -> DropResult:
    """Simulate drop number ``drop`` of ``cfg`` in memory (all UEs in one go)."""
    state = prepare_drop(cfg, drop, layout=layout)
    n = state.ues.n_ue
    cols = radio_chunk(cfg, state, 0, n)
    n_ue_cell = np.bincount(cols["serving_cell"], minlength=state.layout.n_cells)
    cols["throughput_bps"] = apply_throughput(cfg, cols, n_ue_cell)
    cell_thr = np.bincount(cols["serving_cell"], weights=cols["throughput_bps"], minlength=state.layout.n_cells)
    ident = cell_identity(cfg, state.layout)
    return DropResult(
        ue={**{k: cols[k] for k in UE_COLUMNS}, **{k: cols[k] for k in SSB_COLUMNS if k in cols},
            **ue_identity_columns(ident, cols["serving_cell"], cols["x_m"], cols["y_m"])},
        cell=cell_columns(cfg, state.layout, drop, n_ue_cell, cell_thr, ident),
    )
