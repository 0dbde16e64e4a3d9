"""Site lists: one row per cell with WGS84 coordinates (CSV or GeoJSON), validated in one
pass, projected to the local UTM frame and turned into a :class:`Layout`.

Format (docs/sites.md; example ``src/nrsim/data/sites/example-sites.csv``):

=================  ========  =====================================================  =========
column             required  meaning and allowed values                              default
=================  ========  =====================================================  =========
site_id            yes       site name; cells of one site share lat, lon, height
cell_id            yes       cell name, unique in the file
lat, lon           yes       WGS84 [deg], -90..90 and -180..180
height_m           yes       antenna height above ground [m], 1..300
azimuth_deg        yes       compass azimuth of the boresight [deg, clockwise from
                             north], 0..360
mech_tilt_deg      no        mechanical downtilt [deg, positive down], -90..90       config
elec_tilt_deg      no        electrical downtilt [deg below horizon], -90..90        config
tx_power_dbm       no        total transmit power of the cell [dBm], -30..80          config
fc_ghz             no        carrier [GHz]; must equal ``channel.fc_ghz``            config
bandwidth_mhz      no        channel bandwidth [MHz]; must equal the config's        config
antenna_model      no        BS array type of the cell when it names one             ""
                             (``single-column``, ``4T4R``, ``32T32R``, ``32T32R-8x4``,
                             ``64T64R``); any other text is a label (the cell has
                             ``antenna.array``), except an NTMR-like name that is no
                             array type (``32t32r``, ``8T8R``): an error
vendor, operator   no        labels (``sites.exclude_vendor`` / ``exclude_operator``) ""
environment        no        ``uma``, ``umi`` or ``rma``; needed with scenario mixed  config
=================  ========  =====================================================  =========

GeoJSON: a FeatureCollection of Point features, one per cell, with the columns above as
properties; lat and lon come from the point (``[lon, lat]``) unless given as properties.
Rows are numbered from 1 in file order (CSV: the first line after the header is row 1;
GeoJSON: the first feature).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nrsim.channel.tr38901.arrays import BS_ARRAY_NAMES
from nrsim.channel.tr38901.scenarios import SCENARIOS
from nrsim.deployment.geo import (
    LocalProjection,
    check_projection_span,
    compass_to_bearing_deg,
    local_projection,
)
from nrsim.deployment.layout import Layout
from nrsim.config.loading import decode_utf8
from nrsim.errors import ConfigError, show_value

EXCLUDED_TX_POWER_DBM = -300.0
"""Transmit power given to excluded cells: 1e-30 mW, far below any noise floor, so the cell
neither serves nor interferes, while its index (and every link's random draws) stays."""

MAX_REPORTED_PROBLEMS = 200
"""Problems listed in one error message (the count of the rest is given)."""

ENVIRONMENTS = tuple(k for k, row in SCENARIOS.items() if not row.indoor)
"""Site environments: the outdoor scenarios of the registry (uma, umi, rma)."""

ARRAY_LIKE = re.compile(r"^\s*\d+\s*t\s*\d+\s*r|^\s*single[\s_-]*column\s*$", re.IGNORECASE)
"""An ``antenna_model`` that looks like an array type (``<n>T<m>R...``, ``single column``):
it must be one of :data:`nrsim.channel.tr38901.arrays.BS_ARRAY_NAMES` exactly, so that a typo
is an error and not a silent single-column cell."""

FIELD = "deployment.sites_file"
"""The config field that names a site list (the ``field`` of every :class:`SiteListError`)."""

# column -> (required, kind, lo, hi); kind "str" or "float"
COLUMNS: dict[str, tuple[bool, str, float, float]] = {
    "site_id": (True, "str", 0, 0),
    "cell_id": (True, "str", 0, 0),
    "lat": (True, "float", -90.0, 90.0),
    "lon": (True, "float", -180.0, 180.0),
    "height_m": (True, "float", 1.0, 300.0),
    "azimuth_deg": (True, "float", 0.0, 360.0),
    "mech_tilt_deg": (False, "float", -90.0, 90.0),
    "elec_tilt_deg": (False, "float", -90.0, 90.0),
    "tx_power_dbm": (False, "float", -30.0, 80.0),
    "fc_ghz": (False, "float", 0.4, 100.0),
    "bandwidth_mhz": (False, "float", 0.1, 2000.0),
    "antenna_model": (False, "str", 0, 0),
    "vendor": (False, "str", 0, 0),
    "operator": (False, "str", 0, 0),
    "environment": (False, "env", 0, 0),
}


class SiteListError(ConfigError):
    """A site list is malformed; the message lists every bad row and column."""


@dataclass(frozen=True)
class SiteList:
    """A validated site list.

    Attributes
    ----------
    cells : DataFrame, one row per cell, ordered by site (site order of first appearance,
        then file order); the columns of :data:`COLUMNS` (optional ones filled with NaN or
        ""), plus ``row`` (1-based file row) and ``site`` (site index).
    projection : the local UTM frame of the area.
    source : where it was read from.
    """

    cells: pd.DataFrame
    projection: LocalProjection
    source: str

    @property
    def n_sites(self) -> int:
        return int(self.cells["site"].max()) + 1 if len(self.cells) else 0

    def site_table(self) -> pd.DataFrame:
        """One row per site: site_id, lat, lon, height_m, x_m, y_m."""
        first = self.cells.groupby("site", sort=True).first()
        xy = self.projection.to_xy_m(first["lat"].to_numpy(), first["lon"].to_numpy())
        return pd.DataFrame({
            "site_id": first["site_id"].to_numpy(), "lat": first["lat"].to_numpy(),
            "lon": first["lon"].to_numpy(), "height_m": first["height_m"].to_numpy(),
            "x_m": xy[:, 0], "y_m": xy[:, 1],
        })


# ---------------------------------------------------------------------------- reading


def _read_csv_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a UTF-8 CSV site list (a UTF-8 byte-order mark is dropped). Another encoding,
    a malformed line, a repeated column name or a line with more fields than the header is a
    :class:`SiteListError` naming the file (and line)."""
    text = decode_utf8(_read_bytes(path), path, "site list", field=FIELD, error=SiteListError)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise SiteListError(f"{path}: empty site list (no header line)", field=FIELD)
        names = [h.strip() for h in header]
        repeated = sorted({n for n in names if n and names.count(n) > 1})
        if repeated:
            raise SiteListError(f"{path}: column(s) {', '.join(map(repr, repeated))} appear more than once in the "
                                "header; each column once", field=FIELD)
        rows = []
        for line in reader:
            if not line:
                continue  # a blank line (csv.DictReader skips these too)
            if len(line) > len(names):
                raise SiteListError(f"{path}: line {reader.line_num} has {len(line)} fields, the header "
                                    f"{len(names)}; allowed at most one field per header column", field=FIELD)
            rows.append({n: v.strip() for n, v in zip(names, line)})
    except csv.Error as exc:
        raise SiteListError(f"{path}: not a valid CSV file (line {reader.line_num}: {exc})", field=FIELD) from None
    return rows


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SiteListError(f"{path}: cannot read the site list ({exc.strerror or exc})", field=FIELD) from None


def _read_geojson_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a GeoJSON FeatureCollection of Point features (see the module docstring). A
    feature, geometry or properties member of the wrong JSON type becomes a problem of its
    row (reported by :func:`validate_site_rows`); JSON that cannot be read is a
    :class:`SiteListError`."""
    text = decode_utf8(_read_bytes(path), path, "site list", field=FIELD, error=SiteListError)
    try:
        data = json.loads(text)
    except RecursionError:
        raise SiteListError(f"{path}: not valid JSON (nested too deeply)", field=FIELD) from None
    except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
        raise SiteListError(f"{path}: not valid JSON ({exc})", field=FIELD) from None
    feats = data.get("features") if isinstance(data, dict) else None
    if not isinstance(feats, list):
        raise SiteListError(f"{path}: a GeoJSON FeatureCollection with a 'features' list is needed",
                            field=FIELD)
    rows = []
    for feat in feats:
        if not isinstance(feat, dict):
            rows.append({"__problem__": f"feature {show_value(feat)} is not a JSON object; allowed a GeoJSON "
                                        "Feature object"})
            continue
        raw_props, geom = feat.get("properties"), feat.get("geometry")
        if raw_props is not None and not isinstance(raw_props, dict):
            rows.append({"__problem__": f"properties {show_value(raw_props)} is not a JSON object; allowed an "
                                        "object of column: value"})
            continue
        props = dict(raw_props or {})
        coords = geom.get("coordinates") if isinstance(geom, dict) else None
        if isinstance(geom, dict) and geom.get("type") == "Point" and isinstance(coords, list) and len(coords) >= 2:
            props.setdefault("lon", coords[0])
            props.setdefault("lat", coords[1])
        elif "lat" not in props or "lon" not in props:
            kind = geom.get("type", "missing") if isinstance(geom, dict) else ("missing" if geom is None else geom)
            props["__geometry__"] = kind
        rows.append(props)
    return rows


def read_site_rows(path: str | Path) -> list[dict[str, Any]]:
    """Raw rows (dicts of column -> value) of a CSV or GeoJSON site list."""
    p = Path(path)
    try:
        is_file = p.is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL character
        is_file = False
    if not is_file:
        raise SiteListError(f"site list {str(path)!r} not found", field=FIELD)
    if p.suffix.lower() in (".geojson", ".json"):
        return _read_geojson_rows(p)
    if p.suffix.lower() == ".csv":
        return _read_csv_rows(p)
    raise SiteListError(f"site list {str(path)!r}: allowed formats are .csv, .geojson, .json",
                        field=FIELD)


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "") or (isinstance(v, float) and math.isnan(v))


