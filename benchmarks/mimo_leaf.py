"""Cost of each piece of the MIMO leaf package (nrsim.mimo) per slot, to size the engine
integration of issue 14 (target: 1,000 slots of 57 cells x 570 UEs in under 60 s in all).

Setting: 57 cells x 570 UEs (10 per cell), 32T BS ((N1, N2) = (4, 4) CSI-RS ports, panel
(M, N, P) = (8, 4, 2) = 64 elements for SSB beams), 4-antenna UEs, 100 MHz at 30 kHz
(273 PRBs), subband CSI on 18 subbands of 16 PRBs (TS 38.214 Table 5.2.1.4-2), 18 RBGs of 16
PRBs, up to 4 layers per UE and 16 co-scheduled layers per cell, 8 interferers per UE.
Channels are i.i.d. Rayleigh of the right shapes (the cost does not depend on the channel's
values; the channel's own cost is in benchmarks/channel.py); times are wall seconds, best of
--repeat, after a warm-up call (numba compiles or loads its cache there, reported apart).

Stages per slot, as the engine would call them:
  csi      select_csi on the 1/period of the UEs whose staggered report falls in the slot
           (staggered_csi_ues; 57 UEs for a 10-slot period), i1 preselection with
           --beams candidate beams per rank, 1 channel sample per subband.
  pairing  pair_users for 57 cells x 18 RBGs (PF, 4 layers per UE, <= 16 layers, shortlist).
  zf       layer_channels (Gram eigendecomposition per UE and RBG) of the UEs whose SRS
           estimate arrives in the slot (srs_ues, --srs-period; the others keep theirs) +
           zf_precoder per cell and RBG (16 layers, compiled Cholesky).
  sinr     MMSE-IRC per UE and RBG with 8 precoded interferers (mmse_irc_sinr_interferers,
           precoders from a bank of 57 cells x 18 RBGs); the EESM per layer over the RBGs
           of a transport block is nrsim.link's and costs next to nothing.
  ssb      L1-RSRP of 8 beams x 9 cells per UE over 20 PRBs, every 40 slots (20 ms SSB period).
Reference rows (not in the total): the exhaustive CSI search per UE report, the NumPy
per-PRB IRC SINR of the first version of this package, the layer channels of every UE each
slot, the SINR with 4 precoded interferers (the rest as white noise), and the uplink MMSE-IRC
(64 receive antennas, 8 co-scheduled layers and 8 interfering layers per cell and RBG).
Kernels with threads (CSI, pairing, ZF, IRC) use numba's thread count (NUMBA_NUM_THREADS).
The CPU column is the best call's CPU time (every thread; with NUMBA_NUM_THREADS=1 the
steadier figure on a loaded machine). benchmarks/mimo.py runs the same stages slot by slot.
Usage: python benchmarks/mimo_leaf.py [--csi-period K] [--srs-period K] [--beams B] [--shortlist S]
       [--repeat R]
Prints a table and the peak memory; asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np

from nrsim.channel.tr38901.panel import PanelArray
from nrsim.mimo import (
    Type1Config,
    interference_covariance,
    l1_rsrp_w,
    layer_channels,
    mmse_irc_sinr,
    pair_users,
    select_csi,
    ssb_beam_grid,
    ssb_beam_weights,
    zf_precoder,
)
from nrsim.mimo.csi import DEFAULT_BEAM_CANDIDATES, staggered_csi_ues
from nrsim.mimo.receiver import mmse_irc_sinr_interferers
from nrsim.mimo.uplink import SrsParams, srs_ues, ul_mmse_irc_sinr

N_CELL, N_UE, N_RX, N_TX = 57, 570, 4, 32
N_PRB, N_SB, N_RBG = 273, 18, 18
N_INT = 8


def _cn(rng, *shape):
    return ((rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)).astype(np.complex128)


def _timed(fn, repeat: int) -> tuple[float, float, float]:
    """(first call, best of ``repeat`` further calls, the best CPU time of those calls) in
    seconds; CPU time is process_time (every thread; steadier than wall time on a loaded
    machine); with repeat = 0 the first call's times."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    first, first_cpu = time.perf_counter() - t0, time.process_time() - c0
    if repeat == 0:
        return first, first, first_cpu
    best = best_cpu = np.inf
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return first, best, best_cpu


