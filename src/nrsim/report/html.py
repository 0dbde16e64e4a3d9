"""One self-contained, offline HTML report: interactive map (sites and coverage layers, pan,
zoom, hover), KPI tables, CDF plots (inline SVG) and the resolved configuration; for video-call
runs also the call KPIs (DL and UL) and the capacity curve of a capacity sweep.

Everything is inline (CSS, JavaScript, PNG layers as data URIs, JSON); a Content-Security-
Policy forbids any request to another host, so opening the file makes no network request.

Security model (docs/sites.md, "Report security"): every string that comes from a user (site
list columns, scenario description, config values, KPI keys of ``summary.json``, file names)
is escaped for its context: :func:`html.escape` in HTML text and attributes,
:func:`json_for_script` in the inline JSON data block (cannot close its ``<script>``
element), and the script builds the DOM from data only with ``textContent`` and
``createElement`` (never ``innerHTML``). The policy (:func:`content_security_policy`) runs
only the report's own script, by its SHA-256 hash: no ``'unsafe-inline'`` script, no inline
event handler, no ``javascript:`` URL, no request.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nrsim.deployment.identity import cell_identity
from nrsim.config.loading import config_hash
from nrsim.coverage import (
    coverage_maps,
    polygon_stats,
    probability_maps,
    probability_polygon_stats,
    write_coverage_geotiffs,
)
from nrsim.coverage.geotiff import threshold_tag
from nrsim.coverage.raster import read_area_file
from nrsim.deployment.sites import config_site_list, excluded_cells
from nrsim.engine.snapshot import build_layout
from nrsim.engine.video_capacity import CAPACITY_TARGET, capacity_crossing
from nrsim.errors import ConfigError
from nrsim.kpi.outdir import check_report_file
from nrsim.kpi.writers import write_json
from nrsim.report.plots import _pyplot, draw_capacity, empirical_cdf
from nrsim.result_io import read_result


def content_security_policy(script: str) -> str:
    """The report's Content-Security-Policy (a ``<meta>`` element): nothing may load from
    anywhere (``default-src 'none'``, ``connect-src 'none'``, no ``base``, no form target);
    images only from ``data:`` URIs (the coverage layers); styles inline (the ``<style>``
    element and the ``style`` attributes of the inline SVG plots: CSS cannot run script and,
    with no source allowed, cannot make a request); scripts only the one whose SHA-256 hash is
    listed (``script``, the exact text of the report's ``<script>`` element), so an injected
    ``<script>``, inline event handler (``onerror=...``) or ``javascript:`` URL does not run;
    Trusted Types make any ``innerHTML``-style string sink throw."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
            f"script-src 'sha256-{digest}'; connect-src 'none'; base-uri 'none'; form-action 'none'; "
            "require-trusted-types-for 'script'; trusted-types 'none'")


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


LAYERS = {
    # key: (label, unit, colormap, vmin, vmax)
    "rsrp_dbm": ("best-server RSRP", "dBm", "viridis", -120.0, -60.0),
    "sinr_db": ("SINR", "dB", "RdYlGn", -5.0, 25.0),
    "throughput_mbps": ("expected user throughput", "Mbit/s", "magma", 0.0, 100.0),
    "serving_cell": ("best-server cell", "", "tab20", 0.0, 19.0),
    "delta_rsrp_db": ("RSRP change B - A", "dB", "RdBu", -20.0, 20.0),
    "delta_sinr_db": ("SINR change B - A", "dB", "RdBu", -20.0, 20.0),
    "lost_coverage": ("coverage lost in B", "", "Reds", 0.0, 1.0),
    "median_rsrp_dbm": ("median best-server RSRP", "dBm", "viridis", -120.0, -60.0),
    "dominant_cell": ("dominant cell (median RSRP)", "", "tab20", 0.0, 19.0),
}
_CELL_LAYERS = ("serving_cell", "dominant_cell")


