"""Benchmark: a 50 m coverage raster over the London pilot (time and peak memory), and its
probability-of-coverage layers (3 RSRP thresholds, 3 SINR thresholds, median RSRP and the
dominance map; :mod:`nrsim.coverage.probability`).

Targets (issues): raster under 20 s and 2 GiB on 2 cores; probability layers under 10 s. Run: .venv/bin/python benchmarks/maps.py
(limit the cores with e.g. `taskset -c 0,1` and NUMBA_NUM_THREADS=2)."""

from __future__ import annotations

import resource
import tempfile
import time

import nrsim
from nrsim.coverage import coverage_maps, probability_maps, write_coverage_geotiffs
from nrsim.engine.snapshot import build_layout


def main() -> None:
    cfg = nrsim.load_config("london-pilot", ["coverage.resolution_m=50"])
    t0 = time.perf_counter()
    layout = build_layout(cfg)
    maps = coverage_maps(cfg, layout=layout)  # includes the kernel's JIT on a cold cache
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        write_coverage_geotiffs(maps, d)
    t2 = time.perf_counter()
    maps = coverage_maps(cfg, layout=layout)
    t3 = time.perf_counter()
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    pm = probability_maps(cfg, layout=layout, grid=maps.grid)
    t4 = time.perf_counter()
    peak_p_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    g = maps.grid
    print(f"london-pilot: {layout.n_sites} sites, {layout.n_cells} cells; raster {g.n_rows} x {g.n_cols} at "
          f"{g.resolution_m:g} m, {int(g.mask.sum())} pixels in the area")
    print(f"first raster {t1 - t0:.2f} s, GeoTIFFs {t2 - t1:.2f} s, warm raster {t3 - t2:.2f} s, "
          f"peak RSS {peak_gib:.2f} GiB")
    print(f"probability layers ({len(pm.p_rsrp)} RSRP + {len(pm.p_sinr)} SINR thresholds, median RSRP, "
          f"dominance) {t4 - t3:.2f} s, peak RSS {peak_p_gib:.2f} GiB")


if __name__ == "__main__":
    main()
