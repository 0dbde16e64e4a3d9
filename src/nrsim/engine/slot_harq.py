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

from nrsim.link.bler import transport_block_bler
from nrsim.units import lin_to_db


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
        self.step_down_db = float(olla_step_db) * olla_target_bler / (1.0 - olla_target_bler)
        self.max_offset_db = float(olla_max_offset_db)
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
        return proc

    def transmit(
        self, ue: NDArray[np.int64], proc: NDArray[np.int64], eff_sinr_lin: NDArray[np.float64],
        slot: int, uniforms: NDArray[np.float64],
    ) -> HarqOutcome:
        """Decode one transmission of each (ue, proc) at the chase-combined SINR; update the
        processes and OLLA. ``uniforms`` [tx] in [0, 1) decide the outcomes (NACK if u < BLER)."""
        self.n_tx[ue, proc] += 1
        self.acc_sinr_lin[ue, proc] += eff_sinr_lin
        mcs = self.mcs[ue, proc]
        with np.errstate(divide="ignore"):
            snr_db = lin_to_db(self.acc_sinr_lin[ue, proc])
        bler = transport_block_bler(snr_db, mcs, self.tbs_bits[ue, proc], mcs_table_index=self.mcs_table_index)
        ack = uniforms >= bler
        n_tx = self.n_tx[ue, proc]
        first = n_tx == 1
        dropped = ~ack & (n_tx >= self.max_transmissions)
        payload = self.payload_bits[ue, proc].copy()
        done = ack | dropped
        self.active[ue[done], proc[done]] = False
        retry = ~done
        self.ready_slot[ue[retry], proc[retry]] = slot + self.rtt_slots
        if self.olla and np.any(first):
            f = first
            delta = np.where(ack[f], -self.step_down_db, self.step_up_db)
            off = self.olla_offset_db
            np.add.at(off, ue[f], delta)  # (a UE may in principle send two TBs in one call)
            np.clip(off, -self.max_offset_db, self.max_offset_db, out=off)
        return HarqOutcome(ack=ack, first=first, dropped=dropped, payload_bits=payload, bler=bler)
