"""Side-by-side wall and CPU time of the mobile-call benchmark (``benchmarks/mobility.py --only
calls``: video-calls-uma, 1,995 UEs, 57 cells) for several source trees, runs alternating
between the trees (the machine is noisy: compare ranges, not single runs). Each run is a fresh
process (numba caches warm: one untimed compile run per tree first). Prints a table of the
min-max ranges of wall and CPU (user + sys) seconds; asserts nothing. Usage:
    python benchmarks/calls_kernel.py [--duration-s 10] [--reps 3] [--set KEY=VALUE ...] SRC_DIR ...
e.g. ``python benchmarks/calls_kernel.py /path/to/old/src src --set slots.scheduler.frequency_selective=true``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import nrsim
d = float(sys.argv[1]); extra = sys.argv[2:]
ov = ["deployment.ue.per_sector=35", f"mobility.duration_s={d}", "slots.traffic.background_ftp_share=0",
      "slots.traffic.capacity_calls_per_cell=[]"] + extra
cfg = nrsim.load_config("video-calls-uma", ov)
r0 = resource.getrusage(resource.RUSAGE_SELF); t0 = time.perf_counter()
res = nrsim.run(cfg)
wall = time.perf_counter() - t0; r1 = resource.getrusage(resource.RUSAGE_SELF)
c = res.summary["kpis"]["calls"]
print(json.dumps({"wall": wall, "cpu": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
                  "satisfied": c["satisfied_share"], "dl": c["dl_satisfied_share"], "ul": c["ul_satisfied_share"]}))
"""


def run_once(src: str, d: float, extra: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(src))
    out = subprocess.run([sys.executable, "-c", CHILD, str(d), *extra], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("src", nargs="+", help="source directories (PYTHONPATH) to compare")
    ap.add_argument("--duration-s", type=float, default=10.0)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--set", action="append", default=[], help="config override KEY=VALUE")
    args = ap.parse_args()
    for s in args.src:  # compile (numba cache) outside the timing
        run_once(s, 0.5, args.set)
    rows = {s: [] for s in args.src}
    for _ in range(args.reps):
        for s in args.src:
            rows[s].append(run_once(s, args.duration_s, args.set))
            print(f"  {s}: wall {rows[s][-1]['wall']:.1f} s, cpu {rows[s][-1]['cpu']:.1f} s", file=sys.stderr)
    print(f"{'source':<40}{'sim [s]':>8}{'wall [s]':>16}{'cpu [s]':>16}{'satisfied (DL, UL)':>26}")
    for s, r in rows.items():
        w = [x["wall"] for x in r]
        c = [x["cpu"] for x in r]
        k = r[-1]
        print(f"{s[-40:]:<40}{args.duration_s:>8.0f}{min(w):>8.1f}-{max(w):<7.1f}{min(c):>8.1f}-{max(c):<7.1f}"
              f"{k['satisfied']:>10.3f} ({k['dl']:.3f}, {k['ul']:.3f})")


if __name__ == "__main__":
    main()
