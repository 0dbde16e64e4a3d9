"""Scheduler properties: each RBG to at most one UE per cell and slot; round robin gives
equal shares to equal UEs; proportional fair reaches its fixed point on a two-user case
computed by hand; max C/I; allocation checks; user plugins."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nrsim.scheduler import (
    MaxCI,
    ProportionalFair,
    RoundRobin,
    SchedulerError,
    SchedulerInput,
    assign_by_metric,
    load_scheduler_plugin,
    validate_allocation,
)

SHARE_TOL = 0.02
"""PF slot shares over 4,000 slots after a 1,000-slot warm-up: the EWMA (t_c = 50) makes
the shares alternate in runs of a few slots, a bias of order 1 / t_c."""


def _inp(rate, serving, n_cells, *, slot=0, available=None, eligible=None, buffer=None):
    n_ue, n_rbg = rate.shape
    return SchedulerInput(
        slot=slot, slot_duration_s=1e-3, serving_cell=np.asarray(serving, dtype=np.int64), n_cells=n_cells,
        rate_bits=np.asarray(rate, dtype=float),
        available=np.ones((n_cells, n_rbg), bool) if available is None else available,
        eligible=np.ones(n_ue, bool) if eligible is None else eligible,
        buffer_bits=np.full(n_ue, np.inf) if buffer is None else np.asarray(buffer, dtype=float),
    )


@settings(max_examples=60, deadline=None)
@given(
    n_ue=st.integers(0, 25), n_cells=st.integers(1, 4), n_rbg=st.integers(1, 9),
    seed=st.integers(0, 2**31 - 1), max_ues=st.one_of(st.none(), st.integers(1, 3)),
)
def test_each_rbg_at_most_one_ue_per_cell(n_ue, n_cells, n_rbg, seed, max_ues) -> None:
    rng = np.random.default_rng(seed)
    serving = rng.integers(0, n_cells, n_ue)
    rate = rng.exponential(1000.0, (n_ue, n_rbg))
    avail = rng.random((n_cells, n_rbg)) < 0.8
    elig = rng.random(n_ue) < 0.8
    buf = np.where(rng.random(n_ue) < 0.5, np.inf, rng.exponential(2000.0, n_ue))
    inp = _inp(rate, serving, n_cells, available=avail, eligible=elig, buffer=buf)
    for sched in (ProportionalFair(n_ue, max_ues_per_slot=max_ues), RoundRobin(n_ue, max_ues_per_slot=max_ues),
                  MaxCI(n_ue, max_ues_per_slot=max_ues)):
        a = validate_allocation(sched.allocate(inp), inp)
        per_cell = np.zeros((n_cells, n_rbg), int)
        np.add.at(per_cell, serving, a.astype(int))
        assert per_cell.max(initial=0) <= 1
        assert not np.any(a & ~avail[serving]) and not np.any(a.any(1) & ~elig)
        if max_ues is not None:
            assert np.all(np.bincount(serving[a.any(1)], minlength=n_cells) <= max_ues)
        # a UE with a finite buffer gets no RBG beyond the one that covers its buffer
        for u in np.flatnonzero(np.isfinite(buf) & a.any(1)):
            got = rate[u][a[u]]
            assert got[:-1].sum() < buf[u]


def test_round_robin_equal_shares() -> None:
    n_ue, n_rbg = 6, 4
    serving = np.array([0, 0, 0, 1, 1, 1])
    rate = np.tile(np.array([[100.0], [900.0], [400.0], [50.0], [50.0], [3000.0]]), (1, n_rbg))
    rr = RoundRobin(n_ue)
    slots = np.zeros(n_ue)
    for t in range(300):
        inp = _inp(rate, serving, 2, slot=t)
        a = rr.allocate(inp)
        bits = (a * rate).sum(1)
        slots += a.any(1)
        rr.update(inp, bits)
    assert slots.tolist() == [100.0] * 6  # exactly one third of the slots each


def _pf_shares(r1, r2, alpha, beta, n_slots=5000, warm=1000):
    rate = np.array([[r1] * 3, [r2] * 3], dtype=float)
    pf = ProportionalFair(2, time_constant_slots=50.0, alpha=alpha, beta=beta)
    got = np.zeros(2)
    for t in range(n_slots):
        inp = _inp(rate, [0, 0], 1, slot=t)
        a = pf.allocate(inp)
        pf.update(inp, (a * rate).sum(1))
        if t >= warm:
            got += a.any(1)
    return got / got.sum()


def test_proportional_fair_fixed_point_classic() -> None:
    # alpha = beta = 1: metric r_i / T_i with T_i = s_i r_i at the fixed point; equal metrics
    # give s_1 = s_2 = 1/2 whatever the rates (here r1 = 3 r2)
    s = _pf_shares(3000.0, 1000.0, 1.0, 1.0)
    assert abs(s[0] - 0.5) < SHARE_TOL


def test_proportional_fair_fixed_point_generalised() -> None:
    # metric r^a / T^b, T_i = s_i r_i: r1^a / (s1 r1)^b = r2^a / (s2 r2)^b
    # => s1 / s2 = (r1 / r2)^((a - b) / b). a = 2, b = 1, r1 = 3 r2: s1 / s2 = 3 -> s1 = 3/4
    s = _pf_shares(3000.0, 1000.0, 2.0, 1.0)
    assert abs(s[0] - 0.75) < SHARE_TOL
    # a = 1, b = 2: s1 / s2 = 3^(-1/2) -> s1 = 1 / (1 + sqrt 3) = 0.366
    s = _pf_shares(3000.0, 1000.0, 1.0, 2.0)
    assert abs(s[0] - 1.0 / (1.0 + np.sqrt(3.0))) < SHARE_TOL


def test_max_ci_picks_best_per_rbg_and_pf_is_frequency_selective() -> None:
    rate = np.array([[10.0, 1.0, 5.0], [1.0, 10.0, 6.0]])
    inp = _inp(rate, [0, 0], 1)
    a = MaxCI(2).allocate(inp)
    assert a.tolist() == [[True, False, False], [False, True, True]]
    pf = ProportionalFair(2)
    assert pf.allocate(inp).tolist() == [[True, False, False], [False, True, True]]


def test_validation_rejects_bad_allocations() -> None:
    inp = _inp(np.ones((3, 2)), [0, 0, 1], 2, eligible=np.array([True, True, False]))
    with pytest.raises(SchedulerError, match="at most 1"):
        validate_allocation(np.array([[1, 0], [1, 0], [0, 0]], bool), inp)
    with pytest.raises(SchedulerError, match="not eligible"):
        validate_allocation(np.array([[0, 0], [0, 0], [1, 0]], bool), inp)
    with pytest.raises(SchedulerError, match="shape"):
        validate_allocation(np.zeros((3, 3), bool), inp)
    with pytest.raises(SchedulerError, match="bool"):
        validate_allocation(np.zeros((3, 2), int), inp)
    inp2 = _inp(np.ones((2, 2)), [0, 0], 1, available=np.array([[False, True]]))
    with pytest.raises(SchedulerError, match="not available"):
        validate_allocation(np.array([[1, 0], [0, 0]], bool), inp2)


def test_no_ues() -> None:
    inp = _inp(np.zeros((0, 4)), np.zeros(0, int), 3)
    assert assign_by_metric(np.zeros((0, 4)), inp).shape == (0, 4)
    assert validate_allocation(ProportionalFair(0).allocate(inp), inp).shape == (0, 4)


PLUGIN = '''
import numpy as np
from nrsim.scheduler import assign_by_metric

class LowestIndexFirst:
    """Toy scheduler: every RBG to the eligible UE with the lowest index."""
    def __init__(self, n_ue, bias=0.0):
        self.bias = bias
        self.calls = 0
    def allocate(self, inp):
        self.calls += 1
        metric = np.broadcast_to(-np.arange(inp.n_ue, dtype=float)[:, None] + self.bias, inp.rate_bits.shape)
        return assign_by_metric(metric, inp)
    def update(self, inp, scheduled_bits):
        pass
'''


def test_plugin_from_file(tmp_path: Path) -> None:
    f = tmp_path / "my_sched.py"
    f.write_text(PLUGIN)
    s = load_scheduler_plugin(f"{f}:LowestIndexFirst", 4, {"bias": 1.0})
    inp = _inp(np.ones((4, 2)), [0, 0, 1, 1], 2)
    a = validate_allocation(s.allocate(inp), inp)
    assert a.tolist() == [[True, True], [False, False], [True, True], [False, False]]
    with pytest.raises(SchedulerError, match="no class"):
        load_scheduler_plugin(f"{f}:Nope", 4)
    with pytest.raises(SchedulerError, match="does not exist"):
        load_scheduler_plugin(f"{tmp_path / 'x.py'}:A", 4)
    with pytest.raises(SchedulerError):
        load_scheduler_plugin(f"{f}:LowestIndexFirst", 4, {"bogus": 1})
    with pytest.raises(SchedulerError, match="ClassName"):
        load_scheduler_plugin(str(f), 4)
