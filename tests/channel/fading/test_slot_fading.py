"""TR 38.901 7.7.2 TDL fading per PRB and slot: profiles, unit mean power, Rayleigh
envelope, frequency correlation against the power-delay profile's Fourier transform, time
autocorrelation against J0(2 pi f_D tau), and the trace bank."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from nrsim.channel.fading import (
    assign_link_traces,
    build_fading_bank,
    frequency_correlation,
    jakes_bin_powers,
    max_doppler_hz,
    tdl_prb_traces,
    tdl_profile,
    trace_length_slots,
)
from nrsim.link.frame import prb_centre_frequencies_hz

RMS_DS_TOL = 2e-3
"""The spec tables are printed to 4 decimals; their RMS delay spread is 1 to that precision."""
MEAN_POWER_TOL = 0.02
"""|mean |H|^2 - 1| over 300 realisations x 256 slots x 106 PRBs (observed errors 0.003-0.006 over three seeds)."""
FREQ_CORR_TOL = 0.03
TIME_CORR_TOL = 0.04
"""Correlation estimates from 300 independent realisations (observed max errors: frequency 0.006, time 0.017 over three seeds), plus the quadrature
error of the discretised Jakes spectrum (< 0.03 up to tau = 1/f_D with 8 bins per f_D)."""
KS_P_MIN = 1e-3

SLOT_S = 0.5e-3
F_D_HZ = 100.0


@pytest.fixture(scope="module")
def traces():
    freqs = prb_centre_frequencies_hz(106, 30)  # 40 MHz at 30 kHz
    t_len = trace_length_slots(F_D_HZ, SLOT_S)
    h = tdl_prb_traces("C", 300e-9, freqs, F_D_HZ, SLOT_S, 300, t_len, rng=np.random.default_rng(11))
    return freqs, h.astype(np.complex128)


@pytest.mark.parametrize("model, n_taps", [("A", 23), ("B", 23), ("C", 24)])
def test_profiles_have_unit_rms_delay_spread(model, n_taps) -> None:
    p = tdl_profile(model)
    assert p.n_taps == n_taps
    assert np.isclose(p.power_lin.sum(), 1.0)
    assert abs(p.rms_delay_spread() - 1.0) < RMS_DS_TOL
    assert np.allclose(p.delays_s(100e-9), p.normalized_delay * 100e-9)


def test_unit_mean_power_and_rayleigh_envelope(traces) -> None:
    _, h = traces
    g = np.abs(h) ** 2
    assert abs(g.mean() - 1.0) < MEAN_POWER_TOL
    # one sample per independent realisation: exponential power (Rayleigh envelope)
    assert stats.kstest(g[:, 0, 0], "expon").pvalue > KS_P_MIN
    assert stats.kstest(g[:, 7, 50], "expon").pvalue > KS_P_MIN


def test_frequency_correlation_matches_pdp_transform(traces) -> None:
    freqs, h = traces
    prof = tdl_profile("C")
    df_prb = freqs[1] - freqs[0]
    for lag in (1, 2, 4, 8, 16):
        emp = np.mean(h[:, :, lag:] * np.conj(h[:, :, :-lag]))  # E[H(f + df) H*(f)]
        theory = np.conj(frequency_correlation(prof, 300e-9, lag * df_prb))
        assert abs(emp - theory) < FREQ_CORR_TOL, (lag, emp, theory)


def test_time_autocorrelation_is_j0(traces) -> None:
    _, h = traces
    t_len = h.shape[1]
    lags = np.arange(0, int(1.0 / (F_D_HZ * SLOT_S)) + 1)
    # circular autocorrelation along time (the traces are periodic), averaged over
    # realisations and PRBs: E[H(t + lag) H*(t)]
    spec = np.fft.fft(h, axis=1)
    acf = (np.fft.ifft(np.abs(spec) ** 2, axis=1) / t_len).mean(axis=(0, 2)).real
    for lag in lags:
        emp = acf[lag]
        theory = special.j0(2 * np.pi * F_D_HZ * lag * SLOT_S)
        assert abs(emp - theory) < TIME_CORR_TOL, (lag, emp, theory)
    assert t_len >= 8 / (F_D_HZ * SLOT_S)


def test_jakes_bins() -> None:
    s = jakes_bin_powers(256, 100.0, SLOT_S)
    assert np.isclose(s.sum(), 1.0) and np.allclose(s[1:], s[1:][::-1])
    assert np.flatnonzero(s).size == 2 * int(np.floor(100.0 * 256 * SLOT_S + 0.5)) + 1
    st = jakes_bin_powers(8, 0.0, SLOT_S)
    assert st[0] == 1.0 and st[1:].sum() == 0.0
    assert np.isclose(max_doppler_hz(3.0, 4.0), 3 / 3.6 * 4e9 / 299_792_458.0)


def test_static_channel_is_constant_in_time() -> None:
    freqs = prb_centre_frequencies_hz(24, 30)
    assert trace_length_slots(0.0, SLOT_S) == 1
    bank = build_fading_bank("A", 100e-9, freqs, np.array([0.0]), 3.5, SLOT_S, rows_budget=512,
                             rng=np.random.default_rng(1))
    assert bank.class_trace_slots.tolist() == [1] and bank.class_realisations.tolist() == [512]
    tr = assign_link_traces(bank, np.zeros(10, dtype=np.int64), rng=np.random.default_rng(2))
    assert np.array_equal(tr.rows(0), tr.rows(123))


def test_bank_layout_and_normalisation() -> None:
    freqs = prb_centre_frequencies_hz(51, 30)
    speeds = np.array([3.0, 30.0])
    bank = build_fading_bank("C", 300e-9, freqs, speeds, 4.0, SLOT_S, rows_budget=4096,
                             rng=np.random.default_rng(3))
    n0 = bank.class_realisations[0] * bank.class_trace_slots[0]
    for c in range(2):
        a = bank.class_first_row[c]
        b = a + bank.class_realisations[c] * bank.class_trace_slots[c]
        assert np.isclose(bank.gain_lin[a:b].mean(dtype=np.float64), 1.0, atol=1e-5)
    assert bank.class_first_row.tolist() == [0, n0]
    assert bank.gain_lin.shape[0] == n0 + bank.class_realisations[1] * bank.class_trace_slots[1]
    cls = np.array([[0, 1], [1, 1], [0, 0]])
    tr = assign_link_traces(bank, cls, rng=np.random.default_rng(4))
    for t in (0, 5, 10_000):
        r = tr.rows(t)
        lo = bank.class_first_row[cls]
        hi = lo + bank.class_realisations[cls] * bank.class_trace_slots[cls]
        assert np.all((r >= lo) & (r < hi))
    # reading wraps with the trace period
    assert np.array_equal(tr.rows(3), tr.rows(3 + int(np.lcm.reduce(bank.class_trace_slots))))
