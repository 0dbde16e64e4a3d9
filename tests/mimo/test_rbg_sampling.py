"""SINR per RBG for the link abstraction: EESM per layer over a few PRBs per RBG against
EESM over every PRB, on frequency-selective 4 x 2 channels (exponential power-delay profile,
20 paths) at a 100 ns and a 300 ns delay spread, 273 PRBs of 360 kHz, 18 RBGs of 16 PRBs."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.errors import ConfigError
from nrsim.link import eesm_effective_sinr_lin
from nrsim.mimo.receiver import mmse_irc_sinr, rbg_sample_prbs


def _cn(rng, *s):
    return (rng.standard_normal(s) + 1j * rng.standard_normal(s)) / np.sqrt(2)


def _eesm_error_db(delay_spread_s: float, per_rbg: int, n_ue: int = 60) -> np.ndarray:
    rng = np.random.default_rng(3)
    n_prb, n_rx, n_l = 273, 4, 2
    f_hz = 0.36e6 * np.arange(n_prb)
    prbs = rbg_sample_prbs(n_prb, 16, per_rbg).ravel()
    err = []
    for _ in range(n_ue):
        tau = rng.exponential(delay_spread_s, 20)
        pw = np.exp(-tau / delay_spread_s)
        g = _cn(rng, 20, n_rx, n_l) * np.sqrt(pw / pw.sum())[:, None, None]
        h = np.einsum("pf,prl->frl", np.exp(-2j * np.pi * f_hz[None, :] * tau[:, None]), g)  # [prb, rx, layer]
        sinr = mmse_irc_sinr(np.sqrt(10 ** rng.uniform(0, 2)) * h, np.eye(n_rx))  # [prb, layer]
        for beta in (1.5, 5.0, 20.0):  # QPSK .. 64QAM-like EESM betas
            full = eesm_effective_sinr_lin(sinr.T, beta)
            err.append(10 * np.log10(eesm_effective_sinr_lin(sinr[prbs].T, beta) / full))
    return np.concatenate(err)


# measured here (60 UEs x 3 betas x 2 layers), mean error / 95th percentile of |error|:
# 4 per RBG +0.05 / 0.5 dB (100 ns), +0.22 / 2.0 dB (300 ns); 1 per RBG +0.43 / 2.7 dB (100 ns),
# +0.42 / 2.9 dB (300 ns): one sample per RBG is optimistic (it misses the fades inside the RBG)
@pytest.mark.parametrize("ds_s,per_rbg,mean_db,p95_db", [(100e-9, 4, 0.15, 0.8), (300e-9, 4, 0.35, 2.5),
                                                         (100e-9, 1, 0.8, 4.0)])
def test_eesm_over_rbg_samples_tracks_eesm_over_prbs(ds_s, per_rbg, mean_db, p95_db) -> None:
    e = _eesm_error_db(ds_s, per_rbg)
    assert abs(e.mean()) <= mean_db
    assert np.percentile(np.abs(e), 95) <= p95_db


def test_rbg_sample_prbs() -> None:
    assert rbg_sample_prbs(273, 16, 1)[:3, 0].tolist() == [8, 24, 40]
    s = rbg_sample_prbs(273, 16, 4)
    assert s.shape == (18, 4) and s[0].tolist() == [2, 6, 10, 14]
    assert s[-1].tolist() == [272, 272, 272, 272]  # the last RBG holds PRB 272 only
    assert np.all((s // 16) == np.arange(18)[:, None])
    with pytest.raises(ConfigError, match="per_rbg"):
        rbg_sample_prbs(273, 16, 17)
