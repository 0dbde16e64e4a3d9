"""Handover and RLF state machine on constructed measurement sequences."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.mobility.handover import HandoverParams, HandoverState, l3_coefficient

DT = 0.01  # 10 ms measurement step


def _run(rsrp: np.ndarray, sinr: np.ndarray | None = None, **kw) -> HandoverState:
    """rsrp [step, ue, cell]; sinr [step, ue] of the serving cell (default: good). These
    tests exercise triggering, RLF and classification with the ideal handover execution
    (``failures = False``); tests/mobility/test_handover_failures.py the failure model."""
    n_steps, n_ue, n_cells = rsrp.shape
    kw.setdefault("failures", False)
    params = HandoverParams(**kw)
    st = HandoverState(n_ue, n_cells, np.argmax(rsrp[0], axis=1), params, DT)
    for k in range(n_steps):
        s = sinr[k] if sinr is not None else np.full(n_ue, 20.0)
        st.step(k * DT, rsrp[k], s)
    return st


def test_l3_coefficient() -> None:
    # TS 38.331 5.5.3.2: a = 1/2^(k/4) at the 200 ms rate; k = 4 -> 1/2; k = 0 -> 1
    assert l3_coefficient(4) == 0.5 and l3_coefficient(0) == 1.0
    assert abs(l3_coefficient(8) - 0.25) < 1e-15
    # at 10 ms steps the weight keeps the 200 ms time characteristic: after 20 steps the
    # old value has the same weight (1 - a)^20 as after one 200 ms step
    a10 = l3_coefficient(4, 0.01)
    assert abs((1 - a10) ** 20 - 0.5) < 1e-12


def test_large_hysteresis_never_hands_over() -> None:
    rng = np.random.default_rng(0)
    rsrp = rng.normal(-90, 8, size=(500, 20, 5))
    st = _run(rsrp, hysteresis_db=100.0)
    assert "handover" not in st.events.kind


def test_zero_ttt_offset_follows_strongest_cell() -> None:
    rng = np.random.default_rng(1)
    n_steps, n_ue, n_cells = 300, 30, 6
    rsrp = rng.normal(-90, 6, size=(n_steps, n_ue, n_cells))
    params = HandoverParams(a3_offset_db=0.0, hysteresis_db=0.0, ttt_s=0.0, l3_filter_k=0, failures=False)
    st = HandoverState(n_ue, n_cells, np.argmax(rsrp[0], axis=1), params, DT)
    for k in range(n_steps):
        st.step(k * DT, rsrp[k], np.full(n_ue, 20.0))
        assert np.array_equal(st.serving, np.argmax(rsrp[k], axis=1)), k


def test_ttt_delays_handover_exactly() -> None:
    # cell 1 becomes 10 dB stronger at step 100; TTT 160 ms = 16 steps at 10 ms
    rsrp = np.full((300, 1, 2), -90.0)
    rsrp[:, 0, 1] = -100.0
    rsrp[100:, 0, 1] = -80.0
    st = _run(rsrp, l3_filter_k=0, ttt_s=0.16)
    ho = [i for i, k in enumerate(st.events.kind) if k == "handover"]
    assert len(ho) == 1
    assert st.events.time_s[ho[0]] == pytest.approx((100 + 16) * DT)
    assert st.events.outcome[ho[0]] == "successful"


def test_ping_pong_on_back_and_forth_path() -> None:
    # dominance alternates every 0.5 s between cells 0 and 1 (a UE walking back and forth)
    n = 400
    rsrp = np.full((n, 1, 2), -90.0)
    for k in range(n):
        strong = (k // 50) % 2 == 1
        rsrp[k, 0, 1] = -80.0 if strong else -100.0
    st = _run(rsrp, l3_filter_k=0, ttt_s=0.04, ping_pong_s=1.0)
    outcomes = [o for k, o in zip(st.events.kind, st.events.outcome) if k == "handover"]
    assert outcomes[0] == "successful"
    assert len(outcomes) >= 3 and all(o == "ping_pong" for o in outcomes[1:])
    st2 = _run(rsrp, l3_filter_k=0, ttt_s=0.04, ping_pong_s=0.2)
    assert all(o == "successful" for k, o in zip(st2.events.kind, st2.events.outcome) if k == "handover")


@pytest.mark.parametrize("t310_s", [0.2, 1.0])
def test_rlf_exactly_after_t310(t310_s: float) -> None:
    # SINR drops below Qout at step 50 and stays there: with N310 = 1 the first out-of-sync
    # indication starts T310 at step 50, and RLF is declared T310 later.
    n = 300
    rsrp = np.full((n, 1, 1), -90.0)
    sinr = np.full((n, 1), 5.0)
    sinr[50:] = -12.0
    st = _run(rsrp, sinr, t310_s=t310_s, n310=1, q_out_db=-8.0)
    rlf = [t for t, k in zip(st.events.time_s, st.events.kind) if k == "rlf"]
    assert rlf and rlf[0] == pytest.approx((50 + round(t310_s / DT)) * DT)
    # recovery one step before expiry: no RLF
    sinr2 = sinr.copy()
    sinr2[50 + round(t310_s / DT) - 1:] = 5.0
    st2 = _run(rsrp, sinr2, t310_s=t310_s, n310=1, q_out_db=-8.0, n311=1)
    assert "rlf" not in st2.events.kind


def test_n310_counts_consecutive_indications() -> None:
    n = 200
    rsrp = np.full((n, 1, 1), -90.0)
    sinr = np.full((n, 1), 5.0)
    sinr[20:] = -12.0
    st = _run(rsrp, sinr, t310_s=0.1, n310=5)
    rlf = [t for t, k in zip(st.events.time_s, st.events.kind) if k == "rlf"]
    # T310 starts at the 5th out-of-sync indication (step 24) and expires 10 steps later
    assert rlf[0] == pytest.approx((24 + 10) * DT)


def test_too_late_and_too_early() -> None:
    # too late: serving cell 0 fades (SINR collapses) while cell 1 rises, but TTT is so long
    # that RLF comes first; the UE re-establishes on cell 1
    n = 400
    rsrp = np.full((n, 1, 2), -90.0)
    rsrp[:, 0, 1] = -100.0
    rsrp[100:, 0, 1] = -80.0
    sinr = np.full((n, 1), 10.0)
    sinr[100:] = -15.0
    st = _run(rsrp, sinr, l3_filter_k=0, ttt_s=2.0, t310_s=0.5)
    fails = [o for k, o in zip(st.events.kind, st.events.outcome) if k == "handover_failure"]
    assert fails == ["too_late"]
    assert st.serving[0] == 1
    # too early: a handover to cell 1, then RLF in cell 1 and re-establishment back on 0
    rsrp = np.full((n, 1, 2), -90.0)
    rsrp[:, 0, 1] = -100.0
    rsrp[100:130, 0, 1] = -80.0  # a short spike triggers the handover
    sinr = np.full((n, 1), 10.0)
    sinr[110:] = -15.0  # in cell 1 the link then collapses
    st = _run(rsrp, sinr, l3_filter_k=0, ttt_s=0.02, t310_s=0.2)
    hos = [o for k, o in zip(st.events.kind, st.events.outcome) if k == "handover"]
    assert hos[0] == "too_early"


def test_interruption_counts_as_outage() -> None:
    rsrp = np.full((100, 1, 2), -90.0)
    rsrp[:, 0, 1] = -100.0
    rsrp[10:, 0, 1] = -80.0
    st = _run(rsrp, l3_filter_k=0, ttt_s=0.0, interruption_s=0.05)
    assert st.outage_s[0] == pytest.approx(0.05)
