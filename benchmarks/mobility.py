"""Wall time of a mobility run: 57 cells (UMa, ISD 500 m, wrap-around), 1,995 moving UEs
(35 per cell; pedestrians and vehicles), 60 s simulated at 10 ms steps: measurements of
every cell, L3 filtering, A3 handover with TTT, RLF. Prints a table; asserts nothing.

The video-call traffic of the mobility issue is not part of this run yet (see
docs/mobility.md). Usage: python benchmarks/mobility.py [--duration-s 60]
"""

from __future__ import annotations

import argparse
import resource
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration-s", type=float, default=60.0)
    args = ap.parse_args()
    import nrsim

    cfg = nrsim.load_config(
        "mobility-uma", ["deployment.ue.per_sector=35", f"mobility.duration_s={args.duration_s}"]
    )
    nrsim.run(nrsim.load_config("mobility-uma", ["deployment.rings=1", "mobility.duration_s=0.1"]))  # compile
    t0 = time.perf_counter()
    res = nrsim.run(cfg)
    wall = time.perf_counter() - t0
    k = res.summary["kpis"]["mobility"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'UEs':>6}{'cells':>7}{'sim [s]':>9}{'steps':>8}{'wall [s]':>10}{'peak [MiB]':>12}")
    steps = int(round(args.duration_s / (cfg.mobility.step_ms / 1e3)))
    print(f"{k['n_ue']:>6}{57:>7}{args.duration_s:>9.0f}{steps:>8}{wall:>10.1f}{peak:>12.0f}")
    print("handovers/UE/min {:.3f}  HO failure rate {:.4f}  ping-pong rate {:.4f}  "
          "RLF/UE-hour {:.1f}  outage share {:.5f}".format(
              k["handovers_per_ue_per_min"], k["handover_failure_rate"], k["ping_pong_rate"],
              k["rlf_per_ue_hour"], k["outage_share"]))


if __name__ == "__main__":
    main()
