"""Load a scenario: preset or TOML file, then dotted overrides, validated once."""

from __future__ import annotations

from dataclasses import dataclass

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
from nrsim.errors import show_value as _show

_PRESET_PACKAGE = "nrsim.config.presets"


def list_presets() -> dict[str, str]:
    """Names of the shipped presets with their one-line description."""
    out: dict[str, str] = {}
    for entry in sorted(resources.files(_PRESET_PACKAGE).iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml") and not entry.name.startswith("_"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            out[entry.name[: -len(".toml")]] = str(data.get("description", "")).split("\n")[0]
    return out


@dataclass(frozen=True)
class PresetEntry:
    """One row of the preset catalogue (``config/presets/_index.toml``)."""

    name: str
    family: str
    """Family title, e.g. "City pilots (real-site style lists in lat/lon)"."""
    summary: str
    """One line, under about 80 characters."""


def preset_catalogue() -> list[PresetEntry]:
    """The shipped presets grouped by family, in the catalogue's family order, each with a
    one-line summary. :class:`ConfigError` if the catalogue and the preset files disagree (a
    packaging error caught by the test suite)."""
    index = tomllib.loads(resources.files(_PRESET_PACKAGE).joinpath("_index.toml").read_text(encoding="utf-8"))
    families: dict[str, str] = index["families"]
    listed: dict[str, dict[str, str]] = index["presets"]
    shipped = set(list_presets())
    if set(listed) != shipped or any(v["family"] not in families for v in listed.values()):
        raise ConfigError(
            "preset catalogue _index.toml does not match the preset files "
            f"(missing: {sorted(shipped - set(listed))}, extra: {sorted(set(listed) - shipped)})",
            field="preset",
        )
    order = {key: i for i, key in enumerate(families)}
    rows = sorted(listed.items(), key=lambda kv: (order[kv[1]["family"]], kv[0]))
    return [PresetEntry(name, families[v["family"]], v["summary"]) for name, v in rows]


def preset_text(name: str) -> str:
    """The TOML text of preset ``name``; :class:`ConfigError` when unknown."""
    entry = resources.files(_PRESET_PACKAGE).joinpath(f"{name}.toml")
    try:
        known_name = entry.is_file()
    except (OSError, ValueError):  # not a usable file name: not a preset either
        known_name = False
    if not known_name or name.startswith("_"):
        known = ", ".join(list_presets())
        raise ConfigError(f"unknown preset {_show(name)} (known presets: {known})", field="preset")
    return entry.read_text(encoding="utf-8")


MAX_DEPTH = 32
"""Deepest nesting of tables and arrays accepted in a scenario (the schema needs 4); deeper
input is rejected before it can exhaust the parser's or validator's recursion."""


def _parse_toml(text: str, origin: str) -> dict[str, Any]:
    if not text.strip():
        raise ConfigError(f"{origin}: the file is empty (expected a TOML scenario)", field=None)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML ({exc})") from None
    except RecursionError:
        raise ConfigError(f"{origin}: not valid TOML (nested more than {MAX_DEPTH} levels deep)") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ConfigError(f"{origin}: not valid TOML ({exc})") from None
    return plain_tree(data, origin)


def plain_tree(data: Any, origin: str, *, path: str = "", depth: int = 0) -> Any:
    """A copy of a nested mapping/list tree (mappings as dicts with string keys, lists and
    tuples as lists, other values as they are), at most :data:`MAX_DEPTH` levels deep;
    :class:`ConfigError` naming ``origin`` and the dotted path otherwise."""
    if isinstance(data, Mapping) or isinstance(data, (list, tuple)):
        if depth >= MAX_DEPTH:
            raise ConfigError(f"{origin}: {path or 'the scenario'} is nested more than {MAX_DEPTH} levels deep",
                              field=path or None)
    if isinstance(data, Mapping):
        out: dict[str, Any] = {}
        for key, value in data.items():
            if not isinstance(key, str):
                raise ConfigError(f"{origin}: key {_show(key)} under {path or 'the top level'} is not a string",
                                  field=path or None)
            out[key] = plain_tree(value, origin, path=f"{path}.{key}" if path else key, depth=depth + 1)
        return out
    if isinstance(data, (list, tuple)):
        return [plain_tree(v, origin, path=f"{path}.{i}", depth=depth + 1) for i, v in enumerate(data)]
    return data


def _parse_override_value(raw: str) -> Any:
    """TOML literal if it parses as one (numbers, booleans, quoted strings, arrays),
    otherwise the raw text as a string (so ``channel.scenario=umi`` works unquoted)."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw
    except (RecursionError, ValueError):  # nesting too deep, an integer too long
        raise ConfigError(f"override value {_show(raw)}: not a usable TOML value (nested too deeply or a "
                          "number too long)", field=None) from None


def apply_overrides(data: Mapping[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply ``dotted.key=value`` overrides to a nested mapping (a deep copy is returned)."""
    out: dict[str, Any] = plain_tree(data, "scenario")
    for item in overrides:
        if not isinstance(item, str):
            raise ConfigError(f"override {_show(item)} is not a string of the form dotted.key=value", field=None)
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
        if len(parts) > MAX_DEPTH:
            raise ConfigError(f"override key {_show(key)} has more than {MAX_DEPTH} parts", field=None)
        node = out
        for p in parts[:-1]:
            child = node.get(p)
            if child is None:
                child = node[p] = {}
            elif not isinstance(child, dict):
                raise ConfigError(f"override {key!r}: {p!r} is not a table", field=key)
            node = child
        node[parts[-1]] = plain_tree(_parse_override_value(raw.strip()), f"override {key!r}", path=key,
                                     depth=len(parts))
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
            shown = "" if isinstance(value, dict) else f" = {_show(value)}"
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
    try:
        is_path = text_source.endswith(".toml") or "/" in text_source or path.exists()
        is_file = is_path and path.is_file()
    except (OSError, ValueError) as exc:  # a name too long for the file system, a NUL character
        raise ConfigError(f"scenario {_show(text_source)}: not a usable file name ({exc.__class__.__name__}: "
                          f"{_show(str(exc))})", field="scenario") from None
    if is_path:
        if not is_file:
            raise ConfigError(f"scenario file {text_source!r} does not exist", field="scenario")
        data = _parse_toml(read_text_file(path, "TOML scenario", field="scenario"), text_source)
        data.setdefault("name", path.stem)
        return data, text_source
    data = _parse_toml(preset_text(text_source), f"preset {text_source}")
    data.setdefault("name", text_source)
    return data, f"preset {text_source}"


def read_text_file(path: Path, what: str, *, field: str | None) -> str:
    """The text of a UTF-8 file (a UTF-8 byte-order mark is dropped); :class:`ConfigError`
    naming the file and the encoding found (UTF-16/32 by their byte-order marks) otherwise."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what} ({exc.strerror or exc})", field=field) from None
    return decode_utf8(raw, path, what, field=field)


_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"),
         (b"\xfe\xff", "UTF-16"))


def decode_utf8(raw: bytes, path: Path | str, what: str, *, field: str | None,
                error: type[ConfigError] = ConfigError) -> str:
    """``raw`` decoded as UTF-8 (without a leading byte-order mark); ``error`` (a
    :class:`ConfigError`) naming ``path``, the byte offset and the encoding it looks like
    otherwise."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            raise error(f"{path}: the {what} is {name} text; allowed UTF-8 only (save it as UTF-8)", field=field)
    if raw and raw.count(0) >= len(raw) // 4 + 1:  # ASCII in UTF-16/32 without a byte-order mark
        raise error(f"{path}: the {what} looks like UTF-16 or UTF-32 text ({raw.count(0)} NUL bytes); allowed "
                    "UTF-8 only (save it as UTF-8)", field=field)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: the {what} is not UTF-8 text (byte {exc.start} is {raw[exc.start:exc.start + 1]!r}); "
                    "allowed UTF-8 only (save it as UTF-8)", field=field) from None


def config_hash(config: ScenarioConfig) -> str:
    """A stable 16-hex-digit hash of the resolved configuration."""
    canonical = json.dumps(config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
