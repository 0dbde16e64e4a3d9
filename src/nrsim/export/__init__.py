"""GIS exports of a result folder (``nrsim export``) and an xarray view of its maps.

:func:`export_result` writes sites, cell wedges, UE points and coverage class polygons as
GeoPackage, GeoJSON, KML or CSV (docs/sites.md, "GIS exports"); :func:`open_maps` gives the
coverage GeoTIFFs as xarray DataArrays with their CRS (optional extra ``nrsim[xarray]``).
"""

from __future__ import annotations

from pathlib import Path

from nrsim.errors import ConfigError, OutputPathError
from nrsim.export.features import LAYERS, available_layers, build_layers, parse_layers, read_result_geo
from nrsim.coverage.xarray_maps import open_maps
from nrsim.export.writers import FORMATS, write_layers

__all__ = ["FORMATS", "LAYERS", "default_export_path", "export_result", "open_maps"]


def default_export_path(result_dir: str | Path, fmt: str) -> Path:
    """``RESULT_DIR/export.gpkg``, ``export.kml``, or the folders ``export-geojson/`` and
    ``export-csv/``."""
    name = {"gpkg": "export.gpkg", "kml": "export.kml", "geojson": "export-geojson", "csv": "export-csv"}[fmt]
    return Path(result_dir) / name


def export_result(result_dir: str | Path, fmt: str = "gpkg", *, out: str | Path | None = None,
                  layers: str | list[str] | None = None, wedge_radius_m: float | None = None,
                  force: bool = False) -> Path:
    """Export a result folder of :func:`nrsim.run` as ``fmt`` (one of :data:`FORMATS`) to
    ``out`` (default :func:`default_export_path`); ``layers``: names or a comma-separated
    string of :data:`LAYERS` (default: every layer the folder has; ``coverage`` needs the
    GeoTIFFs of ``nrsim report``); ``wedge_radius_m``: radius of every cell wedge (default a
    third of the site's local inter-site distance). Returns the path written.

    Everything is checked before anything is written: a folder that is not an nrsim result,
    an unknown format or layer, GeoJSON/KML of a run without a geographic origin raise
    :class:`~nrsim.errors.ConfigError`; an existing ``out`` without ``force`` raises
    :class:`~nrsim.errors.OutputPathError`. The output appears atomically."""
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r}: allowed {', '.join(FORMATS)}", field="--format")
    if wedge_radius_m is not None and not (0.0 < float(wedge_radius_m) <= 100_000.0):
        raise ConfigError(f"--wedge-radius-m {wedge_radius_m!r}: allowed 0 < radius <= 100000 m",
                          field="--wedge-radius-m")
    rg = read_result_geo(result_dir)
    names = parse_layers(",".join(layers) if isinstance(layers, (list, tuple)) else layers, available_layers(rg))
    if fmt in ("geojson", "kml") and rg.epsg is None:
        raise ConfigError(f"--format {fmt}: this result has no geographic origin (a generated layout in a local "
                          "frame) and GeoJSON/KML need WGS84; use --format gpkg or csv", field="--format")
    target = Path(out) if out is not None else default_export_path(result_dir, fmt)
    if (target.exists() or target.is_symlink()) and not force:
        raise OutputPathError(f"{target}: exists; pass --force to replace it", path=str(target))
    built = build_layers(rg, names, wedge_radius_m=wedge_radius_m)
    return write_layers(built, fmt, target, epsg=rg.epsg, title=f"nrsim: {rg.cfg.name}")
