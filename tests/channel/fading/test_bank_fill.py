"""The fading bank filled in place equals the bank built by stacking per-chunk power gains
(the construction before the in-place fill; the same draws in the same order)."""

from __future__ import annotations

import numpy as np

from nrsim.channel.fading import bank as fb


def _stacked_bank(model, ds_s, freqs, speeds, fc_ghz, slot_s, rows_budget, rng):
    parts = []
    for v in speeds:
        f_d = fb.max_doppler_hz(float(v), fc_ghz)
        t_len = fb.trace_length_slots(f_d, slot_s)
        n_real = max(fb.MIN_REALISATIONS, rows_budget // t_len)
        per_chunk = max(1, fb._CHUNK_ROWS // t_len)
        cls = []
        for r0 in range(0, n_real, per_chunk):
            h = fb.tdl_prb_traces(model, ds_s, freqs, f_d, slot_s, min(per_chunk, n_real - r0), t_len, rng=rng)
            cls.append((h.real**2 + h.imag**2).reshape(-1, freqs.size).astype(np.float32))
        g = np.concatenate(cls, axis=0)
        g *= np.float32(1.0 / g.mean(dtype=np.float64))
        parts.append(g)
    return np.concatenate(parts, axis=0)


def test_in_place_bank_equals_stacked_chunks(monkeypatch) -> None:
    monkeypatch.setattr(fb, "_CHUNK_ROWS", 256)  # several chunks per class
    freqs = 3.5e9 + 360e3 * np.arange(24)
    speeds = np.array([3.0, 60.0])
    args = ("TDL-C", 300e-9, freqs, speeds, 3.5, 0.5e-3)
    bank = fb.build_fading_bank(*args, rows_budget=2048, rng=np.random.default_rng(9))
    want = _stacked_bank(*args, 2048, np.random.default_rng(9))
    assert bank.gain_lin.dtype == np.float32 and bank.gain_lin.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(bank.gain_lin, want)
    assert list(bank.class_first_row) == [0, int(bank.class_realisations[0] * bank.class_trace_slots[0])]


def test_power_into_equals_numpy_squares() -> None:
    rng = np.random.default_rng(2)
    h = (rng.standard_normal((37, 24)) + 1j * rng.standard_normal((37, 24))).astype(np.complex64) * np.float32(3.0)
    out = np.full((37, 24), np.nan, dtype=np.float32)
    fb.power_into(h, out)
    want = h.real * h.real + h.imag * h.imag  # float32 squares, then their float32 sum
    assert out.tobytes() == want.tobytes()
