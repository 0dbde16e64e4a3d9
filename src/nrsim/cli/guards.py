"""CLI side of the guards: model-validity warnings as yellow lines, the size estimate
(``nrsim validate`` always, ``nrsim run`` when the run is long), a status line while a
scenario (e.g. a national site list) is read and checked, and a note while numba compiles."""

from __future__ import annotations

import contextlib
import threading
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


COMPILE_NOTE = ("note: compiling nrsim's numba kernels (first run only; later runs load them from the cache, "
                "so this one takes longer)")
"""The line :func:`compile_note` prints."""


@contextlib.contextmanager
def compile_note(console: Console) -> Iterator[None]:
    """Print :data:`COMPILE_NOTE` once on ``console`` when, inside the block, one of nrsim's
    numba kernels is compiled rather than loaded from numba's cache (a cold cache: after an
    install, an upgrade or with a new ``NUMBA_CACHE_DIR``).

    It listens to numba's ``numba:compile`` event (numba's event API, ``numba.core.event``),
    which numba fires when a function is compiled and not when its machine code is loaded
    from the cache; so the note shows exactly while the compiler runs, in this process (Dask
    worker processes compile on their own, silently). Kernels of other packages are ignored."""
    from numba.core import event  # lazy: numba only for the commands that compile

    lock = threading.Lock()
    shown = False

    class _FirstCompile(event.Listener):
        def on_start(self, ev) -> None:  # noqa: ANN001
            nonlocal shown
            func = getattr(ev.data.get("dispatcher"), "py_func", None)
            if not str(getattr(func, "__module__", "")).startswith("nrsim."):
                return
            with lock:
                if shown:
                    return
                shown = True
            console.print(f"[dim]{escape(COMPILE_NOTE)}[/]", highlight=False, soft_wrap=True)

        def on_end(self, ev) -> None:  # noqa: ANN001
            pass

    listener = _FirstCompile()
    event.register("numba:compile", listener)
    try:
        yield
    finally:
        event.unregister("numba:compile", listener)
