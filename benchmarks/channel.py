"""Wall time and peak memory of one drop's clustered channel and of its per-slot refresh
(issue 13).

UMa at 6 GHz, BS antenna config 1 (4 ports), UE 2 antennas, 57 cells x 570 UEs, serving plus
8 interferers per UE (5,130 links), frequency response on 273 PRBs (30 kHz SCS).
Stages: large-scale drop + candidate links + LSP fields ("drop"); LSPs + clusters + rays +
delay taps ("taps"); frequency response ("H(f)"); "total" is their sum. Peak memory is
tracemalloc's peak (NumPy reports its buffers to it) for the channel stages, and ru_maxrss of
the process.

Then the time evolution (3 km/h, random horizontal directions): per-ray coefficients once,
and the frequency response refreshed per slot (0.5 ms, :class:`ResponseRefresh` /
:class:`ServingInterfererRefresh`, complex64 [slot, link, rx, tx, f] outputs preallocated)
for: the serving links only (per PRB); all links with the interferers per 16-PRB subband
(``interferer_granularity="subband"``: 18 frequencies, the serving links per PRB); all links
per PRB. Each refresh call computes ``--block`` slots (the ray arrays are read once per call;
"one slot a call" rows are the per-slot API), on 1 thread and on 2 (``parallel=True``;
numba's pool capped at 2). ``--slots`` slots for the headline rows, a tenth of them for the
others; "1000 slots s" is ms/slot x 1,000 (wall). CPU seconds count both threads; on a
loaded machine they are the steadier figure. Then the slot engine's case (one port pair,
|H|^2 rows of every link, per call and per block) and the scaling of the subband case with
PRBs (52, 106, 273) and BS ports (1, 2, 4, 8 x 2 UE antennas).
Prints tables; asserts nothing.
Usage: python benchmarks/channel.py [--repeat N] [--slots N] [--block N] [--quick] [--quiet]
"""
from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numba
import numpy as np

from nrsim.api import load_config
from nrsim.calibration.full import antenna_panels, cluster_key, drop_links
from nrsim.channel.tr38901.coefficients import (
    RayChannel,
    ResponseRefresh,
    ServingInterfererRefresh,
    frequency_response,
    prb_frequencies_hz,
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


def _rays_with_velocity(cfg, bs, ue, tilt):
    dl = drop_links(cfg, 0, bs, tilt, 8)
    ch = link_channels(dl.links, dl.scenario, dl.fc_ghz, dl.fields, bs, ue, key=cluster_key(cfg.seed, 0),
                       spreads=False)
    n = dl.links.n_links
    rng = np.random.default_rng(0)
    az = rng.uniform(0, 2 * np.pi, int(dl.links.ue.max()) + 1)[dl.links.ue]
    v = 3.0 / 3.6 * np.stack([np.cos(az), np.sin(az), np.zeros(n)], axis=1)
    t0 = time.perf_counter()
    rays = link_rays(ch, dl.links, bs, ue, dl.fc_ghz, v)
    return rays, int(dl.cand.shape[1]), time.perf_counter() - t0


def _ports(rays: RayChannel, n_tx: int) -> RayChannel:
    return RayChannel(np.ascontiguousarray(rays.coef[:, :, :, :n_tx]), rays.doppler_hz, rays.tap, rays.delays_s)


def _timed(step, n_calls: int) -> tuple[float, float]:
    step()  # compilation, first touch
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n_calls):
        step()
    return time.perf_counter() - t0, time.process_time() - c0


HEAD = (f"{'refresh per slot (0.5 ms), UE 2 antennas':<46} {'links':>6} {'f':>4} {'block':>5} {'thr':>3} "
        f"{'slots':>6} {'wall s':>7} {'cpu s':>7} {'ms/slot':>8} {'1000 slots s':>12} {'MiB':>5}")


def _row(label, links, n_f, block, threads, slots, wall, cpu, mib) -> None:
    ms = 1e3 * wall / slots
    print(f"{label:<46} {links:>6} {n_f:>4} {block:>5} {threads:>3} {slots:>6} {wall:>7.2f} {cpu:>7.2f} "
          f"{ms:>8.2f} {ms:>12.2f} {mib:>5.0f}", flush=True)


