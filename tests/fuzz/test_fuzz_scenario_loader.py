"""Fuzz the scenario loader (``nrsim validate FILE``, ``nrsim.load_config(FILE)``): arbitrary
bytes, text in other encodings (UTF-16/32, Latin-1, a UTF-8 byte-order mark), TOML of any
shape and depth with huge numbers (1e308, -0.0, nan, inf, 10**400, 10**5000) and values of
the wrong type at every key of the schema. Property (conftest): exit 0 or 2, no traceback,
one line on stderr; the API raises only ConfigError."""

from __future__ import annotations

import datetime as dt
import json
import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import nrsim
from nrsim.config.loading import MAX_DEPTH, preset_text

FUZZ = settings(max_examples=int(os.environ.get("NRSIM_FUZZ_EXAMPLES") or 60), deadline=None,
                suppress_health_check=list(HealthCheck))


def _schema_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Dotted names of every field (tables and leaves) of the scenario schema."""
    out = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        out.append(key)
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            out.extend(_schema_keys(field.annotation, f"{key}."))
    return out


KEYS = _schema_keys(nrsim.ScenarioConfig)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
HUGE = st.one_of(st.sampled_from([1e308, -1e308, 5e-324, -0.0, 0.0, math.nan, math.inf, -math.inf, 10**400,
                                   -(10**400), 2**63, 2**63 - 1, -(2**63) - 1]),
                 st.just(5000).map(lambda n: 10**n))  # more digits than str(int) allows
SCALARS = st.one_of(st.booleans(), st.integers(), st.floats(), HUGE, TEXT, st.dates(),
                    st.datetimes(), st.times())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.sampled_from(KEYS), TEXT), inner, max_size=4)),
    max_leaves=12)


def _toml_key(key: str) -> str:
    return json.dumps(key, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(v) -> str:
    """A TOML literal of a Python value (strings as basic strings, tables inline)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return hex(v) if v > 10**4000 else str(v)  # str() refuses more than 4300 digits
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):  # TOML also forbids a raw DEL (U+007F), which JSON leaves as it is
        return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{_toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"


def nested(key: str, value) -> dict:
    out: dict = value
    for part in reversed(key.split(".")):
        out = {part: out}
    return out


def toml_doc(data: dict) -> str:
    return "\n".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in data.items()) + "\n"


@st.composite
def scenario_docs(draw) -> str:
    """A TOML scenario: a small base plus 1..4 schema keys (or unknown ones) set to values of
    any type and depth."""
    data: dict = {"drops": 1, "deployment": {"rings": 0, "ue": {"per_sector": 2}}}
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.one_of(st.sampled_from(KEYS), st.sampled_from(KEYS).map(lambda k: k + ".bogus"), TEXT))
        value = nested(key, draw(VALUES)) if key else {}
        merged = data
        for k, v in value.items():  # a shallow merge is enough to vary the shape
            merged[k] = v
    return toml_doc(data)


def _validate(fuzz, path):
    return fuzz.invoke(["validate", str(path)])


@FUZZ
@given(raw=st.binary(max_size=2000))
def test_arbitrary_bytes(fuzz, scratch, raw: bytes) -> None:
    path = scratch() / "s.toml"
    path.write_bytes(raw)
    _validate(fuzz, path)


@FUZZ
@given(doc=scenario_docs())
def test_toml_of_any_shape_and_type(fuzz, scratch, doc: str) -> None:
    path = scratch() / "s.toml"
    path.write_text(doc, encoding="utf-8")
    _validate(fuzz, path)
    try:
        nrsim.load_config(path)
    except nrsim.ConfigError:
        pass


ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252"]


@FUZZ
@given(encoding=st.sampled_from(ENCODINGS), description=TEXT, preset=st.sampled_from(["single-site", "uma-default"]))
def test_other_encodings(fuzz, scratch, encoding: str, description: str, preset: str) -> None:
    text = f"description = {toml_value(description)}\n" + preset_text(preset).split("\n", 1)[1]
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        raw = text.encode(encoding, errors="replace")
    path = scratch() / "s.toml"
    path.write_bytes(raw)
    res = _validate(fuzz, path)
    if encoding.startswith(("utf-16", "utf-32")):
        assert res.exit_code == 2 and "UTF-8" in res.stderr
    if encoding in ("utf-8", "utf-8-sig"):
        assert res.exit_code == 0, res.stderr


@FUZZ
@given(depth=st.integers(MAX_DEPTH - 2, 20_000), kind=st.sampled_from(["array", "table"]))
def test_deep_nesting(fuzz, scratch, depth: int, kind: str) -> None:
    value = "[" * depth + "]" * depth if kind == "array" else "{ a = " * depth + "1" + " }" * depth
    path = scratch() / "s.toml"
    path.write_text(f"x = {value}\n", encoding="utf-8")
    res = _validate(fuzz, path)
    assert res.exit_code == 2


@pytest.mark.parametrize("value", ["1e308", "-0.0", "nan", "inf", "-inf", str(10**400), "1" + "0" * 5000, hex(10**5000), "1.7"])
@pytest.mark.parametrize("key", ["seed", "drops", "channel.fc_ghz", "deployment.ue.per_sector"])
def test_huge_numbers_at_numeric_keys(fuzz, tmp_path, key: str, value: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(toml_doc(nested(key, 0)).replace(" = 0", f" = {value}"), encoding="utf-8")
    res = _validate(fuzz, path)
    valid = {("seed", "-0.0"), ("deployment.ue.per_sector", "-0.0"), ("channel.fc_ghz", "1.7")}
    assert res.exit_code == (0 if (key, value) in valid else 2), (key, value, res.stderr)
