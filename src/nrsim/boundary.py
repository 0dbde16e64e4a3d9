"""Checks of the public API's arguments and of a Dask scheduler address, made once at the
boundary (STYLE rule 5) before any work.

A wrong type raises :class:`~nrsim.errors.ArgumentTypeError` (a :class:`ConfigError` and a
:class:`TypeError`) naming the argument and what is allowed; nothing is truncated or
converted silently: ``seed=1.7`` and ``chunk_ues=2.5`` are errors, not 1 and 2.
"""

from __future__ import annotations

import ipaddress
import numbers
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from nrsim.config.schema import ScenarioConfig
from nrsim.errors import ArgumentTypeError, ConfigError
from nrsim.errors import show_value as show

SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss")
"""Dask comm protocols a scheduler address may name (distributed.comm registry); no scheme
means tcp."""

_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
                   r"(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$")
_ADDRESS = re.compile(r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?P<host>\[[^\]]*\]|[^:/\[\]]*):(?P<port>[0-9]{1,5})$")


def check_int(value: Any, name: str, *, lo: int | None = None, optional: bool = True) -> int | None:
    """``value`` as an ``int`` when it is an integer (Python or NumPy, not ``bool``) and at
    least ``lo``; ``None`` passes when ``optional``. Floats are rejected, even integral ones
    (no silent ``int(1.7) == 1``)."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(
            f"{name} = {show(value)}: must be an integer{'' if lo is None else f' >= {lo}'}"
            f"{' or None' if optional else ''} (got {type(value).__name__})", field=name)
    out = int(value)
    if lo is not None and out < lo:
        raise ConfigError(f"{name} = {out}: must be >= {lo}", field=name)
    return out


def check_overrides(overrides: Any, name: str = "overrides") -> list[str]:
    """A list of ``dotted.key=value`` strings from any iterable of strings; a single string
    (which would be read character by character) or a non-string item is an error."""
    if overrides is None:
        return []
    if isinstance(overrides, (str, bytes)) or not isinstance(overrides, Iterable) or isinstance(overrides, Mapping):
        raise ArgumentTypeError(
            f"{name} = {show(overrides)}: must be a list of 'dotted.key=value' strings "
            f"(e.g. ['channel.scenario=umi']), got {type(overrides).__name__}", field=name)
    out = list(overrides)
    for i, item in enumerate(out):
        if not isinstance(item, str):
            raise ArgumentTypeError(
                f"{name}[{i}] = {show(item)}: must be a 'dotted.key=value' string (got {type(item).__name__})",
                field=name)
    return out


def check_source(source: Any, name: str = "source") -> None:
    """A scenario source: a preset name or TOML path (``str`` or path-like) or a mapping."""
    if isinstance(source, (str, os.PathLike, Mapping)):
        return
    raise ArgumentTypeError(
        f"{name} = {show(source)}: must be a preset name, a TOML file path or a mapping "
        f"(got {type(source).__name__})", field=name)


def check_path(value: Any, name: str, *, optional: bool = True) -> None:
    """A folder or file path: ``str`` or path-like, not empty, without NUL characters."""
    if value is None and optional:
        return
    if not isinstance(value, (str, os.PathLike)):
        raise ArgumentTypeError(
            f"{name} = {show(value)}: must be a path (str or pathlib.Path){' or None' if optional else ''} "
            f"(got {type(value).__name__})", field=name)
    text = os.fspath(value)
    if not isinstance(text, str):
        raise ArgumentTypeError(f"{name} = {show(value)}: must be a text path, not bytes", field=name)
    if text == "" or "\x00" in text:
        raise ConfigError(f"{name} = {show(text)}: not a usable path (empty or with a NUL character)", field=name)


def check_bool(value: Any, name: str) -> bool:
    """``value`` when it is a ``bool`` (no truthiness of strings such as ``"no"``)."""
    if not isinstance(value, bool):
        raise ArgumentTypeError(f"{name} = {show(value)}: must be True or False (got {type(value).__name__})",
                                field=name)
    return value


def check_scheduler_address(address: Any, name: str = "scheduler") -> str | None:
    """A Dask scheduler address ``[SCHEME://]HOST:PORT`` (SCHEME one of
    :data:`SCHEDULER_SCHEMES`, HOST a host name, IPv4 address or ``[IPv6]`` address, PORT
    1..65535), checked before anything connects; ``None`` passes."""
    if address is None:
        return None
    if not isinstance(address, str):
        raise ArgumentTypeError(
            f"{name} = {show(address)}: must be a Dask scheduler address string such as "
            f"'tcp://10.0.0.5:8786' (got {type(address).__name__})", field=name)
    m = _ADDRESS.match(address)
    ok = m is not None and (m["scheme"] is None or m["scheme"] in SCHEDULER_SCHEMES) \
        and 1 <= int(m["port"]) <= 65535 and _host_ok(m["host"])
    if not ok:
        raise ConfigError(
            f"{name} = {show(address)}: not a Dask scheduler address; allowed [SCHEME://]HOST:PORT with SCHEME "
            f"{', '.join(SCHEDULER_SCHEMES)} (default tcp), HOST a host name, IPv4 or [IPv6] address and PORT "
            "1..65535, e.g. tcp://10.0.0.5:8786", field=name)
    return address


def _host_ok(host: str) -> bool:
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return True
    return bool(_HOST.match(host))


def check_run_args(config: Any, *, out_dir: Any, progress: Any, workers: Any, scheduler: Any,
                   chunk_ues: Any, allow_plugins: Any) -> None:
    """The arguments of :func:`nrsim.run`, before any work (see the module docstring)."""
    if not isinstance(config, ScenarioConfig):
        check_source(config, "config")
    check_path(out_dir, "out_dir")
    if progress is not None and not callable(progress):
        raise ArgumentTypeError(f"progress = {show(progress)}: must be a callable progress(done, total) or None "
                                f"(got {type(progress).__name__})", field="progress")
    check_int(workers, "workers", lo=0, optional=False)
    check_scheduler_address(scheduler)
    check_int(chunk_ues, "chunk_ues", lo=1)
    check_bool(allow_plugins, "allow_plugins")


def check_load_args(source: Any, overrides: Any, *, seed: Any, drops: Any) -> list[str]:
    """The arguments of :func:`nrsim.load_config`; returns the overrides as a list."""
    check_source(source)
    out = check_overrides(overrides)
    check_int(seed, "seed")
    check_int(drops, "drops")
    return out
