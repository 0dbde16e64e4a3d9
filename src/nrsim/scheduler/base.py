"""The scheduler interface: a small Protocol, its input, the allocation check, and the greedy
per-RBG assignment that the metric-based schedulers share.

An allocation is a boolean array ``[ue, rbg]``: True where the UE gets that resource block
group of its serving cell in this slot. A valid allocation gives each RBG of each cell to at
most one UE, only RBGs the engine marked available (retransmissions take theirs first) and
only UEs marked eligible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from nrsim.compiled import jit
from nrsim.errors import NrsimError


class SchedulerError(NrsimError):
    """A scheduler (built in or plugged in) returned an invalid allocation or could not be
    loaded."""


@dataclass(frozen=True)
class SchedulerInput:
    """What a scheduler sees in one slot (one link direction).

    Attributes
    ----------
    slot : int
        Slot index since the start of the run.
    slot_duration_s : float
    serving_cell : int64 [ue]
    n_cells : int
    rate_bits : float64 [ue, rbg]
        Bits the UE could carry on each RBG of its serving cell in this slot, from its latest
        CSI report and link adaptation (MCS chosen per RBG, TBS share of the RBG's REs).
    available : bool [cell, rbg]
        RBGs free for new transmissions.
    eligible : bool [ue]
        UEs that may start a new transmission (data waiting, a free HARQ process, no
        retransmission in this slot).
    buffer_bits : float64 [ue]
        Bits waiting for a first transmission (``inf`` under full buffer).
    direction : str
        ``"dl"`` or ``"ul"``: the link direction of this slot (``slots.scheduler.plugin_directions``;
        one scheduler instance per direction, so its state is per direction).
    """

    slot: int
    slot_duration_s: float
    serving_cell: NDArray[np.int64]
    n_cells: int
    rate_bits: NDArray[np.float64]
    available: NDArray[np.bool_]
    eligible: NDArray[np.bool_]
    buffer_bits: NDArray[np.float64]
    direction: str = "dl"

    @property
    def n_ue(self) -> int:
        return int(self.serving_cell.shape[0])

    @property
    def n_rbg(self) -> int:
        return int(self.available.shape[1])


@runtime_checkable
class Scheduler(Protocol):
    """A slot scheduler. ``allocate`` returns bool [ue, rbg]; ``update`` is told, after the
    slot, how many bits each UE was given in new transmissions (bits [ue])."""

    def allocate(self, inp: SchedulerInput) -> NDArray[np.bool_]: ...

    def update(self, inp: SchedulerInput, scheduled_bits: NDArray[np.float64]) -> None: ...


def validate_allocation(alloc: object, inp: SchedulerInput, *, who: str = "scheduler") -> NDArray[np.bool_]:
    """Check an allocation; returns it as a bool array or raises :class:`SchedulerError`."""
    a = np.asarray(alloc)
    if a.shape != (inp.n_ue, inp.n_rbg):
        raise SchedulerError(f"{who}: allocation has shape {a.shape}, expected (n_ue, n_rbg) = {(inp.n_ue, inp.n_rbg)}")
    if a.dtype != np.bool_:
        raise SchedulerError(f"{who}: allocation must be a bool array, got dtype {a.dtype}")
    if inp.n_ue == 0:
        return a
    # UEs per (cell, RBG): flat index cell * n_rbg + rbg of every allocated (ue, rbg)
    ue, rbg = np.nonzero(a)
    per_cell = np.bincount(inp.serving_cell[ue] * inp.n_rbg + rbg,
                           minlength=inp.n_cells * inp.n_rbg).reshape(inp.n_cells, inp.n_rbg)
    if np.any(per_cell > 1):
        c, r = np.argwhere(per_cell > 1)[0]
        raise SchedulerError(f"{who}: RBG {r} of cell {c} is given to {per_cell[c, r]} UEs (at most 1)")
    if np.any(a & ~inp.available[inp.serving_cell]):
        raise SchedulerError(f"{who}: an RBG that is not available (e.g. held by a retransmission) was allocated")
    if np.any(a.any(axis=1) & ~inp.eligible):
        raise SchedulerError(f"{who}: a UE that is not eligible for a new transmission was allocated")
    return a


@jit
def _greedy_kernel(metric, serving, n_cells, available, eligible, buffer_bits, rate_bits, max_ues):
    n_ue, n_rbg = metric.shape
    alloc = np.zeros((n_ue, n_rbg), dtype=np.bool_)
    remaining = buffer_bits.copy()
    has_rbg = np.zeros(n_ue, dtype=np.bool_)
    n_sched = np.zeros(n_cells, dtype=np.int64)
    best_m = np.empty(n_cells)
    best_u = np.empty(n_cells, dtype=np.int64)
    for r in range(n_rbg):
        best_m[:] = -np.inf
        best_u[:] = n_ue  # n_ue = no UE chosen (never a valid index)
        for u in range(n_ue):
            c = serving[u]
            if not eligible[u] or not available[c, r] or remaining[u] <= 0.0:
                continue
            # a full cell only lets UEs it already scheduled in this slot take more RBGs
            if max_ues > 0 and n_sched[c] >= max_ues and not has_rbg[u]:
                continue
            m = metric[u, r]
            if m > best_m[c]:
                best_m[c] = m
                best_u[c] = u
        for c in range(n_cells):
            u = best_u[c]
            if u < n_ue:
                if not has_rbg[u]:
                    has_rbg[u] = True
                    n_sched[c] += 1
                alloc[u, r] = True
                remaining[u] -= rate_bits[u, r]
    return alloc


def assign_by_metric(
    metric: NDArray[np.float64], inp: SchedulerInput, *, max_ues_per_cell: int | None = None
) -> NDArray[np.bool_]:
    """Greedy frequency-selective assignment: RBG by RBG (in index order), each cell gives
    the RBG to its eligible UE with the largest ``metric`` [ue, rbg] (ties: lowest UE index)
    that still has data beyond what it already got in this slot (``buffer_bits`` against
    ``rate_bits``), at most ``max_ues_per_cell`` distinct UEs per cell (None: no limit).
    UEs whose metric is -inf are never chosen."""
    if inp.n_ue == 0:
        return np.zeros((0, inp.n_rbg), dtype=bool)
    return _greedy_kernel(
        np.ascontiguousarray(metric, dtype=np.float64),
        np.ascontiguousarray(inp.serving_cell, dtype=np.int64),
        int(inp.n_cells),
        np.ascontiguousarray(inp.available, dtype=np.bool_),
        np.ascontiguousarray(inp.eligible, dtype=np.bool_),
        np.ascontiguousarray(inp.buffer_bits, dtype=np.float64),
        np.ascontiguousarray(inp.rate_bits, dtype=np.float64),
        int(max_ues_per_cell or 0),
    )


@jit
def assign_rbgs_in_cell(n_cand, free, metric, bits, remaining, prio, deadline_s, ue, max_ues, n_sched, n_got, owner):
    """Frequency-selective greedy assignment of one cell's free RBGs among ``n_cand`` candidates
    (compiled; the per-cell form of :func:`assign_by_metric` with QoS ranks).

    RBG by RBG in index order, each ``free`` RBG [rbg] goes to the candidate first by (QoS
    priority ``prio`` ascending, ``deadline_s`` ascending, ``metric`` [cand, rbg] on that RBG
    descending, UE index ``ue`` ascending) whose data is not yet covered (``remaining`` [cand]
    bits > 0; each RBG it gets takes ``bits`` [cand, rbg] off) and, once ``max_ues`` distinct
    UEs are scheduled in the cell (``n_sched`` of them before, e.g. retransmissions), only to
    one of those. Writes ``owner`` [rbg] (candidate position, -1 none; RBGs not ``free`` are
    left as they are) and ``n_got`` [cand] (RBGs won); returns the new ``n_sched``."""
    for i in range(n_cand):
        n_got[i] = 0
    for r in range(free.shape[0]):
        if not free[r]:
            continue
        owner[r] = -1
        best = -1
        for i in range(n_cand):
            if remaining[i] <= 0.0:
                continue
            if n_got[i] == 0 and n_sched >= max_ues:
                continue
            if best < 0:
                best = i
                continue
            if prio[i] != prio[best]:
                if prio[i] < prio[best]:
                    best = i
                continue
            if deadline_s[i] != deadline_s[best]:
                if deadline_s[i] < deadline_s[best]:
                    best = i
                continue
            if metric[i, r] != metric[best, r]:
                if metric[i, r] > metric[best, r]:
                    best = i
                continue
            if ue[i] < ue[best]:
                best = i
        if best < 0:
            continue
        owner[r] = best
        if n_got[best] == 0:
            n_sched += 1
        n_got[best] += 1
        remaining[best] -= bits[best, r]
    return n_sched
