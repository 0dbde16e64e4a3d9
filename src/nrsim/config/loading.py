"""Load a scenario: preset or TOML file, then dotted overrides, validated once."""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nrsim.config.schema import ScenarioConfig
from nrsim.errors import ConfigError

_PRESET_PACKAGE = "nrsim.config.presets"


def list_presets() -> dict[str, str]:
    """Names of the shipped presets with their one-line description."""
    out: dict[str, str] = {}
    for entry in sorted(resources.files(_PRESET_PACKAGE).iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            out[entry.name[: -len(".toml")]] = str(data.get("description", "")).split("\n")[0]
    return out


def preset_text(name: str) -> str:
    """The TOML text of preset ``name``; :class:`ConfigError` when unknown."""
    entry = resources.files(_PRESET_PACKAGE).joinpath(f"{name}.toml")
    if not entry.is_file():
        known = ", ".join(list_presets())
        raise ConfigError(f"unknown preset {name!r} (known presets: {known})", field="preset")
    return entry.read_text(encoding="utf-8")


def _parse_toml(text: str, origin: str) -> dict[str, Any]:
    if not text.strip():
        raise ConfigError(f"{origin}: the file is empty (expected a TOML scenario)", field=None)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML ({exc})") from None


def _parse_override_value(raw: str) -> Any:
    """TOML literal if it parses as one (numbers, booleans, quoted strings, arrays),
    otherwise the raw text as a string (so ``channel.scenario=umi`` works unquoted)."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def apply_overrides(data: Mapping[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply ``dotted.key=value`` overrides to a nested mapping (a deep copy is returned)."""
    out: dict[str, Any] = json.loads(json.dumps(data))
    for item in overrides:
        if "=" not in item:
            raise ConfigError(
                f"override {item!r} is not of the form dotted.key=value "
                "(e.g. channel.scenario=umi)",
                field=item,
            )
        key, raw = item.split("=", 1)
        key = key.strip()
        if key.startswith("--"):
            key = key[2:]
        parts = key.split(".")
        if not all(parts):
            raise ConfigError(f"override key {key!r} is malformed", field=key)
        node = out
        for p in parts[:-1]:
            child = node.get(p)
            if child is None:
                child = node[p] = {}
            elif not isinstance(child, dict):
                raise ConfigError(f"override {key!r}: {p!r} is not a table", field=key)
            node = child
        node[parts[-1]] = _parse_override_value(raw.strip())
    return out


def _describe_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            parent = err["loc"][:-1]
            allowed = sorted(_model_at(parent).model_fields)
            parts.append(f"unknown key '{loc}' (allowed here: {', '.join(allowed)})")
        else:
            value = err.get("input")
            shown = "" if isinstance(value, dict) else f" = {value!r}"
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            parts.append(f"{loc or 'scenario'}{shown}: {msg}")
    return "; ".join(parts)


def _model_at(loc: tuple[Any, ...]) -> type:
    model: type = ScenarioConfig
    for key in loc:
        field = model.model_fields.get(str(key))  # type: ignore[attr-defined]
        if field is None or not isinstance(field.annotation, type):
            return model
        model = field.annotation
    return model


def validate_mapping(data: Mapping[str, Any]) -> ScenarioConfig:
    """Validate a nested mapping into a frozen :class:`ScenarioConfig`."""
    try:
        return ScenarioConfig.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(_describe_error(exc), field=_first_loc(exc)) from None


def _first_loc(exc: ValidationError) -> str | None:
    errs = exc.errors()
    return ".".join(str(x) for x in errs[0]["loc"]) if errs else None


def read_scenario_source(source: str | Path) -> tuple[dict[str, Any], str]:
    """Read a preset name or a TOML file path into a mapping. Returns (data, origin)."""
    text_source = str(source)
    path = Path(text_source)
    if text_source.endswith(".toml") or path.exists() or "/" in text_source:
        if not path.is_file():
            raise ConfigError(f"scenario file {text_source!r} does not exist", field="scenario")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"{text_source}: not a UTF-8 text file (expected TOML)") from None
        data = _parse_toml(text, text_source)
        data.setdefault("name", path.stem)
        return data, text_source
    data = _parse_toml(preset_text(text_source), f"preset {text_source}")
    data.setdefault("name", text_source)
    return data, f"preset {text_source}"


def config_hash(config: ScenarioConfig) -> str:
    """A stable 16-hex-digit hash of the resolved configuration."""
    canonical = json.dumps(config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
