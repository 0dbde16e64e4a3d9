"""What the commands that write a result share: the ``--force`` option and warnings shown as
one line each (:mod:`nrsim.kpi.outdir`)."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

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