def _check_cell(raw: Any, col: str, kind: str, lo: float, hi: float, required: bool, i: int,
                problems: list[tuple[int, int, str]], order: int) -> Any:
    """Parse and check one value (row ``i``, 1-based); append its problem, return the value."""
    if _blank(raw):
        if required:
            problems.append((i, order, f"row {i}, column {col}: missing; required"))
        return np.nan if kind == "float" else ""
    if kind == "float":
        try:
            if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
                raise TypeError
            val = float(raw)
        except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond 1.8e308
            problems.append((i, order, f"row {i}, column {col}: {show_value(raw)} is not a number; "
                             f"allowed {lo:g}..{hi:g}"))
            return np.nan
        if not (math.isfinite(val) and lo <= val <= hi):
            problems.append((i, order, f"row {i}, column {col}: {show_value(raw)} out of range; allowed {lo:g}..{hi:g}"))
        return val
    if not isinstance(raw, str) and (isinstance(raw, bool) or not isinstance(raw, int)):
        problems.append((i, order, f"row {i}, column {col}: {show_value(raw)} is not text; allowed "
                         + (", ".join(ENVIRONMENTS) if kind == "env" else "a text (or an integer id)")))
        return ""
    if kind == "env":
        val = str(raw).strip().lower()
        if val not in ENVIRONMENTS:
            problems.append((i, order, f"row {i}, column {col}: {show_value(raw)}; allowed {', '.join(ENVIRONMENTS)}"))
        return val
    return str(raw).strip()


