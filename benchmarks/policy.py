"""Policy study benchmark: the london-2027 preset, 36 monthly stages (January 2021 to
December 2023, which covers the sensitive-site and 35 % cap dates), timed on this machine,
the scaling with the number of stages, and two strategies side by side (by traffic vs by
cluster: worst month, mean loss against the baseline, cost, vendor borders).

    PYTHONPATH=src python benchmarks/policy.py [--workers N] [--video-cost]

``--video-cost`` only times ``evaluation.video = "slots"`` against the snapshot proxy on the
first 12 monthly stages (the reduced slot-level video run per stage, docs/policy.md).

Prints a table; never asserts on time."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from nrsim.policy import run_policy
from nrsim.policy.compare import compare_policies


def one(strategy: str, until: str, every: int, workers: int, out: Path, extra: tuple[str, ...] = ()):
    t0 = time.perf_counter()
    r = run_policy("london-pilot", "london-2027", strategy=strategy, workers=workers, out_dir=out,
                   policy_overrides=[f"evaluation.until={until}", f"evaluation.every_months={every}", *extra])
    return time.perf_counter() - t0, r


def video_cost(workers: int, tmp: Path) -> None:
    print("video KPI    stages  wall [s]  (london-2027, traffic order, 2021-01 .. 2021-12)")
    for video in ("proxy", "slots", "proxy", "slots"):  # twice: the first runs include numba compilation
        dt_s, r = one("traffic", "2021-12-31", 1, workers, tmp / f"video-{video}-{time.monotonic_ns()}",
                      (f"evaluation.video={video}",))
        print(f"{video:10s} {len(r.stages) - 1:8d}  {dt_s:8.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--video-cost", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nrsim-bench-policy-"))
    if args.video_cost:
        video_cost(args.workers, tmp)
        return
    print("stages  wall [s]  (london-2027, traffic order, scenario london-pilot as shipped)")
    for until, every in (("2021-12-31", 1), ("2022-12-31", 1)):
        dt_s, r = one("traffic", until, every, args.workers, tmp / f"scale-{until}")
        print(f"{len(r.stages) - 1:6d}  {dt_s:8.1f}")
    results = {}
    for strategy in ("traffic", "cluster"):
        dt_s, r = one(strategy, "2023-12-31", 1, args.workers, tmp / strategy)
        results[strategy] = r
        print(f"{len(r.stages) - 1:6d}  {dt_s:8.1f}  ({strategy}; timeline: {tmp / strategy / 'timeline.png'})")
    print("\nworst month (36 monthly stages, 2021-01 .. 2023-12) and mean loss against the baseline")
    keys = ("coverage_user_share", "coverage_area_share", "throughput_median_bps", "throughput_p5_bps",
            "video_satisfied_share")
    print(f"{'KPI':28s} {'baseline':>10s} " + " ".join(f"{s + ' worst':>16s} {s + ' mean loss':>18s}"
                                                    for s in results))
    for k in keys:
        sc = 1e-6 if k.endswith("_bps") else 1.0
        base = results["traffic"].summary["worst_month"][k]["baseline"] * sc
        cells = []
        for s, r in results.items():
            w = r.summary["worst_month"][k]
            cells.append(f"{w['value'] * sc:9.4g} {w['date'][:7]} {r.summary['mean_loss_vs_baseline'][k] * sc:18.4g}")
        print(f"{k:28s} {base:10.4g} " + " ".join(cells))
    cmp = compare_policies(tmp / "traffic", tmp / "cluster", out_dir=tmp / "compare")
    print(f"nrsim compare: {tmp / 'compare' / 'policy_compare.html'}; vendor borders {cmp['vendor_borders']}")
    for s, r in results.items():
        iv = r.summary["inter_vendor_relations"]
        print(f"{s}: cost {r.summary['cost']['total']:,.0f} {r.summary['cost']['currency']} (whole plan), "
              f"inter-vendor relations baseline {iv['baseline']}, max {iv['max']}, mean {iv['mean']:.1f}, "
              f"swaps {r.summary['swaps']}, last swap {r.summary['last_swap']}")


if __name__ == "__main__":
    main()
