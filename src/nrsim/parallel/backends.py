"""Execution backends: the serial reference and Dask (imported lazily)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from nrsim.errors import ConfigError

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
        from nrsim.parallel.tasks import clear_caches

        clear_caches()


class DaskBackend:
    """Runs tasks on a Dask cluster: a local one of ``workers`` single-threaded processes,
    or an existing one at ``scheduler`` (``tcp://host:port``)."""

    name = "dask"

    def __init__(self, workers: int = 0, scheduler: str | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise ImportError("--workers/--scheduler need dask[distributed]: pip install 'dask[distributed]'") from exc
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

    def map_unordered(self, fn: Callable[..., Any], tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed

        futures = [self.client.submit(fn, *t, pure=False) for t in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):
            yield index[fut.key], fut.result()

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
