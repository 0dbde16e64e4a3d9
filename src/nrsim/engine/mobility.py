"""Mobility runs: UEs move, measure every cell, hand over and fail, step by step.

One drop gives the UEs (indoor state, height, O2I loss: fixed along the trajectory) and the
shadowing fields; the UEs move every step, and every ``channel_update_ms`` the compiled
kernel recomputes the large-scale link to every cell at their new positions. LOS state and
shadow fading are spatially consistent along each trajectory (TR 38.901 7.6.3): the shadow
fading is read from the site's correlated field at the UE's position, interpolated
bilinearly between the grid points and renormalised to unit variance
(:mod:`nrsim.channel.field_read`), so it varies continuously; the LOS state compares
Phi(G_s(x)) with P_LOS(d) at the current position, G_s the site's LOS field correlated over
the distance of Table 7.6.3.1-2 (``channel.los_spatial_consistency``; without it, the
link's fixed uniform variate), so neither is redrawn per step. With the LOS field, moving
UEs take the soft LOS state of 7.6.3.3 (``channel.soft_los``): LOS and NLOS power mixed with
weight LOS_soft^2, continuous along the path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nrsim.config.schema import ScenarioConfig
from nrsim.engine.snapshot import build_layout, prepare_drop, radio_chunk
from nrsim.kpi.mobility import mobility_kpis
from nrsim.link.numerology import SUBCARRIERS_PER_RB, n_rb
from nrsim.mobility.handover import HandoverParams, HandoverState
from nrsim.mobility.trajectories import (
    Area,
    kmh_to_ms,
    random_direction,
    random_waypoint,
    static,
    straight_lines,
)
from nrsim.radio.link_budget import noise_power_dbm
from nrsim.radio.measurements import measurement_quantities
from nrsim.rng import stream
from nrsim.units import db_to_lin, lin_to_db

ProgressCallback = Callable[[int, int], None]


def handover_params(cfg: ScenarioConfig) -> HandoverParams:
    h = cfg.mobility.handover
    return HandoverParams(
        event=h.event, a3_offset_db=h.a3_offset_db, hysteresis_db=h.hysteresis_db,
        ttt_s=h.ttt_ms / 1e3, a5_threshold1_dbm=h.a5_threshold1_dbm,
        a5_threshold2_dbm=h.a5_threshold2_dbm, l3_filter_k=h.l3_filter_k,
        interruption_s=h.interruption_ms / 1e3, q_out_db=h.q_out_db, q_in_db=h.q_in_db,
        n310=h.n310, n311=h.n311, t310_s=h.t310_ms / 1e3, reestablish_s=h.reestablish_ms / 1e3,
        ping_pong_s=h.ping_pong_ms / 1e3, mro_window_s=h.mro_window_ms / 1e3,
        trigger_quantity=h.trigger_quantity, failures=h.failures,
        preparation_s=h.preparation_ms / 1e3, execution_s=h.execution_ms / 1e3, t304_s=h.t304_ms / 1e3,
        delivery_sinr_db=h.delivery_sinr_db, report_sinr_db=h.report_sinr_db,
        command_needs_in_sync=h.command_needs_in_sync,
        access_sinr_db=h.access_sinr_db,
        conditional=h.conditional, cho_preparation_offset_db=h.cho_preparation_offset_db,
        cho_preparation_ttt_s=h.cho_preparation_ttt_ms / 1e3,
        cho_execution_offset_db=h.cho_execution_offset_db, cho_execution_ttt_s=h.cho_execution_ttt_ms / 1e3,
        cho_validity_s=h.cho_validity_ms / 1e3, cho_recovery=h.cho_recovery,
    )


def trajectories(
    cfg: ScenarioConfig, start_xy_m: NDArray[np.float64], area: Area, *, rng: np.random.Generator,
    indoor: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Positions [step, ue, 2] and speeds [ue] (m/s) of the configured mobility model. With
    ``mobility.indoor_speed_kmh`` set, ``indoor`` [ue] UEs move at that speed and the others
    draw from ``speeds_kmh``."""
    mob = cfg.mobility
    n = start_xy_m.shape[0]
    dt = mob.step_ms / 1e3
    n_steps = int(round(mob.duration_s / dt))
    speeds = np.asarray(mob.speeds_kmh, dtype=np.float64)
    idx = rng.choice(len(speeds), size=n, p=mob.speed_shares)
    v_kmh = speeds[idx]
    if mob.indoor_speed_kmh is not None and indoor is not None:
        v_kmh = np.where(np.asarray(indoor, dtype=bool), mob.indoor_speed_kmh, v_kmh)
    v = kmh_to_ms(v_kmh)
    if mob.model == "static":
        return static(start_xy_m, n_steps), np.zeros(n)
    if mob.model == "straight":
        heading = rng.uniform(0.0, 2.0 * np.pi, n)
        return straight_lines(start_xy_m, v, heading, area, n_steps, dt), v
    if mob.model == "random-waypoint":
        return random_waypoint(start_xy_m, v, area, n_steps, dt, pause_s=mob.pause_s, rng=rng), v
    return random_direction(start_xy_m, v, area, n_steps, dt, mean_leg_s=mob.mean_leg_s, rng=rng), v


