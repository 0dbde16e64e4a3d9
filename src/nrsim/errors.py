"""Typed errors of nrsim.

The library raises these; only the CLI turns them into exit codes (2 for bad input).
"""

from __future__ import annotations

from typing import Any

SHOWN_CHARS = 80
"""Longest rendering of a bad value in an error message (the rest is cut with '...')."""


def show_value(value: Any) -> str:
    """``repr(value)`` for an error message, cut to :data:`SHOWN_CHARS` characters (safe for
    any object, also an integer too long for ``repr``)."""
    try:
        text = repr(value)
    except Exception:  # e.g. an int over sys.get_int_max_str_digits(), or a broken __repr__
        text = f"<{type(value).__name__}>"
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


class NrsimError(Exception):
    """Base class of every error nrsim raises on purpose."""


class ConfigError(NrsimError, ValueError):
    """A configuration (file, preset or override) is malformed or out of range.

    The message names the field (dotted path) and what is allowed.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class OutputPathError(NrsimError):
    """An output path cannot be used: an existing file or a folder that is not an nrsim
    result (without ``force``), the current or home folder, an unwritable parent folder, or
    a target that another nrsim run is writing. Raised before any work; the message names the
    path and the fix."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class ExecutionError(NrsimError):
    """A run could not finish for a reason outside its inputs (e.g. every Dask worker was
    lost); the finished chunks of a run with a result folder are kept, and the same command
    resumes from them. The CLI exits 1."""


class OutputWarning(UserWarning):
    """An output is being replaced on request (``force``) although it is not an nrsim result,
    or a resume folder of another nrsim version is discarded."""


class ModelValidityError(NrsimError, ValueError):
    """An input lies outside the validity range of an empirical model
    (e.g. a carrier frequency outside 0.5-100 GHz for TR 38.901 path loss)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ModelValidityWarning(UserWarning):
    """Issued instead of :class:`ModelValidityError` under the ``warn`` policy."""


class ArgumentTypeError(ConfigError, TypeError):
    """A Python API argument has the wrong type (e.g. ``seed=1.7``, ``workers="2"``).

    Both a :class:`ConfigError` (``field`` is the argument's name) and a :class:`TypeError`;
    nothing is truncated or converted silently.
    """
