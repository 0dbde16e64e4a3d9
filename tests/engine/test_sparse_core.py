"""The slot core on the compact link form (issue 12, item 2): ``LINK`` [ue, L] with the
serving cell in slot 0, the sparse static slot run on the core, and memory that does not grow
with n_cells x n_ue (docs/slots.md "Link form")."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import nrsim
from nrsim.engine import call_kernels as ck
from nrsim.engine.calls import _Drop, run_mobile_calls, run_static_calls, static_call_config, static_run_on_core
from nrsim.engine.link_steps import candidate_sites, cells_of, link_steps
from nrsim.engine.mobility import handover_params, motion_drop
from nrsim.engine.snapshot import build_layout
from nrsim.errors import ConfigError

ALL_LINKS = ["deployment.rings=1", "deployment.wraparound=false", "deployment.ue.per_sector=2",
             "radio.bandwidth_mhz=20", "slots.enabled=true", "slots.n_slots=200", "slots.warmup_slots=40",
             "slots.traffic.model=full_buffer", "slots.uplink.enabled=true", "slots.n_interferers=20",
             "slots.fading.interferers=unfaded"]
"""21 cells, and every cell one of each UE's links (1 + 20): the compact form models every
link the dense form did, so the core must give main's numbers bit for bit (interferers
without fast fading, as main's core then had them)."""
# recorded on main at be25ffd (the dense LINK [ue, cell] core), rounded to 1e-6
MAIN_THROUGHPUT_BPS = [17109600.0, 7337100.0, 3944400.0, 3232000.0, 12550900.0, 15307000.0, 10793800.0, 7820500.0, 7414300.0, 18487200.0, 18316300.0, 8644100.0, 25961300.0, 26080800.0, 1477900.0, 34058600.0, 7053300.0, 10271700.0, 15779200.0, 2123700.0, 6005000.0, 91700.0, 3903800.0, 34722000.0, 14596500.0, 22455100.0, 16965800.0, 18948100.0, 4581100.0, 16431600.0, 19213800.0, 25266900.0, 12453300.0, 5535500.0, 6568300.0, 24032300.0, 16388400.0, 17209300.0, 6001800.0, 21095500.0, 0.0, 7293400.0]
MAIN_UL_THROUGHPUT_BPS = [70200.0, 5119500.0, 16200.0, 707200.0, 4365200.0, 343900.0, 611300.0, 534300.0, 246100.0, 598200.0, 1062400.0, 517300.0, 6606000.0, 6606000.0, 341600.0, 5277200.0, 4361200.0, 494300.0, 9347100.0, 28800.0, 10800.0, 0.0, 3600.0, 13086700.0, 6606000.0, 2773600.0, 3463500.0, 6606000.0, 1800.0, 572200.0, 1100900.0, 2551900.0, 4908200.0, 75600.0, 45000.0, 1224400.0, 1370100.0, 604800.0, 8213100.0, 1658100.0, 0.0, 741700.0]
MAIN_UL_MEAN_SINR_DB = [-4.074091, 13.119639, -11.880312, 4.885747, 19.344642, -5.537141, 1.165172, -4.353775, -6.243512, -3.125036, -1.168067, -2.341347, 21.905999, 32.056948, 0.536773, 12.006141, 8.033676, 2.739082, 16.0477, -8.679508, -13.100909, -41.838423, -16.572544, 22.782885, 25.486743, 8.162175, 11.003584, 23.840617, -19.292488, -3.236001, 1.421168, 9.310448, 19.565866, -4.429617, -6.438321, -0.214791, 14.506661, 2.219551, 11.27587, 12.974939, -35.255399, -3.148829]
ROUND_TOL = 1e-6
"""The pinned values are rounded to 6 decimals."""

SMALL = ["deployment.rings=1", "deployment.wraparound=false", "deployment.ue.per_sector=2",
         "radio.bandwidth_mhz=20", "slots.enabled=true", "slots.n_slots=200", "slots.warmup_slots=40",
         "slots.uplink.enabled=true", "interference.k_sites=7"]
"""7 sites without wrap-around: ``k_sites = 7`` makes every cell a candidate of every UE."""
UE_KPIS = ("serving_cell", "throughput_bps", "ul_throughput_bps", "ul_mean_sinr_db", "mean_sinr_db",
           "geometry_sinr_db", "coupling_loss_db", "bler_first_tx", "ul_bler_first_tx")


