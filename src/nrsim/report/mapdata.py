"""The report map's data: raster layers (values, threshold classes, colours), cells and sites
(IDs, vendor colours from the data, a cell colouring in which neighbouring cells differ), UE
points, mobility events, the geographic reference (true north, a lon/lat <-> local affine for
an optional basemap). A pure function of arrays: the stored coverage
(:mod:`nrsim.coverage.store`) for ``nrsim report``, in-memory maps for ``nrsim compare``.

Values travel as base64 little-endian int16 (``value x scale``, -32768 = no data): a
planner's layer of 6 480 pixels is 13 kB of text, and the browser re-colours it when the class
ranges are edited. Colours are drawn on a canvas by ``assets/map.js``; nothing is fetched.
"""

from __future__ import annotations

import base64
import colorsys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nrsim.coverage.geotiff import cell_colours

NODATA_I16 = -32768


@dataclass(frozen=True)
class LayerStyle:
    """How a layer is shown: ``label``, ``unit``, ``kind`` (``classes``: threshold classes of
    a continuous value; ``cell``: a cell index; ``category``: labelled categories),
    ``scale`` (value x scale is stored as int16), default class ``breaks`` and the colour
    ``ramp`` (matplotlib colormap name) the classes are sampled from."""

    label: str
    unit: str
    kind: str
    scale: float
    breaks: tuple[float, ...] = ()
    ramp: str = "RdYlGn"


RSRP_BREAKS = (-120.0, -110.0, -100.0, -90.0, -80.0, -70.0)
SINR_BREAKS = (-5.0, 0.0, 5.0, 10.0, 15.0, 20.0)
THROUGHPUT_BREAKS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
PROBABILITY_BREAKS = (50.0, 75.0, 90.0, 95.0, 98.0)
DELTA_BREAKS = (-10.0, -5.0, -2.0, 2.0, 5.0, 10.0)

STYLES: dict[str, LayerStyle] = {
    "rsrp_dbm": LayerStyle("best-server RSRP (one draw)", "dBm", "classes", 10, RSRP_BREAKS),
    "sinr_db": LayerStyle("SINR (one draw)", "dB", "classes", 10, SINR_BREAKS),
    "throughput_mbps": LayerStyle("expected user throughput (one draw)", "Mbit/s", "classes", 10, THROUGHPUT_BREAKS,
                                  "viridis"),
    "serving_cell": LayerStyle("best-server cell (one draw)", "", "cell", 1),
    "best_ssb_beam": LayerStyle("best SSB beam of the serving cell (one draw)", "", "category", 1),
    "median_rsrp_dbm": LayerStyle("median best-server RSRP", "dBm", "classes", 10, RSRP_BREAKS),
    "dominant_cell": LayerStyle("dominance: best server by median RSRP", "", "cell", 1),
    "vendor": LayerStyle("vendor of the dominant cell", "", "category", 1),
    "delta_rsrp_db": LayerStyle("RSRP change B - A", "dB", "classes", 10, DELTA_BREAKS, "RdBu"),
    "delta_sinr_db": LayerStyle("SINR change B - A", "dB", "classes", 10, DELTA_BREAKS, "RdBu"),
    "lost_coverage": LayerStyle("coverage lost in B", "", "category", 1),
}
"""Styles by layer key; probability layers (``p_rsrp_ge_<t>``, ``p_sinr_ge_<t>``) by
:func:`style_of`."""

CLASS_KEYS = {"rsrp": ("rsrp_dbm", "median_rsrp_dbm"), "sinr": ("sinr_db",), "throughput": ("throughput_mbps",),
              "probability": (), "delta": ("delta_rsrp_db", "delta_sinr_db")}
"""Names accepted by ``nrsim report --classes NAME=v1,v2,...`` and the layers they set
(``probability``: every probability layer, in %)."""

VENDOR_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#7F7F7F")
"""Okabe & Ito colour-blind-safe palette (Okabe, Ito 2008, "Color Universal Design"),
then golden-ratio hues (:func:`vendor_colours`)."""
OFF_COLOUR = "#9a9a9a"
CELL_PALETTE_SIZE = 24
"""Colours the cell layers use (more than 20; neighbouring cells always differ)."""


