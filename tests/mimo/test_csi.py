"""CSI selection (RI, PMI, CQI): rank adaptation on rich and LOS channels, PMI on channels
that match a codebook entry, CQI against the threshold table by hand."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.errors import ConfigError
from nrsim.mimo import Type1Config, type1_precoder
from nrsim.mimo.csi import cqi_from_layer_sinr, select_csi


def _cn(rng, *shape):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)


CFG8 = Type1Config.for_ports(2, 2)  # 8 ports, (O1, O2) = (4, 4)


def test_cqi_of_flat_sinr_by_hand() -> None:
    """Flat SINR: EESM returns it unchanged, so CQI = highest c with threshold_c <= SINR.
    vienna_lte_ll_dl_bler10: CQI 9 from 8.576 dB, CQI 10 from 10.37 dB; CQI 1 from -6.934 dB."""
    sinr_db = np.array([[10.0, 10.0], [10.5, 10.5], [-7.0, -7.0], [25.0, 25.0]])
    assert cqi_from_layer_sinr(10 ** (sinr_db / 10)).tolist() == [9, 10, 0, 15]


def test_cqi_of_unequal_layers_lies_between() -> None:
    # EESM of {0 dB, 20 dB} is far below their mean and above the weaker layer
    c = int(cqi_from_layer_sinr(np.array([1.0, 100.0])))
    assert int(cqi_from_layer_sinr(np.array([1.0, 1.0]))) <= c < int(cqi_from_layer_sinr(np.array([100.0, 100.0])))


@pytest.mark.parametrize("idx", [(3, 5, 0, 2), (0, 0, 0, 0), (7, 1, 0, 3)])
def test_pmi_recovers_a_matching_codebook_entry(idx) -> None:
    """1 rx antenna, h = c w^H: |h w'|^2 is largest at w' = w (Cauchy-Schwarz; the entries are
    distinct unit vectors), so rank 1 and that PMI; SINR = |c|^2 ||w||^4 / N = 10 dB -> CQI 9."""
    w = type1_precoder(CFG8, 1, *idx)[:, 0]  # ||w|| = 1
    c = np.sqrt(10.0)
    h = (c * w.conj())[None, None, None, :]  # [sb, n, rx, tx]
    h = np.repeat(h, 3, axis=0)  # 3 subbands
    rep = select_csi(h, CFG8, noise_w=1.0)
    assert int(rep.ri) == 1
    assert rep.i1.tolist() == [idx[0], idx[1], 0]
    assert rep.i2.tolist() == [idx[3]] * 3
    assert rep.cqi.tolist() == [9] * 3 and int(rep.cqi_wideband) == 9


def test_rank_adapts_to_snr_on_a_rich_channel() -> None:
    """i.i.d. Rayleigh 4 x 8, 4 subbands x 2 samples: rank 1 at -15 dB per antenna
    (about 0 dB after the rank-1 array gain of up to ~13 dB), >= 3 at 30 dB."""
    rng = np.random.default_rng(11)
    g = _cn(rng, 6, 4, 2, 4, 8)  # [ue, sb, n, rx, tx]
    low = select_csi(np.sqrt(10 ** (-1.5)) * g, CFG8, noise_w=1.0)
    high = select_csi(np.sqrt(10 ** 3.0) * g, CFG8, noise_w=1.0)
    assert low.ri.tolist() == [1] * 6
    assert np.all(high.ri >= 3)
    assert np.all(high.se_bit_per_re.sum(-1) > low.se_bit_per_re.sum(-1))


def test_rank_one_on_a_pure_los_channel() -> None:
    """A single co-polarised plane wave (H = a_rx b^T, rank 1) at 30 dB: rank 1."""
    rng = np.random.default_rng(2)
    a_rx = np.exp(1j * np.pi * 0.3 * np.arange(4))
    b_pol = np.exp(1j * np.pi * (0.37 * np.arange(2)[:, None] + 0.21 * np.arange(2)[None, :])).ravel()
    b = np.concatenate([b_pol, np.exp(0.4j) * b_pol])  # both polarisations, one phase
    h = np.sqrt(1000.0) * np.outer(a_rx, b)[None, None, None] * np.exp(2j * np.pi * rng.random((1, 3, 1, 1, 1)))
    rep = select_csi(h, CFG8, noise_w=1.0)
    assert rep.ri.tolist() == [1]
    assert rep.cqi.min() >= 14


def test_coloured_interference_through_noise_cov() -> None:
    """An interferer arriving along the only wanted direction of a 2-rx UE lowers the CQI;
    with the same interference power arriving orthogonally, IRC removes it."""
    w = type1_precoder(CFG8, 1, 2, 2, 0, 1)[:, 0]
    h = np.stack([w.conj(), np.zeros(8)])[None, None] * np.sqrt(100.0)  # [1, 1, 2, 8]: rx 0 only
    along = np.array([[10.0, 0], [0, 0]]) + np.eye(2)
    ortho = np.array([[0, 0], [0, 10.0]]) + np.eye(2)
    c_along = select_csi(h, CFG8, noise_cov=along[None, None]).cqi[0]
    c_ortho = select_csi(h, CFG8, noise_cov=ortho[None, None]).cqi[0]
    # 20 dB -> CQI 15; 100 / 11 = 9.6 dB -> CQI 9 (thresholds 8.576 and 10.37 dB)
    assert (c_ortho, c_along) == (15, 9)


def test_chunking_does_not_change_the_report() -> None:
    rng = np.random.default_rng(4)
    h = 10 * _cn(rng, 5, 2, 1, 2, 8)
    a = select_csi(h, CFG8, noise_w=1.0, chunk=1)
    b = select_csi(h, CFG8, noise_w=1.0, chunk=8)
    for f in ("ri", "i1", "i2", "cqi", "cqi_wideband", "se_bit_per_re"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))


def test_bad_inputs() -> None:
    with pytest.raises(ConfigError, match="h must be"):
        select_csi(np.zeros((1, 1, 2, 4)), CFG8, noise_w=1.0)
    with pytest.raises(ConfigError, match="exactly one"):
        select_csi(np.zeros((1, 1, 2, 8)), CFG8)
