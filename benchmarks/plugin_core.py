"""Cost of a scheduler plugin on the slot core: the slot loop per slot with a built-in policy
(compiled, one ``run_slot_range`` call per step) against the same policy as a Python plugin
(the compiled pieces sequenced from Python, the plugin's ``allocate`` / ``update`` per DL slot).

Case: the slot benchmark (``benchmarks/slots.py``: 57 cells, 570 UEs, 273 PRBs in 18 RBGs, TDD
DDDSU, full buffer, TDL-C), ``--slots`` slots. Pairs: built-in ``max_ci`` against
:class:`nrsim.scheduler.MaxCI` as a plugin (the same results, checked here), built-in ``pf``
against :class:`nrsim.scheduler.ProportionalFair` as a plugin. Timed: the slot loop only (the
steps of :meth:`nrsim.engine.calls._Drop.run_step`), best and range of ``--repeat`` runs,
the cases interleaved.

Prints a table; asserts nothing.
Usage: python benchmarks/plugin_core.py [--slots N] [--repeat N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

PLUGINS = '''
from nrsim.scheduler import MaxCI, ProportionalFair

class MaxRate(MaxCI):
    pass

class PF(ProportionalFair):
    def __init__(self, n_ue):
        super().__init__(n_ue, time_constant_slots=100.0)
'''
BASE = ["deployment.ue.per_sector=10", "radio.bandwidth_mhz=100", "radio.scs_khz=30", "slots.enabled=true",
        "slots.traffic.model=full_buffer", "slots.fading.enabled=true", "slots.fading.model=TDL-C"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--slots", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import numpy as np

    import nrsim
    from nrsim.engine import calls

    spent = [0.0]
    run_step = calls._Drop.run_step

    def timed(self, k, can_tx):
        t0 = time.perf_counter()
        run_step(self, k, can_tx)
        spent[0] += time.perf_counter() - t0

    calls._Drop.run_step = timed
    plug = Path(tempfile.mkdtemp()) / "plug.py"
    plug.write_text(PLUGINS)
    cases = {
        "max_ci": ["slots.scheduler.name=max_ci"],
        "plugin MaxCI": ["slots.scheduler.name=plugin", f"slots.scheduler.plugin={plug}:MaxRate"],
        "pf": ["slots.scheduler.name=pf"],
        "plugin PF": ["slots.scheduler.name=plugin", f"slots.scheduler.plugin={plug}:PF"],
    }
    over = [*BASE, f"slots.n_slots={args.slots}", "slots.warmup_slots=100"]
    cfgs = {name: nrsim.load_config("uma-default", [*over, *o], drops=1) for name, o in cases.items()}
    for o in cases.values():  # compile / load the numba kernels
        calls.run_static_calls(nrsim.load_config("uma-default", [*over, *o, "deployment.rings=1", "slots.n_slots=20",
                                                                 "slots.warmup_slots=0"], drops=1))
    times = {name: [] for name in cases}
    thr = {}
    for _ in range(args.repeat):
        for name, cfg in cfgs.items():
            spent[0] = 0.0
            run = calls.run_static_calls(cfg)[1]
            times[name].append(spent[0])
            thr[name] = run.ue["throughput_bps"].to_numpy()
    n_dl = cfgs["pf"].slots.n_slots * 4 // 5  # DDDSU: 4 slots with DL
    print(f"slot loop, {args.slots} slots ({n_dl} with DL), 57 cells x 570 UEs, best of {args.repeat} (range)")
    print(f"{'case':>14} {'loop [s]':>9} {'range [s]':>15} {'ms/slot':>8} {'extra ms/DL slot':>17}")
    for name, t in times.items():
        ref = min(times[name.replace("plugin ", "").replace("MaxCI", "max_ci").replace("PF", "pf")])
        extra = (min(t) - ref) / n_dl * 1e3
        print(f"{name:>14} {min(t):9.3f} {min(t):7.3f}-{max(t):7.3f} {min(t) / args.slots * 1e3:8.3f} {extra:17.3f}")
    print("plugin MaxCI = built-in max_ci (throughput per UE):",
          bool(np.array_equal(thr["plugin MaxCI"], thr["max_ci"])))


if __name__ == "__main__":
    main()