_PLAIN_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
"""Decimal numbers that Arrow's cast and Python's float() read alike."""


def _check_column(raw: pd.Series | None, n: int, col: str, problems: list[tuple[int, int, str]], order: int
                  ) -> np.ndarray:
    """Parse and check a whole column ([row]); every problem goes to ``problems`` as (row,
    column order, message). Columns of strings (CSV) take a vectorised path (Arrow compute),
    with the per-value :func:`_check_cell` only for the values it cannot parse; other columns
    (GeoJSON properties of any JSON type) go value by value; ``raw`` None: the column is
    absent (every value blank)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    required, kind, lo, hi = COLUMNS[col]
    if raw is None:  # column absent
        raw = pd.Series(np.full(n, "", dtype=object))
    text_column = (pd.api.types.infer_dtype(raw, skipna=False) == "string" if raw.dtype == object
                   else pd.api.types.is_string_dtype(raw.dtype) and not raw.isna().any())
    if n and not text_column:
        return np.asarray([_check_cell(v, col, kind, lo, hi, required, i, problems, order)
                           for i, v in enumerate(raw.to_numpy(dtype=object), start=1)],
                          dtype=np.float64 if kind == "float" else object)
    raw = raw.reset_index(drop=True)
    text = pc.utf8_trim_whitespace(pa.array(raw, type=pa.string(), from_pandas=True))  # as str.strip()
    blank = pc.equal(text, "").to_numpy(zero_copy_only=False)
    if required:
        for i in np.flatnonzero(blank):
            problems.append((int(i) + 1, order, f"row {i + 1}, column {col}: missing; required"))
    if kind == "float":
        # plain decimal numbers go through Arrow's cast; anything else (nan, inf, 1_000, junk)
        # through float() itself, value by value, so that both paths accept exactly the same
        plain = pc.match_substring_regex(text, _PLAIN_NUMBER).to_numpy(zero_copy_only=False)
        val = np.full(n, np.nan)
        if plain.any():
            val[plain] = pc.cast(pc.filter(text, pa.array(plain)), pa.float64()).to_numpy(zero_copy_only=False)
        for i in np.flatnonzero(~plain & ~blank):
            val[i] = _check_cell(text[int(i)].as_py(), col, kind, lo, hi, required, int(i) + 1, problems, order)
        with np.errstate(invalid="ignore"):
            out_of_range = plain & ~(np.isfinite(val) & (val >= lo) & (val <= hi))  # the others: above
        for i in np.flatnonzero(out_of_range):
            problems.append((int(i) + 1, order, f"row {i + 1}, column {col}: {text[int(i)].as_py()!r} out of "
                             f"range; allowed {lo:g}..{hi:g}"))
        val[blank] = np.nan
        return val
    if kind == "env":
        low = np.asarray(pc.utf8_lower(text).to_pylist(), dtype=object)
        for i in np.flatnonzero(~blank & ~np.isin(low, ENVIRONMENTS)):
            problems.append((int(i) + 1, order, f"row {i + 1}, column {col}: {text[int(i)].as_py()!r}; "
                             f"allowed {', '.join(ENVIRONMENTS)}"))
        return low
    return np.asarray(text.to_pylist(), dtype=object) if n else np.zeros(0, dtype=object)


def validate_site_rows(rows: list[dict[str, Any]] | pd.DataFrame, source: str = "site list") -> SiteList:
    """Check every row and column and build a :class:`SiteList`; raises :class:`SiteListError`
    listing every problem (row, column, value, what is allowed) in one message, rows in file
    order. ``rows``: dicts of column -> value, or a table with one column per field (CSV)."""
    problems: list[str] = []
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame.from_records(list(rows))
    n_rows = len(frame)
    if not n_rows:
        raise SiteListError(f"{source}: no cells (the site list is empty)", field="deployment.sites_file")
    present = [str(k) for k in frame.columns]
    unknown = sorted(k for k in present if k not in COLUMNS and k not in ("", "__geometry__", "__problem__"))
    if unknown:
        shown = ", ".join(show_value(k) for k in unknown[:MAX_REPORTED_PROBLEMS])
        problems.append(f"unknown column(s) {shown}: allowed {', '.join(COLUMNS)}")
    cell_problems: list[tuple[int, int, str]] = []
    bad_rows: set[int] = set()  # rows that are not objects: only their own problem is reported
    if "__problem__" in frame.columns:
        prob = frame["__problem__"].to_numpy(dtype=object)
        for i in np.flatnonzero(pd.notna(prob)):
            bad_rows.add(int(i) + 1)
            cell_problems.append((int(i) + 1, -2, f"row {i + 1}: {prob[i]}"))
    if "__geometry__" in frame.columns:
        geom = frame["__geometry__"].to_numpy(dtype=object)
        for i in np.flatnonzero(pd.notna(geom)):
            cell_problems.append((int(i) + 1, -1, f"row {i + 1}, geometry: {show_value(geom[i])}; allowed a Point "
                                  "[lon, lat] (or lat and lon properties)"))
    out: dict[str, np.ndarray] = {}
    for order, col in enumerate(COLUMNS):
        raw = frame[col] if col in frame.columns else None
        out[col] = _check_column(raw, n_rows, col, cell_problems, order)
    ant_order = list(COLUMNS).index("antenna_model")
    for i, name in enumerate(out["antenna_model"], start=1):
        if isinstance(name, str) and name not in BS_ARRAY_NAMES and ARRAY_LIKE.search(name):
            cell_problems.append((i, ant_order, f"row {i}, column antenna_model: {show_value(name)} is no array "
                                  f"type; allowed array types {', '.join(BS_ARRAY_NAMES)} (exact spelling), or "
                                  "a label that does not look like one"))
    cell_problems = [t for t in cell_problems if t[0] not in bad_rows or t[1] == -2]
    cell_problems.sort(key=lambda t: (t[0], t[1]))
    problems += [m for _, _, m in cell_problems]
    cells = pd.DataFrame(out)
    cells.insert(0, "row", np.arange(1, n_rows + 1, dtype=np.int64))
    # duplicate cell ids
    dup = (cells["cell_id"].duplicated(keep="first") & (cells["cell_id"] != "")).to_numpy()
    if dup.any():
        first_row = cells.groupby("cell_id", sort=False)["row"].transform("first").to_numpy()
        for i in np.flatnonzero(dup):
            problems.append(f"row {i + 1}, column cell_id: {cells.at[i, 'cell_id']!r} duplicates row "
                            f"{first_row[i]}; cell ids must be unique")
    # cells of a site share position and height
    for col, tol in (("lat", 1e-6), ("lon", 1e-6), ("height_m", 1e-6)):
        ok = cells[["site_id", col]].dropna()
        ok = ok[ok["site_id"] != ""]
        first = ok.groupby("site_id")[col].transform("first")
        bad = ok[(ok[col] - first).abs() > tol]
        for idx in bad.index:
            sid = cells.at[idx, "site_id"]
            problems.append(f"row {cells.at[idx, 'row']}, column {col}: {float(cells.at[idx, col])!r} differs from "
                            f"the first row of site {sid!r} ({float(first[idx])!r}); the cells of a site "
                            "share lat, lon and height_m")
    if problems:
        more = len(problems) - MAX_REPORTED_PROBLEMS
        lines = problems[:MAX_REPORTED_PROBLEMS] + ([f"... and {more} more"] if more > 0 else [])
        raise SiteListError(
            f"{source}: {len(problems)} problem(s):\n  " + "\n  ".join(lines), field="deployment.sites_file"
        )
    # order by site (first appearance), then file order
    cells["site"] = pd.factorize(cells["site_id"], sort=False)[0].astype(np.int64)  # first appearance
    cells = cells.sort_values(["site", "row"], kind="stable").reset_index(drop=True)
    proj = local_projection(cells["lat"].to_numpy(), cells["lon"].to_numpy())
    first = cells.groupby("site", sort=True)[["row", "site_id", "lat", "lon"]].first()
    labels = [f"row {r}, site {s!r}" for r, s in zip(first["row"], first["site_id"], strict=True)]
    check_projection_span(first["lat"].to_numpy(), first["lon"].to_numpy(), labels, proj, where=source)
    _check_distinct_positions(proj.to_xy_m(first["lat"].to_numpy(), first["lon"].to_numpy()), labels, source)
    return SiteList(cells=cells, projection=proj, source=source)


SAME_POSITION_M = 1.0
"""Different sites closer than this [m] are taken to be at the same position."""


def _check_distinct_positions(site_xy_m: np.ndarray, labels: list[str], source: str) -> None:
    """Refuse different sites at the same position (within :data:`SAME_POSITION_M`): a site's
    UE drop area is sized by the distance to its nearest other site, so a duplicate would
    leave its cells no area (UEs within centimetres of the mast). Co-sited cells share one
    site_id."""
    if site_xy_m.shape[0] < 2:
        return
    from scipy.spatial import cKDTree

    pairs = sorted(cKDTree(site_xy_m).query_pairs(SAME_POSITION_M))
    if not pairs:
        return
    lines = [f"{labels[a]} and {labels[b]} are {float(np.hypot(*(site_xy_m[a] - site_xy_m[b]))):.2f} m apart"
             for a, b in pairs[:MAX_REPORTED_PROBLEMS]]
    more = len(pairs) - len(lines)
    raise SiteListError(
        f"{source}: {len(pairs)} pair(s) of different sites at the same position (closer than "
        f"{SAME_POSITION_M:g} m; give co-sited cells one site_id, or remove the duplicate):\n  "
        + "\n  ".join(lines + ([f"... and {more} more"] if more > 0 else [])), field="deployment.sites_file")


def _read_csv_frame(path: Path) -> pd.DataFrame:
    """A CSV site list as a table of strings, one column per header name (stripped), with
    exactly the semantics of :func:`_read_csv_rows` (which it falls back on for anything but
    a clean file, so that every problem gets that reader's message): UTF-8 only (a
    byte-order mark dropped), blank lines skipped, missing trailing fields blank. The fast
    path is Arrow's CSV reader, every column as text."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    text = decode_utf8(_read_bytes(path), path, "site list", field=FIELD, error=SiteListError)
    try:
        header = next(csv.reader(io.StringIO(text[:1 << 20], newline="")), None)
    except csv.Error:
        header = None
    names = [h.strip() for h in header] if header else []
    if header and len(set(names)) == len(names):
        try:
            table = pacsv.read_csv(
                pa.BufferReader(text.encode("utf-8")),
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types={h: pa.string() for h in header}, strings_can_be_null=False,
                    quoted_strings_can_be_null=False, null_values=[]),
            )
        except pa.ArrowInvalid:  # ragged rows and the like: the csv module's reader says what
            table = None
        limit = csv.field_size_limit()
        if (table is not None and table.column_names == header and table.num_rows
                and all((pc.max(pc.utf8_length(c)).as_py() or 0) <= limit for c in table.columns)):
            frame = pd.DataFrame({name: pd.Series(pd.arrays.ArrowStringArray(table.column(k)))
                                  for k, name in enumerate(names)})
            return frame
    rows = _read_csv_rows(path)
    return pd.DataFrame.from_records(rows, columns=[n for n in names if n] or None) if rows else pd.DataFrame()


