"""Map markers of mobility events (nrsim.report.html.event_markers): every failed handover
is drawn as a failure, whatever its TS 38.300 15.5.2.2.3 class."""

from __future__ import annotations

import pandas as pd

from nrsim.report.html import event_markers


def test_failure_classes_get_the_failure_marker() -> None:
    ev = pd.DataFrame({
        "kind": ["handover", "handover", "handover_failure", "handover_failure", "handover_failure", "rlf",
                 "handover"],
        "outcome": ["successful", "ping_pong", "preparation", "execution", "too_late", "", "cho_recovery"],
        "x_m": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "y_m": [0.0] * 7,
    })
    codes = [m[2] for m in event_markers(ev)]
    assert codes == [0, 1, 2, 2, 2, 3, 0]
