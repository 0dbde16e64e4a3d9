"""The control plane on the sparse link form: the step loop of
:func:`nrsim.engine.mobility.mobility_steps` for a sparse drop (``interference.mode =
"sparse"``, or ``auto`` beyond ``auto_dense_max_sites``), without any [ue, cell] array.

Each UE's links are its candidate cells: the cells of the ``interference.k_sites`` nearest
sites of every position where its channel is computed (a static UE: one position; a moving
UE: each ``channel_update_ms`` along its trajectory, the union; :func:`candidate_sites`),
fixed for the run, so the columns [ue, m] of the measurements keep their cells. The
large-scale channel of these links is recomputed at each update
(:func:`nrsim.engine.snapshot.radio_chunk` with ``rx_links``), and the handover machinery
(:class:`nrsim.mobility.handover.HandoverState`: L3 filter per link, A3/A5 with TTT,
radio-link monitoring, RLF and re-establishment) runs unchanged on the columns, so a handover
target or a re-establishment cell is always a candidate; the measurements see the candidates'
load only (the interference of cells beyond them is dropped, as in the sparse snapshot).
:func:`cells_of` and :func:`to_cells` map the state's columns back to cells.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from nrsim.config.schema import ScenarioConfig
from nrsim.engine.candidates import nearest_sites
from nrsim.engine.snapshot import n_link_slots, radio_chunk
from nrsim.link.numerology import SUBCARRIERS_PER_RB, n_rb
from nrsim.mobility.handover import NO_CELL, HandoverParams, HandoverState
from nrsim.radio.link_budget import noise_power_dbm
from nrsim.radio.measurements import measurement_quantities
from nrsim.units import db_to_lin, lin_to_db


def candidate_sites(cfg: ScenarioConfig, md) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(sites int64 [ue, k], count int64 [ue]) of every UE: the union of its
    ``interference.k_sites`` nearest sites (within ``max_distance_m``) at its positions of the
    channel updates (static UEs: the first), ascending; entries past the count repeat the
    first site (never read)."""
    layout = md.state.layout
    n_sites = layout.n_sites
    xy = layout.site_xy_m
    steps = [0] if md.fixed_positions else range(0, md.n_steps, md.update_every)
    sites = None
    for k in steps:
        cand, n_cand = nearest_sites(md.traj_xy_m[k], xy, cfg.interference.k_sites,
                                     max_distance_m=cfg.interference.max_distance_m)
        cand = np.where(np.arange(cand.shape[1])[None, :] < n_cand[:, None], cand, n_sites)  # n_sites: none
        sites = cand if sites is None else np.concatenate([sites, cand], axis=1)
        sites = np.sort(sites, axis=1)
        sites[:, 1:][sites[:, 1:] == sites[:, :-1]] = n_sites  # repeats out, then compact
        sites = np.sort(sites, axis=1)
        sites = sites[:, : max(int((sites < n_sites).sum(axis=1).max(initial=1)), 1)]
    count = (sites < n_sites).sum(axis=1).astype(np.int64)
    return np.ascontiguousarray(np.where(sites < n_sites, sites, sites[:, :1])), count


def _links_at(cfg: ScenarioConfig, md, k: int, sites: tuple[NDArray[np.int64], NDArray[np.int64]],
              order: NDArray[np.int64] | None) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """(received power over the band [dBm] float64 [ue, m], cells int64 [ue, m], the column
    order int64 [ue, m]) of the candidate links of ``sites`` (:func:`candidate_sites`) at the
    positions of step k; columns in ``order`` (None: cell order, computed here)."""
    st = md.state
    n = st.ues.n_ue
    m = n_link_slots(cfg, st, sites[0].shape[1])
    rx = np.full((n, m), -np.inf, dtype=np.float32)
    cells = np.zeros((n, m), dtype=np.int64)
    if not md.fixed_positions:
        st = dataclasses.replace(st, ues=dataclasses.replace(st.ues, xy_m=md.traj_xy_m[k]))
    radio_chunk(cfg, st, 0, n, rx_links=(rx, cells), cand_sites=sites)
    if order is None:
        # columns in cell order (padding columns, at -inf dBm, last): the sums over a UE's
        # links then run in the dense form's order, so a run whose candidates cover every cell
        # gives the dense run's numbers; the same order at every update (the same cells)
        order = np.lexsort((cells, np.isneginf(rx)), axis=1) if n else np.zeros((0, m), dtype=np.int64)
    rows = np.arange(n)[:, None]
    return rx[rows, order].astype(np.float64), np.ascontiguousarray(cells[rows, order]), order


