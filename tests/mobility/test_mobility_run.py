"""Mobility runs end to end: spatially consistent shadowing along paths, KPIs, outputs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nrsim
from nrsim.channel.shadowing_field import SiteShadowingField

# the shadowing field read along a straight path decorrelates as exp(-d / d_corr)
# (TR 38.901 7.5 / 7.6.3.1); 40 paths x 19 sites, named tolerance on the correlation
PATH_CORR_TOL = 0.06


@pytest.mark.parametrize("d_corr_m", [37.0, 50.0])
def test_shadowing_along_paths_decorrelates_with_distance(d_corr_m: float) -> None:
    rng = np.random.default_rng(11)
    prods: dict[float, list[np.ndarray]] = {0.5: [], 1.0: [], 2.0: []}
    for _ in range(40):
        f = SiteShadowingField(np.array([-600.0, -600.0]), 1200.0, 19, d_corr_m, rng=rng)
        start = rng.uniform(-400, 400, 2)
        heading = rng.uniform(0, 2 * np.pi)
        s = np.arange(0.0, 300.0, 1.0)  # 1 m steps along a 300 m path
        path = start + s[:, None] * np.array([np.cos(heading), np.sin(heading)])
        v = f.values(path, np.arange(19)[None, :])  # [position, site]
        for lag in prods:
            k = int(round(lag * d_corr_m))
            prods[lag].append((v[:-k] * v[k:]).ravel())
    for lag, p in prods.items():
        rho = float(np.mean(np.concatenate(p)))
        assert abs(rho - math.exp(-lag)) < PATH_CORR_TOL, (lag, rho)


SMALL = ["deployment.rings=1", "deployment.ue.per_sector=6", "mobility.enabled=true",
         "mobility.duration_s=3", "mobility.speeds_kmh=[120]"]


def test_mobility_run_outputs_and_reproducible(tmp_path: Path) -> None:
    cfg = nrsim.load_config("uma-default", SMALL, drops=1)
    a = nrsim.run(cfg, out_dir=tmp_path / "a")
    b = nrsim.run(cfg, out_dir=tmp_path / "b")
    for name in ("ue_mobility.parquet", "handover_events.parquet", "summary.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    k = json.loads((tmp_path / "a" / "summary.json").read_text())["kpis"]["mobility"]
    for key in ("handovers_per_ue_per_min", "handover_failure_rate", "ping_pong_rate",
                "rlf_per_ue_hour", "outage_share"):
        assert key in k
    ev = pd.read_parquet(tmp_path / "a" / "handover_events.parquet")
    ue = pd.read_parquet(tmp_path / "a" / "ue_mobility.parquet")
    assert len(ue) == 21 * 6
    assert set(ev["kind"]) <= {"handover", "handover_failure", "rlf", "reestablishment"}
    assert (ue["handovers"].sum()) == int((ev["kind"] == "handover").sum())
    assert np.allclose(ue["speed_kmh"], 120.0)
    assert k["handovers"] > 0  # vehicles at 120 km/h cross cells in 3 s


def test_static_ues_keep_their_cell_without_noise() -> None:
    """Static UEs see a constant channel: no handover after the first step."""
    cfg = nrsim.load_config("uma-default", [*SMALL, "mobility.model=static"], drops=1)
    res = nrsim.run(cfg)
    assert res.summary["kpis"]["mobility"]["handovers"] == 0


def test_mobility_bad_shares() -> None:
    with pytest.raises(nrsim.ConfigError, match="speed_shares"):
        nrsim.load_config("uma-default", [*SMALL, "mobility.speeds_kmh=[3, 30]", "mobility.speed_shares=[0.5]"])


def test_control_plane_load_is_read_every_step() -> None:
    """mobility_steps reads the caller's load vector as it changes (a call run feeds the
    measured PRB utilisation): with interferers switched off after step 0, every UE's
    cell SINR at the next channel update rises to its SNR, above a fully loaded twin's."""
    from nrsim.engine.mobility import handover_params, mobility_steps, motion_drop
    from nrsim.engine.snapshot import build_layout

    cfg = nrsim.load_config("mobility-uma", ["deployment.ue.per_sector=2", "mobility.duration_s=0.3",
                                             "mobility.model=static", "mobility.handover.l3_filter_k=0"])
    layout = build_layout(cfg)
    md = motion_drop(cfg, 0, layout)
    params = handover_params(cfg)
    full = np.ones(layout.n_cells)
    varying = np.ones(layout.n_cells)
    a = mobility_steps(cfg, md, params, load=full)
    b = mobility_steps(cfg, md, params, load=varying)
    for (k, _, updated, _, ha), (_, _, _, _, hb) in zip(a, b):
        if k == 0:
            varying[:] = 0.0
        elif updated:
            break
    sinr_full = ha.filtered["sinr"]
    sinr_empty = hb.filtered["sinr"]
    rise_db = sinr_empty - sinr_full  # [ue, cell]
    assert (rise_db >= -1e-9).all()
    assert np.median(rise_db) > 3.0  # interference-limited links gain; noise-limited ones keep theirs
