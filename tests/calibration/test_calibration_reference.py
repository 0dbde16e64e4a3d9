"""The shipped 3GPP reference curves: provenance, values, and which reference each case gets.

Expected values come from the shared reference data (read here with the csv module, not with
the code under test) and from TR 38.901 Table 7.8-1 as written in large-scale-setup.md."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import nrsim
from nrsim.calibration import (
    CASES,
    company_spread_reference,
    industry_average_reference,
    reference_for,
)

SHIPPED = ("large-scale-6ghz-average.csv", "large-scale-6ghz-company-spread.csv")


def _shared_rows(reference_dir: Path, name: str) -> list[dict[str, str]]:
    with (reference_dir / "tr38901-calibration" / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_files_keep_provenance_and_data(name: str, reference_dir: Path) -> None:
    text = resources.files("nrsim.calibration").joinpath("reference", name).read_text("utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("R1-165974" in line for line in header)
    body = [line for line in text.splitlines() if not line.startswith("#")]
    shared = (reference_dir / "tr38901-calibration" / name).read_text("utf-8").splitlines()
    assert body == shared  # copied unchanged, only comment lines added


def test_company_spread_values_match_shared_csv(reference_dir: Path) -> None:
    rows = _shared_rows(reference_dir, "large-scale-6ghz-company-spread.csv")
    names = {"coupling_loss": "coupling_loss_db", "wideband_sir": "sir_db", "geometry_sinr": "sinr_db"}
    checked = 0
    for row in rows:
        ref = company_spread_reference(row["scenario"].lower(), float(row["carrier_GHz"]), names[row["metric"]])
        assert ref is not None and ref.has_band
        p = float(row["cdf_percent"])
        assert ref.value_at(p) == pytest.approx(float(row["mean_dB"]), abs=1e-9)
        assert ref.band_at(p) == pytest.approx((float(row["min_dB"]), float(row["max_dB"])), abs=1e-9)
        checked += 1
    assert checked == len(rows) == 2 * 101 + 4 * 99  # SIR/SINR lack the 0 and 100 % points


def test_industry_average_values_match_shared_csv(reference_dir: Path) -> None:
    rows = _shared_rows(reference_dir, "large-scale-6ghz-average.csv")
    scen = {"UMa": "uma", "UMi-Street Canyon": "umi", "InH-Office (open office LOS prob.)": "inh"}
    metric = {"coupling_loss": "coupling_loss_db", "geometry_sir": "sir_db"}
    for row in rows:
        ref = industry_average_reference(scen[row["scenario"]], 6.0, metric[row["metric"]])
        assert ref is not None and not ref.has_band
        assert ref.value_at(float(row["cdf_percent"])) == pytest.approx(float(row["value"]))


def test_reference_choice_per_case() -> None:
    # company spread (mean + band) for UMa/UMi at 6 GHz, all three metrics
    for scen in ("uma", "umi"):
        for metric in ("coupling_loss_db", "sir_db", "sinr_db"):
            ref = reference_for(scen, 6.0, metric)
            assert ref is not None and ref.source == "company-spread" and ref.n_companies == 20
    # InH: industry average for coupling loss and SIR, nothing for SINR
    assert reference_for("inh", 6.0, "coupling_loss_db").source == "industry-average"
    assert reference_for("inh", 6.0, "sir_db").source == "industry-average"
    assert reference_for("inh", 6.0, "sinr_db") is None
    # no 3GPP reference at 30 and 70 GHz
    for case in CASES.values():
        if case.fc_ghz != 6.0:
            for metric in ("coupling_loss_db", "sir_db", "sinr_db"):
                assert reference_for(case.scenario, case.fc_ghz, metric) is None


def test_coupling_loss_reference_has_3gpp_sign() -> None:
    for scen in ("uma", "umi", "inh"):
        ref = reference_for(scen, 6.0, "coupling_loss_db")
        assert np.all(ref.value_db < 0)
        assert np.all(np.diff(ref.value_db) >= 0)  # a CDF: increasing in percent
    # UMa 5 % point from R1-165974 (industry average -150.4, company mean -150.27)
    assert industry_average_reference("uma", 6.0, "coupling_loss_db").value_at(5) == -150.4
    assert company_spread_reference("uma", 6.0, "coupling_loss_db").value_at(5) == -150.27


def test_missing_percentile_is_a_key_error() -> None:
    ref = industry_average_reference("inh", 6.0, "sir_db")
    with pytest.raises(KeyError, match="has no 3 % point"):
        ref.value_at(3)


# Table 7.8-1 assumptions per case (large-scale-setup.md): (scenario, isd, h_bs, min_d,
# tilt, tx power per frequency, bandwidth per frequency)
_SETUP = {
    "uma": (500.0, 25.0, 35.0, 102.0, {6: 49.0, 30: 35.0, 70: 35.0}),
    "umi": (200.0, 10.0, 10.0, 102.0, {6: 44.0, 30: 35.0, 70: 35.0}),
    "inh": (20.0, 3.0, 0.0, 110.0, {6: 24.0, 30: 24.0, 70: 24.0}),
}
_BANDWIDTH_MHZ = {6: 20.0, 30: 100.0, 70: 100.0}


@pytest.mark.parametrize("name", list(CASES))
def test_presets_hold_table_7_8_1_assumptions(name: str) -> None:
    case = CASES[name]
    assert name in nrsim.list_presets()
    assert nrsim.list_presets()[name].startswith("TR 38.901 Table 7.8-1 large-scale calibration:")
    cfg = nrsim.load_config(name)
    isd, h_bs, min_d, tilt, power = _SETUP[case.scenario]
    f = int(case.fc_ghz)
    dep, ue = cfg.deployment, cfg.deployment.ue
    assert cfg.channel.scenario == case.scenario and cfg.channel.fc_ghz == case.fc_ghz
    assert dep.bs_height_m == h_bs and ue.min_distance_2d_m == min_d
    assert dep.sectors_per_site == 3
    assert cfg.radio.tx_power_dbm == power[f] and cfg.radio.bandwidth_mhz == _BANDWIDTH_MHZ[f]
    assert cfg.radio.ue_noise_figure_db == 9.0 and cfg.radio.load == 1.0
    assert cfg.radio.handover_margin_db == 0.0
    assert cfg.antenna.model == "column" and cfg.antenna.n_elements == 10
    assert cfg.antenna.spacing_wl == 0.5 and cfg.antenna.etilt_deg == tilt
    assert cfg.antenna.mech_downtilt_deg == 0.0 and cfg.antenna.ue_gain_dbi == 0.0
    assert cfg.channel.shadowing
    if case.scenario == "inh":
        assert dep.layout == "inh-office" and cfg.channel.inh_variant == "open"
        assert ue.indoor_fraction == 1.0 and not ue.indoor_floors and ue.indoor_height_m == 1.0
    else:
        assert dep.layout == "hex" and dep.rings == 2 and dep.isd_m == isd and dep.wraparound
        assert ue.indoor_fraction == 0.8 and ue.indoor_floors and ue.outdoor_height_m == 1.5
        assert (ue.building_floors_min, ue.building_floors_max) == (4, 8)
        assert cfg.channel.o2i_model == "mixed" and cfg.channel.o2i_high_loss_fraction == 0.5
