"""Stage evaluation: each stage of a plan is a static snapshot run of the scenario with that
stage's site list (docs/policy.md).

A stage keeps every cell index and site position, so the UE drops, LOS states and shadow
fading are those of the scenario (the same users in every stage): a site not on air yet has
its cells at :data:`~nrsim.deployment.sites.EXCLUDED_TX_POWER_DBM`, a swapped site carries the
replacement equipment (power, tilt, label). Per stage:

* coverage by users (share of UEs with RSRP >= ``coverage.rsrp_threshold_dbm`` and SINR >=
  ``coverage.sinr_threshold_db``, all drops) and by area (the same test on the coverage raster
  of drop 0, :func:`nrsim.coverage.coverage_maps`);
* median and 5th-percentile full-buffer user throughput (:func:`nrsim.engine.snapshot.apply_throughput`);
* video-call satisfied share, a snapshot proxy: a user is satisfied when covered and its
  throughput is at least ``slots.traffic.video_bitrate_bps``, less the share of satisfied users
  at an inter-vendor border times ``evaluation.inter_vendor_handover_failure`` (times 1 when
  the handover interruption, with ``evaluation.inter_vendor_handover_interruption_ms``, loses
  more than ``slots.traffic.call_max_frame_loss`` of a call: :func:`interruption_frame_loss`) (the static slot
  engine per stage would cost minutes per stage for a city pilot; see docs/policy.md);
* neighbour relations: a user whose second-best cell is within ``evaluation.handover_margin_db``
  of its best (received power of every cell, dense form) relates that unordered cell pair;
  inter-vendor relations are those whose two cells belong to different vendors.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from nrsim.config.schema import ScenarioConfig
from nrsim.deployment.sites import EXCLUDED_TX_POWER_DBM, SiteList, config_site_list, site_list_layout
from nrsim.engine.snapshot import apply_throughput, build_layout, is_sparse, prepare_drop, radio_chunk
from nrsim.errors import ConfigError
from nrsim.policy.schema import Policy
from nrsim.policy.stage import StageState, stage_site_list
from nrsim.policy.video import stage_video_kpis
from nrsim.coverage import coverage_maps
from nrsim.parallel.resume import sha256_file, write_part_record

BASELINE = -1
"""Stage index of the network at the start of the plan (before any action)."""


def stage_layout(cfg: ScenarioConfig, sites: SiteList, policy: Policy, state: StageState):
    st_sites, off = stage_site_list(sites, policy, state)
    layout = site_list_layout(st_sites, cfg)
    tx = np.where(off, EXCLUDED_TX_POWER_DBM, layout.cell_tx_power_dbm)
    return dataclasses.replace(layout, cell_tx_power_dbm=tx), st_sites


def check_evaluable(cfg: ScenarioConfig) -> None:
    """A policy study needs a site list (``deployment.layout = "sites"``), a snapshot run
    and the dense interference form (received power of every cell per user)."""
    if cfg.deployment.layout != "sites":
        raise ConfigError(f"deployment.layout = {cfg.deployment.layout!r}: a policy applies to a site list with "
                          "vendor labels; allowed 'sites'", field="deployment.layout")
    if cfg.slots.enabled or cfg.mobility.enabled:
        raise ConfigError("a policy stage is a static snapshot run; allowed slots.enabled = false and "
                          "mobility.enabled = false", field="slots.enabled" if cfg.slots.enabled else "mobility.enabled")
    if is_sparse(cfg, build_layout(cfg)):
        raise ConfigError("policy stages need the received power of every cell (neighbour relations); allowed "
                          "interference.mode = 'dense'", field="interference.mode")


_STATE_CACHE: dict[tuple[str, int], Any] = {}


def _drop_state(cfg: ScenarioConfig, drop: int):
    """The scenario's drop (UEs, O2I, shadowing), cached per process: it does not depend on the
    stage (same site positions)."""
    key = (cfg.model_dump_json(), drop)
    if key not in _STATE_CACHE:
        if len(_STATE_CACHE) >= 4:
            _STATE_CACHE.clear()
        _STATE_CACHE[key] = prepare_drop(cfg, drop, layout=build_layout(cfg))
    return _STATE_CACHE[key]


def evaluate_stage(cfg: ScenarioConfig, policy: Policy, state: StageState, drops: int) -> dict[str, Any]:
    """KPIs of one stage (see the module docstring) plus ``served_ues`` [site] (users served,
    summed over drops) and ``inter_vendor_pairs`` (sorted cell index pairs)."""

    sites = config_site_list(cfg)
    layout, st_sites = stage_layout(cfg, sites, policy, state)
    cell_vendor = st_sites.cells["vendor"].to_numpy(dtype=object)
    cell_site = layout.cell_site
    cv = cfg.coverage
    margin = policy.evaluation.handover_margin_db
    thr_all, covered_all, border_all = [], [], []
    pairs: set[tuple[int, int]] = set()
    inter: set[tuple[int, int]] = set()
    served_site = np.zeros(layout.n_sites, dtype=np.int64)
    for d in range(drops):
        base = _drop_state(cfg, d)
        st = dataclasses.replace(base, layout=layout)
        n = st.ues.n_ue
        rx = np.empty((n, layout.n_cells), dtype=np.float32)  # [ue, cell] dBm
        cols = radio_chunk(cfg, st, 0, n, rx_cells_dbm=rx)
        serving = cols["serving_cell"]
        n_ue_cell = np.bincount(serving, minlength=layout.n_cells)
        thr = apply_throughput(cfg, cols, n_ue_cell)
        covered = (cols["rsrp_dbm"] >= cv.rsrp_threshold_dbm) & (cols["sinr_db"] >= cv.sinr_threshold_db)
        served_site += np.bincount(cell_site[serving], weights=covered, minlength=layout.n_sites).astype(np.int64)
        # neighbour relations: best and second-best cell within the margin      # [ue, cell]
        best = np.take_along_axis(rx, serving[:, None], axis=1)[:, 0]
        rx2 = rx.copy()
        rx2[np.arange(n), serving] = -np.inf
        second = np.argmax(rx2, axis=1) if layout.n_cells > 1 else serving
        near = (rx2[np.arange(n), second] >= best - margin) & covered & (layout.n_cells > 1)
        lo, hi = np.minimum(serving, second), np.maximum(serving, second)
        diff = cell_vendor[serving] != cell_vendor[second]
        for a, b, dv in zip(lo[near], hi[near], diff[near]):
            pairs.add((int(a), int(b)))
            if dv:
                inter.add((int(a), int(b)))
        thr_all.append(thr)
        covered_all.append(covered)
        border_all.append(near & diff)
    thr = np.concatenate(thr_all)
    covered = np.concatenate(covered_all)
    border = np.concatenate(border_all)
    video = covered & (thr >= cfg.slots.traffic.video_bitrate_bps)
    ev, tr = policy.evaluation, cfg.slots.traffic
    loss = interruption_frame_loss((cfg.mobility.handover.interruption_ms + ev.inter_vendor_handover_interruption_ms)
                                   / 1e3, tr.video_pdb_s, ev.call_duration_s)
    p_fail = 1.0 if loss > tr.call_max_frame_loss else ev.inter_vendor_handover_failure
    n = thr.size
    maps = coverage_maps(cfg, layout=layout)
    m = maps.grid.mask
    area_cov = (maps.rsrp_dbm >= cv.rsrp_threshold_dbm) & (maps.sinr_db >= cv.sinr_threshold_db)
    share = (lambda x: float(np.mean(x)) if n else float("nan"))
    return {
        "stage": state.stage,
        "n_users": int(n),
        "coverage_user_share": share(covered),
        "coverage_area_share": float(area_cov[m].mean()) if m.any() else float("nan"),
        "coverage_area_km2": float(area_cov[m].sum() * maps.grid.resolution_m ** 2 / 1e6),
        "throughput_median_bps": float(np.median(thr)) if n else float("nan"),
        "throughput_p5_bps": float(np.percentile(thr, 5)) if n else float("nan"),
        "throughput_mean_bps": float(np.mean(thr)) if n else float("nan"),
        "video_satisfied_share": share(video) - p_fail * share(video & border),
        "neighbour_relations": len(pairs),
        "inter_vendor_relations": len(inter),
        "inter_vendor_border_user_share": share(border),
        "inter_vendor_interruption_ms_per_user": share(border) * ev.inter_vendor_handover_interruption_ms,
        "served_ues": served_site.tolist(),
        "inter_vendor_pairs": sorted(inter),
    }


def interruption_frame_loss(interruption_s: float, pdb_s: float, call_s: float) -> float:
    """Share of a call's video frames lost to one handover interruption (our model, not a
    3GPP one): frames arrive at a constant rate and none is delivered during the
    interruption; a frame arriving at ``t`` in ``[0, interruption_s)`` waits until its end, so
    it misses its delay budget ``pdb_s`` when ``t < interruption_s - pdb_s``. Lost share
    ``max(interruption_s - pdb_s, 0) / call_s`` (at most 1). Scalars in seconds."""
    return min(max(interruption_s - pdb_s, 0.0) / call_s, 1.0)


def stage_part_name(stage: int) -> str:
    return f"stage{stage + 1:05d}"


def stage_task(cfg_json: str, policy_json: str, state: StageState, drops: int, part_dir: str,
               numba_threads: int = 0) -> dict[str, Any]:
    """Evaluate one stage and commit ``<part_dir>/stageNNNNN.json`` with its record
    (:mod:`nrsim.parallel.resume`): a killed run resumes from the committed stages."""

    if numba_threads > 0:
        import numba

        numba.set_num_threads(numba_threads)
    cfg = ScenarioConfig.model_validate_json(cfg_json)
    policy = Policy.model_validate_json(policy_json)
    row = evaluate_stage(cfg, policy, state, drops)
    name = stage_part_name(state.stage)
    folder = Path(part_dir)
    if policy.evaluation.video == "slots":
        row.update(stage_video_kpis(cfg, policy, config_site_list(cfg), state,
                                    folder / f".{name}.{os.getpid()}.sites.csv"))
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(row, sort_keys=True) + "\n", encoding="utf-8")
    digest = sha256_file(tmp)
    os.replace(tmp, folder / f"{name}.json")
    write_part_record(folder, name, {f"{name}.json": digest})
    return row


def read_stage_part(part_dir: Path, stage: int) -> dict[str, Any]:
    return json.loads((Path(part_dir) / f"{stage_part_name(stage)}.json").read_text(encoding="utf-8"))