def read_site_list(path: str | Path) -> SiteList:
    """Read and validate a CSV or GeoJSON site list."""
    p = Path(path)
    if p.is_file() and p.suffix.lower() == ".csv":
        return validate_site_rows(_read_csv_frame(p), source=str(path))
    return validate_site_rows(read_site_rows(path), source=str(path))


# ---------------------------------------------------------------------------- config


def resolve_sites_file(name: str) -> Path:
    """A path as given (relative to the working directory), else a shipped site list
    (``nrsim/data/sites/<name>``)."""
    try:
        p = Path(name).expanduser()
        if p.is_file():
            return p
        shipped = resources.files("nrsim").joinpath("data", "sites", name)
        if shipped.is_file():
            return Path(str(shipped))
    except (OSError, ValueError, RuntimeError):  # too long, a NUL character, ~unknown-user
        pass
    raise SiteListError(
        f"deployment.sites_file = {show_value(name)}: no such file (nor a shipped site list: "
        f"{', '.join(shipped_site_lists())})", field="deployment.sites_file",
    )


def shipped_site_lists() -> list[str]:
    folder = resources.files("nrsim").joinpath("data", "sites")
    return sorted(e.name for e in folder.iterdir() if e.name.endswith((".csv", ".geojson")))


@functools.lru_cache(maxsize=8)
def _cached_site_list(path: str, mtime_ns: int) -> SiteList:
    return read_site_list(path)


