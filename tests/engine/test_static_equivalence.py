"""The same static scenario through the retired static slot engine (``nrsim.engine.slots``; its
tables of seeds 1-4 are pinned in tests/data/old_slot_engine/, :mod:`old_engine`)
and the mobile-call engine with a static mobility model (:func:`nrsim.engine.calls.run_mobile_calls`,
``mobility.model = "static"``, speed 0): what both report must agree (issue 12, item 2).

Scenario: UMa 7 sites x 3 sectors, ISD 200 m, DL only, every UE on a video call whose
30 Mbit/s stream saturates its cell (PRB use > 90 %: the throughput is the cell capacity
share, as under full buffer, which the call engine does not offer), QoS scheduler with PF
among the calls, fast fading at 0 km/h or none. The UE drop and large-scale channel come
from the same named streams; the packets, fading traces and HARQ draws come from each
engine's own streams, so the engines agree only statistically.

Tolerances (pooled over ``SEEDS``):
- ``THROUGHPUT_REL_TOL`` 8 %: without fast fading the seed-to-seed difference of the mean
  user throughput is -1..-5 % (the call engine puts the cells beyond its ``n_interferers`` at
  their mean utilisation; the packets differ). Since issue 12 item 2 the static mobility
  model keeps the snapshot drop's large-scale state (as the slots engine), and static
  ``video_call`` slot runs run on the call core (docs/slots.md): this test now compares the
  old static engine with the core and stays as the core's regression test.
- ``BLER_ABS_TOL`` 0.02: both engines run OLLA to 10 %; first-transmission BLERs of
  0.083..0.093 were measured in both.
- ``PRB_ABS_TOL`` 0.05 on the mean PRB utilisation of saturated cells.
- ``MCS_ABS_TOL`` 1.0 on the mean first-transmission MCS.

With TDL-C fading (0 km/h) both engines schedule frequency-selectively (each DL RBG to the
UE with the best QoS rank, then PF metric, on it, from per-RBG subband CQI; the call engine
with ``slots.scheduler.frequency_selective = true``, its default being wideband). Measured (this
module's settings, seeds 1-2, pooled; slots vs calls): mean user throughput 2.19 vs 1.95 x
10^7 bit/s (-10.7 %), median 2.81 vs 2.08 (-26 %), 10th percentile 0.68 vs 0.55, MCS 16.4 vs
14.7, BLER 0.104 vs 0.106, PRB use 0.96 vs 0.97. The rest is the channel and CSI models, not
the scheduler, as two trials showed: (a) subband CQI by EESM over all 16 PRBs of each RBG
(as the slot engine) instead of the middle PRB: mean -8.9 %, MCS 15.2 (not kept: the slot
loop ran 3x slower); (b) then also the slot engine's interferers without fast fading (the
call engine fades only the serving link): mean -1.7 %, MCS +0.2, median -18 % (the median
sits at the knee below the 30 Mbit/s stream, where small shifts move it far; without fading
it differs by -12 %). Hence the fading tolerances ``FADING_*``: mean 13 %, median 30 %, MCS
2.0. Before the call engine scheduled per RBG (wideband, RBGs in index order) it was 23 %
lower in mean, 45 % in median and 3.8 lower in MCS, which each of these rejects.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

import nrsim
from nrsim.engine.calls import run_mobile_calls

SEEDS = (1, 2)
THROUGHPUT_REL_TOL = 0.08
BLER_ABS_TOL = 0.02
PRB_ABS_TOL = 0.05
MCS_ABS_TOL = 1.0
FADING_THROUGHPUT_REL_TOL = 0.13
FADING_P50_REL_TOL = 0.30
FADING_MCS_ABS_TOL = 2.0
DURATION_S = 0.5
"""1,000 slots at 30 kHz, 200 of them warm-up."""
WIDEBAND_FADING = {"thr_mean": 18000804.48809524, "thr_p50": 17591850.0, "mcs": 13.182463363169141,
                   "bler": 0.10131669175957077}
"""The call engine's wideband default with fading (this module's settings, seeds 1-2, pooled),
re-recorded when the core's interferers got their own fast fading (``slots.fading.interferers
= "faded"``, the default since issue 12): before, 16705590.369, 14888660.0, 12.2421, 0.10100
(interferers without fast fading; and before the static mobility model took the snapshot
drop's large-scale state: 16917470.0, 15372580.0, 12.626, 0.1043). Its default must reproduce
them exactly."""

COMMON = [
    "deployment.rings=1", "deployment.ue.per_sector=5", "deployment.isd_m=200",
    "channel.o2i_high_loss_fraction=0.2", "radio.ue_noise_figure_db=7",
    "slots.enabled=true", "slots.warmup_slots=200",
    "slots.traffic.model=video_call", "slots.traffic.background_ftp_share=0",
    "slots.traffic.video_bitrate_bps=3e7", "slots.traffic.voice=false",
    "slots.scheduler.name=qos", "slots.scheduler.qos_edf=false",
    "slots.uplink.enabled=false", "slots.fading.ue_speed_kmh=0",
]


@functools.lru_cache(maxsize=None)
def _run(engine: str, fading: bool, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The call engine with (``calls``) or without (``calls-wideband``, its default)
    frequency-selective scheduling."""
    ov = [*COMMON, f"slots.fading.enabled={str(fading).lower()}",
          f"slots.scheduler.frequency_selective={str(engine == 'calls').lower()}"]
    cfg = nrsim.load_config("mobility-uma", [*ov, "mobility.model=static", f"mobility.duration_s={DURATION_S}"],
                            seed=seed)
    res = run_mobile_calls(cfg)
    assert int(res.ue["handovers"].sum()) == 0  # static UEs keep their cell
    return res.ue, res.cell


@pytest.fixture(scope="module")
def slots(old_slot_engine) -> dict[bool, dict[str, float]]:
    """Summaries of the retired static slot engine (1,000 slots = DURATION_S at 30 kHz; its
    pinned tables) without / with fading."""
    return {f: _pooled([old_slot_engine("video_fading" if f else "video", s) for s in SEEDS]) for f in (False, True)}


def _summary(engine: str, fading: bool) -> dict[str, float]:
    return _pooled([_run(engine, fading, s) for s in SEEDS])


def _pooled(tables: list[tuple[pd.DataFrame, pd.DataFrame]]) -> dict[str, float]:
    ues, cells = zip(*tables)
    ue = pd.concat(ues, ignore_index=True)
    cell = pd.concat(cells, ignore_index=True)
    thr = ue["throughput_bps"].to_numpy()
    return {
        "n_ue": len(ue),
        "thr_mean": float(thr.mean()),
        "thr_p10": float(np.percentile(thr, 10)),
        "thr_p50": float(np.percentile(thr, 50)),
        "bler": float(np.nanmean(ue["bler_first_tx"])),
        "prb": float(cell["prb_utilisation"].mean()),
        "mcs": float(np.nanmean(ue["mean_mcs"])),
    }


def _check(a: dict[str, float], fading: bool) -> None:
    b = _summary("calls", fading)
    msg = f"slots {a} vs calls {b}"
    thr_tol = FADING_THROUGHPUT_REL_TOL if fading else THROUGHPUT_REL_TOL
    p50_tol = FADING_P50_REL_TOL if fading else 2 * THROUGHPUT_REL_TOL
    mcs_tol = FADING_MCS_ABS_TOL if fading else MCS_ABS_TOL
    assert a["n_ue"] == b["n_ue"], msg  # the same UE drop
    assert a["prb"] > 0.9 and b["prb"] > 0.9, msg  # saturated cells
    assert b["thr_mean"] == pytest.approx(a["thr_mean"], rel=thr_tol), msg
    assert b["thr_p50"] == pytest.approx(a["thr_p50"], rel=p50_tol), msg
    assert b["bler"] == pytest.approx(a["bler"], abs=BLER_ABS_TOL), msg
    assert b["prb"] == pytest.approx(a["prb"], abs=PRB_ABS_TOL), msg
    assert b["mcs"] == pytest.approx(a["mcs"], abs=mcs_tol), msg


def test_static_scenario_agrees_between_engines_without_fading(slots) -> None:
    _check(slots[False], fading=False)


def test_static_scenario_agrees_between_engines_with_fading(slots) -> None:
    _check(slots[True], fading=True)


def test_default_wideband_call_engine_keeps_its_disagreement_with_fading(slots) -> None:
    """The call engine's default (``frequency_selective = false``) is its wideband scheduler
    unchanged: the numbers measured before fss existed (module doc; exact to the digits
    recorded there), which the fading tolerances reject."""
    a, b = slots[True], _summary("calls-wideband", True)
    msg = f"slots {a} vs calls (wideband) {b}"
    assert b["thr_mean"] == pytest.approx(WIDEBAND_FADING["thr_mean"], rel=1e-9), msg
    assert b["thr_p50"] == pytest.approx(WIDEBAND_FADING["thr_p50"], rel=1e-9), msg
    assert b["mcs"] == pytest.approx(WIDEBAND_FADING["mcs"], abs=1e-9), msg
    assert b["bler"] == pytest.approx(WIDEBAND_FADING["bler"], abs=1e-9), msg
    assert abs(b["thr_mean"] / a["thr_mean"] - 1.0) > FADING_THROUGHPUT_REL_TOL, msg
    assert abs(b["mcs"] - a["mcs"]) > FADING_MCS_ABS_TOL, msg
