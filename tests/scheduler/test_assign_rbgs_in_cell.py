"""The compiled per-cell frequency-selective RBG assignment of the mobile-call engine
(:func:`nrsim.scheduler.base.assign_rbgs_in_cell`)."""

from __future__ import annotations

import numpy as np

from nrsim.scheduler.base import assign_rbgs_in_cell


def _assign(metric, *, prio=None, ddl=None, remaining=None, bits=None, free=None, max_ues=99, n_sched=0):
    metric = np.asarray(metric, dtype=float)
    n_c, n_rbg = metric.shape
    prio = np.zeros(n_c) if prio is None else np.asarray(prio, dtype=float)
    ddl = np.zeros(n_c) if ddl is None else np.asarray(ddl, dtype=float)
    remaining = np.full(n_c, 1e9) if remaining is None else np.asarray(remaining, dtype=float)
    bits = np.ones((n_c, n_rbg)) if bits is None else np.asarray(bits, dtype=float)
    free = np.ones(n_rbg, dtype=bool) if free is None else np.asarray(free, dtype=bool)
    owner = np.full(n_rbg, -7, dtype=np.int64)
    got = np.empty(n_c, dtype=np.int64)
    ue = np.arange(10, 10 + n_c, dtype=np.int64)
    n = assign_rbgs_in_cell(n_c, free, metric, bits, remaining.copy(), prio, ddl, ue, max_ues, n_sched, got, owner)
    return owner, got, n


def test_each_rbg_goes_to_the_best_metric_on_it() -> None:
    owner, got, n = _assign([[3.0, 1.0, 2.0, 0.5], [1.0, 4.0, 2.5, 0.4]])
    assert owner.tolist() == [0, 1, 1, 0]
    assert got.tolist() == [2, 2] and n == 2


def test_qos_rank_then_deadline_beat_the_metric() -> None:
    # candidate 1 has the better metric everywhere but the lower priority (larger level)
    owner, _, _ = _assign([[1.0, 1.0], [9.0, 9.0]], prio=[2, 5])
    assert owner.tolist() == [0, 0]
    owner, _, _ = _assign([[1.0, 1.0], [9.0, 9.0]], ddl=[0.1, 0.2])
    assert owner.tolist() == [0, 0]


def test_a_covered_buffer_leaves_rbgs_to_the_next() -> None:
    # candidate 0 is best everywhere but its buffer is covered after two RBGs of 5 bits
    owner, got, _ = _assign([[5.0] * 4, [1.0] * 4], remaining=[8.0, 1e9], bits=np.full((2, 4), 5.0))
    assert owner.tolist() == [0, 0, 1, 1] and got.tolist() == [2, 2]


def test_busy_rbgs_untouched_and_max_ues_holds() -> None:
    owner, got, n = _assign([[1.0, 2.0, 3.0], [2.0, 1.0, 4.0]], free=[True, False, True], max_ues=2, n_sched=1)
    # one UE already scheduled (a retransmission): only one new UE may join, then takes all it can
    assert owner[1] == -7  # a busy RBG is left as it was
    assert owner[0] == owner[2] == 1 and got.tolist() == [0, 2] and n == 2


def test_ties_go_to_the_lower_ue_index() -> None:
    owner, _, _ = _assign([[1.0, 1.0], [1.0, 1.0]])
    assert owner.tolist() == [0, 0]
