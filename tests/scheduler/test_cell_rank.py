"""The wideband scheduler's rank scan (nrsim.scheduler.cell) against a sort by the QoS key."""

from __future__ import annotations

import numpy as np

from nrsim.scheduler.cell import fill_rbgs_in_order, next_in_rank


def test_next_in_rank_yields_the_sorted_order() -> None:
    """Repeated picks give the order of Python's sort by (priority, deadline, -metric, UE),
    with many ties in the first keys (drawn from few values)."""
    rng = np.random.default_rng(4)
    for _ in range(50):
        n, lo = int(rng.integers(1, 30)), int(rng.integers(0, 5))
        size = lo + n
        prio = rng.choice([20.0, 40.0, 90.0], size)
        ddl = rng.choice([0.0, 0.1, 0.2], size)
        metric = rng.choice([1.0, 2.0, np.inf, 3.5], size)
        ue = rng.permutation(100)[:size].astype(np.int64)
        ranked = np.zeros(size, dtype=bool)
        got = []
        while (i := next_in_rank(prio, ddl, metric, ue, ranked, lo, n)) >= 0:
            got.append(i)
        expect = sorted(range(lo, size), key=lambda i: (prio[i], ddl[i], -metric[i], ue[i]))
        assert got == expect


def test_fill_rbgs_in_order_by_hand() -> None:
    first_prb = np.array([0, 16, 32, 48, 52], dtype=np.int64)  # RBGs of 16, 16, 16, 4 PRBs
    free = np.array([True, False, True, True])
    taken = np.ones(4, dtype=bool)
    assert fill_rbgs_in_order(free, taken, 20, first_prb) == 32  # RBGs 0 and 2
    assert taken.tolist() == [True, False, True, False]
    assert free.tolist() == [False, False, False, True]