def style_of(key: str, probability: Mapping[str, tuple[str, float]] | None = None) -> LayerStyle:
    """The style of layer ``key``; a probability layer's threshold comes from ``probability``
    (key -> (kind, threshold)) or its key (``p_rsrp_ge_m110`` -> -110 dBm)."""
    if key in STYLES:
        return STYLES[key]
    if probability and key in probability:
        kind, t = probability[key]
    else:
        kind, _, tag = key.removeprefix("p_").partition("_ge_")
        t = float(tag.replace("m", "-").replace("p", "."))
    unit = "dBm" if kind == "rsrp" else "dB"
    return LayerStyle(f"probability {kind.upper()} \u2265 {t:g} {unit}", "%", "classes", 10, PROBABILITY_BREAKS)


def parse_classes(specs: Sequence[str]) -> dict[str, tuple[float, ...]]:
    """``["rsrp=-115,-105,-95", ...]`` -> {name: breaks}; names of :data:`CLASS_KEYS`;
    breaks strictly increasing finite numbers (1 to 12). Raises ValueError with the reason."""
    out: dict[str, tuple[float, ...]] = {}
    for spec in specs:
        name, sep, values = str(spec).partition("=")
        name = name.strip()
        if not sep or name not in CLASS_KEYS:
            raise ValueError(f"{spec!r}: expected NAME=v1,v2,... with NAME one of {', '.join(CLASS_KEYS)}")
        try:
            breaks = tuple(float(v) for v in values.split(","))
        except ValueError:
            raise ValueError(f"{spec!r}: the class breaks must be numbers separated by commas") from None
        if not 1 <= len(breaks) <= 12 or not all(np.isfinite(breaks)) or any(
                b <= a for a, b in zip(breaks, breaks[1:], strict=False)):
            raise ValueError(f"{spec!r}: 1 to 12 finite, strictly increasing class breaks")
        out[name] = breaks
    return out


def breaks_for(key: str, style: LayerStyle, classes: Mapping[str, tuple[float, ...]]) -> tuple[float, ...]:
    """The class breaks of layer ``key``: ``classes`` (by :data:`CLASS_KEYS` name) or the style's."""
    if key.startswith("p_") and "probability" in classes:
        return classes["probability"]
    for name, keys in CLASS_KEYS.items():
        if key in keys and name in classes:
            return classes[name]
    return style.breaks


