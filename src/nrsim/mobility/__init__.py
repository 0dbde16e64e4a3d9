"""Mobility: trajectories, measurements, handover events, RLF and handover classification."""

from nrsim.mobility.handover import HandoverEvents, HandoverParams, HandoverState, l3_coefficient
from nrsim.mobility.trajectories import (
    Area,
    kmh_to_ms,
    random_direction,
    random_waypoint,
    speeds_ms,
    static,
    straight_lines,
)

__all__ = [
    "Area",
    "HandoverEvents",
    "HandoverParams",
    "HandoverState",
    "kmh_to_ms",
    "l3_coefficient",
    "random_direction",
    "random_waypoint",
    "speeds_ms",
    "static",
    "straight_lines",
]
