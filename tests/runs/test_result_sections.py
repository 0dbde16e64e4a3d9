"""The KPI sections of :mod:`nrsim.runs.result` read ``summary.json`` through one reader
(``_Section.from_json``): each field by its annotated type. Expected values are written out
by hand from the documented rule (missing or null -> 0, "", {}, None; NaN -> None)."""

from __future__ import annotations

import math

import pytest

from nrsim.runs.result import CallKpis, CapacityKpis, Kpis, MobilityKpis, SlotKpis, SnapshotKpis

SECTIONS = (SnapshotKpis, SlotKpis, MobilityKpis, CallKpis, CapacityKpis)


@pytest.mark.parametrize("cls", SECTIONS)
def test_every_section_reads_an_empty_object(cls):
    """Every field of every section has a reader (an unknown annotation raises TypeError)."""
    assert cls.from_json({}).data == {}


def test_missing_and_null_keys_give_the_typed_defaults():
    s = SlotKpis.from_json({"n_slots": None, "video": {}, "bler_first_tx": math.nan})
    assert (s.n_slots, s.scheduler, s.traffic, s.user_throughput_bps) == (0, "", "", {})
    assert s.video is None and s.bler_first_tx is None
    c = CapacityKpis.from_json({"points": [{"calls": 2}], "reached": 1, "target_satisfied_share": None})
    assert c.points == ({"calls": 2},) and c.reached is True and c.target_satisfied_share == 0.0
    assert c.capacity_calls_per_cell is None


def test_values_are_read_with_their_types():
    d = {"n_calls": "7", "calls_per_cell": 2, "satisfied_share": 0.5, "dl_satisfied_share": "x",
         "ul_satisfied_share": [1]}
    c = CallKpis.from_json(d)
    assert c.n_calls == 7 and c.calls_per_cell == 2.0 and isinstance(c.calls_per_cell, float)
    assert c.satisfied_share == 0.5 and c.dl_satisfied_share is None and c.ul_satisfied_share is None
    assert c.data is d
    m = MobilityKpis.from_json({"handovers_per_ue_per_min": 1.5, "outage_share": 0})
    assert (m.handovers_per_ue_per_min, m.handover_failure_rate, m.outage_share) == (1.5, None, 0.0)
    snap = SnapshotKpis.from_json({"n_ue": 4, "n_cells": 3, "percentiles": {"sinr_db": {"5": -2.0}}})
    assert (snap.n_ue, snap.n_cells, snap.notes) == (4, 3, {})
    assert snap.percentiles == {"sinr_db": {"5": -2.0}}


def test_kpis_dispatches_on_kind():
    k = Kpis.from_json("mobility", {"mobility": {"ping_pong_rate": 0.1}, "calls": None})
    assert k.snapshot is None and k.calls is None and k.mobility.ping_pong_rate == 0.1
    k = Kpis.from_json("slots", {"n_ue": 2, "slots": {"n_slots": 10}})
    assert k.snapshot.n_ue == 2 and k.slots.n_slots == 10
