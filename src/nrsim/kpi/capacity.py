"""Video-call capacity from satisfied-call shares (docs/video.md, issue 18): the crossing of
a target share, seeds pooled by calls, a confidence interval of the crossing, and the points
that refine a sweep near it. Pure functions of capacity tables (one row per run or per load
point; columns of :func:`nrsim.engine.video_capacity.capacity_point`); the sweeps that produce
the tables run in :mod:`nrsim.engine.video_capacity`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

CAPACITY_TARGET = 0.95
"""Satisfied-call share that defines the capacity (the issue's 95 %)."""
XR_TARGET = 0.90
"""Satisfied-UE share of the XR capacity (TR 38.838 V17.0.0 and TR 38.835 V18.0.0, XR capacity:
the number of UEs per cell with at least 90 % of UEs satisfied)."""
CI_LEVEL = 0.95
"""Two-sided level of the capacity confidence interval."""
CI_DRAWS = 4000
"""Draws of the satisfied shares behind the interval (its percentiles then move by well
under 0.05 calls per cell between streams)."""


def capacity_crossing(calls: Sequence[float], share: Sequence[float], target: float = CAPACITY_TARGET) -> float:
    """Calls per cell where ``share`` [point] (against ascending ``calls`` [point]) first
    falls below ``target``, linearly interpolated (see :class:`VideoCapacity`)."""
    x = np.asarray(calls, dtype=np.float64)
    y = np.asarray(share, dtype=np.float64)
    below = np.flatnonzero(~(y >= target))
    if below.size == 0:
        return float(x[-1])
    i = int(below[0])
    if i == 0:
        return 0.0
    x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
    return float(x0 + (y0 - target) / (y0 - y1) * (x1 - x0))


def pool_seeds(table):
    """One row per point of a per-run capacity table (columns of :func:`capacity_point`):
    ``calls_per_cell`` the mean over seeds, ``n_calls`` and ``n_satisfied`` summed,
    ``satisfied_share`` = n_satisfied / n_calls (the pooled calls), DL/UL shares and
    handovers weighted by the calls, ``n_seeds``, and the per-seed range
    ``satisfied_share_min`` / ``satisfied_share_max``. Sorted by ``calls_per_cell_target``."""
    rows = []
    for n, g in table.groupby("calls_per_cell_target", sort=True):
        w = g["n_calls"].to_numpy(dtype=np.float64)
        tot = float(w.sum())

        def wmean(col: str, g=g, w=w, tot=tot) -> float:
            v = g[col].to_numpy(dtype=np.float64)
            ok = np.isfinite(v) & (w > 0)
            return float(np.sum(v[ok] * w[ok]) / np.sum(w[ok])) if ok.any() else float("nan")

        n_sat = int(g["n_satisfied"].sum()) if "n_satisfied" in g else int(round(wmean("satisfied_share") * tot))
        share = g["satisfied_share"].to_numpy(dtype=np.float64)
        rows.append({
            "calls_per_cell_target": int(n), "calls_per_cell": float(g["calls_per_cell"].mean()),
            "n_calls": int(tot), "satisfied_share": n_sat / tot if tot > 0 else float("nan"),
            "dl_satisfied_share": wmean("dl_satisfied_share"), "ul_satisfied_share": wmean("ul_satisfied_share"),
            "handovers_per_ue_per_min": wmean("handovers_per_ue_per_min"),
            "n_satisfied": n_sat, "n_seeds": int(len(g)),
            "satisfied_share_min": float(np.nanmin(share)) if np.isfinite(share).any() else float("nan"),
            "satisfied_share_max": float(np.nanmax(share)) if np.isfinite(share).any() else float("nan"),
        })
    return pd.DataFrame(rows)


def crossing_interval(calls: Sequence[float], n_calls: Sequence[int], n_satisfied: Sequence[int], target: float,
                      *, rng: np.random.Generator, level: float = CI_LEVEL, n_draws: int = CI_DRAWS
                      ) -> tuple[float, float]:
    """Confidence interval of :func:`capacity_crossing` for points ``calls`` [point]
    (ascending) with ``n_satisfied`` of ``n_calls`` [point] calls satisfied: each point's
    share is drawn from its Jeffreys posterior Beta(k + 1/2, n - k + 1/2) (Brown, Cai and
    DasGupta, Statist. Sci. 16(2), 2001: the Jeffreys interval of a binomial proportion; it
    stays informative at k = n), the crossing is taken of every draw, and the interval is
    the central ``level`` of the crossings. It treats calls as independent; calls of one run
    share the cells' load, so with several seeds compare the per-seed crossings too."""
    x = np.asarray(calls, dtype=np.float64)
    n = np.asarray(n_calls, dtype=np.float64)
    k = np.asarray(n_satisfied, dtype=np.float64)
    if x.size == 0 or np.any(n <= 0):
        return float("nan"), float("nan")
    draws = rng.beta(k[None, :] + 0.5, n[None, :] - k[None, :] + 0.5, size=(int(n_draws), x.size))  # [draw, point]
    cross = np.array([capacity_crossing(x, d, target) for d in draws])
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(cross, [a, 1.0 - a])
    return float(lo), float(hi)


def refine_points(pooled, targets: Sequence[float] = (CAPACITY_TARGET, XR_TARGET)) -> list[int]:
    """Whole numbers of calls per cell strictly between the two points of ``pooled``
    (:func:`pool_seeds`) around each target's crossing (the last point at or above it and
    the first below it), not yet in the table."""
    tgt = pooled["calls_per_cell_target"].to_numpy(dtype=np.int64)
    y = pooled["satisfied_share"].to_numpy(dtype=np.float64)
    extra: set[int] = set()
    for target in targets:
        below = np.flatnonzero(~(y >= target))
        if below.size == 0 or below[0] == 0:
            continue
        i = int(below[0])
        extra.update(range(int(tgt[i - 1]) + 1, int(tgt[i])))
    return sorted(extra - set(int(v) for v in tgt))


def capacity_estimate(long, *, rng: np.random.Generator,
                      targets: Sequence[float] = (CAPACITY_TARGET, XR_TARGET)) -> dict[float, dict[str, Any]]:
    """Per target share: ``capacity_calls_per_cell`` (the crossing of the pooled curve),
    ``ci`` ([low, high], :func:`crossing_interval`) and ``per_seed`` (the crossing of each
    seed's own curve, seeds in ascending order) from a per-run table (``pooled = False`` of
    :func:`capacity_table`; a pooled or one-seed table works too)."""
    pooled = pool_seeds(long) if "seed" in long else long
    x = pooled["calls_per_cell"].to_numpy(dtype=np.float64)
    y = pooled["satisfied_share"].to_numpy(dtype=np.float64)
    n = pooled["n_calls"].to_numpy(dtype=np.int64)
    k = (pooled["n_satisfied"].to_numpy(dtype=np.int64) if "n_satisfied" in pooled
         else np.rint(y * n).astype(np.int64))
    out: dict[float, dict[str, Any]] = {}
    for target in targets:
        per_seed: list[float] = []
        if "seed" in long:
            for _, g in long.sort_values(["seed", "calls_per_cell_target"]).groupby("seed", sort=True):
                per_seed.append(capacity_crossing(g["calls_per_cell"].to_numpy(dtype=np.float64),
                                                  g["satisfied_share"].to_numpy(dtype=np.float64), target))
        out[target] = {"capacity_calls_per_cell": capacity_crossing(x, y, target) if x.size else float("nan"),
                       "ci": list(crossing_interval(x, n, k, target, rng=rng)) if x.size else [float("nan")] * 2,
                       "per_seed": per_seed}
    return out
