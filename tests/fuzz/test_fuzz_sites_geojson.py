"""Fuzz the GeoJSON readers: the site list (``deployment.sites_file=FILE.geojson``) and the
area / UE-density polygons (``coverage.area_file``, ``deployment.ue.density_file`` with
``placement = "area"``): JSON of any shape and depth (10,000 levels too), features and
properties of the wrong JSON type, wrong types per property, huge coordinates (1e308,
10**400, NaN), other encodings. Property (conftest): exit 0 or 2, no traceback, one line."""

from __future__ import annotations

import csv
import json
import os
from importlib import resources

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nrsim.deployment.sites import COLUMNS

FUZZ = settings(max_examples=int(os.environ.get("NRSIM_FUZZ_EXAMPLES") or 40), deadline=None,
                suppress_health_check=list(HealthCheck))
EXAMPLE_CSV = resources.files("nrsim").joinpath("data", "sites", "example-sites.csv")
ROWS = list(csv.DictReader(EXAMPLE_CSV.read_text(encoding="utf-8").splitlines()))
FLOATS = {c for c, spec in COLUMNS.items() if spec[1] == "float"}
HUGE_JSON = ["1e308", "-1e308", "1e400", "NaN", "Infinity", "-Infinity", "-0", "1" + "0" * 400, "9" * 5000]
"""JSON number literals Python reads as huge, non-finite or over-long values."""
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=15)


def features() -> list[dict]:
    """The example site list as GeoJSON features (lat/lon in the Point geometry)."""
    out = []
    for r in ROWS:
        props = {k: (float(v) if k in FLOATS and v else v) for k, v in r.items() if k not in ("lat", "lon")}
        out.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(r["lon"]), float(r["lat"])]},
                    "properties": props})
    return out


def _sites_args(path) -> list[str]:
    return ["validate", "single-site", "--set=deployment.layout=sites", f"--set=deployment.sites_file={path}"]


def _dump(doc, huge: str | None = None) -> str:
    """JSON text; a "__HUGE__" string value is replaced by the literal ``huge``."""
    text = json.dumps(doc, allow_nan=True)
    return text.replace('"__HUGE__"', huge) if huge is not None else text


@FUZZ
@given(doc=JSON_VALUES)
def test_json_of_any_shape(fuzz, scratch, doc) -> None:
    path = scratch() / "s.geojson"
    path.write_text(_dump(doc), encoding="utf-8")
    fuzz.invoke(_sites_args(path))


@FUZZ
@given(depth=st.integers(1, 12_000), kind=st.sampled_from(["list", "object", "features"]))
def test_deep_nesting(fuzz, scratch, depth: int, kind: str) -> None:
    inner = {"list": "[" * depth + "]" * depth, "object": '{"a":' * depth + "1" + "}" * depth,
             "features": '{"features": ' + "[" * depth + "]" * depth + "}"}[kind]
    path = scratch() / "s.geojson"
    path.write_text(inner, encoding="utf-8")
    assert fuzz.invoke(_sites_args(path)).exit_code == 2


@FUZZ
@given(feature=st.integers(0, len(ROWS) - 1), where=st.sampled_from(["feature", "properties", "geometry",
                                                                      "coordinates", "property"]),
       prop=st.sampled_from(list(COLUMNS)), value=st.one_of(JSON_VALUES, st.just("__HUGE__")),
       huge=st.sampled_from(HUGE_JSON))
def test_wrong_types_per_member(fuzz, scratch, feature: int, where: str, prop: str, value, huge: str) -> None:
    feats = features()
    f = feats[feature]
    if where == "feature":
        feats[feature] = value
    elif where == "properties":
        f["properties"] = value
    elif where == "geometry":
        f["geometry"] = value
    elif where == "coordinates":
        f["geometry"]["coordinates"] = [value, value] if not isinstance(value, list) else value
    else:
        f["properties"][prop] = value
    path = scratch() / "s.geojson"
    path.write_text(_dump({"type": "FeatureCollection", "features": feats}, huge), encoding="utf-8")
    fuzz.invoke(_sites_args(path))


@FUZZ
@given(encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "utf-32", "latin-1"]),
       name=st.text(max_size=10))
def test_encodings(fuzz, scratch, encoding: str, name: str) -> None:
    feats = features()
    feats[0]["properties"]["vendor"] = name
    path = scratch() / "s.geojson"
    path.write_bytes(json.dumps({"features": feats}, ensure_ascii=False).encode(encoding, errors="replace"))
    res = fuzz.invoke(_sites_args(path))
    if encoding.startswith(("utf-16", "utf-32")):
        assert res.exit_code == 2 and "UTF-8" in res.stderr


RING = [[-0.13, 51.50], [-0.11, 51.50], [-0.11, 51.52], [-0.13, 51.52], [-0.13, 51.50]]


@FUZZ
@given(which=st.sampled_from(["coverage.area_file", "deployment.ue.density_file"]),
       where=st.sampled_from(["doc", "features", "geometry", "coordinates", "ring", "position", "weight"]),
       value=st.one_of(JSON_VALUES, st.just("__HUGE__")), huge=st.sampled_from(HUGE_JSON))
def test_area_and_density_polygons(fuzz, scratch, which: str, where: str, value, huge: str) -> None:
    feat = {"type": "Feature", "properties": {"name": "a", "weight": 1.0},
            "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in RING]]}}
    doc = {"type": "FeatureCollection", "features": [feat]}
    if where == "doc":
        doc = value
    elif where == "features":
        doc["features"] = value
    elif where == "geometry":
        feat["geometry"] = value
    elif where == "coordinates":
        feat["geometry"]["coordinates"] = value
    elif where == "ring":
        feat["geometry"]["coordinates"][0] = value
    elif where == "position":
        feat["geometry"]["coordinates"][0][1] = value
    else:
        feat["properties"]["weight"] = value
    folder = scratch()
    path = folder / "a.geojson"
    path.write_text(_dump(doc, huge), encoding="utf-8")
    sites = folder / "s.csv"
    sites.write_text(EXAMPLE_CSV.read_text(encoding="utf-8"), encoding="utf-8")
    fuzz.invoke([*_sites_args(sites), "--set=deployment.ue.placement=area", f"--set={which}={path}"])
