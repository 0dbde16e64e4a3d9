"""Mobility KPIs of a run: handover rate, failure and ping-pong rates, radio link failures
and time in outage, from the per-UE table and the handover events (definitions in
docs/mobility.md). Used by the mobility and the mobile-call engines."""

from __future__ import annotations

from typing import Any

import pandas as pd


def mobility_kpis(ue: pd.DataFrame, events: pd.DataFrame, duration_s: float) -> dict[str, Any]:
    """Handover rate per UE per minute, failure and ping-pong rates, RLF per UE-hour, time in
    outage (definitions in docs/mobility.md)."""
    n_ue = len(ue)
    ho = events[events["kind"] == "handover"] if len(events) else events
    fail = events[events["kind"] == "handover_failure"] if len(events) else events
    n_ho = len(ho)

    def share(outcome: str) -> float:
        return float((ho["outcome"] == outcome).sum() / n_ho) if n_ho else 0.0

    def n_fail(*outcomes: str) -> int:
        return int(fail["outcome"].isin(outcomes).sum()) if len(fail) else 0

    n_late = n_fail("too_late")
    n_prep = n_fail("preparation")
    n_exec = n_fail("execution", "too_early", "wrong_cell")
    n_early = (int((ho["outcome"] == "too_early").sum()) if n_ho else 0) + n_fail("too_early")
    n_wrong = (int((ho["outcome"] == "wrong_cell").sum()) if n_ho else 0) + n_fail("wrong_cell")
    n_ho_bad = (int(ho["outcome"].isin(("too_early", "wrong_cell")).sum()) if n_ho else 0)
    attempts = n_ho + len(fail)
    minutes = duration_s / 60.0
    return {
        "n_ue": n_ue,
        "duration_s": duration_s,
        "handovers": n_ho,
        "handovers_per_ue_per_min": n_ho / (n_ue * minutes) if n_ue else float("nan"),
        "handover_failure_rate": (len(fail) + n_ho_bad) / attempts if attempts else 0.0,
        "too_late": n_late,
        "too_early": n_early,
        "wrong_cell": n_wrong,
        "failure_preparation": n_prep,
        "failure_execution": n_exec,
        "ping_pong_rate": share("ping_pong"),
        "rlf": int(ue["rlfs"].sum()),
        "rlf_per_ue_hour": float(ue["rlfs"].sum()) / (n_ue * duration_s / 3600.0) if n_ue else float("nan"),
        "outage_share": float(ue["outage_s"].sum()) / (n_ue * duration_s) if n_ue else float("nan"),
    }