def link_steps(cfg: ScenarioConfig, md, params: HandoverParams,
               load: NDArray[np.float64]) -> Iterator[tuple[int, float, bool, NDArray[np.float64],
                                                            NDArray[np.int64], HandoverState]]:
    """Step the UEs of a sparse drop ``md`` (:class:`~nrsim.engine.mobility.MotionDrop`).
    Yields ``(k, t_s, updated, rx_dbm [ue, m], cells [ue, m], hstate)`` as
    :func:`~nrsim.engine.mobility.mobility_steps` does, ``hstate`` over the candidate columns
    (:func:`cells_of`); ``load`` [cell] as there (updated in place by the caller)."""
    radio = cfg.radio
    n = md.state.ues.n_ue
    n_sc = n_rb(radio.bandwidth_mhz, radio.scs_khz, cfg.channel.fc_ghz) * SUBCARRIERS_PER_RB
    noise_mw = float(db_to_lin(noise_power_dbm(radio.bandwidth_mhz * 1e6, radio.ue_noise_figure_db)))
    sites = candidate_sites(cfg, md)
    rows = np.arange(n)
    order = None
    hstate: HandoverState | None = None
    for k in range(md.n_steps):
        remeasure = k % md.update_every == 0
        updated = remeasure and (k == 0 or not md.fixed_positions)
        if updated:  # the large-scale channel of the candidate links at the step's positions
            rx64, cells, order = _links_at(cfg, md, k, sites, order)
            p_mw = db_to_lin(rx64)  # [ue, m]
        ld = load[cells]  # [ue, m] the control plane's load of each link's cell (live)
        if remeasure:  # the measurements follow the control plane's load
            rsrp_dbm, rsrq_db, cell_sinr_db = measurement_quantities(p_mw, ld, noise_mw, n_sc)
        if hstate is None:
            hstate = HandoverState(n, cells.shape[1], np.argmax(rx64, axis=1), params, md.dt_s)
        s_mw = p_mw[rows, hstate.serving]
        i_mw = np.maximum((p_mw * ld).sum(axis=1) - s_mw * ld[rows, hstate.serving], 0.0)  # [ue]
        hstate.step(k * md.dt_s, rsrp_dbm, lin_to_db(s_mw / (i_mw + noise_mw)), rsrq_db, cell_sinr_db)
        yield k, k * md.dt_s, updated, rx64, cells, hstate


def cells_of(cols: NDArray[np.int64], cells: NDArray[np.int64], ues: NDArray[np.int64] | None = None) -> NDArray[np.int64]:
    """Cells [n] of candidate columns ``cols`` [n] of ``ues`` [n] (all UEs in order when None);
    :data:`~nrsim.mobility.handover.NO_CELL` stays."""
    ues = np.arange(cols.size) if ues is None else np.asarray(ues, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    return np.where(cols == NO_CELL, NO_CELL, cells[ues, np.where(cols == NO_CELL, 0, cols)])


def to_cells(hstate: HandoverState, cells: NDArray[np.int64]) -> None:
    """A finished ``hstate`` over candidate columns turned, in place, into one over cells (its
    serving cells and the sources and targets of its event log), for
    :func:`~nrsim.engine.mobility.drop_tables`; not to be stepped again."""
    ev = hstate.events
    ue = np.asarray(ev.ue, dtype=np.int64)
    ev.source = cells_of(np.asarray(ev.source, dtype=np.int64), cells, ue).tolist()
    ev.target = cells_of(np.asarray(ev.target, dtype=np.int64), cells, ue).tolist()
    hstate.serving = cells_of(hstate.serving, cells)
