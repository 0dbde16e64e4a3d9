"""CQI table 1 efficiencies, SINR thresholds, attenuated Shannon and N_RB: spec values."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from nrsim.errors import ConfigError
from nrsim.link import (
    attenuated_shannon_efficiency,
    cqi_from_sinr,
    cqi_sinr_thresholds_db,
    cqi_spectral_efficiency,
    cqi_table1_efficiency,
    n_rb,
)


def test_cqi_table_matches_reference(reference_dir) -> None:
    rows = [
        r
        for r in csv.DictReader(open(reference_dir / "link" / "ts38214_cqi_tables.csv"))
        if r["table"].startswith("CQI table 1") and r["Qm"]
    ]
    ref = np.asarray([float(r["spectral_efficiency"]) for r in rows])
    assert np.array_equal(cqi_table1_efficiency(), ref)
    # spot values of TS 38.214 Table 5.2.2.1-2: CQI 15 = 64QAM 948/1024 * 6 = 5.5547
    assert cqi_table1_efficiency()[14] == 5.5547
    assert abs(948 / 1024 * 6 - 5.5547) < 1e-4


def test_cqi_mapping_edges() -> None:
    th = cqi_sinr_thresholds_db("vienna_lte_ll_dl_bler10")
    assert th[0] == -6.934 and th[-1] == 19.83
    assert cqi_from_sinr(-7.0, th) == 0
    assert cqi_from_sinr(-6.934, th) == 1
    assert cqi_from_sinr(30.0, th) == 15
    assert cqi_spectral_efficiency(np.array([-20.0]))[0] == 0.0
    assert cqi_spectral_efficiency(np.array([5.0]))[0] == 1.4766  # CQI 7 (4.697 <= 5 < 6.528)


def test_attenuated_shannon() -> None:
    # TR 36.942 A.2: alpha log2(1+SINR), 0 below -10 dB, capped at 4.4
    s = attenuated_shannon_efficiency(np.array([-11.0, 0.0, 10.0, 30.0]))
    assert s[0] == 0.0
    assert abs(s[1] - 0.6) < 1e-12
    assert abs(s[2] - 0.6 * math.log2(11.0)) < 1e-12
    assert s[3] == 4.4


@pytest.mark.parametrize(
    "bw, scs, fc, expected",
    [(100, 30, 3.5, 273), (20, 30, 6.0, 51), (20, 15, 2.0, 106), (100, 120, 30.0, 66), (100, 60, 3.5, 135)],
)
def test_n_rb(bw, scs, fc, expected) -> None:
    assert n_rb(bw, scs, fc) == expected


def test_n_rb_bad_combination_names_field() -> None:
    with pytest.raises(ConfigError, match="radio.bandwidth_mhz"):
        n_rb(33, 30, 3.5)
