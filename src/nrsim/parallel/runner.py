"""The run loop: drops x UE chunks as tasks, streamed to Parquet, resumable.

Pass 1 runs the chunk tasks (serially or on Dask) and leaves one Parquet part per chunk in a
work folder ``<out>/../.<name>.partial-<config hash>/``; parts already there from an
interrupted run with the same configuration and nrsim version whose checksums match are
reused (:mod:`nrsim.parallel.resume`), so the same command started again continues where it
stopped. Pass 2, in the driver, reads the parts in a fixed order, adds
throughput (which needs every chunk's UEs-per-cell counts), accumulates the KPIs with
bounded memory and streams ``ue.parquet``. The result folder then appears atomically and
the work folder is removed. Results do not depend on the backend, the number of workers
or the chunk size.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from nrsim.config.loading import config_hash
from nrsim.config.schema import ScenarioConfig
from nrsim.deployment.identity import cell_identity, ue_identity_columns
from nrsim.engine.snapshot import UE_COLUMNS, apply_throughput, build_layout, cell_columns
from nrsim.engine.ssb_link import SSB_COLUMNS, drop_cell_beams
from nrsim.errors import ExecutionError
from nrsim.kpi.metrics import kpis_from_accumulator
from nrsim.kpi.streaming import SnapshotAccumulator
from nrsim.kpi.writers import atomic_directory, write_json
from nrsim.parallel.backends import make_backend
from nrsim.parallel.resume import open_work_folder, part_is_complete
from nrsim.parallel.tasks import chunk_task, part_files, part_name

ROW_GROUP_ROWS = 65_536
"""Rows per Parquet row group of ue.parquet, fixed so that the file's bytes do not depend on
the chunk size."""

SE_QUANTUM_INV = float(2**32)
"""Per-cell sums of spectral efficiency are kept as integers of 2^-32 bit/s/Hz (exact)."""

DEFAULT_CHUNK_UES = 65_536
"""UEs per task (any value gives identical results; it bounds a worker's memory)."""

ProgressCallback = Callable[[int, int], None]


def n_ue_per_drop(cfg: ScenarioConfig, n_cells: int) -> int:
    return cfg.deployment.ue.per_sector * n_cells


def plan_tasks(cfg: ScenarioConfig, n_ue: int, chunk_ues: int) -> list[tuple[int, int, int]]:
    """(drop, first UE, end UE) of every task, in result order."""
    return [
        (d, s, min(s + chunk_ues, n_ue))
        for d in range(cfg.drops)
        for s in range(0, max(n_ue, 1), chunk_ues)
    ]


def execute(
    cfg: ScenarioConfig,
    *,
    out_dir: Path | None,
    provenance: dict[str, Any],
    write_outputs: Callable[[Path, SnapshotAccumulator, pd.DataFrame], None],
    progress: ProgressCallback | None = None,
    workers: int = 0,
    scheduler: str | None = None,
    chunk_ues: int = DEFAULT_CHUNK_UES,
    keep_ue_in_memory: bool = False,
    status: Callable[[str], None] | None = None,
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame | None]:
    """Run every drop of ``cfg``. Returns (summary, cell table, ue table or None).
    ``status(text)`` is told what the run is doing (the phase before each drop's first chunk
    can take long: the UE drop and the shadow-fading grids)."""
    say = status if status is not None else (lambda text: None)
    say("building the layout")
    layout = build_layout(cfg)
    n_ue = n_ue_per_drop(cfg, layout.n_cells)
    tasks = plan_tasks(cfg, n_ue, chunk_ues)
    # the backend first: a scheduler that cannot be reached is bad input, and then nothing
    # may be left behind (not even a work folder)
    backend = make_backend(workers, scheduler)
    try:
        if out_dir is not None:
            # kept when the run fails or is killed, so that the same command resumes from it
            work = out_dir.parent / f".{out_dir.name}.partial-{config_hash(cfg)}"
            open_work_folder(work, config_hash(cfg))  # version check, stale temporaries
            keep_on_error = True
        else:
            work = Path(tempfile.mkdtemp(prefix="nrsim-run-"))
            keep_on_error = False
    except BaseException:
        backend.close()
        raise
    ok = False
    try:
        cfg_json = cfg.model_dump_json()
        (work / "config.json").write_text(cfg_json, encoding="utf-8")
        todo = [  # a part is reused only when its record's checksums match (resume.py)
            t for t in tasks
            if n_ue > 0 and not part_is_complete(work, part_name(*t), part_files(*t))
        ]
        total = len(tasks)
        done = total - len(todo)
        if progress is not None:
            progress(done, total)
        try:
            args = [(cfg_json, d, s, e, str(work), backend.numba_threads) for d, s, e in todo]

            def announce(k: int) -> None:  # before task k (the serial backend runs them lazily, in order)
                if k >= len(todo):
                    say("writing the results")
                elif backend.name != "serial":
                    say(f"{len(todo)} UE chunks on Dask")
                elif k == 0 or todo[k - 1][0] != todo[k][0]:
                    say(f"drop {todo[k][0] + 1}/{cfg.drops}: drawing {n_ue:,} UEs and the shadow-fading grids")
                else:
                    say(f"drop {todo[k][0] + 1}/{cfg.drops}: UE chunks")

            announce(0)
            for _, _counts in backend.map_unordered(chunk_task, args):
                done += 1
                if progress is not None:
                    progress(done, total)
                announce(done - (total - len(todo)))
        except ExecutionError as exc:  # e.g. every Dask worker lost
            if not keep_on_error:
                raise
            raise ExecutionError(f"{exc}; {done} of {total} chunks are finished and kept in {work}: run the "
                                 "same command again to resume") from None
        finally:
            backend.close()
        summary, cell_df, ue_df = _finish(cfg, layout, tasks, work, out_dir, provenance,
                                          write_outputs, keep_ue_in_memory, n_ue)
        ok = True
    finally:
        if ok or not keep_on_error:
            shutil.rmtree(work, ignore_errors=True)
    return summary, cell_df, ue_df


def _finish(cfg, layout, tasks, work, out_dir, provenance, write_outputs, keep_ue, n_ue):
    bandwidth_hz = cfg.radio.bandwidth_mhz * 1e6
    ident = cell_identity(cfg, layout)
    ssb = drop_cell_beams(cfg, layout) is not None  # ue.parquet gains SSB_COLUMNS
    acc = SnapshotAccumulator()
    cell_frames = []
    ue_frames = []
    by_drop: dict[int, list[tuple[int, int, int]]] = {}
    for t in tasks:
        by_drop.setdefault(t[0], []).append(t)

    def run_pass(writer):
        for drop in range(cfg.drops):
            chunks = by_drop.get(drop, []) if n_ue > 0 else []
            n_ue_cell = np.zeros(layout.n_cells, dtype=np.int64)
            for t in chunks:
                n_ue_cell += np.load(work / f"{part_name(*t)}.cells.npy")
            # sum of spectral efficiencies per cell in integer units of 2^-32 bit/s/Hz:
            # exact, so the cell throughput does not depend on how UEs were chunked
            se_sum_q = np.zeros(layout.n_cells, dtype=np.int64)
            for t in chunks:
                table = pq.read_table(work / f"{part_name(*t)}.parquet")
                cols = {name: table.column(name).to_numpy() for name in table.column_names}
                cols["throughput_bps"] = apply_throughput(cfg, cols, n_ue_cell)
                se_q = np.rint(cols["spectral_efficiency_bps_per_hz"] * SE_QUANTUM_INV).astype(np.int64)
                np.add.at(se_sum_q, cols["serving_cell"], se_q)
                acc.add(cols)
                ordered = {**{k: cols[k] for k in UE_COLUMNS}, **{k: cols[k] for k in SSB_COLUMNS if ssb},
                           **ue_identity_columns(ident, cols["serving_cell"], cols["x_m"], cols["y_m"])}
                if writer is not None:
                    writer.add(pa.table(ordered))
                if keep_ue:
                    ue_frames.append(pd.DataFrame(ordered))
            cell_thr = (
                (1.0 - cfg.link.overhead_fraction) * bandwidth_hz
                * (se_sum_q.astype(np.float64) / SE_QUANTUM_INV) / np.maximum(n_ue_cell, 1)
            )
            cell_frames.append(pd.DataFrame(cell_columns(cfg, layout, drop, n_ue_cell, cell_thr, ident)))

    summary: dict[str, Any] = {}
    if out_dir is not None:
        with atomic_directory(out_dir) as tmp:
            writer = _RowGroupWriter(tmp / "ue.parquet", ident.geo is not None, ssb) if cfg.output.per_ue else None
            try:
                run_pass(writer)
            finally:
                if writer is not None:
                    writer.close()
            cell_df = pd.concat(cell_frames, ignore_index=True)
            summary = {**provenance, "kpis": kpis_from_accumulator(acc, cell_df, bandwidth_hz),
                       "config": cfg.model_dump(mode="json")}
            cell_df.to_parquet(tmp / "cell.parquet", index=False)
            write_json(tmp / "summary.json", summary)
            write_json(tmp / "config.json", summary["config"])
            write_outputs(tmp, acc, cell_df)
    else:
        run_pass(None)
        cell_df = pd.concat(cell_frames, ignore_index=True)
        summary = {**provenance, "kpis": kpis_from_accumulator(acc, cell_df, bandwidth_hz),
                   "config": cfg.model_dump(mode="json")}
    ue_df = pd.concat(ue_frames, ignore_index=True) if keep_ue and ue_frames else (
        pd.DataFrame({k: pd.Series(dtype=_UE_DTYPES[k]) for k in _ue_names(ident.geo is not None, ssb)}) if keep_ue else None
    )
    return summary, cell_df, ue_df


_UE_DTYPES: dict[str, str] = {
    "drop": "int64", "ue": "int64", "x_m": "float64", "y_m": "float64", "height_m": "float64",
    "indoor": "bool", "floor": "int64", "los": "bool", "serving_cell": "int64",
    "d_2d_m": "float64", "pathloss_db": "float64", "shadow_fading_db": "float64",
    "o2i_loss_db": "float64", "coupling_loss_db": "float64", "rsrp_dbm": "float64",
    "sinr_db": "float64", "sir_db": "float64", "snr_db": "float64",
    "spectral_efficiency_bps_per_hz": "float64", "throughput_bps": "float64",
    "serving_cell_id": "str", "lat": "float64", "lon": "float64",
    "best_ssb_beam": "int64", "ssb_rsrp_dbm": "float64",
}


def _ue_names(geo: bool, ssb: bool = False) -> tuple[str, ...]:
    """ue.parquet's columns: the radio columns, the SSB beam columns with a BS array,
    serving_cell_id, and lat/lon with a geographic origin."""
    return (*UE_COLUMNS, *(SSB_COLUMNS if ssb else ()), "serving_cell_id", *(("lat", "lon") if geo else ()))


class _RowGroupWriter:
    """Streams tables into a Parquet file in row groups of exactly ``ROW_GROUP_ROWS``."""

    def __init__(self, path: Path, geo: bool, ssb: bool = False) -> None:
        self._writer = pq.ParquetWriter(path, _ue_schema(geo, ssb))
        self._pending: list[pa.Table] = []
        self._rows = 0

    def add(self, table: pa.Table) -> None:
        self._pending.append(table)
        self._rows += table.num_rows
        if self._rows >= ROW_GROUP_ROWS:
            merged = pa.concat_tables(self._pending).combine_chunks()
            n_full = (merged.num_rows // ROW_GROUP_ROWS) * ROW_GROUP_ROWS
            for off in range(0, n_full, ROW_GROUP_ROWS):
                self._writer.write_table(merged.slice(off, ROW_GROUP_ROWS), row_group_size=ROW_GROUP_ROWS)
            rest = merged.slice(n_full)
            self._pending = [rest] if rest.num_rows else []
            self._rows = rest.num_rows

    def close(self) -> None:
        if self._pending:
            self._writer.write_table(pa.concat_tables(self._pending).combine_chunks(), row_group_size=ROW_GROUP_ROWS)
        self._writer.close()


def _ue_schema(geo: bool, ssb: bool = False) -> pa.Schema:
    conv = {"int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(), "str": pa.string()}
    return pa.schema([(k, conv[_UE_DTYPES[k]]) for k in _ue_names(geo, ssb)])


def read_manifest(work: Path) -> dict[str, Any]:  # pragma: no cover - debugging aid
    return json.loads((work / "config.json").read_text())
