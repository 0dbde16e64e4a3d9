"""How the CLI reports an error: ONE line on stderr (house rule; exit code 2 for bad input).

A message of several lines (e.g. a site list's list of problems) is joined into one; user
text in it is shown literally (no Rich markup, no terminal control characters).
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

_stderr = Console(stderr=True)
_click_exc = importlib.import_module(typer.BadParameter.__module__)
"""The Click exceptions module Typer uses (recent Typer ships its own copy of Click)."""
_NoArgsIsHelp = getattr(_click_exc, "NoArgsIsHelpError", ())


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line: lines joined with "; " (with " " after a line
    ending in ":"), control characters written as escapes."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}"  # a path that cannot be read or written
    elif isinstance(exc, _click_exc.ClickException):
        text = exc.format_message()
        if isinstance(exc, _click_exc.UsageError) and exc.ctx is not None:
            text += f" (see '{exc.ctx.command_path} --help')"
    else:
        text = str(exc) or type(exc).__name__
    out = ""
    for line in (ln.strip() for ln in text.splitlines()):
        if line:
            out = line if not out else f"{out}{' ' if out.endswith(':') else '; '}{line}"
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in out)


def print_error(console: Console, exc: BaseException) -> None:
    """Print ``error: <message>`` as one line on ``console`` (the CLI's stderr console)."""
    console.print(f"[bold red]error:[/] {escape(one_line(exc))}", highlight=False, soft_wrap=True)


@contextlib.contextmanager
def _usage_errors_on_one_line() -> Iterator[None]:
    try:
        yield
    except _NoArgsIsHelp:
        raise  # ``nrsim`` alone: the help text, as Click shows it
    except _click_exc.ClickException as exc:
        print_error(_stderr, exc)
        raise typer.Exit(exc.exit_code) from None


class OneLineErrorsGroup(TyperGroup):
    """The app's command group: Click's usage errors (an option value of the wrong type, an
    unknown option, a missing argument) are reported as one line too, with their exit code
    (2), instead of a usage panel."""

    def make_context(self, info_name, args, parent=None, **extra):  # noqa: ANN001, ANN201, D102
        with _usage_errors_on_one_line():
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):  # noqa: ANN001, ANN201, D102
        with _usage_errors_on_one_line():
            return super().invoke(ctx)
