"""Helpers shared by the TR 38.901 modules: spec-table loading, constants (the scenarios
themselves are in :mod:`.scenarios`).

Private to :mod:`nrsim.channel.tr38901`; not part of the public API.

Reference: 3GPP TR 38.901 V17.0.0 (2022-03).
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources
from types import MappingProxyType
from typing import Mapping

SPEC = "3GPP TR 38.901 V17.0.0 (2022-03)"
"""The pinned specification version every formula in this package follows."""

C_TR38901_M_S: float = 3.0e8
"""Propagation velocity in free space [m/s] *as fixed by the TR*: Table 7.4.1-1 notes 1 and 5
define the breakpoint distances with c = 3.0e8 m/s (not the exact SI value), so the breakpoint
formulas use this constant to reproduce the TR exactly."""


@functools.lru_cache(maxsize=None)
def read_table(name: str) -> tuple[Mapping[str, str], ...]:
    """Rows of the spec table ``tables/<name>``, as read-only ``{column: text}`` mappings.

    Lines starting with ``#`` are the provenance header and are skipped. Cached: each file is
    read once per process; the rows are immutable so the cache cannot be corrupted.
    """
    text = (resources.files("nrsim.channel.tr38901") / "tables" / name).read_text(encoding="utf-8")
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    return tuple(MappingProxyType(dict(row)) for row in reader)