def load_site_list(name: str) -> SiteList:
    """:func:`read_site_list` of :func:`resolve_sites_file`, cached on path and mtime."""
    p = resolve_sites_file(name)
    return _cached_site_list(str(p), p.stat().st_mtime_ns)


def check_against_config(sites: SiteList, cfg) -> None:
    """One carrier per scenario: the rows' fc_ghz and bandwidth_mhz must match the config;
    with ``channel.scenario = "mixed"`` every row needs an environment."""
    problems = []
    c = sites.cells
    for col, want, field in (("fc_ghz", cfg.channel.fc_ghz, "channel.fc_ghz"),
                             ("bandwidth_mhz", cfg.radio.bandwidth_mhz, "radio.bandwidth_mhz")):
        bad = c[c[col].notna() & ~np.isclose(c[col].to_numpy(dtype=float), want, rtol=1e-6, atol=0.0)]
        for _, r in bad.iterrows():
            problems.append(f"row {r['row']}, column {col}: {r[col]:g}; allowed only {field} = {want:g} "
                            "(one carrier per scenario)")
    if cfg.channel.scenario == "mixed":
        for _, r in c[c["environment"] == ""].iterrows():
            problems.append(f"row {r['row']}, column environment: missing; required with "
                            f"channel.scenario = 'mixed' (allowed {', '.join(ENVIRONMENTS)})")
    elif cfg.channel.scenario not in ENVIRONMENTS:
        problems.append(f"channel.scenario = {cfg.channel.scenario!r}: site lists allow "
                        f"{', '.join(ENVIRONMENTS)} or mixed")
    for key in ("exclude_vendor", "exclude_operator", "exclude_site"):
        col = {"exclude_vendor": "vendor", "exclude_operator": "operator", "exclude_site": "site_id"}[key]
        if not getattr(cfg.sites, key):
            continue
        known = set(c[col].unique())
        for name in getattr(cfg.sites, key):
            if name not in known:
                problems.append(f"sites.{key}: {name!r} is not in the site list's {col} column "
                                f"(allowed {', '.join(sorted(x for x in known if x)) or 'none'})")
    if problems:
        raise SiteListError(f"{sites.source}: {len(problems)} problem(s):\n  " + "\n  ".join(problems),
                            field="deployment.sites_file")
    check_some_cell_on(sites, cfg.sites)


