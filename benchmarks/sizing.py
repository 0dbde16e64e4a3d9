"""The size guard's estimate (nrsim.sizing) against measured runs: peak resident memory and
wall time of ``nrsim.run`` in a fresh process per case, next to the estimate. The constants
of nrsim/sizing.py come from these cases. Prints a table; asserts nothing.

Usage: python benchmarks/sizing.py [--case NAME ...]
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
    "snapshot-570": ("uma-default", ["deployment.ue.per_sector=10"], None),
    "snapshot-114k": ("uma-default", ["deployment.ue.per_sector=2000"], None),
    "snapshot-1.1M": ("uma-default", ["deployment.ue.per_sector=20000"], None),
    "snapshot-1.1M-chunk1M": ("uma-default", ["deployment.ue.per_sector=20000"], 1_000_000),
    "snapshot-273cells": ("uma-default", ["deployment.ue.per_sector=100", "deployment.rings=5"], None),
    "national-90k-sparse": ("national-10k", ["deployment.ue.per_sector=3"], None),
    "slots-570": ("slots-uma-fullbuffer", ["slots.n_slots=200", "slots.warmup_slots=10"], None),
    "slots-5700": ("slots-uma-fullbuffer", ["slots.n_slots=200", "slots.warmup_slots=10",
                                             "deployment.ue.per_sector=100"], None),
    "mobility-570": ("mobility-uma", ["mobility.duration_s=5"], None),
    "mobility-5700": ("mobility-uma", ["mobility.duration_s=5", "deployment.ue.per_sector=100"], None),
    "calls-285": ("video-calls-uma", ["mobility.duration_s=2", "slots.traffic.capacity_calls_per_cell=[]"], None),
}


def _child(name: str) -> None:
    import nrsim
    from nrsim.sizing import estimate_size

    scn, over, chunk = CASES[name]
    cfg = nrsim.load_config(scn, over, drops=1)
    est = estimate_size(cfg, chunk_ues=chunk)
    out = tempfile.mkdtemp(prefix="nrsim-sizing-")
    try:
        t0 = time.perf_counter()
        nrsim.run(cfg, out_dir=f"{out}/run", chunk_ues=chunk, size_check=False)
        wall = time.perf_counter() - t0
    finally:
        shutil.rmtree(out, ignore_errors=True)
    try:  # this process's own peak (ru_maxrss also keeps the forking parent's)
        peak = [int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"case": name, "est_mib": est.peak_memory_bytes / 2**20, "peak_mib": peak / 2**20,
                      "est_s": est.wall_s, "wall_s": wall}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", choices=sorted(CASES), action="append")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child)
        return
    print(f"{'case':<24}{'est [MiB]':>10}{'peak [MiB]':>11}{'ratio':>7}{'est [s]':>9}{'wall [s]':>9}")
    for name in args.case or list(CASES):
        out = subprocess.run([sys.executable, __file__, "--child", name], check=True, capture_output=True,
                             text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"{name:<24}{r['est_mib']:>10.0f}{r['peak_mib']:>11.0f}{r['est_mib'] / r['peak_mib']:>7.2f}"
              f"{r['est_s']:>9.1f}{r['wall_s']:>9.1f}", flush=True)


if __name__ == "__main__":
    main()
