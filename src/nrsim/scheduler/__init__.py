"""Slot schedulers: a Protocol and round robin, proportional fair, max C/I and QoS-aware
(delay budget and GBR first), all
frequency-selective per RBG, plus user plugins loaded from a Python file (on the slot core per
direction, :func:`direction_plugins`)."""

from nrsim.scheduler.base import (
    Scheduler,
    SchedulerError,
    SchedulerInput,
    assign_by_metric,
    validate_allocation,
)
from nrsim.scheduler.plugin import direction_plugins, load_scheduler_class, load_scheduler_plugin
from nrsim.scheduler.policies import MaxCI, ProportionalFair, QosAware, RoundRobin

__all__ = [
    "MaxCI",
    "ProportionalFair",
    "QosAware",
    "RoundRobin",
    "Scheduler",
    "SchedulerError",
    "SchedulerInput",
    "assign_by_metric",
    "direction_plugins",
    "load_scheduler_class",
    "load_scheduler_plugin",
    "validate_allocation",
]
