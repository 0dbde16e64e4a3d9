"""National-scale machinery: sparse vs dense SINR, chunking and backend independence,
resumable runs, histogram percentiles."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import nrsim
from nrsim.engine import snapshot_drop
from nrsim.kpi.streaming import DB_BIN, Histogram

# Acceptance (issue "National scale", point 1): on a network small enough to run densely,
# sparse and dense SINR agree within 0.1 dB for at least 99 % of UEs.
SPARSE_SINR_TOL_DB = 0.1
SPARSE_MIN_SHARE = 0.99
NET_547 = ["deployment.rings=13", "deployment.wraparound=false", "deployment.ue.per_sector=3"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 7])
def test_sparse_matches_dense_on_547_sites(seed: int) -> None:
    dense = snapshot_drop(nrsim.load_config("uma-default", NET_547, seed=seed), 0).ue
    sparse = snapshot_drop(
        nrsim.load_config("uma-default", [*NET_547, "interference.mode=sparse"], seed=seed), 0
    ).ue
    err = np.abs(sparse["sinr_db"] - dense["sinr_db"])
    share = float(np.mean(err <= SPARSE_SINR_TOL_DB))
    assert share >= SPARSE_MIN_SHARE, share
    same = sparse["serving_cell"] == dense["serving_cell"]
    assert same.mean() > 0.999
    # with the same serving cell, sparse only drops interference: never a lower SINR
    assert np.all(sparse["sinr_db"][same] >= dense["sinr_db"][same] - 1e-6)
    # the link values themselves do not depend on the candidate set
    assert np.allclose(sparse["coupling_loss_db"][same], dense["coupling_loss_db"][same])


SMALL = ["deployment.rings=1", "deployment.ue.per_sector=7"]


def test_chunk_size_does_not_change_bytes(tmp_path: Path) -> None:
    cfg = nrsim.load_config("uma-default", SMALL, drops=2)
    nrsim.run(cfg, out_dir=tmp_path / "a")
    nrsim.run(cfg, out_dir=tmp_path / "b", chunk_ues=10)
    for name in ("ue.parquet", "cell.parquet", "summary.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


@pytest.mark.slow
def test_dask_two_workers_same_bytes_as_serial(tmp_path: Path) -> None:
    cfg = nrsim.load_config(
        "uma-default", ["deployment.rings=4", "deployment.wraparound=false",
                        "deployment.ue.per_sector=4", "interference.mode=sparse"], drops=2,
    )
    nrsim.run(cfg, out_dir=tmp_path / "serial", chunk_ues=200)
    nrsim.run(cfg, out_dir=tmp_path / "dask", chunk_ues=200, workers=2)
    for name in ("ue.parquet", "cell.parquet", "summary.json"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name


class _Killed(Exception):
    pass


def test_resume_after_kill_equals_uninterrupted(tmp_path: Path) -> None:
    cfg = nrsim.load_config("uma-default", SMALL, drops=3)
    nrsim.run(cfg, out_dir=tmp_path / "ref", chunk_ues=40)
    out = tmp_path / "run"

    def die_half_way(done: int, total: int) -> None:
        if done >= total // 2:
            raise _Killed

    with pytest.raises(_Killed):
        nrsim.run(cfg, out_dir=out, chunk_ues=40, progress=die_half_way)
    assert not out.exists()
    work = [p for p in tmp_path.iterdir() if p.name.startswith(".run.partial-")]
    assert len(work) == 1
    finished = len(list(work[0].glob("*.cells.npy")))
    assert finished >= 1
    seen: list[tuple[int, int]] = []
    nrsim.run(cfg, out_dir=out, chunk_ues=40, progress=lambda d, t: seen.append((d, t)))
    assert seen[0][0] == finished  # resumed: the finished chunks were not recomputed
    for name in ("ue.parquet", "cell.parquet", "summary.json"):
        assert (tmp_path / "ref" / name).read_bytes() == (out / name).read_bytes(), name
    assert not any(p.name.startswith(".run.partial-") for p in tmp_path.iterdir())


def test_histogram_percentiles_within_bound() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(5.0, 8.0, size=20_001)
    h = Histogram(-150.0, 150.0, DB_BIN)
    for part in np.array_split(values, 7):
        h.add(part)
    for p in (0, 1, 5, 37.5, 50, 95, 99, 100):
        assert abs(h.percentile(p) - np.percentile(values, p)) <= DB_BIN, p
    assert math.isnan(Histogram(0, 1, 0.1).percentile(50))


def test_summary_percentiles_match_exact_within_bound() -> None:
    res = nrsim.run(nrsim.load_config("uma-default", SMALL, drops=2))
    for col in ("sinr_db", "coupling_loss_db", "rsrp_dbm"):
        for p in ("5", "50", "95"):
            exact = np.percentile(res.ue[col], float(p))
            assert abs(res.summary["kpis"]["percentiles"][col][p] - exact) <= DB_BIN
    thr = res.ue["throughput_bps"].to_numpy()
    for p in ("5", "50", "95"):
        exact = np.percentile(thr, float(p))
        got = res.summary["kpis"]["percentiles"]["throughput_bps"][p]
        assert abs(got - exact) <= 3e-5 * max(exact, 1.0)


@pytest.mark.slow
def test_existing_dask_cluster_by_address(tmp_path: Path) -> None:
    """--scheduler tcp://HOST:PORT: an existing cluster gives the serial run's bytes."""
    from distributed import LocalCluster

    cfg = nrsim.load_config("uma-default", SMALL, drops=1)
    nrsim.run(cfg, out_dir=tmp_path / "serial", chunk_ues=50)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        nrsim.run(cfg, out_dir=tmp_path / "remote", chunk_ues=50, scheduler=cluster.scheduler_address)
    for name in ("ue.parquet", "summary.json"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "remote" / name).read_bytes()


def test_unreachable_scheduler_is_a_config_error(tmp_path: Path) -> None:
    cfg = nrsim.load_config("uma-default", SMALL, drops=1)
    with pytest.raises(nrsim.ConfigError, match="Dask scheduler"):
        nrsim.run(cfg, out_dir=tmp_path / "x", scheduler="tcp://127.0.0.1:9")
    assert list(tmp_path.iterdir()) == []  # no result and no work folder
