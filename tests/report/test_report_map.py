"""The report as a pure function of the stored result, and its map in headless Chromium.

- The report of a result folder renders (the same bytes) with the scenario file and the site
  list deleted and the coverage physics replaced by functions that raise: it reads only what
  the folder stores (docs/sites.md, "Report").
- In Chromium (DevTools protocol): no console error, no network request without a basemap
  (Network events), every layer of the layer control renders (canvas pixels, legend shares
  summing to 100 %), vendor colours and legend from the data (Ericsson/Nokia), scale bar and
  north arrow, hover/click by cell ID, a ``<script>`` in a site name and in the description
  shown as text; with ``--basemap`` the tiles come from that host only.
"""

from __future__ import annotations

import csv
import http.server
import io
import json
import re
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

import nrsim.coverage.probability
import nrsim.coverage.raster
import nrsim.coverage.store
from nrsim.cli.app import app
from nrsim.errors import ConfigError, NrsimError
from nrsim.report import html as rh
from nrsim.report import mapdata

SITES = [(51.5074, -0.1278), (51.5098, -0.1236), (51.5050, -0.1232), (51.5076, -0.1190), (51.5100, -0.1290)]
HOSTILE = "<script>window.__pwned=1</script>"


def _scenario(d: Path) -> tuple[Path, Path]:
    csv_path = d / "sites.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["site_id", "cell_id", "lat", "lon", "height_m", "azimuth_deg", "vendor", "environment"])
        for s, (lat, lon) in enumerate(SITES):
            name = f"S{s}{HOSTILE}" if s == 0 else f"S{s}"
            for k in range(3):
                w.writerow([name, f"{name}-{k + 1}", lat, lon, 25, 120 * k, "Ericsson" if s % 2 else "Nokia", "uma"])
    toml = d / "plan.toml"
    toml.write_text(f"""name = "plan"
description = {json.dumps("pilot " + HOSTILE)}
seed = 3
drops = 1
[deployment]
layout = "sites"
sites_file = {json.dumps(str(csv_path))}
[deployment.ue]
per_sector = 3
[channel]
scenario = "uma"
fc_ghz = 3.5
[radio]
bandwidth_mhz = 100.0
[coverage]
resolution_m = 40.0
margin_m = 200.0
""", encoding="utf-8")
    return toml, csv_path


