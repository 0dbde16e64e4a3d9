"""Execution backends: the serial reference and Dask (imported lazily)."""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError
from typing import Any

from nrsim.errors import ConfigError, ExecutionError
from nrsim.parallel.tasks import clear_caches

Task = tuple[Any, ...]


class SerialBackend:
    """Runs tasks one after another in this process (the reference)."""

    name = "serial"
    numba_threads = 0  # use all cores inside the kernel

    def map_unordered(self, fn: Callable[..., Any], tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        for i, t in enumerate(tasks):
            yield i, fn(*t)

    def close(self) -> None:
        # the per-process drop cache can hold a national drop (about 1 GB): free it
        clear_caches()


DASK_NO_WORKER_TIMEOUT_S = 60.0
"""Default of how long a Dask run waits with no worker connected before it stops
(environment variable ``NRSIM_DASK_NO_WORKER_TIMEOUT_S`` or ``no_worker_timeout_s``)."""

DASK_TASK_RETRIES = 2
"""How often a task that raises is run again (``client.submit(..., retries=)``); a task whose
worker is lost is run again on another worker by the scheduler itself, up to Dask's
``distributed.scheduler.allowed-failures`` times."""


def resolve_no_worker_timeout_s(value: float | None = None) -> float:
    """``value``, else ``NRSIM_DASK_NO_WORKER_TIMEOUT_S``, else :data:`DASK_NO_WORKER_TIMEOUT_S`."""
    if value is None:
        raw = os.environ.get("NRSIM_DASK_NO_WORKER_TIMEOUT_S")
        if raw is None or not raw.strip():
            return DASK_NO_WORKER_TIMEOUT_S
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"NRSIM_DASK_NO_WORKER_TIMEOUT_S = {raw!r}: must be a number of seconds > 0",
                              field="NRSIM_DASK_NO_WORKER_TIMEOUT_S") from None
    if not (value > 0 and math.isfinite(value)):
        raise ConfigError(f"no-worker timeout (NRSIM_DASK_NO_WORKER_TIMEOUT_S) = {value}: must be a finite "
                          "number of seconds > 0", field="NRSIM_DASK_NO_WORKER_TIMEOUT_S")
    return float(value)


class DaskBackend:
    """Runs tasks on a Dask cluster: a local one of ``workers`` single-threaded processes,
    or an existing one at ``scheduler`` (``tcp://host:port``).

    Faults: a task that raises is retried :data:`DASK_TASK_RETRIES` times; a lost worker's
    tasks are rescheduled by Dask; a task that keeps killing its workers, a lost scheduler,
    or no worker at all for ``no_worker_timeout_s`` seconds raise
    :class:`~nrsim.errors.ExecutionError` (instead of waiting forever)."""

    name = "dask"

    def __init__(self, workers: int = 0, scheduler: str | None = None, *,
                 no_worker_timeout_s: float | None = None, retries: int = DASK_TASK_RETRIES) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise ImportError("--workers/--scheduler need dask[distributed]: pip install 'dask[distributed]'") from exc
        self.no_worker_timeout_s = resolve_no_worker_timeout_s(no_worker_timeout_s)
        self.retries = int(retries)
        self._cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise ConfigError(f"cannot reach the Dask scheduler {scheduler!r} ({exc})", field="scheduler") from None
            self.numba_threads = 1
        else:
            self._cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=40,
            )
            self.client = Client(self._cluster)
            self.numba_threads = 1
        self.address = scheduler or self._cluster.scheduler_address

    def map_unordered(self, fn: Callable[..., Any], tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        from distributed import wait

        futures = [self.client.submit(fn, *t, pure=False, retries=self.retries) for t in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        pending = set(futures)
        poll_s = min(1.0, self.no_worker_timeout_s / 4)
        idle_since: float | None = None  # when no worker was first seen
        try:
            while pending:
                try:
                    done, pending = wait(pending, timeout=poll_s, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    done = set()
                lost = set()
                for fut in done:
                    try:
                        value = self._result(fut, timeout_s=poll_s)
                    except TimeoutError:  # finished, but its result was lost with its worker:
                        lost.add(fut)  # Dask computes it again
                        continue
                    yield index[fut.key], value
                pending |= lost
                if done - lost:
                    idle_since = None
                    continue
                if self._n_workers() > 0:
                    idle_since = None
                elif idle_since is None:
                    idle_since = time.monotonic()
                elif time.monotonic() - idle_since >= self.no_worker_timeout_s:
                    raise ExecutionError(
                        f"no Dask worker connected to {self.address} for {self.no_worker_timeout_s:g} s "
                        f"(NRSIM_DASK_NO_WORKER_TIMEOUT_S); {len(pending)} of {len(futures)} tasks not run")
        finally:
            if pending:
                with contextlib.suppress(Exception):
                    self.client.cancel(list(pending))

    def _n_workers(self) -> int:
        try:
            return len(self.client.nthreads())
        except Exception as exc:  # noqa: BLE001 - any comm failure means the scheduler is gone
            raise ExecutionError(f"lost the connection to the Dask scheduler {self.address} ({exc})") from None

    def _result(self, fut: Any, timeout_s: float) -> Any:
        from distributed import KilledWorker

        try:
            return fut.result(timeout=timeout_s)
        except TimeoutError:
            if fut.status in ("error", "cancelled"):
                return self._result(fut, timeout_s)
            raise
        except KilledWorker as exc:
            raise ExecutionError(f"a task killed every Dask worker that ran it ({exc})") from None
        except CancelledError:
            raise ExecutionError(f"lost the connection to the Dask scheduler {self.address} (task cancelled)") from None

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_backend(workers: int = 0, scheduler: str | None = None):
    if workers < 0:
        raise ConfigError(f"workers = {workers}: must be >= 0 (0 = serial)", field="workers")
    if scheduler or workers > 0:
        return DaskBackend(workers=workers, scheduler=scheduler)
    return SerialBackend()
