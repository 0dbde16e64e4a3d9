"""Library functions the commands of :mod:`nrsim.cli.app` call that are slow to import
(``nrsim.kpi`` brings pandas), each imported on first use (PEP 562 module ``__getattr__``)
from the static table :data:`_LAZY`, so the command signatures that ``--help`` and tab
completion read load without them. ``tests/test_layering.py`` reads the table as import
edges (docs/architecture.md). Public names come from the lazy :mod:`nrsim` namespace."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nrsim.kpi.outdir import check_output

_LAZY: dict[str, str] = {
    "check_output": "nrsim.kpi.outdir",
}
"""Name -> the module that defines it."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nrsim.cli._lib' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = sorted(_LAZY)
