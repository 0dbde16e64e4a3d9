"""What a long run is doing now, for a progress display: the run modes turn their
``progress(done, total)`` counts into ``status(text)`` lines naming the drop and the
capacity-sweep point (``nrsim run`` shows them as the progress bar's description)."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Sequence

ProgressCallback = Callable[[int, int], None]
Stage = tuple[str, int]
"""(status text, units of work: time steps, slots or chunks)."""


def drop_stages(what: str, drops: int, units_per_drop: int, prefix: str = "") -> list[Stage]:
    """One stage per drop: ``"{prefix}drop 2/4: {what}"`` with ``units_per_drop`` units each."""
    return [(f"{prefix}drop {d + 1}/{drops}: {what}", units_per_drop) for d in range(drops)]


def sweep_stages(points: Sequence[float], drops: int, units_per_drop: int) -> list[Stage]:
    """The stages of a serial capacity sweep: every point's drops, in order."""
    n = len(points)
    return [stage for i, calls in enumerate(points)
            for stage in drop_stages("video calls", drops, units_per_drop,
                                     prefix=f"capacity point {i + 1}/{n} ({calls:g} calls per cell), ")]


def staged_progress(stages: Sequence[Stage], progress: ProgressCallback | None,
                    status: Callable[[str], None] | None) -> ProgressCallback | None:
    """A ``progress(done, total)`` callback that first calls ``status(text)`` with the text of
    the stage unit ``done`` falls in (stages follow each other, ``units`` each; past the end:
    the last) whenever that stage changes, then ``progress(done, total)``. None when both are
    None."""
    if progress is None and status is None:
        return None
    ends = list(itertools.accumulate(units for _, units in stages))
    current: int | None = None

    def cb(done: int, total: int) -> None:
        nonlocal current
        if status is not None and stages:
            i = min(bisect.bisect_right(ends, done), len(stages) - 1)
            if i != current:
                current = i
                status(stages[i][0])
        if progress is not None:
            progress(done, total)

    return cb
