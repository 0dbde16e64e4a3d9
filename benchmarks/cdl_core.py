"""TDL-C against the clustered channel (``slots.fading.model = "cdl-38901"``) on the call core:
wall and CPU time, peak memory and the call KPIs of a short ``video-calls-uma`` moving run
(285 UEs, 57 cells, 100 MHz; 2 s by default), runs alternating between the models (the
machine is noisy: compare ranges). Each run is a fresh process (numba caches warm: one
untimed run per model first). For CDL the bank and ray-cache memory of
:class:`nrsim.engine.call_fading.CdlStepFading` is recorded at the end of the run. Prints a
table of min-max ranges; asserts nothing. Usage:

    PYTHONPATH=src python benchmarks/cdl_core.py [--duration-s 2] [--reps 3] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import numpy as np
import nrsim
from nrsim.engine import call_fading
from nrsim.engine.calls import run_mobile_calls
peak = {"bytes": 0, "links": 0}
fill = call_fading.CdlStepFading.fill
def counted(self, k, serving):
    fill(self, k, serving)
    peak["bytes"] = max(peak["bytes"], self.nbytes)
    peak["links"] = max(peak["links"], self.cache.n)
call_fading.CdlStepFading.fill = counted
model, d = sys.argv[1], float(sys.argv[2]); extra = sys.argv[3:]
ov = [f"slots.fading.model={model}", f"mobility.duration_s={d}", "slots.warmup_slots=200",
      "slots.traffic.capacity_calls_per_cell=[]"] + extra
cfg = nrsim.load_config("video-calls-uma", ov)
r0 = resource.getrusage(resource.RUSAGE_SELF); t0 = time.perf_counter()
res = run_mobile_calls(cfg)
wall = time.perf_counter() - t0; r1 = resource.getrusage(resource.RUSAGE_SELF)
c = res.kpis["calls"]
ue = res.ue
print(json.dumps({"wall": wall, "cpu": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
                  "rss_mb": r1.ru_maxrss / 1024, "cdl_mb": peak["bytes"] / 1e6, "cdl_links": peak["links"],
                  "satisfied": c["satisfied_share"], "bler": float(np.nanmean(ue["bler_first_tx"])),
                  "thr_mbps": float(np.nanmean(ue["throughput_bps"])) / 1e6,
                  "csi_db": float(np.nanmean(ue["csi_sinr_db"]))}))
"""

MODELS = ("TDL-C", "cdl-38901")


def _run(model: str, duration_s: float, extra: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, model, str(duration_s), *extra], capture_output=True,
                         text=True, env=os.environ.copy())
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration-s", type=float, default=2.0)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    a = ap.parse_args()
    for m in MODELS:  # compile / warm the caches, untimed
        _run(m, 0.2, a.set)
    res: dict[str, list[dict]] = {m: [] for m in MODELS}
    for _ in range(a.reps):
        for m in MODELS:
            res[m].append(_run(m, a.duration_s, a.set))
    keys = ("wall", "cpu", "rss_mb", "cdl_mb", "cdl_links", "satisfied", "bler", "thr_mbps", "csi_db")
    print(f"video-calls-uma, {a.duration_s:g} s, {a.reps} runs each (min-max)")
    print(f"{'':10s}" + "".join(f"{k:>18s}" for k in keys))
    for m in MODELS:
        cells = []
        for k in keys:
            v = [r[k] for r in res[m]]
            cells.append(f"{min(v):.3g}-{max(v):.3g}" if min(v) != max(v) else f"{v[0]:.4g}")
        print(f"{m:10s}" + "".join(f"{c:>18s}" for c in cells))


if __name__ == "__main__":
    main()
