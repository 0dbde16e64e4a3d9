"""Wall time and peak memory of one drop's clustered channel (issue 13).

UMa at 6 GHz, BS antenna config 1 (4 ports), UE 2 antennas, 57 cells x 570 UEs, serving plus
8 interferers per UE (5,130 links), frequency response on 273 PRBs (30 kHz SCS).
Stages: large-scale drop + candidate links + LSP fields; LSPs + clusters + rays + delay taps;
frequency response. Also scaling with PRBs and ports. Peak memory is tracemalloc's peak
(NumPy reports its buffers to it) for the channel stages, and ru_maxrss of the process.
Prints a table; asserts nothing.
Usage: python benchmarks/channel.py [--repeat N]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np

from nrsim.api import load_config
from nrsim.calibration.full import antenna_panels, drop_links
from nrsim.channel.tr38901.coefficients import frequency_response, prb_frequencies_hz
from nrsim.channel.tr38901.links import link_channels
from nrsim.channel.tr38901.panel import PanelArray
from nrsim.rng import stream


def one(cfg, bs, ue, tilt, n_prb: int) -> dict[str, float]:
    tracemalloc.start()
    t0 = time.perf_counter()
    dl = drop_links(cfg, 0, bs, tilt, 8)
    t1 = time.perf_counter()
    ch = link_channels(dl.links, dl.scenario, dl.fc_ghz, dl.fields, bs, ue, rng=stream(cfg.seed, "clusters"),
                       spreads=False)
    t2 = time.perf_counter()
    h = frequency_response(ch.taps, ch.delays_s, prb_frequencies_hz(n_prb, 30e3))
    t3 = time.perf_counter()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return dict(links=dl.links.n_links, drop_s=t1 - t0, taps_s=t2 - t1, freq_s=t3 - t2,
                peak_mib=peak / 2**20, h_mib=h.nbytes / 2**20)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    cfg = load_config("uma-6ghz", ["deployment.ue.per_sector=10"], drops=1)
    bs, ue, tilt = antenna_panels(1, "uma")
    one(cfg, bs, PanelArray(1, 1, "vh", element="isotropic", port_map="element"), tilt, 8)  # warm-up
    print(f"{'case':<46} {'links':>6} {'drop s':>7} {'taps s':>7} {'H(f) s':>7} {'peak MiB':>9} {'H MiB':>6}")
    cases = [("config 1, 4 ports x 2, 273 PRB", bs, 273), ("config 1, 4 ports x 2, 50 PRB", bs, 50),
             ("config 1, 4 ports x 2, 106 PRB", bs, 106),
             ("2x2 x-pol panel per element, 8 ports, 273 PRB",
              PanelArray(2, 2, "x45", port_map="element"), 273)]
    for label, panel, n_prb in cases:
        for _ in range(args.repeat):
            r = one(cfg, panel, ue, tilt, n_prb)
            print(f"{label:<46} {r['links']:>6} {r['drop_s']:>7.2f} {r['taps_s']:>7.2f} {r['freq_s']:>7.2f} "
                  f"{r['peak_mib']:>9.0f} {r['h_mib']:>6.0f}")
    print(f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
