"""What the commands that write a result share: the ``--force`` option, warnings shown as
one line each (:mod:`nrsim.kpi.outdir`) and the columns of the progress bar."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (BarColumn, MofNCompleteColumn, ProgressColumn, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)

ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Replace --out even when it is a file or a folder that is not an nrsim result (it is moved "
             "aside and deleted once the new result is complete).",
    ),
]


@contextlib.contextmanager
def warnings_as_lines(console: Console) -> Iterator[None]:
    """Show each warning raised in the block as one ``warning: ...`` line on ``console``."""

    def show(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
        console.print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def progress_columns() -> tuple[ProgressColumn, ...]:
    """The columns of a long run's progress bar: what it is doing now (drop, stage, capacity
    sweep point: the run's ``status`` texts), bar, count, time elapsed and Rich's estimate of
    the time left (from the recent speed; ``-:--:--`` until there is one)."""
    return (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("elapsed,"), TimeRemainingColumn(), TextColumn("left"))
