"""CLI side of the guards: model-validity warnings as yellow lines, the size estimate
(``nrsim validate`` always, ``nrsim run`` when the run is long) and a status line while a
scenario (e.g. a national site list) is read and checked."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

from rich.console import Console
from rich.markup import escape

from nrsim.errors import ModelValidityWarning
from nrsim.sizing import fmt_estimate_lines


@contextlib.contextmanager
def model_warnings(console: Console) -> Iterator[None]:
    """Print each :class:`ModelValidityWarning` raised inside as one yellow ``warning:`` line
    on ``console`` (each distinct message once); other warnings are shown as usual."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ModelValidityWarning)
        try:
            yield
        finally:
            seen: set[str] = set()
            for w in caught:
                if issubclass(w.category, ModelValidityWarning):
                    text = str(w.message)
                    if text not in seen:
                        seen.add(text)
                        console.print(f"[yellow]warning:[/] {escape(str(text))}", highlight=False, soft_wrap=True)
                else:
                    warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def loading(console: Console, scenario: str):
    """A transient status line (on a terminal) while ``scenario`` is read and checked."""
    return console.status(f"reading and checking {escape(scenario)} (site lists, layout, geometry) ...")


def estimate_lines(est) -> list[str]:
    """The size estimate as CLI lines."""
    return fmt_estimate_lines(est)
