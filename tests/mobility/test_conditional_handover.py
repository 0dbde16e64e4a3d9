"""Conditional handover (CHO, TS 38.300 V17 9.2.3.4, TS 38.331 V17 5.3.5.13): exact event
timing on constructed measurement sequences, 10 ms steps, L3 filter off.

Reference timeline: the serving cell 0 is at -90 dBm. Cell 1 rises to -88.5 dBm at step 100
(Mn - Hys = -89.5 > Mp + 0: the CHO preparation report's A3 condition, offset 0 dB, holds;
the plain A3 with offset 3 dB does not) and to -80 dBm at step 150 (both A3 conditions
hold). From step 150 the source's SINR is -12 dB, below Qout = delivery threshold -8 dB.
- Plain handover: TTT 160 ms from step 150 fires at 166, the report goes out, preparation
  ends at 171, the command never gets through; T310 started at 150 expires at 250: RLF,
  a failure in preparation.
- CHO: the preparation report's TTT 80 ms from step 100 fires at 108, preparation 50 ms
  ends at 113 with the source still good: the conditional command is delivered. The
  execution condition (offset 3 dB) holds from step 150, condTimeToTrigger 160 ms fires at
  166: the UE leaves the source, random access succeeds 40 ms later at step 170."""

from __future__ import annotations

import numpy as np
import pytest

import nrsim
from nrsim.mobility.handover import HandoverParams, HandoverState

DT = 0.01
N = 400


def _rsrp(prep_level: float = -88.5, exec_level: float | None = -80.0, exec_step: int = 150) -> np.ndarray:
    rsrp = np.full((N, 1, 2), -90.0)
    rsrp[:, 0, 1] = -100.0
    rsrp[100:, 0, 1] = prep_level
    if exec_level is not None:
        rsrp[exec_step:, 0, 1] = exec_level
    return rsrp


def _run(rsrp: np.ndarray, serving_sinr, **kw) -> HandoverState:
    kw.setdefault("l3_filter_k", 0)
    params = HandoverParams(**kw)
    n_steps, n_ue, n_cells = rsrp.shape
    st = HandoverState(n_ue, n_cells, np.argmax(rsrp[0], axis=1), params, DT)
    for k in range(n_steps):
        st.step(k * DT, rsrp[k], serving_sinr(k, st.serving.copy()), None, np.full((1, 2), 10.0))
    return st


def _events(st: HandoverState, kind: str) -> list[tuple[float, str]]:
    return [(t, o) for t, k, o in zip(st.events.time_s, st.events.kind, st.events.outcome) if k == kind]


def _source_fails_at(step: int):
    def sinr(k, srv):
        return np.full(srv.shape, -12.0 if k >= step and srv[0] == 0 else 10.0)
    return sinr


def _good(k, srv):
    return np.full(srv.shape, 10.0)


def test_plain_handover_fails_in_preparation_where_cho_succeeds() -> None:
    plain = _run(_rsrp(), _source_fails_at(150))
    assert _events(plain, "handover") == []
    assert _events(plain, "rlf") == [(pytest.approx(250 * DT), "")]
    assert _events(plain, "handover_failure") == [(pytest.approx(250 * DT), "preparation")]

    cho = _run(_rsrp(), _source_fails_at(150), conditional=True)
    assert _events(cho, "handover") == [(pytest.approx(170 * DT), "successful")]
    assert _events(cho, "handover_failure") == []
    assert _events(cho, "rlf") == []
    assert cho.serving[0] == 1
    # no data from the execution (step 166) until access (step 170) only
    assert cho.outage_s[0] == pytest.approx(4 * DT)


def test_cho_executes_only_when_its_condition_holds() -> None:
    # Mn - Hys must exceed Mp + 3 dB: -86.1 dBm gives -87.1 < -87 (never executes),
    # -85.9 dBm gives -86.9 > -87 (executes after condTimeToTrigger, access 40 ms later)
    below = _run(_rsrp(exec_level=-86.1), _good, conditional=True)
    assert _events(below, "handover") == []
    assert below.serving[0] == 0
    above = _run(_rsrp(exec_level=-85.9), _good, conditional=True)
    assert _events(above, "handover") == [(pytest.approx(170 * DT), "successful")]
    # the prepared candidate alone never moves the UE, however long it stays prepared
    prep_only = _run(_rsrp(exec_level=None), _good, conditional=True)
    assert _events(prep_only, "handover") == [] and prep_only.serving[0] == 0
    # a longer condTimeToTrigger delays the execution step for step
    slow = _run(_rsrp(), _good, conditional=True, cho_execution_ttt_s=0.32)
    assert _events(slow, "handover") == [(pytest.approx((150 + 32 + 4) * DT), "successful")]


