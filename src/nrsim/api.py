"""The public Python API; the CLI is a thin wrapper over these functions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nrsim._version import __version__
from nrsim.boundary import check_run_args
from nrsim.config.loading import config_hash
from nrsim.config.schema import ScenarioConfig
from nrsim.kpi.outdir import claim_output
from nrsim.plugins import check_plugins_allowed
from nrsim.result_io import read_result
from nrsim.runs.load import check_model_validity, load_config
from nrsim.runs.modes import mode_for
from nrsim.runs.result import Result, RunResult
from nrsim.runs.writer import stamp, write_snapshot_plots
from nrsim.sizing import check_size

__all__ = ["ProgressCallback", "Result", "RunResult", "check_model_validity", "load_config", "read_result", "run"]

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each drop."""


def run(
    config: ScenarioConfig | str | Path,
    *,
    out_dir: str | Path | None = None,
    progress: ProgressCallback | None = None,
    workers: int = 0,
    scheduler: str | None = None,
    chunk_ues: int | None = None,
    force: bool = False,
    size_check: bool = True,
    status: Callable[[str], None] | None = None,
    allow_plugins: bool = False,
) -> Result:
    """Run all drops of a scenario and compute its KPIs.

    With ``out_dir``, write ``ue.parquet``, ``cell.parquet``, ``summary.json``,
    ``config.json`` and CDF plots there, atomically (a failed run leaves no result folder;
    its finished chunks stay in a hidden work folder beside it, and the same call resumes
    from them). ``workers`` > 0 runs the chunks on a local Dask cluster of that many
    processes, ``scheduler`` on an existing cluster; the results are the same bytes as a
    serial run. Returns the typed :class:`~nrsim.runs.result.Result`
    (its kind's run mode: :mod:`nrsim.runs.modes`). ``progress(done, total)`` is called as chunks finish, ``status(text)`` with
    the current phase (the drop and stage; the capacity-sweep point of a call run).

    Before any work (and before any folder is made) the run's peak memory is estimated and a
    run that would not fit in this machine's memory is refused with a :class:`ConfigError`
    (:func:`nrsim.sizing.check_size`; ``size_check=False`` or ``NRSIM_NO_SIZE_CHECK=1`` skip it).
    Then ``out_dir`` is checked and locked (:mod:`nrsim.kpi.outdir`): an existing file or a
    non-empty folder that is not an nrsim result raises :class:`~nrsim.errors.OutputPathError`
    unless ``force``, as does a target another run is writing. Losing every Dask worker
    raises :class:`~nrsim.errors.ExecutionError`. A scenario that names Python code (a
    scheduler plugin) runs only with ``allow_plugins=True`` (docs/slots.md). Arguments of the
    wrong type raise :class:`~nrsim.errors.ArgumentTypeError` before any work."""
    check_run_args(config, out_dir=out_dir, progress=progress, workers=workers, scheduler=scheduler,
                   chunk_ues=chunk_ues, allow_plugins=allow_plugins)
    cfg = config if isinstance(config, ScenarioConfig) else load_config(config)
    check_plugins_allowed(cfg, allow_plugins)
    if size_check:
        check_size(cfg, chunk_ues=chunk_ues, workers=workers, scheduler=scheduler, in_memory=out_dir is None)
    mode = mode_for(cfg)
    plan = mode.plan(cfg, workers=workers, scheduler=scheduler, chunk_ues=chunk_ues)
    target = Path(out_dir) if out_dir is not None else None
    with claim_output(target, kind="run", config_hash=config_hash(cfg), force=force):
        result = mode.execute(cfg, plan, out_dir=target, progress=progress, status=status,
                              write_outputs=lambda folder, acc, cell_df: _write_plots(folder, cfg, acc))
        return mode.finish(result, target)


def _write_plots(folder: Path, cfg: ScenarioConfig, acc) -> None:
    """The snapshot plots (a module-level hook: tests replace it to fail a write)."""
    write_snapshot_plots(folder, cfg, acc, stamp(cfg, __version__, config_hash(cfg)))
