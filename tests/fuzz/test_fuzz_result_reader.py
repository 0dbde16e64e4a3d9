"""Fuzz the result reader: ``nrsim report`` and ``nrsim compare`` on corrupt result folders
(a snapshot run and a slot run with video calls and a capacity sweep): a file deleted,
truncated, overwritten with random bytes or partly overwritten; a value anywhere in
summary.json / config.json replaced by JSON of another type or deleted; a Parquet column
dropped or turned into text. Property (conftest): exit 0 or 2, no traceback, one line on
stderr; on 2 the folder is unchanged and no report or compare folder is written."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nrsim

FUZZ = settings(max_examples=int(os.environ.get("NRSIM_FUZZ_EXAMPLES") or 20), deadline=None,
                suppress_health_check=list(HealthCheck))
SMALL = ["deployment.ue.per_sector=3", "output.plots=false", "coverage.resolution_m=200"]
KINDS = {
    "snapshot": SMALL,
    "slots": [*SMALL, "slots.enabled=true", "slots.n_slots=60", "slots.warmup_slots=10", "radio.bandwidth_mhz=20",
              "slots.traffic.model=video_call", "slots.traffic.capacity_calls_per_cell=[1]"],
}
READ = {"summary.json", "config.json", "ue.parquet", "capacity.parquet", "ue_calls.parquet",
        "handover_events.parquet"}
"""Files ``nrsim report`` / ``nrsim compare`` read."""
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10),
              st.sampled_from([1e308, 10**400, -0.0])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8)


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("results")
    out = {}
    for kind, overrides in KINDS.items():
        out[kind] = base / kind
        nrsim.run(nrsim.load_config("single-site", overrides, drops=1), out_dir=out[kind])
    return out


def _paths(node, prefix=()):
    """Every (key, ...) path into a JSON tree."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


@st.composite
def corruptions(draw, names: list[str]):
    read = [n for n in names if n in READ]  # the files the readers use; the others now and then
    name = draw(st.sampled_from(read) if read and draw(st.integers(0, 9)) else st.sampled_from(names))
    typed = ["json-set", "json-delete"] if name.endswith(".json") else ["parquet-drop", "parquet-text"]
    action = draw(st.sampled_from(["delete", "truncate", "random", "overwrite", *typed]))
    return name, action, draw(st.data())


def corrupt(folder: Path, name: str, action: str, data) -> None:
    path = folder / name
    raw = path.read_bytes()
    if action == "delete":
        path.unlink()
    elif action == "truncate":
        path.write_bytes(raw[: data.draw(st.integers(0, max(len(raw) - 1, 0)))])
    elif action == "random":
        path.write_bytes(data.draw(st.binary(max_size=2000)))
    elif action == "overwrite":
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        patch = data.draw(st.binary(min_size=1, max_size=64))
        path.write_bytes(raw[:at] + patch + raw[at + len(patch):])
    elif name.endswith(".json") and action.startswith("json"):
        doc = json.loads(raw)
        where = data.draw(st.sampled_from(list(_paths(doc))[1:] or [()]))
        if not where:
            doc = data.draw(JSON_VALUES)
        else:
            node = doc
            for k in where[:-1]:
                node = node[k]
            if action == "json-set":
                node[where[-1]] = data.draw(JSON_VALUES)
            else:
                del node[where[-1]]
        path.write_text(json.dumps(doc), encoding="utf-8")
    elif name.endswith(".parquet") and action.startswith("parquet"):
        table = pq.read_table(path)
        col = data.draw(st.sampled_from(table.column_names))
        if action == "parquet-drop":
            table = table.drop_columns([col])
        else:
            i = table.column_names.index(col)
            table = table.set_column(i, col, pa.array([str(v) for v in table.column(col).to_pylist()]))
        pq.write_table(table, path)


def _copy(folders, kind: str, scratch) -> Path:
    dst = scratch() / kind
    shutil.copytree(folders[kind], dst)
    return dst


@FUZZ
@given(kind=st.sampled_from(list(KINDS)), data=st.data())
def test_report_on_corrupt_folder(fuzz, folders, scratch, kind: str, data) -> None:
    folder = _copy(folders, kind, scratch)
    name, action, d = data.draw(corruptions(sorted(p.name for p in folder.iterdir())))
    corrupt(folder, name, action, d)
    html = folder.parent / "report.html"
    fuzz.invoke(["report", str(folder), f"--out={html}"], out=html, watch=folder)


@FUZZ
@given(kind=st.sampled_from(list(KINDS)), data=st.data(), a_side=st.booleans())
def test_compare_on_corrupt_folder(fuzz, folders, scratch, kind: str, data, a_side: bool) -> None:
    folder = _copy(folders, kind, scratch)
    name, action, d = data.draw(corruptions(sorted(p.name for p in folder.iterdir())))
    corrupt(folder, name, action, d)
    out = folder.parent / "cmp"
    a, b = (folder, folders[kind]) if a_side else (folders[kind], folder)
    fuzz.invoke(["compare", str(a), str(b), f"--out={out}"], out=out, watch=folder)
