"""The coverage GeoTIFFs of a result folder as xarray DataArrays (for notebooks).

Optional dependencies: ``pip install nrsim[xarray]`` (xarray, rioxarray), imported only here.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from nrsim.errors import ConfigError
import pandas as pd

LONG_NAMES = {
    "coverage_rsrp_dbm": ("best-server RSRP, one shadowing draw", "dBm"),
    "coverage_sinr_db": ("SINR, one shadowing draw", "dB"),
    "coverage_serving_cell": ("serving cell index, one shadowing draw", "1"),
    "coverage_throughput_mbps": ("expected user throughput", "Mbit/s"),
    "coverage_best_ssb_beam": ("best SSB beam of the serving cell, one shadowing draw", "1"),
    "coverage_median_rsrp_dbm": ("median best-server RSRP", "dBm"),
    "coverage_dominant_cell": ("dominant cell index (largest median RSRP)", "1"),
}
INDEX_MAPS = ("coverage_serving_cell", "coverage_dominant_cell")


def _require():
    try:
        import rioxarray  # noqa: F401
        import xarray  # noqa: F401
    except ImportError as exc:
        raise ImportError("nrsim.read_result(...).maps() and nrsim.export.open_maps need xarray and rioxarray: pip install 'nrsim[xarray]'") from exc


def open_maps(result_dir: str | Path) -> dict[str, object]:
    """Every ``coverage_*.tif`` of a result folder (written by ``nrsim report``), keyed by file
    stem, as a 2-D ``xarray.DataArray`` [y, x], loaded into memory: x / y coordinates of the
    pixel centres [m] in the run's CRS (``.rio.crs``, also the ``spatial_ref`` coordinate; none
    for a generated layout), attributes ``long_name`` and ``units``, nodata as NaN (the index
    maps keep their integer values with ``_FillValue`` as nodata and carry the lookup table
    ``coverage_best_server_lookup.csv`` as ``attrs["lookup"]``: index -> cell_id).
    Raises :class:`ConfigError` for a folder without coverage GeoTIFFs and ImportError with
    the install hint when the extra is missing."""
    _require()
    import rioxarray

    folder = Path(result_dir)
    files = sorted(folder.glob("coverage_*.tif")) if folder.is_dir() else []
    if not files:
        raise ConfigError(f"{folder}: no coverage GeoTIFFs (coverage_*.tif); run `nrsim report {folder}` first",
                          field="RESULT_DIR")
    lookup = None
    if (folder / "coverage_best_server_lookup.csv").is_file():

        t = pd.read_csv(folder / "coverage_best_server_lookup.csv", keep_default_na=False, dtype={"cell_id": str})
        lookup = dict(zip(t["index"].tolist(), t["cell_id"].tolist(), strict=True))
    out = {}
    for p in files:
        stem = p.stem
        index = stem in INDEX_MAPS
        with warnings.catch_warnings():  # rioxarray's own use of affine's deprecated `*`
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            with rioxarray.open_rasterio(p, masked=not index) as da:
                arr = da.squeeze("band", drop=True).load()
        desc = arr.attrs.get("long_name") or ""
        name, units = LONG_NAMES.get(stem, (None, None))
        if name is None:  # probability layers: the band description says which threshold
            name, units = (desc if isinstance(desc, str) and desc else stem), "1"
        arr.attrs["long_name"] = name
        arr.attrs["units"] = units
        arr.x.attrs.update(units="m", long_name="easting" if arr.rio.crs else "x (local, east)")
        arr.y.attrs.update(units="m", long_name="northing" if arr.rio.crs else "y (local, north)")
        if index and lookup is not None:
            arr.attrs["lookup"] = lookup
        arr.name = stem
        out[stem] = arr
    return out
