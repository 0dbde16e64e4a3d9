"""A scenario file is data; the fields that name Python code run it only when allowed.

The one such field today is ``slots.scheduler.plugin`` (with ``slots.scheduler.name =
"plugin"``): :mod:`nrsim.scheduler.plugin` imports that file and instantiates its class. A
run executes it only with ``--allow-plugins`` (``nrsim run``, ``nrsim compare``) or
``allow_plugins=True`` (:func:`nrsim.run`, :func:`nrsim.compare.compare`); without it the run
stops before any work with :class:`PluginNotAllowedError`. ``nrsim validate`` says when a
scenario names code (:func:`describe_named_code`). Checking a scenario never imports it.
"""

from __future__ import annotations

from pathlib import Path

from nrsim.config.schema import ScenarioConfig
from nrsim.errors import ConfigError

ALLOW_OPTION = "--allow-plugins"
"""The command-line option that allows a scenario's Python code to run."""


class PluginNotAllowedError(ConfigError):
    """A scenario names Python code and running it was not allowed; ``field`` is the field."""


def named_code(cfg: ScenarioConfig) -> list[tuple[str, str]]:
    """(dotted field, value) of every field of ``cfg`` that names Python code a run would
    import and execute."""
    s = cfg.slots.scheduler
    return [("slots.scheduler.plugin", s.plugin)] if s.name == "plugin" and s.plugin else []


def describe_named_code(cfg: ScenarioConfig) -> str | None:
    """One line for ``nrsim validate`` when ``cfg`` names code, else None."""
    code = named_code(cfg)
    if not code:
        return None
    fields = ", ".join(f"{field} = {value!r}" for field, value in code)
    return f"names Python code: {fields}; runs only with {ALLOW_OPTION}"


def check_plugins_allowed(cfg: ScenarioConfig, allow_plugins: bool) -> None:
    """Raise :class:`PluginNotAllowedError` naming the field and the option when ``cfg``
    names code and ``allow_plugins`` is false. When allowed, check (without importing it)
    that each named file exists, so that a wrong path fails before any work."""
    for field, value in named_code(cfg):
        check_code_field(field, value, allow_plugins, where=(
            f"{ALLOW_OPTION} (nrsim run, nrsim compare) or allow_plugins=True (nrsim.run, nrsim.compare.compare)"),
            attribute="ClassName")


def check_code_field(field: str, value: str, allow_plugins: bool, *, where: str, attribute: str) -> None:
    """One field naming code, ``'path/to/file.py:<attribute>'``: raise
    :class:`PluginNotAllowedError` when ``allow_plugins`` is false (``where`` names the option
    and argument that allow it); when allowed, raise :class:`ConfigError` if the file does not
    exist (checked without importing it)."""
    if not allow_plugins:
        raise PluginNotAllowedError(
            f"{field} = {value!r} names Python code, which nrsim runs only when allowed: pass "
            f"{where} if you trust this file", field=field)
    path_text = value.rsplit(":", 1)[0]
    try:
        is_file = Path(path_text).is_file()
    except (OSError, ValueError):
        is_file = False
    if not is_file:
        raise ConfigError(f"{field} = {value!r}: the file {path_text!r} does not exist; allowed "
                          f"'path/to/file.py:{attribute}'", field=field)
