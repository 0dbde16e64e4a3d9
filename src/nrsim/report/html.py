"""One self-contained, offline HTML report: a map (coverage layers in threshold classes with the
area share of each, dominance and vendor layers, sites, UEs, events; pan, zoom, scale bar,
north arrow, hover and click by cell ID), KPI tables with names and units, CDF plots (inline
SVG) and the resolved configuration; for video-call runs also the call KPIs (DL and UL) and
the capacity curve of a capacity sweep.

The report of a result folder is a pure function of the files in it (:func:`report_html`):
the run's tables and ``summary.json`` through :func:`nrsim.read_result`, and the coverage
stored by :func:`nrsim.coverage.store.store_coverage` (computed once, by the first report of a
folder; :func:`write_report`). It reads no site list, area file or scenario file and runs no
radio physics.

The page is a Jinja2 template (``templates/``, autoescape on) with the script and style sheet
of ``assets/`` inlined, so the file works offline; a Content-Security-Policy forbids any
request (a basemap host only when one is given: :func:`content_security_policy`).

Security model (docs/sites.md, "Report security"): every string that comes from a user (site
list columns, scenario description, config values, KPI keys of ``summary.json``, file names)
is escaped for its context: Jinja2's autoescape (and :func:`html.escape` in the HTML of the
sections) in HTML text and attributes, :func:`json_for_script` in the inline JSON data block
(cannot close its ``<script>`` element), and the script builds the DOM from data only with
``textContent`` and ``createElement`` (never ``innerHTML``). The policy runs only the report's
own script, by its SHA-256 hash: no ``'unsafe-inline'`` script, no inline event handler, no
``javascript:`` URL, no request.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup

from nrsim.config.loading import config_hash
from nrsim.coverage.store import has_coverage, load_coverage, store_coverage
from nrsim.kpi.capacity import CAPACITY_TARGET, capacity_crossing
from nrsim.deployment.sites import config_site_list, excluded_cells
from nrsim.errors import ConfigError
from nrsim.kpi.outdir import check_report_file
from nrsim.report import mapdata
from nrsim.report.mapdata import CELL_INFO_COLUMNS, cell_info_text
from nrsim.report.plots import draw_capacity, empirical_cdf, new_figure
from nrsim.result_io import read_result

__all__ = ["CELL_INFO_COLUMNS", "cell_info_text", "content_security_policy", "json_for_script", "map_payload",
           "compare_map_payload", "render_html", "report_html", "write_report"]


def _asset(name: str) -> str:
    return resources.files("nrsim.report").joinpath("assets", name).read_text(encoding="utf-8")


SCRIPT = _asset("map.js")
"""The report's one script (inlined; the CSP allows it by its SHA-256 hash)."""
CSS = _asset("report.css")
if "</script" in SCRIPT.lower() or "</style" in CSS.lower():  # pragma: no cover - a broken package file
    raise RuntimeError("report assets must not close their inline element")
