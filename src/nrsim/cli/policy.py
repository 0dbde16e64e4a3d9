"""``nrsim policy SCENARIO POLICY``: a thin Typer wrapper over :func:`nrsim.policy.run_policy`.

Exit codes: 0 written; 1 the run could not finish (e.g. every Dask worker lost; finished
stages are kept and the same command resumes); 2 bad input, including a policy that cannot
be met (one line on stderr, nothing written)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from nrsim.cli._output import ForceOption, warnings_as_lines
from nrsim.cli.errors import print_error
from nrsim.errors import ConfigError, ExecutionError, NrsimError
from nrsim.boundary import check_scheduler_address
from nrsim.kpi.outdir import check_output
from nrsim.policy.compare import compare_policies
from nrsim.policy.report import KPI_LABELS, fmt_num
from nrsim.policy.run import prepare, run_policy

console = Console()
err_console = Console(stderr=True)

_Set = Optional[list[str]]


def policy(
    scenario: Annotated[str, typer.Argument(help="Scenario with a site list: preset or TOML file.")],
    policy_file: Annotated[str, typer.Argument(metavar="POLICY", help="Policy preset (e.g. london-2027) or TOML file.")],
    strategy: Annotated[Optional[str], typer.Option(help="Swap order: traffic, cluster, sensitivity, age, plugin "
                                                    "(default: the policy's).")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default results/policy-<policy>-<strategy>).")] = None,
    set_: Annotated[_Set, typer.Option("--set", "-s", help="Scenario override (repeatable).")] = None,
    set_policy: Annotated[_Set, typer.Option("--set-policy", help="Policy override, e.g. --set-policy "
                                             "swap.sites_per_crew_month=4 (repeatable).")] = None,
    workers: Annotated[int, typer.Option(help="Dask worker processes on this machine (0 = serial).")] = 0,
    scheduler: Annotated[Optional[str], typer.Option(help="Address of an existing Dask scheduler.")] = None,
    force: ForceOption = False,
    allow_plugins: Annotated[bool, typer.Option("--allow-plugins", help="Run Python code the scenario or policy "
                                                "names (a scheduler or order plugin).")] = False,
) -> None:
    """Plan a vendor-restriction policy month by month and evaluate every stage."""

    try:
        with warnings_as_lines(err_console):
            check_scheduler_address(scheduler, "--scheduler")
            _, pol, _, _, _ = prepare(scenario, policy_file, overrides=set_ or [], policy_overrides=set_policy or [],
                                      strategy=strategy, allow_plugins=allow_plugins)
            target = out if out is not None else Path("results") / f"policy-{pol.name}-{pol.strategy.order}"
            check_output(target, force=force)
    except NrsimError as exc:
        print_error(err_console, exc)
        raise typer.Exit(2)
    try:
        with warnings_as_lines(err_console):
            res = run_policy(scenario, policy_file, overrides=set_ or [], policy_overrides=set_policy or [],
                             strategy=strategy, out_dir=target, workers=workers, scheduler=scheduler, force=force,
                             allow_plugins=allow_plugins)
    except ExecutionError as exc:
        print_error(err_console, exc)
        raise typer.Exit(1)
    except (NrsimError, OSError) as exc:
        print_error(err_console, exc)
        raise typer.Exit(2)
    s = res.summary
    console.print(f"policy {escape(s['policy'])} on {escape(s['scenario'])} ({s['strategy']} order): "
                  f"{s['swaps']} swaps, last in {s['last_swap']}, {s['n_stages_simulated']} stages simulated; "
                  f"cost {s['cost']['total']:,.0f} {escape(s['cost']['currency'])}", highlight=False)
    for k, w in s["worst_month"].items():
        scale, unit = (1e-6, " Mbit/s") if k.endswith("_bps") else (1.0, "")
        console.print(f"  worst {k}: {w['value'] * scale:.4g}{unit} at {w['date']} (baseline "
                      f"{w['baseline'] * scale:.4g}{unit})", highlight=False)
    console.print(f"results in [green]{escape(str(target))}[/]")


_SHORT = {"coverage_user_share": "users covered", "coverage_area_share": "area covered",
          "throughput_median_bps": "median Mbit/s", "throughput_p5_bps": "5 % Mbit/s",
          "video_satisfied_share": "video (proxy)", "video_call_satisfied_share": "video (slots)"}


def compare_policy_results(a: str, b: str, target: Path, force: bool, overrides: list[str]) -> None:
    """``nrsim compare`` of two policy result folders: the table of worst months, mean losses,
    cost and vendor borders; exit 2 on bad input (also ``--set`` overrides, which a result
    folder cannot take)."""
    try:
        with warnings_as_lines(err_console):
            if overrides:
                raise ConfigError("policy result folders cannot take --set/--set-a/--set-b overrides", field="--set")
            res = compare_policies(a, b, out_dir=target, force=force)
    except (NrsimError, OSError) as exc:
        print_error(err_console, exc)
        raise typer.Exit(2)
    ra, rb = res["a"], res["b"]
    t = Table(title=f"A: {escape(ra['strategy'])} order vs B: {escape(rb['strategy'])} order ({escape(ra['policy'])})")
    for c in ("KPI", "baseline", "A worst", "B worst", "A mean loss", "B mean loss"):
        t.add_column(c, justify="right")
    for k, v in res["kpis"].items():
        f = KPI_LABELS[k][1]
        w, m = v["worst"], v["mean_loss"]
        t.add_row(_SHORT.get(k, k), f(v["baseline"]), f"{f(w['a'])} {w['a_date'][:7]}", f"{f(w['b'])} {w['b_date'][:7]}",
                  f(m["a"]), f(m["b"]))
    c, ba, bb = res["cost"], res["vendor_borders"]["a"], res["vendor_borders"]["b"]
    t.add_row(f"cost [{escape(str(c['currency']))}]", "", fmt_num(c["a"]), fmt_num(c["b"]), "", "")
    t.add_row("vendor borders", str(ba["baseline"]), f"{ba['max']} ({ba['mean']:.1f})",
              f"{bb['max']} ({bb['mean']:.1f})", "", "")
    console.print(t)
    console.print("vendor borders: inter-vendor neighbour relations, baseline and max (mean) over the stages",
                  highlight=False)
    p = res["plan"]
    console.print(f"{p['swapped_in_another_month']} of {p['swapped_in_both']} sites swapped in another month "
                  f"(mean {p['mean_abs_month_difference']:.1f} months apart)", highlight=False)
    console.print(f"report in [green]{escape(str(target / 'policy_compare.html'))}[/]")
