"""Typed errors of nrsim.

The library raises these; only the CLI turns them into exit codes (2 for bad input).
"""

from __future__ import annotations


class NrsimError(Exception):
    """Base class of every error nrsim raises on purpose."""


class ConfigError(NrsimError, ValueError):
    """A configuration (file, preset or override) is malformed or out of range.

    The message names the field (dotted path) and what is allowed.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ModelValidityError(NrsimError, ValueError):
    """An input lies outside the validity range of an empirical model
    (e.g. a carrier frequency outside 0.5-100 GHz for TR 38.901 path loss)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ModelValidityWarning(UserWarning):
    """Issued instead of :class:`ModelValidityError` under the ``warn`` policy."""
