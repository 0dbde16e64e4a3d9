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
antenna_model      no        label of the antenna (the pattern is ``[antenna]``)     ""
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
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nrsim.deployment.geo import LocalProjection, compass_to_bearing_deg, local_projection
from nrsim.deployment.layout import Layout
from nrsim.config.loading import decode_utf8
from nrsim.errors import ConfigError, show_value

EXCLUDED_TX_POWER_DBM = -300.0
"""Transmit power given to excluded cells: 1e-30 mW, far below any noise floor, so the cell
neither serves nor interferes, while its index (and every link's random draws) stays."""

MAX_REPORTED_PROBLEMS = 200
"""Problems listed in one error message (the count of the rest is given)."""

ENVIRONMENTS = ("uma", "umi", "rma")

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


def validate_site_rows(rows: list[dict[str, Any]], source: str = "site list") -> SiteList:
    """Check every row and column and build a :class:`SiteList`; raises :class:`SiteListError`
    listing every problem (row, column, value, what is allowed) in one message."""
    problems: list[str] = []
    if not rows:
        raise SiteListError(f"{source}: no cells (the site list is empty)", field="deployment.sites_file")
    present = set().union(*(r.keys() for r in rows))
    unknown = sorted(k for k in present if k not in COLUMNS and k not in ("", "__geometry__", "__problem__"))
    if unknown:
        shown = ", ".join(show_value(k) for k in unknown[:MAX_REPORTED_PROBLEMS])
        problems.append(f"unknown column(s) {shown}: allowed {', '.join(COLUMNS)}")
    out: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    for i, row in enumerate(rows, start=1):
        if "__problem__" in row:
            problems.append(f"row {i}: {row['__problem__']}")
            for col in COLUMNS:
                out[col].append(np.nan if COLUMNS[col][1] == "float" else "")
            continue
        if "__geometry__" in row:
            problems.append(f"row {i}, geometry: {show_value(row['__geometry__'])}; allowed a Point [lon, lat] "
                            "(or lat and lon properties)")
        for col, (required, kind, lo, hi) in COLUMNS.items():
            raw = row.get(col)
            if _blank(raw):
                if required:
                    problems.append(f"row {i}, column {col}: missing; required")
                out[col].append(np.nan if kind == "float" else "")
                continue
            if kind == "float":
                try:
                    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
                        raise TypeError
                    val = float(raw)
                except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond 1.8e308
                    problems.append(f"row {i}, column {col}: {show_value(raw)} is not a number; allowed {lo:g}..{hi:g}")
                    out[col].append(np.nan)
                    continue
                if not (math.isfinite(val) and lo <= val <= hi):
                    problems.append(f"row {i}, column {col}: {show_value(raw)} out of range; allowed {lo:g}..{hi:g}")
                out[col].append(val)
            elif not isinstance(raw, str) and (isinstance(raw, bool) or not isinstance(raw, int)):
                problems.append(f"row {i}, column {col}: {show_value(raw)} is not text; allowed "
                                + (", ".join(ENVIRONMENTS) if kind == "env" else "a text (or an integer id)"))
                out[col].append("")
            elif kind == "env":
                val = str(raw).strip().lower()
                if val not in ENVIRONMENTS:
                    problems.append(f"row {i}, column {col}: {show_value(raw)}; allowed {', '.join(ENVIRONMENTS)}")
                out[col].append(val)
            else:
                out[col].append(str(raw).strip())
    cells = pd.DataFrame(out)
    cells.insert(0, "row", np.arange(1, len(rows) + 1, dtype=np.int64))
    # duplicate cell ids
    dup = cells["cell_id"].duplicated(keep="first") & (cells["cell_id"] != "")
    for _, r in cells[dup].iterrows():
        first = int(cells.loc[cells["cell_id"] == r["cell_id"], "row"].iloc[0])
        problems.append(f"row {r['row']}, column cell_id: {r['cell_id']!r} duplicates row {first}; "
                        "cell ids must be unique")
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
    site_order = {s: k for k, s in enumerate(dict.fromkeys(cells["site_id"]))}
    cells["site"] = cells["site_id"].map(site_order).astype(np.int64)
    cells = cells.sort_values(["site", "row"], kind="stable").reset_index(drop=True)
    proj = local_projection(cells["lat"].to_numpy(), cells["lon"].to_numpy())
    return SiteList(cells=cells, projection=proj, source=source)


def read_site_list(path: str | Path) -> SiteList:
    """Read and validate a CSV or GeoJSON site list."""
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
        known = set(c[col])
        for name in getattr(cfg.sites, key):
            if name not in known:
                problems.append(f"sites.{key}: {name!r} is not in the site list's {col} column "
                                f"(allowed {', '.join(sorted(x for x in known if x)) or 'none'})")
    if problems:
        raise SiteListError(f"{sites.source}: {len(problems)} problem(s):\n  " + "\n  ".join(problems),
                            field="deployment.sites_file")


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
    """The :class:`Layout` of a site list under a config: per-cell bearing, tilts and power
    (file values, else the config's), per-site environment (scenario ``mixed``) and local ISD;
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
    )


def config_site_list(cfg) -> SiteList:
    """The site list of a ``layout = "sites"`` config."""
    if cfg.deployment.sites_file is None:
        raise ConfigError("deployment.sites_file is not set", field="deployment.sites_file")
    return load_site_list(cfg.deployment.sites_file)


def config_layout(cfg) -> Layout:
    """The layout of a ``layout = "sites"`` config (for :func:`nrsim.engine.snapshot.build_layout`)."""
    return site_list_layout(config_site_list(cfg), cfg)


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
