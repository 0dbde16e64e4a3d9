"""Precomputed fading traces ("banks") read per link with a random realisation and a random
time offset, as the trace-based fading of ns-3 LTE does, but frequency-selective per PRB.

A bank holds ``n_realisations`` independent TDL channels (TR 38.901 7.7.2), each a periodic
trace of ``trace_slots`` slots of the per-PRB power gain |H(t, f_prb)|^2 (unit mean). Every
link gets one realisation and a start offset; at slot t it reads row
``first_row + realisation * trace_slots + (offset + t) mod trace_slots``. The trace is
periodic (inverse-DFT Doppler processes), so the cyclic read has no seam.

Sizing: the trace must resolve the Doppler spectrum, so ``trace_slots`` is the smallest power
of two with at least ``DOPPLER_BINS_PER_FD`` DFT bins inside f_D (capped at
``MAX_TRACE_SLOTS``; 1 slot for a static channel); the number of realisations fills a budget
of rows (``rows_budget``), so memory is rows_budget x N_RB x 4 bytes per UE-speed class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nrsim.channel.fading.doppler import max_doppler_hz, rayleigh_processes
from nrsim.channel.fading.tdl import steering_matrix, tdl_profile
from nrsim.compiled import jit
from nrsim.rng import link_uniforms

DOPPLER_BINS_PER_FD = 8
"""Minimum DFT bins between 0 and f_D in a trace (J0 quadrature error < 0.03 up to 1/f_D)."""
MAX_TRACE_SLOTS = 8192
MIN_REALISATIONS = 4
_CHUNK_ROWS = 8192


def trace_length_slots(f_d_hz: float, slot_s: float) -> int:
    """Trace length: smallest power of two >= DOPPLER_BINS_PER_FD / (f_D dt), at most
    MAX_TRACE_SLOTS; 1 for f_D = 0."""
    if f_d_hz <= 0.0:
        return 1
    need = DOPPLER_BINS_PER_FD / (f_d_hz * slot_s)
    return int(min(MAX_TRACE_SLOTS, 2 ** int(np.ceil(np.log2(max(need, 2.0))))))


def tdl_prb_traces(
    model: str,
    delay_spread_s: float,
    freqs_hz: NDArray[np.float64],
    f_d_hz: float,
    slot_s: float,
    n_realisations: int,
    trace_slots: int,
    *,
    rng: np.random.Generator,
) -> NDArray[np.complex64]:
    """Complex per-PRB channel H [realisation, slot, prb] of independent TDL channels:
    H(t, f) = sum_n sqrt(P_n) a_n(t) exp(-j 2 pi f tau_n) with unit-power Jakes processes
    a_n (TR 38.901 7.7.2, delays scaled per 7.7.3). E|H|^2 = 1."""
    prof = tdl_profile(model)
    steer = (np.sqrt(prof.power_lin)[:, None] * steering_matrix(prof.delays_s(delay_spread_s), freqs_hz)).astype(
        np.complex64
    )
    # [realisation, tap, slot]
    taps = rayleigh_processes((n_realisations, prof.n_taps), trace_slots, f_d_hz, slot_s, rng=rng)
    # [realisation, slot, prb]
    return np.einsum("rts,tp->rsp", taps.astype(np.complex64), steer, optimize=True)


@dataclass(frozen=True)
class FadingBank:
    """Power-gain traces of one or more UE-speed classes, stacked along rows.

    gain_lin : float32 [row, prb]
        |H|^2 per slot-row and PRB (unit mean).
    class_first_row, class_trace_slots, class_realisations : int64 [class]
    class_doppler_hz : float64 [class]
    """

    gain_lin: NDArray[np.float32]
    class_first_row: NDArray[np.int64]
    class_trace_slots: NDArray[np.int64]
    class_realisations: NDArray[np.int64]
    class_doppler_hz: NDArray[np.float64]

    @property
    def nbytes(self) -> int:
        return int(self.gain_lin.nbytes)


@jit
def power_into(h: NDArray[np.complex64], out: NDArray[np.float32]) -> None:
    """|h|^2 = re^2 + im^2 of each element of ``h`` [row, prb] into ``out`` [row, prb], in
    float32 (each square rounded, then the sum: the values of ``h.real**2 + h.imag**2``),
    in one pass without temporaries."""
    for i in range(h.shape[0]):
        for j in range(h.shape[1]):
            re = h[i, j].real
            im = h[i, j].imag
            out[i, j] = re * re + im * im


def build_fading_bank(
    model: str,
    delay_spread_s: float,
    freqs_hz: NDArray[np.float64],
    speeds_kmh: NDArray[np.float64],
    fc_ghz: float,
    slot_s: float,
    *,
    rows_budget: int,
    rng: np.random.Generator,
) -> FadingBank:
    """One trace set per UE-speed class ``speeds_kmh`` [class] (all TDL ``model``). Each
    class's traces are scaled by one scalar to mean power exactly 1."""
    first, lengths, reals, fds = [], [], [], []
    row = 0
    for v in np.asarray(speeds_kmh, dtype=np.float64):
        f_d = max_doppler_hz(float(v), fc_ghz)
        t_len = trace_length_slots(f_d, slot_s)
        n_real = max(MIN_REALISATIONS, int(rows_budget) // t_len)
        first.append(row)
        lengths.append(t_len)
        reals.append(n_real)
        fds.append(f_d)
        row += n_real * t_len
    # [row, prb], filled in place class by class and chunk by chunk (no concatenated copies)
    gain = np.empty((row, freqs_hz.size), dtype=np.float32)
    for r_first, t_len, n_real, f_d in zip(first, lengths, reals, fds):
        per_chunk = max(1, _CHUNK_ROWS // t_len)
        for r0 in range(0, n_real, per_chunk):
            h = tdl_prb_traces(
                model, delay_spread_s, freqs_hz, f_d, slot_s, min(per_chunk, n_real - r0), t_len, rng=rng
            )
            lo = r_first + r0 * t_len
            power_into(h.reshape(-1, h.shape[-1]), gain[lo:lo + h.shape[0] * t_len])
        cls_gain = gain[r_first:r_first + n_real * t_len]
        # one scalar per class removes the finite-sample bias of the bank's mean power (the
        # bank is shared by all links for the whole run); the shape of the statistics is kept
        cls_gain *= np.float32(1.0 / cls_gain.mean(dtype=np.float64))
    return FadingBank(
        gain_lin=np.ascontiguousarray(gain),
        class_first_row=np.asarray(first, dtype=np.int64),
        class_trace_slots=np.asarray(lengths, dtype=np.int64),
        class_realisations=np.asarray(reals, dtype=np.int64),
        class_doppler_hz=np.asarray(fds, dtype=np.float64),
    )


@dataclass(frozen=True)
class LinkTraces:
    """Where each link reads the bank: row(t) = base + (offset + t) mod period.

    base_row, offset, period : int64 [...] (any link shape, e.g. [ue, link])
    """

    base_row: NDArray[np.int64]
    offset: NDArray[np.int64]
    period: NDArray[np.int64]

    def rows(self, slot: int) -> NDArray[np.int64]:
        return self.base_row + (self.offset + slot) % self.period


def assign_link_traces(
    bank: FadingBank, speed_class: NDArray[np.int64], *, rng: np.random.Generator
) -> LinkTraces:
    """Draw a realisation and a start offset for each link of class ``speed_class`` [...]."""
    cls = np.asarray(speed_class, dtype=np.int64)
    n_real = bank.class_realisations[cls]
    t_len = bank.class_trace_slots[cls]
    real = (rng.random(cls.shape) * n_real).astype(np.int64)
    off = (rng.random(cls.shape) * t_len).astype(np.int64)
    return LinkTraces(
        base_row=bank.class_first_row[cls] + real * t_len,
        offset=off,
        period=t_len.astype(np.int64),
    )


TRACE_VARIATE_REALISATION, TRACE_VARIATE_OFFSET = 0, 1
"""Counters of a link's two trace draws (:func:`keyed_link_traces`)."""


def keyed_link_traces(
    bank: FadingBank, speed_class: NDArray[np.int64], *, key: int, ue: NDArray[np.int64], cell: NDArray[np.int64]
) -> LinkTraces:
    """:func:`assign_link_traces` with counter-based draws: the realisation and start offset of
    the link (``ue``, ``cell``) (int64 arrays of one shape, with ``speed_class``) are
    uniforms of (``key``, ue, cell, variate) (:func:`nrsim.rng.link_uniforms`), so a link reads
    the same trace whichever other links are drawn with it, in whatever order, and whenever
    it is (re)computed (a UE's strongest cells change with the large-scale channel)."""
    cls = np.asarray(speed_class, dtype=np.int64)
    n_real = bank.class_realisations[cls]
    t_len = bank.class_trace_slots[cls]
    real = (link_uniforms(key, ue, cell, TRACE_VARIATE_REALISATION) * n_real).astype(np.int64)
    off = (link_uniforms(key, ue, cell, TRACE_VARIATE_OFFSET) * t_len).astype(np.int64)
    return LinkTraces(base_row=bank.class_first_row[cls] + real * t_len, offset=off, period=t_len.astype(np.int64))
