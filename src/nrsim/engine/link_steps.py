"""The control plane of static UEs on the sparse link form: the step loop of
:func:`nrsim.engine.mobility.mobility_steps` for ``mobility.model = "static"`` when the drop is
sparse (``interference.mode = "sparse"``, or ``auto`` beyond ``auto_dense_max_sites``), without
any [ue, cell] array.

Each UE's links are its candidate cells (the cells of its ``interference.k_sites`` nearest
sites, :func:`nrsim.engine.snapshot.radio_chunk` with ``rx_links``), computed once: the UEs do
not move. The handover machinery (:class:`nrsim.mobility.handover.HandoverState`: L3 filter,
A3/A5 with TTT, radio-link monitoring, RLF and re-establishment) runs unchanged on the
candidate columns [ue, m]: column j of UE u is cell ``cells[u, j]``, fixed for the run, so a
handover target or a re-establishment cell is always a candidate, and the measurements see the
candidates' load only (the interference of cells beyond the K nearest sites is dropped, as in
the sparse snapshot). :func:`cells_of` and :func:`to_cells` map the state's columns back to cells.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from nrsim.config.schema import ScenarioConfig
from nrsim.engine.snapshot import n_link_slots, radio_chunk
from nrsim.link.numerology import SUBCARRIERS_PER_RB, n_rb
from nrsim.mobility.handover import NO_CELL, HandoverParams, HandoverState
from nrsim.radio.link_budget import noise_power_dbm
from nrsim.radio.measurements import measurement_quantities
from nrsim.units import db_to_lin, lin_to_db


def candidate_links(cfg: ScenarioConfig, state) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """(received power over the band [dBm] float64 [ue, m], cells int64 [ue, m]) of every UE's
    candidate links at the drop's positions, in cell order; columns without a link (a site with
    fewer cells, fewer candidates within ``interference.max_distance_m``) last, at -inf dBm."""
    n = state.ues.n_ue
    m = n_link_slots(cfg, state)
    rx = np.full((n, m), -np.inf, dtype=np.float32)
    cells = np.zeros((n, m), dtype=np.int64)
    radio_chunk(cfg, state, 0, n, rx_links=(rx, cells))
    # columns in cell order (padding columns, at -inf dBm, last): the sums over a UE's links
    # then run in the dense form's order, so a sparse run whose candidates cover every cell
    # gives the dense run's numbers
    order = np.lexsort((cells, np.isneginf(rx)), axis=1) if n else np.zeros((0, m), dtype=np.int64)
    rows = np.arange(n)[:, None]
    return rx[rows, order].astype(np.float64), np.ascontiguousarray(cells[rows, order])


def static_link_steps(cfg: ScenarioConfig, md, params: HandoverParams,
                      load: NDArray[np.float64]) -> Iterator[tuple[int, float, bool, NDArray[np.float64],
                                                                   NDArray[np.int64], HandoverState]]:
    """Step the static UEs of a sparse drop ``md`` (:class:`~nrsim.engine.mobility.MotionDrop`
    with fixed positions). Yields ``(k, t_s, updated, rx_dbm [ue, m], cells [ue, m], hstate)``
    as :func:`~nrsim.engine.mobility.mobility_steps` does, ``hstate`` over the candidate columns
    (:func:`cells_of`); ``load`` [cell] as there (updated in place by the caller)."""
    radio = cfg.radio
    n = md.state.ues.n_ue
    n_sc = n_rb(radio.bandwidth_mhz, radio.scs_khz, cfg.channel.fc_ghz) * SUBCARRIERS_PER_RB
    noise_mw = float(db_to_lin(noise_power_dbm(radio.bandwidth_mhz * 1e6, radio.ue_noise_figure_db)))
    rx64, cells = candidate_links(cfg, md.state)
    p_mw = db_to_lin(rx64)  # [ue, m]
    rows = np.arange(n)
    hstate = HandoverState(n, cells.shape[1], np.argmax(rx64, axis=1), params, md.dt_s)
    for k in range(md.n_steps):
        if k % md.update_every == 0:  # the measurements follow the control plane's load
            ld = load[cells]  # [ue, m]
            rsrp_dbm, rsrq_db, cell_sinr_db = measurement_quantities(p_mw, ld, noise_mw, n_sc)
        s_mw = p_mw[rows, hstate.serving]
        i_mw = np.maximum((p_mw * ld).sum(axis=1) - s_mw * ld[rows, hstate.serving], 0.0)  # [ue]
        hstate.step(k * md.dt_s, rsrp_dbm, lin_to_db(s_mw / (i_mw + noise_mw)), rsrq_db, cell_sinr_db)
        yield k, k * md.dt_s, k == 0, rx64, cells, hstate


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
