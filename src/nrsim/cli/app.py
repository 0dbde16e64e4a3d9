"""The ``nrsim`` command line: thin Typer wrappers over :mod:`nrsim.api`.

Exit codes: 0 success; 1 a check failed (e.g. calibration out of tolerance); 2 bad input.

Start-up: the command group is lazy (Click's lazy-loading group pattern on the Typer app):
it knows each command's name and help from the static table :data:`_LAZY_COMMANDS` and
imports a command's module only when that command is resolved (run, its ``--help``, the
completion of its arguments). This module imports only light layers at the top and reaches
the simulator through the lazy :mod:`nrsim` namespace and :mod:`nrsim.cli._lib`, so
``nrsim --help``, ``--version``, ``presets`` and tab completion start without numba, the
engines, pandas or Dask (docs/architecture.md).
"""

from __future__ import annotations

import functools
import importlib
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
import typer.main
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table
from typer.core import TyperCommand

import nrsim
from nrsim import __version__
from nrsim.boundary import check_scheduler_address
from nrsim.cli import _lib
from nrsim.cli._output import ForceOption, progress_columns, warnings_as_lines
from nrsim.cli.errors import OneLineErrorsGroup, print_error
from nrsim.cli.format import kpi_cell, note_lines
from nrsim.cli.guards import compile_note, estimate_lines, loading, model_warnings
from nrsim.config import list_presets, preset_catalogue
from nrsim.errors import ExecutionError, NrsimError
from nrsim.plugins import check_plugins_allowed, describe_named_code
from nrsim.sizing import check_size, estimate_size, is_long

_LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("nrsim.cli.app", "run",
            "Run a scenario end to end and write its results (resumes an interrupted run)."),
    "presets": ("nrsim.cli.app", "presets",
                "List the shipped presets by family, with a one-line summary each (--full: the whole description)."),
    "validate": ("nrsim.cli.app", "validate", "Validate a scenario file (and overrides) without running it."),
    "calibrate": ("nrsim.cli.calibrate", "calibrate",
                  "Reproduce the TR 38.901 Table 7.8-1 large-scale calibration and compare it with 3GPP\n"
                  "R1-165974: coupling loss, geometry SIR and SINR at 5/10/50/90/95 %."),
    "report": ("nrsim.cli.report", "report",
               "Write one self-contained offline HTML report (map, coverage layers, KPIs, CDFs, config)\n"
               "and the coverage GeoTIFFs into a result folder."),
    "compare": ("nrsim.cli.compare", "compare",
                "Compare two scenarios on the same UE drops and seed: KPI deltas, users and area that\n"
                "lose coverage or fall below the throughput threshold, difference maps, HTML report."),
    "export": ("nrsim.cli.export", "export",
               "Export sites, cell wedges, UE points and coverage class polygons for GIS tools."),
    "policy": ("nrsim.cli.policy", "policy",
               "Plan a vendor-restriction policy month by month and evaluate every stage."),
}
"""Command name -> (module, function, the help shown in ``nrsim --help``), in listing order.
The help is the function's docstring (``tests/cli/test_startup.py`` checks that they agree);
``tests/test_layering.py`` reads the modules as import edges."""


def command_function(name: str) -> Any:
    """The function of command ``name`` (imports its module)."""
    module, attr, _ = _LAZY_COMMANDS[name]
    return getattr(importlib.import_module(module), attr)


_COMPILING = frozenset({"run", "calibrate", "compare", "report", "policy"})
"""The commands that run numba kernels: they show :func:`compile_note` on a cold cache."""


def load_command(name: str) -> Any:
    """The Click command of ``name``, built by Typer from its function (the commands of
    :data:`_COMPILING` say so on stderr while numba compiles)."""
    one = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False)
    one.command(name=name)(command_function(name))
    cmd = typer.main.get_command(one)
    if name in _COMPILING:
        callback = cmd.callback

        @functools.wraps(callback)
        def with_note(*args: Any, **kwargs: Any) -> Any:
            with compile_note(err_console):
                return callback(*args, **kwargs)

        cmd.callback = with_note
    return cmd


