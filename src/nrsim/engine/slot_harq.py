"""HARQ with chase combining and outer-loop link adaptation, for all UEs of one link
direction at once (arrays [ue, process]).

- Chase combining (D. Chase, IEEE Trans. Commun. 33(5), 1985): every retransmission repeats
  the same coded bits, so the receiver's post-combining SINR is the sum of the (effective)
  SINRs of the transmissions; the TB is decoded at that SINR with the AWGN BLER of its MCS.
  A retransmission keeps the TB's MCS, TBS and RBGs; it may start ``rtt_slots`` after the
  previous transmission. After ``max_transmissions`` failures the TB is dropped (its bits go
  back to the UE's buffer: RLC retransmission).
- OLLA: the MCS is chosen for the reported SINR minus an offset per UE that rises by
  ``step_db`` on each first-transmission NACK and falls by step * T / (1 - T) on each ACK, so
  that the first-transmission BLER settles at the target T (the classic jump algorithm, e.g.
  Pedersen et al., "Frequency domain scheduling for OFDMA with limited and noisy channel
  feedback", VTC 2007-Fall).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nrsim.compiled import jit
from nrsim.link.adaptation import HARQ_ACK, HARQ_DROP, HARQ_RETRY, HarqOlla, harq_step, olla_after, olla_step_down_db
from nrsim.link.bler import bler_curves
from nrsim.link.mcs import mcs_table
from nrsim.link.tbs import code_block_segmentation


@jit
def _transmit(ue, proc, eff_sinr_lin, uniforms, slot, p, st_n_tx, st_acc, st_ready, st_bler, olla_db,
              out_outcome, out_bler):
    """One transmission of each (ue[i], proc[i]) through the shared cores
    (:func:`nrsim.link.adaptation.harq_step`, :func:`~nrsim.link.adaptation.olla_after`).
    ``st_bler`` float64 [ue, proc, 3]: snr10_db, scale_db and code blocks of each TB."""
    for i in range(ue.shape[0]):
        u = ue[i]
        q = proc[i]
        n, acc, bler, outcome = harq_step(st_n_tx[u, q], st_acc[u, q], eff_sinr_lin[i], st_bler[u, q, 0],
                                          st_bler[u, q, 1], int(st_bler[u, q, 2]), uniforms[i], p.max_tx)
        st_n_tx[u, q] = n
        st_acc[u, q] = acc
        if outcome == HARQ_RETRY:
            st_ready[u, q] = slot + p.rtt_slots
        olla_db[u] = olla_after(olla_db[u], n == 1, outcome == HARQ_ACK, p)
        out_outcome[i] = outcome
        out_bler[i] = bler


@dataclass(frozen=True)
class HarqOutcome:
    """Result of the transmissions of one slot (arrays [tx])."""

    ack: NDArray[np.bool_]
    first: NDArray[np.bool_]
    dropped: NDArray[np.bool_]
    payload_bits: NDArray[np.float64]
    bler: NDArray[np.float64]


class HarqEntity:
    """HARQ processes and OLLA offsets of one link direction."""

    def __init__(
        self,
        n_ue: int,
        n_proc: int,
        n_rbg: int,
        *,
        max_transmissions: int,
        rtt_slots: int,
        mcs_table_index: int,
        olla: bool,
        olla_target_bler: float,
        olla_step_db: float,
        olla_max_offset_db: float,
    ) -> None:
        self.max_transmissions = int(max_transmissions)
        self.rtt_slots = int(rtt_slots)
        self.mcs_table_index = int(mcs_table_index)
        self.olla = bool(olla)
        self.step_up_db = float(olla_step_db)
        self.step_down_db = float(olla_step_down_db(float(olla_step_db), float(olla_target_bler)))
        self.max_offset_db = float(olla_max_offset_db)
        self.params = HarqOlla(self.max_transmissions, self.rtt_slots, self.olla, self.step_up_db,
                               self.step_down_db, self.max_offset_db)
        self._curves = bler_curves(self.mcs_table_index)
        self._code_rate = mcs_table(self.mcs_table_index).code_rate
        shape = (n_ue, n_proc)
        self.active = np.zeros(shape, dtype=bool)
        self.ready_slot = np.zeros(shape, dtype=np.int64)
        self.n_tx = np.zeros(shape, dtype=np.int64)
        self.mcs = np.zeros(shape, dtype=np.int64)
        self.tbs_bits = np.zeros(shape, dtype=np.int64)
        self.payload_bits = np.zeros(shape)
        self.n_symb = np.zeros(shape, dtype=np.int64)
        self.rbg = np.zeros((*shape, n_rbg), dtype=bool)
        self.acc_sinr_lin = np.zeros(shape)
        self.bler_params = np.zeros((*shape, 3))
        """snr10_db, scale_db and code blocks C of each process's TB (nrsim.link.bler)."""
        self.olla_offset_db = np.zeros(n_ue)

    def retx_candidates(self, slot: int, n_symb: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """One pending retransmission per UE (the earliest ready), ordered by ready slot then
        UE: (ue [cand], process [cand]). Only TBs whose symbols fit ``n_symb`` qualify."""
        pend = self.active & (self.ready_slot <= slot) & (self.n_symb <= n_symb)
        has = pend.any(axis=1)
        if not has.any():
            z = np.zeros(0, dtype=np.int64)
            return z, z
        key = np.where(pend, self.ready_slot, np.iinfo(np.int64).max)
        ue = np.flatnonzero(has)
        proc = np.argmin(key[ue], axis=1)
        order = np.lexsort((ue, key[ue, proc]))
        return ue[order].astype(np.int64), proc[order].astype(np.int64)

    def has_free_process(self) -> NDArray[np.bool_]:
        return ~self.active.all(axis=1)

    def start(
        self,
        ue: NDArray[np.int64],
        mcs: NDArray[np.int64],
        tbs_bits: NDArray[np.int64],
        payload_bits: NDArray[np.float64],
        n_symb: int,
        rbg: NDArray[np.bool_],
    ) -> NDArray[np.int64]:
        """Open a process (the first free one) for each UE's new TB; returns the processes."""
        proc = np.argmin(self.active[ue], axis=1)
        self.active[ue, proc] = True
        self.ready_slot[ue, proc] = 0
        self.n_tx[ue, proc] = 0
        self.mcs[ue, proc] = mcs
        self.tbs_bits[ue, proc] = tbs_bits
        self.payload_bits[ue, proc] = payload_bits
        self.n_symb[ue, proc] = n_symb
        self.rbg[ue, proc] = rbg
        self.acc_sinr_lin[ue, proc] = 0.0
        mcs = np.asarray(mcs, dtype=np.int64)
        c, k = code_block_segmentation(tbs_bits, self._code_rate[mcs])
        s10, sc = self._curves.parameters(mcs, np.maximum(k, 1))
        self.bler_params[ue, proc] = np.stack([np.broadcast_to(s10, c.shape), np.broadcast_to(sc, c.shape),
                                               np.asarray(c, dtype=np.float64)], axis=-1)
        return proc

    def transmit(
        self, ue: NDArray[np.int64], proc: NDArray[np.int64], eff_sinr_lin: NDArray[np.float64],
        slot: int, uniforms: NDArray[np.float64],
    ) -> HarqOutcome:
        """Decode one transmission of each (ue, proc) at the chase-combined SINR; update the
        processes and OLLA. ``uniforms`` [tx] in [0, 1) decide the outcomes (NACK if u < BLER)."""
        ue = np.ascontiguousarray(ue, dtype=np.int64)
        proc = np.ascontiguousarray(proc, dtype=np.int64)
        outcome = np.empty(ue.size, dtype=np.int64)
        bler = np.empty(ue.size)
        payload = self.payload_bits[ue, proc].copy()
        _transmit(ue, proc, np.ascontiguousarray(eff_sinr_lin, dtype=np.float64),
                  np.ascontiguousarray(uniforms, dtype=np.float64), int(slot), self.params, self.n_tx,
                  self.acc_sinr_lin, self.ready_slot, self.bler_params, self.olla_offset_db, outcome, bler)
        ack = outcome == HARQ_ACK
        dropped = outcome == HARQ_DROP
        first = self.n_tx[ue, proc] == 1
        done = ack | dropped
        self.active[ue[done], proc[done]] = False
        return HarqOutcome(ack=ack, first=first, dropped=dropped, payload_bits=payload, bler=bler)