def test_dense_core_gives_mains_numbers_when_every_cell_is_a_link() -> None:
    _, res = run_static_calls(nrsim.load_config("uma-default", ALL_LINKS, drops=1))
    ue = res.ue
    np.testing.assert_allclose(ue["throughput_bps"], MAIN_THROUGHPUT_BPS, rtol=0, atol=ROUND_TOL)
    np.testing.assert_allclose(ue["ul_throughput_bps"], MAIN_UL_THROUGHPUT_BPS, rtol=0, atol=ROUND_TOL)
    np.testing.assert_allclose(ue["ul_mean_sinr_db"], MAIN_UL_MEAN_SINR_DB, rtol=0, atol=ROUND_TOL)


@pytest.mark.parametrize("traffic", [["slots.traffic.model=full_buffer"],
                                     ["slots.traffic.model=video_call", "slots.scheduler.name=qos"]])
def test_sparse_static_run_on_the_core_matches_the_dense_one(traffic: list[str]) -> None:
    """Same drop, candidates covering every cell: the sparse form's numbers are the dense
    form's (same links, same sums in cell order)."""
    runs = {}
    for mode in ("dense", "sparse"):
        cfg = nrsim.load_config("uma-default", [*SMALL, *traffic, f"interference.mode={mode}"], drops=1)
        assert static_run_on_core(cfg)
        runs[mode] = run_static_calls(cfg)
    (s_d, c_d), (s_s, c_s) = runs["dense"], runs["sparse"]
    assert s_s.meta["n_links_per_ue"] == s_d.meta["n_links_per_ue"] == 9  # 1 + n_interferers
    for col in UE_KPIS:
        np.testing.assert_array_equal(c_s.ue[col].to_numpy(), c_d.ue[col].to_numpy(), err_msg=col)
    pd.testing.assert_frame_equal(c_s.events, c_d.events)
    if "calls" in c_d.kpis:
        assert json.dumps(c_s.kpis["calls"], sort_keys=True) == json.dumps(c_d.kpis["calls"], sort_keys=True)


def _stepped_drop(rings: int) -> tuple[_Drop, object, int, int]:
    """A sparse static drop of ``rings`` rings after its first step on the core."""
    cfg = nrsim.load_config("uma-default", [
        f"deployment.rings={rings}", "deployment.wraparound=false", "deployment.ue.per_sector=2",
        "radio.bandwidth_mhz=20", "slots.enabled=true", "slots.n_slots=40", "slots.warmup_slots=0",
        "slots.traffic.model=full_buffer", "slots.uplink.enabled=true", "interference.mode=sparse",
        "interference.k_sites=3", "slots.n_interferers=4"], drops=1)
    mcfg = static_call_config(cfg)
    layout = build_layout(mcfg)
    md = motion_drop(mcfg, 0, layout)
    dr = _Drop(mcfg, md, layout.n_cells)
    steps = link_steps(mcfg, md, handover_params(mcfg), np.ones(layout.n_cells))
    _, _, updated, rx, cells, hstate = next(steps)
    assert updated
    dr.channel(rx, cells)
    dr.serve(cells_of(hstate.serving, cells))
    dr.run_step(0, np.ones(dr.n_ue, dtype=bool))
    return dr, hstate, dr.n_ue, layout.n_cells


def _ue_arrays(objs, n_ue: int) -> dict[str, tuple[int, ...]]:
    """Shapes of every array of ``objs`` with a UE axis (the fading bank's rows excepted)."""
    out = {}
    for name, obj in objs.items():
        items = dict(vars(obj))
        items.update({f"filtered_{q}": v for q, v in getattr(obj, "filtered", {}).items()})
        for key, a in items.items():
            if isinstance(a, np.ndarray) and n_ue in a.shape and key != "bank":
                out[f"{name}.{key}"] = a.shape
    return out


def test_sparse_memory_does_not_grow_with_cells_times_ues() -> None:
    """Per UE the core and the control plane hold the same arrays in a 19-site and a 61-site
    network (3 candidate sites, 4 + 1 links): nothing is [ue, cell]."""
    shapes = {}
    for rings in (2, 4):
        dr, hstate, n_ue, n_cells = _stepped_drop(rings)
        assert dr.LINK.shape == (n_ue, 5) and dr.LINK.dtype == ck.LINK_DTYPE
        np.testing.assert_array_equal(dr.LINK["cell"][:, ck.SERVING_LINK], dr.serving)
        arrays = _ue_arrays({"drop": dr, "hstate": hstate}, n_ue)
        for key, shape in arrays.items():
            assert n_cells not in shape, key  # no [ue, cell] array
        # the shapes with the UE axis named: the same in both networks
        shapes[rings] = {k: tuple("ue" if d == n_ue else d for d in s) for k, s in arrays.items()}
        assert "drop.cand_rx_prb_mw" in shapes[rings] and "hstate.filtered_rsrp" in shapes[rings]
    assert shapes[2] == shapes[4]


