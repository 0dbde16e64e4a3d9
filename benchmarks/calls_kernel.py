"""Side-by-side wall and CPU time of the mobile-call benchmark (``benchmarks/mobility.py --only
calls``: video-calls-uma, 1,995 UEs, 57 cells) for several source trees, runs alternating
between the trees (the machine is noisy: compare ranges, not single runs). Each run is a fresh
process (numba caches warm: one untimed compile run per tree first). Prints a table of the
min-max ranges of wall and CPU (user + sys) seconds; asserts nothing. ``--split`` adds, per
tree, one profiled run (cProfile, main thread; a compiled call counts as one Python call)
and the wall seconds of its stages: the slot core (``run_slot_range``), the channel refresh
on the caller's thread (``drop_kernel``: 0 when prefetched on the worker thread), the
handover step, the rest of the mobility loop, the drop setup (trajectories, traffic, fading
bank), the per-step calls outside the core (``serve``, ``channel``, ``run_step``'s Python) and
the result tables. Usage:
    python benchmarks/calls_kernel.py [--duration-s 10] [--reps 3] [--split] [--set KEY=VALUE ...] SRC_DIR ...
e.g. ``python benchmarks/calls_kernel.py /path/to/old/src src --set slots.scheduler.frequency_selective=true``.

Measured (issue 12, 2 shared cores, video-calls-uma, 1,995 UEs; see docs/video.md "Speed"):
    --duration-s 10 --reps 3: base (93d116f) wall 18.7-19.9 s, CPU 20.3-21.6 s; main (be25ffd)
    16.8-18.4 / 18.9-20.7 s; calls-speed 16.3-17.8 / 18.0-19.5 s (the slot core ~80 % of it).
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


SPLIT = r"""
import cProfile, json, pstats, sys, time
import nrsim
d = float(sys.argv[1]); extra = sys.argv[2:]
ov = ["deployment.ue.per_sector=35", f"mobility.duration_s={d}", "slots.traffic.background_ftp_share=0",
      "slots.traffic.capacity_calls_per_cell=[]"] + extra
cfg = nrsim.load_config("video-calls-uma", ov)
pr = cProfile.Profile(); t0 = time.perf_counter(); pr.enable(); nrsim.run(cfg); pr.disable()
wall = time.perf_counter() - t0
cum = {}
for (file, _line, name), (_cc, _nc, _tt, ct, _callers) in pstats.Stats(pr).stats.items():
    key = f"{file.rsplit('/', 1)[-1]}:{name}"
    cum[key] = max(cum.get(key, 0.0), ct)
g = lambda *keys: sum(cum.get(k, 0.0) for k in keys)
core = g("call_kernels.py:run_slot_range")
refresh = g("dense_kernel.py:drop_kernel")
handover = g("handover.py:step")
loop = g("mobility.py:mobility_steps") - handover - refresh
setup = g("calls.py:__init__", "mobility.py:motion_drop")
per_step = g("calls.py:run_step", "calls.py:serve", "calls.py:channel") - core
tables = g("calls.py:_call_table_columns", "mobility.py:drop_tables", "video.py:call_kpis", "mobility.py:mobility_kpis")
print(json.dumps({"wall": wall, "core": core, "refresh": refresh, "handover": handover, "loop": loop,
                  "setup": setup, "per_step": per_step, "tables": tables}))
"""
STAGES = ("core", "refresh", "handover", "loop", "setup", "per_step", "tables")


def run_once(src: str, d: float, extra: list[str], child: str = CHILD) -> dict:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(src))
    out = subprocess.run([sys.executable, "-c", child, str(d), *extra], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("src", nargs="+", help="source directories (PYTHONPATH) to compare")
    ap.add_argument("--duration-s", type=float, default=10.0)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--set", action="append", default=[], help="config override KEY=VALUE")
    ap.add_argument("--split", action="store_true", help="also one profiled run per tree: seconds per stage")
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
    if args.split:
        print(f"{'source (profiled run, wall s)':<40}{'total':>7}" + "".join(f"{st:>10}" for st in STAGES) + f"{'other':>8}")
        for s in args.src:
            r = run_once(s, args.duration_s, args.set, SPLIT)
            other = r["wall"] - sum(r[st] for st in STAGES)
            print(f"{s[-40:]:<40}{r['wall']:>7.1f}" + "".join(f"{r[st]:>10.2f}" for st in STAGES) + f"{other:>8.2f}")


if __name__ == "__main__":
    main()
