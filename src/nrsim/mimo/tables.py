"""Spec tables of the MIMO package, shipped as CSV package data with a provenance header
(``nrsim/mimo/tables/*.csv``)."""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources


def read_csv_table(name: str) -> list[dict[str, str]]:
    """Rows of ``nrsim/mimo/tables/<name>``, skipping ``#`` provenance lines."""
    text = resources.files("nrsim.mimo").joinpath("tables", name).read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


@functools.lru_cache(maxsize=None)
def type1_configs() -> tuple[tuple[int, int, int, int], ...]:
    """(N1, N2, O1, O2) of TS 38.214 V17 Table 5.2.2.2.1-2 (P_CSI-RS = 2 N1 N2 >= 4)."""
    return tuple((int(r["n1"]), int(r["n2"]), int(r["o1"]), int(r["o2"]))
                 for r in read_csv_table("type1_configs.csv"))


@functools.lru_cache(maxsize=None)
def i13_rank2_table() -> dict[str, tuple[tuple[int, int], ...]]:
    """{case: ((k1/O1, k2/O2) for i13 = 0, 1, ...)} of TS 38.214 V17 Table 5.2.2.2.1-3."""
    out: dict[str, list[tuple[int, int]]] = {}
    for r in sorted(read_csv_table("type1_i13_rank2.csv"), key=lambda r: (r["case"], int(r["i13"]))):
        out.setdefault(r["case"], []).append((int(r["k1_o1"]), int(r["k2_o2"])))
    return {k: tuple(v) for k, v in out.items()}


@functools.lru_cache(maxsize=None)
def i13_rank34_table() -> dict[tuple[int, int], tuple[tuple[int, int], ...]]:
    """{(N1, N2): ((k1/O1, k2/O2) for i13 = 0, 1, ...)} of TS 38.214 V17 Table 5.2.2.2.1-4
    (3 and 4 layers, P_CSI-RS < 16)."""
    out: dict[tuple[int, int], list[tuple[int, int]]] = {}
    rows = sorted(read_csv_table("type1_i13_rank34.csv"), key=lambda r: (r["n1"], r["n2"], int(r["i13"])))
    for r in rows:
        out.setdefault((int(r["n1"]), int(r["n2"])), []).append((int(r["k1_o1"]), int(r["k2_o2"])))
    return {k: tuple(v) for k, v in out.items()}
