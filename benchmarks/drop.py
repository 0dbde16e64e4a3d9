"""Wall time and peak memory of one snapshot drop (large scale + SINR + throughput).

Cases (issue 2):
  (a) 57 cells x 570 UEs: UMa 19 sites x 3 sectors, wrap-around, correlated shadowing.
  (b) 1,027 sites (18 rings; the hex grid closest to 1,000) = 3,081 cells x 30,000 UEs,
      wrap-around off, correlated shadowing on.

Each case runs in a fresh subprocess so that peak memory (ru_maxrss) is its own.
Prints a table; asserts nothing.
Usage: python benchmarks/drop.py [--repeat N] [--case a|b] [--set KEY=VALUE ...]
(``--set``: extra config overrides, e.g. ``--set antenna.array=32T32R`` for SSB beams)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

CASES = {
    "a": dict(label="(a) 57 cells x 570 UEs", overrides=["deployment.ue.per_sector=10"], repeat=50),
    "b": dict(
        label="(b) 3,081 cells x 30,000 UEs",
        overrides=["deployment.rings=18", "deployment.wraparound=false"],
        n_ue=30_000,
        repeat=3,
    ),
}


def _child(case: str, repeat: int, extra: list[str]) -> None:
    import resource

    import nrsim
    from nrsim.engine import build_layout, snapshot_drop

    spec = CASES[case]
    overrides = [*spec["overrides"], *extra]
    cfg = nrsim.load_config("uma-default", overrides)
    layout = build_layout(cfg)
    if "n_ue" in spec:  # per-sector count that gives the target number of UEs
        per = -(-spec["n_ue"] // layout.n_cells)
        cfg = nrsim.load_config("uma-default", [*overrides, f"deployment.ue.per_sector={per}"])
    snapshot_drop(cfg, 0, layout=layout)  # warm-up (imports, caches)
    times = []
    for d in range(repeat):
        t0 = time.perf_counter()
        res = snapshot_drop(cfg, d + 1, layout=layout)
        times.append(time.perf_counter() - t0)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "case": case, "cells": layout.n_cells, "ues": int(res.ue["ue"].size),
        "median_s": sorted(times)[len(times) // 2], "min_s": min(times), "peak_mib": peak_kib / 1024,
    }))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", choices=sorted(CASES), action="append")
    ap.add_argument("--repeat", type=int)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="extra config override")
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.repeat or CASES[args.child]["repeat"], args.set)
        return
    rows = []
    for case in args.case or sorted(CASES):
        cmd = [sys.executable, __file__, "--child", case]
        if args.repeat:
            cmd += ["--repeat", str(args.repeat)]
        for o in args.set:
            cmd += ["--set", o]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    print(f"{'case':<34}{'cells':>7}{'UEs':>8}{'median [s]':>12}{'min [s]':>10}{'peak [MiB]':>12}")
    for r in rows:
        print(f"{CASES[r['case']]['label']:<34}{r['cells']:>7}{r['ues']:>8}"
              f"{r['median_s']:>12.4f}{r['min_s']:>10.4f}{r['peak_mib']:>12.0f}")


if __name__ == "__main__":
    main()
