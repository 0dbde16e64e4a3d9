"""Wall time and peak memory of one drop's clustered channel (issue 13).

UMa at 6 GHz, BS antenna config 1 (4 ports), UE 2 antennas, 57 cells x 570 UEs, serving plus
8 interferers per UE (5,130 links), frequency response on 273 PRBs (30 kHz SCS).
Stages: large-scale drop + candidate links + LSP fields ("drop"); LSPs + clusters + rays +
delay taps ("taps"); frequency response ("H(f)"); "total" is their sum. Then the time
evolution (3 km/h, random horizontal directions): per-ray coefficients once ("rays"), and the
refresh of the taps (:func:`taps_every`, all links or one per UE) and of the frequency
response per slot (0.5 ms) for ``--slots`` slots (the all-links H(f) case runs 1/20 of them),
then the fused refresh (:class:`ResponseRefresh`, taps and H(f) in one pass; the engine's
single-port power case over all links runs 1/5 of them);
wall and CPU seconds (CPU counts both threads; on a loaded machine it is the steadier figure). Also scaling with PRBs and ports. Peak memory is tracemalloc's peak (NumPy
reports its buffers to it) for the channel stages, and ru_maxrss of the process.
Prints tables; asserts nothing.
Usage: python benchmarks/channel.py [--repeat N] [--slots N] [--quick]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np

from nrsim.api import load_config
from nrsim.calibration.full import antenna_panels, cluster_key, drop_links
from nrsim.channel.tr38901.coefficients import (
    RayChannel,
    ResponseRefresh,
    frequency_response,
    prb_frequencies_hz,
    taps_every,
)
from nrsim.channel.tr38901.links import link_channels, link_rays
from nrsim.channel.tr38901.panel import PanelArray

SLOT_S = 0.5e-3


def one(cfg, bs, ue, tilt, n_prb: int) -> dict[str, float]:
    tracemalloc.start()
    t0 = time.perf_counter()
    dl = drop_links(cfg, 0, bs, tilt, 8)
    t1 = time.perf_counter()
    ch = link_channels(dl.links, dl.scenario, dl.fc_ghz, dl.fields, bs, ue, key=cluster_key(cfg.seed, 0),
                       spreads=False)
    t2 = time.perf_counter()
    h = frequency_response(ch.taps, ch.delays_s, prb_frequencies_hz(n_prb, 30e3))
    t3 = time.perf_counter()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return dict(links=dl.links.n_links, drop_s=t1 - t0, taps_s=t2 - t1, freq_s=t3 - t2, total_s=t3 - t0,
                peak_mib=peak / 2**20, h_mib=h.nbytes / 2**20)


def evolution(cfg, bs, ue, tilt, n_slots: int) -> None:
    dl = drop_links(cfg, 0, bs, tilt, 8)
    ch = link_channels(dl.links, dl.scenario, dl.fc_ghz, dl.fields, bs, ue, key=cluster_key(cfg.seed, 0),
                       spreads=False)
    n = dl.links.n_links
    rng = np.random.default_rng(0)
    az = rng.uniform(0, 2 * np.pi, int(dl.links.ue.max()) + 1)[dl.links.ue]
    v = 3.0 / 3.6 * np.stack([np.cos(az), np.sin(az), np.zeros(n)], axis=1)
    t0 = time.perf_counter()
    rays = link_rays(ch, dl.links, bs, ue, dl.fc_ghz, v)
    t1 = time.perf_counter()
    print(f"per-ray coefficients of {n} links: {t1 - t0:.2f} s, {rays.coef.nbytes / 2**20:.0f} MiB")
    serving = np.arange(0, n, dl.cand.shape[1])  # one link per UE (the strongest candidate)
    print(f"{'refresh per slot (0.5 ms)':<44} {'slots':>6} {'wall s':>8} {'cpu s':>8} {'ms/slot':>8}")
    for label, sel, n_prb in (("taps, all links", None, 0), ("taps, one link per UE", serving, 0),
                              ("taps + H(f) 273 PRB, one link per UE", serving, 273),
                              ("taps + H(f) 106 PRB, one link per UE", serving, 106),
                              ("taps + H(f) 50 PRB, one link per UE", serving, 50),
                              ("taps + H(f) 273 PRB, all links", None, 273)):
        r = rays if sel is None else RayChannel(rays.coef[sel], rays.doppler_hz[sel], rays.tap[sel],
                                                rays.delays_s[sel])
        f = prb_frequencies_hz(max(n_prb, 1), 30e3)
        slots = n_slots if (sel is not None or n_prb == 0) else max(1, n_slots // 20)
        gen = taps_every(r, SLOT_S)
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(slots):
            _, taps = next(gen)
            if n_prb:
                frequency_response(taps, r.delays_s, f)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        print(f"{label:<44} {slots:>6} {dt:>8.2f} {dc:>8.2f} {1e3 * dt / slots:>8.2f}", flush=True)
    # the fused refresh (ResponseRefresh): taps and H(f) per link in one pass
    for label, sel, n_prb, ports in (("fused H(f) 273 PRB, one link per UE", serving, 273, (2, 4)),
                                     ("fused H(f) 106 PRB, one link per UE", serving, 106, (2, 4)),
                                     ("fused H(f) 50 PRB, one link per UE", serving, 50, (2, 4)),
                                     ("fused H(f) 273 PRB, 2 ports x 2, per UE", serving, 273, (2, 2)),
                                     ("fused H(f) 273 PRB, 1 x 1, per UE", serving, 273, (1, 1)),
                                     ("fused |H|^2 273 PRB, 1 x 1, all links", None, 273, (1, 1)),
                                     ("fused H(f) 273 PRB, all links", None, 273, (2, 4))):
        idx = np.arange(n) if sel is None else sel
        r = RayChannel(np.ascontiguousarray(rays.coef[idx][:, :, :ports[0], :ports[1]]), rays.doppler_hz[idx],
                       rays.tap[idx], rays.delays_s[idx])
        rr = ResponseRefresh(r, prb_frequencies_hz(n_prb, 30e3), SLOT_S)
        slots = n_slots if sel is not None else max(1, n_slots // 20)
        if ports == (1, 1) and sel is None:
            slots = max(1, n_slots // 5)
            g = np.empty((idx.size, n_prb), dtype=np.float32)
            step = (lambda: rr.power(np.ones(idx.size), g))
        else:
            h = np.empty((idx.size, ports[0], ports[1], n_prb), dtype=np.complex64)
            step = (lambda: rr.response(h))
        step()  # compilation
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(slots):
            step()
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        print(f"{label:<44} {slots:>6} {dt:>8.2f} {dc:>8.2f} {1e3 * dt / slots:>8.2f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--slots", type=int, default=1000)
    ap.add_argument("--quick", action="store_true", help="main case only, no evolution")
    args = ap.parse_args()
    cfg = load_config("uma-6ghz", ["deployment.ue.per_sector=10"], drops=1)
    bs, ue, tilt = antenna_panels(1, "uma")
    one(cfg, bs, ue, tilt, 8)  # warm-up (compilation, caches)
    print(f"{'case':<46} {'links':>6} {'drop s':>7} {'taps s':>7} {'H(f) s':>7} {'total s':>7} "
          f"{'peak MiB':>9} {'H MiB':>6}")
    cases = [("config 1, 4 ports x 2, 273 PRB", bs, 273)]
    if not args.quick:
        cases += [("config 1, 4 ports x 2, 50 PRB", bs, 50), ("config 1, 4 ports x 2, 106 PRB", bs, 106),
                  ("config 2 (2x2 v, 4 element ports), 273 PRB", PanelArray(2, 2, "v", port_map="element"), 273),
                  ("2x2 x-pol panel per element, 8 ports, 273 PRB", PanelArray(2, 2, "x45", port_map="element"), 273),
                  ("4x4 x-pol per element, 32 ports, 273 PRB", PanelArray(4, 4, "x45", port_map="element"), 273)]
    for label, panel, n_prb in cases:
        for _ in range(args.repeat):
            r = one(cfg, panel, ue, tilt, n_prb)
            print(f"{label:<46} {r['links']:>6} {r['drop_s']:>7.2f} {r['taps_s']:>7.2f} {r['freq_s']:>7.2f} "
                  f"{r['total_s']:>7.2f} {r['peak_mib']:>9.0f} {r['h_mib']:>6.0f}")
    if not args.quick:
        evolution(cfg, bs, ue, tilt, args.slots)
    print(f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