def check_some_cell_on(sites: SiteList, sites_cfg) -> None:
    """:class:`ConfigError` when ``[sites]`` switches off every cell of the list: no UE could be
    served, so there is nothing to simulate (a run would report only -inf RSRP and SINR and zero
    throughput). The field is the first exclusion key in use."""
    off = excluded_cells(sites, sites_cfg)
    if off.size == 0 or not off.all():
        return
    used = [key for key in ("exclude_vendor", "exclude_operator", "exclude_site") if getattr(sites_cfg, key)]
    def listed(values: tuple[str, ...]) -> str:
        return ",".join(values) if len(values) <= 4 else f"{','.join(values[:3])},... ({len(values)} names)"

    names = "; ".join(f"sites.{key} = {listed(getattr(sites_cfg, key))}" for key in used)
    raise ConfigError(f"{names}: switches off every cell of {sites.source} ({off.size} cells), so nothing can "
                      "be simulated; keep at least one cell on", field=f"sites.{used[0]}")


def excluded_cells(sites: SiteList, sites_cfg) -> np.ndarray:
    """bool [cell]: cells switched off by ``[sites]`` (vendor, operator or site id)."""
    c = sites.cells
    return (
        c["vendor"].isin(sites_cfg.exclude_vendor).to_numpy()
        | c["operator"].isin(sites_cfg.exclude_operator).to_numpy()
        | c["site_id"].isin(sites_cfg.exclude_site).to_numpy()
    )


