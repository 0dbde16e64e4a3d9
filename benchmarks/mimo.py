"""Per-slot cost of the MIMO leaf pipeline over a run of slots (issue 14: 57 cells x 570 UEs,
32T BS, 4-antenna UEs, MU-MIMO PF, 100 MHz at 30 kHz with subband CSI; budget 1,000 slots in
under 60 s and 4 GiB on 2 cores, i.e. about 60 ms per slot for everything).

Setting as benchmarks/mimo_leaf.py (whose stage names and sizes this script keeps): 57 cells
x 570 UEs (10 per cell), (N1, N2) = (4, 4) CSI-RS ports (32T), panel (M, N, P) = (8, 4, 2) =
64 elements for the SSB beams, 4 receive antennas, 273 PRBs, 18 subbands and 18 RBGs of 16
PRBs, up to 4 layers per UE and 16 co-scheduled layers per cell, 8 precoded interferers per
UE. Channels are i.i.d. Rayleigh of the right shapes, drawn once and stored as complex64 (the
dtype of nrsim.channel's frequency response); their cost is not counted here: it is in
benchmarks/channel.py. Each slot t runs, as the engine would:

  csi      select_csi for the UEs whose staggered report falls in slot t
           (staggered_csi_ues, --csi-period), --beams candidate beams per rank, one channel
           sample per subband; CsiReport.updated keeps every UE's latest report.
  pairing  pair_users for 57 cells x 18 RBGs (PF, the layer channels below, the UEs' reported
           ranks, <= 16 layers, SUS threshold 0.6, --shortlist candidates).
  zf       layer_channels (4 eigenmodes) of the UEs whose SRS estimate arrives in slot t
           (srs_ues, --srs-period; the others keep theirs) + zf_precoder per cell and RBG
           (2 layers of 8 UEs = 16 layers, RZF).
  sinr     MMSE-IRC per UE and RBG with 8 precoded interferers (mmse_irc_sinr_interferers;
           a bank of 57 x 18 precoders of --int-layers columns: the leaf benchmark's 4; an
           interfering cell's full MU precoder has up to 16).
  ssb      L1-RSRP of 8 beams x 9 cells per UE over 20 PRBs in the slots t with t mod 40 == 0
           (20 ms SSB period).
Times per stage: wall and CPU seconds (CPU counts both threads; on a loaded machine it is the
steadier figure), the mean over the --slots timed slots after one warm-up slot (numba loads
its cache or compiles there, reported apart). The SSB row is its mean over all slots.
Usage: python benchmarks/mimo.py [--slots N] [--csi-period K] [--srs-period K] [--beams B]
       [--shortlist S] [--int-layers L] [--seed S]
Prints a table (per-stage ms/slot, total, extrapolated 1,000-slot time) and the peak resident
memory; asserts nothing. Kernels with threads use NUMBA_NUM_THREADS.
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
    l1_rsrp_w,
    layer_channels,
    pair_users,
    select_csi,
    ssb_beam_grid,
    ssb_beam_weights,
    zf_precoder,
)
from nrsim.mimo.csi import DEFAULT_BEAM_CANDIDATES, staggered_csi_ues
from nrsim.mimo.receiver import mmse_irc_sinr_interferers
from nrsim.mimo.uplink import SrsParams, srs_ues

N_CELL, UE_PER_CELL, N_RX, N_TX = 57, 10, 4, 32
N_UE = N_CELL * UE_PER_CELL
N_SB, N_RBG, N_INT = 18, 18, 8
N_SSB_CELL, N_SSB_PRB, SSB_PERIOD_SLOTS = 9, 20, 40
STAGES = ("csi", "pairing", "zf", "sinr", "ssb")
BUDGET_S_PER_1000 = 60.0


def _cn(rng: np.random.Generator, *shape: int, dtype=np.complex64) -> np.ndarray:
    """i.i.d. CN(0, 1) of the given shape and dtype."""
    out = np.empty(shape, dtype=dtype)
    out.real = rng.standard_normal(shape, dtype=np.float32 if dtype == np.complex64 else np.float64)
    out.imag = rng.standard_normal(shape, dtype=np.float32 if dtype == np.complex64 else np.float64)
    out *= np.sqrt(0.5)
    return out


def _peak_rss_mib() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / (1024.0 if sys.platform != "darwin" else 1024.0 ** 2)


class Pipeline:
    """The leaf's per-slot state (latest CSI reports, SRS layer channels) and inputs."""

    def __init__(self, a: argparse.Namespace) -> None:
        rng = np.random.default_rng(a.seed)
        self.a = a
        self.cfg = Type1Config.for_ports(4, 4)
        self.srs = SrsParams(period_slots=a.srs_period, delay_slots=2)
        # channel estimates [ue, ...] (complex64, as nrsim.channel delivers them)
        self.h_csi = 10.0 * _cn(rng, N_UE, N_SB, 1, N_RX, N_TX)  # CSI-RS, one sample per subband
        self.h_ue = _cn(rng, N_UE, N_RBG, N_RX, N_TX)  # SRS estimate per RBG
        self.h_int = _cn(rng, N_UE, N_RBG, N_INT, N_RX, N_TX)  # from the 8 interferers
        self.h_srv = _cn(rng, N_UE, N_RBG, N_RX, 4, dtype=np.complex128)  # effective serving channel
        self.bank = _cn(rng, N_CELL * N_RBG, N_TX, a.int_layers, dtype=np.complex128) / np.sqrt(a.int_layers * N_TX)
        self.idx = rng.integers(0, N_CELL * N_RBG, (N_UE, N_RBG, N_INT))
        panel = PanelArray(m_rows=8, n_cols=4, slant="x45", element="isotropic", port_map="element")
        self.w_ssb = ssb_beam_weights(panel, *ssb_beam_grid(8, (96.0,)))
        self.h_ssb = _cn(rng, N_UE, N_SSB_CELL, N_SSB_PRB, N_RX, panel.n_elements)
        self.avg = rng.uniform(0.5, 2.0, (N_CELL, UE_PER_CELL))  # PF averages
        # state: every UE's latest report and layer channels (initial full refresh, untimed)
        self.report = select_csi(self.h_csi, self.cfg, noise_w=1.0, n_beam_candidates=a.beams)
        g, _ = layer_channels(self.h_ue, 4)  # [ue, rbg, 4, tx]
        self.lc = g
        self.sinr_su = np.sum(np.abs(g) ** 2, axis=-1)  # sigma_i^2 / noise (noise 1), [ue, rbg, 4]

    def csi(self, slot: int) -> None:
        ues = staggered_csi_ues(N_UE, slot, self.a.csi_period)
        new = select_csi(self.h_csi[ues], self.cfg, noise_w=1.0, n_beam_candidates=self.a.beams)
        self.report = self.report.updated(ues, new)

    def pairing(self, slot: int) -> None:
        nl = self.report.ri.reshape(N_CELL, UE_PER_CELL)
        sinr = self.sinr_su / self.report.ri[:, None, None]  # the cell's power split over the UE's layers
        self.groups = pair_users(self.lc.reshape(N_CELL, UE_PER_CELL, N_RBG, 4, N_TX),
                                 sinr.reshape(N_CELL, UE_PER_CELL, N_RBG, 4), nl, self.avg, max_layers=16,
                                 epsilon=0.6, shortlist=self.a.shortlist)

    def zf(self, slot: int) -> None:
        fresh = srs_ues(N_UE, slot, self.srs)
        if fresh.size:
            g, _ = layer_channels(self.h_ue[fresh], 4)
            self.lc[fresh] = g
            self.sinr_su[fresh] = np.sum(np.abs(g) ** 2, axis=-1)
        lc = self.lc.reshape(N_CELL, UE_PER_CELL, N_RBG, 4, N_TX)
        grp = np.moveaxis(lc[:, :8, :, :2], 1, 2).reshape(N_CELL, N_RBG, 16, N_TX)  # 8 UEs x 2 layers
        self.w = zf_precoder(grp, regularisation=0.1)

    def sinr(self, slot: int) -> None:
        self.sinr_out = mmse_irc_sinr_interferers(self.h_srv, self.h_int, self.bank, self.idx, 1.0, 0.1)

    def ssb(self, slot: int) -> None:
        if slot % SSB_PERIOD_SLOTS == 0:
            self.rsrp = l1_rsrp_w(self.h_ssb, self.w_ssb, 1.0)

    def run_slot(self, slot: int, wall: dict, cpu: dict) -> None:
        for name in STAGES:
            t0, c0 = time.perf_counter(), time.process_time()
            getattr(self, name)(slot)
            wall[name] += time.perf_counter() - t0
            cpu[name] += time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--slots", type=int, default=50, help="timed slots (1000 for the issue's full figure)")
    ap.add_argument("--csi-period", type=int, default=10, help="slots between CSI reports of a UE")
    ap.add_argument("--srs-period", type=int, default=10, help="slots between SRS of a UE")
    ap.add_argument("--beams", type=int, default=DEFAULT_BEAM_CANDIDATES, help="candidate beams per rank")
    ap.add_argument("--shortlist", type=int, default=8, help="pairing candidates per cell and RBG")
    ap.add_argument("--int-layers", type=int, default=4, help="precoder columns per interferer")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    t0 = time.perf_counter()
    pipe = Pipeline(a)
    setup_s = time.perf_counter() - t0
    warm_wall = dict.fromkeys(STAGES, 0.0)
    warm_cpu = dict.fromkeys(STAGES, 0.0)
    pipe.run_slot(0, warm_wall, warm_cpu)  # numba cache load / compile, SSB slot
    wall = dict.fromkeys(STAGES, 0.0)
    cpu = dict.fromkeys(STAGES, 0.0)
    t_run = time.perf_counter()
    for slot in range(1, a.slots + 1):
        pipe.run_slot(slot, wall, cpu)
    run_s = time.perf_counter() - t_run
    n = a.slots
    print(f"MIMO leaf pipeline: {N_CELL} cells x {N_UE} UEs, {N_TX}T, {N_RX} rx, {N_SB} subbands, {N_RBG} RBGs; "
          f"{n} slots timed (inputs and first full CSI/SRS refresh {setup_s:.1f} s, warm-up slot "
          f"{sum(warm_wall.values()):.1f} s)")
    print(f"{'stage':10s} {'wall [ms/slot]':>15s} {'CPU [ms/slot]':>14s} {'share':>7s} {'1000 slots [s]':>15s}")
    total = sum(wall.values()) / n
    for name in STAGES:
        w = wall[name] / n
        print(f"{name:10s} {1e3 * w:15.1f} {1e3 * cpu[name] / n:14.1f} {w / total:7.1%} {1000 * w:15.1f}")
    print(f"{'total':10s} {1e3 * total:15.1f} {1e3 * sum(cpu.values()) / n:14.1f} {'':7s} {1000 * total:15.1f}")
    print(f"wall time of the {n} timed slots {run_s:.2f} s; extrapolated to 1,000 slots {1000 * run_s / n:.1f} s "
          f"(issue 14 budget for everything: {BUDGET_S_PER_1000:.0f} s)")
    print(f"peak resident memory of this process: {_peak_rss_mib():.0f} MiB (budget 4096 MiB)")


if __name__ == "__main__":
    main()
