"""Slots per second of the slot-level simulation, and the KPIs of the timed run.

Case (issue "Slot-level system simulation"): UMa 19 sites x 3 sectors = 57 cells with
wrap-around, 570 UEs (10 per cell), 100 MHz at 30 kHz (273 PRBs, 18 RBGs of 16 PRBs), TDD
DDDSU, proportional fair, full buffer, TDL-C fast fading (8 interfering links per UE with
their own fading), downlink only, 1,000 slots. Timed: the slot loop; reported separately:
the drop (large-scale channel) and the fading-trace set-up. numba kernels are compiled (or
loaded from the cache) by a short warm-up run first.

``--engine core`` times the same run on the slot core (:func:`nrsim.engine.calls.run_static_calls`,
where ``nrsim run`` sends it since issue 12 item 2; drop, fading set-up and slots in one
number, "total"); ``--engine slots`` (default) the static slot engine's internals as before.

Prints a table; asserts nothing.
Usage: python benchmarks/slots.py [--engine slots|core] [--slots N] [--repeat N] [--set dotted.key=value ...]
"""

from __future__ import annotations

import argparse
import time

BASE = [
    "deployment.ue.per_sector=10",
    "radio.bandwidth_mhz=100",
    "radio.scs_khz=30",
    "slots.enabled=true",
    "slots.scheduler.name=pf",
    "slots.traffic.model=full_buffer",
    "slots.fading.enabled=true",
    "slots.fading.model=TDL-C",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--slots", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    ap.add_argument("--engine", choices=("slots", "core"), default="slots")
    args = ap.parse_args()
    if args.engine == "core":
        return main_core(args)

    import nrsim
    from nrsim.engine.slot_setup import slot_drop
    from nrsim.engine.slots import SlotRun, _SlotSimulation

    over = [*BASE, f"slots.n_slots={args.slots}", f"slots.warmup_slots={args.warmup}", *args.overrides]
    cfg = nrsim.load_config("uma-default", over, drops=1)
    # compile / load the numba kernels
    warm = nrsim.load_config("uma-default", [*over, "deployment.rings=1", "slots.n_slots=20", "slots.warmup_slots=0"], drops=1)
    _SlotSimulation(warm, slot_drop(warm, 0)).run()

    rows = []
    for rep in range(args.repeat):
        t0 = time.perf_counter()
        sd = slot_drop(cfg, 0)
        t1 = time.perf_counter()
        sim = _SlotSimulation(cfg, sd)
        t2 = time.perf_counter()
        sim.run()
        t3 = time.perf_counter()
        rows.append((t1 - t0, t2 - t1, t3 - t2))
        res = sim.result()
    print(f"slot benchmark: {sd.n_cells} cells x {sd.n_ue} UEs, {sim.n_prb} PRBs ({sim.n_rbg} RBGs), "
          f"{cfg.slots.n_slots} slots, {cfg.slots.tdd_pattern} TDD, PF, full buffer, "
          f"{cfg.slots.fading.model} fading ({sim.link_cell.shape[1]} links/UE, bank {sim.bank.nbytes / 1e6:.0f} MB)")
    print(f"{'run':>4} {'drop [s]':>9} {'fading set-up [s]':>18} {'slots [s]':>10} {'slots/s':>9} {'total [s]':>10}")
    for i, (a, b, c) in enumerate(rows):
        print(f"{i:>4} {a:9.3f} {b:18.3f} {c:10.3f} {cfg.slots.n_slots / c:9.1f} {a + b + c:10.3f}")
    run = SlotRun(config=cfg, drops=[res], meta={
        **res.meta, "dl_time_share": sim.pattern.dl_time_share, "ul_time_share": sim.pattern.ul_time_share,
        "overhead_share": float("nan"),
    })
    _print_kpis(cfg, run)


def main_core(args) -> None:
    """The benchmark case on the slot core: total time per run (drop, fading, slots)."""
    import nrsim
    from nrsim.engine.calls import run_static_calls

    over = [*BASE, f"slots.n_slots={args.slots}", f"slots.warmup_slots={args.warmup}", *args.overrides]
    cfg = nrsim.load_config("uma-default", over, drops=1)
    warm = nrsim.load_config("uma-default", [*over, "deployment.rings=1", "slots.n_slots=20", "slots.warmup_slots=0"], drops=1)
    run_static_calls(warm)  # compile / load the numba kernels
    rows = []
    for rep in range(args.repeat):
        t0 = time.perf_counter()
        run = run_static_calls(cfg)[0]
        rows.append(time.perf_counter() - t0)
    m = run.meta
    print(f"slot benchmark on the core: {len(run.drops[0].cell['cell'])} cells x {len(run.drops[0].ue['ue'])} UEs, "
          f"{m['n_prb']} PRBs ({m['n_rbg']} RBGs), {cfg.slots.n_slots} slots, {cfg.slots.tdd_pattern} TDD, PF, "
          f"full buffer, {cfg.slots.fading.model} fading (bank {m['fading_bank_mb']:.0f} MB)")
    print(f"{'run':>4} {'total [s]':>10} {'slots/s':>9}")
    for i, c in enumerate(rows):
        print(f"{i:>4} {c:10.3f} {cfg.slots.n_slots / c:9.1f}")
    _print_kpis(cfg, run)


def _print_kpis(cfg, run) -> None:
    import numpy as np

    from nrsim.kpi.slot_metrics import slot_kpis, slot_tables

    ue, cell = slot_tables(run)
    k = slot_kpis(run, ue, cell)
    thr = k["user_throughput_bps"]
    print(
        f"KPIs of the last run (after {cfg.slots.warmup_slots} warm-up slots): user throughput "
        f"5 % {thr['5'] / 1e6:.2f}, median {thr['50'] / 1e6:.2f}, mean {thr['mean'] / 1e6:.2f} Mbit/s; "
        f"cell SE {k['cell_spectral_efficiency_bps_per_hz']:.3f} bit/s/Hz/cell "
        f"(effective bandwidth {k['effective_bandwidth_hz'] / 1e6:.1f} MHz; "
        f"{k['cell_spectral_efficiency_full_band_bps_per_hz']:.3f} over the full 100 MHz); "
        f"5 %-user SE {k['user_spectral_efficiency_5pct_bps_per_hz']:.4f} bit/s/Hz; "
        f"first-tx BLER {k['bler_first_tx']:.3f}; mean MCS {np.nanmean(ue['mean_mcs']):.2f}; "
        f"PRB utilisation {k['prb_utilisation']:.3f}"
    )


if __name__ == "__main__":
    main()
