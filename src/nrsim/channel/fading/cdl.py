"""Clustered fast fading for the static slot engine: ``slots.fading.model = "cdl-38901"``.

Each modelled link (the serving cell and the K strongest interferers of a UE, the sparse
``link_cell [ue, k]`` of the slot drop) gets the full TR 38.901 V17.0.0 7.5 channel of its own
geometry (:func:`nrsim.channel.tr38901.links.link_channels`): its LOS state and shadow fading
are the large-scale model's (so the LSPs follow the same SF through the Table 7.5-6
cross-correlations, and an O2I UE takes the O2I column), its UE moves with the configured
speed in a random horizontal direction (named stream ``"slots/cdl_velocity"``), and the
channel evolves by the Doppler phase of each ray (eq. 7.5-22).

Single stream (the engine is SISO until MIMO lands): the BS port is the engine's own antenna
(``antenna``: the ``column`` model is the TR 38.901 panel (M, 1, 1) of vertically polarised
Table 7.3-1 elements with the e-tilt weights, one port; ``element`` one element; ``omni`` an
isotropic element), the UE has one vertically polarised isotropic antenna.

Normalisation (the small-scale part only): the per-PRB power gain of link l in slot t is::

    g_l(t, f) = |H_l(t, f)|^2 / sum_rays |c_l,ray|^2

the ray sum of eq. 7.5-22 over the sum of its ray powers (antenna fields included, the
direct path with its K-factor weight), i.e. the power of the coherent sum over its
expectation over the random ray phases. Its mean over frequency and time is 1, so the
large-scale coupling gain of the engine (path loss, shadow fading, O2I, the antenna gain
towards the direct path: the calibrated model) is unchanged; what the clustered channel adds
is the frequency selectivity of its delays, the Rician/Rayleigh statistics of its K-factor and
the Doppler spectrum of its arrival angles.

The same rays serve the call core (:mod:`nrsim.engine.call_fading`, moving and static call
runs): :func:`draw_link_rays` keeps each ray's Doppler frequency per unit velocity
(:class:`LinkRays`), :func:`rays_at` rotates the rays to a UE displacement and sets the
Doppler of its current velocity, :func:`fill_gain_rows` writes the per-PRB gains of a run of
slots; the static slot engine's traces below are the constant-velocity case.

Memory: traces are not periodic for CDL, so they are refreshed in chunks (a refresh schedule):
the bank holds ``chunk`` slots of every link, ``chunk = max(1, bank_rows // n_links)``
(capped at the run length), rows of link l: ``l * chunk + (slot mod chunk)``; when a slot of
a new chunk is read, the chunk is recomputed from the rays (phasors anchored exactly at the
chunk's first slot, so the values do not depend on the order in which slots are read).
Memory: bank ``n_links * chunk * N_RB * 4`` bytes plus the rays, 52 bytes per ray and link
(coefficient, Doppler, tap, phasor and its step; 401 rays per UMa link: 107 MB at 5,130 links).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nrsim.channel.large_scale import ChannelParams, field_area
from nrsim.channel.tr38901.antenna import angles_from_vector_deg
from nrsim.channel.tr38901.attenuation import BlockageModelA
from nrsim.channel.tr38901.coefficients import RayChannel, ResponseRefresh
from nrsim.channel.tr38901.draws import cluster_key
from nrsim.channel.tr38901.links import ChannelOptions, Links, link_channels, link_rays
from nrsim.channel.tr38901.lsp import LspFields
from nrsim.channel.tr38901.panel import PanelArray
from nrsim.channel.tr38901.pathloss import shadow_fading_std_db
from nrsim.config.schema import ScenarioConfig
from nrsim.deployment.geometry import link_geometry
from nrsim.deployment.layout import Layout
from nrsim.deployment.ue_drop import UeDrop
from nrsim.errors import ConfigError
from nrsim.rng import stream

CDL_MODEL = "cdl-38901"
"""The ``slots.fading.model`` value of the clustered channel."""
CDL_SCENARIOS = ("uma", "umi", "inh")
"""Scenarios with Table 7.5-6 parameters in nrsim (RMa's are not shipped)."""
VELOCITY_STREAM = "slots/cdl_velocity"
"""Named stream of the UEs' directions of movement."""


def engine_panels(params: ChannelParams) -> tuple[PanelArray, PanelArray]:
    """(BS panel, UE panel) of the single-stream engine: the configured BS antenna as a
    one-port TR 38.901 7.3 panel and one vertically polarised isotropic UE antenna."""
    ue = PanelArray(1, 1, "v", element="isotropic", port_map="element")
    if params.antenna_model == "column":
        bs = PanelArray(int(params.n_elements), 1, "v", dv_wl=float(params.spacing_wl),
                        etilt_deg=float(params.etilt_deg))
    elif params.antenna_model == "element":
        bs = PanelArray(1, 1, "v")
    else:
        bs = PanelArray(1, 1, "v", element="isotropic")
    return bs, ue


def channel_options(blockage: str, oxygen: bool, scenario: str, n_blockers: int, self_blocking: str,
                    *, seed: int, drop: int) -> ChannelOptions:
    """The 7.6 options of the clustered channel from the ``channel`` config keys; the blocker
    draws are keyed by the named stream ``"blockage"`` of the drop."""
    blk = None
    if blockage == "model_a":
        blk = BlockageModelA(scenario, n_blockers=int(n_blockers), self_blocking=self_blocking)
    key = int(stream(seed, "blockage", drop=drop).integers(0, 2**63, dtype=np.int64))
    return ChannelOptions(oxygen=bool(oxygen), blockage=blk, blockage_key=key)


def slot_links(ues: UeDrop, layout: Layout, params: ChannelParams, los: NDArray[np.bool_],
               shadow_fading_db: NDArray[np.float64], link_cell: NDArray[np.int64]) -> Links:
    """The modelled links ``link_cell`` [ue, k] (UE-major, flattened) with their geometry
    (wrap-around images as in the large-scale model), the large-scale LOS state ``los``
    [ue, site] and shadow fading ``shadow_fading_db`` [ue, site] [dB, a loss]."""
    n_ue, k = link_cell.shape
    ue_of = np.repeat(np.arange(n_ue, dtype=np.int64), k)
    cell = np.asarray(link_cell, dtype=np.int64).reshape(-1)
    site = layout.cell_site[cell].astype(np.int64)
    return ue_cell_links(ues, layout, params, ue_of, cell, np.asarray(los, dtype=bool)[ue_of, site],
                         np.asarray(shadow_fading_db, dtype=np.float64)[ue_of, site])


def ue_cell_links(ues: UeDrop, layout: Layout, params: ChannelParams, ue_of: NDArray[np.int64],
                  cell: NDArray[np.int64], los: NDArray[np.bool_], shadow_fading_db: NDArray[np.float64]) -> Links:
    """The links (UE ``ue_of`` [link], cell ``cell`` [link]) at the UEs' positions ``ues.xy_m``
    with their geometry (wrap-around images as in the large-scale model), the large-scale
    LOS state ``los`` [link] and shadow fading ``shadow_fading_db`` [link] [dB, a loss]."""
    ue_of = np.asarray(ue_of, dtype=np.int64)
    cell = np.asarray(cell, dtype=np.int64)
    site = layout.cell_site[cell].astype(np.int64)
    row = np.arange(ue_of.size)
    geo = link_geometry(ues.xy_m[ue_of], ues.height_m[ue_of], layout.site_xy_m, layout.site_height_m,
                        layout.wrap_shifts_m)  # [link, site]
    los_l = np.asarray(los, dtype=bool)
    if params.shadowing:
        sf_unit = np.asarray(shadow_fading_db, dtype=np.float64) / shadow_fading_std_db(params.scenario, los_l)
    else:
        sf_unit = np.zeros(cell.size)
    zod, aod = angles_from_vector_deg(geo.dx_m[row, site], geo.dy_m[row, site], geo.dz_m[row, site])
    return Links(
        ue=ue_of, ue_xy_m=ues.xy_m[ue_of], site=site, los=los_l, indoor=np.asarray(ues.indoor, dtype=bool)[ue_of],
        d_2d_m=geo.d_2d_m[row, site], d_3d_m=geo.d_3d_m[row, site], h_ut_m=ues.height_m[ue_of],
        h_bs_m=layout.site_height_m[site], los_aod_deg=aod, los_zod_deg=zod, sf_unit=sf_unit,
        bearing_deg=layout.cell_bearing_deg[cell], downtilt_deg=np.full(cell.size, float(params.mech_downtilt_deg)),
    )


@dataclass(frozen=True)
class LinkRays:
    """The single-stream rays of a set of links, for the channel at any UE displacement and
    velocity (TR 38.901 V17.0.0 eq. 7.5-22, its Doppler factor written per unit velocity).

    coef : complex64 [link, ray], each ray's coefficient at zero displacement (antenna fields,
        amplitude and K-factor included; ray = cluster * M + m, the direct path last, as in
        :class:`~nrsim.channel.tr38901.coefficients.RayChannel`).
    nu_x_hz, nu_y_hz : float64 [link, ray], r_rx,x / lambda and r_rx,y / lambda: the ray's
        Doppler frequency [Hz] per m/s of UE velocity along x and y (the UE moves
        horizontally; the BS does not move).
    tap : int16 [link, ray], the ray's delay tap (-1: no ray); delays_s : float64 [link, tap].
    scale : float64 [link], 1 / the sum of the ray powers (the unit-mean normalisation).
    """

    coef: NDArray[np.complex64]
    nu_x_hz: NDArray[np.float64]
    nu_y_hz: NDArray[np.float64]
    tap: NDArray[np.int16]
    delays_s: NDArray[np.float64]
    scale: NDArray[np.float64]

    @property
    def n_links(self) -> int:
        return int(self.coef.shape[0])

    @property
    def nbytes(self) -> int:
        return int(sum(getattr(self, f).nbytes for f in self.__dataclass_fields__))

    def take(self, idx: NDArray[np.int64]) -> "LinkRays":
        """The links ``idx`` [n] (any order)."""
        return LinkRays(**{f: getattr(self, f)[idx] for f in self.__dataclass_fields__})


def _one_port(rays: RayChannel) -> RayChannel:
    """The first port pair of ``rays`` (the single-stream engine)."""
    return RayChannel(np.ascontiguousarray(rays.coef[:, :, :1, :1]), rays.doppler_hz, rays.tap, rays.delays_s)


def draw_link_rays(links: Links, params: ChannelParams, fields: LspFields, *, key: int,
                   options: ChannelOptions = ChannelOptions()) -> LinkRays:
    """The rays of ``links`` (7.5 steps 4-11 of :func:`link_channels` with the engine's
    panels, :func:`engine_panels`) with their Doppler frequency per unit velocity (two
    evaluations of :func:`link_rays`, UE velocity 1 m/s along x, then along y: the Doppler
    frequency r_rx . v / lambda is linear in v). ``key`` keys the per-link draws by (UE, site)
    (:func:`cluster_key`): a link's rays do not depend on the other links drawn with it."""
    bs, ue_panel = engine_panels(params)
    ch = link_channels(links, params.scenario, params.fc_ghz, fields, bs, ue_panel, key=key, spreads=False,
                       options=options)
    n = links.n_links
    ex = np.zeros((n, 3))
    ex[:, 0] = 1.0
    rx = _one_port(link_rays(ch, links, bs, ue_panel, params.fc_ghz, ex))
    nu_y = link_rays(ch, links, bs, ue_panel, params.fc_ghz, np.roll(ex, 1, axis=1)).doppler_hz
    ray_power = (np.abs(rx.coef[:, :, 0, 0].astype(np.complex128)) ** 2).sum(axis=1)
    scale = np.where(ray_power > 0.0, 1.0 / np.where(ray_power > 0.0, ray_power, 1.0), 0.0)
    return LinkRays(coef=np.ascontiguousarray(rx.coef[:, :, 0, 0]), nu_x_hz=rx.doppler_hz, nu_y_hz=nu_y,
                    tap=rx.tap, delays_s=rx.delays_s, scale=scale)


def rays_at(rays: LinkRays, displacement_m: NDArray[np.float64], velocity_mps: NDArray[np.float64]) -> RayChannel:
    """The rays of each link after the UE moved by ``displacement_m`` float64 [link, 2] [m]
    from the drawn position, now moving with ``velocity_mps`` float64 [link, 2] [m/s] (GCS,
    horizontal): eq. 7.5-22's Doppler phase exp(j 2 pi r_rx . v t / lambda) of a straight
    path generalised to a piecewise straight one, exp(j 2 pi r_rx . s / lambda) for the
    displacement s, and the Doppler frequency r_rx . v / lambda of the current velocity
    (angles and delays fixed: no spatial-consistency update of 7.6.3)."""
    d = np.asarray(displacement_m, dtype=np.float64)
    v = np.asarray(velocity_mps, dtype=np.float64)
    phase = 2.0 * np.pi * (rays.nu_x_hz * d[:, :1] + rays.nu_y_hz * d[:, 1:2])  # [link, ray]
    rot = np.empty(phase.shape, dtype=np.complex64)
    rot.real = np.cos(phase)
    rot.imag = np.sin(phase)
    coef = rays.coef * rot
    nu = rays.nu_x_hz * v[:, :1] + rays.nu_y_hz * v[:, 1:2]
    return RayChannel(coef[:, :, None, None], nu, rays.tap, rays.delays_s)


def fill_gain_rows(refresh: ResponseRefresh, scale: NDArray[np.float64], out: NDArray[np.float32], t0_s: float,
                   n_slots: int, row_stride: int, row0: int = 0) -> None:
    """``out[row0 + l * row_stride + q] = scale[l] |H_l(t0_s + q dt, f)|^2`` (float32 [row, prb])
    for the slots q = 0 .. n_slots - 1 of every link l of ``refresh`` (phasors exact at t0_s)."""
    refresh.seek(t0_s)
    refresh.power(scale, out, row0=int(row0), row_stride=row_stride, n_steps=int(n_slots))


class CdlTraces:
    """Where each link reads the CDL bank in a slot, with the same ``rows(slot)`` interface as
    :class:`nrsim.channel.fading.bank.LinkTraces`; reading a slot of another chunk refreshes
    the bank ``gain_lin`` (float32 [link * chunk, prb], updated in place) first.

    refresh : the links' frequency-response refresh; scale : float64 [link], 1 / sum of
    ray powers; shape : the link shape ([ue, k]); chunk : slots per refresh; n_slots : run
    length (the last chunk stops there); slot_s : slot duration [s].
    """

    def __init__(self, refresh: ResponseRefresh, scale: NDArray[np.float64], shape: tuple[int, int],
                 chunk: int, n_slots: int, slot_s: float) -> None:
        self.refresh = refresh
        self.scale = np.ascontiguousarray(scale, dtype=np.float64)
        self.chunk = int(chunk)
        self.n_slots = int(n_slots)
        self.slot_s = float(slot_s)
        n_link = int(np.prod(shape))
        self.gain_lin = np.zeros((n_link * self.chunk, refresh.n_prb), dtype=np.float32)
        self.base_row = (np.arange(n_link, dtype=np.int64) * self.chunk).reshape(shape)
        self.current = -1
        self.refreshes = 0

    def fill(self, c: int) -> None:
        """Compute chunk ``c`` (slots c * chunk ... ) of every link into the bank."""
        s0 = c * self.chunk
        fill_gain_rows(self.refresh, self.scale, self.gain_lin, s0 * self.slot_s,
                       min(self.chunk, max(self.n_slots - s0, 1)), self.chunk)
        self.current = c
        self.refreshes += 1

    def rows(self, slot: int) -> NDArray[np.int64]:
        c = int(slot) // self.chunk
        if c != self.current:
            self.fill(c)
        return self.base_row + (int(slot) - c * self.chunk)


def check_cdl_scenario(scenario: str) -> None:
    """ConfigError unless ``scenario`` has Table 7.5-6 parameters in nrsim."""
    if scenario not in CDL_SCENARIOS:
        raise ConfigError(
            f"slots.fading.model = {CDL_MODEL!r} needs Table 7.5-6 parameters; channel.scenario = "
            f"{scenario!r} has none in nrsim (allowed: {', '.join(CDL_SCENARIOS)}; or a TDL model)",
            field="slots.fading.model",
        )


def drop_lsp_fields(params: ChannelParams, ues: UeDrop, n_sites: int, *, seed: int, drop: int) -> LspFields:
    """The LSP fields of drop ``drop`` (named stream ``"lsp"``) over the UE area of ``ues``."""
    lo, extent = field_area(ues)
    return LspFields(params.scenario, params.fc_ghz, lo, extent, n_sites, rng=stream(seed, "lsp", drop=drop))


def ue_velocity_mps(speed_kmh: NDArray[np.float64], *, seed: int, drop: int) -> NDArray[np.float64]:
    """float64 [ue, 2] [m/s]: each UE at ``speed_kmh`` [ue] in a random horizontal direction
    (named stream ``"slots/cdl_velocity"`` of the drop)."""
    v = np.asarray(speed_kmh, dtype=np.float64) / 3.6
    az = stream(seed, VELOCITY_STREAM, drop=drop).uniform(0.0, 2.0 * np.pi, v.size)
    return np.stack([v * np.cos(az), v * np.sin(az)], axis=1)


def cdl_link_traces(
    links: Links,
    shape: tuple[int, int],
    params: ChannelParams,
    ues: UeDrop,
    n_sites: int,
    speed_kmh: NDArray[np.float64],
    freqs_hz: NDArray[np.float64],
    slot_s: float,
    *,
    seed: int,
    drop: int,
    rows_budget: int,
    n_slots: int,
    options: ChannelOptions = ChannelOptions(),
) -> tuple[NDArray[np.float32], CdlTraces]:
    """The CDL bank and its traces for the slot engine (module docstring).

    links : the modelled links, [ue * k] UE-major (:func:`slot_links`); shape : (ue, k).
    speed_kmh : float64 [ue], each UE's speed [km/h]. freqs_hz : float64 [prb], PRB centres
    relative to the carrier [Hz] (evenly spaced). Random streams of drop ``drop``: ``"lsp"``
    (LSP fields), ``"clusters"`` (per-link keyed rays, :func:`cluster_key`), ``"slots/cdl_velocity"``.
    Returns (the bank ``gain_lin`` float32 [row, prb], refreshed in place, and the traces).
    """
    check_cdl_scenario(params.scenario)
    fields = drop_lsp_fields(params, ues, n_sites, seed=seed, drop=drop)
    lr = draw_link_rays(links, params, fields, key=cluster_key(seed, drop), options=options)
    vel = ue_velocity_mps(speed_kmh, seed=seed, drop=drop)[links.ue]
    rays = rays_at(lr, np.zeros_like(vel), vel)
    n_link = links.n_links
    chunk = int(min(max(1, int(rows_budget) // max(n_link, 1)), max(int(n_slots), 1)))
    refresh = ResponseRefresh(rays, freqs_hz, slot_s)
    traces = CdlTraces(refresh, lr.scale, shape, chunk, n_slots, slot_s)
    return traces.gain_lin, traces


def cdl_slot_fading(
    cfg: ScenarioConfig,
    params: ChannelParams,
    ues: UeDrop,
    layout: Layout,
    los: NDArray[np.bool_],
    shadow_fading_db: NDArray[np.float32],
    link_cell: NDArray[np.int64],
    speed_kmh: NDArray[np.float64],
    freqs_hz: NDArray[np.float64],
    slot_s: float,
    *,
    drop: int,
) -> tuple[NDArray[np.float32], CdlTraces]:
    """The slot engine's ``cdl-38901`` fading of drop ``drop``: bank and traces of the links
    ``link_cell`` [ue, k] (:func:`cdl_link_traces` with the config's antenna, channel options,
    ``slots.fading.bank_rows`` and ``slots.n_slots``). ``los``, ``shadow_fading_db`` [ue, site]:
    the drop's large-scale LOS state and shadow fading; ``speed_kmh`` [ue]; ``params`` the
    large-scale model's parameters of ``cfg``."""
    ch = cfg.channel
    links = slot_links(ues, layout, params, los, shadow_fading_db, link_cell)
    opts = channel_options(ch.blockage, ch.oxygen_absorption, params.scenario, ch.blockage_blockers,
                           ch.blockage_self_blocking, seed=cfg.seed, drop=drop)
    return cdl_link_traces(links, tuple(link_cell.shape), params, ues, layout.n_sites, speed_kmh, freqs_hz, slot_s,
                           seed=cfg.seed, drop=drop, rows_budget=cfg.slots.fading.bank_rows,
                           n_slots=cfg.slots.n_slots, options=opts)