def class_shares(values: np.ndarray, breaks: Sequence[float]) -> list[float]:
    """Share of the finite ``values`` in each class (below breaks[0], [b_i, b_i+1), at or
    above breaks[-1]): len(breaks) + 1 floats summing to 1 (all NaN when no value is finite)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not v.size:
        return [float("nan")] * (len(breaks) + 1)
    counts = np.bincount(np.searchsorted(np.asarray(breaks, dtype=np.float64), v, side="right"),
                         minlength=len(breaks) + 1)
    return [float(c) / v.size for c in counts]


def encode_i16(values: np.ndarray, scale: float) -> str:
    """float [row, col] -> base64 of little-endian int16 ``round(value x scale)`` (row-major),
    NaN as -32768; values beyond int16 are clipped."""
    v = np.asarray(values, dtype=np.float64).ravel() * scale
    out = np.where(np.isfinite(v), np.clip(np.round(np.nan_to_num(v)), -32767, 32767), NODATA_I16)
    return base64.b64encode(out.astype("<i2").tobytes()).decode("ascii")


def encode_f32(values: np.ndarray) -> str:
    """float -> base64 of little-endian float32."""
    return base64.b64encode(np.asarray(values, dtype="<f4").tobytes()).decode("ascii")


def ramp(name: str, n: int = 9) -> list[list[int]]:
    """``n`` RGB stops of matplotlib colormap ``name`` (the browser interpolates classes)."""
    from matplotlib import colormaps

    cm = colormaps[name]
    return [[int(round(255 * c)) for c in cm(t)[:3]] for t in np.linspace(0.0, 1.0, n)]


def _hex(rgb: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def vendor_colours(labels: Sequence[str]) -> list[str]:
    """A colour per vendor label (in order): :data:`VENDOR_COLOURS`, then golden-ratio hues."""
    out = []
    for i in range(len(labels)):
        if i < len(VENDOR_COLOURS):
            out.append(VENDOR_COLOURS[i])
        else:
            r, g, b = colorsys.hsv_to_rgb((i * 0.6180339887498949) % 1.0, 0.7, 0.85)
            out.append(_hex([int(255 * r), int(255 * g), int(255 * b)]))
    return out


def cell_adjacency(index_layers: Sequence[np.ndarray], cell_site: np.ndarray) -> list[set[int]]:
    """Neighbours of each cell: cells whose areas touch (4-neighbour pixels of any index
    raster, NaN or negative = none) and cells of the same site."""
    n = int(cell_site.shape[0])
    adj: list[set[int]] = [set() for _ in range(n)]
    for layer in index_layers:
        a = np.where(np.isfinite(layer), layer, -1).astype(np.int64)
        for p, q in ((a[:, :-1], a[:, 1:]), (a[:-1, :], a[1:, :])):
            m = (p >= 0) & (q >= 0) & (p != q) & (p < n) & (q < n)
            for i, j in set(zip(p[m].tolist(), q[m].tolist(), strict=True)):
                adj[i].add(j)
                adj[j].add(i)
    for s in np.unique(cell_site):
        members = np.flatnonzero(cell_site == s)
        for i in members:
            adj[int(i)].update(int(j) for j in members if j != i)
    return adj


def colour_cells(adj: Sequence[set[int]], palette_size: int = CELL_PALETTE_SIZE) -> list[int]:
    """A colour index per cell such that neighbours differ (greedy, largest degree first,
    each cell taking the least-used free colour so that the whole palette is used); a cell
    whose neighbours hold every colour gets a new one beyond ``palette_size``."""
    n = len(adj)
    colour = [-1] * n
    used = [0] * palette_size
    for i in sorted(range(n), key=lambda c: (-len(adj[c]), c)):
        taken = {colour[j] for j in adj[i]}
        free = [k for k in range(len(used)) if k not in taken]
        if not free:
            used.append(0)
            free = [len(used) - 1]
        k = min(free, key=lambda c: (used[c], c))
        colour[i] = k
        used[k] += 1
    return colour


def cell_palette(n: int) -> list[str]:
    """``n`` distinct colours for cell layers (the GeoTIFF colour table's formula)."""
    table = cell_colours(n, n)
    return [_hex(table[i][:3]) for i in range(n)]


def geo_frame(grid: Mapping[str, float], corners: Mapping[str, Sequence[float]] | None) -> dict[str, Any] | None:
    """The affine map (lon, lat) -> (x_m, y_m) fitted to the grid's four corners (least
    squares; exact to centimetres over a city: UTM is conformal) and true north as a
    clockwise angle from the map's up (grid convergence) [deg]; None without a geographic
    reference."""
    if not corners:
        return None
    x0, y0, res = float(grid["x0_m"]), float(grid["y0_m"]), float(grid["resolution_m"])
    x1, y1 = x0 + int(grid["n_cols"]) * res, y0 - int(grid["n_rows"]) * res
    xy = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]])
    ll = np.column_stack([corners["lon"], corners["lat"], np.ones(4)])
    coef, *_ = np.linalg.lstsq(ll, xy, rcond=None)  # [3, 2]: x = a lon + b lat + c, y = d lon + e lat + f
    north = float(np.degrees(np.arctan2(coef[1, 0], coef[1, 1])))  # direction of d(x, y)/dlat
    return {"ax": [float(v) for v in coef[:, 0]], "ay": [float(v) for v in coef[:, 1]], "north_deg": north,
            "lat0": float(np.mean(corners["lat"]))}


def layer_entry(key: str, values: np.ndarray, *, style: LayerStyle, group: str, breaks: Sequence[float] = (),
                categories: Sequence[tuple[str, str]] = (), label: str | None = None,
                default: bool = False) -> dict[str, Any]:
    """One raster layer of the map payload. Probability layers (unit %) take values in 0..1."""
    v = np.asarray(values, dtype=np.float64)
    if style.unit == "%":
        v = v * 100.0
    out: dict[str, Any] = {"key": key, "label": label or style.label, "unit": style.unit, "group": group,
                           "kind": style.kind, "scale": style.scale, "data": encode_i16(v, style.scale),
                           "default": default}
    if style.kind == "classes":
        out["breaks"] = [float(b) for b in breaks]
        out["ramp"] = ramp(style.ramp)
        out["shares"] = class_shares(v, breaks)
    elif style.kind == "category":
        out["categories"] = [{"label": lab, "colour": col} for lab, col in categories]
    return out