@dataclass(frozen=True)
class MobilityResult:
    ue: pd.DataFrame
    events: pd.DataFrame
    kpis: dict[str, Any]


@dataclass
class MotionDrop:
    """One drop of a mobility run: the drop's large-scale state (UEs, shadowing fields) and
    the UEs' trajectories [step, ue, 2] (m) with their speeds [ue] (m/s)."""

    drop: int
    state: Any
    traj_xy_m: NDArray[np.float64]
    speed_ms: NDArray[np.float64]
    n_steps: int
    dt_s: float
    update_every: int
    fixed_positions: bool = False
    """Static UEs: the large-scale channel of step 0 holds throughout (the measurements still
    follow the control plane's load every ``update_every`` steps)."""


def motion_drop(cfg: ScenarioConfig, drop: int, layout) -> MotionDrop:
    """Drop ``drop`` of ``cfg`` with its trajectories (random streams by drop and name).

    ``mobility.model = "static"`` (the static mobility model: speed 0, UEs at the positions of
    the static drop, :func:`nrsim.engine.snapshot.prepare_drop`) keeps the snapshot drop's
    large-scale state (shadowing read at the nearest grid point, hard LOS state, positions not
    clipped to the site area) and computes the large-scale channel once (the load-dependent
    measurements are still refreshed every ``mobility.channel_update_ms``)."""
    static_ues = cfg.mobility.model == "static"
    state = prepare_drop(cfg, drop, layout=layout)
    if not static_ues:
        # moving UEs read the shadow fading continuously (bilinear, unit variance), and with
        # the spatially consistent LOS state take its soft form (TR 38.901 7.6.3.3); static
        # UEs keep the snapshot drop's large-scale state (grid-point shadowing, hard LOS)
        state = dataclasses.replace(state, bilinear=True, soft_los=cfg.channel.soft_los)
    dt = cfg.mobility.step_ms / 1e3
    n_steps = int(round(cfg.mobility.duration_s / dt))
    lo = layout.site_xy_m.min(axis=0) - layout.isd_m / 2
    hi = layout.site_xy_m.max(axis=0) + layout.isd_m / 2
    area = Area(float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
    # moving UEs start inside the area their models keep them in; static UEs stay where the
    # snapshot drop put them
    start = state.ues.xy_m if static_ues else np.clip(state.ues.xy_m, lo, hi)
    traj, v = trajectories(cfg, start, area, rng=stream(cfg.seed, "mobility", drop=drop), indoor=state.ues.indoor)
    update_every = max(int(round(cfg.mobility.channel_update_ms / cfg.mobility.step_ms)), 1)
    return MotionDrop(drop, state, traj, v, n_steps, dt, update_every, fixed_positions=static_ues)


PREFETCH_CHANNEL = True
"""Compute the next channel refresh of moving UEs on a worker thread (one numba thread, so
it takes the core that the caller's serial work leaves idle) while the caller works on the
steps before it; False: inline, on the caller's thread (the same numbers either way)."""


def mobility_steps(cfg: ScenarioConfig, md: MotionDrop, params: HandoverParams,
                   load: NDArray[np.float64] | None = None):
    """Step the drop's UEs through time. Yields ``(k, t_s, updated, rx_dbm, hstate)`` after
    step k's measurements, handover and RLF: ``rx_dbm`` float64 [ue, cell] is the received
    power of every cell over the whole band at the step's positions (recomputed every
    ``channel_update_ms``; ``updated`` marks the steps where it was), ``hstate`` the
    :class:`HandoverState` after the step.

    ``load`` [cell] is the activity of each cell that the control plane's interference
    (serving SINR for radio-link monitoring and handover signalling, RSSI, cell SINRs)
    assumes; the caller may update it in place between steps (a call run feeds the cells'
    measured PRB utilisation). Default: ``radio.load`` for every cell."""
    radio = cfg.radio
    layout = md.state.layout
    n = md.state.ues.n_ue
    n_sc = n_rb(radio.bandwidth_mhz, radio.scs_khz, cfg.channel.fc_ghz) * SUBCARRIERS_PER_RB
    noise_mw = float(db_to_lin(noise_power_dbm(radio.bandwidth_mhz * 1e6, radio.ue_noise_figure_db)))
    if load is None:
        load = np.full(layout.n_cells, float(radio.load))
    rows = np.arange(n)
    hstate: HandoverState | None = None
    # the next channel refresh (positions known in advance) is computed on a worker thread
    # while the caller works on the current steps (a call run's slot core releases the GIL)
    prefetch = PREFETCH_CHANNEL and not md.fixed_positions and md.n_steps > md.update_every
    pool = ThreadPoolExecutor(max_workers=1, initializer=numba.set_num_threads, initargs=(1,)) if prefetch else None
    pending: Future | None = None
    try:
        for k in range(md.n_steps):
            remeasure = k % md.update_every == 0
            # large-scale channel at the UEs' current positions (static UEs: once, at step 0)
            updated = remeasure and (k == 0 or not md.fixed_positions)
            if updated:
                rx64, p_mw = pending.result() if pending is not None else large_scale_channel(cfg, md, k)
                pending = None
                k_next = k + md.update_every
                if pool is not None and k_next < md.n_steps:
                    pending = pool.submit(large_scale_channel, cfg, md, k_next)
            if remeasure:  # the measurements follow the control plane's load
                rsrp_dbm, rsrq_db, cell_sinr_db = measurement_quantities(p_mw, load, noise_mw, n_sc)  # [ue, cell]
            if hstate is None:
                hstate = HandoverState(n, layout.n_cells, np.argmax(rx64, axis=1), params, md.dt_s)
            s_mw = p_mw[rows, hstate.serving]
            i_mw = np.maximum(p_mw @ load - s_mw * load[hstate.serving], 0.0)  # [ue]
            sinr_db = lin_to_db(s_mw / (i_mw + noise_mw))
            hstate.step(k * md.dt_s, rsrp_dbm, sinr_db, rsrq_db, cell_sinr_db)
            yield k, k * md.dt_s, updated, rx64, hstate
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def large_scale_channel(cfg: ScenarioConfig, md: MotionDrop, k: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Received power of every cell over the whole band at the UEs' positions of step ``k``
    [ue, cell]: (float64 dBm, mW) (the compiled kernel's float32 dBm, widened)."""
    rx = np.full((md.state.ues.n_ue, md.state.layout.n_cells), -np.inf, dtype=np.float32)
    st = dataclasses.replace(md.state, ues=dataclasses.replace(md.state.ues, xy_m=md.traj_xy_m[k]))
    radio_chunk(cfg, st, 0, md.state.ues.n_ue, rx_cells_dbm=rx)
    rx64 = rx.astype(np.float64)
    return rx64, db_to_lin(rx64)


def drop_tables(md: MotionDrop, hstate: HandoverState) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-UE counts, event log with positions) of a finished drop."""
    drop, dt, n_steps, traj = md.drop, md.dt_s, md.n_steps, md.traj_xy_m
    n = md.state.ues.n_ue
    ev = pd.DataFrame(dataclasses.asdict(hstate.events))
    ev.insert(0, "drop", drop)
    # where each event happened (the UE's position at that step), for maps
    if len(ev):
        k_ev = np.clip(np.rint(ev["time_s"].to_numpy() / dt).astype(np.int64), 0, n_steps - 1)
        ue_ev = ev["ue"].to_numpy()
        ev["x_m"] = traj[k_ev, ue_ev, 0]
        ev["y_m"] = traj[k_ev, ue_ev, 1]
    else:
        ev["x_m"] = pd.Series(dtype="float64")
        ev["y_m"] = pd.Series(dtype="float64")
    kinds = ev.groupby(["ue", "kind"]).size().unstack(fill_value=0) if len(ev) else pd.DataFrame()

    def count(kind: str) -> NDArray[np.int64]:
        if kind not in kinds:
            return np.zeros(n, dtype=np.int64)
        return kinds[kind].reindex(range(n), fill_value=0).to_numpy()

    pp = ev[(ev["kind"] == "handover") & (ev["outcome"] == "ping_pong")].groupby("ue").size()
    ue = pd.DataFrame({
        "drop": drop, "ue": np.arange(n), "speed_kmh": md.speed_ms * 3.6,
        "handovers": count("handover"), "ping_pongs": pp.reindex(range(n), fill_value=0).to_numpy(),
        "rlfs": count("rlf"), "handover_failures": count("handover_failure"), "outage_s": hstate.outage_s,
        "final_serving_cell": hstate.serving,
        "mean_rsrp_dbm": hstate.mean_serving("rsrp"), "mean_rsrq_db": hstate.mean_serving("rsrq"),
        "mean_sinr_db": hstate.mean_serving("sinr"),
    })
    return ue, ev


def run_mobility(cfg: ScenarioConfig, *, progress: ProgressCallback | None = None) -> MobilityResult:
    """Simulate every drop of ``cfg`` with moving UEs; return per-UE counts, the event log
    and the mobility KPIs."""
    layout = build_layout(cfg)
    params = handover_params(cfg)
    ue_frames, ev_frames = [], []
    n_steps = int(round(cfg.mobility.duration_s / (cfg.mobility.step_ms / 1e3)))
    total = cfg.drops * n_steps
    done = 0
    for drop in range(cfg.drops):
        md = motion_drop(cfg, drop, layout)
        if md.state.sparse:  # (call runs step the sparse form: engine/link_steps.py)
            raise ValueError("mobility runs without slots need interference.mode = 'dense'")
        hstate = None
        for k, _t, _upd, _rx, hstate in mobility_steps(cfg, md, params):
            done += 1
            if progress is not None and (k % 50 == 0 or k == md.n_steps - 1):
                progress(done, total)
        if hstate is None:
            raise ValueError("mobility.duration_s is shorter than one step")
        ue, ev = drop_tables(md, hstate)
        ue_frames.append(ue)
        ev_frames.append(ev)
    ue_df = pd.concat(ue_frames, ignore_index=True)
    ev_df = pd.concat(ev_frames, ignore_index=True) if ev_frames else pd.DataFrame()
    return MobilityResult(ue=ue_df, events=ev_df, kpis=mobility_kpis(ue_df, ev_df, cfg.mobility.duration_s))