_ENV = jinja2.Environment(loader=jinja2.PackageLoader("nrsim.report", "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined)


def content_security_policy(script: str, basemap_origin: str | None = None) -> str:
    """The report's Content-Security-Policy (a ``<meta>`` element): nothing may load from
    anywhere (``default-src 'none'``, ``connect-src 'none'``, no ``base``, no form target);
    images only from ``data:`` URIs and, with a basemap (``nrsim report --basemap``), its
    tile host ``basemap_origin``; styles inline (the ``<style>`` element and the ``style``
    attributes of the inline SVG plots: CSS cannot run script and, with no source allowed,
    cannot make a request); scripts only the one whose SHA-256 hash is listed (``script``,
    the exact text of the report's ``<script>`` element), so an injected ``<script>``, inline
    event handler (``onerror=...``) or ``javascript:`` URL does not run; Trusted Types make any
    ``innerHTML``-style string sink throw."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    img = "data:" + (f" {basemap_origin}" if basemap_origin else "")
    return (f"default-src 'none'; img-src {img}; style-src 'unsafe-inline'; "
            f"script-src 'sha256-{digest}'; connect-src 'none'; base-uri 'none'; form-action 'none'; "
            "require-trusted-types-for 'script'; trusted-types 'none'")


_TEMPLATE_PART = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@%/{}-]*$")


def check_basemap(url: str | None) -> tuple[str, str] | None:
    """(template, origin) of an XYZ tile URL template such as
    ``https://tile.openstreetmap.org/{z}/{x}/{y}.png``: http(s), a host, each of ``{z}``,
    ``{x}`` and ``{y}`` once, no other braces, no quotes or spaces. Raises
    :class:`ConfigError` (field ``basemap``)."""
    if url is None:
        return None
    u = str(url)
    parts = urlsplit(u)
    braces = re.findall(r"\{[^}]*\}", u)
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password
            or sorted(braces) != ["{x}", "{y}", "{z}"] or u.count("{") != 3 or u.count("}") != 3
            or not _TEMPLATE_PART.match(parts.path + ("?" + parts.query if parts.query else ""))
            or parts.fragment):
        raise ConfigError(f"basemap = {u[:200]!r}: expected an http(s) XYZ tile URL template with {{z}}, {{x}} and "
                          "{y} (e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png)", field="basemap")
    origin = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return u, origin


_JSON_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_for_script(data: Any) -> str:
    """``data`` as JSON text that is safe inside ``<script type="application/json">``: ``<``,
    ``>`` and ``&`` (which could open ``</script>`` or ``<!--`` and end or swallow the
    element) and U+2028/U+2029 (line terminators in older JavaScript) are written as
    ``\\uXXXX`` escapes, which ``JSON.parse`` reads back as the same characters (they occur only
    inside JSON strings). NaN and infinity are refused (strict JSON has neither)."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    for ch, esc in _JSON_SCRIPT_ESCAPES.items():
        text = text.replace(ch, esc)
    return text


LOG_MIN_DECADES = 1.5
"""A CDF gets a log x axis when its positive values span more than this many decades
(throughput, bitrate, loss ratios: the low tail, which matters, is then readable)."""


def _svg_cdf(series: dict[str, np.ndarray], xlabel: str, title: str, *, log: bool | None = None) -> str:
    """CDF plot as inline SVG. ``log``: x axis in log scale (None: when every series is
    non-negative and its positive values span more than :data:`LOG_MIN_DECADES`; values
    <= 0 are then left out and the share of them named in the legend)."""
    data = {k: np.asarray(v, dtype=np.float64)[np.isfinite(np.asarray(v, dtype=np.float64))] for k, v in series.items()}
    if log is None:
        allv = np.concatenate([v for v in data.values()]) if data else np.zeros(0)
        pos = allv[allv > 0]
        log = bool(allv.size and allv.min() >= 0 and pos.size and np.log10(pos.max() / pos.min()) > LOG_MIN_DECADES)
    fig, ax = new_figure(figsize=(5.2, 3.4))
    for label, vals in data.items():
        x, y = empirical_cdf(vals)
        if log:
            zero = float(np.mean(x <= 0)) if x.size else 0.0
            keep = x > 0
            x, y = x[keep], y[keep]
            if zero > 0:
                label = f"{label} ({100 * zero:.1f} % at 0)"
        if x.size > 2000:  # enough points for a smooth curve in a small file
            idx = np.linspace(0, x.size - 1, 2000).astype(int)
            x, y = x[idx], y[idx]
        ax.plot(x, y, label=label)
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)  # log axes show it in their ticks
    ax.set_ylabel("CDF")
    ax.set_ylim(0, 1)
    return _svg_of(fig, ax, title)


def _svg_capacity(points, target: float, title: str, capacity_calls_per_cell: float | None = None) -> str:
    """Inline SVG of a capacity curve (:func:`nrsim.report.plots.draw_capacity`) of
    ``points`` (a ``capacity.parquet`` table or its rows)."""
    fig, ax = new_figure(figsize=(5.2, 3.4))
    draw_capacity(ax, points, target=target, capacity_calls_per_cell=capacity_calls_per_cell)
    return _svg_of(fig, ax, title)


def _svg_of(fig, ax, title: str) -> str:
    """Title, grid and legend, then the figure as an inline ``<svg>`` element (closed)."""
    import matplotlib
    from matplotlib.text import Text

    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    for t in fig.findobj(Text):  # a "$" in a label is text, not mathtext (which can fail to parse)
        t.set_parse_math(False)
    fig.tight_layout()
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "nrsim"}):  # same bytes for the same result
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]


def _fmt(v: Any) -> str:
    """A table cell as HTML text: numbers with 4 significant digits, +inf/-inf as such,
    missing (None, NaN) as "-", anything else escaped."""
    if v is None:
        return "-"
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return "-"
        return f"{v:.4g}" if np.isfinite(v) else ("+inf" if v > 0 else "-inf")
    return html.escape(str(v))


def _table(rows: list[dict[str, Any]], cls: str = "kpi") -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{html.escape(k)}</th>" for k in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in r.values()) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'




PERCENTILE_METRICS = {
    "coupling_loss_db": ("coupling loss", "dB", 1.0), "rsrp_dbm": ("RSRP", "dBm", 1.0),
    "sinr_db": ("SINR", "dB", 1.0), "sir_db": ("SIR (geometry)", "dB", 1.0),
    "throughput_bps": ("user throughput", "Mbit/s", 1e-6),
}
"""summary.json percentile key -> (name, unit, scale to the unit)."""
PERCENTILE_HEADINGS = {"5": "5th percentile", "50": "median", "95": "95th percentile"}


def kpi_rows(kpis: dict[str, Any]) -> list[dict[str, Any]]:
    """The percentile table: one row per metric, named with its unit (throughput in Mbit/s)."""
    notes = kpis.get("notes") or {}
    rows = []
    for key, (name, unit, scale) in PERCENTILE_METRICS.items():
        pc = kpis.get("percentiles", {}).get(key)
        if pc:
            # a KPI with a note (kpis.notes) and null in summary.json is unbounded (+inf):
            # the SIR of a one-cell network (nrsim.kpi.metrics.kpi_notes)
            unbounded = float("inf") if key in notes else float("nan")
            rows.append({"metric": f"{name} [{unit}]",
                         **{h: unbounded if pc[p] is None else _number(pc[p]) * scale
                            for p, h in PERCENTILE_HEADINGS.items() if p in pc}})
    return rows


def notes_html(kpis: dict[str, Any]) -> str:
    """The notes of ``kpis.notes`` (e.g. an unbounded SIR) as escaped paragraphs."""
    notes = kpis.get("notes") or {}
    if not isinstance(notes, dict):
        return ""
    return "".join(f'<p class="dim">{html.escape(str(k))}: {html.escape(str(v))}</p>' for k, v in notes.items())


