"""The checked result reader (``nrsim.result_io``) in front of ``nrsim report`` and ``nrsim
compare``: a missing, garbled, truncated or changed file is exit 2 with one line naming the
file and what is wrong, and nothing is written (these were tracebacks before, and a report
wrote its GeoTIFFs before failing)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import nrsim
from nrsim.cli.app import app
from nrsim.result_io import ResultFolderError, check_result_folder, check_summary

SMALL = ["deployment.ue.per_sector=3", "output.plots=false", "coverage.resolution_m=200"]


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("res") / "run"
    nrsim.run(nrsim.load_config("single-site", SMALL, drops=1), out_dir=out)
    return out


def _copy(result: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "run"
    shutil.copytree(result, dst)
    return dst


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _set(folder: Path, name: str, path: list, value) -> None:
    doc = json.loads((folder / name).read_text())
    node = doc
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    (folder / name).write_text(json.dumps(doc))


def _truncate(folder: Path, name: str) -> None:
    raw = (folder / name).read_bytes()
    (folder / name).write_bytes(raw[: len(raw) // 2])


def _cast_text(folder: Path, name: str, col: str) -> None:
    t = pq.read_table(folder / name)
    i = t.column_names.index(col)
    pq.write_table(t.set_column(i, col, pa.array([str(v) for v in t.column(col).to_pylist()])), folder / name)


CORRUPTIONS = {
    "summary missing": (lambda f: (f / "summary.json").unlink(), "no summary.json"),
    "summary garbled": (lambda f: (f / "summary.json").write_bytes(b"{\x00\xff"), "summary.json: not UTF-8"),
    "summary not json": (lambda f: (f / "summary.json").write_text("{'kpis': 1}"), "summary.json: not valid JSON"),
    "summary a list": (lambda f: (f / "summary.json").write_text("[]"), "summary.json: summary = []"),
    "kpis a list": (lambda f: _set(f, "summary.json", ["kpis"], [1]), "summary.json: summary.kpis = [1]"),
    "percentile text": (lambda f: _set(f, "summary.json", ["kpis", "percentiles", "sinr_db", "5"], "x"),
                        "summary.kpis.percentiles.sinr_db.5 = 'x': allowed a number or null"),
    "config wrong type": (lambda f: _set(f, "summary.json", ["config", "drops"], "two"),
                          "summary.json: its config is not a valid scenario"),
    "config.json missing": (lambda f: (f / "config.json").unlink(), "config.json is missing"),
    "config.json changed": (lambda f: _set(f, "config.json", ["seed"], 99), "config.json: differs"),
    "ue truncated": (lambda f: _truncate(f, "ue.parquet"), "ue.parquet: not a readable Parquet file"),
    "ue column text": (lambda f: _cast_text(f, "ue.parquet", "sinr_db"), "ue.parquet: column 'sinr_db' holds string"),
    "ue column gone": (lambda f: pq.write_table(pq.read_table(f / "ue.parquet").drop_columns(["rsrp_dbm"]),
                                                f / "ue.parquet"), "ue.parquet: column(s) rsrp_dbm missing"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_report_on_a_corrupt_folder(result: Path, tmp_path: Path, case: str) -> None:
    folder = _copy(result, tmp_path)
    damage, words = CORRUPTIONS[case]
    damage(folder)
    before = _files(folder)
    html = tmp_path / "r.html"
    res = CliRunner().invoke(app, ["report", str(folder), "--out", str(html)], catch_exceptions=True)
    assert isinstance(res.exception, SystemExit) and res.exit_code == 2, (res.exception, res.output)
    assert len(res.stderr.splitlines()) == 1 and words in res.stderr, res.stderr
    assert _files(folder) == before and not html.exists()  # no GeoTIFFs, no report


@pytest.mark.parametrize("case", ["summary not json", "ue truncated", "ue column text", "config.json changed"])
def test_compare_on_a_corrupt_folder(result: Path, tmp_path: Path, case: str) -> None:
    folder = _copy(result, tmp_path)
    damage, words = CORRUPTIONS[case]
    damage(folder)
    out = tmp_path / "cmp"
    res = CliRunner().invoke(app, ["compare", str(result), str(folder), "--out", str(out)], catch_exceptions=True)
    assert isinstance(res.exception, SystemExit) and res.exit_code == 2, (res.exception, res.output)
    assert words in res.stderr and not out.exists()


def test_a_good_folder_passes_and_null_kpis_compare(result: Path, tmp_path: Path) -> None:
    folder = check_result_folder(result)
    assert folder.config.name == "single-site" and "percentiles" in folder.summary["kpis"]
    b = _copy(result, tmp_path)
    _set(b, "summary.json", ["kpis", "percentiles", "sinr_db", "5"], None)  # NaN is written as null
    res = CliRunner().invoke(app, ["compare", str(result), str(b), "--out", str(tmp_path / "cmp")])
    assert res.exit_code == 0, res.output  # was TypeError: None - float


def test_summary_shape_names_the_path() -> None:
    with pytest.raises(ResultFolderError, match=r"summary.kpis.video_capacity.points.0 = 3"):
        check_summary({"config": {}, "kpis": {"percentiles": {}, "video_capacity": {"points": [3]}}})
    with pytest.raises(ResultFolderError, match="summary.kpis.mobility is missing"):
        check_summary({"config": {}, "kpis": {"calls": {}}})
