"""Load a user scheduler from a Python file: ``"path/to/file.py:ClassName"``.

The class is instantiated as ``ClassName(n_ue, **params)`` and must provide ``allocate`` and
``update`` (:class:`nrsim.scheduler.Scheduler`); its allocations are checked every slot. On the
slot core (:mod:`nrsim.engine.calls`) one instance schedules each direction named in
``slots.scheduler.plugin_directions`` (:func:`direction_plugins`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from nrsim.scheduler.base import Scheduler, SchedulerError


def load_scheduler_class(spec: str) -> type:
    """The class named by ``"file.py:ClassName"``."""
    if ":" not in spec:
        raise SchedulerError(f"scheduler plugin {spec!r} must be 'path/to/file.py:ClassName'")
    path_text, cls_name = spec.rsplit(":", 1)
    path = Path(path_text)
    if not path.is_file():
        raise SchedulerError(f"scheduler plugin file {path_text!r} does not exist")
    mod_name = f"nrsim_scheduler_plugin_{abs(hash(str(path.resolve())))}"
    mod_spec = importlib.util.spec_from_file_location(mod_name, path)
    if mod_spec is None or mod_spec.loader is None:
        raise SchedulerError(f"cannot import scheduler plugin file {path_text!r}")
    module = importlib.util.module_from_spec(mod_spec)
    try:
        mod_spec.loader.exec_module(module)
    except Exception as exc:  # a user file: report what went wrong, typed
        raise SchedulerError(f"importing scheduler plugin {path_text!r} failed: {exc!r}") from exc
    cls = getattr(module, cls_name, None)
    if cls is None or not isinstance(cls, type):
        raise SchedulerError(f"scheduler plugin {path_text!r} has no class {cls_name!r}")
    for meth in ("allocate", "update"):
        if not callable(getattr(cls, meth, None)):
            raise SchedulerError(f"scheduler plugin class {cls_name!r} has no method {meth!r}")
    return cls


def load_scheduler_plugin(spec: str, n_ue: int, params: dict[str, Any] | None = None) -> Scheduler:
    """Instantiate the plugin class of ``spec`` as ``ClassName(n_ue, **params)``."""
    return _instantiate(load_scheduler_class(spec), spec, n_ue, params)


def _instantiate(cls: type, spec: str, n_ue: int, params: dict[str, Any] | None) -> Scheduler:
    try:
        return cls(n_ue, **(params or {}))
    except TypeError as exc:
        raise SchedulerError(f"scheduler plugin {spec!r}: {exc}") from exc


def direction_plugins(spec: str, n_ue: int, params: dict[str, Any] | None,
                      directions: list[str] | tuple[str, ...]) -> tuple[Scheduler | None, Scheduler | None]:
    """(DL, UL) schedulers of a plugin run: a fresh instance of ``spec`` for each direction in
    ``directions`` (``"dl"``, ``"ul"``; state such as PF averages is then per direction),
    None for a direction the plugin does not schedule."""
    cls = load_scheduler_class(spec)
    dl = _instantiate(cls, spec, n_ue, params) if "dl" in directions else None
    ul = _instantiate(cls, spec, n_ue, params) if "ul" in directions else None
    return dl, ul