def cells_entry(cells: Mapping[str, Sequence[Any]], index_layers: Sequence[np.ndarray]) -> dict[str, Any]:
    """Cells (``cell_id``, ``site_id``, ``site``, ``x_m``, ``y_m``, ``bearing_deg``, the labels
    ``vendor``/``operator``/``antenna_model``/``environment`` and ``off``, index order), their
    colours (neighbours differ), vendors with colours, and the sites for the map."""
    site = np.asarray(cells["site"], dtype=np.int64)
    vendor_of = [str(v) for v in cells["vendor"]]
    vendors = sorted(set(vendor_of))
    colours = colour_cells(cell_adjacency(index_layers, site))
    n_colours = max(max(colours, default=0) + 1, CELL_PALETTE_SIZE)
    sites = []
    x, y, b, off = (list(cells[k]) for k in ("x_m", "y_m", "bearing_deg", "off"))
    for s in np.unique(site):
        members = np.flatnonzero(site == s)
        first = int(members[0])
        sites.append({"x": round(float(x[first]), 1), "y": round(float(y[first]), 1),
                      "id": str(cells["site_id"][first]),
                      "cells": [{"i": int(c), "b": float(b[c]), "vendor": vendor_of[c], "off": bool(off[c])}
                                for c in members]})
    info = [cell_info_text({k: cells[k][i] for k in ("site_id", "vendor", "operator", "antenna_model",
                                                      "environment", "off")}) for i in range(len(site))]
    return {
        "cell_ids": [str(v) for v in cells["cell_id"]], "cell_info": info, "cell_colour": colours,
        "cell_palette": cell_palette(n_colours), "cell_vendor": [vendors.index(v) for v in vendor_of],
        "vendors": [{"label": v or "(no vendor label)", "colour": c}
                    for v, c in zip(vendors, vendor_colours(vendors), strict=True)],
        "sites": sites,
    }


CELL_INFO_COLUMNS = ("site_id", "vendor", "operator", "antenna_model", "environment")
"""Site-list columns shown (as text) under the cell id in the map's hover box."""


def cell_info_text(meta: Mapping[str, Any]) -> str:
    """The hover box's second line for a cell: its site, vendor, operator, antenna model and
    environment (the non-empty ones, as given in the site list), and "switched off"."""
    parts = [f"{k.replace('_id', '').replace('_model', '')} {meta[k]}" for k in CELL_INFO_COLUMNS
             if str(meta.get(k, "") or "")]
    if meta.get("off"):
        parts.append("switched off")
    return " | ".join(parts)


def beam_categories(values: np.ndarray) -> list[tuple[str, str]]:
    """Categories of a best-SSB-beam layer (beam index per pixel, NaN outside): ``beam 0`` ..
    ``beam n-1`` up to the largest index, coloured as :func:`vendor_colours`."""
    v = np.asarray(values, dtype=np.float64)
    n = int(np.nanmax(v)) + 1 if np.isfinite(v).any() else 1
    labels = [f"beam {i}" for i in range(n)]
    return list(zip(labels, vendor_colours(labels), strict=True))


def vendor_layer(cell_index: np.ndarray, cell_vendor: Sequence[int]) -> np.ndarray:
    """Vendor index [row, col] of the cell in ``cell_index`` (NaN where none)."""
    idx = np.where(np.isfinite(cell_index), cell_index, -1).astype(np.int64)
    lut = np.asarray(list(cell_vendor) + [-1], dtype=np.float64)
    out = lut[np.where((idx >= 0) & (idx < len(cell_vendor)), idx, len(cell_vendor))]
    return np.where(out >= 0, out, np.nan)


MAX_MAP_UES = 20_000
"""Most UE points drawn on the map (the first ones of the per-UE table)."""


def ues_entry(x_m: np.ndarray, y_m: np.ndarray, sinr_db: np.ndarray | None) -> dict[str, Any] | None:
    """UE points (local frame) and their SINR for the UE layer; None without UEs."""
    n = min(int(len(x_m)), MAX_MAP_UES)
    if n == 0:
        return None
    out = {"n": n, "x": encode_f32(np.asarray(x_m)[:n]), "y": encode_f32(np.asarray(y_m)[:n])}
    if sinr_db is not None:
        out["sinr"] = encode_i16(np.asarray(sinr_db, dtype=np.float64)[:n], 10)
    return out
