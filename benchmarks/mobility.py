"""Wall time of mobility runs on 57 cells with 1,995 moving UEs (35 per cell), 60 s simulated:

- ``mobility``: mobility-uma (ISD 500 m): movement, measurements of every cell at 10 ms
  steps, L3 filtering, A3 handover with TTT, RLF; no traffic.
- ``calls``: video-calls-uma (ISD 200 m) with every UE in a video call (2 Mbit/s video
  + VoNR, both directions) at 30 kHz SCS: the mobility run plus 120,000 slots of DL and UL
  scheduling, HARQ and link adaptation; handovers and RLF interrupt the calls.

Prints a table and the KPIs; asserts nothing. Usage:
    python benchmarks/mobility.py [--duration-s 60] [--only calls|mobility]
"""

from __future__ import annotations

import argparse
import resource
import time


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration-s", type=float, default=60.0)
    ap.add_argument("--only", choices=["calls", "mobility"], default=None)
    args = ap.parse_args()
    import nrsim

    d = args.duration_s
    cases = {
        "mobility": ("mobility-uma", ["deployment.ue.per_sector=35", f"mobility.duration_s={d}"]),
        "calls": ("video-calls-uma", ["deployment.ue.per_sector=35", f"mobility.duration_s={d}",
                                            "slots.traffic.background_ftp_share=0",
                                            "slots.traffic.capacity_calls_per_cell=[]"]),
    }
    if args.only:
        cases = {args.only: cases[args.only]}
    # compile the kernels (cached on disk after the first run) outside the timing
    nrsim.run(nrsim.load_config("video-calls-uma", ["deployment.rings=0", "mobility.duration_s=0.5",
                                                    "slots.warmup_slots=100", "slots.traffic.capacity_calls_per_cell=[]"]))
    rows = []
    for name, (preset, ov) in cases.items():
        cfg = nrsim.load_config(preset, ov)
        t0 = time.perf_counter()
        res = nrsim.run(cfg)
        wall = time.perf_counter() - t0
        rows.append((name, cfg, res.summary["kpis"], wall, _peak_mib()))
    print(f"{'case':<13}{'UEs':>6}{'cells':>7}{'sim [s]':>9}{'slots':>9}{'wall [s]':>10}{'peak [MiB]':>12}")
    for name, cfg, k, wall, peak in rows:
        slots = int(round(d / 0.5e-3 * (cfg.radio.scs_khz / 30))) if cfg.slots.enabled else 0
        print(f"{name:<13}{k['mobility']['n_ue']:>6}{57:>7}{d:>9.0f}{slots:>9}{wall:>10.1f}{peak:>12.0f}")
    for name, _cfg, k, _wall, _peak in rows:
        m = k["mobility"]
        print(f"[{name}] handovers/UE/min {m['handovers_per_ue_per_min']:.3f}  HO failure rate "
              f"{m['handover_failure_rate']:.4f}  ping-pong rate {m['ping_pong_rate']:.4f}  RLF/UE-hour "
              f"{m['rlf_per_ue_hour']:.1f}  outage share {m['outage_share']:.5f}")
        if "calls" in k:
            c = k["calls"]
            print(f"[{name}] calls {c['n_calls']} ({c['calls_per_cell']:.1f}/cell)  satisfied {c['satisfied_share']:.3f} "
                  f"(DL {c['dl_satisfied_share']:.3f}, UL {c['ul_satisfied_share']:.3f}; with HO "
                  f"{c['satisfied_share_with_handover']:.3f}, without {c['satisfied_share_without_handover']:.3f})  "
                  f"DL video median {c['dl']['video_bitrate_bps']['50'] / 1e6:.2f} Mbit/s, frame loss mean "
                  f"{c['dl']['video_frame_loss']['mean']:.4f}; UL video median "
                  f"{c['ul']['video_bitrate_bps']['50'] / 1e6:.2f} Mbit/s, frame loss mean "
                  f"{c['ul']['video_frame_loss']['mean']:.4f}")


if __name__ == "__main__":
    main()