class _Listed(TyperCommand):
    """A command as ``nrsim --help`` and the completion of command names see it: name and
    help only. Resolving it (to run it, show its own help or complete its arguments) loads
    the real command."""


class LazyCommandGroup(OneLineErrorsGroup):
    """The app's command group: the commands of :data:`_LAZY_COMMANDS`, each loaded when it is
    resolved; usage errors on one line (:class:`OneLineErrorsGroup`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, (_, _, help_text) in _LAZY_COMMANDS.items():
            self.commands.setdefault(name, _Listed(name, help=help_text))

    def resolve_command(self, ctx, args):  # noqa: ANN001, ANN201, D102
        name, cmd, rest = super().resolve_command(ctx, args)
        if isinstance(cmd, _Listed) and name is not None:
            cmd = self.commands[name] = load_command(name)
        return name, cmd, rest


app = typer.Typer(
    name="nrsim",
    cls=LazyCommandGroup,
    help="5G NR radio-network simulator: 3GPP TR 38.901 channel, SINR, throughput, KPIs.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=True,
)
console = Console()
err_console = Console(stderr=True)


def _show_version(value: bool) -> None:
    if value:
        console.print(f"nrsim {__version__}", highlight=False)
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """5G NR radio-network simulator: 3GPP TR 38.901 channel, SINR, throughput, KPIs."""


def _fail(exc: Exception, code: int = 2) -> None:
    print_error(err_console, exc)  # one line (nrsim.cli.errors)
    raise typer.Exit(code)


SetOption = Annotated[
    Optional[list[str]],
    typer.Option("--set", "-s", help="Dotted override, e.g. --set channel.scenario=umi (repeatable)."),
]


def complete_scenario(incomplete: str) -> list[str]:
    """Shell completion of a scenario argument: the preset names and the ``*.toml`` files in the
    current folder that start with what was typed (`nrsim --install-completion` sets it up)."""
    from pathlib import Path

    names = [name for name in list_presets() if name.startswith(incomplete)]
    names += sorted(str(p) for p in Path(".").glob(f"{incomplete}*.toml"))
    return names


def run(
    scenario: Annotated[str, typer.Argument(help="Preset name or TOML file.", autocompletion=complete_scenario)] = "uma-default",
    seed: Annotated[Optional[int], typer.Option(help="Root random seed.")] = None,
    drops: Annotated[Optional[int], typer.Option(help="Number of drops.")] = None,
    out: Annotated[
        Optional[Path], typer.Option(help="Result folder (default results/<scenario name>).")
    ] = None,
    set_: SetOption = None,
    workers: Annotated[
        int, typer.Option(help="Dask worker processes on this machine (0 = serial).")
    ] = 0,
    scheduler: Annotated[
        Optional[str], typer.Option(help="Address of an existing Dask scheduler, tcp://HOST:PORT.")
    ] = None,
    chunk_ues: Annotated[
        Optional[int], typer.Option(help="UEs per task (memory bound; results do not depend on it).")
    ] = None,
    report: Annotated[
        bool, typer.Option("--report", help="Also write report.html and the coverage GeoTIFFs (nrsim report).")
    ] = False,
    force: ForceOption = False,
    no_size_check: Annotated[
        bool, typer.Option("--no-size-check", help="Run even when the estimated peak memory exceeds the "
                           "available memory (also NRSIM_NO_SIZE_CHECK=1).")
    ] = False,
    allow_plugins: Annotated[
        bool, typer.Option("--allow-plugins", help="Run Python code the scenario names (a scheduler plugin).")
    ] = False,
) -> None:
    """Run a scenario end to end and write its results (resumes an interrupted run)."""
    try:
        with loading(console, scenario), model_warnings(err_console):
            cfg = nrsim.load_config(scenario, set_ or [], seed=seed, drops=drops)
            check_plugins_allowed(cfg, allow_plugins)  # before any work (docs/slots.md)
            check_scheduler_address(scheduler, "--scheduler")
            sizing = estimate_size if no_size_check else check_size
            est = sizing(cfg, chunk_ues=chunk_ues, workers=workers, scheduler=scheduler)
        out_dir = out if out is not None else Path("results") / cfg.name
        _lib.check_output(out_dir, force=force)  # refuse before any work (checked again under the lock)
    except NrsimError as exc:
        _fail(exc)
    console.print(
        f"[bold]nrsim {nrsim.__version__}[/] scenario [cyan]{escape(cfg.name)}[/] "
        f"(config {nrsim.config_hash(cfg)}, seed {cfg.seed}, {cfg.drops} drops)"
    )
    if is_long(est):
        console.print(escape("estimate: " + "\n  ".join(estimate_lines(est))), highlight=False, soft_wrap=True)
    with Progress(*progress_columns(), console=console, transient=False) as bar:
        label = ("time steps" if cfg.mobility.enabled else "slots") if cfg.slots.enabled else (
            "time steps" if cfg.mobility.enabled else "UE chunks")
        task = bar.add_task(label, total=None)
        try:
            with warnings_as_lines(err_console):
                result = nrsim.run(
                    cfg,
                    out_dir=out_dir,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                    workers=workers,
                    scheduler=scheduler,
                    chunk_ues=chunk_ues,
                    force=force,
                    size_check=False,  # checked above
                    status=lambda text: bar.update(task, description=text),
                    allow_plugins=allow_plugins,
                )
        except ExecutionError as exc:  # e.g. every Dask worker lost: finished chunks are kept
            _fail(exc, 1)
        except (NrsimError, OSError) as exc:  # OSError: an output path that cannot be written
            _fail(exc)
    _print_kpis(result.summary)
    console.print(f"results in [green]{escape(str(out_dir))}[/]")
    if report:
        command_function("report")(out_dir)


def _print_kpis(summary: dict) -> None:
    k = summary["kpis"]
    if "mobility" in k and "n_ue" not in k:
        m = k["mobility"]
        table = Table(title=f"Mobility KPIs: {summary['scenario']} ({m['n_ue']} UEs, {m['duration_s']:g} s)")
        table.add_column("metric")
        table.add_column("value", justify="right")
        for key, label in [
            ("handovers_per_ue_per_min", "handovers per UE per minute"),
            ("handover_failure_rate", "handover failure rate"),
            ("failure_preparation", "failures in preparation"),
            ("failure_execution", "failures in execution"),
            ("too_early", "too-early handovers"),
            ("wrong_cell", "wrong-cell handovers"),
            ("too_late", "too-late handovers"),
            ("ping_pong_rate", "ping-pong rate"),
            ("rlf_per_ue_hour", "RLF per UE-hour"),
            ("outage_share", "time in outage (share)"),
        ]:
            if key in m:  # the failure classes: results written before they existed lack them
                table.add_row(label, f"{m[key]:.4g}")
        console.print(table)
        if "calls" in k:
            c = k["calls"]
            console.print(
                f"video calls: {c['n_calls']} calls ({c['calls_per_cell']:.2f} per cell), satisfied "
                f"{c['satisfied_share']:.3f} (DL {c['dl_satisfied_share']:.3f}, UL {c['ul_satisfied_share']:.3f}; "
                f"with a handover {c['satisfied_share_with_handover']:.3f}, without "
                f"{c['satisfied_share_without_handover']:.3f})")
        _print_capacity(k)
        return
    table = Table(title=f"KPIs: {summary['scenario']} ({k['n_ue']} UEs, {k['n_cells']} cells)")
    table.add_column("metric")
    for p in ("5", "50", "95"):
        table.add_column(f"{p} %", justify="right")
    labels = {
        "coupling_loss_db": ("coupling loss [dB]", 1.0),
        "rsrp_dbm": ("RSRP [dBm]", 1.0),
        "sinr_db": ("SINR [dB]", 1.0),
        "sir_db": ("SIR (geometry) [dB]", 1.0),
        "throughput_bps": ("throughput [Mbit/s]", 1e-6),
    }

    for key, (label, scale) in labels.items():
        pc = k["percentiles"][key]
        table.add_row(escape(label), *(kpi_cell(pc[p], scale) for p in ("5", "50", "95")))
    console.print(table)
    for line in note_lines(k):
        console.print(line)
    console.print(
        f"cell spectral efficiency {k['cell_spectral_efficiency_bps_per_hz']:.3f} bit/s/Hz/cell, "
        f"5th-percentile user spectral efficiency "
        f"{k['user_spectral_efficiency_5pct_bps_per_hz']:.4f} bit/s/Hz, "
        f"LOS share {k['los_share']:.2f}, outage share {k['outage_share']:.3f}"
    )
    if "slots" in k:
        sl = k["slots"]
        thr = sl["user_throughput_bps"]
        console.print(
            f"slot simulation ({sl['n_slots']} slots, {sl['scheduler']}, {sl['traffic']}): user throughput "
            f"5 % {thr['5'] / 1e6:.2f} / median {thr['50'] / 1e6:.2f} / mean {thr['mean'] / 1e6:.2f} Mbit/s, "
            f"cell SE {sl['cell_spectral_efficiency_bps_per_hz']:.3f} bit/s/Hz/cell, 5th-percentile "
            f"user SE {sl['user_spectral_efficiency_5pct_bps_per_hz']:.4f} bit/s/Hz, "
            f"first-transmission BLER {sl['bler_first_tx']:.3f}"
        )
        if sl.get("video"):
            console.print(f"video calls: {sl['video']['n_calls']} calls, satisfied {sl['video']['satisfied_share']:.3f}")
    _print_capacity(k)


def _print_capacity(k: dict) -> None:
    v = k.get("video_capacity")
    if not v:
        return
    shares = [p.get("satisfied_share") for p in v.get("points", [])]
    target = v["target_satisfied_share"]
    if not v.get("reached", True):
        console.print(f"capacity: none, even the lightest load point has fewer than {target:.0%} of calls "
                      "satisfied (coverage- rather than load-limited; capacity.parquet)")
        return
    cap = v["capacity_calls_per_cell"]
    at_least = bool(shares) and all(x is not None and x >= target for x in shares)
    console.print(f"capacity: {'at least ' if at_least else ''}{cap:.2f} calls per cell keep {target:.0%} of calls "
                  f"satisfied{' (every point meets it)' if at_least else ''} (capacity.parquet)")


def presets(
    full: Annotated[bool, typer.Option("--full", help="Show each preset's full description.")] = False,
) -> None:
    """List the shipped presets by family, with a one-line summary each (--full: the whole description)."""
    descriptions = list_presets()
    catalogue = preset_catalogue()
    width = max(len(entry.name) for entry in catalogue)
    for family in dict.fromkeys(entry.family for entry in catalogue):
        table = Table(title=family, title_justify="left", title_style="bold", show_header=False)
        table.add_column("preset", style="cyan", no_wrap=True, min_width=width)
        table.add_column("description" if full else "summary")
        for entry in catalogue:
            if entry.family == family:
                table.add_row(entry.name, descriptions[entry.name] if full else entry.summary)
        console.print(table)
    console.print("Run one with: nrsim run PRESET   (e.g. nrsim run single-site)")


def validate(
    scenario: Annotated[str, typer.Argument(help="TOML file or preset name.", autocompletion=complete_scenario)],
    set_: SetOption = None,
) -> None:
    """Validate a scenario file (and overrides) without running it."""
    try:
        with loading(console, scenario), model_warnings(err_console):
            cfg = nrsim.load_config(scenario, set_ or [])
            est = check_size(cfg)
    except NrsimError as exc:
        _fail(exc)
    code = describe_named_code(cfg)
    console.print(f"[green]ok[/]: {escape(scenario)} is valid (scenario {cfg.name}, config {nrsim.config_hash(cfg)}"
                  f"{'; ' + escape(code) if code else ''})", soft_wrap=True)
    console.print(escape("estimate: " + "\n  ".join(estimate_lines(est))), highlight=False, soft_wrap=True)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)
