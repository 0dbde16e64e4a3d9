"""The HTML reports (``nrsim run --report``, ``nrsim report``, ``nrsim compare``) built from
hostile inputs: a corpus of script-injection payloads in every string column of a site list
(CSV and GeoJSON), in the scenario description, a coverage polygon name, file names, and
command-line overrides.

Two layers are checked separately (docs/sites.md, "Report security"):
- escaping: the rendered HTML has no element, attribute or script that a payload made; the
  inline JSON data block cannot end its ``<script>`` element and reads back the exact strings;
  in a real headless Chromium the payloads show as text (page text and the map's hover box,
  reached by real mouse events through the DevTools protocol), nothing runs, and the map
  still renders;
- the Content-Security-Policy: no ``'unsafe-inline'`` script, the one script allowed by its
  SHA-256 hash; markup injected into a copy of a report (as if escaping had failed) does not
  run, and Trusted Types refuse ``innerHTML``.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nrsim.cli.app import app
from nrsim.report import html as rh

MARK = "document.title='PWNED';window.__pwned=1;document.body.setAttribute('data-pwned','1')"
"""What every executable payload tries to do; the tests look for each effect."""

PAYLOADS = [
    f'<img src=x onerror="{MARK}">',
    "<!--<script>",
    f"</script><script>{MARK}</script>",
    f"\"'><svg onload=\"{MARK}\">",
    f"javascript:{MARK}",
    "line\u2028sep\u2029para",
    "{{constructor.constructor('window.__pwned=1')()}} ${window.__pwned=1} `x`",
    "x" * 3000 + '<b id="pwned">long</b>',
    "Zelle \u00dc \u6771\u4eac \U0001f680 \u202eRTL",
    f'<iframe srcdoc="<script>{MARK}</script>"></iframe>',
    "&lt;b&gt;already escaped&amp;amp;",
    f'<style>*{{display:none}}</style><a id="pwned" href="javascript:{MARK}">x</a>',
]
"""One payload per cell (cell ids are unique); the other columns take them in turn."""

N_SITES = 4
SITE_LATLON = [(51.5074, -0.1278), (51.5098, -0.1236), (51.5050, -0.1232), (51.5076, -0.1190)]


def _site_rows() -> list[dict[str, str]]:
    rows = []
    for i, cell_id in enumerate(PAYLOADS):
        s = i // 3
        rows.append({
            "site_id": PAYLOADS[(3 * s + 4) % 12] + f" site{s}", "cell_id": cell_id,
            "lat": f"{SITE_LATLON[s][0]:.6f}", "lon": f"{SITE_LATLON[s][1]:.6f}", "height_m": "25",
            "azimuth_deg": str(120 * (i % 3)), "antenna_model": PAYLOADS[(i + 9) % 12],
            "vendor": PAYLOADS[(i + 5) % 12], "operator": PAYLOADS[(i + 7) % 12], "environment": "uma",
        })
    return rows


def _toml_str(s: str) -> str:
    """A TOML basic string (JSON escapes, non-ASCII kept: TOML has no surrogate escapes)."""
    return json.dumps(s, ensure_ascii=False)


EXCLUDED_VENDOR = PAYLOADS[1]
"""B of the what-if switches off the cells with this vendor label (sites.exclude_vendor)."""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> SimpleNamespace:
    """A run with ``--report`` and a compare, on a hostile site list and scenario."""
    d = tmp_path_factory.mktemp("hostile")
    rows = _site_rows()
    csv_path = d / "sites\"'><img src=x onerror=window.__pwned=1>.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    geo_path = d / "sites<svg onload=window.__pwned=1>.geojson"
    geo_path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(r["lon"]), float(r["lat"])]},
         "properties": {k: v for k, v in r.items() if k not in ("lat", "lon")}} for r in rows]}), encoding="utf-8")
    lat0, lat1, lon0, lon1 = 51.5035, 51.5115, -0.1300, -0.1170
    area = d / "area.geojson"
    area.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": PAYLOADS[3]},
        "geometry": {"type": "Polygon", "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1],
                                                         [lon0, lat0]]]}}]}), encoding="utf-8")
    description = " ".join(PAYLOADS[:4])
    scenario = d / "scenario\"'><img src=x onerror=window.__pwned=1>.toml"
    scenario.write_text(f"""name = "hostile"
