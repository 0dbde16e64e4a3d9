"""Text of KPI values in the CLI tables: infinities and missing values spelt out, user strings
kept out of Rich markup."""

from __future__ import annotations

import math
from typing import Any

from rich.markup import escape


def kpi_cell(value: float | None, scale: float = 1.0, spec: str = ".2f") -> str:
    """``value * scale`` formatted with ``spec``; ``+inf``/``-inf`` for an infinite value (the
    SIR of a one-cell network), ``-`` for a missing one (None, NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    v = float(value) * scale
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    return format(v, spec)


def kpi_delta_cell(value: float | None, scale: float = 1.0) -> str:
    """A B - A difference with its sign (``+1.23``); ``-`` when undefined (e.g. inf - inf)."""
    if value is None or not math.isfinite(float(value)):
        return "-"
    return format(float(value) * scale, "+.2f")


def note_lines(kpis: dict[str, Any]) -> list[str]:
    """``kpis.notes`` as ``"note (key): text"`` lines, escaped for Rich markup."""
    notes = kpis.get("notes") or {}
    return [escape(f"note ({k}): {v}") for k, v in notes.items()] if isinstance(notes, dict) else []
