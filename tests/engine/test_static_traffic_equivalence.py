"""Full buffer and FTP model 3 through the static slot engine (:func:`nrsim.engine.slots.run_slots`,
called directly: the routing no longer reaches it for these runs) and through the slot core
(:func:`nrsim.engine.calls.run_static_calls`, issue 12 item 2): what both report must agree,
and where they systematically differ, by how much and why (docs/slots.md). Kept as the
core's regression test once the static engine is deleted.

Scenario: UMa 7 sites x 3 sectors, ISD 200 m, 5 UEs per sector, 1,000 slots at 30 kHz (200
warm-up), PF. The UE drop, large-scale channel, serving cells and (FTP) file arrivals come
from the same named streams in both engines (``slots/traffic``: the same files); the fading
traces and HARQ draws come from each engine's own streams, so they agree only statistically.

Measured (seeds 1-3 each, static engine vs core; the tolerances are named below):

- **Without fast fading, DL full buffer**: mean user throughput -0.1..+0.2 %, 5th percentile
  -0.3..+1.3 %, first-tx BLER within 0.002, mean MCS within 0.02, mean SINR equal (1e-4 dB),
  PRB use 1.0 in both: only the HARQ draws differ.
- **FTP model 3** (3 files/s of 0.5 Mbyte per UE, 4,000 slots, no fading, about half load):
  the same files; completed 620 / 619 and 565 / 564, mean file delay 57.7 / 58.7 ms and
  98.5 / 95.6 ms, mean throughput within 0.3 %, PRB use within 0.003.
- **UL full buffer** (no fading): UL throughput -1..-5 %, UL first-tx BLER +0.03..+0.07 (0.15-0.17
  vs 0.19-0.23), UL MCS +0.2..+0.4. Cause: the UL scheduler. The static engine gives up to
  ``uplink.max_ues_per_slot`` UEs equal contiguous shares of the band; the core ranks the UEs
  and each takes the RBGs its queue needs, capped where MCS 0 stays decodable at full power
  (a full-buffer UE that is not power-limited takes the whole band), with the MCS for the
  power spread over that allocation.
- **With TDL-C fading** (3 km/h, DL full buffer): mean user throughput x 0.995..1.004, 5th
  percentile x 0.98..1.05, mean MCS -0.11..+0.07, mean SINR -0.01..+0.07 dB, first-tx BLER
  within 0.002 (seeds 1-4). Both engines fade every modelled link (serving + ``n_interferers``
  strongest cells, each with its own trace: the core's ``slots.fading.interferers = "faded"``,
  issue 12) and measure the same subband CQI (EESM over all PRBs of the RBG,
  :func:`nrsim.link.adaptation.subband_cqi`); the cells beyond ``n_interferers`` interfere at
  the slot's mean utilisation without fading in both. What remains is statistical: each
  engine draws its own TDL traces (realisation and offset per link) and HARQ draws. Before
  the interferers faded on the core (``"unfaded"``, the previous core): x 0.88..0.90, x
  0.72..0.84, -1.9..-1.6 MCS, -1.85 dB (the mean of the SINR over fading interferers is
  higher); pooled over seeds 1-2 x 0.893, -1.77 MCS, -1.85 dB, which fail here.
- **With cdl-38901 fading** (3 km/h, DL full buffer; on the core since issue 12): the same
  clustered channel in both (rays keyed by (drop, UE, site), the same velocities), so the mean
  SINR agrees to 0.01 dB; mean throughput x 1.000..1.001, 5th percentile x 0.99..1.01, MCS
  equal to 0.01, BLER within 0.001 (seeds 1-2): only the HARQ draws differ.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

import nrsim
from nrsim.engine.calls import run_static_calls
from nrsim.engine.slots import run_slots
from nrsim.kpi.slot_metrics import slot_tables

SEEDS = (1, 2)
THROUGHPUT_REL_TOL = 0.02
"""Mean user throughput without fading: 10x the measured 0.2 %."""
P5_REL_TOL = 0.05
"""5th-percentile user throughput (6 of 105 UEs per seed) without fading: 4x the measured 1.3 %."""
BLER_ABS_TOL = 0.01
MCS_ABS_TOL = 0.3
SINR_ABS_TOL_DB = 0.01
"""Mean SINR without fading: the same geometry and CSI interference in both (float32 powers)."""
PRB_ABS_TOL = 0.01
FILES_REL_TOL = 0.02
FILE_DELAY_REL_TOL = 0.10
"""Mean FTP file delay: 3x the measured 3 % (a few files per UE in 2 s)."""
UL_THROUGHPUT_REL_TOL = 0.08
UL_BLER_ABS_TOL = 0.08
UL_MCS_ABS_TOL = 0.6
FADING_THROUGHPUT_REL_TOL = 0.03
"""Mean user throughput with TDL-C fading, pooled over seeds 1-2: each engine's own traces
(measured per seed within 0.5 %; the unfaded interferers' x 0.89 fails here)."""
FADING_P5_REL_TOL = 0.08
"""5th percentile with TDL-C fading (6 of 105 UEs per seed): measured per seed within 5 %."""
FADING_MCS_ABS_TOL = 0.3
"""Mean MCS with fading: measured within 0.11 per seed (-1.77 with unfaded interferers)."""
FADING_SINR_ABS_TOL_DB = 0.2
"""Mean SINR with TDL-C fading: measured within 0.07 dB per seed (-1.85 dB unfaded)."""
CDL_SINR_ABS_TOL_DB = 0.02
"""Mean SINR with cdl-38901: the same rays in both engines (measured equal to 0.005 dB)."""

COMMON = [
    "deployment.rings=1", "deployment.ue.per_sector=5", "deployment.isd_m=200",
    "channel.o2i_high_loss_fraction=0.2", "radio.ue_noise_figure_db=7",
    "slots.enabled=true", "slots.warmup_slots=200", "slots.n_slots=1000",
    "slots.scheduler.name=pf", "slots.fading.ue_speed_kmh=3",
]
CASES = {
    "fb": ["slots.traffic.model=full_buffer", "slots.uplink.enabled=false", "slots.fading.enabled=false"],
    "fb_ul": ["slots.traffic.model=full_buffer", "slots.uplink.enabled=true", "slots.fading.enabled=false"],
    "fb_fading": ["slots.traffic.model=full_buffer", "slots.uplink.enabled=false", "slots.fading.enabled=true"],
    "fb_cdl": ["slots.traffic.model=full_buffer", "slots.uplink.enabled=false", "slots.fading.enabled=true",
               "slots.fading.model=cdl-38901"],
    "ftp": ["slots.traffic.model=ftp3", "slots.uplink.enabled=false", "slots.fading.enabled=false",
            "slots.n_slots=4000", "slots.traffic.ftp_arrival_rate_hz=3"],
}


@functools.lru_cache(maxsize=None)
def _run(engine: str, case: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    cfg = nrsim.load_config("uma-default", [*COMMON, *CASES[case]], seed=seed, drops=1)
    run = run_slots(cfg) if engine == "slots" else run_static_calls(cfg)[0]
    return slot_tables(run)


def _summary(engine: str, case: str) -> dict[str, float]:
    ues, cells = zip(*(_run(engine, case, s) for s in SEEDS))
    ue = pd.concat(ues, ignore_index=True)
    cell = pd.concat(cells, ignore_index=True)
    thr = ue["throughput_bps"].to_numpy()
    out = {
        "n_ue": len(ue), "thr_mean": float(thr.mean()), "thr_p5": float(np.percentile(thr, 5)),
        "bler": float(np.nanmean(ue["bler_first_tx"])), "mcs": float(np.nanmean(ue["mean_mcs"])),
        "sinr": float(np.nanmean(ue["mean_sinr_db"])), "prb": float(cell["prb_utilisation"].mean()),
    }
    if "ul_throughput_bps" in ue:
        out.update(ul_thr=float(ue["ul_throughput_bps"].mean()), ul_bler=float(np.nanmean(ue["ul_bler_first_tx"])),
                   ul_mcs=float(np.nanmean(ue["ul_mean_mcs"])))
    if "files_completed" in ue:
        out.update(files=float(ue["files_completed"].sum()), file_delay=float(np.nanmean(ue["mean_file_delay_s"])))
    return out


def _agree(case: str, rel: dict[str, float], abs_: dict[str, float]) -> tuple[dict, dict, str]:
    """Static engine vs core summaries of ``case``, each key of ``rel`` / ``abs_`` within its
    relative / absolute tolerance."""
    a, b = _summary("slots", case), _summary("core", case)
    msg = f"slots {a} vs core {b}"
    for key, tol in rel.items():
        assert b[key] == pytest.approx(a[key], rel=tol), f"{key}: {msg}"
    for key, tol in abs_.items():
        assert b[key] == pytest.approx(a[key], abs=tol), f"{key}: {msg}"
    return a, b, msg


def test_full_buffer_agrees_without_fading() -> None:
    a, b, msg = _agree("fb", {"thr_mean": THROUGHPUT_REL_TOL, "thr_p5": P5_REL_TOL},
                       {"bler": BLER_ABS_TOL, "mcs": MCS_ABS_TOL, "sinr": SINR_ABS_TOL_DB, "prb": PRB_ABS_TOL})
    assert a["n_ue"] == b["n_ue"], msg
    assert b["prb"] == pytest.approx(1.0, abs=PRB_ABS_TOL), msg  # saturated cells


def test_full_buffer_uplink_agrees_within_the_scheduler_difference() -> None:
    _agree("fb_ul", {"thr_mean": THROUGHPUT_REL_TOL, "ul_thr": UL_THROUGHPUT_REL_TOL},
           {"ul_bler": UL_BLER_ABS_TOL, "ul_mcs": UL_MCS_ABS_TOL})


def test_ftp_model_3_agrees() -> None:
    a, _, msg = _agree("ftp", {"files": FILES_REL_TOL, "file_delay": FILE_DELAY_REL_TOL, "thr_mean": THROUGHPUT_REL_TOL},
                       {"prb": 2 * PRB_ABS_TOL})
    assert 0.3 < a["prb"] < 0.7, msg  # about half load: the queues empty and refill


def test_full_buffer_with_fading_agrees() -> None:
    """TDL-C: both engines fade every modelled link; they agree within the trace statistics."""
    _agree("fb_fading", {"thr_mean": FADING_THROUGHPUT_REL_TOL, "thr_p5": FADING_P5_REL_TOL},
           {"bler": BLER_ABS_TOL, "mcs": FADING_MCS_ABS_TOL, "sinr": FADING_SINR_ABS_TOL_DB})


def test_full_buffer_with_cdl_fading_agrees() -> None:
    """cdl-38901 (serving and interfering links): the same channel, only the HARQ draws differ."""
    _agree("fb_cdl", {"thr_mean": THROUGHPUT_REL_TOL, "thr_p5": P5_REL_TOL},
           {"bler": BLER_ABS_TOL, "mcs": MCS_ABS_TOL, "sinr": CDL_SINR_ABS_TOL_DB})
