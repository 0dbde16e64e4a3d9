"""Wall and CPU time of the compiled drop kernel alone (``radio_chunk`` over all UEs of one
prepared drop), per field-read mode: the snapshot's nearest-point shadow-fading reads, with
the spatially consistent LOS field, and the bilinear reads of moving UEs (hard and soft LOS
state, 7.6.3.1 and 7.6.3.3).

Meant for side-by-side comparisons of two source trees on a shared machine: run it with
``PYTHONPATH`` set to each tree in turn, alternating; CPU time (``time.process_time``, all
threads) is less disturbed by other jobs than wall time. Prints a table; asserts nothing.
Usage: python benchmarks/drop_kernel.py [--repeat N] [--per-sector N]
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import nrsim
from nrsim.engine.snapshot import prepare_drop, radio_chunk

MODES = {
    "snapshot, SF nearest": ([], False, False),
    "snapshot, SF + LOS field": (["channel.los_spatial_consistency=true"], False, False),
    "moving, bilinear, hard LOS": (["channel.los_spatial_consistency=true"], True, False),
    "moving, bilinear, soft LOS": (["channel.los_spatial_consistency=true"], True, True),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--per-sector", type=int, default=50)
    args = ap.parse_args()
    print(f"{'mode (UMa, 57 cells)':<30}{'UEs':>7}{'median wall [s]':>17}{'median CPU [s]':>16}")
    for label, (overrides, bilinear, soft) in MODES.items():
        cfg = nrsim.load_config("uma-default", [f"deployment.ue.per_sector={args.per_sector}", *overrides])
        state = dataclasses.replace(prepare_drop(cfg, 0), bilinear=bilinear, soft_los=soft)
        n = state.ues.n_ue
        radio_chunk(cfg, state, 0, n)  # warm-up (compilation or cache load)
        wall, cpu = [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            radio_chunk(cfg, state, 0, n)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        print(f"{label:<30}{n:>7}{sorted(wall)[len(wall) // 2]:>17.4f}{sorted(cpu)[len(cpu) // 2]:>16.4f}")


if __name__ == "__main__":
    main()