def local_isd_m(site_xy_m: np.ndarray, default_m: float) -> np.ndarray:
    """Local inter-site distance of each site [m]: the distance to its nearest other site
    (the ISD of a regular grid), ``default_m`` for a lone site. float64 [site]."""
    n = site_xy_m.shape[0]
    if n < 2:
        return np.full(n, float(default_m))
    from scipy.spatial import cKDTree

    d, _ = cKDTree(site_xy_m).query(site_xy_m, k=2)
    return np.maximum(d[:, 1], 1.0)


def site_list_layout(sites: SiteList, cfg) -> Layout:
    """The :class:`Layout` of a site list under a config: per-cell bearing, tilts, power and
    array type (file values, else the config's), per-site environment (scenario ``mixed``) and local ISD;
    excluded cells keep their index with :data:`EXCLUDED_TX_POWER_DBM`."""
    check_against_config(sites, cfg)
    c = sites.cells
    st = sites.site_table()
    site_xy = st[["x_m", "y_m"]].to_numpy(dtype=np.float64)
    tx = c["tx_power_dbm"].fillna(cfg.radio.tx_power_dbm).to_numpy(dtype=np.float64)
    tx = np.where(excluded_cells(sites, cfg.sites), EXCLUDED_TX_POWER_DBM, tx)
    etilt_zenith = 90.0 + c["elec_tilt_deg"].fillna(cfg.antenna.etilt_deg - 90.0).to_numpy(dtype=np.float64)
    mtilt = c["mech_tilt_deg"].fillna(cfg.antenna.mech_downtilt_deg).to_numpy(dtype=np.float64)
    scenario = None
    if cfg.channel.scenario == "mixed":
        scenario = tuple(c.groupby("site", sort=True)["environment"].first().tolist())
    isd = local_isd_m(site_xy, cfg.deployment.isd_m)
    named = c["antenna_model"].isin(BS_ARRAY_NAMES).to_numpy()
    cell_array = (tuple(np.where(named, c["antenna_model"].to_numpy(dtype=object), cfg.antenna.array).tolist())
                  if named.any() else None)
    return Layout(
        site_xy_m=site_xy,
        site_height_m=st["height_m"].to_numpy(dtype=np.float64),
        cell_site=c["site"].to_numpy(dtype=np.int64),
        cell_bearing_deg=compass_to_bearing_deg(c["azimuth_deg"].to_numpy()),
        wrap_shifts_m=np.zeros((1, 2)),
        kind="sites",
        isd_m=float(isd.min()),
        site_scenario=scenario,
        site_isd_m=isd,
        cell_tx_power_dbm=tx,
        cell_etilt_deg=etilt_zenith,
        cell_mech_downtilt_deg=mtilt,
        cell_array=cell_array,
    )