def _peak_rss_mib() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / (1024.0 if sys.platform != "darwin" else 1024.0 ** 2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--csi-period", type=int, default=10, help="slots between CSI reports of a UE")
    ap.add_argument("--srs-period", type=int, default=10, help="slots between SRS of a UE")
    ap.add_argument("--beams", type=int, default=DEFAULT_BEAM_CANDIDATES, help="candidate beams per rank")
    ap.add_argument("--shortlist", type=int, default=8, help="pairing candidates per cell and RBG")
    ap.add_argument("--exhaustive-ues", type=int, default=2, help="UEs timed for the exhaustive search")
    ap.add_argument("--ref-prb", type=int, default=20, help="PRBs timed for the NumPy per-PRB SINR")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    rng = np.random.default_rng(1)
    rows = []  # (name, first call, per call, calls per slot, in total, CPU per call)

    cfg = Type1Config.for_ports(4, 4)
    ues = staggered_csi_ues(N_UE, 0, a.csi_period)
    h_csi = 10.0 * _cn(rng, len(ues), N_SB, 1, N_RX, N_TX)
    f, t, c = _timed(lambda: select_csi(h_csi, cfg, noise_w=1.0, n_beam_candidates=a.beams), a.repeat)
    rows.append((f"csi ({len(ues)} staggered reports, {a.beams} beams)", f, t, 1.0, True, c))
    n_ex = a.exhaustive_ues
    f, t, c = _timed(lambda: select_csi(h_csi[:n_ex], cfg, noise_w=1.0), 0)
    rows.append((f"  ref: exhaustive CSI, {len(ues)} reports", f, f * len(ues) / n_ex, 1.0, False, c * len(ues) / n_ex))

    g = _cn(rng, N_CELL, 10, N_RBG, 4, N_TX)
    sinr = 10 ** rng.uniform(0, 2.5, (N_CELL, 10, N_RBG, 4))
    nl = rng.integers(1, 5, (N_CELL, 10))
    avg = rng.uniform(0.5, 2.0, (N_CELL, 10))
    f, t, c = _timed(lambda: pair_users(g, sinr, nl, avg, max_layers=16, epsilon=0.6, shortlist=a.shortlist), a.repeat)
    rows.append((f"pairing (57 cells x 18 RBGs, shortlist {a.shortlist})", f, t, 1.0, True, c))

    h_ue = _cn(rng, N_CELL, 10, N_RBG, N_RX, N_TX)
    lc_all, _ = layer_channels(h_ue, 2)  # [cell, ue, rbg, 2, tx], kept between SRS
    srs = SrsParams(period_slots=a.srs_period, delay_slots=2)
    fresh = srs_ues(N_UE, 2, srs)  # UEs (cell-major) whose SRS estimate arrives in this slot

    def zf():
        lc = lc_all.reshape(N_UE, N_RBG, 2, N_TX)
        lc[fresh] = layer_channels(h_ue.reshape(N_UE, N_RBG, N_RX, N_TX)[fresh], 2)[0]
        grp = np.moveaxis(lc_all[:, :8], 1, 2).reshape(N_CELL, N_RBG, 16, N_TX)  # 8 UEs x 2 layers
        zf_precoder(grp, regularisation=0.1)

    f, t, c = _timed(zf, a.repeat)
    rows.append((f"zf ({len(fresh)} SRS UEs' layer channels + ZF 16 layers)", f, t, 1.0, True, c))
    f, t, c = _timed(lambda: layer_channels(h_ue, 2), 0)
    rows.append(("  ref: layer channels of every UE", f, f, 1.0, False, c))

    h_srv = _cn(rng, N_UE, N_RBG, N_RX, 4)  # effective serving channel, 4 layers
    h_int = _cn(rng, N_UE, N_RBG, N_INT, N_RX, N_TX)
    bank = _cn(rng, N_CELL * N_RBG, N_TX, 4) / np.sqrt(4 * N_TX)
    idx = rng.integers(0, N_CELL * N_RBG, (N_UE, N_RBG, N_INT))
    f, t, c = _timed(lambda: mmse_irc_sinr_interferers(h_srv, h_int, bank, idx, 1.0, 0.1), a.repeat)
    rows.append(("sinr (IRC per UE and RBG, 8 interferers)", f, t, 1.0, True, c))
    h_int4, idx4 = np.ascontiguousarray(h_int[:, :, :4]), np.ascontiguousarray(idx[:, :, :4])
    f, t, c = _timed(lambda: mmse_irc_sinr_interferers(h_srv, h_int4, bank, idx4, 1.0, 0.5), a.repeat)
    rows.append(("  ref: sinr, 4 precoded interferers + white", f, t, 1.0, False, c))
    h_ul = _cn(rng, N_CELL, N_RBG, 64, 8)  # 8 co-scheduled layers at 64 rx
    a_ul = _cn(rng, N_CELL, N_RBG, 64, 8)  # 8 interfering layers
    f, t, c = _timed(lambda: ul_mmse_irc_sinr(h_ul, a_ul, 1.0), a.repeat)
    rows.append(("  ref: ul MMSE-IRC 64 rx, 8 + 8 layers", f, t, 1.0, False, c))
    p = a.ref_prb
    w_int = bank[idx[:, :1]]  # [ue, 1, k, tx, l]

    def sinr_ref():
        r = interference_covariance(h_int[:, :1].repeat(p, axis=1), w_int, 1.0, 0.1)
        mmse_irc_sinr(h_srv[:, :1].repeat(p, axis=1), r)

    f, t, c = _timed(sinr_ref, 0)
    rows.append(("  ref: NumPy IRC per PRB (273 PRBs)", f, f * N_PRB / p, 1.0, False, c * N_PRB / p))

    panel = PanelArray(m_rows=8, n_cols=4, slant="x45", element="isotropic", port_map="element")
    w_ssb = ssb_beam_weights(panel, *ssb_beam_grid(8, (96.0,)))
    h_ssb = _cn(rng, N_UE, 9, 20, N_RX, panel.n_elements)
    f, t, c = _timed(lambda: l1_rsrp_w(h_ssb, w_ssb, 1.0), a.repeat)
    rows.append(("ssb (8 beams x 9 cells, 20 PRBs)", f, t, 1 / 40, True, c))

    print(f"{'stage':46s} {'first [s]':>10s} {'per call [s]':>13s} {'calls/slot':>10s} {'per slot [ms]':>14s} "
          f"{'1000 slots [s]':>15s} {'CPU/slot [ms]':>14s}")
    total = total_cpu = 0.0
    for name, first, t, per_slot, counted, cpu in rows:
        if counted:
            total += t * per_slot
            total_cpu += cpu * per_slot
        print(f"{name:46s} {first:10.3f} {t:13.4f} {per_slot:10.3f} {1e3 * t * per_slot:14.1f} "
              f"{1000 * t * per_slot:15.1f} {1e3 * cpu * per_slot:14.1f}")
    print(f"{'total (stages, not ref rows)':46s} {'':10s} {'':13s} {'':10s} {1e3 * total:14.1f} {1000 * total:15.1f} "
          f"{1e3 * total_cpu:14.1f}")
    print(f"peak resident memory of this process: {_peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
