"""Fuzz the ``--set`` parser (``nrsim validate PRESET --set=...``, ``apply_overrides``):
arbitrary strings, and ``key=value`` with schema keys and any value text (TOML literals of
any type and depth, unbalanced brackets, huge numbers). Property (conftest): exit 0 or 2, no
traceback, one line on stderr; ``apply_overrides`` returns a dict or raises ConfigError."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import nrsim
from nrsim.config import apply_overrides

FUZZ = settings(max_examples=int(os.environ.get("NRSIM_FUZZ_EXAMPLES") or 80), deadline=None,
                suppress_health_check=list(HealthCheck))


def _schema_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        out.append(f"{prefix}{name}")
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            out.extend(_schema_keys(field.annotation, f"{prefix}{name}."))
    return out


KEYS = _schema_keys(nrsim.ScenarioConfig)
ANY_TEXT = st.text(max_size=60)
VALUE_TEXT = st.one_of(
    ANY_TEXT,
    st.sampled_from(["1e308", "-0", "-0.0", "nan", "+inf", "-inf", str(10**400), "0x" + "f" * 5000, "1" * 5000,
                     "true", "'x'", '"unterminated', "[1, [2, [3]]]", "{a = 1}", "{a = {b = {c = 1}}}",
                     "1979-05-27", "07:32:00", "1979-05-27T07:32:00Z", "[" * 5000, "[" * 3000 + "]" * 3000,
                     "{ a = " * 40 + "1" + " }" * 40, "\x00", "\udcff", "umi", ""]),
    st.integers().map(str), st.floats().map(repr),
)
SETTING = st.one_of(ANY_TEXT, st.builds(lambda k, v: f"{k}={v}", st.one_of(st.sampled_from(KEYS), ANY_TEXT), VALUE_TEXT))


@FUZZ
@given(settings_=st.lists(SETTING, min_size=1, max_size=3))
def test_set_strings(fuzz, settings_: list[str]) -> None:
    fuzz.invoke(["validate", "single-site", *(f"--set={s}" for s in settings_)])


@FUZZ
@given(settings_=st.lists(SETTING, max_size=4))
def test_apply_overrides(settings_: list[str]) -> None:
    try:
        out = apply_overrides({"drops": 1, "deployment": {"rings": 0}}, settings_)
    except nrsim.ConfigError:
        return
    assert isinstance(out, dict)
