"""Load a policy: a shipped policy preset or a TOML file (top-level keys or a ``[policy]``
table), then dotted overrides, validated once into a frozen :class:`Policy`."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from nrsim.config.loading import _parse_override_value, _parse_toml, apply_overrides, plain_tree, read_text_file
from nrsim.errors import ConfigError, show_value
from nrsim.policy.schema import Policy

_PRESETS = "nrsim.policy.presets"
FIELD = "policy"


def list_policy_presets() -> dict[str, str]:
    """Shipped policy presets with their one-line description."""
    import tomllib

    out = {}
    for entry in sorted(resources.files(_PRESETS).iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            data = data.get("policy", data)
            out[entry.name[:-5]] = str(data.get("description", "")).split("\n")[0]
    return out


def _read(source: str) -> tuple[dict[str, Any], str]:
    path = Path(source)
    try:
        is_path = source.endswith(".toml") or "/" in source or path.exists()
        is_file = is_path and path.is_file()
    except (OSError, ValueError) as exc:
        raise ConfigError(f"policy {show_value(source)}: not a usable file name ({exc.__class__.__name__})",
                          field=FIELD) from None
    if is_path:
        if not is_file:
            raise ConfigError(f"policy file {source!r} does not exist", field=FIELD)
        data = _parse_toml(read_text_file(path, "TOML policy", field=FIELD), source)
        default_name = path.stem
    else:
        entry = resources.files(_PRESETS).joinpath(f"{source}.toml")
        try:
            known = entry.is_file()
        except (OSError, ValueError):
            known = False
        if not known:
            raise ConfigError(f"unknown policy {show_value(source)}: not a TOML file nor a policy preset "
                              f"(known: {', '.join(list_policy_presets())})", field=FIELD)
        data = _parse_toml(entry.read_text(encoding="utf-8"), f"policy preset {source}")
        default_name = source
    if "policy" in data:
        table = data["policy"]
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: 'policy' must be a table", field=FIELD)
        data = table  # the other tables of such a file are a scenario's (ignored here)
    data.setdefault("name", default_name)
    return data, source


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: Any = Policy
    for key in loc:
        if isinstance(key, int):
            continue
        field = model.model_fields.get(str(key))
        if field is None:
            return None
        ann = field.annotation
        for cand in (ann, *getattr(ann, "__args__", ())):
            for inner in (cand, *getattr(cand, "__args__", ())):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    model = inner
                    break
            else:
                continue
            break
        else:
            return None
    return model


def describe_validation_error(exc: ValidationError, prefix: str = FIELD) -> tuple[str, str | None]:
    """(message, first dotted field) of a pydantic error, every field as ``policy.<path>``."""
    parts = []
    for err in exc.errors():
        loc = ".".join([prefix, *(str(x) for x in err["loc"])])
        if err["type"] == "extra_forbidden":
            parent = _model_at(err["loc"][:-1])
            allowed = ", ".join(sorted(parent.model_fields)) if parent is not None else "see docs/policy.md"
            parts.append(f"unknown key '{loc}' (allowed here: {allowed})")
            continue
        value = err.get("input")
        shown = "" if isinstance(value, (dict, list)) else f" = {show_value(value)}"
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}{shown}: {msg}")
    errs = exc.errors()
    first = ".".join([prefix, *(str(x) for x in errs[0]["loc"])]) if errs else prefix
    return "; ".join(parts), first


def _index(part: str, items: list, key: str, where: str) -> int:
    if not part.isdigit() or int(part) >= len(items):
        raise ConfigError(f"override {show_value(key)}: {show_value(part)} is not an entry of {where} (allowed "
                          f"{'0..' + str(len(items) - 1) if items else 'none: the list is empty'})",
                          field=f"{FIELD}.{key}")
    return int(part)


def _apply_one(node: Any, parts: list[str], raw: str, key: str, where: str) -> Any:
    """``node`` with ``parts = raw`` applied: tables as the scenario parser
    (:func:`nrsim.config.loading.apply_overrides`, which this calls for every path without a
    list on it), list entries by index (``caps.0.since``)."""
    if isinstance(node, list):
        i = _index(parts[0], node, key, where)
        out = list(node)
        if len(parts) == 1:  # the entry itself: parsed as the shared parser parses a value
            out[i] = plain_tree(_parse_override_value(raw.strip()), f"override {key!r}", path=key,
                                depth=len(key.split(".")))
        else:
            out[i] = _apply_one(out[i], parts[1:], raw, key, f"{where}.{i}")
        return out
    if not isinstance(node, dict):
        raise ConfigError(f"override {show_value(key)}: {where} is not a table nor a list", field=f"{FIELD}.{key}")
    cur = node
    for j, p in enumerate(parts[:-1]):  # the first list on the path, if any
        child = cur.get(p) if isinstance(cur, dict) else None
        if isinstance(child, list):
            out = dict(node)
            inner = out
            for q in parts[:j]:  # copy the tables down to the list
                inner[q] = dict(inner[q])
                inner = inner[q]
            inner[p] = _apply_one(child, parts[j + 1:], raw, key, ".".join([where, *parts[:j + 1]]))
            return out
        if not isinstance(child, dict):
            break
        cur = child
    return apply_overrides(node, [f"{'.'.join(parts)}={raw}"])


def apply_policy_overrides(data: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Dotted ``key=value`` overrides of a policy: as the scenario's, and besides an entry of
    a list by its index (``caps.0.since=2024-01-01``, ``exclusion_zones.1.radius_m=500``,
    ``evaluation.map_months.0=2022-06-01``); an index outside the list is refused."""
    out = dict(data)
    for item in overrides:
        try:
            if not isinstance(item, str) or "=" not in item or not all(item.split("=", 1)[0].strip().split(".")):
                out = apply_overrides(out, [item])  # the shared parser's error
                continue
            key, raw = item.split("=", 1)
            key = key.strip().removeprefix("--")
            out = _apply_one(out, key.split("."), raw, key, "policy")
        except ConfigError as exc:  # the shared parser names scenario fields: name the policy's
            field = exc.field if exc.field is None or exc.field.startswith(f"{FIELD}.") else f"{FIELD}.{exc.field}"
            raise ConfigError(str(exc), field=field or FIELD) from None
    return out


def validate_policy(data: dict[str, Any]) -> Policy:
    """A mapping -> frozen :class:`Policy`; :class:`ConfigError` naming every bad field."""
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        msg, field = describe_validation_error(exc)
        raise ConfigError(msg, field=field) from None


def load_policy(source: str | Path | Policy, overrides: Iterable[str] = ()) -> Policy:
    """A policy preset name or TOML file (or a :class:`Policy`, returned as is) with dotted
    ``overrides`` (``swap.sites_per_crew_month=4``, ``strategy.order=cluster``)."""
    if isinstance(source, Policy):
        if list(overrides):
            raise ConfigError("overrides need a policy file or preset, not a Policy object", field=FIELD)
        return source
    if not isinstance(source, (str, Path)):
        raise ConfigError(f"policy {show_value(source)}: allowed a preset name or a TOML file path", field=FIELD)
    data, _ = _read(str(source))
    return validate_policy(apply_policy_overrides(data, list(overrides)))
