"""Handover preparation and execution that can fail (TR 36.839 5.2 model; docs/mobility.md):
exact event timing on constructed measurement sequences, 10 ms steps.

Timeline of the reference case: cell 1 becomes 10 dB stronger at step 100; TTT 160 ms (16
steps) fires at step 116 (report); preparation 50 ms (5 steps): command at step 121;
execution 40 ms (4 steps): random access at step 125."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.mobility.handover import HandoverParams, HandoverState

DT = 0.01
N = 400
REPORT, COMMAND, ACCESS = 116, 121, 125


def _rsrp() -> np.ndarray:
    rsrp = np.full((N, 1, 2), -90.0)
    rsrp[:, 0, 1] = -100.0
    rsrp[100:, 0, 1] = -80.0
    return rsrp


def _run(rsrp: np.ndarray, serving_sinr, cell_sinr, **kw) -> HandoverState:
    """serving_sinr(k, serving) -> [ue] and cell_sinr(k) -> [ue, cell] give each step's SINRs."""
    kw.setdefault("l3_filter_k", 0)
    kw.setdefault("ttt_s", 0.16)
    params = HandoverParams(**kw)
    assert params.failures  # the default model
    n_steps, n_ue, n_cells = rsrp.shape
    st = HandoverState(n_ue, n_cells, np.argmax(rsrp[0], axis=1), params, DT)
    for k in range(n_steps):
        st.step(k * DT, rsrp[k], serving_sinr(k, st.serving.copy()), None, cell_sinr(k))
    return st


def _events(st: HandoverState, kind: str) -> list[tuple[float, str]]:
    return [(t, o) for t, k, o in zip(st.events.time_s, st.events.kind, st.events.outcome) if k == kind]


def _good(k, serving):
    return np.full(serving.shape, 10.0)


def _cells_good(k):
    return np.full((1, 2), 10.0)


def test_successful_handover_timing_and_interruption() -> None:
    st = _run(_rsrp(), _good, _cells_good)
    ho = _events(st, "handover")
    assert ho == [(pytest.approx(ACCESS * DT), "successful")]
    assert _events(st, "handover_failure") == []
    assert st.serving[0] == 1
    # no data from the command (step 121) until access (step 125): 4 steps of 10 ms
    assert st.outage_s[0] == pytest.approx((ACCESS - COMMAND) * DT)


def test_source_below_delivery_threshold_never_completes() -> None:
    # the source SINR is below the delivery threshold from before the trigger until T310
    # expires: the command never gets through, no handover completes; the RLF at T310
    # expiry ends the handover as a failure in preparation, and the UE re-establishes
    def serving(k, srv):
        return np.full(srv.shape, -12.0 if k >= 100 and srv[0] == 0 else 10.0)

    st = _run(_rsrp(), serving, _cells_good, t310_s=1.0)
    assert _events(st, "handover") == []
    assert _events(st, "rlf")[0][0] == pytest.approx((100 + 100) * DT)
    # one failure, at the RLF, and not a second one as "too late"
    assert _events(st, "handover_failure") == [(pytest.approx(200 * DT), "preparation")]
    reest = [(t, tgt) for t, k, tgt in zip(st.events.time_s, st.events.kind, st.events.target)
             if k == "reestablishment"]
    assert reest == [(pytest.approx(210 * DT), 1)]


def test_command_waits_for_the_source_link() -> None:
    # out of sync from two steps after the report until step 150, back in sync after: the
    # command gets through at the first step with T310 stopped and SINR >= Qout
    def serving(k, srv):
        return np.full(srv.shape, -12.0 if REPORT + 2 <= k < 150 else 10.0)

    st = _run(_rsrp(), serving, _cells_good, t310_s=1.0)
    assert _events(st, "handover_failure") == []
    assert _events(st, "handover") == [(pytest.approx((150 + 4) * DT), "successful")]


