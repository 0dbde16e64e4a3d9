"""NR frame structure for slot-level simulation: numerology (TS 38.211 4.2-4.3), resource
block groups (TS 38.214 5.1.2.2.1) and TDD slot patterns (TS 38.213 11.1)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nrsim.errors import ConfigError
from nrsim.link.tables import read_csv_table

SYMBOLS_PER_SLOT = 14
"""OFDM symbols per slot with normal cyclic prefix (TS 38.211 Table 4.3.2-1)."""
SUBCARRIERS_PER_RB = 12


def numerology_mu(scs_khz: int) -> int:
    """mu with SCS = 15 * 2^mu kHz (TS 38.211 Table 4.2-1); ConfigError for other SCS."""
    mu = {15: 0, 30: 1, 60: 2, 120: 3}.get(int(scs_khz))
    if mu is None:
        raise ConfigError(f"radio.scs_khz = {scs_khz} (allowed: 15, 30, 60, 120)", field="radio.scs_khz")
    return mu


def slot_duration_s(scs_khz: int) -> float:
    """Slot duration [s]: 1 ms / 2^mu (TS 38.211 4.3.2, 14 symbols, normal CP)."""
    return 1e-3 / 2 ** numerology_mu(scs_khz)


def prb_bandwidth_hz(scs_khz: int) -> float:
    """Bandwidth of one PRB [Hz]: 12 subcarriers x SCS."""
    return SUBCARRIERS_PER_RB * scs_khz * 1e3


def prb_centre_frequencies_hz(n_prb: int, scs_khz: int) -> NDArray[np.float64]:
    """Centre frequency of each PRB relative to the lower edge of PRB 0 [Hz], shape [prb]."""
    return (np.arange(n_prb) + 0.5) * prb_bandwidth_hz(scs_khz)


@functools.lru_cache(maxsize=None)
def _rbg_rows() -> tuple[tuple[int, int, int, int], ...]:
    return tuple(
        (int(r["bwp_size_min_prb"]), int(r["bwp_size_max_prb"]), int(r["config1_p"]), int(r["config2_p"]))
        for r in read_csv_table("rbg_size_ts38214.csv")
    )


def nominal_rbg_size(n_prb_bwp: int, config: int = 1) -> int:
    """Nominal RBG size P of TS 38.214 Table 5.1.2.2.1-1 for a BWP of ``n_prb_bwp`` PRBs."""
    if config not in (1, 2):
        raise ConfigError(f"rbg config = {config!r} (allowed: 1, 2)", field="slots.rbg_config")
    for lo, hi, p1, p2 in _rbg_rows():
        if lo <= n_prb_bwp <= hi:
            return p1 if config == 1 else p2
    raise ConfigError(f"BWP of {n_prb_bwp} PRBs is outside 1..275 (TS 38.214 Table 5.1.2.2.1-1)")


def rbg_of_prb(n_prb_bwp: int, config: int = 1, bwp_start: int = 0) -> NDArray[np.int64]:
    """RBG index of every PRB of the BWP [prb] (TS 38.214 5.1.2.2.1): the first RBG has
    P - (start mod P) PRBs, the last (start + size) mod P (or P), the others P."""
    p = nominal_rbg_size(n_prb_bwp, config)
    return ((np.arange(n_prb_bwp) + bwp_start % p) // p).astype(np.int64)


def n_rbg(n_prb_bwp: int, config: int = 1, bwp_start: int = 0) -> int:
    """N_RBG = ceil((N_BWP^size + (N_BWP^start mod P)) / P)."""
    p = nominal_rbg_size(n_prb_bwp, config)
    return -(-(n_prb_bwp + bwp_start % p) // p)


@dataclass(frozen=True)
class SlotPattern:
    """Periodic slot pattern.

    kinds : str
        One letter per slot of the period: ``D`` downlink, ``U`` uplink, ``S`` special
        (DL symbols, guard, UL symbols), ``F`` FDD (DL and UL on paired carriers).
    dl_symbols : int64 [slot]
        OFDM symbols available to the downlink in each slot of the period (14 for D and F,
        the special slot's DL symbols for S, 0 for U).
    ul : bool [slot]
        Slots with an uplink (PUSCH) opportunity (U and F).
    """

    kinds: str
    dl_symbols: NDArray[np.int64]
    ul: NDArray[np.bool_]

    @property
    def period(self) -> int:
        return len(self.kinds)

    @property
    def dl_time_share(self) -> float:
        """Share of the period's symbols that are DL symbols."""
        return float(self.dl_symbols.sum() / (SYMBOLS_PER_SLOT * self.period))

    @property
    def ul_time_share(self) -> float:
        """Share of the period's slots that carry a PUSCH opportunity (UL symbols of S
        slots are not used)."""
        return float(self.ul.mean())


def slot_pattern(duplex: str, pattern: str = "DDDSU", special_dl_symbols: int = 10) -> SlotPattern:
    """Slot pattern for ``duplex`` = ``"tdd"`` (the TDD-UL-DL pattern string, TS 38.213
    11.1, e.g. ``DDDSU``) or ``"fdd"`` (every slot carries DL and UL)."""
    if duplex == "fdd":
        return SlotPattern("F", np.array([SYMBOLS_PER_SLOT], dtype=np.int64), np.array([True]))
    if duplex != "tdd":
        raise ConfigError(f"slots.duplex = {duplex!r} (allowed: tdd, fdd)", field="slots.duplex")
    if not pattern or set(pattern) - set("DSU"):
        raise ConfigError(
            f"slots.tdd_pattern = {pattern!r} must be a non-empty string of D, S and U",
            field="slots.tdd_pattern",
        )
    if not 1 <= special_dl_symbols <= SYMBOLS_PER_SLOT - 1:
        raise ConfigError(
            f"slots.special_dl_symbols = {special_dl_symbols} (allowed: 1..13)",
            field="slots.special_dl_symbols",
        )
    dl = np.array(
        [{"D": SYMBOLS_PER_SLOT, "S": special_dl_symbols, "U": 0}[k] for k in pattern], dtype=np.int64
    )
    return SlotPattern(pattern, dl, np.array([k == "U" for k in pattern]))
