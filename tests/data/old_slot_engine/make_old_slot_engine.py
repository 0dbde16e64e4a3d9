"""Regenerate ``old_slot_engine_ue.parquet`` and ``old_slot_engine_cell.parquet``: the per-UE
and per-cell tables of the static slot engine that issue 12 retired (``nrsim.engine.slots``,
last present at the commit named in ``PROVENANCE.md``), for the scenarios of the engine
equivalence tests (tests/engine/test_static_equivalence.py,
tests/engine/test_static_traffic_equivalence.py). Those tests compare the one slot core against
these tables with the tolerances they name.

Run from the repository root at a commit that still has ``nrsim.engine.slots``:
    python tests/data/old_slot_engine/make_old_slot_engine.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

import nrsim
from nrsim.engine.slots import run_slots
from nrsim.kpi.slot_metrics import slot_tables

HERE = Path(__file__).resolve().parent
SEEDS = (1, 2, 3, 4)

VIDEO_COMMON = [
    "deployment.rings=1", "deployment.ue.per_sector=5", "deployment.isd_m=200",
    "channel.o2i_high_loss_fraction=0.2", "radio.ue_noise_figure_db=7",
    "slots.enabled=true", "slots.warmup_slots=200",
    "slots.traffic.model=video_call", "slots.traffic.background_ftp_share=0",
    "slots.traffic.video_bitrate_bps=3e7", "slots.traffic.voice=false",
    "slots.scheduler.name=qos", "slots.scheduler.qos_edf=false",
    "slots.uplink.enabled=false", "slots.fading.ue_speed_kmh=0",
    "mobility.enabled=false", "slots.n_slots=1000",
]
TRAFFIC_COMMON = [
    "deployment.rings=1", "deployment.ue.per_sector=5", "deployment.isd_m=200",
    "channel.o2i_high_loss_fraction=0.2", "radio.ue_noise_figure_db=7",
    "slots.enabled=true", "slots.warmup_slots=200", "slots.n_slots=1000",
    "slots.scheduler.name=pf", "slots.fading.ue_speed_kmh=3",
]
CASES: dict[str, tuple[str, list[str]]] = {
    # name: (preset, overrides) -- the video cases of test_static_equivalence.py
    "video": ("mobility-uma", [*VIDEO_COMMON, "slots.fading.enabled=false"]),
    "video_fading": ("mobility-uma", [*VIDEO_COMMON, "slots.fading.enabled=true"]),
    # the traffic cases of test_static_traffic_equivalence.py
    "fb": ("uma-default", [*TRAFFIC_COMMON, "slots.traffic.model=full_buffer", "slots.uplink.enabled=false",
                           "slots.fading.enabled=false"]),
    "fb_ul": ("uma-default", [*TRAFFIC_COMMON, "slots.traffic.model=full_buffer", "slots.uplink.enabled=true",
                              "slots.fading.enabled=false"]),
    "fb_fading": ("uma-default", [*TRAFFIC_COMMON, "slots.traffic.model=full_buffer", "slots.uplink.enabled=false",
                                  "slots.fading.enabled=true"]),
    "fb_cdl": ("uma-default", [*TRAFFIC_COMMON, "slots.traffic.model=full_buffer", "slots.uplink.enabled=false",
                               "slots.fading.enabled=true", "slots.fading.model=cdl-38901"]),
    "ftp": ("uma-default", [*TRAFFIC_COMMON, "slots.traffic.model=ftp3", "slots.uplink.enabled=false",
                            "slots.fading.enabled=false", "slots.n_slots=4000", "slots.traffic.ftp_arrival_rate_hz=3"]),
}


def main() -> None:
    ues, cells = [], []
    for case, (preset, ov) in CASES.items():
        for seed in SEEDS:
            cfg = nrsim.load_config(preset, ov, seed=seed, drops=1)
            ue, cell = slot_tables(run_slots(cfg))
            for df in (ue, cell):
                df.insert(0, "seed", seed)
                df.insert(0, "case", case)
            ues.append(ue)
            cells.append(cell)
            print(f"{case} seed {seed}: {len(ue)} UEs", file=sys.stderr)
    pd.concat(ues, ignore_index=True).to_parquet(HERE / "old_slot_engine_ue.parquet", index=False)
    pd.concat(cells, ignore_index=True).to_parquet(HERE / "old_slot_engine_cell.parquet", index=False)
    rev = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False).stdout.strip()
    print(f"recorded at {rev or 'unknown commit'} (nrsim {nrsim.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