def test_report_threshold_delays_the_report() -> None:
    def serving(k, srv):
        return np.full(srv.shape, -12.0 if 100 <= k < REPORT + 10 else 10.0)

    st = _run(_rsrp(), serving, _cells_good, t310_s=1.0, report_sinr_db=-10.0)
    # report at REPORT + 10, preparation, then the command (T310 stopped at REPORT + 10)
    assert _events(st, "handover") == [(pytest.approx((REPORT + 10 + 5 + 4) * DT), "successful")]
    st2 = _run(_rsrp(), serving, _cells_good, t310_s=1.0)  # without: the report goes at once
    assert _events(st2, "handover") == [(pytest.approx((REPORT + 10 + 4) * DT), "successful")]


def test_target_below_access_threshold_fails_in_execution_at_t304() -> None:
    def cells(k):
        return np.asarray([[10.0, -15.0]])  # the target never allows random access

    st = _run(_rsrp(), _good, cells, t304_s=0.1, reestablish_s=0.1)
    assert _events(st, "handover") == []
    fails = _events(st, "handover_failure")
    # T304 expires 10 steps after the command; re-establishment 10 steps later on the
    # strongest cell, the target itself: a plain failure in execution
    assert fails == [(pytest.approx((COMMAND + 10) * DT), "execution")]
    reest = [(t, tgt) for t, k, tgt in zip(st.events.time_s, st.events.kind, st.events.target)
             if k == "reestablishment"]
    assert reest[0] == (pytest.approx((COMMAND + 20) * DT), 1)
    # outage: from the command through T304 and re-establishment
    assert st.outage_s[0] == pytest.approx(20 * DT)


def test_execution_failure_back_in_source_is_too_early() -> None:
    rsrp = _rsrp()
    rsrp[COMMAND + 5:, 0, 1] = -100.0  # the target's spike ends during execution

    def cells(k):
        return np.asarray([[10.0, -15.0]])

    st = _run(rsrp, _good, cells, t304_s=0.1)
    assert [o for _, o in _events(st, "handover_failure")] == ["too_early"]


def test_access_retried_until_the_target_allows_it() -> None:
    def cells(k):
        return np.asarray([[10.0, 10.0 if k >= COMMAND + 7 else -15.0]])

    st = _run(_rsrp(), _good, cells, t304_s=0.1)
    assert _events(st, "handover") == [(pytest.approx((COMMAND + 7) * DT), "successful")]
    assert _events(st, "handover_failure") == []


def test_rlf_during_preparation_is_a_preparation_failure() -> None:
    def serving(k, srv):  # out of sync before the trigger; T310 expires while preparing
        return np.full(srv.shape, -12.0 if k >= REPORT - 27 and srv[0] == 0 else 10.0)

    st = _run(_rsrp(), serving, _cells_good, t310_s=0.3)
    assert _events(st, "rlf")[0][0] == pytest.approx((REPORT - 27 + 30) * DT)
    assert _events(st, "handover_failure") == [(pytest.approx((REPORT + 3) * DT), "preparation")]
    assert _events(st, "handover") == []


def test_ideal_model_hands_over_at_ttt_expiry() -> None:
    st = _run(_rsrp(), _good, _cells_good, failures=True, preparation_s=0.0, execution_s=0.0)
    assert _events(st, "handover") == [(pytest.approx(REPORT * DT), "successful")]


def test_command_needs_in_sync_variant() -> None:
    # a dip below Qout starts T310; the SINR then sits between Qout and Qin (T310 keeps
    # running) until step 160
    def serving(k, srv):
        if 110 <= k < 116:
            return np.full(srv.shape, -12.0)
        return np.full(srv.shape, -7.0 if 116 <= k < 160 else 10.0)

    st = _run(_rsrp(), serving, _cells_good, t310_s=1.0)
    assert _events(st, "handover") == [(pytest.approx(ACCESS * DT), "successful")]
    st2 = _run(_rsrp(), serving, _cells_good, t310_s=1.0, command_needs_in_sync=True)
    assert _events(st2, "handover") == [(pytest.approx((160 + 4) * DT), "successful")]
