"""The large-scale drop a slot run starts from, and the links it models individually.

The drop is the snapshot's drop (same named streams: ``ue_drop``, ``o2i``, ``shadowing``,
``links``), computed through the NumPy reference chain
(:func:`nrsim.channel.large_scale.large_scale_block`), which keeps the coupling gain of every
UE-cell link [ue, cell]. Each UE then keeps its serving cell and its ``n_interferers``
strongest other cells as modelled links (own fast fading, per-RBG activity); the remaining
cells' interference is added wideband, without fast fading, scaled by each cell's PRB
utilisation in the slot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nrsim.channel.large_scale import (
    UE_BLOCK,
    large_scale_block,
    make_los_field,
    make_shadowing_fields,
    sample_ue_o2i,
)
from nrsim.config.schema import ScenarioConfig
from nrsim.deployment.layout import Layout
from nrsim.deployment.ue_drop import UeDrop, drop_ues
from nrsim.engine.snapshot import build_layout, channel_params
from nrsim.errors import ConfigError
from nrsim.link.numerology import SUBCARRIERS_PER_RB, n_rb
from nrsim.radio.link_budget import rsrp_dbm, serving_cell
from nrsim.rng import link_key, stream


@dataclass(frozen=True)
class SlotDrop:
    """Large-scale state of one drop for the slot simulation.

    coupling_gain_db : float64 [ue, cell]
        Antenna gains - path loss - shadowing - O2I (no transmit power).
    serving_cell : int64 [ue]
    link_cell : int64 [ue, link]
        Serving cell first, then the strongest other cells, strongest first.
    indoor : bool [ue]
    ues : the UE drop (positions, heights) or None.
    los : bool [ue, site] and shadow_fading_db : float32 [ue, site] [dB, a loss]
        The large-scale LOS state and shadow fading (the clustered fast fading of
        ``slots.fading.model = "cdl-38901"`` follows them), or None.
    """

    drop: int
    layout: Layout
    coupling_gain_db: NDArray[np.float64]
    serving_cell: NDArray[np.int64]
    link_cell: NDArray[np.int64]
    indoor: NDArray[np.bool_]
    ues: UeDrop | None = None
    los: NDArray[np.bool_] | None = None
    shadow_fading_db: NDArray[np.float32] | None = None

    @property
    def n_ue(self) -> int:
        return int(self.serving_cell.shape[0])

    @property
    def n_cells(self) -> int:
        return int(self.layout.n_cells)


def strongest_links(gain_db: NDArray[np.float64], serving: NDArray[np.int64], n_interferers: int) -> NDArray[np.int64]:
    """[ue, 1 + k] cells: the serving cell, then the k = min(n_interferers, n_cells - 1)
    strongest other cells by coupling gain (descending; ties by lower cell index)."""
    n_ue, n_cells = gain_db.shape
    k = min(int(n_interferers), n_cells - 1)
    out = np.empty((n_ue, 1 + k), dtype=np.int64)
    out[:, 0] = serving
    if k > 0 and n_ue > 0:
        g = gain_db.astype(np.float64).copy()
        g[np.arange(n_ue), serving] = -np.inf
        order = np.argsort(-g, axis=1, kind="stable")[:, :k]
        out[:, 1:] = order
    return out


def slot_drop(cfg: ScenarioConfig, drop: int, *, layout: Layout | None = None) -> SlotDrop:
    """Build drop ``drop`` of ``cfg`` for the slot simulation (random streams as the snapshot)."""
    layout = layout if layout is not None else build_layout(cfg)
    if getattr(layout, "site_scenario", None) is not None:
        raise ConfigError(
            "slots.enabled: the slot simulation needs a single-scenario layout (hex or inh-office)",
            field="slots.enabled",
        )
    params = channel_params(cfg)
    seed = cfg.seed
    u = cfg.deployment.ue
    ues = drop_ues(
        layout, per_sector=u.per_sector, min_distance_2d_m=u.min_distance_2d_m,
        indoor_fraction=u.indoor_fraction, outdoor_height_m=u.outdoor_height_m,
        indoor_floors=u.indoor_floors, building_floors_min=u.building_floors_min,
        building_floors_max=u.building_floors_max, indoor_height_m=u.indoor_height_m,
        rng=stream(seed, "ue_drop", drop=drop),
    )
    o2i = sample_ue_o2i(ues, params, rng=stream(seed, "o2i", drop=drop))
    fields = make_shadowing_fields(ues, layout, params, rng=stream(seed, "shadowing", drop=drop))
    los_field = make_los_field(ues, layout, params, rng=stream(seed, "los_field", drop=drop))
    key = link_key(seed, drop)
    n = ues.n_ue
    gain = np.empty((n, layout.n_cells))
    los = np.zeros((n, layout.n_sites), dtype=bool)
    sf_db = np.zeros((n, layout.n_sites), dtype=np.float32)
    for b0 in range(0, n, UE_BLOCK):
        b1 = min(b0 + UE_BLOCK, n)
        ls = large_scale_block(ues, slice(b0, b1), layout, params, o2i, fields, link_key=key, los_field=los_field)
        gain[b0:b1] = ls.coupling_gain_db
        los[b0:b1] = ls.los
        sf_db[b0:b1] = ls.shadow_fading_db
    radio = cfg.radio
    n_sc = n_rb(radio.bandwidth_mhz, radio.scs_khz, cfg.channel.fc_ghz) * SUBCARRIERS_PER_RB
    rsrp = rsrp_dbm(radio.tx_power_dbm + gain, n_sc)
    serv = (
        serving_cell(rsrp, preferred_cell=ues.home_cell, margin_db=radio.handover_margin_db)
        if n
        else np.zeros(0, dtype=np.int64)
    )
    links = strongest_links(gain, serv, cfg.slots.n_interferers)
    return SlotDrop(
        drop=drop, layout=layout, coupling_gain_db=gain, serving_cell=serv.astype(np.int64),
        link_cell=links, indoor=np.asarray(ues.indoor, dtype=bool), ues=ues, los=los, shadow_fading_db=sf_db,
    )