def _payload(text: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="map-data">(.*?)</script>', text, re.S).group(1))


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> SimpleNamespace:
    d = tmp_path_factory.mktemp("plan")
    toml, csv_path = _scenario(d)
    out = d / "run"
    res = CliRunner().invoke(app, ["run", str(toml), "--out", str(out), "--report"])
    assert res.exit_code == 0, res.output
    return SimpleNamespace(folder=out, report=out / "report.html", toml=toml, csv=csv_path, dir=d)


def test_report_reads_only_the_stored_result(planned, monkeypatch, tmp_path) -> None:
    first = planned.report.read_text(encoding="utf-8")
    assert (planned.folder / "coverage.json").is_file() and (planned.folder / "coverage_cells.parquet").is_file()
    # the inputs are gone, and any coverage physics would raise
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    for p in (planned.toml, planned.csv):
        p.rename(hidden / p.name)

    def boom(*args, **kwargs):
        raise AssertionError("the report ran coverage physics")

    for mod, name in ((nrsim.coverage.store, "coverage_maps"), (nrsim.coverage.store, "probability_maps"),
                      (nrsim.coverage.store, "build_layout"), (nrsim.coverage.raster, "coverage_maps"),
                      (nrsim.coverage.probability, "probability_maps")):
        monkeypatch.setattr(mod, name, boom)
    try:
        again = rh.write_report(planned.folder, out=tmp_path / "again.html").read_text(encoding="utf-8")
        assert again == first  # a pure function of the stored files
        m = _payload(again)
        assert m["cell_ids"][0] == f"S0{HOSTILE}-1" and len(m["sites"]) == len(SITES)
        # without stored coverage, the report needs the inputs again: a typed error, no file
        monkeypatch.undo()
        (planned.folder / "coverage.json").unlink()
        with pytest.raises(NrsimError):
            rh.write_report(planned.folder, out=tmp_path / "none.html")
        assert not (tmp_path / "none.html").exists()
    finally:
        for p in (planned.toml, planned.csv):
            (hidden / p.name).rename(p)
        monkeypatch.undo()
    rh.write_report(planned.folder, out=tmp_path / "restored.html")  # stores the coverage again
    assert (planned.folder / "coverage.json").is_file()


def test_vendor_colours_and_cell_colouring_from_the_data(planned) -> None:
    m = _payload(planned.report.read_text(encoding="utf-8"))
    assert [v["label"] for v in m["vendors"]] == ["Ericsson", "Nokia"]
    assert m["vendors"][0]["colour"] != m["vendors"][1]["colour"]
    assert m["cell_vendor"] == [(1 if s % 2 == 0 else 0) for s in range(len(SITES)) for _ in range(3)]
    vendor = next(L for L in m["layers"] if L["key"] == "vendor")
    assert [c["label"] for c in vendor["categories"]] == ["Ericsson", "Nokia"]
    # neighbouring cells (co-sited, or touching in a cell layer) never share a colour
    colour = m["cell_colour"]
    for s in m["sites"]:
        assert len({colour[c["i"]] for c in s["cells"]}) == len(s["cells"])
    assert len(m["cell_palette"]) > 20


def test_colouring_many_cells_uses_more_than_20_colours() -> None:
    rng = np.random.default_rng(1)
    n = 420
    seeds = rng.uniform(0, 100, size=(n, 2))
    yy, xx = np.mgrid[0:100, 0:100] + 0.5
    d = (xx[..., None] - seeds[:, 0]) ** 2 + (yy[..., None] - seeds[:, 1]) ** 2
    raster = d.argmin(axis=2).astype(np.float64)  # a Voronoi "best server" map of 420 cells
    site = np.arange(n) // 3
    adj = mapdata.cell_adjacency([raster], site)
    colours = mapdata.colour_cells(adj)
    # independent check of the property: every pair of 4-neighbour pixels of different cells
    for p, q in ((raster[:, :-1], raster[:, 1:]), (raster[:-1, :], raster[1:, :])):
        diff = p != q
        assert np.all(np.take(colours, p[diff].astype(int)) != np.take(colours, q[diff].astype(int)))
    assert len(set(colours)) > 20
    for s in range(n // 3):
        assert len({colours[3 * s + k] for k in range(3)}) == 3


def test_classes_and_basemap_arguments() -> None:
    # hand calculation: 10 values, breaks -100, -90 -> 3 below, 5 in [-100, -90), 2 at or above
    v = np.array([-120, -110, -101, -100, -99, -95, -91, -90.5, -90, -80, np.nan])
    assert mapdata.class_shares(v, [-100, -90]) == [0.3, 0.5, 0.2]
    assert mapdata.parse_classes(["rsrp=-115,-105,-95", "probability=90,95"]) == {
        "rsrp": (-115.0, -105.0, -95.0), "probability": (90.0, 95.0)}
    for bad in ("rsrp=-90,-100", "rsrp=", "nope=1,2", "sinr=1,x", "rsrp"):
        with pytest.raises(ValueError):
            mapdata.parse_classes([bad])
    assert rh.check_basemap("https://tile.example.org/{z}/{x}/{y}.png") == (
        "https://tile.example.org/{z}/{x}/{y}.png", "https://tile.example.org")
    for bad in ("ftp://h/{z}/{x}/{y}", "https://h/{z}/{x}.png", "https://h/{z}/{x}/{y}/{s}", "javascript:{z}{x}{y}",
                "https://h/{z}/{x}/{y}\"onerror=x", "https://u:p@h/{z}/{x}/{y}"):
        with pytest.raises(ConfigError):
            rh.check_basemap(bad)
    assert "img-src data:;" in rh.content_security_policy("x")
    assert "img-src data: https://t.example;" in rh.content_security_policy("x", "https://t.example")


def test_cli_report_classes_and_bad_basemap(planned, tmp_path) -> None:
    out = tmp_path / "r.html"
    res = CliRunner().invoke(app, ["report", str(planned.folder), "--out", str(out), "--classes", "sinr=0,3,13"])
    assert res.exit_code == 0, res.output
    sinr = next(L for L in _payload(out.read_text(encoding="utf-8"))["layers"] if L["key"] == "sinr_db")
    assert sinr["breaks"] == [0, 3, 13] and abs(sum(sinr["shares"]) - 1) < 1e-9
    bad = tmp_path / "bad.html"
    res = CliRunner().invoke(app, ["report", str(planned.folder), "--out", str(bad), "--basemap", "file:///etc/{z}"])
    assert res.exit_code == 2 and not bad.exists()


def test_report_size_under_2_mb(tmp_path) -> None:
    """london-pilot, reduced (100 m pixels, 1 UE per cell): under 2 MB, and so is the
    full-resolution report estimated from it (4x the pixels; measured 0.6 MB, docs/sites.md)."""
    out = tmp_path / "london"
    res = CliRunner().invoke(app, ["run", "london-pilot", "--set", "coverage.resolution_m=100", "--set",
                                   "deployment.ue.per_sector=1", "--drops", "1", "--out", str(out), "--report"])
    assert res.exit_code == 0, res.output
    text = (out / "report.html").read_text(encoding="utf-8")
    layer_bytes = sum(len(L["data"]) for L in _payload(text)["layers"])
    assert len(text.encode()) < 2e6
    assert len(text.encode()) + 3 * layer_bytes < 2e6


# ------------------------------------------------------------------ headless Chromium

LAYER_STATE = ("(()=>{var c=document.getElementById('map'),d=c.getContext('2d').getImageData(0,0,c.width,c.height).data,"
               "n=0;for(var i=0;i<d.length;i+=4){if(Math.abs(d[i]-244)+Math.abs(d[i+1]-244)+Math.abs(d[i+2]-240)>30)n++;}"
               "var rows=Array.from(document.querySelectorAll('#legend .lrow[data-share]')).map(function(r){"
               "return parseFloat(r.getAttribute('data-share'))});"
               "return [c.getAttribute('data-layer'),n/(d.length/4),rows]})()")


def _select(b, index: int) -> None:
    b.eval(f"(()=>{{var s=document.getElementById('layer');s.value='{index}';"
           "s.dispatchEvent(new Event('change'));})()")


def test_map_in_chromium(planned, browser) -> None:
    b = browser
    b.open(planned.report, network=True)
    assert b.problems() == []
    assert b.eval("[document.body.getAttribute('data-errors'), typeof window.__pwned]") == ["0", "undefined"]
    page_url = planned.report.resolve().as_uri()
    assert [u for u in b.requests() if u != page_url] == []  # no request without a basemap
    # the injected scripts are text: in the subtitle and in the legend-less hover/click info
    assert HOSTILE in b.eval("document.querySelector('h1 + div').textContent")
    assert b.eval("document.scripts.length") == 2
    m = b.eval("JSON.parse(document.getElementById('map-data').textContent)")
    keys = [L["key"] for L in m["layers"]]
    assert b.eval("document.getElementById('layer').options.length") == len(keys) == 13
    assert b.eval("document.getElementById('map').getAttribute('data-layer')") == "p_sinr_ge_m5"
    b.eval("(()=>{var s=document.getElementById('sites');s.checked=false;s.dispatchEvent(new Event('change'))})()")
    for i, key in enumerate(keys):  # every layer renders: coloured pixels and a legend
        _select(b, i)
        shown, coloured, shares = b.eval(LAYER_STATE)
        assert shown == key
        assert coloured > 0.3, (key, coloured)
        if m["layers"][i]["kind"] != "cell":
            assert shares and abs(sum(shares) - 100) < 0.01, (key, shares)
    # class breaks edited in the page re-colour and recount
    _select(b, keys.index("sinr_db"))
    b.eval("(()=>{var e=document.getElementById('breaks');e.value='0, 10';e.dispatchEvent(new Event('change'))})()")
    assert len(b.eval(LAYER_STATE)[2]) == 3
    # vendor legend from the data, scale bar and north arrow
    legend = b.eval("(()=>{var s=document.getElementById('sites');s.checked=true;s.dispatchEvent(new Event('change'));"
                    "return document.getElementById('legend').textContent})()")
    assert "Ericsson" in legend and "Nokia" in legend
    scale_m, north = b.eval("(()=>{var c=document.getElementById('map');return [c.getAttribute('data-scale-m'),"
                            "c.getAttribute('data-north-deg')]})()")
    assert float(scale_m) > 0 and abs(float(north)) < 5  # London: UTM grid convergence about -2 deg
    b.eval("(()=>{var s=document.getElementById('ues');s.checked=true;s.dispatchEvent(new Event('change'))})()")
    assert int(b.eval("document.getElementById('map').getAttribute('data-ues')")) == len(SITES) * 3 * 3
    # click on the map pins the cell ID and values (as text)
    x, y = b.eval("(()=>{var c=document.getElementById('map');c.scrollIntoView();var r=c.getBoundingClientRect();"
                  "return [r.left+r.width/2+3,r.top+r.height/2+3]})()")
    b.mouse("mousePressed", x, y)
    b.mouse("mouseReleased", x, y)
    cell = b.eval("document.getElementById('info').getAttribute('data-cell')")
    assert cell is not None and m["cell_ids"][int(cell)] in b.eval("document.getElementById('info').textContent")
    assert b.eval("Array.from(document.querySelectorAll('#info *')).every(function(e){return e.tagName==='DIV'})")
    assert b.problems() == [] and b.eval("typeof window.__pwned") == "undefined"
    assert [u for u in b.requests() if u != page_url] == []


class _Tiles(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        from matplotlib.image import imsave

        type(self).seen.append(self.path)
        buf = io.BytesIO()
        imsave(buf, np.full((256, 256, 3), 0.5), format="png")
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(buf.getvalue())

    def log_message(self, *args):
        pass


def test_basemap_tiles_only_from_the_given_host(planned, browser, tmp_path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        host = f"http://127.0.0.1:{server.server_address[1]}"
        out = tmp_path / "basemap.html"
        rh.write_report(planned.folder, out=out, basemap=host + "/{z}/{x}/{y}.png")
        text = out.read_text(encoding="utf-8")
        assert f"img-src data: {host};" in text
        b = browser
        b.open(out, network=True)
        deadline = time.monotonic() + 15
        while int(b.eval("document.getElementById('map').getAttribute('data-tiles')") or 0) == 0:
            assert time.monotonic() < deadline, "no basemap tile drawn"
            time.sleep(0.1)
        urls = [u for u in b.requests() if u != out.resolve().as_uri()]
        assert urls and all(u.startswith(host + "/") for u in urls)
        assert all(re.fullmatch(r"/1[0-9]/\d+/\d+\.png", p) for p in _Tiles.seen)
        assert b.problems() == []
    finally:
        server.shutdown()
