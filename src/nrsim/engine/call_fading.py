"""The clustered fast fading of the call core, ``slots.fading.model = "cdl-38901"`` (issues
13 and 12): a bank refilled before every mobility step for moving and static call runs.

The compiled slot loop (:mod:`nrsim.engine.call_kernels`) reads the fast fading of each UE's
serving link, and (``slots.fading.interferers = "faded"``) of its links to the k strongest
cells, from ``bank`` float32 [row, prb] at row(t) = ``f_base`` + (``f_off`` + t) mod
``f_period``. Each UE has L = 1 + ``n_interferer_links`` link slots l (0: the serving link;
1 + kk: the link to its kk-th strongest cell, ``top_cell[ue, kk]``); link slot (ue, l) has
``f_base = (ue * L + l) * n_sub``, ``f_off = 0``, ``f_period = n_sub`` (the slots of one
mobility step): before step k (:meth:`CdlStepFading.fill`) rows ``(ue * L + l) * n_sub + q``
receive the unit-mean per-PRB power gain of that *current* link in slot ``k * n_sub + q``
(:mod:`nrsim.channel.fading.cdl`: ``|H(t, f)|^2`` over the sum of the ray powers), so the
kernels read it exactly as a TDL trace.

Links. The rays of a (UE, cell) link are drawn when it first serves the UE
(:func:`nrsim.channel.fading.cdl.draw_link_rays`), from the link's geometry at that step
(the UE's position then) with the large-scale model's LOS state and shadow fading there
(:func:`nrsim.channel.large_scale.large_scale_block`, the NumPy reference the engine's
kernel is tested against, with the drop's own fields and link key: the same LOS state and
shadow fading as the mobility run's), and kept for the rest of the run. Their random draws
are counter-based variates keyed by (drop, UE, site) (named stream ``"clusters"``,
:mod:`nrsim.channel.tr38901.draws`), so a link's rays do not depend on which links were
drawn with it, on the order in which links become serving, or on the number of workers.
The cells of one site share the UE-site rays and differ by their panel's bearing. Spatial
consistency of the rays along the trajectory (7.6.3) is not modelled: a link keeps its
delays and angles for the run, however far its UE moves.

Time evolution. A ray's phase follows the UE's displacement s since the start of the run,
exp(j 2 pi r_rx . s / lambda) (eq. 7.5-22 with v t -> s; :func:`nrsim.channel.fading.cdl.rays_at`),
and its Doppler frequency within a step is r_rx . v / lambda for the step's velocity:
moving runs take the trajectory (straight between the step positions), static runs (and the
``slots.fading.doppler_speed_kmh`` ablation) move each UE at its fading speed in a random
horizontal direction (named stream ``"slots/cdl_velocity"``, as the static slot engine). The
channel at a slot thus depends on the UE's position only, not on when the link was drawn.

Memory: the bank ``n_ue * L * n_sub * N_RB * 4`` bytes (285 UEs, 20 slots of 273 PRBs: 6.2
MB per link slot, 62 MB with the default L = 10: the k = n_interferers + 1 strongest cells, the
serving cell usually among them, plus the serving link) and the ray cache, 26 bytes
per ray (coefficient, two Doppler factors, tap) plus 8 per delay tap: 10.6 kB per UMa link
(401 rays, 25 taps), one entry per (UE, cell) pair that ever served or was among the UE's
strongest cells. The rays are gathered per block rebuild (a block's UEs changed a link or
their velocity) for the block's links only.

With ``slots.fading.interferers = "unfaded"`` (L = 1) only the serving links fade, as the call
core did before issue 12's interferer fading.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

from nrsim.channel.fading.cdl import (
    CDL_MODEL,
    LinkRays,
    channel_options,
    check_cdl_scenario,
    draw_link_rays,
    drop_lsp_fields,
    fill_gain_rows,
    rays_at,
    ue_cell_links,
    ue_velocity_mps,
)
from nrsim.channel.large_scale import large_scale_block, make_los_field, make_shadowing_fields
from nrsim.channel.tr38901.coefficients import ResponseRefresh
from nrsim.channel.tr38901.draws import cluster_key
from nrsim.config.schema import ScenarioConfig
from nrsim.engine.snapshot import channel_params
from nrsim.errors import ConfigError
from nrsim.rng import link_key, stream


BLOCK_UES = 32
"""UEs per frequency-response refresh: a handover or a change of velocity rebuilds only its
block's refresh (the other blocks continue theirs)."""
VELOCITY_TOL_MPS = 1e-6
"""A UE's velocity counts as changed above this difference [m/s] (a straight leg's step
velocities differ by rounding; 1e-6 m/s for 20 s moves a ray's phase by < 3e-3 rad at
3.5 GHz)."""


