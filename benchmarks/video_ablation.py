"""Ablation of the mobile-call engine on ``video-calls-uma`` (issue 18): which mechanism costs
moving users their calls.

Runs the preset (smaller by default: ``--rings 1``, ``--duration-s 5``) at a few loads, with
several seeds, once as is (``baseline``) and once with each mechanism switched off in turn,
and prints
1. per variant: the capacity (calls per cell at 95 % satisfied, and the XR figure at 90 %,
   TR 38.838 / TR 38.835) of the seed-pooled curve with its 95 % interval
   (nrsim.engine.video_capacity.capacity_estimate) and the per-seed crossings, and the
   satisfied share per load (mean [min-max] over seeds);
2. DL and UL satisfied shares by speed class, per load (mean [min-max] over seeds);
3. DL satisfied share by coupling-loss decile within each speed class, at the highest load
   (calls pooled over seeds; decile edges from the baseline's calls at that load).
Coupling loss: cell power per RE (dBm) - the UE's mean L3-filtered serving RSRP (dBm), so
antenna gains and O2I loss are inside it.

    PYTHONPATH=src python benchmarks/video_ablation.py                       # ~10-15 min on 2 cores
    PYTHONPATH=src python benchmarks/video_ablation.py --variants baseline,no_handover_failures \
        --calls 4,8 --seeds 2 --duration-s 3                                  # a quick look
    ... --rings 2 --duration-s 20 --seeds 3 --workers 2                      # the full preset size
``--list`` prints the variants and their overrides. Prints tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

VARIANTS: dict[str, list[str]] = {
    "baseline": [],
    "no_interruption": ["mobility.handover.interruption_ms=0", "mobility.handover.execution_ms=0"],
    "no_harq_reset": ["mobility.handover.harq_reset_at_handover=false"],
    "no_olla_reset": ["mobility.handover.olla_reset_at_handover=false"],
    "no_csi_reset": ["mobility.handover.csi_reset_at_handover=false"],
    "ideal_csi": ["slots.link_adaptation.cqi_delay_slots=1", "slots.link_adaptation.cqi_period_slots=1"],
    "no_doppler": ["slots.fading.doppler_speed_kmh=3"],
    "channel_step_10ms": ["mobility.channel_update_ms=10"],
    "no_background_ftp": ["slots.traffic.background_ftp_share=0"],
    "no_ul_sched_delay": ["slots.uplink.scheduling_delay_ms=0"],
    "no_handover_failures": ["mobility.handover.failures=false"],
    "subband_cqi": ["slots.scheduler.frequency_selective=true"],
    "cho": ["mobility.handover.conditional=true"],
    "static_ues": ["mobility.speeds_kmh=[0]", "mobility.speed_shares=[1.0]", "mobility.indoor_speed_kmh=0"],
}
"""Variant name -> dotted overrides of ``video-calls-uma`` (each switches one mechanism off;
``subband_cqi`` and ``cho`` (conditional handover) add ones a real gNB has, ``static_ues`` is the no-mobility reference)."""


def _one(job: tuple[str, list[str], int, int, list[str]]) -> tuple[str, int, int, pd.DataFrame, float]:
    import nrsim
    from nrsim.engine.calls import run_mobile_calls
    from nrsim.engine.video_capacity import with_calls_per_cell
    from nrsim.link.numerology import n_rb

    name, ov, calls, seed, base = job
    cfg = with_calls_per_cell(nrsim.load_config("video-calls-uma", [*base, *ov], seed=seed), calls)
    t0 = time.perf_counter()
    res = run_mobile_calls(cfg)
    wall = time.perf_counter() - t0
    ue = res.ue[res.ue["call"].to_numpy(dtype=bool)].copy()
    n_re = 12 * n_rb(cfg.radio.bandwidth_mhz, cfg.radio.scs_khz, cfg.channel.fc_ghz)
    re_dbm = cfg.radio.tx_power_dbm - 10 * np.log10(n_re)
    ue["coupling_loss_db"] = re_dbm - ue["mean_rsrp_dbm"]
    ue["n_cells"] = res.kpis["calls"]["n_calls"] / max(res.kpis["calls"]["calls_per_cell"], 1e-12)
    keep = ["speed_kmh", "indoor", "coupling_loss_db", "handovers", "rlfs", "handover_failures",
            "call_satisfied", "dl_call_satisfied", "ul_call_satisfied", "bler_first_tx", "n_cells"]
    return name, calls, seed, ue[keep].reset_index(drop=True), wall


def _rng(v: np.ndarray, fmt: str = "{:.3f}") -> str:
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return "-"
    if v.size == 1:
        return fmt.format(v[0])
    return f"{fmt.format(v.mean())} [{fmt.format(v.min())}-{fmt.format(v.max())}]"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--calls", default="4,6,8,10", help="load points, calls per cell")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--rings", type=int, default=1)
    ap.add_argument("--duration-s", type=float, default=5.0)
    ap.add_argument("--warmup-slots", type=int, default=400)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--set", action="append", default=[], help="extra dotted override for every run")
    ap.add_argument("--save", default="", help="write the per-call table of all runs to this parquet file")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    if args.list:
        for k, v in VARIANTS.items():
            print(f"{k}: {' '.join(v) or '(the preset)'}")
        return
    import nrsim
    from nrsim.engine.video_capacity import CAPACITY_TARGET, XR_TARGET, capacity_estimate
    from nrsim.rng import stream

    names = [v for v in args.variants.split(",") if v]
    unknown = [v for v in names if v not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; --list shows them")
    loads = [int(x) for x in args.calls.split(",") if x]
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    base = [f"deployment.rings={args.rings}", f"mobility.duration_s={args.duration_s}",
            f"slots.warmup_slots={args.warmup_slots}", "slots.traffic.capacity_calls_per_cell=[]", *args.set]
    jobs = [(v, VARIANTS[v], n, s, base) for v in names for n in loads for s in seeds]
    print(f"nrsim {nrsim.__version__} from {nrsim.__file__}")
    print(f"video-calls-uma, {' '.join(base)}; loads {loads} calls/cell; seeds {seeds}; {len(jobs)} runs")
    t0 = time.perf_counter()
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as ex:
            out = list(ex.map(_one, jobs))
    else:
        out = [_one(j) for j in jobs]
    print(f"wall {time.perf_counter() - t0:.0f} s (sum of runs {sum(o[4] for o in out):.0f} s)\n")
    frames = []
    for name, calls, seed, ue, _ in out:
        frames.append(ue.assign(variant=name, calls_target=calls, seed=seed))
    allue = pd.concat(frames, ignore_index=True)
    if args.save:
        allue.to_parquet(args.save)
    allue["speed"] = allue["speed_kmh"].round().astype(int)
    speeds = sorted(allue["speed"].unique())

    # 1. capacity per variant
    print("1. capacity (calls/cell) of the seed-pooled curve [95 % interval] (per-seed crossings), and satisfied share per load")
    head = ["variant", "cap @95 %", "per seed", "XR cap @90 %", "per seed"] + [f"sat @{n}" for n in loads]
    print(" | ".join(head))
    print("|".join(["---"] * len(head)))
    for name in names:
        u = allue[allue["variant"] == name]
        runs = u.groupby(["calls_target", "seed"]).agg(
            n_calls=("call_satisfied", "size"), n_satisfied=("call_satisfied", "sum"),
            n_cells=("n_cells", "first")).reset_index()
        runs["calls_per_cell"] = runs["n_calls"] / runs["n_cells"]
        runs["satisfied_share"] = runs["n_satisfied"] / runs["n_calls"]
        long = runs.rename(columns={"calls_target": "calls_per_cell_target"})
        for col in ("dl_satisfied_share", "ul_satisfied_share", "handovers_per_ue_per_min"):
            long[col] = np.nan
        est = capacity_estimate(long, rng=stream(args.first_seed, "capacity/interval"))
        cells = [name]
        for tgt in (CAPACITY_TARGET, XR_TARGET):
            e = est[tgt]
            cells += [f"{e['capacity_calls_per_cell']:.2f} [{e['ci'][0]:.2f}-{e['ci'][1]:.2f}]",
                      " ".join(f"{x:.2f}" for x in e["per_seed"])]
        for n in loads:
            cells.append(_rng(runs.loc[runs["calls_target"] == n, "satisfied_share"].to_numpy()))
        print(" | ".join(cells))

    # 2. by speed class
    print("\n2. DL / UL satisfied share by speed class (mean [min-max] over seeds)")
    head = ["variant", "calls/cell"] + [f"DL {s} km/h" for s in speeds] + [f"UL {s} km/h" for s in speeds]
    print(" | ".join(head))
    print("|".join(["---"] * len(head)))
    for name in names:
        for n in loads:
            u = allue[(allue["variant"] == name) & (allue["calls_target"] == n)]
            cells = [name, str(n)]
            for col in ("dl_call_satisfied", "ul_call_satisfied"):
                for s in speeds:
                    per_seed = u[u["speed"] == s].groupby("seed")[col].mean().to_numpy()
                    cells.append(_rng(per_seed))
            print(" | ".join(cells))

    # 3. by coupling-loss decile within each speed class, at the highest load
    top = loads[-1]
    ref = allue[(allue["calls_target"] == top) & (allue["variant"] == (names[0] if "baseline" not in names
                                                                       else "baseline"))]
    edges = np.quantile(ref["coupling_loss_db"].dropna(), np.linspace(0, 1, 11))
    edges[0], edges[-1] = -np.inf, np.inf
    print(f"\n3. DL satisfied share by coupling-loss decile (edges from the baseline at {top} calls/cell: "
          + ", ".join(f"{e:.0f}" for e in edges[1:-1]) + " dB), per speed class; calls pooled over seeds (n)")
    head = ["variant", "speed"] + [f"D{i + 1}" for i in range(10)]
    print(" | ".join(head))
    print("|".join(["---"] * len(head)))
    for name in names:
        u = allue[(allue["variant"] == name) & (allue["calls_target"] == top)]
        dec = np.clip(np.searchsorted(edges, u["coupling_loss_db"].to_numpy(), side="right") - 1, 0, 9)
        for s in speeds:
            m = (u["speed"] == s).to_numpy()
            cells = [name, f"{s} km/h"]
            for d in range(10):
                x = u["dl_call_satisfied"].to_numpy()[m & (dec == d)]
                cells.append(f"{x.mean():.2f} ({x.size})" if x.size else "-")
            print(" | ".join(cells))


if __name__ == "__main__":
    main()