def test_serving_cell_outside_the_strongest_goes_to_slot_0() -> None:
    """A serving cell that is not among a UE's strongest cells (re-establishment, a late
    handover) takes slot 0 and the weakest of the strongest is left out."""
    dr, _, n_ue, n_cells = _stepped_drop(2)
    u = 0
    cand = dr.cand_cell[u]
    power = dr.cand_rx_prb_mw[u]
    strongest = set(dr.top_cell[u])
    weak = [j for j in np.argsort(power) if power[j] > 0 and cand[j] not in strongest][0]
    serving = dr.serving.copy()
    serving[u] = cand[weak]
    dr.serve(serving)
    dr.links()
    link = dr.LINK[u]
    assert link["cell"][ck.SERVING_LINK] == cand[weak]
    assert link["rx_prb_mw"][ck.SERVING_LINK] == power[weak]
    others = np.sort(dr.top_rx_mw[u])[::-1][: dr.k_top - 1]  # the strongest, less the weakest
    np.testing.assert_array_equal(link["rx_prb_mw"][1:], others)
    assert len(set(link["cell"])) == dr.k_top


MOVING = ["deployment.rings=1", "deployment.wraparound=false", "deployment.ue.per_sector=3", "deployment.isd_m=200",
          "mobility.duration_s=1", "mobility.speeds_kmh=[120]", "mobility.speed_shares=[1.0]", "slots.enabled=true",
          "slots.warmup_slots=100", "slots.traffic.model=video_call", "slots.uplink.enabled=true"]
"""Fast UEs on a 7-site network (handovers within 1 s); ``k_sites`` (192) covers every site."""


def test_moving_call_run_on_the_sparse_form_matches_the_dense_one() -> None:
    """Candidates covering every cell: the moving run's handovers, RLFs and call KPIs on the
    sparse form are the dense form's (same links, L3 filter per candidate column)."""
    runs = {m: run_mobile_calls(nrsim.load_config("mobility-uma", [*MOVING, f"interference.mode={m}"]))
            for m in ("dense", "sparse")}
    d, s = runs["dense"], runs["sparse"]
    assert d.ue["handovers"].sum() > 0  # the case exercises handovers
    pd.testing.assert_frame_equal(s.events, d.events)
    for col in ("handovers", "rlfs", "final_serving_cell", "throughput_bps", "ul_throughput_bps",
                "ul_mean_sinr_db", "csi_sinr_db", "mean_rsrp_dbm"):
        np.testing.assert_array_equal(s.ue[col].to_numpy(), d.ue[col].to_numpy(), err_msg=col)


def test_moving_candidates_are_the_nearest_sites_along_the_path() -> None:
    """Each UE's candidate sites hold its k nearest sites at every channel update."""
    cfg = nrsim.load_config("mobility-uma", [*MOVING, "deployment.rings=2", "interference.mode=sparse",
                                             "interference.k_sites=2"])
    layout = build_layout(cfg)
    md = motion_drop(cfg, 0, layout)
    sites, count = candidate_sites(cfg, md)
    assert sites.shape[1] < layout.n_sites and np.all(count >= 2)
    for k in range(0, md.n_steps, md.update_every):
        d2 = ((md.traj_xy_m[k][:, None, :] - layout.site_xy_m[None, :, :]) ** 2).sum(axis=2)  # [ue, site]
        nearest = np.argsort(d2, axis=1)[:, :2]
        for u in range(sites.shape[0]):
            assert set(nearest[u]) <= set(sites[u, : count[u]])


def test_what_still_needs_the_dense_form() -> None:
    """A mobility run without slots, and the clustered channel in a call run."""
    sparse = ["deployment.wraparound=false", "interference.mode=sparse"]
    with pytest.raises(ConfigError) as e:
        nrsim.load_config("mobility-uma", sparse)
    assert e.value.field == "interference.mode"
    with pytest.raises(ConfigError) as e:
        nrsim.load_config("mobility-uma", [*MOVING, *sparse, "slots.fading.model=cdl-38901"])
    assert e.value.field == "interference.mode"
    nrsim.load_config("mobility-uma", [*MOVING, *sparse])  # a call run on the sparse form: fine
