"""Round trip of each kind of result: ``nrsim.run`` -> folder -> ``nrsim.read_result``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import nrsim
from nrsim.result_io import ResultFolderError

SMALL = ["deployment.ue.per_sector=5"]
MOVING = ["deployment.rings=1", "deployment.ue.per_sector=2", "deployment.isd_m=200", "mobility.duration_s=0.5"]
KINDS = {
    "snapshot": ("single-site", SMALL, {"ue", "cell"}),
    "slots": ("single-site", [*SMALL, "slots.enabled=true", "slots.n_slots=40", "slots.warmup_slots=0"],
              {"ue", "cell", "ue_slots", "cell_slots"}),
    "mobility": ("mobility-uma", MOVING, {"ue_mobility", "handover_events"}),
    "calls": ("mobility-uma", [*MOVING, "slots.enabled=true", "slots.warmup_slots=100",
                               "slots.traffic.model=video_call", "slots.scheduler.name=qos"],
              {"ue_calls", "cell_calls", "handover_events"}),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_round_trip(tmp_path: Path, kind: str) -> None:
    preset, overrides, tables = KINDS[kind]
    cfg = nrsim.load_config(preset, [*overrides, "output.plots=false"], drops=1)
    res = nrsim.run(cfg, out_dir=tmp_path / "r")
    back = nrsim.read_result(tmp_path / "r")
    assert res.kind == back.kind == kind
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["kind"] == kind
    assert back.config == cfg and back.provenance == res.provenance
    assert back.provenance.config_hash == nrsim.config_hash(cfg) and back.provenance.seed == cfg.seed
    assert set(back.tables) == tables
    for name in tables:
        pd.testing.assert_frame_equal(back.tables[name], res.tables[name])
    assert back.kpis == res.kpis
    assert (back.kpis.snapshot is not None) == (kind in ("snapshot", "slots"))
    assert (back.kpis.slots is not None) == (kind == "slots")
    assert (back.kpis.mobility is not None) == (kind in ("mobility", "calls"))
    assert (back.kpis.calls is not None) == (kind == "calls")
    pd.testing.assert_frame_equal(back.ue, res.ue)
    text = repr(back)
    assert text.startswith(f"<Result {kind} '{cfg.name}'") and str(tmp_path / "r") in text
    if kind == "snapshot":
        assert f"{res.kpis.snapshot.n_ue} UEs" in text


def test_kind_is_checked(tmp_path: Path) -> None:
    nrsim.run(nrsim.load_config("single-site", [*SMALL, "output.plots=false"], drops=1), out_dir=tmp_path / "r")
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    summary["kind"] = "teleport"
    (tmp_path / "r" / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(ResultFolderError, match="summary.kind") as info:
        nrsim.read_result(tmp_path / "r")
    assert info.value.field == "summary.json"


def test_folder_without_stored_kind_gets_its_configs_kind(tmp_path: Path) -> None:
    nrsim.run(nrsim.load_config("single-site", [*SMALL, "output.plots=false"], drops=1), out_dir=tmp_path / "r")
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    del summary["kind"]
    (tmp_path / "r" / "summary.json").write_text(json.dumps(summary))
    assert nrsim.read_result(tmp_path / "r").kind == "snapshot"


def test_a_value_of_the_wrong_type_is_a_typed_error(tmp_path: Path) -> None:
    """A count stored as text (a case the fuzz tests found) is a ResultFolderError naming
    summary.json, not a raw ValueError."""
    nrsim.run(nrsim.load_config("single-site", [*SMALL, "output.plots=false"], drops=1), out_dir=tmp_path / "r")
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    summary["seed"] = ":"
    (tmp_path / "r" / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(ResultFolderError) as info:
        nrsim.read_result(tmp_path / "r")
    assert info.value.field == "summary.json"
