"""Capacity with several seeds, a finer grid and a confidence interval
(nrsim.engine.video_capacity; docs/video.md, issue 18). Expected values are worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import nrsim
from nrsim.engine.video_capacity import (
    CAPACITY_TARGET,
    XR_TARGET,
    capacity_crossing,
    capacity_estimate,
    capacity_jobs,
    capacity_table,
    crossing_interval,
    pool_seeds,
    refine_points,
)
from nrsim.runs.modes import capacity_kpis

CI_TOL_CALLS = 0.02
"""Half-width allowed for the interval with 10^6 calls per point: the shares are then known to
about 5e-4, which moves a crossing on a 2-call step of 0.1 in share by about 0.01 calls."""


def _row(n, seed, calls_per_cell, n_calls, n_sat):
    return {"calls_per_cell_target": n, "seed": seed, "calls_per_cell": calls_per_cell, "n_calls": n_calls,
            "n_satisfied": n_sat, "satisfied_share": n_sat / n_calls, "dl_satisfied_share": n_sat / n_calls,
            "ul_satisfied_share": 1.0, "handovers_per_ue_per_min": 1.0}


def test_pool_seeds_pools_the_calls_not_the_shares() -> None:
    t = pd.DataFrame([_row(4, 1, 3.8, 100, 99), _row(4, 2, 4.2, 300, 270), _row(2, 1, 2.0, 50, 50)])
    p = pool_seeds(t)
    assert p["calls_per_cell_target"].tolist() == [2, 4]
    r = p.iloc[1]
    assert r["n_calls"] == 400 and r["n_satisfied"] == 369
    assert r["satisfied_share"] == pytest.approx(369 / 400)  # not the mean of 0.99 and 0.9 (0.945)
    assert r["calls_per_cell"] == pytest.approx(4.0)
    assert (r["satisfied_share_min"], r["satisfied_share_max"]) == (pytest.approx(0.9), pytest.approx(0.99))
    assert r["n_seeds"] == 2


def test_xr_crossing_at_90_percent() -> None:
    # 90 % between (4, 0.92) and (6, 0.80): 4 + 0.02 / 0.12 * 2 = 4.333
    assert capacity_crossing([2, 4, 6], [1.0, 0.92, 0.80], XR_TARGET) == pytest.approx(4 + 0.02 / 0.12 * 2)
    # 95 % between (2, 1.0) and (4, 0.92): 2 + 0.05 / 0.08 * 2 = 3.25
    assert capacity_crossing([2, 4, 6], [1.0, 0.92, 0.80], CAPACITY_TARGET) == pytest.approx(3.25)


def test_interval_collapses_on_the_crossing_with_many_calls() -> None:
    # shares 1.0 and 0.9 at 2 and 4 calls: the 95 % crossing is at 3.0
    n = np.array([1_000_000, 1_000_000])
    k = np.array([999_999, 900_000])
    lo, hi = crossing_interval([2.0, 4.0], n, k, 0.95, rng=np.random.default_rng(1))
    assert lo <= 3.0 <= hi
    assert hi - lo < 2 * CI_TOL_CALLS


def test_interval_is_wider_with_fewer_calls_and_brackets_the_estimate() -> None:
    x = [2.0, 4.0, 6.0]
    small = crossing_interval(x, [100, 100, 100], [100, 96, 85], 0.95, rng=np.random.default_rng(2))
    big = crossing_interval(x, [10_000, 10_000, 10_000], [10_000, 9_600, 8_500], 0.95, rng=np.random.default_rng(2))
    est = capacity_crossing(x, [1.0, 0.96, 0.85], 0.95)  # 4 + 0.01 / 0.11 * 2 = 4.18
    assert est == pytest.approx(4 + 0.01 / 0.11 * 2)
    assert small[0] <= est <= small[1] and big[0] <= est <= big[1]
    assert (small[1] - small[0]) > 3 * (big[1] - big[0])
    # 100 calls at 96 %: the share there is below 95 % with posterior probability ~0.3, so the
    # lower end falls into the (2, 4) interval; with 10^4 calls (P ~ 1e-6) it stays above 4
    assert small[0] < 4.0 < big[0]


def test_refine_points_between_the_points_around_each_crossing() -> None:
    p = pd.DataFrame({"calls_per_cell_target": [2, 6, 10], "satisfied_share": [0.97, 0.93, 0.80]})
    assert refine_points(p) == [3, 4, 5, 7, 8, 9]  # 95 % in (2, 6), 90 % in (6, 10)
    p = pd.DataFrame({"calls_per_cell_target": [2, 4, 8], "satisfied_share": [0.99, 0.96, 0.85]})
    assert refine_points(p) == [5, 6, 7]
    p = pd.DataFrame({"calls_per_cell_target": [2, 4], "satisfied_share": [0.99, 0.97]})
    assert refine_points(p) == []  # never crosses


def _cfg(*ov):
    return nrsim.load_config("video-calls-uma", ["slots.traffic.capacity_calls_per_cell=[]", *ov], seed=5)


def test_capacity_table_runs_every_seed_and_refines() -> None:
    cfg = _cfg("slots.traffic.capacity_seeds=2", "slots.traffic.capacity_refine=true")
    assert capacity_jobs(cfg, [2, 6]) == [(2, 5), (2, 6), (6, 5), (6, 6)]
    asked: list[list[tuple[int, int]]] = []

    def fake(jobs):  # share falls linearly, 1.0 at 2 calls, 0.8 at 10; seed 6 has 1 % fewer
        asked.append(list(jobs))
        return [_row(n, s, float(n), 1000, int(round(1000 * (1.0 - 0.025 * (n - 2) - 0.01 * (s - 5)))))
                for n, s in jobs]

    t = capacity_table(cfg, [2, 6, 10], run_jobs=fake, pooled=False)
    assert asked[0] == [(2, 5), (2, 6), (6, 5), (6, 6), (10, 5), (10, 6)]
    # pooled: 0.995 at 2, 0.895 at 6, 0.795 at 10: 95 % and 90 % both in (2, 6)
    assert asked[1] == [(3, 5), (3, 6), (4, 5), (4, 6), (5, 5), (5, 6)]
    assert t["calls_per_cell_target"].tolist() == [2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 10, 10]
    est = capacity_estimate(t, rng=np.random.default_rng(0))
    # pooled shares 0.995 - 0.025 (n - 2): 95 % at n = 3.8, 90 % at n = 5.8
    assert est[CAPACITY_TARGET]["capacity_calls_per_cell"] == pytest.approx(3.8)
    assert est[XR_TARGET]["capacity_calls_per_cell"] == pytest.approx(5.8)
    # per seed: seed 5 share 1 - 0.025 (n - 2) -> 4.0 / 6.0; seed 6 0.99 - ... -> 3.6 / 5.6
    assert est[CAPACITY_TARGET]["per_seed"] == pytest.approx([4.0, 3.6])
    assert est[XR_TARGET]["per_seed"] == pytest.approx([6.0, 5.6])
    lo, hi = est[CAPACITY_TARGET]["ci"]
    assert lo < 3.8 < hi and hi - lo < 1.0


def test_capacity_kpis_keep_the_old_keys_and_add_the_interval() -> None:
    t = pd.DataFrame([_row(2, 1, 2.0, 400, 396), _row(4, 1, 4.0, 400, 368), _row(6, 1, 6.0, 400, 320)])
    k = capacity_kpis(t, seed=1)
    assert k["target_satisfied_share"] == 0.95 and k["reached"] is True
    assert k["capacity_calls_per_cell"] == pytest.approx(2 + (0.99 - 0.95) / (0.99 - 0.92) * 2)
    assert len(k["points"]) == 3 and k["points"][1]["n_satisfied"] == 368
    lo, hi = k["capacity_ci_calls_per_cell"]
    assert lo < k["capacity_calls_per_cell"] < hi
    assert k["xr_target_satisfied_share"] == 0.90
    assert k["xr_capacity_calls_per_cell"] == pytest.approx(4 + (0.92 - 0.90) / (0.92 - 0.80) * 2)
    assert k["seeds_per_point"] == 1 and k["capacity_per_seed"] == [pytest.approx(k["capacity_calls_per_cell"])]
    assert capacity_kpis(t, seed=1) == k  # the interval's draws come from the run's seed
