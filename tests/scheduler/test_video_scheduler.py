"""The QoS-aware scheduler against round robin on a constructed, deterministic case: one
cell, four RBGs of 1000 bits each per slot, one video UE (10,000-bit frames every 20 slots,
6 ms delay budget, 12.5 % of the capacity) and three backlogged best-effort UEs.

By hand: round robin serves the video UE in the slot after the frame arrives (it has waited
longest), 4000 bits, then again only after the three others, 4 slots later (4000 bits), so
the last 2000 bits would need a third turn at +8 ms > 6 ms: every frame is lost. The QoS
scheduler gives the video UE all RBGs in the three slots after arrival: every frame is
delivered 3.5 ms after its arrival."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.scheduler import QosAware, RoundRobin, SchedulerInput, validate_allocation
from nrsim.traffic import QosPackets

SLOT_S = 1e-3
N_RBG = 4
RATE_BITS = 1000.0
N_FRAMES = 5
FRAME_BITS = 10_000.0
PERIOD_SLOTS = 20


def _traffic() -> QosPackets:
    t_video = (np.arange(N_FRAMES) * PERIOD_SLOTS - 0.5) * SLOT_S + SLOT_S  # mid-slot arrivals
    ue = np.concatenate([np.zeros(N_FRAMES, int), [1, 2, 3]])
    t = np.concatenate([t_video, [0.0, 0.0, 0.0]])
    size = np.concatenate([np.full(N_FRAMES, FRAME_BITS), [1e9, 1e9, 1e9]])
    qi = np.concatenate([np.full(N_FRAMES, 2), [9, 9, 9]])
    pdb = np.concatenate([np.full(N_FRAMES, 0.006), [np.inf] * 3])
    return QosPackets(4, ue, t, size, qi, pdb)


def _run(make_scheduler):
    q = _traffic()
    sched = make_scheduler(q)
    served = np.zeros(4)
    for slot in range(N_FRAMES * PERIOD_SLOTS + 10):
        q.advance_to(slot * SLOT_S)
        queued = q.queued_bits()
        inp = SchedulerInput(
            slot=slot, slot_duration_s=SLOT_S, serving_cell=np.zeros(4, np.int64), n_cells=1,
            rate_bits=np.full((4, N_RBG), RATE_BITS), available=np.ones((1, N_RBG), bool),
            eligible=queued > 0, buffer_bits=queued,
        )
        alloc = validate_allocation(sched.allocate(inp), inp)
        bits = np.minimum(alloc.sum(axis=1) * RATE_BITS, queued)
        q.take(bits)
        q.deliver(bits, (slot + 1) * SLOT_S)
        sched.update(inp, bits)
        served += bits
    return q.packet_log(), served


def test_qos_meets_the_delay_budget_that_round_robin_misses() -> None:
    rr_log, _ = _run(lambda q: RoundRobin(4))
    qos_log, served = _run(lambda q: QosAware(4, head_of_line=q.head_of_line))
    video = rr_log.five_qi == 2
    assert not rr_log.delivered[video].any()  # round robin: every frame misses 6 ms
    assert qos_log.delivered[video].all()
    assert qos_log.delay_s[video] == pytest.approx(np.full(N_FRAMES, 0.0035))
    # the best-effort UEs share the rest by PF (equal channels: near-equal shares)
    assert served[1:].min() > 0.25 * served[1:].sum()


def test_qos_priority_then_deadline_then_pf() -> None:
    # UE 0: video (5QI 2) deadline 10 ms; UE 1: voice (5QI 1, priority 20) deadline 50 ms;
    # UE 2: video deadline 5 ms; UE 3: best effort. One RBG each slot: order 1, 2, 0, 3.
    q = QosPackets(4, [0, 1, 2, 3], [0.0] * 4, [1000.0] * 4, [2, 1, 2, 9], [0.010, 0.050, 0.005, np.inf])
    sched = QosAware(4, head_of_line=q.head_of_line)
    order = []
    for slot in range(4):
        q.advance_to(slot * SLOT_S)
        queued = q.queued_bits()
        inp = SchedulerInput(
            slot=slot, slot_duration_s=SLOT_S, serving_cell=np.zeros(4, np.int64), n_cells=1,
            rate_bits=np.full((4, 1), 1000.0), available=np.ones((1, 1), bool), eligible=queued > 0,
            buffer_bits=queued,
        )
        alloc = sched.allocate(inp)
        u = int(np.flatnonzero(alloc[:, 0])[0])
        order.append(u)
        bits = np.zeros(4)
        bits[u] = 1000.0
        q.take(bits)
        q.deliver(bits, (slot + 1) * SLOT_S)
        sched.update(inp, bits)
    assert order == [1, 2, 0, 3]


def test_qos_without_flows_is_pf() -> None:
    from nrsim.scheduler import ProportionalFair

    rng = np.random.default_rng(3)
    inp = SchedulerInput(
        slot=0, slot_duration_s=SLOT_S, serving_cell=rng.integers(0, 2, 9), n_cells=2,
        rate_bits=rng.exponential(1000.0, (9, 5)), available=np.ones((2, 5), bool),
        eligible=np.ones(9, bool), buffer_bits=np.full(9, np.inf),
    )
    assert np.array_equal(QosAware(9).allocate(inp), ProportionalFair(9).allocate(inp))
