"""The unit of work of a run: one chunk of UEs of one drop.

A task receives the configuration (as JSON) and its coordinates (drop, first and last UE),
never big arrays; it rebuilds the drop's shared state (cached per process), computes its
UEs' radio columns and writes them to a Parquet part file atomically. It returns the number
of UEs it attached to each cell, which the driver needs for the throughput pass.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from nrsim.config.schema import ScenarioConfig
from nrsim.engine.snapshot import DropState, build_layout, prepare_drop, radio_chunk
from nrsim.parallel.resume import sha256_file, write_part_record


@functools.lru_cache(maxsize=2)
def _config(cfg_json: str) -> ScenarioConfig:
    return ScenarioConfig.model_validate_json(cfg_json)


_DROP_CACHE: dict[tuple[str, int], DropState] = {}


def _drop_state(cfg_json: str, drop: int) -> DropState:
    """The drop's shared state, cached for one drop per process; the previous drop's is
    released before the next one is built, so a process never holds two (its memory is
    what :mod:`nrsim.sizing` counts)."""
    key = (cfg_json, drop)
    state = _DROP_CACHE.get(key)
    if state is None:
        _DROP_CACHE.clear()
        cfg = _config(cfg_json)
        state = prepare_drop(cfg, drop, layout=build_layout(cfg))
        _DROP_CACHE[key] = state
    return state


def clear_caches() -> None:
    """Forget the cached configuration and drop state of this process."""
    _DROP_CACHE.clear()
    _config.cache_clear()


def part_name(drop: int, start: int, stop: int) -> str:
    return f"drop{drop:05d}-ue{start:09d}-{stop:09d}"


def chunk_task(
    cfg_json: str, drop: int, start: int, stop: int, part_dir: str, numba_threads: int = 0
) -> np.ndarray:
    """Compute UEs ``start..stop`` of ``drop`` and write ``<part_dir>/<name>.parquet``,
    ``<name>.cells.npy`` (UEs per serving cell) and, last, ``<name>.part.json`` (their
    SHA-256; :mod:`nrsim.parallel.resume`). Returns the per-cell counts."""
    if numba_threads > 0:
        import numba

        numba.set_num_threads(numba_threads)
    cfg = _config(cfg_json)
    state = _drop_state(cfg_json, drop)
    cols = radio_chunk(cfg, state, start, stop)
    counts = np.bincount(cols["serving_cell"], minlength=state.layout.n_cells).astype(np.int64)
    name = part_name(drop, start, stop)
    folder = Path(part_dir)
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    pq.write_table(pa.table(cols), tmp)
    sha_parquet = sha256_file(tmp)
    os.replace(tmp, folder / f"{name}.parquet")
    tmp_c = folder / f".{name}.{os.getpid()}.cells.tmp.npy"
    np.save(tmp_c, counts)
    sha_cells = sha256_file(tmp_c)
    os.replace(tmp_c, folder / f"{name}.cells.npy")
    # the commit record, last: only a part with a matching record is reused on resume
    write_part_record(folder, name, {f"{name}.parquet": sha_parquet, f"{name}.cells.npy": sha_cells})
    return counts


def part_files(drop: int, start: int, stop: int) -> tuple[str, str]:
    """The files of a part (checked against its record on resume)."""
    name = part_name(drop, start, stop)
    return f"{name}.parquet", f"{name}.cells.npy"
