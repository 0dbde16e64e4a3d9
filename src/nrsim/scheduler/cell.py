"""Per-cell pieces of the wideband scheduler of the slot core, compiled: the next candidate in
rank order and the RBGs in index order it takes (the frequency-selective assignment is
:func:`nrsim.scheduler.base.assign_rbgs_in_cell`).

The rank is the QoS policy's total order: priority level ascending, deadline ascending, the
policy metric (:mod:`nrsim.scheduler.metric`) descending, UE index ascending. Picking the next
candidate by a scan (:func:`next_in_rank`) instead of sorting them all costs O(candidates) per
UE actually scheduled; a cell usually fills its band with a few UEs out of tens of candidates.
"""

from __future__ import annotations

from nrsim.compiled import jit


@jit
def ranks_before(a, b, prio, ddl, metric, ue) -> bool:
    """Whether candidate a ranks before candidate b (arrays [cand])."""
    if prio[a] != prio[b]:
        return prio[a] < prio[b]
    if ddl[a] != ddl[b]:
        return ddl[a] < ddl[b]
    if metric[a] != metric[b]:
        return metric[a] > metric[b]
    return ue[a] < ue[b]


@jit
def next_in_rank(prio, ddl, metric, ue, ranked, lo, n):
    """Position of the best candidate among ``lo .. lo+n-1`` not yet ``ranked`` (bool [cand],
    set for the one returned); -1 when all are ranked."""
    best = -1
    for i in range(lo, lo + n):
        if ranked[i]:
            continue
        if best < 0 or ranks_before(i, best, prio, ddl, metric, ue):
            best = i
    if best >= 0:
        ranked[best] = True
    return best


@jit
def fill_rbgs_in_order(free, taken, need_prb, rbg_first_prb):
    """Take ``free`` RBGs (bool [rbg], cleared as taken) in index order until ``need_prb`` PRBs
    are covered; ``taken`` bool [rbg] marks them. Returns the PRBs taken."""
    got = 0
    for r in range(free.size):
        taken[r] = False
    for r in range(free.size):
        if got >= need_prb:
            break
        if free[r]:
            free[r] = False
            taken[r] = True
            got += rbg_first_prb[r + 1] - rbg_first_prb[r]
    return got