def refresh_case(label, rays, k, n_prb, granularity, block, parallel, slots) -> float:
    """Serving plus interferers (:class:`ServingInterfererRefresh`; ``k = 1``: serving only)
    refreshed for ``slots`` slots in calls of ``block`` slots; prints a row, returns ms/slot."""
    f = prb_frequencies_hz(n_prb, 30e3)
    if k == 1:
        rr = ResponseRefresh(rays, f, SLOT_S, parallel=parallel)
        out = np.empty((block, *rr.shape, n_prb), dtype=np.complex64)
        step, links, n_f, mib = (lambda: rr.responses(block, out)), rr.n_links, n_prb, rr.nbytes / 2**20
    else:
        sir = ServingInterfererRefresh(rays, k, f, SLOT_S, interferer_granularity=granularity, parallel=parallel)
        hs = np.empty((block, *sir.serving.shape, n_prb), dtype=np.complex64)
        hi = np.empty((block, *sir.interferers.shape, sir.interferers.n_prb), dtype=np.complex64)
        step = (lambda: sir.responses(block, hs, hi))
        links, n_f = sir.serving.n_links + sir.interferers.n_links, sir.interferers.n_prb
        mib = (sir.serving.nbytes + sir.interferers.nbytes) / 2**20
    n_calls = max(1, -(-slots // block))  # whole calls: at least ``slots`` slots
    wall, cpu = _timed(step, n_calls)
    _row(label, links, n_f, block, 2 if parallel else 1, n_calls * block, wall, cpu, mib)
    return 1e3 * wall / (n_calls * block)


def evolution(cfg, bs, ue, tilt, n_slots: int, block: int) -> None:
    """The per-slot refresh (module docstring): serving links only, all links per PRB, all
    links with subband interferers; serial and on 2 threads; scaling with ports and PRBs."""
    rays, k, dt = _rays_with_velocity(cfg, bs, ue, tilt)
    n = rays.coef.shape[0]
    print(f"per-ray coefficients of {n} links: {dt:.2f} s, {rays.coef.nbytes / 2**20:.0f} MiB")
    serving = rays.subset(np.arange(0, n, k))
    few = max(block, n_slots // 10)
    print(HEAD)
    for parallel in (False, True):
        refresh_case("serving only, 4 x 2, per PRB", serving, 1, 273, "prb", block, parallel, n_slots)
        refresh_case("serving only, 4 x 2, per PRB, one slot a call", serving, 1, 273, "prb", 1, parallel, few)
        refresh_case("all links, 4 x 2, interferers per subband", rays, k, 273, "subband", block, parallel, n_slots)
        refresh_case("all links, subband, one slot a call", rays, k, 273, "subband", 1, parallel, few)
        refresh_case("all links, 4 x 2, per PRB", rays, k, 273, "prb", min(block, 4), parallel, few)
    # the slot engine's case: one port pair, scale * |H|^2 rows of every link
    one = ResponseRefresh(_ports(RayChannel(np.ascontiguousarray(rays.coef[:, :, :1, :]), rays.doppler_hz,
                                            rays.tap, rays.delays_s), 1), prb_frequencies_hz(273, 30e3), SLOT_S)
    for steps in (1, block):
        g = np.empty((n * steps, 273), dtype=np.float32)
        n_calls = max(1, few // steps)
        wall, cpu = _timed(lambda: one.power(np.ones(n), g, 0, steps, n_steps=steps), n_calls)
        _row("engine: |H|^2 1 x 1, all links, per PRB", n, 273, steps, 1, n_calls * steps, wall, cpu,
             one.nbytes / 2**20)
    print("scaling (all links, interferers per subband, 2 threads):")
    print(HEAD)
    for n_prb in (52, 106, 273):
        refresh_case(f"4 x 2 ports, {n_prb} PRB", rays, k, n_prb, "subband", block, True, few)
    for n_tx in (1, 2, 4):
        refresh_case(f"{n_tx} x 2 ports, 273 PRB", _ports(rays, n_tx), k, 273, "subband", block, True, few)
    rays8, _, _ = _rays_with_velocity(cfg, PanelArray(2, 2, "x45", port_map="element"), ue, tilt)
    refresh_case("8 x 2 ports (2x2 x-pol per element), 273 PRB", rays8, k, 273, "subband", block, True, few)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--slots", type=int, default=1000)
    ap.add_argument("--quick", action="store_true", help="main case only, no evolution")
    ap.add_argument("--block", type=int, default=20, help="slots per refresh call (ResponseRefresh.responses)")
    ap.add_argument("--quiet", action="store_true", help="tables only (no numba thread note)")
    args = ap.parse_args()
    if not args.quiet:
        print(f"numba threads: {numba.get_num_threads()} (the 2-thread rows use min(2, this))")
    numba.set_num_threads(min(2, numba.get_num_threads()))
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
        evolution(cfg, bs, ue, tilt, args.slots, args.block)
    print(f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