SCALAR_KPIS = {
    "n_ue": ("UEs", "", None), "n_cells": ("cells", "", None),
    "mean_throughput_bps": ("mean user throughput", "Mbit/s", 1e-6),
    "cell_spectral_efficiency_bps_per_hz": ("cell spectral efficiency", "bit/s/Hz per cell", 1.0),
    "user_spectral_efficiency_5pct_bps_per_hz": ("5th-percentile user spectral efficiency", "bit/s/Hz", 1.0),
    "los_share": ("UEs in line of sight", "%", 100.0), "indoor_share": ("indoor UEs", "%", 100.0),
    "outage_share": ("UEs in outage", "%", 100.0),
}
"""summary.json KPI -> (name, unit, scale to the unit; None: a count)."""


def scalar_rows(kpis: dict[str, Any]) -> list[dict[str, Any]]:
    """The scalar KPIs with names, units and shares in %."""
    return [{"KPI": name, "value": kpis[k] if scale is None else _number(kpis[k]) * scale, "unit": unit}
            for k, (name, unit, scale) in SCALAR_KPIS.items() if k in kpis and not isinstance(kpis[k], dict)]


MOBILITY_KPIS = {
    "handovers_per_ue_per_min": ("handovers per UE per minute", "1/min", 1.0),
    "handover_failure_rate": ("handover failure rate", "%", 100.0),
    "ping_pong_rate": ("ping-pong rate", "%", 100.0),
    "rlf_per_ue_hour": ("radio-link failures per UE per hour", "1/h", 1.0),
    "outage_share": ("time in outage", "%", 100.0),
}
"""Mobility KPIs with a name and unit; the other keys of ``kpis.mobility`` keep their key."""


def mobility_rows(mob: dict[str, Any]) -> list[dict[str, Any]]:
    """``kpis.mobility`` as rows: name, value in its unit, unit, and the summary.json key."""
    rows = []
    for k, v in mob.items():
        if isinstance(v, (dict, list)):
            continue
        name, unit, scale = MOBILITY_KPIS.get(k, (k.replace("_", " "), "", None))
        value = v if scale is None or v is None or isinstance(v, (bool, str)) else _number(v) * scale
        rows.append({"KPI": name, "value": value, "unit": unit, "summary.json key": k})
    return rows


MAX_MAP_EVENTS = 20_000
"""Most mobility events drawn on the map (the first ones in time)."""
EVENT_CODES = {"successful": 0, "ping_pong": 1, "too_early": 2, "wrong_cell": 2, "too_late": 2, "rlf": 3}
"""Map marker of each event: 0 handover, 1 ping-pong, 2 handover failure, 3 RLF."""


def event_markers(events) -> list[list[float]]:
    """[[x, y, code], ...] of mobility events (``handover_events.parquet``) for the map."""
    if events is None or not len(events) or "x_m" not in events:
        return []
    ev = events[events["kind"].isin(["handover", "handover_failure", "rlf"])].head(MAX_MAP_EVENTS)
    # every handover_failure is a failure marker, whatever its class (preparation, execution, ...)
    code = [EVENT_CODES["rlf"] if k == "rlf" else 2 if k == "handover_failure" else EVENT_CODES.get(o, 0)
            for k, o in zip(ev["kind"], ev["outcome"], strict=True)]
    return [[round(float(x), 1), round(float(y), 1), c] for x, y, c in zip(ev["x_m"], ev["y_m"], code, strict=True)]



def _grid_dict(g) -> dict[str, float | int]:
    return {"x0_m": float(g.x0_m), "y0_m": float(g.y0_m), "resolution_m": float(g.resolution_m),
            "n_rows": int(g.n_rows), "n_cols": int(g.n_cols)}


def build_map(grid: dict[str, float | int], layers: list[dict[str, Any]], cells: dict[str, Any], *,
              corners: dict[str, list[float]] | None = None, epsg: int | None = None,
              events: list[list[float]] | None = None, ues: dict[str, Any] | None = None,
              basemap: tuple[str, str] | None = None) -> dict[str, Any]:
    """The JSON-able map of ``assets/map.js``: grid, raster ``layers``
    (:func:`nrsim.report.mapdata.layer_entry`), ``cells`` (:func:`~nrsim.report.mapdata.cells_entry`),
    corners and geographic frame, events, UE points and the basemap template (or None)."""
    if layers and not any(L["default"] for L in layers):
        layers[0]["default"] = True
    return {
        "x0": grid["x0_m"], "y0": grid["y0_m"], "res": grid["resolution_m"], "rows": grid["n_rows"],
        "cols": grid["n_cols"], "layers": layers, **cells, "corners": corners,
        "geo": mapdata.geo_frame(grid, corners), "epsg": epsg, "events": events or [], "ues": ues,
        "basemap": basemap[0] if basemap else None, "basemap_origin": basemap[1] if basemap else None,
    }


def _memory_cells(layout, cells_meta: list[dict[str, Any]] | None) -> dict[str, list[Any]]:
    """The cells table of :func:`nrsim.report.mapdata.cells_entry` from a layout and site-list labels."""
    n = int(layout.cell_site.shape[0])
    site = np.asarray(layout.cell_site, dtype=np.int64)
    meta = cells_meta or [{"cell_id": f"cell {i}", "site_id": f"site {site[i]}"} for i in range(n)]
    return {"cell_id": [str(m.get("cell_id", i)) for i, m in enumerate(meta)],
            "site_id": [str(m.get("site_id", "")) for m in meta], "site": site,
            "x_m": np.asarray(layout.site_xy_m)[site, 0], "y_m": np.asarray(layout.site_xy_m)[site, 1],
            "bearing_deg": np.asarray(layout.cell_bearing_deg, dtype=np.float64),
            **{k: [str(m.get(k, "") or "") for m in meta] for k in ("vendor", "operator", "antenna_model",
                                                                   "environment")},
            "off": [bool(m.get("off", False)) for m in meta]}