description = {_toml_str(description)}
seed = 1
drops = 1
[deployment]
layout = "sites"
sites_file = {_toml_str(str(csv_path))}
[deployment.ue]
per_sector = 2
[channel]
scenario = "uma"
fc_ghz = 3.5
[radio]
bandwidth_mhz = 100.0
[coverage]
resolution_m = 25.0
margin_m = 150.0
area_file = {_toml_str(str(area))}
""", encoding="utf-8")
    runner = CliRunner()
    out = d / "run"
    res = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--report"])
    assert res.exit_code == 0, res.output
    cmp_out = d / "compare"
    res = runner.invoke(app, ["compare", str(scenario), str(scenario), "--out", str(cmp_out),
                              "--set-b", f"deployment.sites_file={_toml_str(str(geo_path))}",
                              "--set-b", f"sites.exclude_vendor=[{_toml_str(EXCLUDED_VENDOR)}]",
                              "--set-b", f"description={PAYLOADS[2]}"])
    assert res.exit_code == 0, res.output
    return SimpleNamespace(report=out / "report.html", compare=cmp_out / "report.html", rows=rows,
                           description=description, csv=csv_path, geojson=geo_path, scenario=scenario)


# ------------------------------------------------------------------ the HTML, read in Python


class _Page(HTMLParser):
    """Elements, attributes, scripts (attributes, text) and text outside scripts of a page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text_parts: list[str] = []
        self._script: list | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag == "script":
            self._script = [dict(attrs), ""]

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script[0], self._script[1]))
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script[1] += data
        else:
            self.text_parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def csp(self) -> dict[str, list[str]]:
        metas = [a for t, a in self.elements if t == "meta" and (a.get("http-equiv") or "").lower()
                 == "content-security-policy"]
        assert len(metas) == 1
        out = {}
        for part in metas[0]["content"].split(";"):
            words = part.split()
            if words:
                out[words[0]] = words[1:]
        return out


FORBIDDEN_TAGS = {"img", "iframe", "a", "object", "embed", "link", "base", "form", "frame", "frameset",
                  "math", "template", "noscript", "audio", "video", "source"}
"""Elements no report makes (the map layers are drawn on a canvas from data URIs in the JSON)."""