def _layer_spec(key: str) -> tuple[str, str, str, float, float]:
    """(label, unit, colormap, vmin, vmax) of a layer; probability layers ``p_rsrp_ge_<t>``
    / ``p_sinr_ge_<t>`` (:func:`probability_layers`) are labelled from their key."""
    if key in LAYERS:
        return LAYERS[key]
    kind, _, tag = key.partition("_ge_")
    value = tag.replace("m", "-").replace("p", ".")
    unit = "dBm" if kind == "p_rsrp" else "dB"
    name = "RSRP" if kind == "p_rsrp" else "SINR"
    return (f"probability {name} >= {value} {unit}", "", "RdYlGn", 0.0, 1.0)


def probability_layers(pm) -> dict[str, np.ndarray]:
    """Map layers of :class:`nrsim.coverage.probability.ProbabilityMaps`: median RSRP,
    dominant cell and one probability layer per threshold."""
    out = {"median_rsrp_dbm": pm.median_rsrp_dbm, "dominant_cell": pm.dominant_cell.astype(np.float64)}
    out.update({f"p_rsrp_ge_{threshold_tag(t)}": a for t, a in pm.p_rsrp.items()})
    out.update({f"p_sinr_ge_{threshold_tag(t)}": a for t, a in pm.p_sinr.items()})
    return out


