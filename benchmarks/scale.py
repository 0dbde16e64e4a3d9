"""Wall time and peak memory of one national-scale drop (large scale, association, SINR,
snapshot throughput, KPIs, Parquet output), serial and on a local Dask cluster.

Cases (issue "National scale"):
  1,000 sites x 100,000 UEs   national layout scaled down (target_sites=1000, 100 km side)
  10,000 sites x 1,000,000 UEs  the national-10k preset (1,020,000 UEs)
Both sparse (k = 192 nearest sites). Each case runs in a fresh subprocess; peak memory is
the largest resident set of that process and of its children (Dask workers).
Prints a table; asserts nothing.

Usage: python benchmarks/scale.py [--case small|large] [--backend serial|dask]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time

CASES = {
    "small": ("1,000 sites x 100,000 UEs", [
        "deployment.national.target_sites=1000", "deployment.national.side_km=100",
        "deployment.national.n_cities=4", "deployment.national.largest_city_radius_km=5",
        "deployment.ue.per_sector=34",
    ]),
    "large": ("10,000 sites x 1,020,000 UEs", []),
    # growth: more sites at fixed UEs, more UEs at fixed sites
    "sites10k-ue90k": ("10,000 sites x 90,000 UEs", ["deployment.ue.per_sector=3"]),
    "sites1k-ue1m": ("1,000 sites x 1,020,000 UEs", [
        "deployment.national.target_sites=1000", "deployment.national.side_km=100",
        "deployment.national.n_cities=4", "deployment.national.largest_city_radius_km=5",
        "deployment.ue.per_sector=340",
    ]),
}


def _child(case: str, backend: str) -> None:
    import nrsim

    cfg = nrsim.load_config("national-10k", CASES[case][1])
    out = tempfile.mkdtemp(prefix="nrsim-scale-")
    try:
        t0 = time.perf_counter()
        res = nrsim.run(cfg, out_dir=f"{out}/run", workers=2 if backend == "dask" else 0)
        wall = time.perf_counter() - t0
    finally:
        shutil.rmtree(out, ignore_errors=True)
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    k = res.summary["kpis"]
    print(json.dumps({
        "case": case, "backend": backend, "sites": cfg.deployment.national.target_sites,
        "ues": k["n_ue"], "wall_s": wall, "peak_mib": max(self_kib, child_kib) / 1024,
        "sinr50": k["percentiles"]["sinr_db"]["50"],
    }))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", choices=sorted(CASES), action="append")
    ap.add_argument("--backend", choices=["serial", "dask"], action="append")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    rows = []
    for case in args.case or ["small", "large", "sites10k-ue90k", "sites1k-ue1m"]:
        default_backends = ["serial", "dask"] if case in ("small", "large") else ["serial"]
        for backend in args.backend or default_backends:
            out = subprocess.run([sys.executable, __file__, "--child", case, backend],
                                 check=True, capture_output=True, text=True).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
            r = rows[-1]
            print(f"  done {CASES[r['case']][0]} {r['backend']}: {r['wall_s']:.1f} s", file=sys.stderr)
    print(f"{'case':<32}{'backend':>9}{'UEs':>10}{'wall [s]':>10}{'peak [MiB]':>12}{'SINR50 [dB]':>13}")
    for r in rows:
        print(f"{CASES[r['case']][0]:<32}{r['backend']:>9}{r['ues']:>10}{r['wall_s']:>10.1f}"
              f"{r['peak_mib']:>12.0f}{r['sinr50']:>13.2f}")


if __name__ == "__main__":
    main()