class RayCache:
    """The rays of every (UE, cell) link drawn so far: ``index`` int64 [ue, cell] (-1: not
    drawn) into the rows of a :class:`~nrsim.channel.fading.cdl.LinkRays` store grown by
    doubling."""

    def __init__(self, n_ue: int, n_cells: int) -> None:
        self.index = np.full((n_ue, n_cells), -1, dtype=np.int64)
        self.store: LinkRays | None = None
        self.n = 0

    def add(self, ue: NDArray[np.int64], cell: NDArray[np.int64], rays: LinkRays) -> None:
        """Store ``rays`` of the new links (``ue``, ``cell``) [n]."""
        m = rays.n_links
        if m == 0:
            return
        if self.store is None:
            self.store = rays.take(np.zeros(max(m, 16), dtype=np.int64))
        cap = self.store.n_links
        if self.n + m > cap:
            grow = np.zeros(max(cap, self.n + m - cap), dtype=np.int64)
            self.store = LinkRays(**{f: np.concatenate([getattr(self.store, f), getattr(rays.take(grow), f)])
                                     for f in LinkRays.__dataclass_fields__})
        for f in LinkRays.__dataclass_fields__:
            getattr(self.store, f)[self.n:self.n + m] = getattr(rays, f)
        self.index[ue, cell] = np.arange(self.n, self.n + m)
        self.n += m

    def take(self, ue: NDArray[np.int64], cell: NDArray[np.int64]) -> LinkRays:
        """The rays of the links (``ue``, ``cell``) [n], all drawn."""
        return self.store.take(self.index[ue, cell])

    @property
    def nbytes(self) -> int:
        """Memory of the stored links [bytes]."""
        return 0 if self.store is None else self.store.nbytes * self.n // max(self.store.n_links, 1)


