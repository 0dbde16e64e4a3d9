"""Handover KPIs of ``mobility-uma`` by speed and TTT, and the video-call shares of
``video-calls-uma`` with and without a handover (the tables of docs/mobility.md).

Each row is one run with every UE at one speed (all outdoor unless ``--indoor``), so that
the rates can be read against speed. Prints a table; asserts nothing. Runs the nrsim on the
Python path, so the same script gives the before/after tables of a model change:
    python benchmarks/handover_kpis.py [--seeds 1] [--duration-s 60] [--calls]
    PYTHONPATH=/path/to/old/src python benchmarks/handover_kpis.py
``--los off,hard,soft`` repeats each row with the LOS state per link (``off``: the fixed
uniform), spatially consistent and hard, or spatially consistent and soft (TR 38.901 7.6.3.3).
``--cho off,on`` repeats each row without and with conditional handover
(``mobility.handover.conditional``, TS 38.300 V17 9.2.3.4); ``recovered`` counts the CHO
executions after an RLF of the source (attemptCondReconfig).
``--matched`` runs the matched scenario of an independent handover simulator instead of
``mobility-uma``: 19 omni sites, ISD 500 m, UMa 3.5 GHz, 20 outdoor UEs per site, A3 3 dB,
hysteresis 0, TTT 160 ms, L3 k = 4, Qout/Qin -8/-6 dB, T310 1 s (peer: 3.20 handover
attempts per UE-minute, failure rate 27.6 %, 53 RLF per UE-hour at 30 km/h).
"""

from __future__ import annotations

import argparse
import time


def _row(k: dict, key: str, fmt: str = "{:.3g}") -> str:
    v = k.get(key)
    return "-" if v is None else fmt.format(v)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--duration-s", type=float, default=60.0)
    ap.add_argument("--speeds", default="3,30,60,120")
    ap.add_argument("--ttt-ms", default="160,40")
    ap.add_argument("--indoor", action="store_true", help="keep the preset's 80 %% indoor UEs")
    ap.add_argument("--calls", action="store_true", help="also video-calls-uma (about a minute per seed)")
    ap.add_argument("--los", default="", help="comma list of off, hard, soft (default: the config's default)")
    ap.add_argument("--cho", default="", help="comma list of off, on (default: the config's default)")
    ap.add_argument("--matched", action="store_true", help="the matched peer scenario (19 omni sites)")
    args = ap.parse_args()
    import nrsim

    print(f"nrsim {nrsim.__version__} from {nrsim.__file__}")
    los_modes = [x for x in args.los.split(",") if x] or [""]
    los_ov = {"": [], "off": ["channel.los_spatial_consistency=false"],
              "hard": ["channel.los_spatial_consistency=true", "channel.soft_los=false"],
              "soft": ["channel.los_spatial_consistency=true", "channel.soft_los=true"]}
    scen = []
    if args.matched:
        scen = ["deployment.sectors_per_site=1", "antenna.model=omni", "deployment.ue.per_sector=20",
                "mobility.handover.hysteresis_db=0", "mobility.handover.l3_filter_k=4",
                "mobility.handover.q_out_db=-8", "mobility.handover.q_in_db=-6",
                "mobility.handover.t310_ms=1000"]
    cho_modes = [x for x in args.cho.split(",") if x] or [""]
    cho_ov = {"": [], "off": ["mobility.handover.conditional=false"], "on": ["mobility.handover.conditional=true"]}
    head = ("los", "cho", "speed_kmh", "ttt_ms", "attempts/UE/min", "HO/UE/min", "ping-pong", "fail rate", "too late", "too early",
            "wrong cell", "prep fail", "exec fail", "recovered", "RLF/UE-h", "outage", "wall_s")
    print(" | ".join(head))
    rows = [(lm, cm, ttt, float(v)) for lm in los_modes for cm in cho_modes for ttt in [float(x) for x in args.ttt_ms.split(",")]
            for v in args.speeds.split(",") if v]
    for lm, cm, ttt, v in rows:
        acc: dict[str, float] = {}
        t0 = time.perf_counter()
        for seed in range(1, args.seeds + 1):
            ov = [f"mobility.speeds_kmh=[{v}]", "mobility.speed_shares=[1.0]",
                  f"mobility.duration_s={args.duration_s}", f"mobility.handover.ttt_ms={ttt}"]
            if not args.indoor:
                ov.append("deployment.ue.indoor_fraction=0")
            ov += scen + los_ov[lm] + cho_ov[cm]
            cfg = nrsim.load_config("mobility-uma", ov, seed=seed)
            res = nrsim.run(cfg)
            k = res.summary["kpis"]["mobility"]
            ev = res.tables["handover_events"]
            n_rec = int((ev["outcome"] == "cho_recovery").sum()) if len(ev) else 0
            acc["recovered"] = acc.get("recovered", 0.0) + n_rec / args.seeds
            for key, val in k.items():
                if isinstance(val, (int, float)):
                    acc[key] = acc.get(key, 0.0) + float(val) / args.seeds
            # prepared handovers: completed + failed in preparation or execution
            tried = k["handovers"] + k.get("failure_preparation", 0) + k.get("failure_execution", 0)
            acc["attempts"] = acc.get("attempts", 0.0) + tried / k["n_ue"] / (k["duration_s"] / 60.0) / args.seeds
        wall = time.perf_counter() - t0
        print(" | ".join([lm or "default", cm or "default", f"{v:g}", f"{ttt:g}", _row(acc, "attempts"),
                          _row(acc, "handovers_per_ue_per_min"),
                          _row(acc, "ping_pong_rate"), _row(acc, "handover_failure_rate"),
                          _row(acc, "too_late", "{:.1f}"), _row(acc, "too_early", "{:.1f}"),
                          _row(acc, "wrong_cell", "{:.1f}"), _row(acc, "failure_preparation", "{:.1f}"),
                          _row(acc, "failure_execution", "{:.1f}"), _row(acc, "recovered", "{:.1f}"),
                          _row(acc, "rlf_per_ue_hour"), _row(acc, "outage_share", "{:.4f}"),
                          f"{wall:.1f}"]), flush=True)
    if args.calls:
        print("\nvideo-calls-uma (preset load, no sweep): satisfied share")
        print("los | cho | seed | calls | satisfied | with HO | without HO | with failed HO | HO/UE/min | fail rate | RLF/UE-h")
        for lm, cm, seed in [(lm, cm, s) for lm in los_modes for cm in cho_modes for s in range(1, args.seeds + 1)]:
            cfg = nrsim.load_config("video-calls-uma", ["slots.traffic.capacity_calls_per_cell=[]", *los_ov[lm],
                                                        *cho_ov[cm]], seed=seed)
            k = nrsim.run(cfg).summary["kpis"]
            c, m = k["calls"], k["mobility"]
            print(" | ".join([lm or "default", cm or "default", str(seed), str(c["n_calls"]), _row(c, "satisfied_share"),
                              _row(c, "satisfied_share_with_handover"), _row(c, "satisfied_share_without_handover"),
                              _row(c, "satisfied_share_with_handover_failure"),
                              _row(m, "handovers_per_ue_per_min"), _row(m, "handover_failure_rate"),
                              _row(m, "rlf_per_ue_hour")]))


if __name__ == "__main__":
    main()
