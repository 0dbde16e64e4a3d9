"""Render the configuration reference (docs/configuration.md) from the schema itself."""

from __future__ import annotations

import typing

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

from nrsim.config.schema import ScenarioConfig


def _bounds(metadata) -> str:
    lo = hi = None
    flat = []
    for m in metadata:  # Field(...) inside Annotated keeps its constraints in .metadata
        flat.extend(getattr(m, "metadata", None) or [m])
    for m in flat:
        if isinstance(m, Ge):
            lo = f">= {m.ge}"
        elif isinstance(m, Gt):
            lo = f"> {m.gt}"
        elif isinstance(m, Le):
            hi = f"<= {m.le}"
        elif isinstance(m, Lt):
            hi = f"< {m.lt}"
    return " and ".join(x for x in (lo, hi) if x)


def _type_and_range(field) -> tuple[str, str]:
    ann = field.annotation
    origin = typing.get_origin(ann)
    if origin is typing.Literal:
        return "one of", ", ".join(repr(a) for a in typing.get_args(ann))
    args = typing.get_args(ann)
    if type(None) in args:  # Optional[Annotated[X, bounds]]: "X or None" with X's bounds
        inner = next(a for a in args if a is not type(None))
        base = typing.get_args(inner)[0] if typing.get_origin(inner) is typing.Annotated else inner
        bounds = _bounds(getattr(inner, "__metadata__", ()))
        if typing.get_origin(base) is typing.Literal:
            return "one of", ", ".join(repr(a) for a in typing.get_args(base)) + ", None"
        if typing.get_origin(base) is list and typing.get_args(base):
            el = typing.get_args(base)[0]
            el_base = typing.get_args(el)[0] if typing.get_origin(el) is typing.Annotated else el
            return f"list of {getattr(el_base, '__name__', str(el_base))} or None", _bounds(getattr(el, "__metadata__", ()))
        return f"{getattr(base, '__name__', str(base))} or None", bounds
    if origin is list and args:
        inner = args[0]
        base = typing.get_args(inner)[0] if typing.get_origin(inner) is typing.Annotated else inner
        return f"list of {getattr(base, '__name__', str(base))}", _bounds(getattr(inner, "__metadata__", ()))
    return getattr(ann, "__name__", str(ann)), _bounds(field.metadata)


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows: list[str] = []
    nested: list[tuple[type[BaseModel], str]] = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            nested.append((ann, f"{prefix}{name}."))
            continue
        typ, rng = _type_and_range(field)
        desc = " ".join((field.description or "").split())
        default = field.default
        rows.append(f"| `{prefix}{name}` | {typ} | `{default!r}` | {rng} | {desc} |")
    for sub, p in nested:
        rows.append("")
        rows.append(f"### `[{p[:-1]}]`")
        rows.append("")
        rows.append("| key | type | default | allowed | meaning |")
        rows.append("|---|---|---|---|---|")
        rows.extend(_rows(sub, p))
    return rows


def configuration_markdown() -> str:
    head = [
        "# Scenario configuration reference",
        "",
        "Generated from `src/nrsim/config/schema.py` by `python -m nrsim.config.docs`; a test",
        "checks that this file is current. Unknown keys are rejected; every value is checked",
        "against its range. Override any key from the command line with",
        "`--set dotted.key=value`.",
        "",
        "### top level",
        "",
        "| key | type | default | allowed | meaning |",
        "|---|---|---|---|---|",
    ]
    return "\n".join(head + _rows(ScenarioConfig, "")) + "\n"


if __name__ == "__main__":  # pragma: no cover
    from pathlib import Path

    Path("docs/configuration.md").write_text(configuration_markdown(), encoding="utf-8")