def config_site_list(cfg) -> SiteList:
    """The site list of a ``layout = "sites"`` config."""
    if cfg.deployment.sites_file is None:
        raise ConfigError("deployment.sites_file is not set", field="deployment.sites_file")
    return load_site_list(cfg.deployment.sites_file)


_LAYOUT_CACHE: dict[str, tuple[SiteList, Layout]] = {}
_LAYOUT_CACHE_SIZE = 4


def config_layout(cfg) -> Layout:
    """The layout of a ``layout = "sites"`` config (for :func:`nrsim.engine.snapshot.build_layout`);
    cached per config and site list (loading a scenario asks for it several times, and a
    national site list takes a second to check)."""
    sites = config_site_list(cfg)
    key = cfg.model_dump_json()
    hit = _LAYOUT_CACHE.get(key)
    if hit is not None and hit[0] is sites:
        return hit[1]
    layout = site_list_layout(sites, cfg)
    if len(_LAYOUT_CACHE) >= _LAYOUT_CACHE_SIZE:
        _LAYOUT_CACHE.pop(next(iter(_LAYOUT_CACHE)))
    _LAYOUT_CACHE[key] = (sites, layout)
    return layout


def validity_checks(cfg) -> list[tuple[str, np.ndarray]]:
    """(environment, BS heights [m]) pairs of a site-list config for the TR 38.901
    applicability check (:func:`nrsim.api.check_model_validity`)."""
    c = config_site_list(cfg).cells
    if cfg.channel.scenario != "mixed":
        return [(cfg.channel.scenario, c["height_m"].to_numpy(dtype=np.float64))]
    return [
        (env, c.loc[c["environment"] == env, "height_m"].to_numpy(dtype=np.float64))
        for env in ENVIRONMENTS if (c["environment"] == env).any()
    ]
