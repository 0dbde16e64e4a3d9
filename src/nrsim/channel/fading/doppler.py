"""Time-correlated Rayleigh processes with the classical (Jakes) Doppler spectrum, by the
inverse-DFT method of D. J. Young and N. C. Beaulieu, "The generation of correlated
Rayleigh random variates by inverse discrete Fourier transform", IEEE Trans. Commun. 48(7),
2000: complex Gaussian weights on a frequency grid, shaped by the Doppler spectrum, then one
inverse FFT. The processes are periodic in the trace length, so a trace read cyclically
has no seam.

Each frequency bin carries the Jakes spectrum integrated over the bin,
S_k = (1/pi) [arcsin(f_hi / f_D) - arcsin(f_lo / f_D)] (clipped to |f| <= f_D), so the
powers sum to 1 exactly and the autocorrelation sum_k S_k cos(2 pi f_k tau) is a quadrature
of J0(2 pi f_D tau).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nrsim.errors import ConfigError
from nrsim.units import SPEED_OF_LIGHT_M_S


def max_doppler_hz(speed_kmh: float, fc_ghz: float) -> float:
    """f_D = |v| / lambda_0 = v fc / c (TR 38.901 7.7.2)."""
    return float(speed_kmh) / 3.6 * float(fc_ghz) * 1e9 / SPEED_OF_LIGHT_M_S


def jakes_bin_powers(n_samples: int, f_d_hz: float, dt_s: float) -> NDArray[np.float64]:
    """Power of each DFT bin (numpy FFT order) of a unit-power Jakes spectrum, shape [n]."""
    if f_d_hz < 0.0:
        raise ConfigError(f"Doppler frequency {f_d_hz} Hz < 0", field="slots.fading")
    n = int(n_samples)
    if f_d_hz == 0.0:
        out = np.zeros(n)
        out[0] = 1.0
        return out
    if f_d_hz >= 0.5 / dt_s:
        raise ConfigError(
            f"maximum Doppler {f_d_hz:.1f} Hz is not below half the slot rate {0.5 / dt_s:.1f} Hz "
            "(lower the UE speed or raise the subcarrier spacing)",
            field="slots.fading.ue_speed_kmh",
        )
    df = 1.0 / (n * dt_s)
    f = np.fft.fftfreq(n, d=dt_s)
    lo = np.clip((f - 0.5 * df) / f_d_hz, -1.0, 1.0)
    hi = np.clip((f + 0.5 * df) / f_d_hz, -1.0, 1.0)
    return (np.arcsin(hi) - np.arcsin(lo)) / np.pi


def rayleigh_processes(
    shape: tuple[int, ...], n_samples: int, f_d_hz: float, dt_s: float, *, rng: np.random.Generator
) -> NDArray[np.complex128]:
    """Independent unit-power complex Gaussian processes with the Jakes spectrum, sampled
    every ``dt_s``, periodic with period ``n_samples``. Returns complex [*shape, n_samples]."""
    s = np.sqrt(jakes_bin_powers(n_samples, f_d_hz, dt_s))
    nz = np.flatnonzero(s > 0.0)
    g = (rng.standard_normal((*shape, nz.size)) + 1j * rng.standard_normal((*shape, nz.size))) / np.sqrt(2.0)
    spec = np.zeros((*shape, n_samples), dtype=np.complex128)
    spec[..., nz] = g * s[nz]
    return np.fft.ifft(spec, axis=-1) * n_samples
