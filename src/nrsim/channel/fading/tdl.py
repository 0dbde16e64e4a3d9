"""TR 38.901 V17.0.0 7.7.2 tapped-delay-line (TDL) power-delay profiles, delay scaling
(7.7.3) and the per-PRB frequency response of a TDL channel.

The profiles ship in ``nrsim/channel/tr38901/tables/tdl_profiles.csv`` (Tables 7.7.2-1..3).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.channel.tr38901._common import read_table
from nrsim.errors import ConfigError

TDL_MODELS: tuple[str, ...] = ("A", "B", "C")
"""NLOS TDL models of Tables 7.7.2-1 (TDL-A), 7.7.2-2 (TDL-B) and 7.7.2-3 (TDL-C)."""


@dataclass(frozen=True)
class TdlProfile:
    """Power-delay profile of one TDL model.

    normalized_delay : float64 [tap]
        tau_model,n (unit: RMS delay spread).
    power_lin : float64 [tap]
        Tap powers, normalised to sum 1 (unit mean channel power).
    """

    model: str
    normalized_delay: NDArray[np.float64]
    power_lin: NDArray[np.float64]

    @property
    def n_taps(self) -> int:
        return int(self.normalized_delay.shape[0])

    def delays_s(self, delay_spread_s: float) -> NDArray[np.float64]:
        """Scaled delays tau_n = tau_model,n DS_desired [s] (TR 38.901 7.7.3, eq. 7.7-1)."""
        return self.normalized_delay * float(delay_spread_s)

    def rms_delay_spread(self) -> float:
        """RMS delay spread of the normalised profile (1.0 for every table, by design)."""
        m = float(np.sum(self.power_lin * self.normalized_delay))
        return float(np.sqrt(np.sum(self.power_lin * self.normalized_delay**2) - m * m))


@functools.lru_cache(maxsize=None)
def tdl_profile(model: str) -> TdlProfile:
    """TDL-A, -B or -C of TR 38.901 7.7.2 (``model`` = ``"A"``, ``"B"`` or ``"C"``)."""
    key = model.upper().removeprefix("TDL-")
    if key not in TDL_MODELS:
        raise ConfigError(
            f"fading model {model!r} is not supported (allowed: TDL-A, TDL-B, TDL-C)",
            field="slots.fading.model",
        )
    rows = [r for r in read_table("tdl_profiles.csv") if r["model"] == key]
    rows.sort(key=lambda r: int(r["tap"]))
    d = np.asarray([float(r["normalized_delay"]) for r in rows])
    p = 10.0 ** (np.asarray([float(r["power_db"]) for r in rows]) / 10.0)
    p = p / p.sum()
    d.setflags(write=False)
    p.setflags(write=False)
    return TdlProfile(key, d, p)


def steering_matrix(delays_s: NDArray[np.float64], freqs_hz: NDArray[np.float64]) -> NDArray[np.complex128]:
    """exp(-j 2 pi f tau) [tap, prb] for tap delays ``delays_s`` [tap] and frequencies
    ``freqs_hz`` [prb]."""
    return np.exp(-2j * np.pi * np.outer(delays_s, freqs_hz))


def frequency_response(
    tap_gains: ArrayLike, delays_s: NDArray[np.float64], freqs_hz: NDArray[np.float64]
) -> NDArray[np.complex128]:
    """H(f) = sum_n a_n exp(-j 2 pi f tau_n) of a tapped delay line.

    tap_gains : complex [..., tap]  (amplitudes including sqrt of tap power)
    returns complex [..., prb]
    """
    return np.asarray(tap_gains) @ steering_matrix(delays_s, freqs_hz)


def frequency_correlation(profile: TdlProfile, delay_spread_s: float, df_hz: ArrayLike) -> NDArray[np.complex128]:
    """E[H(f) H*(f + df)] = sum_n P_n exp(j 2 pi df tau_n): the Fourier transform of the
    normalised power-delay profile (unit at df = 0)."""
    df = np.asarray(df_hz, dtype=np.float64)
    tau = profile.delays_s(delay_spread_s)
    return np.sum(profile.power_lin * np.exp(2j * np.pi * df[..., None] * tau), axis=-1)