def _png_data_uri(values: np.ndarray, cmap: str, vmin: float, vmax: float, *, cyclic: bool = False) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import colormaps
    from matplotlib.image import imsave

    v = np.asarray(values, dtype=np.float64)
    mask = ~np.isfinite(v) | (cyclic & (v < 0))
    norm = np.mod(v, 20.0) / 19.0 if cyclic else np.clip((v - vmin) / (vmax - vmin), 0.0, 1.0)
    rgba = colormaps[cmap](np.where(mask, 0.0, norm))
    rgba[..., 3] = np.where(mask, 0.0, 0.75)
    buf = io.BytesIO()
    imsave(buf, rgba, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _legend_css(cmap: str) -> str:
    from matplotlib import colormaps

    cm = colormaps[cmap]
    stops = ", ".join(
        "rgb({},{},{})".format(*(int(255 * c) for c in cm(t)[:3])) for t in np.linspace(0, 1, 7)
    )
    return f"linear-gradient(to right, {stops})"


def _svg_cdf(series: dict[str, np.ndarray], xlabel: str, title: str) -> str:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    for label, vals in series.items():
        x, y = empirical_cdf(np.asarray(vals, dtype=np.float64))
        if x.size > 2000:  # enough points for a smooth curve in a small file
            idx = np.linspace(0, x.size - 1, 2000).astype(int)
            x, y = x[idx], y[idx]
        ax.plot(x, y, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("CDF")
    return _svg_of(fig, ax, title)


def _svg_capacity(points, target: float, title: str, capacity_calls_per_cell: float | None = None) -> str:
    """Inline SVG of a capacity curve (:func:`nrsim.report.plots.draw_capacity`) of
    ``points`` (a ``capacity.parquet`` table or its rows)."""
    fig, ax = _pyplot().subplots(figsize=(5.2, 3.4))
    draw_capacity(ax, points, target=target, capacity_calls_per_cell=capacity_calls_per_cell)
    return _svg_of(fig, ax, title)


def _svg_of(fig, ax, title: str) -> str:
    """Title, grid and legend, then the figure as an inline ``<svg>`` element (closed)."""
    from matplotlib.text import Text

    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    for t in fig.findobj(Text):  # a "$" in a label is text, not mathtext (which can fail to parse)
        t.set_parse_math(False)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    _pyplot().close(fig)
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


def kpi_rows(kpis: dict[str, Any]) -> list[dict[str, Any]]:
    labels = {
        "coupling_loss_db": ("coupling loss [dB]", 1.0), "rsrp_dbm": ("RSRP [dBm]", 1.0),
        "sinr_db": ("SINR [dB]", 1.0), "sir_db": ("SIR (geometry) [dB]", 1.0),
        "throughput_bps": ("user throughput [Mbit/s]", 1e-6),
    }
    notes = kpis.get("notes") or {}
    rows = []
    for key, (label, scale) in labels.items():
        pc = kpis.get("percentiles", {}).get(key)
        if pc:
            # a KPI with a note (kpis.notes) and null in summary.json is unbounded (+inf):
            # the SIR of a one-cell network (nrsim.kpi.metrics.kpi_notes)
            unbounded = float("inf") if key in notes else float("nan")
            rows.append({"metric": label, **{f"{p} %": unbounded if pc[p] is None else _number(pc[p]) * scale
                                            for p in ("5", "50", "95") if p in pc}})
    return rows


def notes_html(kpis: dict[str, Any]) -> str:
    """The notes of ``kpis.notes`` (e.g. an unbounded SIR) as escaped paragraphs."""
    notes = kpis.get("notes") or {}
    if not isinstance(notes, dict):
        return ""
    return "".join(f'<p class="dim">{html.escape(str(k))}: {html.escape(str(v))}</p>' for k, v in notes.items())


def scalar_rows(kpis: dict[str, Any]) -> list[dict[str, Any]]:
    keys = ("n_ue", "n_cells", "mean_throughput_bps", "cell_spectral_efficiency_bps_per_hz",
            "user_spectral_efficiency_5pct_bps_per_hz", "los_share", "indoor_share", "outage_share")
    return [{"KPI": k, "value": kpis[k]} for k in keys if k in kpis and not isinstance(kpis[k], dict)]


MAX_MAP_EVENTS = 20_000
"""Most mobility events drawn on the map (the first ones in time)."""
EVENT_CODES = {"successful": 0, "ping_pong": 1, "too_early": 2, "wrong_cell": 2, "too_late": 2, "rlf": 3}
"""Map marker of each event: 0 handover, 1 ping-pong, 2 handover failure, 3 RLF."""


def event_markers(events) -> list[list[float]]:
    """[[x, y, code], ...] of mobility events (``handover_events.parquet``) for the map."""
    if events is None or not len(events) or "x_m" not in events:
        return []
    ev = events[events["kind"].isin(["handover", "handover_failure", "rlf"])].head(MAX_MAP_EVENTS)
    code = [EVENT_CODES["rlf"] if k == "rlf" else EVENT_CODES.get(o, 0)
            for k, o in zip(ev["kind"], ev["outcome"], strict=True)]
    return [[round(float(x), 1), round(float(y), 1), c] for x, y, c in zip(ev["x_m"], ev["y_m"], code, strict=True)]


CELL_INFO_COLUMNS = ("site_id", "vendor", "operator", "antenna_model", "environment")
"""Site-list columns shown (as text) under the cell id in the map's hover box."""


def cell_info_text(meta: dict[str, Any]) -> str:
    """The hover box's second line for a cell: its site, vendor, operator, antenna model and
    environment (the non-empty ones, as given in the site list), and "switched off"."""
    parts = [f"{k.replace('_id', '').replace('_model', '')} {meta[k]}" for k in CELL_INFO_COLUMNS
             if str(meta.get(k, "") or "")]
    if meta.get("off"):
        parts.append("switched off")
    return " | ".join(parts)


def map_payload(maps, layout, cells_meta: list[dict[str, Any]] | None, extra_layers: dict[str, np.ndarray] | None = None,
                projection=None, events: list[list[float]] | None = None) -> dict[str, Any]:
    """JSON-able map: grid geometry, layer images (data URIs) and values (for hover), sites."""
    g = maps.grid
    layers = {
        "rsrp_dbm": maps.rsrp_dbm, "sinr_db": maps.sinr_db,
        "throughput_mbps": maps.throughput_bps / 1e6, "serving_cell": maps.serving_cell.astype(np.float64),
    }
    layers.update(extra_layers or {})
    out_layers = []
    for key, arr in layers.items():
        label, unit, cmap, vmin, vmax = _layer_spec(key)
        arr = np.asarray(arr, dtype=np.float64)
        if key in _CELL_LAYERS:
            arr = np.where(arr < 0, np.nan, arr)
        vals = np.where(np.isfinite(arr), np.round(arr, 2 if vmax == 1.0 else 1), np.nan)
        out_layers.append({
            "key": key, "label": label, "unit": unit, "vmin": vmin, "vmax": vmax,
            "png": _png_data_uri(arr, cmap, vmin, vmax, cyclic=(key in _CELL_LAYERS)),
            "legend": _legend_css(cmap),
            "values": [None if not np.isfinite(v) else float(v) for v in vals.ravel()],
        })
    bearing = layout.cell_bearing_deg
    sites = []
    for s in range(layout.n_sites):
        cells = np.flatnonzero(layout.cell_site == s)
        sites.append({
            "x": round(float(layout.site_xy_m[s, 0]), 1), "y": round(float(layout.site_xy_m[s, 1]), 1),
            "cells": [{
                "i": int(c), "b": float(bearing[c]),
                "vendor": (str(cells_meta[c].get("vendor", "")) if cells_meta else ""),
                "off": bool(cells_meta[c].get("off", False)) if cells_meta else False,
            } for c in cells],
        })
    corners = None
    if projection is not None:
        xs = [g.x0_m, g.x0_m + g.n_cols * g.resolution_m]
        ys = [g.y0_m, g.y0_m - g.n_rows * g.resolution_m]
        lat, lon = projection.to_latlon_deg([xs[0], xs[1], xs[0], xs[1]], [ys[0], ys[0], ys[1], ys[1]])
        corners = {"lat": [float(v) for v in lat], "lon": [float(v) for v in lon]}
    cell_ids = [str(m["cell_id"]) for m in cells_meta] if cells_meta else None
    cell_info = [cell_info_text(m) for m in cells_meta] if cells_meta else None
    return {
        "x0": g.x0_m, "y0": g.y0_m, "res": g.resolution_m, "rows": g.n_rows, "cols": g.n_cols,
        "layers": out_layers, "sites": sites, "corners": corners, "cell_ids": cell_ids, "cell_info": cell_info,
        "epsg": maps.epsg, "events": events or [],
    }


_JS = r"""
(function(){
var errs=[];window.__nrsimErrors=errs;
window.addEventListener('error',function(e){errs.push(String(e.message));});
document.addEventListener('securitypolicyviolation',function(e){errs.push('csp '+e.blockedURI);});
var M=JSON.parse(document.getElementById('map-data').textContent);
var cv=document.getElementById('map'),ctx=cv.getContext('2d'),tip=document.getElementById('tip');
var sel=document.getElementById('layer'),leg=document.getElementById('legend');
var imgs=M.layers.map(function(L){var im=new Image();im.onload=draw;im.src=L.png;return im;});
M.layers.forEach(function(L,i){var o=document.createElement('option');o.value=i;o.textContent=L.label+(L.unit?' ['+L.unit+']':'');sel.appendChild(o);});
var W=M.cols*M.res,H=M.rows*M.res;
var view={s:Math.min(cv.width/W,cv.height/H),tx:0,ty:0};
view.tx=(cv.width-W*view.s)/2;view.ty=(cv.height-H*view.s)/2;
function toScreen(x,y){return [(x-M.x0)*view.s+view.tx,(M.y0-y)*view.s+view.ty];}
function toWorld(px,py){return [(px-view.tx)/view.s+M.x0,M.y0-(py-view.ty)/view.s];}
var showSites=document.getElementById('sites');
function draw(){
 ctx.fillStyle='#f4f4f0';ctx.fillRect(0,0,cv.width,cv.height);
 var L=M.layers[sel.value|0],im=imgs[sel.value|0];
 ctx.imageSmoothingEnabled=false;
 var p=toScreen(M.x0,M.y0);
 if(im.complete&&im.naturalWidth){ctx.drawImage(im,p[0],p[1],W*view.s,H*view.s);}
 ctx.strokeStyle='#999';ctx.strokeRect(p[0],p[1],W*view.s,H*view.s);
 if(showSites.checked){
  var r=Math.max(6,Math.min(40,view.s*M.res*1.6));
  M.sites.forEach(function(S){var q=toScreen(S.x,S.y);
   S.cells.forEach(function(C){var a=-C.b*Math.PI/180;
    ctx.beginPath();ctx.moveTo(q[0],q[1]);ctx.arc(q[0],q[1],r,a-0.45,a+0.45);ctx.closePath();
    ctx.fillStyle=C.off?'rgba(120,120,120,0.35)':(C.vendor==='vendor-b'?'rgba(230,120,0,0.8)':(C.vendor==='vendor-c'?'rgba(0,150,100,0.8)':'rgba(30,60,200,0.8)'));
    ctx.fill();ctx.strokeStyle='#fff';ctx.lineWidth=0.5;ctx.stroke();});
   ctx.beginPath();ctx.arc(q[0],q[1],2.5,0,6.3);ctx.fillStyle='#000';ctx.fill();});
 }
 var EC=['rgba(0,160,60,0.85)','rgba(240,140,0,0.9)','rgba(220,0,0,0.95)','rgba(0,0,0,0.9)'];
 (M.events||[]).forEach(function(E){var q=toScreen(E[0],E[1]);ctx.fillStyle=EC[E[2]];
  if(E[2]>=2){ctx.fillRect(q[0]-2.5,q[1]-2.5,5,5);}else{ctx.beginPath();ctx.arc(q[0],q[1],2,0,6.3);ctx.fill();}});
 leg.style.background=L.legend;
 document.getElementById('lmin').textContent=(L.key==='serving_cell'||L.key==='dominant_cell')?'':L.vmin;
 document.getElementById('lmax').textContent=(L.key==='serving_cell'||L.key==='dominant_cell')?'':L.vmax+' '+L.unit;
 cv.setAttribute('data-rendered','1');cv.setAttribute('data-layer',L.key);cv.setAttribute('data-sites',M.sites.length);cv.setAttribute('data-events',(M.events||[]).length);
}
function latlon(x,y){if(!M.corners)return '';var u=(x-M.x0)/W,v=(M.y0-y)/H,c=M.corners;
 function bil(a){return (1-u)*(1-v)*a[0]+u*(1-v)*a[1]+(1-u)*v*a[2]+u*v*a[3];}
 return bil(c.lat).toFixed(5)+', '+bil(c.lon).toFixed(5);}
// data reach the DOM only as text (textContent), never as markup
function line(text,cls){var d=document.createElement('div');if(cls)d.className=cls;d.textContent=String(text);return d;}
function valueAt(key,i){for(var k=0;k<M.layers.length;k++){if(M.layers[k].key===key)return M.layers[k].values[i];}return null;}
cv.addEventListener('mousemove',function(e){
 var b=cv.getBoundingClientRect(),px=(e.clientX-b.left)*cv.width/b.width,py=(e.clientY-b.top)*cv.height/b.height;
 if(drag){view.tx+=px-drag[0];view.ty+=py-drag[1];drag=[px,py];draw();return;}
 var w=toWorld(px,py),col=Math.floor((w[0]-M.x0)/M.res),row=Math.floor((M.y0-w[1])/M.res);
 if(col<0||row<0||col>=M.cols||row>=M.rows){tip.style.display='none';return;}
 var i=row*M.cols+col,cell=valueAt('serving_cell',i);
 if(cell===null){tip.style.display='none';return;}
 var kids=[line(M.cell_ids?M.cell_ids[cell]:('cell '+cell),'name')];
 if(M.cell_info&&M.cell_info[cell])kids.push(line(M.cell_info[cell],'dim'));
 M.layers.forEach(function(L){if(L.key!=='serving_cell'){var v=L.values[i];kids.push(line(L.label+': '+(v===null?'-':v)+' '+L.unit,''));}});
 var ll=latlon(w[0],w[1]);if(ll)kids.push(line(ll,'dim'));
 tip.replaceChildren.apply(tip,kids);tip.setAttribute('data-cell',cell);
 tip.style.display='block';tip.style.left=(e.pageX+12)+'px';tip.style.top=(e.pageY+12)+'px';
});
var drag=null;
cv.addEventListener('mousedown',function(e){var b=cv.getBoundingClientRect();drag=[(e.clientX-b.left)*cv.width/b.width,(e.clientY-b.top)*cv.height/b.height];});
window.addEventListener('mouseup',function(){drag=null;});
cv.addEventListener('mouseleave',function(){tip.style.display='none';});
cv.addEventListener('wheel',function(e){e.preventDefault();var b=cv.getBoundingClientRect(),px=(e.clientX-b.left)*cv.width/b.width,py=(e.clientY-b.top)*cv.height/b.height;
 var f=e.deltaY<0?1.2:1/1.2;view.tx=px-(px-view.tx)*f;view.ty=py-(py-view.ty)*f;view.s*=f;draw();},{passive:false});
sel.addEventListener('change',draw);showSites.addEventListener('change',draw);
document.getElementById('reset').addEventListener('click',function(){view.s=Math.min(cv.width/W,cv.height/H);view.tx=(cv.width-W*view.s)/2;view.ty=(cv.height-H*view.s)/2;draw();});
draw();
window.addEventListener('load',function(){draw();var n=(performance.getEntriesByType('resource')||[]).length;
 document.body.setAttribute('data-resource-requests',n);document.body.setAttribute('data-errors',errs.length);
 document.body.setAttribute('data-error-text',errs.join(' | '));document.body.setAttribute('data-ready','1');});
})();
"""

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:16px;color:#222}
h1{font-size:1.5em;margin-bottom:0}h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}
.dim{color:#777;font-size:0.85em}
table.kpi{border-collapse:collapse;margin:8px 0}table.kpi td,table.kpi th{border:1px solid #ccc;padding:3px 8px;text-align:right}
table.kpi th{background:#f0f0f0}table.kpi td:first-child{text-align:left}
#map{border:1px solid #aaa;cursor:grab;width:100%;max-width:1000px;background:#f4f4f0}
#tip{position:absolute;display:none;background:rgba(255,255,255,0.95);border:1px solid #888;padding:4px 8px;font-size:12px;pointer-events:none;max-width:420px;overflow-wrap:anywhere}
#tip .name{font-weight:bold}
#legend{display:inline-block;width:240px;height:12px;border:1px solid #888;vertical-align:middle;margin:0 6px}
.plots{display:flex;flex-wrap:wrap;gap:8px}.plots svg{width:520px;height:auto}
pre{background:#f7f7f7;padding:8px;overflow:auto;max-height:400px;font-size:12px}
"""


def render_html(*, title: str, subtitle: str, map_data: dict[str, Any] | None, sections: list[tuple[str, str]],
                config: dict[str, Any]) -> str:
    """The whole document; ``sections`` are (heading, inner HTML) after the map. Headings,
    ``title`` and ``subtitle`` are escaped here; inner HTML must already escape every user
    string (``_table`` does); ``map_data`` is embedded with :func:`json_for_script` and shown
    by the script as text only; ``config`` is shown as escaped JSON."""
    map_html = ""
    if map_data is not None:
        payload = json_for_script(map_data)
        frame = (f"Local UTM frame (EPSG:{html.escape(str(map_data['epsg']))})" if map_data.get("epsg")
                 else "Local metric frame (no geographic reference)")
        map_html = f"""
<h2>Map</h2>
<div class="dim">{frame}, {float(map_data['res']):g} m pixels.
Drag to pan, wheel to zoom, hover for the best-server cell, RSRP, SINR and throughput. Cell wedges: blue vendor-a, orange vendor-b, green vendor-c, grey switched off.</div>
<p><label>Layer <select id="layer"></select></label>
<label><input type="checkbox" id="sites" checked> sites</label> <button id="reset">reset view</button>
<span id="lmin"></span><span id="legend"></span><span id="lmax"></span></p>
<canvas id="map" width="1000" height="760"></canvas><div id="tip"></div>
<script type="application/json" id="map-data">{payload}</script>
<script>{_JS}</script>"""
    body = "".join(f"<h2>{html.escape(h)}</h2>\n{inner}\n" for h, inner in sections)
    cfg = html.escape(json.dumps(config, indent=2, sort_keys=True))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{html.escape(content_security_policy(_JS))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="nrsim">
<title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{html.escape(title)}</h1><div class="dim">{html.escape(subtitle)}</div>
{map_html}
{body}
<h2>Resolved configuration</h2><pre id="config">{cfg}</pre>
</body></html>
"""


def atomic_write_text(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _cells_meta(cfg, n_cells: int) -> list[dict[str, Any]] | None:
    if cfg.deployment.layout != "sites":
        return None

    sl = config_site_list(cfg)
    off = excluded_cells(sl, cfg.sites)
    c = sl.cells
    return [{"cell_id": str(c.at[i, "cell_id"]), **{k: str(c.at[i, k]) for k in CELL_INFO_COLUMNS},
             "off": bool(off[i])} for i in range(n_cells)]


def write_report(results_dir: str | Path, *, out: str | Path | None = None, geotiff: bool = True,
                 force: bool = False) -> Path:
    """Write ``report.html`` (and the coverage GeoTIFFs and ``coverage_stats.json``) into a
    result folder of :func:`nrsim.run`. Returns the report's path. An existing ``out`` that
    is not an nrsim report is replaced only with ``force``
    (:func:`nrsim.kpi.outdir.check_report_file`)."""
    result = read_result(results_dir)  # a missing, corrupt or changed file: ResultFolderError naming it
    folder = Path(results_dir)
    check_report_file(Path(out) if out else folder / "report.html", force=force)
    summary, cfg = result.summary, result.config
    layout = build_layout(cfg)
    maps = coverage_maps(cfg, layout=layout)
    stats = polygon_stats(maps, cfg, _stat_polygons(cfg))
    pmaps = probability_maps(cfg, layout=layout, grid=maps.grid)
    p_stats = probability_polygon_stats(pmaps, _stat_polygons(cfg))
    projection = _projection(cfg)
    if geotiff:

        ident = cell_identity(cfg, layout)  # index -> cell_id, site_id, vendor beside the index rasters
        write_coverage_geotiffs(maps, folder, probability=pmaps,
                                cell_ids=list(zip(ident.cell_id, ident.site_id, ident.vendor, strict=True)))
        write_json(folder / "coverage_stats.json", stats)
        write_json(folder / "coverage_probability_stats.json", p_stats)
    ue = result.tables["ue"] if "ue" in result.tables else None
    events = result.events
    sections = []
    if result.kind in ("mobility", "calls"):
        mob = summary["kpis"]["mobility"]
        sections.append(("Mobility", '<p class="dim">Handover events on the map: green dots handovers, '
                         "orange dots ping-pongs, red squares handover failures (too early, too late, "
                         "wrong cell), black squares radio-link failures (docs/mobility.md).</p>"
                         + _table([{"KPI": k, "value": v} for k, v in mob.items()])))
    else:
        sections.append(("KPIs", _table(kpi_rows(summary["kpis"])) + notes_html(summary["kpis"])
                         + _table(scalar_rows(summary["kpis"]))))
    if summary["kpis"].get("calls"):
        sections.append(("Video calls", _calls_html(summary["kpis"]["calls"])))
    elif (summary["kpis"].get("slots") or {}).get("video"):
        sections.append(("Video calls", _static_video_html(summary["kpis"]["slots"]["video"])))
    capacity = _capacity_html(summary["kpis"].get("video_capacity"), folder / "capacity.parquet", cfg.name)
    if capacity:
        sections.append(("Capacity", capacity))
    sections.append(("Coverage of the area", _coverage_text(cfg) + _table(_stat_rows(stats))
                     + _probability_text() + _table(p_stats)))
    plots = _cdfs({"run": ue}, cfg.name) if ue is not None else []
    if "ue_calls" in result.tables:
        plots += _call_cdfs(result.tables["ue_calls"], cfg.name)
    if plots:
        sections.append(("CDFs", '<div class="plots">' + "".join(plots) + "</div>"))
    html_text = render_html(
        title=f"nrsim report: {cfg.name}",
        subtitle=f"{cfg.description} | nrsim {summary.get('nrsim_version')} | config {config_hash(cfg)} | "
                 f"seed {cfg.seed} | {cfg.drops} drops",
        map_data=map_payload(maps, layout, _cells_meta(cfg, layout.n_cells), probability_layers(pmaps),
                             projection=projection, events=event_markers(events)),
        sections=sections,
        config=summary["config"],
    )
    return atomic_write_text(Path(out) if out else folder / "report.html", html_text)


def _projection(cfg):
    if cfg.deployment.layout != "sites":
        return None

    return config_site_list(cfg).projection


def _stat_polygons(cfg):
    if cfg.coverage.area_file and cfg.deployment.layout == "sites":
        return [("area of interest", None)] + read_area_file(cfg.coverage.area_file, _projection(cfg))
    return None


def _coverage_text(cfg) -> str:
    cv = cfg.coverage
    return (f'<p class="dim">Outdoor points at {cfg.deployment.ue.outdoor_height_m:g} m on a {cv.resolution_m:g} m '
            f"raster (one realisation of LOS and shadow fading, drop 0). Covered: RSRP &ge; "
            f"{cv.rsrp_threshold_dbm:g} dBm and SINR &ge; {cv.sinr_threshold_db:g} dB. Expected user "
            f"throughput with {cv.users_per_cell:g} users per cell, interferers at load {cfg.radio.load:g}.</p>")


def _probability_text() -> str:
    return ('<p class="dim">Probability of coverage (planning-tool view, docs/sites.md): per point the '
            "probability over the LOS state and the shadow fading that the best-server RSRP or the SINR "
            "reaches each threshold, from the median prediction of every link; the area coverage probability "
            "is its mean over the polygon. The map layers add the median best-server RSRP, the dominant cell "
            "(largest median RSRP) and one probability layer per threshold.</p>")


def _stat_rows(stats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{
        "polygon": s["polygon"], "area [km2]": s["area_km2"], "RSRP ok": s["share_rsrp_ok"],
        "SINR ok": s["share_sinr_ok"], "covered": s["share_covered"],
        "throughput ok": s["share_throughput_ok"], "median RSRP [dBm]": s["median_rsrp_dbm"],
        "median SINR [dB]": s["median_sinr_db"], "median throughput [Mbit/s]": s["median_throughput_bps"] / 1e6,
    } for s in stats]


def _cdfs(ues: dict[str, Any], name: str) -> list[str]:
    specs = [("sinr_db", "SINR [dB]", 1.0), ("rsrp_dbm", "RSRP [dBm]", 1.0),
             ("throughput_bps", "User throughput [Mbit/s]", 1e-6), ("coupling_loss_db", "Coupling loss [dB]", 1.0)]
    return [_svg_cdf({k: df[col].to_numpy() * scale for k, df in ues.items()}, xlabel, name)
            for col, xlabel, scale in specs]


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
