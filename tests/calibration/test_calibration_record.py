"""calibrate(): the calibration.json record, the files written, and input validation."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

import nrsim
from nrsim.calibration import DEFAULT_UES_PER_CASE, calibrate, default_drops
from nrsim.errors import ConfigError

PCT_KEYS = ["5", "10", "50", "90", "95"]
METRIC_KEYS = ["coupling_loss_db", "sir_db", "sinr_db"]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory):
    """One drop each of InH 6 GHz (reference for 2 of 3 metrics) and UMi 30 GHz (none)."""
    out = tmp_path_factory.mktemp("cal") / "out"
    return calibrate(["inh-6ghz", "umi-30ghz"], drops=1, seed=5, out_dir=out), out


def test_record_schema(small_run) -> None:
    result, out = small_run
    record = json.loads((out / "calibration.json").read_text())
    assert record == json.loads(json.dumps(result.record()))
    entries = record["cases"]
    assert [(e["case"], e["metric"]) for e in entries] == [
        (c, m) for c in ("inh-6ghz", "umi-30ghz") for m in METRIC_KEYS
    ]
    for e in entries:
        assert {"case", "metric", "percentiles", "reference", "pass"} <= set(e)
        assert list(e["percentiles"]) == PCT_KEYS
        assert all(isinstance(v, float) for v in e["percentiles"].values())
        assert e["pass"] in (True, False, None)
        if e["reference"] is None:
            assert e["pass"] is None and e["reference_source"] is None
        else:
            assert list(e["reference"]) == PCT_KEYS and isinstance(e["pass"], bool)
        assert e["seed"] == 5 and e["drops"] == 1 and len(e["config_hash"]) == 16
    by = {(e["case"], e["metric"]): e for e in entries}
    # InH: industry average for coupling loss and SIR (with the tolerance), none for SINR
    assert by[("inh-6ghz", "coupling_loss_db")]["reference"]["5"] == -71.1
    assert by[("inh-6ghz", "coupling_loss_db")]["tolerance_db"] == 2.0
    assert by[("inh-6ghz", "sir_db")]["tolerance_db"] == 0.8
    assert by[("inh-6ghz", "sinr_db")]["reference"] is None
    for m in METRIC_KEYS:
        assert by[("umi-30ghz", m)]["reference"] is None and by[("umi-30ghz", m)]["pass"] is None
    assert record["pass"] == result.passed


def test_coupling_loss_has_3gpp_sign(small_run) -> None:
    result, out = small_run
    record = json.loads((out / "calibration.json").read_text())
    for e in record["cases"]:
        if e["metric"] == "coupling_loss_db":
            assert all(v < 0 for v in e["percentiles"].values())
    # and it is the negated positive loss of the UE table
    cfg = result.cases[0].config
    ue = nrsim.run(cfg).ue
    np.testing.assert_allclose(
        result.cases[0].metrics["coupling_loss_db"].values_db, -ue["coupling_loss_db"].to_numpy()
    )
    assert (ue["coupling_loss_db"] > 0).all()


def test_files_written(small_run) -> None:
    _, out = small_run
    for case in ("inh-6ghz", "umi-30ghz"):
        assert (out / case / "config.json").is_file()
        for stem in ("coupling_loss", "sir", "sinr"):
            assert (out / case / f"{stem}.png").stat().st_size > 1000
            with (out / case / f"{stem}_cdf.csv").open() as fh:
                rows = list(csv.DictReader(fh))
            assert [r["cdf_percent"] for r in rows] == [str(p) for p in range(101)]
            values = [float(r["value_db"]) for r in rows]
            assert values == sorted(values)
            with (out / case / f"{stem}_percentiles.csv").open() as fh:
                table = list(csv.DictReader(fh))
            assert [r["cdf_percent"] for r in table] == PCT_KEYS
    with (out / "percentiles.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 2 * 3 * 5
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp folders


def test_default_drops_reach_the_default_size() -> None:
    uma = nrsim.load_config("uma-6ghz")
    inh = nrsim.load_config("inh-6ghz")
    # 57 cells x 100 UEs = 5,700 per drop; 36 cells x 100 = 3,600 per drop
    assert default_drops(uma) == int(np.ceil(DEFAULT_UES_PER_CASE / 5700))
    assert default_drops(inh) == int(np.ceil(DEFAULT_UES_PER_CASE / 3600))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cases": ["uma-6ghz", "uma-7ghz"]}, "unknown calibration case 'uma-7ghz'.*allowed: uma-6ghz"),
        ({"cases": ["uma-6ghz"], "drops": 0}, "drops = 0: must be a whole number from 1"),
        ({"cases": ["uma-6ghz"], "drops": -3}, "drops = -3"),
        ({"cases": ["uma-6ghz"], "seed": -1}, "seed"),
    ],
)
def test_bad_input_raises_before_writing(tmp_path: Path, kwargs: dict, match: str) -> None:
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match=match):
        calibrate(out_dir=out, **kwargs)
    assert not out.exists() and list(tmp_path.iterdir()) == []
