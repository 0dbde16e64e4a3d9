"""``nrsim calibrate``: a thin Typer wrapper over :func:`nrsim.calibration.calibrate`.

Registered on the app in :mod:`nrsim.cli.app`. Exit codes: 0 every compared percentile
passes; 1 one fails; 2 bad input (one line on stderr, nothing written).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from nrsim.cli._output import ForceOption, progress_columns, warnings_as_lines
from nrsim.cli.errors import print_error
from nrsim.errors import ConfigError, NrsimError
from nrsim.calibration.full import FULL_CASES, format_table, full_calibration
from nrsim.calibration import CASES, METRICS, reference_for
import nrsim
from nrsim.calibration import calibrate as run_calibration
from nrsim.calibration import case_config, resolve_cases
from nrsim.kpi.outdir import check_output

console = Console()
err_console = Console(stderr=True)

DEFAULT_OUT = Path("results") / "calibration"


def _fail(exc: Exception, code: int = 2) -> None:
    print_error(err_console, exc)  # one line (nrsim.cli.errors)
    raise typer.Exit(code)


def _num(x: float | None, fmt: str = "{:.2f}") -> str:
    return "" if x is None or not math.isfinite(x) else fmt.format(x)


def _print_cases() -> None:
    short = {"company-spread": "band", "industry-average": "average"}
    table = Table(
        title="TR 38.901 Table 7.8-1 large-scale calibration cases",
        caption_justify="left",
        caption=(
            "3GPP reference (R1-165974): band = company mean with min..max pass band; "
            "average = industry average, +-2 dB (coupling loss) / +-0.8 dB (SIR, SINR); "
            "none = no 3GPP reference (nrsim's percentiles are still reported)"
        ),
    )
    table.add_column("case", style="cyan", no_wrap=True)
    table.add_column("scenario")
    table.add_column("GHz", justify="right")
    for label in ("coupling loss", "SIR", "SINR"):
        table.add_column(label, no_wrap=True)
    for case in CASES.values():
        refs = []
        for key in METRICS:
            ref = reference_for(case.scenario, case.fc_ghz, key)
            refs.append("[dim]none[/]" if ref is None else short.get(ref.source, ref.source))
        table.add_row(case.name, case.label, f"{case.fc_ghz:g}", *refs)
    console.print(table)


_SHORT_METRIC = {
    "coupling_loss_db": "coupling loss",
    "sir_db": "SIR (no noise)",
    "sinr_db": "SINR (noise)",
}


def _print_case(cr) -> None:
    verdict = {True: "[green]pass[/]", False: "[bold red]FAIL[/]", None: "[dim]no 3GPP reference[/]"}
    table = Table(
        title=(
            f"{cr.case.name}: {cr.case.label}, {cr.case.fc_ghz:g} GHz "
            f"({cr.n_ue:,} UEs, {cr.config.drops} drops, seed {cr.config.seed}): {verdict[cr.passed]}"
        ),
        title_justify="left",
    )
    table.add_column("metric", no_wrap=True)
    table.add_column("%", justify="right", no_wrap=True)
    table.add_column("nrsim", justify="right", no_wrap=True)
    table.add_column("3GPP", justify="right", no_wrap=True)
    table.add_column("pass band", justify="right", no_wrap=True)
    table.add_column("diff", justify="right", no_wrap=True)
    table.add_column("result", no_wrap=True)
    for key, mr in cr.metrics.items():
        for j, c in enumerate(mr.checks):
            name = _SHORT_METRIC.get(key, key) if j == 0 else ""
            if mr.reference is None:
                ref = "[dim]no 3GPP reference[/]" if j == 0 else ""
                band = res = ""
            else:
                ref = _num(c.reference_db)
                if c.band_min_db is not None:
                    band = f"{_num(c.band_min_db)}..{_num(c.band_max_db)}"
                else:
                    band = f"+-{_num(c.tolerance_db, '{:.1f}')}"
                res = "[green]pass[/]" if c.passed else "[bold red]FAIL[/]"
            table.add_row(
                name, f"{c.percent:g}", _num(c.simulated_db), ref, band, _num(c.difference_db), res
            )
        table.add_section()
    console.print(table)
    console.print(
        "[dim]dB; coupling loss in the 3GPP sign (negative); pass band = 3GPP company "
        "min..max, +-tol = allowed distance from the industry average[/]"
    )


def calibrate(
    cases: Annotated[
        Optional[list[str]],
        typer.Argument(help="Cases to run, e.g. uma-6ghz umi-30ghz (default: all nine; see --list)."),
    ] = None,
    drops: Annotated[
        Optional[int],
        typer.Option(help="Drops per case (default: enough for about 100,000 UEs per case)."),
    ] = None,
    seed: Annotated[Optional[int], typer.Option(help="Root random seed (default: the presets').")] = None,
    out: Annotated[
        Optional[Path],
        typer.Option(help=f"Result folder (default {DEFAULT_OUT}); holds calibration.json."),
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the calibration cases and exit.")] = False,
    force: ForceOption = False,
    full: Annotated[
        bool,
        typer.Option("--full", help="Run the 7.8.2 full (phase-2) calibration instead (default cases "
                     "uma-6ghz umi-6ghz inh-6ghz, BS antenna configs 1 and 2; --drops default 1) "
                     "and print simulated vs 3GPP percentiles; writes nothing."),
    ] = False,
    set_: Annotated[
        Optional[list[str]],
        typer.Option("--set", "-s", help="With --full: dotted override of every case, e.g. --set "
                     "channel.blockage=model_a (the clustered channel's 7.6 options; repeatable)."),
    ] = None,
) -> None:
    """Reproduce the TR 38.901 Table 7.8-1 large-scale calibration and compare it with 3GPP
    R1-165974: coupling loss, geometry SIR and SINR at 5/10/50/90/95 %."""
    if set_ and not full:
        _fail(ConfigError("--set applies to --full only (the large-scale cases run their presets as "
                          "published)", field="set"))
    if full:
        try:
            res = full_calibration(cases or FULL_CASES, drops=drops or 1, seed=seed, overrides=tuple(set_ or ()))
        except NrsimError as exc:
            _fail(exc)
        print(format_table(res))
        return
    if list_:
        _print_cases()
        return
    try:  # validate every input before running or writing anything
        chosen = resolve_cases(cases)
        total_drops = sum(case_config(c, drops=drops, seed=seed).drops for c in chosen)
        out_dir = out if out is not None else DEFAULT_OUT
        check_output(out_dir, force=force)
    except NrsimError as exc:
        _fail(exc)
    console.print(
        f"[bold]nrsim {nrsim.__version__}[/] calibration: {len(chosen)} case(s), "
        f"{total_drops} drops in all"
    )
    with Progress(*progress_columns(), console=console, transient=False) as bar:
        all_task = bar.add_task("all drops", total=total_drops)
        case_task = bar.add_task("case", total=1)
        state = {"base": 0, "case": None}

        def progress(name: str, i: int, n: int, done: int, total: int) -> None:
            if state["case"] != name:
                if state["case"] is not None:
                    state["base"] += bar.tasks[case_task].total or 0
                state["case"] = name
                bar.update(case_task, description=f"{name} ({i + 1}/{n})", total=total, completed=0)
            bar.update(case_task, completed=done)
            bar.update(all_task, completed=state["base"] + done)

        try:
            with warnings_as_lines(err_console):
                result = run_calibration(
                    [c.name for c in chosen], drops=drops, seed=seed, out_dir=out_dir, progress=progress,
                    force=force,
                )
        except (NrsimError, OSError) as exc:  # OSError: an output path that cannot be written
            _fail(exc)
    for cr in result.cases:
        _print_case(cr)
    checks = [c for c in result.checks if c.passed is not None]
    n_pass = sum(bool(c.passed) for c in checks)
    no_ref = [
        f"{cr.case.name} {key}" for cr in result.cases for key, mr in cr.metrics.items()
        if mr.reference is None
    ]
    console.print(
        f"{n_pass} of {len(checks)} compared percentiles pass"
        + (f"; no 3GPP reference for {len(no_ref)} case metric(s)" if no_ref else "")
    )
    console.print(f"results in [green]{escape(str(out_dir))}[/] (calibration.json)")
    if not result.passed:
        raise typer.Exit(1)
