"""``nrsim report RESULTS_DIR``: a thin Typer wrapper over :func:`nrsim.report.html.write_report`.

Exit codes: 0 written; 2 bad input (one line on stderr, nothing written)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from nrsim.cli.errors import print_error
from nrsim.errors import NrsimError
from nrsim.report.html import write_report

console = Console()
err_console = Console(stderr=True)


def report(
    results_dir: Annotated[Path, typer.Argument(help="Result folder of `nrsim run`.")],
    out: Annotated[Optional[Path], typer.Option(help="HTML file (default RESULTS_DIR/report.html).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace --out even when it is not an nrsim report.")] = False,
    basemap: Annotated[Optional[str], typer.Option(
        help="XYZ tile URL template for an opt-in basemap, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png "
             "(off by default: without it the report makes no network request).")] = None,
    classes: Annotated[Optional[list[str]], typer.Option(
        "--classes", help="Class breaks of the map legend, NAME=v1,v2,... with NAME rsrp, sinr, throughput, "
                          "probability (%) or delta; repeatable.")] = None,
) -> None:
    """Write one self-contained offline HTML report (map, coverage layers, KPIs, CDFs, config)
    and the coverage GeoTIFFs into a result folder."""
    try:
        path = write_report(results_dir, out=out, force=force, basemap=basemap, classes=classes or ())
    except (NrsimError, OSError) as exc:  # OSError: an output path that cannot be written
        print_error(err_console, exc)
        raise typer.Exit(2)
    console.print(f"report in [green]{escape(str(path))}[/] ({path.stat().st_size / 1e6:.2f} MB)")
