"""What a static slot run returns: per drop the per-UE and per-cell columns, the MCS
histograms and the FTP file log (:class:`SlotDropResult`), and the run's meta
(:func:`slot_run_meta`); :mod:`nrsim.kpi.slot_metrics` turns them into tables and KPIs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nrsim.config.schema import ScenarioConfig
from nrsim.link.frame import slot_pattern
from nrsim.link.tbs import n_re_per_prb
from nrsim.traffic import FileLog

ProgressCallback = Callable[[int, int], None]


@dataclass
class SlotDropResult:
    """Per-UE and per-cell columns of one drop's slot run, histograms and the FTP file log."""

    drop: int
    ue: dict[str, NDArray]
    cell: dict[str, NDArray]
    mcs_hist_dl: NDArray[np.int64]
    mcs_hist_ul: NDArray[np.int64]
    files: FileLog | None
    meta: dict[str, Any] = field(default_factory=dict)
    packets: Any = None
    """:class:`nrsim.traffic.PacketLog` of a ``video_call`` run, else None."""


@dataclass
class SlotRun:
    """All drops of a slot run."""

    config: ScenarioConfig
    drops: list[SlotDropResult]
    meta: dict[str, Any]


def slot_run_meta(cfg: ScenarioConfig, drops: list[SlotDropResult]) -> dict[str, Any]:
    """``SlotRun.meta``: the first drop's meta, the DL / UL time shares of the slot pattern
    and the overhead share of the DL slot's resource elements."""
    sc = cfg.slots
    pattern = slot_pattern(sc.duplex, sc.tdd_pattern, sc.special_dl_symbols)
    return {
        **(drops[0].meta if drops else {}),
        "dl_time_share": pattern.dl_time_share,
        "ul_time_share": pattern.ul_time_share,
        "overhead_share": 1.0 - float(
            n_re_per_prb(14 - sc.control_symbols, sc.dmrs_re_per_prb, sc.xoverhead_re_per_prb)
        ) / (12 * 14),
    }