def _corners(grid: dict[str, float | int], projection) -> dict[str, list[float]] | None:
    if projection is None:
        return None
    x0, y0, res = grid["x0_m"], grid["y0_m"], grid["resolution_m"]
    xs = [x0, x0 + grid["n_cols"] * res]
    ys = [y0, y0 - grid["n_rows"] * res]
    lat, lon = projection.to_latlon_deg([xs[0], xs[1], xs[0], xs[1]], [ys[0], ys[0], ys[1], ys[1]])
    return {"lat": [float(v) for v in lat], "lon": [float(v) for v in lon]}


def _index(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return np.where(a < 0, np.nan, a)


def run_layers(arrays: dict[str, np.ndarray], *, probability: dict[str, tuple[str, float]] | None = None,
               cell_vendor: list[int] | None = None, vendors: list[dict[str, str]] | None = None,
               classes: dict[str, tuple[float, ...]] | None = None, default: str | None = None,
               prefix: str = "", group_names: tuple[str, str] = ("Probability of coverage (median prediction)",
                                                                 "One shadowing draw (drop 0)")) -> list[dict[str, Any]]:
    """Map layers of a run: probability layers (sorted by kind and threshold), median RSRP,
    dominance and vendor (of the dominant cell) first, then the one-draw layers; index layers
    (cells) with -1 or NaN outside the area."""
    classes = classes or {}
    prob_keys = sorted((k for k in arrays if k.startswith("p_")),
                       key=lambda k: (mapdata.style_of(k, probability).label.split()[1], -_threshold(k, probability)))
    order = [(k, 0) for k in prob_keys] + [(k, 0) for k in ("median_rsrp_dbm", "dominant_cell") if k in arrays]
    if cell_vendor is not None and vendors and any(v["label"] != "(no vendor label)" for v in vendors) \
            and "dominant_cell" in arrays:
        arrays = {**arrays, "vendor": mapdata.vendor_layer(_index(arrays["dominant_cell"]), cell_vendor)}
        order.append(("vendor", 0))
    order += [(k, 1) for k in ("rsrp_dbm", "sinr_db", "throughput_mbps", "serving_cell", "best_ssb_beam")
              if k in arrays]
    out = []
    for key, g in order:
        style = mapdata.style_of(key, probability)
        v = (_index(arrays[key]) if style.kind == "cell" or key == "best_ssb_beam"
             else np.asarray(arrays[key], dtype=np.float64))
        cats = ([(x["label"], x["colour"]) for x in vendors] if key == "vendor"
                else mapdata.beam_categories(v) if key == "best_ssb_beam" else ())
        out.append(mapdata.layer_entry(prefix + key if prefix and key != "serving_cell" else key, v, style=style,
                                       group=group_names[g], breaks=mapdata.breaks_for(key, style, classes),
                                       categories=cats, default=(key == default)))
    return out


def _threshold(key: str, probability: dict[str, tuple[str, float]] | None) -> float:
    return -float(mapdata.style_of(key, probability).label.split()[3])


def map_payload(maps, layout, cells_meta: list[dict[str, Any]] | None, extra_layers: dict[str, np.ndarray] | None = None,
                projection=None, events: list[list[float]] | None = None) -> dict[str, Any]:
    """The map of in-memory coverage ``maps`` (:class:`nrsim.coverage.raster.CoverageMaps`)
    on ``layout``, with ``extra_layers`` (key -> [row, col]) and site-list labels
    ``cells_meta`` (cell_id and :data:`CELL_INFO_COLUMNS` per cell, ``off``)."""
    grid = _grid_dict(maps.grid)
    cells = mapdata.cells_entry(_memory_cells(layout, cells_meta), [_index(maps.serving_cell)])
    arrays = {"rsrp_dbm": maps.rsrp_dbm, "sinr_db": maps.sinr_db, "throughput_mbps": maps.throughput_bps / 1e6,
              "serving_cell": maps.serving_cell, **(extra_layers or {})}
    if getattr(maps, "best_ssb_beam", None) is not None:  # coverage maps of a run with SSB beams
        arrays["best_ssb_beam"] = maps.best_ssb_beam
    layers = run_layers(arrays, cell_vendor=cells["cell_vendor"], vendors=cells["vendors"])
    return build_map(grid, layers, cells, corners=_corners(grid, projection), epsg=maps.epsg, events=events)


LOST_CATEGORIES = (("coverage kept (or never had)", "#e0e0e0"), ("coverage lost in B", "#d62728"))


def compare_map_payload(ma, mb, layout, cells_meta: list[dict[str, Any]] | None, *, covered_a: np.ndarray,
                        covered_b: np.ndarray, projection=None, labels: tuple[str, str] = ("A", "B")
                        ) -> dict[str, Any]:
    """The what-if map: the differences B - A first (RSRP change the default layer), coverage
    lost in B, then A's and B's own layers, each labelled with its side. ``covered_a/b``:
    bool [row, col], covered in A / B."""
    a, b = labels
    grid = _grid_dict(mb.grid)
    cells = mapdata.cells_entry(_memory_cells(layout, cells_meta), [_index(ma.serving_cell), _index(mb.serving_cell)])
    mask = mb.grid.mask
    lost = np.where(mask, (covered_a & ~covered_b).astype(np.float64), np.nan)
    diff = f"Difference {b} - {a}"
    layers = [
        mapdata.layer_entry("delta_rsrp_db", mb.rsrp_dbm - ma.rsrp_dbm, style=mapdata.STYLES["delta_rsrp_db"],
                            group=diff, breaks=mapdata.DELTA_BREAKS, label=f"{b} - {a}: RSRP change", default=True),
        mapdata.layer_entry("delta_sinr_db", mb.sinr_db - ma.sinr_db, style=mapdata.STYLES["delta_sinr_db"],
                            group=diff, breaks=mapdata.DELTA_BREAKS, label=f"{b} - {a}: SINR change"),
        mapdata.layer_entry("lost_coverage", lost, style=mapdata.STYLES["lost_coverage"], group=diff,
                            categories=LOST_CATEGORIES, label=f"{b} - {a}: coverage lost in {b}"),
    ]
    for side, m, key in ((a, ma, "a_"), (b, mb, "b_")):
        for k, arr in (("rsrp_dbm", m.rsrp_dbm), ("sinr_db", m.sinr_db), ("throughput_mbps", m.throughput_bps / 1e6),
                       ("serving_cell", m.serving_cell)):
            st = mapdata.STYLES[k]
            layer_key = "serving_cell" if (key == "b_" and k == "serving_cell") else key + k
            layers.append(mapdata.layer_entry(layer_key, _index(arr) if st.kind == "cell" else arr, style=st,
                                              group=f"Scenario {side}", breaks=st.breaks,
                                              label=f"{side}: {st.label}"))
    return build_map(grid, layers, cells, corners=_corners(grid, projection), epsg=mb.epsg)


def stored_map_payload(stored, *, classes: dict[str, tuple[float, ...]] | None = None, default: str | None = None,
                       events: list[list[float]] | None = None, ues: dict[str, Any] | None = None,
                       basemap: tuple[str, str] | None = None) -> dict[str, Any]:
    """The map of a result folder's stored coverage (:class:`nrsim.coverage.store.StoredCoverage`)."""
    c = stored.cells
    table = {k: c[k].tolist() for k in c.columns}
    index = [stored.layers[k] for k in ("serving_cell", "dominant_cell") if k in stored.layers]
    cells = mapdata.cells_entry(table, index)
    layers = run_layers(stored.layers, probability=stored.thresholds, cell_vendor=cells["cell_vendor"],
                        vendors=cells["vendors"], classes=classes, default=default)
    return build_map(stored.grid, layers, cells, corners=stored.corners, epsg=stored.epsg, events=events, ues=ues,
                     basemap=basemap)


def render_html(*, title: str, subtitle: str, map_data: dict[str, Any] | None, sections: list[tuple[str, str]],
                config: dict[str, Any]) -> str:
    """The whole document (``templates/report.html.j2``); ``sections`` are (heading, inner
    HTML) after the map. Headings, ``title`` and ``subtitle`` are escaped by the template;
    inner HTML must already escape every user string (``_table`` does); ``map_data`` is
    embedded with :func:`json_for_script` and shown by the script as text only; ``config`` is
    shown as escaped JSON. A map with a basemap allows its tile host in the CSP."""
    map_ctx = None
    origin = None
    if map_data is not None:
        origin = map_data.get("basemap_origin")
        frame = (f"Local UTM frame (EPSG:{map_data['epsg']})" if map_data.get("epsg")
                 else "Local metric frame (no geographic reference)")
        map_ctx = {"frame": frame, "res": f"{float(map_data['res']):g}", "basemap_host": origin,
                   "has_ues": bool(map_data.get("ues")), "has_events": bool(map_data.get("events")),
                   "payload": Markup(json_for_script(map_data))}
    return _ENV.get_template("report.html.j2").render(
        csp=content_security_policy(SCRIPT, origin), title=title, subtitle=subtitle, css=Markup(CSS),
        map=map_ctx, script=Markup(SCRIPT), sections=[(h, Markup(inner)) for h, inner in sections],
        config_json=json.dumps(config, indent=2, sort_keys=True)) + "\n"


def atomic_write_text(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _cells_meta(cfg, n_cells: int) -> list[dict[str, Any]] | None:
    """Site-list labels per cell (``nrsim compare``, which runs its scenarios in memory)."""
    if cfg.deployment.layout != "sites":
        return None
    sl = config_site_list(cfg)
    off = excluded_cells(sl, cfg.sites)
    c = sl.cells
    return [{"cell_id": str(c.at[i, "cell_id"]), **{k: str(c.at[i, k]) for k in CELL_INFO_COLUMNS},
             "off": bool(off[i])} for i in range(n_cells)]


def _projection(cfg):
    if cfg.deployment.layout != "sites":
        return None
    return config_site_list(cfg).projection


def write_report(results_dir: str | Path, *, out: str | Path | None = None, force: bool = False,
                 basemap: str | None = None, classes: list[str] | tuple[str, ...] = ()) -> Path:
    """Write ``report.html`` of a result folder of :func:`nrsim.run`; returns its path.

    The first report of a folder stores its coverage (GeoTIFFs, statistics, cells; 
    :func:`nrsim.coverage.store.store_coverage`: the only physics, and the only step that
    reads the site list); the HTML is then :func:`report_html` of the stored files.
    ``basemap``: an XYZ tile URL template (off by default: the report then makes no request);
    ``classes``: class breaks ``NAME=v1,v2,...`` (:data:`nrsim.report.mapdata.CLASS_KEYS`).
    An existing ``out`` that is not an nrsim report is replaced only with ``force``
    (:func:`nrsim.kpi.outdir.check_report_file`)."""
    bm = check_basemap(basemap)
    try:
        breaks = mapdata.parse_classes(classes)
    except ValueError as exc:
        raise ConfigError(f"classes: {exc}", field="classes") from None
    # a missing, corrupt or changed file: ResultFolderError naming it; the inputs the config
    # names (site list, area file) are not needed once the coverage is stored
    result = read_result(results_dir, inputs=False)
    folder = Path(results_dir)
    target = Path(out) if out else folder / "report.html"
    check_report_file(target, force=force)
    if not has_coverage(folder, result.provenance.config_hash):
        store_coverage(result.config, folder, result.provenance.config_hash)
    return atomic_write_text(target, report_html(result, load_coverage(folder), basemap=bm, classes=breaks))


def _ue_points(result) -> dict[str, Any] | None:
    for name in ("ue", "ue_calls", "ue_mobility"):
        if name in result.tables:
            t = result.tables[name]
            if {"x_m", "y_m"} <= set(t.columns):
                return mapdata.ues_entry(t["x_m"].to_numpy(), t["y_m"].to_numpy(),
                                         t["sinr_db"].to_numpy() if "sinr_db" in t else None)
    return None


def report_html(result, stored, *, basemap: tuple[str, str] | None = None,
                classes: dict[str, tuple[float, ...]] | None = None) -> str:
    """The report of ``result`` (:func:`nrsim.read_result`) and its stored coverage
    (:func:`nrsim.coverage.store.load_coverage`): a pure function of the two (and the
    result's tables), no physics, no input file."""
    summary, cfg = result.summary, result.config
    ue = result.tables["ue"] if "ue" in result.tables else None
    sections = []
    if result.kind in ("mobility", "calls"):
        mob = summary["kpis"]["mobility"]
        sections.append(("Mobility", '<p class="dim">Handover events on the map: green dots handovers, '
                         "orange dots ping-pongs, red squares handover failures (too early, too late, "
                         "wrong cell), black squares radio-link failures (docs/mobility.md).</p>"
                         + _table(mobility_rows(mob))))
    else:
        sections.append(("KPIs", _table(kpi_rows(summary["kpis"])) + notes_html(summary["kpis"])
                         + _table(scalar_rows(summary["kpis"]))))
    if summary["kpis"].get("calls"):
        sections.append(("Video calls", _calls_html(summary["kpis"]["calls"])))
    elif (summary["kpis"].get("slots") or {}).get("video"):
        sections.append(("Video calls", _static_video_html(summary["kpis"]["slots"]["video"])))
    capacity = _capacity_html(summary["kpis"].get("video_capacity"), Path(result.path) / "capacity.parquet",
                              cfg.name)
    if capacity:
        sections.append(("Capacity", capacity))
    sections.append(("Coverage of the area", _coverage_text(cfg) + _table(_stat_rows(stored.stats))
                     + _probability_text() + _table(_probability_rows(stored.probability_stats, stored.thresholds))
                     + _class_tables(stored, classes or {})))
    plots = _cdfs({"run": ue}, cfg.name) if ue is not None else []
    if "ue_calls" in result.tables:
        plots += _call_cdfs(result.tables["ue_calls"], cfg.name)
    if plots:
        sections.append(("CDFs", '<div class="plots">' + "".join(plots) + "</div>"))
    # default layer: the probability of reaching the SINR threshold (in a dense network the
    # RSRP one is near 100 % everywhere)
    default = next((k for k, (kind, t) in stored.thresholds.items()
                    if kind == "sinr" and t == cfg.coverage.sinr_threshold_db), None)
    return render_html(
        title=f"nrsim report: {cfg.name}",
        subtitle=f"{cfg.description} | nrsim {summary.get('nrsim_version')} | config {result.provenance.config_hash} | "
                 f"seed {cfg.seed} | {cfg.drops} drops",
        map_data=stored_map_payload(stored, classes=classes, default=default, events=event_markers(result.events),
                                    ues=_ue_points(result), basemap=basemap),
        sections=sections,
        config=summary["config"],
    )


def _coverage_text(cfg) -> str:
    cv = cfg.coverage
    return (f'<p class="dim">Outdoor points at {cfg.deployment.ue.outdoor_height_m:g} m on a {cv.resolution_m:g} m '
            f"raster (one realisation of LOS and shadow fading, drop 0). Covered: RSRP &ge; "
            f"{cv.rsrp_threshold_dbm:g} dBm and SINR &ge; {cv.sinr_threshold_db:g} dB. Expected user "
            f"throughput with {cv.users_per_cell:g} users per cell, interferers at load {cfg.radio.load:g}; "
            f"throughput target {cv.throughput_threshold_mbps:g} Mbit/s.</p>")


def _probability_text() -> str:
    return ('<p class="dim">Probability of coverage (planning-tool view, docs/sites.md): per point the '
            "probability over the LOS state and the shadow fading that the best-server RSRP or the SINR "
            "reaches each threshold, from the median prediction of every link; the area coverage probability "
            "is its mean over the polygon. The map layers add the median best-server RSRP, the dominant cell "
            "(largest median RSRP) and one probability layer per threshold.</p>")


def _stat_rows(stats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    pct = (lambda v: 100.0 * _number(v))
    return [{
        "polygon": s["polygon"], "area [km\u00b2]": s["area_km2"], "RSRP ok [%]": pct(s["share_rsrp_ok"]),
        "SINR ok [%]": pct(s["share_sinr_ok"]), "covered [%]": pct(s["share_covered"]),
        "throughput ok [%]": pct(s["share_throughput_ok"]), "median RSRP [dBm]": s["median_rsrp_dbm"],
        "median SINR [dB]": s["median_sinr_db"], "median throughput [Mbit/s]": _number(s["median_throughput_bps"]) / 1e6,
    } for s in stats]


def _probability_rows(stats: list[dict[str, Any]], thresholds: dict[str, tuple[str, float]]) -> list[dict[str, Any]]:
    """Area coverage probability per polygon in %, with named columns."""
    out = []
    for s in stats:
        row: dict[str, Any] = {}
        for k, v in s.items():
            base = k.removesuffix("dbm").removesuffix("db")
            if base in thresholds:
                kind, t = thresholds[base]
                row[f"P({kind.upper()} \u2265 {t:g} {'dBm' if kind == 'rsrp' else 'dB'}) [%]"] = 100.0 * _number(v)
            elif k == "area_km2":
                row["area [km\u00b2]"] = v
            elif k != "pixels":
                row[k] = v
        out.append(row)
    return out


CLASS_TABLE_LAYERS = ("median_rsrp_dbm", "sinr_db", "throughput_mbps")
"""Layers whose area per threshold class is also a table (for print; the map's legend has all)."""


def _class_tables(stored, classes: dict[str, tuple[float, ...]]) -> str:
    parts = []
    for key in CLASS_TABLE_LAYERS:
        if key not in stored.layers:
            continue
        style = mapdata.style_of(key)
        br = mapdata.breaks_for(key, style, classes)
        shares = mapdata.class_shares(stored.layers[key], br)
        labels = [f"< {br[0]:g}"] + [f"{a:g} to {b:g}" for a, b in zip(br, br[1:], strict=False)] + [f"\u2265 {br[-1]:g}"]
        parts.append(_table([{"class": f"{lab} {style.unit}", "area [%]": 100.0 * sh}
                             for lab, sh in zip(labels, shares, strict=True)][::-1]))
        parts[-1] = f'<div class="classtable"><p class="dim">{html.escape(style.label)}: area per class</p>{parts[-1]}</div>'
    return '<div class="plots">' + "".join(parts) + "</div>" if parts else ""


def _cdfs(ues: dict[str, Any], name: str) -> list[str]:
    """SINR, RSRP, throughput (Mbit/s, log axis) and coupling loss CDFs of per-UE tables."""
    specs = [("sinr_db", "SINR [dB]", 1.0, False), ("rsrp_dbm", "RSRP [dBm]", 1.0, False),
             ("throughput_bps", "User throughput [Mbit/s]", 1e-6, True),
             ("coupling_loss_db", "Coupling loss [dB]", 1.0, False)]
    return [_svg_cdf({k: df[col].to_numpy() * scale for k, df in ues.items()}, xlabel, name, log=log)
            for col, xlabel, scale, log in specs]


def _number(v: Any) -> float:
    """``v`` as a float; ``None`` (NaN in ``summary.json``) as NaN."""
    return float("nan") if v is None else float(v)


def call_rows(calls: dict[str, Any]) -> list[dict[str, Any]]:
    """Headline rows of ``kpis.calls`` (a mobile video-call run) for the KPI table."""
    specs = [
        ("n_calls", "calls", None), ("calls_per_cell", "calls per cell", 1.0),
        ("satisfied_share", "satisfied share (DL and UL)", 1.0), ("dl_satisfied_share", "DL satisfied share", 1.0),
        ("ul_satisfied_share", "UL satisfied share", 1.0),
        ("calls_with_handover", "calls with a handover", None),
        ("satisfied_share_with_handover", "satisfied share, calls with a handover", 1.0),
        ("satisfied_share_without_handover", "satisfied share, calls without a handover", 1.0),
        ("video_bitrate_offered_bps", "offered DL video bitrate [Mbit/s]", 1e-6),
        ("ul_video_bitrate_offered_bps", "offered UL video bitrate [Mbit/s]", 1e-6),
        ("background_ues", "background FTP UEs", None),
    ]
    return [{"KPI": label, "value": calls[key] if scale is None else _number(calls[key]) * scale}
            for key, label, scale in specs if key in calls]


def call_percentile_rows(calls: dict[str, Any]) -> list[dict[str, Any]]:
    """DL and UL percentile rows (5, 50, 95 % and mean where given) of ``kpis.calls``."""
    specs = [("video_bitrate_bps", "delivered video bitrate [Mbit/s]", 1e-6),
             ("video_frame_loss", "video frame loss", 1.0),
             ("video_p95_delay_s", "95th-percentile frame delay [ms]", 1e3),
             ("video_freeze_s", "video freeze time [s]", 1.0),
             ("voice_packet_loss", "voice packet loss", 1.0)]
    rows = []
    for key, label, scale in specs:
        for link in ("dl", "ul"):
            pc = calls.get(link, {}).get(key)
            if isinstance(pc, dict):
                rows.append({"metric": label, "link": link.upper(),
                             **{f"{p} %": _number(pc.get(p)) * scale for p in ("5", "50", "95")},
                             "mean": _number(pc.get("mean")) * scale})
    return rows


def _calls_html(calls: dict[str, Any]) -> str:
    th = calls.get("thresholds", {})
    loss, delay_s = th.get("max_loss"), th.get("max_p95_delay_s")
    loss_txt = f"{100 * loss:g} %" if loss is not None else "the loss threshold"
    delay_txt = f"{1e3 * delay_s:g} ms" if delay_s is not None else "the delay threshold"
    text = ('<p class="dim">A call carries video, and VoNR voice when enabled, in both directions. It is '
            f"satisfied when, in the downlink and in the uplink, its video frame loss is at most {loss_txt}, its voice "
            f"packet loss at most {loss_txt} and the 95th-percentile delay of its delivered video frames at "
            f"most {delay_txt} (docs/video.md). Background FTP UEs are not calls. Percentiles are over "
            "calls.</p>")
    return text + _table(call_rows(calls)) + _table(call_percentile_rows(calls))


def _static_video_html(video: dict[str, Any]) -> str:
    """The Video calls section of a static slot run (``kpis.slots.video``: downlink calls)."""
    th = video.get("thresholds", {})
    loss, delay_s = th.get("max_loss"), th.get("max_p95_delay_s")
    text = ('<p class="dim">Static slot run: UEs stay at their drop positions and calls run in the '
            "downlink (the uplink is full buffer). A call is satisfied when its video frame loss and voice "
            f"packet loss are at most {100 * _number(loss):g} % and the 95th-percentile delay of its delivered "
            f"frames at most {1e3 * _number(delay_s):g} ms (docs/video.md). Percentiles are over calls.</p>")
    keys = ("video_bitrate_bps", "video_frame_loss", "video_p95_delay_s", "video_freeze_s", "voice_packet_loss")
    as_calls = {k: video[k] for k in ("n_calls", "calls_per_cell", "satisfied_share", "video_bitrate_offered_bps",
                                      "background_ues") if k in video}
    as_calls["dl"] = {k: video[k] for k in keys if isinstance(video.get(k), dict)}
    return text + _table(call_rows(as_calls)) + _table(call_percentile_rows(as_calls))


def _call_cdfs(ue_calls, name: str) -> list[str]:
    """DL against UL CDFs over the calls (``call`` True) of ``ue_calls.parquet``."""
    calls = ue_calls[ue_calls["call"].to_numpy(dtype=bool)]
    if not len(calls):
        return []
    specs = [("video_frame_loss", "Video frame loss ratio", 1.0),
             ("video_p95_delay_s", "95th-percentile video frame delay [ms]", 1e3),
             ("video_bitrate_bps", "Delivered video bitrate [Mbit/s]", 1e-6)]
    return [_svg_cdf({"DL": calls[col].to_numpy(dtype=np.float64) * scale,
                      "UL": calls[f"ul_{col}"].to_numpy(dtype=np.float64) * scale},
                     xlabel, f"{name}: {len(calls)} calls")
            for col, xlabel, scale in specs if col in calls and f"ul_{col}" in calls]


CAPACITY_COLUMNS = {
    "calls_per_cell_target": "calls per cell (set)", "calls_per_cell": "calls per cell (measured)",
    "n_calls": "calls", "satisfied_share": "satisfied share", "dl_satisfied_share": "DL satisfied",
    "ul_satisfied_share": "UL satisfied", "handovers_per_ue_per_min": "handovers per UE per min",
}
"""Table headings of the ``capacity.parquet`` columns."""


def _capacity_html(cap: dict[str, Any] | None, table_path: Path, name: str) -> str:
    """The Capacity section from ``kpis.video_capacity`` and/or ``capacity.parquet``; "" when
    neither exists."""
    if table_path.is_file():
        table = pd.read_parquet(table_path)
    elif cap and cap.get("points"):
        table = pd.DataFrame(cap["points"])
    else:
        return ""
    if not len(table):
        return ""
    table = table.apply(pd.to_numeric, errors="coerce")  # null (NaN in summary.json) as NaN
    if cap is None:
        share = table["satisfied_share"].to_numpy(dtype=np.float64)
        cap = {"target_satisfied_share": CAPACITY_TARGET,
               "capacity_calls_per_cell": capacity_crossing(table["calls_per_cell"], share, CAPACITY_TARGET),
               "reached": bool(share[0] >= CAPACITY_TARGET)}
    target = float(cap.get("target_satisfied_share", 0.95))
    value = _number(cap.get("capacity_calls_per_cell"))
    share = table["satisfied_share"].to_numpy(dtype=np.float64)
    lightest = float(table["calls_per_cell"].iloc[0])
    target_txt = f"{100 * target:g} %"
    if not cap.get("reached", True):
        text = (f"<p><b>Capacity: {value:.2f} calls per cell.</b> Even the lightest load point "
                f"({lightest:.2f} calls per cell) keeps only {100 * share[0]:.1f} % of calls satisfied, below "
                f"the {target_txt} target: the scenario is coverage- rather than load-limited.</p>")
    elif np.all(share >= target):
        text = (f"<p><b>Capacity: at least {value:.2f} calls per cell.</b> Every load point keeps at least "
                f"{target_txt} of calls satisfied; the sweep does not reach the limit.</p>")
    else:
        text = (f"<p><b>Capacity: {value:.2f} calls per cell</b> keep at least {target_txt} of calls "
                "satisfied (linear interpolation between the last load point at or above the target and the "
                "first below it).</p>")
    text += ('<p class="dim">One run per load point (same seed); UEs per cell = calls / (1 - background FTP '
             "share). Calls per cell measured: calls / cells (docs/video.md).</p>")
    rows = [{CAPACITY_COLUMNS.get(k, k): int(v) if k in ("calls_per_cell_target", "n_calls") and np.isfinite(v)
             else float(v) for k, v in r.items()} for r in table.to_dict(orient="records")]
    svg = _svg_capacity(table, target, f"{name}: video-call capacity", value)
    return text + f'<div class="plots">{svg}</div>' + _table(rows)
