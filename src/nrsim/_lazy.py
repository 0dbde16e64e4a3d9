"""Module attributes loaded on first access (PEP 562 module ``__getattr__`` and ``__dir__``)
from a static table ``name -> defining module``; shared by :mod:`nrsim`,
:mod:`nrsim.channel.tr38901` and :mod:`nrsim.cli._lib`. Each keeps its table as a module-level
``_LAZY`` dict literal, which ``tests/test_layering.py`` reads as import edges."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any


def lazy_attributes(
    module_name: str, table: Mapping[str, str], namespace: MutableMapping[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the module ``module_name`` whose globals are
    ``namespace``: a name of ``table`` is imported from its module on first access and stored
    in ``namespace`` (later lookups skip ``__getattr__``); any other name raises
    :class:`AttributeError` as a missing module attribute does."""

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__
