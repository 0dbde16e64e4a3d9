"""Packet generation in flat arrays: the stable (UE, time) order and the vectorised voice
packets equal their slow reference forms bit for bit (same draws, same order)."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.traffic.conversational import (
    VOICE_CODEC_BPS,
    VOICE_FRAME_S,
    VOICE_HEADER_BITS,
    VOICE_MEAN_SILENCE_S,
    VOICE_MEAN_TALK_S,
    VOICE_SID_BITS,
    VOICE_SID_S,
    arange_rows,
    voice_packets,
)
from nrsim.traffic.models import grouped_time_order


def test_grouped_time_order_is_the_stable_lexsort() -> None:
    rng = np.random.default_rng(3)
    # three flows, each sorted by (group, time), concatenated; exact ties across and within
    # flows (and -0.0 against 0.0) must keep their input order, as lexsort does
    parts = []
    for _ in range(3):
        g = np.sort(rng.integers(0, 40, 3000))
        t = np.round(rng.random(3000) * 5.0, 2)
        t[rng.random(3000) < 0.05] = 0.0
        o = np.lexsort((t, g))
        parts.append((g[o], t[o]))
    g = np.concatenate([p[0] for p in parts])
    t = np.concatenate([p[1] for p in parts])
    t[np.flatnonzero(t == 0.0)[::2]] = -0.0
    np.testing.assert_array_equal(grouped_time_order(g, t), np.lexsort((t, g)))
    # unsorted input too
    g2, t2 = rng.integers(0, 7, 5000), np.round(rng.random(5000), 1)
    np.testing.assert_array_equal(grouped_time_order(g2, t2), np.lexsort((t2, g2)))
    assert grouped_time_order(np.zeros(0, dtype=np.int64), np.zeros(0)).size == 0


def test_arange_rows_matches_numpy_arange_bit_for_bit() -> None:
    rng = np.random.default_rng(8)
    start = np.concatenate([rng.random(4000) * 60.0, np.arange(200) * 0.02])
    stop = start + np.concatenate([rng.exponential(2.0, 4000), rng.integers(0, 9, 200) * 0.02])
    step = np.where(rng.random(start.size) < 0.5, 0.02, 0.16)
    row, t = arange_rows(start, stop, step)
    want = [np.arange(a, b, c) for a, b, c in zip(start, stop, step)]
    np.testing.assert_array_equal(row, np.repeat(np.arange(start.size), [w.size for w in want]))
    assert t.tobytes() == np.concatenate(want).tobytes()


def _voice_packets_loop(n_ue: int, duration_s: float, rng: np.random.Generator):
    """Reference: one np.arange per talk spurt or silence, then a lexsort (the slow form)."""
    speech_bits = VOICE_CODEC_BPS * VOICE_FRAME_S + VOICE_HEADER_BITS
    sid_bits = VOICE_SID_BITS + VOICE_HEADER_BITS
    ues, ts, sizes = [], [], []
    for u in range(n_ue):
        t = 0.0
        talking = rng.random() < 0.5
        while t < duration_s:
            dur = rng.exponential(VOICE_MEAN_TALK_S if talking else VOICE_MEAN_SILENCE_S)
            end = min(t + dur, duration_s)
            times = np.arange(t, end, VOICE_FRAME_S if talking else VOICE_SID_S)
            ues.append(np.full(times.size, u, dtype=np.int64))
            ts.append(times)
            sizes.append(np.full(times.size, speech_bits if talking else sid_bits))
            t = end
            talking = not talking
    ue, t, size = np.concatenate(ues), np.concatenate(ts), np.concatenate(sizes)
    o = np.lexsort((t, ue))
    return ue[o], t[o], size[o]


@pytest.mark.parametrize("n_ue, duration_s", [(60, 30.0), (5, 0.5)])
def test_voice_packets_equal_the_per_segment_loop(n_ue: int, duration_s: float) -> None:
    got = voice_packets(n_ue, duration_s, rng=np.random.default_rng(11))
    want = _voice_packets_loop(n_ue, duration_s, np.random.default_rng(11))
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.tobytes() == w.tobytes()
