"""``nrsim export RESULT_DIR --format gpkg|geojson|kml|csv``: a thin Typer wrapper over
:func:`nrsim.export.export_result`.

Exit codes: 0 written; 2 bad input (one line on stderr, nothing written)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from nrsim.cli.errors import print_error
from nrsim.errors import NrsimError
from nrsim.export import export_result

console = Console()
err_console = Console(stderr=True)


def export(
    results_dir: Annotated[Path, typer.Argument(help="Result folder of `nrsim run`.")],
    format: Annotated[str, typer.Option("--format", help="gpkg, geojson, kml or csv.")] = "gpkg",
    out: Annotated[Optional[Path], typer.Option(help="File (gpkg, kml) or folder (geojson, csv); default "
                                                     "RESULTS_DIR/export.gpkg, export.kml, export-geojson/, "
                                                     "export-csv/.")] = None,
    layers: Annotated[Optional[str], typer.Option(help="Comma-separated: sites,cells,ues,coverage (default: all "
                                                       "the folder has; coverage needs `nrsim report` first).")] = None,
    wedge_radius_m: Annotated[Optional[float], typer.Option(help="Radius of the cell wedges [m] (default: a third "
                                                                 "of each site's local inter-site distance).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out.")] = False,
) -> None:
    """Export sites, cell wedges, UE points and coverage class polygons for GIS tools."""

    try:
        path = export_result(results_dir, format, out=out, layers=layers, wedge_radius_m=wedge_radius_m, force=force)
    except (NrsimError, OSError) as exc:  # OSError: an output path that cannot be written
        print_error(err_console, exc)
        raise typer.Exit(2)
    console.print(f"{format} export in [green]{escape(str(path))}[/]")
