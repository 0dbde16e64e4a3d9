"""Video and voice generators: rates and frame sizes match their configuration."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.traffic.conversational import (
    VOICE_CODEC_BPS,
    VOICE_FRAME_S,
    VOICE_HEADER_BITS,
    video_frames,
    voice_packets,
)


@pytest.mark.parametrize("fps, bitrate", [(30.0, 2e6), (60.0, 8e6)])
def test_video_rate_and_frame_sizes(fps: float, bitrate: float) -> None:
    rng = np.random.default_rng(4)
    dur = 20.0
    ue, t, size = video_frames(50, dur, fps=fps, bitrate_bps=bitrate, rng=rng)
    assert np.all(np.diff(ue) >= 0)
    assert t.min() >= 0 and t.max() < dur
    per_ue = np.bincount(ue, minlength=50)
    assert np.all(per_ue == int(dur * fps))
    rate = size.sum() / (50 * dur)
    # the truncation is symmetric, so the mean frame size stays R / fps: 1 % tolerance
    assert rate == pytest.approx(bitrate, rel=0.01)
    mean = bitrate / fps
    assert size.min() >= 0.5 * mean - 1 and size.max() <= 1.5 * mean + 1
    # standard deviation 10.5 % of the mean (TR 38.838), barely changed by the truncation
    assert np.std(size) / mean == pytest.approx(0.105, rel=0.05)
    # inter-frame gaps average 1 / fps
    gaps = np.diff(t.reshape(50, -1), axis=1)
    assert np.mean(gaps) == pytest.approx(1.0 / fps, rel=1e-3)
    assert np.all(np.abs(gaps - 1.0 / fps) <= 0.008 + 1e-9)


def test_voice_activity_and_rate() -> None:
    rng = np.random.default_rng(5)
    dur = 600.0
    ue, t, size = voice_packets(40, dur, rng=rng)
    speech = size == VOICE_CODEC_BPS * VOICE_FRAME_S + VOICE_HEADER_BITS
    # voice activity factor 50 %: speech frames cover about half of the time
    activity = speech.sum() * VOICE_FRAME_S / (40 * dur)
    assert activity == pytest.approx(0.5, abs=0.05)
    assert t.max() < dur and np.all(np.diff(ue) >= 0)
