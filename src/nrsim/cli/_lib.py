"""Library functions the commands of :mod:`nrsim.cli.app` call that are slow to import
(``nrsim.kpi`` brings pandas), each imported on first use (PEP 562 module ``__getattr__``)
from the static table :data:`_LAZY`, so the command signatures that ``--help`` and tab
completion read load without them. ``tests/test_layering.py`` reads the table as import
edges (docs/architecture.md). Public names come from the lazy :mod:`nrsim` namespace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nrsim._lazy import lazy_attributes

if TYPE_CHECKING:
    from nrsim.kpi.outdir import check_output

_LAZY: dict[str, str] = {
    "check_output": "nrsim.kpi.outdir",
}
"""Name -> the module that defines it."""


__getattr__, __dir__ = lazy_attributes("nrsim.cli._lib", _LAZY, globals())


__all__ = sorted(_LAZY)