class CdlStepFading:
    """The per-step CDL bank of one drop of a call run (module docstring).

    cfg : the call run's config; md : its :class:`~nrsim.engine.mobility.MotionDrop`;
    speed_kmh : float64 [ue] fading speed of each UE [km/h], used with ``constant_velocity``
    (static runs, the Doppler ablation), otherwise the trajectory gives the velocity;
    freqs_hz : float64 [prb] PRB centres relative to the carrier [Hz]; slot_s : slot [s];
    n_sub : slots per mobility step; n_interferer_links : K, the faded interfering links per
    UE (0: the serving link only).

    ``bank`` float32 [ue * (1 + K) * n_sub, prb] is filled in place by :meth:`fill`;
    :meth:`rows` gives the kernels' (f_base, f_off, f_period) [ue] of the serving links,
    :meth:`interferer_rows` those [ue, K] of the interfering links.
    """

    def __init__(self, cfg: ScenarioConfig, md, speed_kmh: NDArray[np.float64], freqs_hz: NDArray[np.float64],
                 slot_s: float, n_sub: int, *, constant_velocity: bool, n_interferer_links: int = 0) -> None:
        params = channel_params(cfg)
        check_cdl_scenario(params.scenario)
        layout = md.state.layout
        if getattr(layout, "site_scenario", None) is not None:
            raise ConfigError(
                f"slots.fading.model = {CDL_MODEL!r} needs a single-scenario layout (one Table 7.5-6 "
                "parameter set); this layout mixes environments (use a TDL model)", field="slots.fading.model")
        seed, drop = cfg.seed, md.drop
        ues = md.state.ues
        self.md, self.params, self.layout = md, params, layout
        self.n_ue, self.n_sub = ues.n_ue, int(n_sub)
        self.n_link = 1 + int(n_interferer_links)  # link slots per UE
        self.freqs_hz = np.asarray(freqs_hz, dtype=np.float64)
        self.slot_s = float(slot_s)
        self.dt_s = self.n_sub * self.slot_s
        ch = cfg.channel
        self.options = channel_options(ch.blockage, ch.oxygen_absorption, params.scenario, ch.blockage_blockers,
                                       ch.blockage_self_blocking, seed=seed, drop=drop)
        self.lsp_fields = drop_lsp_fields(params, ues, layout.n_sites, seed=seed, drop=drop)
        self.key = cluster_key(seed, drop)
        # the large-scale model's fields and link key (those of nrsim.engine.snapshot.prepare_drop)
        self.sf_fields = make_shadowing_fields(ues, layout, params, rng=stream(seed, "shadowing", drop=drop))
        self.los_field = make_los_field(ues, layout, params, rng=stream(seed, "los_field", drop=drop))
        self.link_key = link_key(seed, drop)
        self.velocity0 = ue_velocity_mps(speed_kmh, seed=seed, drop=drop) if constant_velocity else None
        n_rows = self.n_ue * self.n_link * self.n_sub
        self.bank = np.zeros((n_rows, self.freqs_hz.size), dtype=np.float32)
        self.cache = RayCache(self.n_ue, layout.n_cells)
        n_blocks = -(-self.n_ue // BLOCK_UES)
        self.block_refresh: list[ResponseRefresh | None] = [None] * n_blocks
        self.block_scale: list[NDArray[np.float64] | None] = [None] * n_blocks
        self.block_step = [0] * n_blocks
        self.block_cell = np.full((self.n_ue, self.n_link), -1, dtype=np.int64)  # links and velocity of
        self.block_vel = np.zeros((self.n_ue, 2))  # each UE at its block's last rebuild

    def rows(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """(f_base, f_off, f_period) int64 [ue] of the serving links: row(t) = ue * L * n_sub + t
        mod n_sub."""
        ue = np.arange(self.n_ue, dtype=np.int64)
        return (ue * self.n_link * self.n_sub, np.zeros(self.n_ue, dtype=np.int64),
                np.full(self.n_ue, self.n_sub, dtype=np.int64))

    def interferer_rows(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """(f_base, f_off, f_period) int64 [ue, K] of the links to the strongest cells (link
        slots 1 .. K): row(t) = (ue * L + 1 + kk) * n_sub + t mod n_sub."""
        slot = np.arange(self.n_ue, dtype=np.int64)[:, None] * self.n_link + 1 + np.arange(self.n_link - 1)
        return slot * self.n_sub, np.zeros_like(slot), np.full_like(slot, self.n_sub)

    def motion(self, k: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(displacement since t = 0 [m], velocity [m/s]), float64 [ue, 2], at the start of step k."""
        if self.velocity0 is not None:
            return self.velocity0 * (k * self.dt_s), self.velocity0
        traj = self.md.traj_xy_m
        n_steps = traj.shape[0]
        if n_steps < 2:
            return np.zeros((self.n_ue, 2)), np.zeros((self.n_ue, 2))
        k1 = min(k, n_steps - 2)  # the last step keeps the previous step's velocity
        return traj[k] - traj[0], (traj[k1 + 1] - traj[k1]) / self.dt_s

    def _draw(self, k: int, ue: NDArray[np.int64], cell: NDArray[np.int64]) -> None:
        """Draw the new links (``ue``, ``cell``) [n] at the UEs' positions of step k."""
        st = self.md.state
        ues = dataclasses.replace(st.ues, xy_m=self.md.traj_xy_m[k])
        site = self.layout.cell_site[cell]
        uu, of = np.unique(ue, return_inverse=True)  # a UE may have several new links
        los_u = np.empty((uu.size, self.layout.n_sites), dtype=bool)
        sf_u = np.empty((uu.size, self.layout.n_sites))
        # the large-scale state of each new link's UE (contiguous runs of UEs in one block)
        brk = np.flatnonzero(np.diff(uu) != 1) + 1
        for lo, hi in zip(np.concatenate([[0], brk]), np.concatenate([brk, [uu.size]])):
            ls = large_scale_block(ues, slice(int(uu[lo]), int(uu[hi - 1]) + 1), self.layout, self.params, st.o2i,
                                   self.sf_fields, link_key=self.link_key, los_field=self.los_field,
                                   bilinear=bool(st.bilinear), soft_los=bool(st.soft_los))
            los_u[lo:hi] = ls.los
            sf_u[lo:hi] = ls.shadow_fading_db
        los = los_u[of, site]
        sf_db = sf_u[of, site]
        links = ue_cell_links(ues, self.layout, self.params, ue, cell, los, sf_db)
        self.cache.add(ue, cell, draw_link_rays(links, self.params, self.lsp_fields, key=self.key,
                                                options=self.options))

    def fill(self, k: int, serving: NDArray[np.int64], top_cell: NDArray[np.int64] | None = None) -> None:
        """Fill the bank rows of step k (slots k * n_sub ...) with the gains of the links
        (ue, ``serving`` [ue]) and, with interferer links, (ue, ``top_cell`` [ue, K]), drawing
        those not drawn yet. Per block of :data:`BLOCK_UES` UEs the frequency-response refresh
        of the last step continues (its phasors re-anchored exactly at the step) unless a UE
        of the block changed one of its links or its velocity; then the block's rays are
        rebuilt at the UEs' displacement (:func:`~nrsim.channel.fading.cdl.rays_at`)."""
        if self.n_ue == 0:
            return
        cell = np.asarray(serving, dtype=np.int64)[:, None]  # [ue, L]
        if self.n_link > 1:
            cell = np.concatenate([cell, np.asarray(top_cell, dtype=np.int64)], axis=1)
        ue = np.repeat(np.arange(self.n_ue, dtype=np.int64)[:, None], self.n_link, axis=1)
        new = self.cache.index[ue, cell] < 0
        new_ue, new_cell = ue[new], cell[new]
        if new_ue.size:  # each (ue, cell) once (a serving cell is among the strongest)
            pair = np.unique(new_ue * self.layout.n_cells + new_cell)
            self._draw(k, pair // self.layout.n_cells, pair % self.layout.n_cells)
        disp, vel = self.motion(k)
        changed = (cell != self.block_cell).any(axis=1) | (np.abs(vel - self.block_vel).max(axis=1) > VELOCITY_TOL_MPS)
        L = self.n_link
        for b, u0 in enumerate(range(0, self.n_ue, BLOCK_UES)):
            u1 = min(u0 + BLOCK_UES, self.n_ue)
            if self.block_refresh[b] is None or changed[u0:u1].any():
                rays = self.cache.take(ue[u0:u1].reshape(-1), cell[u0:u1].reshape(-1))  # [ue * L] UE-major
                self.block_refresh[b] = ResponseRefresh(rays_at(rays, np.repeat(disp[u0:u1], L, axis=0),
                                                                np.repeat(vel[u0:u1], L, axis=0)),
                                                        self.freqs_hz, self.slot_s)
                self.block_scale[b] = rays.scale
                self.block_step[b] = k
                self.block_cell[u0:u1] = cell[u0:u1]
                self.block_vel[u0:u1] = vel[u0:u1]
            fill_gain_rows(self.block_refresh[b], self.block_scale[b], self.bank, (k - self.block_step[b]) * self.dt_s,
                           self.n_sub, self.n_sub, row0=u0 * L * self.n_sub)

    @property
    def nbytes(self) -> int:
        """Memory of the bank and the ray cache [bytes]."""
        return int(self.bank.nbytes + self.cache.nbytes)