def check_page_structure(text: str) -> _Page:
    """No element, attribute or script that a payload could have made; the CSP allows only
    the report's own script, by hash. Returns the parsed page."""
    page = _Page(text)
    tags = {t for t, _ in page.elements}
    assert not tags & FORBIDDEN_TAGS, tags & FORBIDDEN_TAGS
    for tag, attrs in page.elements:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            assert name not in ("srcdoc", "formaction")
            if name in ("href", "src", "xlink:href", "action") and value:
                assert not value.strip().lower().startswith("javascript:"), (tag, name, value)
        assert attrs.get("id") != "pwned"
    csp = page.csp()
    assert csp["default-src"] == ["'none'"]
    assert csp["connect-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["img-src"] == ["data:"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp["require-trusted-types-for"] == ["'script'"]
    code = [s for a, s in page.scripts if a.get("type") != "application/json"]
    data = [s for a, s in page.scripts if a.get("type") == "application/json"]
    assert len(code) <= 1 and len(data) == len(code)
    for s in code:  # the one script runs because the policy lists its hash
        digest = base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode("ascii")
        assert csp["script-src"] == [f"'sha256-{digest}'"]
        assert not re.search(r"\.(inner|outer)HTML|insertAdjacentHTML|document\.write|\beval\(|new Function", s)
    for s in data:
        assert not set(s) & set("<>&\u2028\u2029"), "the JSON block could end its script element"
    return page


def map_data(page: _Page) -> dict:
    (data,) = [s for a, s in page.scripts if a.get("type") == "application/json"]
    return json.loads(data)


def test_json_for_script_corpus_reads_back() -> None:
    for s in PAYLOADS + ["</script>", "<!--", "-->", "<\\/script>", "]]>", "\u2028\u2029"]:
        text = rh.json_for_script({"s": s, "list": [s]})
        assert not set(text) & set("<>&\u2028\u2029")
        page = _Page(f'<script type="application/json">{text}</script><p>after</p>')
        assert [json.loads(t) for _, t in page.scripts] == [{"s": s, "list": [s]}]
        assert page.text == "after"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_json_for_script_any_text(s: str) -> None:
    text = rh.json_for_script([s])
    assert not set(text) & set("<>&\u2028\u2029")
    assert json.loads(text) == [s]


def _fake_maps(n_cells: int):
    """A 6 x 8 coverage raster served by cells 0..n_cells-1 (for render_html without a run)."""
    rows, cols = 6, 8
    serving = (np.arange(rows * cols).reshape(rows, cols) % n_cells).astype(np.int64)
    grid = SimpleNamespace(x0_m=0.0, y0_m=300.0, resolution_m=50.0, n_rows=rows, n_cols=cols)
    maps = SimpleNamespace(grid=grid, rsrp_dbm=np.full((rows, cols), -90.0), sinr_db=np.full((rows, cols), 5.0),
                           throughput_bps=np.full((rows, cols), 2e7), serving_cell=serving, epsg=None)
    layout = SimpleNamespace(n_sites=N_SITES, cell_site=np.arange(n_cells) // 3,
                             site_xy_m=np.array([[50.0 + 100 * s, 150.0] for s in range(N_SITES)]),
                             cell_bearing_deg=np.tile([90.0, 210.0, 330.0], N_SITES))
    return maps, layout


def test_render_html_escapes_every_field() -> None:
    """render_html with payloads in the title, subtitle, headings, table keys and values, the
    config, and every site-list label (fast: no run)."""
    maps, layout = _fake_maps(len(PAYLOADS))
    meta = [{"cell_id": r["cell_id"], **{k: r.get(k, "") for k in rh.CELL_INFO_COLUMNS}, "off": i == 1}
            for i, r in enumerate(_site_rows())]
    table = rh._table([{p[:40] + str(i): p for i, p in enumerate(PAYLOADS)}])
    text = rh.render_html(title=PAYLOADS[2], subtitle=PAYLOADS[0],
                          map_data=rh.map_payload(maps, layout, meta),
                          sections=[(PAYLOADS[1], table), (PAYLOADS[3], rh.notes_html({"notes": {PAYLOADS[9]: PAYLOADS[4]}}))],
                          config={"description": PAYLOADS[0], PAYLOADS[2]: PAYLOADS[9]})
    page = check_page_structure(text)
    for p in PAYLOADS:
        assert p in page.text  # shown as text (headings, table, config)
    m = map_data(page)
    assert m["cell_ids"] == PAYLOADS
    for i, info in enumerate(m["cell_info"]):
        for k in rh.CELL_INFO_COLUMNS:
            assert meta[i][k] in info
    assert "switched off" in m["cell_info"][1]


def test_report_and_compare_html_escape_hostile_site_lists(hostile) -> None:
    """The real reports of a hostile run and what-if: structure, data and text."""
    page = check_page_structure(hostile.report.read_text(encoding="utf-8"))
    text = page.text
    assert hostile.description in text  # subtitle and config
    assert PAYLOADS[3] in text  # coverage polygon name in the area table
    assert json.dumps(str(hostile.csv))[1:-1] in text  # the site-list file name, in the config (JSON)
    m = map_data(page)
    assert m["cell_ids"] == PAYLOADS  # site-list order: four sites of three cells
    for r, info in zip(hostile.rows, m["cell_info"], strict=True):
        for k in ("site_id", "vendor", "operator", "antenna_model"):
            assert r[k] in info
    cmp = check_page_structure(hostile.compare.read_text(encoding="utf-8"))
    assert str(hostile.scenario) in cmp.text  # A and B sources in the what-if summary
    assert f"description={PAYLOADS[2]}" in cmp.text  # B's override
    assert EXCLUDED_VENDOR in cmp.text  # B's exclude_vendor in the override and the config
    mc = map_data(cmp)
    assert mc["cell_ids"] == PAYLOADS  # B's cells, from the GeoJSON site list
    off = [i for i, r in enumerate(hostile.rows) if r["vendor"] == EXCLUDED_VENDOR]
    assert off and all("switched off" in mc["cell_info"][i] for i in off)


# ------------------------------------------------------------------ a real browser


# DevTools (headless Chromium over the DevTools protocol) and the ``browser`` fixture: conftest.py


PWNED_STATE = ("[document.title, typeof window.__pwned, document.body.getAttribute('data-pwned'),"
               " !!document.getElementById('pwned'), document.querySelectorAll('[onerror],[onload],iframe,img,a').length,"
               " document.scripts.length, document.body.getAttribute('data-errors'),"
               " document.body.getAttribute('data-error-text')]")


def assert_nothing_ran(b: DevTools, title: str) -> None:
    t, pwned, attr, elem, injected, n_scripts, n_errors, error_text = b.eval(PWNED_STATE)
    assert t == title
    assert pwned == "undefined" and attr is None and not elem
    assert injected == 0 and n_scripts == 2
    assert n_errors == "0", error_text  # no script error, no CSP violation
    assert b.problems() == []


def layer_values(m: dict, key: str) -> np.ndarray:
    """A map layer's values [row, col] (NaN: no data), decoded from the payload's base64
    little-endian int16 (value x scale; -32768 no data) independently of the report's script."""
    layer = next(layer for layer in m["layers"] if layer["key"] == key)
    raw = np.frombuffer(base64.b64decode(layer["data"]), dtype="<i2").astype(np.float64)
    return np.where(raw == -32768, np.nan, raw / layer["scale"]).reshape(m["rows"], m["cols"])


def hover_targets(b: DevTools) -> dict[int, tuple[float, float]]:
    """For each cell serving some pixel of the map: a viewport point inside one of its pixels
    (the inverse of the report's own screen transform; the hover itself is a real mouse event)."""
    m = b.eval("JSON.parse(document.getElementById('map-data').textContent)")
    left, top, width, height, cw, ch = b.eval(
        "(()=>{var c=document.getElementById('map');c.scrollIntoView();var r=c.getBoundingClientRect();"
        "return [r.left,r.top,r.width,r.height,c.width,c.height]})()")
    grid = layer_values(m, "serving_cell")
    w_m, h_m = m["cols"] * m["res"], m["rows"] * m["res"]
    s = min(cw / w_m, ch / h_m)
    tx, ty = (cw - w_m * s) / 2, (ch - h_m * s) / 2
    out = {}
    for row in range(1, m["rows"] - 1):
        for col in range(1, m["cols"] - 1):
            block = grid[row - 1:row + 2, col - 1:col + 2]
            c = grid[row, col]
            if np.isfinite(c) and int(c) not in out and np.all(block == c):  # inside the cell's area
                px, py = (col + 0.5) * m["res"] * s + tx, (row + 0.5) * m["res"] * s + ty
                out[int(c)] = (left + px * width / cw, top + py * height / ch)
    return out


def test_report_in_chromium_nothing_runs_payloads_show_as_text(hostile, browser) -> None:
    b = browser
    b.open(hostile.report)
    assert_nothing_ran(b, "nrsim report: hostile")
    # the map rendered: the script ran, drew the sites and the coverage layer
    canvas = b.eval("(()=>{var c=document.getElementById('map');return [c.getAttribute('data-rendered'),"
                    "c.getAttribute('data-sites'),document.getElementById('layer').options.length]})()")
    # 4 single-draw layers + median RSRP, dominant cell, vendor of the dominant cell,
    # 3 P(RSRP >= t) and 3 P(SINR >= t)
    assert canvas == ["1", str(N_SITES), 13]
    coloured = b.eval("(()=>{var c=document.getElementById('map'),d=c.getContext('2d').getImageData(0,0,c.width,"
                      "c.height).data,n=0;for(var i=0;i<d.length;i+=4){if(Math.max(d[i],d[i+1],d[i+2])-"
                      "Math.min(d[i],d[i+1],d[i+2])>60)n++;}return n/(d.length/4)})()")
    assert coloured > 0.05
    # the payloads are page text: subtitle (description), area table (polygon name), config
    body = b.eval("document.body.textContent")
    assert hostile.description in body and PAYLOADS[3] in body
    assert json.dumps(str(hostile.csv))[1:-1] in b.eval("document.getElementById('config').textContent")
    # hover over each cell's area: the hover box shows its labels as text
    targets = hover_targets(b)
    assert len(targets) >= 9, targets  # most of the 12 cells serve an inner pixel
    for cell, (x, y) in targets.items():
        b.mouse("mouseMoved", x, y)
        display, shown, text, children = b.eval(
            "(()=>{var t=document.getElementById('tip');return [t.style.display,t.getAttribute('data-cell'),"
            "t.textContent,Array.from(t.querySelectorAll('*')).map(function(e){return e.tagName}).join()]})()")
        assert display == "block" and shown == str(cell)
        r = hostile.rows[cell]
        for k in ("cell_id", "site_id", "vendor", "operator", "antenna_model"):
            assert r[k] in text, (k, r[k][:60])
        assert set(children.split(",")) == {"DIV"}  # text lines only, no markup from the data
    assert_nothing_ran(b, "nrsim report: hostile")


def test_compare_report_in_chromium(hostile, browser) -> None:
    b = browser
    b.open(hostile.compare)
    assert_nothing_ran(b, "nrsim what-if: hostile (A) vs hostile (B)")
    assert b.eval("document.getElementById('map').getAttribute('data-rendered')") == "1"
    body = b.eval("document.body.textContent")
    assert str(hostile.scenario) in body and f"description={PAYLOADS[2]}" in body and EXCLUDED_VENDOR in body
    targets = hover_targets(b)
    assert targets
    for cell, (x, y) in list(targets.items())[:4]:
        b.mouse("mouseMoved", x, y)
        assert hostile.rows[cell]["cell_id"] in b.eval("document.getElementById('tip').textContent")
    assert_nothing_ran(b, "nrsim what-if: hostile (A) vs hostile (B)")


def test_csp_stops_markup_that_escaping_missed(hostile, browser, tmp_path) -> None:
    """Defence in depth: markup injected into a copy of a report (as if a string had not been
    escaped) does not run, yet the report's own script still does."""
    text = hostile.report.read_text(encoding="utf-8")
    injected = (f'<img src=x onerror="{html.escape(MARK)}"><script>{MARK}</script>'
                f'<a id="jl" href="javascript:{html.escape(MARK)}">link</a>')
    copy = tmp_path / "injected.html"
    copy.write_text(text.replace("<body>", "<body>" + injected, 1), encoding="utf-8")
    b = browser
    b.open(copy)
    x, y = b.eval("(()=>{var r=document.getElementById('jl').getBoundingClientRect();"
                  "return [r.left+r.width/2,r.top+r.height/2]})()")
    for _ in range(2):  # two blocked navigations: >= 2 violations even if the <img> error fired before the listener
        b.mouse("mousePressed", x, y)
        b.mouse("mouseReleased", x, y)
    deadline = time.monotonic() + 10.0  # violation events are dispatched asynchronously: wait for them
    while time.monotonic() < deadline and int(b.eval("document.body.getAttribute('data-errors') || '0'")) < 2:
        time.sleep(0.1)
    state = b.eval("[document.title, typeof window.__pwned, document.body.getAttribute('data-pwned'),"
                   " document.getElementById('map').getAttribute('data-rendered'), document.body.getAttribute('data-errors')]")
    assert state[:4] == ["nrsim report: hostile", "undefined", None, "1"]
    assert int(state[4]) >= 2, b.eval("document.body.getAttribute('data-error-text')")  # the report's own listener saw the CSP violations
    # Trusted Types: a string into innerHTML throws
    assert b.eval("(()=>{try{document.getElementById('tip').innerHTML='<b>x</b>';return 'allowed'}"
                  "catch(e){return e.name}})()") == "TypeError"