def test_cho_command_needs_the_source_link_too() -> None:
    # the source is below the delivery threshold from step 105, before the preparation
    # ends (113): the conditional command never gets through, RLF at 205 is a failure in
    # preparation (the existing class)
    st = _run(_rsrp(), _source_fails_at(105), conditional=True)
    assert _events(st, "handover") == []
    assert _events(st, "handover_failure") == [(pytest.approx(205 * DT), "preparation")]


def test_cho_validity_releases_and_reprepares() -> None:
    # prepared at 113, validity 0.5 s: released at 163 (cellsTriggeredList cleared), the
    # report's TTT restarts at 164 and fires at 172, preparation ends at 177; the execution
    # condition (from 200) then fires at 216 and access succeeds at 220
    st = _run(_rsrp(exec_step=200), _good, conditional=True, cho_validity_s=0.5)
    assert _events(st, "handover") == [(pytest.approx(220 * DT), "successful")]
    # with a validity that ends before the condition holds and no re-preparation window
    # (the execution step at 170 falls between release at 163 and re-preparation at 177):
    # the condition is first evaluated at 177, TTT from 177, execution at 193, access 197
    st2 = _run(_rsrp(exec_step=170), _good, conditional=True, cho_validity_s=0.5)
    assert _events(st2, "handover") == [(pytest.approx(197 * DT), "successful")]


@pytest.mark.parametrize("recovery", [True, False])
def test_cho_recovery_after_source_rlf(recovery: bool) -> None:
    # prepared at 113, the execution condition never holds, the source fails from 120:
    # T310 expires at 220. With attemptCondReconfig the UE selects the candidate (the
    # strongest cell) and executes the CHO: access at 224, no re-establishment. Without it
    # the UE re-establishes after 100 ms (step 230) in the same cell 1.
    st = _run(_rsrp(exec_level=None), _source_fails_at(120), conditional=True, cho_validity_s=5.0,
              cho_recovery=recovery)
    assert _events(st, "rlf") == [(pytest.approx(220 * DT), "")]
    if recovery:
        assert _events(st, "handover") == [(pytest.approx(224 * DT), "cho_recovery")]
        assert _events(st, "reestablishment") == []
    else:
        assert _events(st, "handover") == []
        assert [t for t, _ in _events(st, "reestablishment")] == [pytest.approx(230 * DT)]
    assert st.serving[0] == 1


def test_conditional_needs_a3() -> None:
    with pytest.raises(nrsim.ConfigError, match="conditional"):
        nrsim.load_config("mobility-uma", ["mobility.handover.conditional=true", "mobility.handover.event=A5"])


# KPIs of a small mobility run computed with nrsim before CHO existed (commit 2df57c5): the
# CHO parameters are inert while conditional = false
PINNED = {"handovers": 23, "rlf": 17, "failure_preparation": 17, "failure_execution": 1, "wrong_cell": 1,
          "too_early": 0, "too_late": 0, "handover_failure_rate": 0.43902439024390244,
          "ping_pong_rate": 0.043478260869565216, "outage_share": 0.0031547619047619046}
SMALL = ["deployment.rings=1", "mobility.duration_s=4", "mobility.speeds_kmh=[60]", "mobility.speed_shares=[1.0]",
         "deployment.ue.indoor_fraction=0"]


def test_defaults_unchanged_without_conditional() -> None:
    odd = ["mobility.handover.cho_preparation_offset_db=-5", "mobility.handover.cho_validity_ms=77",
           "mobility.handover.cho_recovery=false", "mobility.handover.cho_execution_ttt_ms=0"]
    k = nrsim.run(nrsim.load_config("mobility-uma", [*SMALL, *odd], seed=3)).summary["kpis"]["mobility"]
    for key, val in PINNED.items():
        assert k[key] == pytest.approx(val, rel=1e-12), key
    kc = nrsim.run(nrsim.load_config("mobility-uma", [*SMALL, "mobility.handover.conditional=true"],
                                     seed=3)).summary["kpis"]["mobility"]
    assert kc["failure_preparation"] < PINNED["failure_preparation"]  # CHO acts on the same drop
