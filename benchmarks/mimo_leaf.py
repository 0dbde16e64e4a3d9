"""Cost of each piece of the MIMO leaf package (nrsim.mimo) per slot, to size the engine
integration of issue 14 (target: 1,000 slots of 57 cells x 570 UEs in under 60 s in all).

Setting: 57 cells x 570 UEs (10 per cell), 32T BS ((N1, N2) = (4, 4) CSI-RS ports, panel
(M, N, P) = (8, 4, 2) = 64 elements for SSB beams), 4-antenna UEs, 100 MHz at 30 kHz
(273 PRBs), subband CSI on 18 subbands of 16 PRBs (TS 38.214 Table 5.2.1.4-2), 18 RBGs of 16
PRBs, up to 4 layers per UE and 16 co-scheduled layers per cell, 8 interferers per UE.
Channels are i.i.d. Rayleigh of the right shapes (the channel's own cost is in
benchmarks/channel.py); times are wall seconds on this machine.

Pieces and how often the engine would call them:
  csi      select_csi per UE report (all ranks, exhaustive Type I search), 1 sample per subband;
           reported every `--csi-period` slots (default 10), so 1/10 of the UEs per slot.
  pairing  pair_users for 57 cells x 18 RBGs (PF, 4 layers per UE, <= 16 layers), every slot.
  zf       layer_channels (SVD per UE and RBG) + zf_precoder per cell and RBG, every slot.
  sinr     interference covariance (8 interferers, 4 layers each) + MMSE-IRC SINR per UE and
           PRB, every slot (run here on --sinr-prb PRBs and scaled to 273).
  ssb      L1-RSRP of 8 beams x 9 cells per UE over 20 PRBs, every 40 slots (20 ms SSB period).
Usage: python benchmarks/mimo_leaf.py [--csi-ues N] [--csi-period K] [--sinr-prb P]
Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
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

N_CELL, N_UE, N_RX, N_TX = 57, 570, 4, 32
N_PRB, N_SB, N_RBG = 273, 18, 18


def _cn(rng, *shape):
    return ((rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)).astype(np.complex128)


def _timed(fn, repeat: int = 1) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--csi-ues", type=int, default=16, help="UEs timed for CSI (scaled to 570)")
    ap.add_argument("--csi-period", type=int, default=10, help="slots between CSI reports of a UE")
    ap.add_argument("--sinr-prb", type=int, default=39, help="PRBs timed for the SINR (scaled to 273)")
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(1)
    rows = []

    cfg = Type1Config.for_ports(4, 4)
    h_csi = 10.0 * _cn(rng, a.csi_ues, N_SB, 1, N_RX, N_TX)
    select_csi(h_csi[:1], cfg, noise_w=1.0)  # build the codebook caches
    t = _timed(lambda: select_csi(h_csi, cfg, noise_w=1.0), a.repeat) * N_UE / a.csi_ues
    rows.append(("csi (570 UE reports)", t, 1.0 / a.csi_period))

    g = _cn(rng, N_CELL, 10, N_RBG, 4, N_TX)
    sinr = 10 ** rng.uniform(0, 2.5, (N_CELL, 10, N_RBG, 4))
    nl = rng.integers(1, 5, (N_CELL, 10))
    avg = rng.uniform(0.5, 2.0, (N_CELL, 10))
    t = _timed(lambda: pair_users(g, sinr, nl, avg, max_layers=16, epsilon=0.6), a.repeat)
    rows.append(("pairing (57 cells x 18 RBGs)", t, 1.0))

    h_ue = _cn(rng, N_CELL, 10, N_RBG, N_RX, N_TX)

    def zf():
        lc, _ = layer_channels(h_ue, 2)  # [cell, ue, rbg, 2, tx]
        grp = np.moveaxis(lc[:, :8], 1, 2).reshape(N_CELL, N_RBG, 16, N_TX)  # 8 UEs x 2 layers
        zf_precoder(grp, regularisation=0.1)

    rows.append(("zf (SVD per UE/RBG + ZF 16 layers)", _timed(zf, a.repeat), 1.0))

    p = a.sinr_prb
    h_srv = _cn(rng, N_UE, p, N_RX, 4)  # effective serving channel, 4 layers
    h_int = _cn(rng, N_UE, p, 8, N_RX, N_TX)
    w_int = _cn(rng, 1, 1, 8, N_TX, 4) / np.sqrt(4 * N_TX)

    def sinr_fn():
        r = interference_covariance(h_int, w_int, 1.0, 0.1)
        mmse_irc_sinr(h_srv, r)

    rows.append(("sinr (IRC, 8 interferers, per PRB)", _timed(sinr_fn, a.repeat) * N_PRB / p, 1.0))

    panel = PanelArray(m_rows=8, n_cols=4, slant="x45", element="isotropic", port_map="element")
    w_ssb = ssb_beam_weights(panel, *ssb_beam_grid(8, (96.0,)))
    h_ssb = _cn(rng, N_UE, 9, 20, N_RX, panel.n_elements)
    rows.append(("ssb (8 beams x 9 cells, 20 PRBs)", _timed(lambda: l1_rsrp_w(h_ssb, w_ssb, 1.0), a.repeat), 1 / 40))

    print(f"{'piece':40s} {'per call [s]':>13s} {'calls/slot':>10s} {'per slot [s]':>13s} {'1000 slots [s]':>15s}")
    total = 0.0
    for name, t, per_slot in rows:
        total += t * per_slot
        print(f"{name:40s} {t:13.3f} {per_slot:10.3f} {t * per_slot:13.4f} {1000 * t * per_slot:15.1f}")
    print(f"{'total':40s} {'':13s} {'':10s} {total:13.4f} {1000 * total:15.1f}")


if __name__ == "__main__":
    main()
