"""``nrsim.kpi.mobility_kpis`` against KPIs counted by hand (definitions in docs/mobility.md)."""

from __future__ import annotations

import pandas as pd
import pytest

from nrsim.engine.mobility import mobility_kpis as engine_name
from nrsim.kpi import mobility_kpis


def test_kpis_of_a_hand_counted_run() -> None:
    ue = pd.DataFrame({"rlfs": [1, 0], "outage_s": [3.0, 1.0]})
    events = pd.DataFrame({
        "kind": ["handover"] * 3 + ["handover_failure"] * 3,
        "outcome": ["success", "ping_pong", "too_early", "too_late", "preparation", "wrong_cell"],
    })
    k = mobility_kpis(ue, events, 60.0)
    # 3 handovers by 2 UEs in 1 min; failures: 3 failed attempts + 1 too-early handover of 6 attempts
    assert k["handovers"] == 3 and k["handovers_per_ue_per_min"] == pytest.approx(1.5)
    assert k["handover_failure_rate"] == pytest.approx(4 / 6)
    assert (k["too_late"], k["too_early"], k["wrong_cell"]) == (1, 1, 1)
    assert (k["failure_preparation"], k["failure_execution"]) == (1, 1)
    assert k["ping_pong_rate"] == pytest.approx(1 / 3)
    # 1 RLF in 2 UE-minutes = 30 per UE-hour; 4 s of outage in 120 UE-seconds
    assert k["rlf"] == 1 and k["rlf_per_ue_hour"] == pytest.approx(30.0)
    assert k["outage_share"] == pytest.approx(4 / 120)


def test_no_events_and_the_engine_name() -> None:
    ue = pd.DataFrame({"rlfs": [0, 0, 0], "outage_s": [0.0, 0.0, 0.0]})
    k = mobility_kpis(ue, pd.DataFrame({"kind": [], "outcome": []}), 30.0)
    assert k["handovers"] == 0 and k["handover_failure_rate"] == 0.0 and k["ping_pong_rate"] == 0.0
    assert k["handovers_per_ue_per_min"] == 0.0 and k["outage_share"] == 0.0
    assert engine_name is mobility_kpis  # still importable from nrsim.engine.mobility
