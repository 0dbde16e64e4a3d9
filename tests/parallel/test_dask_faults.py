"""Dask faults (issue 11): losing every worker stops a run with a typed error instead of
hanging, its finished chunks are kept and the same command resumes from them; a task that
kills its workers is a typed error too."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import nrsim
from nrsim.errors import ConfigError, ExecutionError
from nrsim.parallel.backends import DASK_NO_WORKER_TIMEOUT_S, DaskBackend, resolve_no_worker_timeout_s

NO_WORKER_TIMEOUT_S = 2.0
HANG_S = 60
"""A test that has not finished after this long hangs (the behaviour being fixed): it fails."""


@contextlib.contextmanager
def _fail_if_hanging(seconds: int = HANG_S) -> Iterator[None]:
    def hung(signum, frame):  # noqa: ANN001
        raise TimeoutError(f"hung for {seconds} s")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture
def scheduler_and_worker() -> Iterator[tuple[str, subprocess.Popen]]:
    """A Dask scheduler with one worker process without a nanny (so that a dead worker stays
    dead, like a machine that is lost)."""
    from distributed import Client, LocalCluster

    src = str(Path(nrsim.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    with LocalCluster(n_workers=0, processes=True, dashboard_address=None, silence_logs=50) as cluster:
        worker = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", cluster.scheduler_address,
             "--no-nanny", "--nthreads", "1"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            with Client(cluster.scheduler_address) as c:
                c.wait_for_workers(1, timeout=30)
            yield cluster.scheduler_address, worker
        finally:
            worker.kill()
            worker.wait()


def _exit_worker(i: int) -> int:
    if i == 2:
        os._exit(1)
    time.sleep(0.05)
    return i


def test_backend_stops_when_every_worker_is_gone(scheduler_and_worker) -> None:
    address, worker = scheduler_and_worker
    backend = DaskBackend(scheduler=address, no_worker_timeout_s=NO_WORKER_TIMEOUT_S)
    t0 = time.monotonic()
    try:
        with _fail_if_hanging(), pytest.raises(ExecutionError, match=rf"no Dask worker connected to {address}"):
            list(backend.map_unordered(_exit_worker, [(i,) for i in range(6)]))
    finally:
        backend.close()
    assert time.monotonic() - t0 < NO_WORKER_TIMEOUT_S + 20
    assert worker.wait(10) != 0


def test_run_keeps_finished_chunks_and_resumes(scheduler_and_worker, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Every worker dies after the first chunk: ExecutionError (CLI exit 1) naming the kept
    chunks; the same run again (here serially) resumes and gives the uninterrupted bytes."""
    address, worker = scheduler_and_worker
    cfg = nrsim.load_config("single-site", ["deployment.ue.per_sector=20"], drops=2)
    nrsim.run(cfg, out_dir=tmp_path / "ref", chunk_ues=10)
    monkeypatch.setenv("NRSIM_DASK_NO_WORKER_TIMEOUT_S", str(NO_WORKER_TIMEOUT_S))
    out = tmp_path / "run"

    def kill_worker(done: int, total: int) -> None:
        if done >= 1:
            worker.kill()

    with _fail_if_hanging(), pytest.raises(ExecutionError, match="chunks are finished and kept in") as err:
        nrsim.run(cfg, out_dir=out, scheduler=address, chunk_ues=10, progress=kill_worker)
    assert "run the same command again to resume" in str(err.value)
    assert not out.exists() and not (tmp_path / ".run.lock").exists()
    (work,) = [p for p in tmp_path.iterdir() if p.name.startswith(".run.partial-")]
    finished = len(list(work.glob("*.part.json")))
    assert finished >= 1
    seen: list[int] = []
    nrsim.run(cfg, out_dir=out, chunk_ues=10, progress=lambda d, t: seen.append(d))
    assert seen[0] == finished
    for name in ("ue.parquet", "cell.parquet", "summary.json"):
        assert (tmp_path / "ref" / name).read_bytes() == (out / name).read_bytes(), name


def _always_exit(i: int) -> int:
    os._exit(1)


def test_task_that_kills_its_workers_is_an_execution_error() -> None:
    """With a nanny the worker comes back; a task that kills every worker it runs on ends as
    Dask's KilledWorker, reported as ExecutionError."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50,
    ) as cluster:
        backend = DaskBackend(scheduler=cluster.scheduler_address, no_worker_timeout_s=30)
        try:
            with _fail_if_hanging(), pytest.raises(ExecutionError, match="killed every Dask worker"):
                list(backend.map_unordered(_always_exit, [(0,)]))
        finally:
            backend.close()


def test_cli_exit_1_on_execution_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nrsim.cli.app import app

    def lost(*a, **k):
        raise ExecutionError("no Dask worker connected to tcp://h:1 for 60 s; 3 of 8 chunks are finished")

    monkeypatch.setattr(nrsim, "run", lost)
    res = CliRunner().invoke(app, ["run", "single-site", "--drops", "1", "--out", str(tmp_path / "x")])
    assert res.exit_code == 1, res.output
    lines = [line for line in res.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "no Dask worker" in lines[0]


def test_no_worker_timeout_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NRSIM_DASK_NO_WORKER_TIMEOUT_S", raising=False)
    assert resolve_no_worker_timeout_s() == DASK_NO_WORKER_TIMEOUT_S
    assert resolve_no_worker_timeout_s(5) == 5.0
    monkeypatch.setenv("NRSIM_DASK_NO_WORKER_TIMEOUT_S", "7.5")
    assert resolve_no_worker_timeout_s() == 7.5
    for bad in ("soon", "0", "-1", "inf"):
        monkeypatch.setenv("NRSIM_DASK_NO_WORKER_TIMEOUT_S", bad)
        with pytest.raises(ConfigError, match="NRSIM_DASK_NO_WORKER_TIMEOUT_S"):
            resolve_no_worker_timeout_s()
