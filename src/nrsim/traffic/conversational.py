"""Conversational traffic generators: video calls (frame-based) and voice (VoNR).

They return flat per-packet lists ``(ue, arrival_s, size_bits)`` sorted by UE then time,
ready for a per-UE FIFO buffer with a packet delay budget.

- **Video** follows the frame model of 3GPP TR 38.838 V17.0.0, 5.1 (XR/cloud-gaming
  traffic, the model 3GPP uses for real-time video): one frame per 1/fps, frame size a
  truncated Gaussian of mean R / fps with standard deviation ``size_cv`` x mean (TR 38.838
  Table 5.1-1: 10.5 %), truncated to [50 %, 150 %] of the mean, and arrival jitter a
  truncated Gaussian (standard deviation 2 ms, truncated to +-4 ms). Each UE's stream
  starts at a uniform random phase.
- **Voice** (VoNR) is a two-state talk-spurt / silence Markov source with exponential
  durations (mean 2 s each: voice activity factor 50 %, the VoIP model of the IMT-Advanced
  and IMT-2020 evaluations), sending one speech frame per 20 ms while talking (AMR-WB
  12.65 kbit/s -> 253 bits + 40 bits of compressed RTP/UDP/IP header) and one SID frame per
  160 ms in silence (40 + 40 bits).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nrsim.traffic.models import grouped_time_order

VIDEO_SIZE_TRUNCATION = (0.5, 1.5)
"""Frame size truncation, fractions of the mean (TR 38.838 Table 5.1-1)."""
VIDEO_JITTER_STD_MS = 2.0
VIDEO_JITTER_MAX_MS = 4.0
"""Arrival jitter: truncated Gaussian, std 2 ms, within +-4 ms (TR 38.838 Table 5.1-1)."""

VOICE_FRAME_S = 0.020
VOICE_SID_S = 0.160
VOICE_HEADER_BITS = 40
VOICE_CODEC_BPS = 12_650.0
VOICE_SID_BITS = 40
VOICE_MEAN_TALK_S = 2.0
VOICE_MEAN_SILENCE_S = 2.0


def _truncated_normal(mean: float, std: float, lo: float, hi: float, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Rejection sampling of N(mean, std) restricted to [lo, hi]."""
    out = rng.normal(mean, std, n)
    bad = (out < lo) | (out > hi)
    while bad.any():
        out[bad] = rng.normal(mean, std, int(bad.sum()))
        bad = (out < lo) | (out > hi)
    return out


def _sorted(ue: NDArray[np.int64], t: NDArray[np.float64], size: NDArray[np.float64]):
    """The packets in UE, then arrival order (stable; linear time on presorted flows)."""
    order = grouped_time_order(ue, t)
    return ue[order], t[order], size[order]


def arange_rows(start: NDArray[np.float64], stop: NDArray[np.float64], step: NDArray[np.float64]) -> tuple[
    NDArray[np.int64], NDArray[np.float64]
]:
    """``np.arange(start[i], stop[i], step[i])`` of every row i, concatenated, without a
    Python loop: (row [value], value [value]), bit for bit the values of ``np.arange`` (its
    length ceil((stop - start) / step), its first two values start and start + step, then
    start + k * ((start + step) - start))."""
    start = np.asarray(start, dtype=np.float64)
    step = np.asarray(step, dtype=np.float64)
    n = np.maximum(np.ceil((np.asarray(stop, dtype=np.float64) - start) / step), 0).astype(np.int64)  # [row]
    row = np.repeat(np.arange(n.size, dtype=np.int64), n)  # [value]
    k = np.arange(row.size, dtype=np.int64) - np.repeat(np.cumsum(n) - n, n)  # index within its row
    delta = (start + step) - start  # [row]
    t = start[row] + k * delta[row]
    second = k == 1
    t[second] = (start + step)[row[second]]
    return row, t


def video_frames(
    n_ue: int,
    duration_s: float,
    *,
    fps: float = 30.0,
    bitrate_bps: float = 2e6,
    size_cv: float = 0.105,
    jitter: bool = True,
    rng: np.random.Generator,
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Video frames of ``n_ue`` streams over [0, duration_s): (ue, arrival_s, size_bits)."""
    period = 1.0 / fps
    n_frames = int(np.floor(duration_s * fps))
    phase = rng.random(n_ue) * period
    t = phase[:, None] + period * np.arange(n_frames)[None, :]  # [ue, frame]
    if jitter:
        j = _truncated_normal(0.0, VIDEO_JITTER_STD_MS, -VIDEO_JITTER_MAX_MS, VIDEO_JITTER_MAX_MS, t.size, rng)
        t = t + j.reshape(t.shape) / 1e3
    mean = bitrate_bps / fps
    lo, hi = VIDEO_SIZE_TRUNCATION
    size = _truncated_normal(mean, size_cv * mean, lo * mean, hi * mean, t.size, rng).reshape(t.shape)
    ue = np.repeat(np.arange(n_ue, dtype=np.int64), n_frames)
    t = np.clip(t, 0.0, np.nextafter(duration_s, 0.0)).ravel()
    return _sorted(ue, t, np.round(size).ravel())


def voice_packets(
    n_ue: int, duration_s: float, *, rng: np.random.Generator
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """VoNR packets of ``n_ue`` calls over [0, duration_s): (ue, arrival_s, size_bits)."""
    speech_bits = VOICE_CODEC_BPS * VOICE_FRAME_S + VOICE_HEADER_BITS
    sid_bits = VOICE_SID_BITS + VOICE_HEADER_BITS
    seg_ue: list[int] = []
    seg_t: list[float] = []
    seg_end: list[float] = []
    seg_talk: list[bool] = []
    for u in range(n_ue):  # per call the state durations, drawn in order (a few per second of call)
        t = 0.0
        talking = rng.random() < 0.5
        while t < duration_s:
            dur = rng.exponential(VOICE_MEAN_TALK_S if talking else VOICE_MEAN_SILENCE_S)
            end = min(t + dur, duration_s)
            seg_ue.append(u)
            seg_t.append(t)
            seg_end.append(end)
            seg_talk.append(talking)
            t = end
            talking = not talking
    talk = np.asarray(seg_talk, dtype=bool)  # [segment]
    # the packets of each talk spurt (one per 20 ms) and silence (one SID per 160 ms)
    seg, t_pkt = arange_rows(np.asarray(seg_t, dtype=np.float64), np.asarray(seg_end, dtype=np.float64),
                             np.where(talk, VOICE_FRAME_S, VOICE_SID_S))
    ue = np.asarray(seg_ue, dtype=np.int64)[seg]
    size = np.where(talk, speech_bits, sid_bits)[seg]
    return _sorted(ue, t_pkt, size)
