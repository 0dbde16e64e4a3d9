"""``nrsim compare A B``: a thin Typer wrapper over :func:`nrsim.compare.compare`.

Exit codes: 0 written; 2 bad input (one line on stderr, nothing written)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from nrsim.cli._output import ForceOption, warnings_as_lines
from nrsim.cli.format import kpi_cell, kpi_delta_cell, note_lines
from nrsim.cli.errors import print_error
from nrsim.errors import NrsimError
from nrsim.compare import compare as run_compare
from nrsim.cli.policy import compare_policy_results
from nrsim.policy.compare import is_policy_result

console = Console()
err_console = Console(stderr=True)

_Set = Optional[list[str]]


def compare(
    a: Annotated[str, typer.Argument(help="Scenario A: preset, TOML file or result folder.")],
    b: Annotated[str, typer.Argument(help="Scenario B: preset, TOML file or result folder.")],
    set_: Annotated[_Set, typer.Option("--set", "-s", help="Override for both A and B (repeatable).")] = None,
    set_a: Annotated[_Set, typer.Option("--set-a", help="Override for A only (repeatable).")] = None,
    set_b: Annotated[_Set, typer.Option("--set-b", help="Override for B only, e.g. "
                                        "--set-b sites.exclude_vendor=vendor-b (repeatable).")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default results/compare-A-vs-B).")] = None,
    force: ForceOption = False,
    allow_plugins: Annotated[bool, typer.Option("--allow-plugins", help="Run Python code a scenario names "
                                                "(a scheduler plugin).")] = False,
) -> None:
    """Compare two scenarios on the same UE drops and seed: KPI deltas, users and area that
    lose coverage or fall below the throughput threshold, difference maps, HTML report."""
    target = out if out is not None else Path("results") / f"compare-{Path(a).stem}-vs-{Path(b).stem}"
    if is_policy_result(a) or is_policy_result(b):  # two nrsim policy results: docs/policy.md
        compare_policy_results(a, b, target, force, [*(set_ or []), *(set_a or []), *(set_b or [])])
        return
    try:
        with warnings_as_lines(err_console):
            res = run_compare(a, b, overrides=set_ or [], overrides_a=set_a or [], overrides_b=set_b or [],
                              out_dir=target, force=force, allow_plugins=allow_plugins)
    except (NrsimError, OSError) as exc:  # OSError: an output path that cannot be written
        print_error(err_console, exc)
        raise typer.Exit(2)
    t = Table(title="B - A")
    for c in ("metric", "5 %", "50 %", "95 %"):
        t.add_column(c, justify="right")
    for key, pcs in res["kpi_deltas"]["percentiles"].items():
        s = 1e-6 if key == "throughput_bps" else 1.0
        t.add_row(key, *(kpi_delta_cell(pcs[p]["delta"], s) if p in pcs else "" for p in ("5", "50", "95")))
    if len(t.rows):
        console.print(t)
    for key, v in res["kpi_deltas"].items():  # call runs: scalar call and mobility KPIs
        if key != "percentiles" and "." in key:
            console.print(f"{key}: A {kpi_cell(v['a'], spec='.4g')}, B {kpi_cell(v['b'], spec='.4g')}, "
                          f"B - A {kpi_delta_cell(v['delta'])}")
    u, ar = res["users"], res["area"]
    if u.get("paired") and "n_calls" in u:
        console.print(f"calls losing satisfaction {u['share_calls_lose_satisfaction']:.3%}, gaining "
                      f"{u['share_calls_gain_satisfaction']:.3%} (of {u['n_calls']} paired calls)")
    elif u.get("paired"):
        console.print(f"users losing coverage {u['share_lose_coverage']:.3%}, falling below "
                      f"{u['throughput_threshold_mbps']:g} Mbit/s {u['share_fall_below_throughput']:.3%}")
    console.print(f"area losing coverage {ar['share_lose_coverage']:.3%} of {ar['area_km2']:.2f} km2")
    for side, notes in res.get("notes", {}).items():
        for line in note_lines({"notes": notes}):
            console.print(f"{side}: {line}")
    console.print(f"report in [green]{escape(str(target / 'report.html'))}[/]")
