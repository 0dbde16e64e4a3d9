"""Static video-call slot runs on the call engine's core (issue 12 item 2, first step): the
routing rule, the load-time capability check, and the KPI schema of the old static slot
engine kept (every public column and key present; docs/slots.md)."""

from __future__ import annotations

import numpy as np
import pytest

import nrsim
from nrsim.engine.calls import run_static_calls, static_call_config, static_run_on_core
from nrsim.errors import ConfigError
from nrsim.kpi.slot_metrics import slot_kpis, slot_tables

SMALL = ["deployment.rings=0", "deployment.ue.per_sector=3", "radio.bandwidth_mhz=20", "slots.enabled=true",
         "slots.n_slots=300", "slots.warmup_slots=60", "slots.traffic.model=video_call",
         "slots.traffic.background_ftp_share=0.25", "slots.scheduler.name=qos", "slots.uplink.enabled=true"]
OLD_UE_COLUMNS = {
    "bler_first_tx", "call", "call_satisfied", "coupling_loss_db", "drop", "first_transmissions", "geometry_sinr_db",
    "indoor", "mean_mcs", "mean_sinr_db", "olla_offset_db", "prb_per_slot", "residual_bler", "scheduled_share",
    "serving_cell", "throughput_bps", "transmissions", "ue", "ul_bler_first_tx", "ul_max_tx_power_dbm", "ul_mean_mcs",
    "ul_mean_sinr_db", "ul_mean_tx_power_dbm", "ul_throughput_bps", "ul_transmissions", "video_bitrate_bps",
    "video_frame_loss", "video_frames", "video_freeze_s", "video_jitter_s", "video_p95_delay_s", "voice_p95_delay_s",
    "voice_packet_loss"}
"""ue_slots columns of the retired static slot engine for ``SMALL`` (recorded at d216cee)."""
OLD_CELL_COLUMNS = {
    "bler_first_tx", "cell", "drop", "n_ue", "prb_utilisation", "site", "spectral_efficiency_bps_per_hz",
    "throughput_bps", "ul_prb_utilisation", "ul_spectral_efficiency_bps_per_hz", "ul_throughput_bps"}
OLD_KPI_KEYS = {
    "bler_first_tx", "cell_spectral_efficiency_bps_per_hz", "cell_spectral_efficiency_full_band_bps_per_hz",
    "dl_time_share", "duplex", "effective_bandwidth_hz", "fading", "mcs_histogram", "mcs_table", "mean_sinr_db",
    "measured_time_s", "n_links_per_ue", "n_prb", "n_rbg", "n_slots", "overhead_share", "prb_utilisation",
    "rank_histogram", "residual_bler", "scheduler", "slot_duration_s", "tdd_pattern", "traffic", "uplink",
    "user_spectral_efficiency_5pct_bps_per_hz", "user_throughput_bps", "video", "warmup_slots"}
OLD_VIDEO_KEYS = {
    "background_throughput_bps", "background_ues", "calls_per_cell", "n_calls", "satisfied_share", "thresholds",
    "video_bitrate_bps", "video_bitrate_offered_bps", "video_frame_loss", "video_freeze_s", "video_jitter_s",
    "video_p95_delay_s", "video_pdb_s", "voice_packet_loss", "voice_pdb_s"}
OLD_UPLINK_KEYS = {
    "bler_first_tx", "cell_spectral_efficiency_bps_per_hz", "effective_bandwidth_hz", "max_tx_power_dbm",
    "mcs_histogram", "mean_sinr_db", "prb_utilisation", "tx_power_dbm", "ul_time_share",
    "user_spectral_efficiency_5pct_bps_per_hz", "user_throughput_bps"}
OLD_CALL = [True, True, True, False, True, True, True, True, True]
OLD_SERVING = [0, 0, 0, 1, 1, 1, 2, 2, 2]
OLD_GEOMETRY_SINR_DB = [22.112868, 12.205934, 13.91601, -2.498204, 4.674531, 5.977496, 8.994096, 5.291093, 23.860464]
"""The retired static slot engine's calls, serving cells and geometry SINR [dB] of ``SMALL``'s
9 UEs (recorded at d216cee, rounded to 1e-6 dB)."""
GEOMETRY_ABS_TOL_DB = 1e-4
"""The mobility run's received powers are float32 (about 1e-5 dB of rounding)."""


def _cfg(*extra: str):
    return nrsim.load_config("uma-default", [*SMALL, *extra], drops=1)


def test_routing_rule() -> None:
    assert static_run_on_core(_cfg())
    assert static_run_on_core(_cfg("slots.traffic.model=ftp3"))
    assert static_run_on_core(_cfg("slots.traffic.model=full_buffer"))
    assert static_run_on_core(_cfg("slots.scheduler.name=plugin", "slots.scheduler.plugin=p.py:Sched"))
    # full buffer and FTP with cdl-38901: the core fades the interferers' links too (issue 12)
    assert static_run_on_core(_cfg("slots.traffic.model=full_buffer", "slots.fading.model=cdl-38901"))
    assert static_run_on_core(_cfg("slots.traffic.model=ftp3", "slots.fading.model=cdl-38901"))
    # what the core cannot do yet stays on the static slot engine (docs/slots.md)
    # the sparse link form runs on the core too (engine/link_steps.py), except with cdl-38901
    assert static_run_on_core(_cfg("slots.traffic.model=full_buffer", "interference.mode=sparse",
                                   "deployment.wraparound=false"))
    assert static_run_on_core(_cfg("interference.mode=sparse", "deployment.wraparound=false"))
    assert not static_run_on_core(_cfg("interference.mode=sparse", "deployment.wraparound=false",
                                       "slots.fading.model=cdl-38901"))
    # full buffer longer than the core's 3,600 s: the static engine (a video call: a ConfigError)
    assert not static_run_on_core(_cfg("slots.traffic.model=full_buffer", "slots.n_slots=8000000"))
    assert not static_run_on_core(_cfg("mobility.enabled=true", "mobility.duration_s=0.15"))  # a call run


def test_static_call_config_steps_divide_the_run() -> None:
    """At 30 kHz (0.5 ms slots) 300 slots run in 20-slot (10 ms) steps; 301 slots (prime to
    every step up to 20 slots but 7 x 43) in 7-slot steps."""
    m = static_call_config(_cfg()).mobility
    assert (m.enabled, m.model, m.step_ms, m.duration_s) == (True, "static", 10.0, 0.15)
    m = static_call_config(_cfg("slots.n_slots=301")).mobility
    assert m.step_ms == pytest.approx(3.5) and m.duration_s == pytest.approx(0.1505)
    assert static_call_config(_cfg()).slots.scheduler.frequency_selective  # the static engine's per-RBG default
    assert not static_call_config(_cfg("slots.scheduler.frequency_selective=false")).slots.scheduler.frequency_selective


def test_run_longer_than_the_core_allows_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as e:  # 8e6 slots of 0.5 ms = 4,000 s > mobility.duration_s <= 3,600 s
        _cfg("slots.n_slots=8000000")
    assert e.value.field == "slots.n_slots"


def test_static_core_keeps_the_static_engine_schema_and_never_hands_over() -> None:
    cfg = _cfg()
    srun, crun = run_static_calls(cfg)
    ue_new, cell_new = slot_tables(srun)
    # every public column and key of the retired static slot engine (ue_slots, cell_slots, kpis.slots)
    assert OLD_UE_COLUMNS <= set(ue_new.columns), OLD_UE_COLUMNS - set(ue_new.columns)
    assert OLD_CELL_COLUMNS <= set(cell_new.columns), OLD_CELL_COLUMNS - set(cell_new.columns)
    k_new = slot_kpis(srun, ue_new, cell_new)
    assert OLD_KPI_KEYS <= set(k_new) and OLD_VIDEO_KEYS <= set(k_new["video"])
    assert OLD_UPLINK_KEYS <= set(k_new["uplink"])
    # the same UEs are calls in both engines (stream slots/call_ues), at the same serving cells
    np.testing.assert_array_equal(ue_new["call"].to_numpy(), OLD_CALL)
    assert (ue_new["serving_cell"].to_numpy() == OLD_SERVING).mean() >= 0.9
    # UEs that do not move: no handover, no RLF, no outage; the large-scale channel of the drop
    assert int(crun.ue["handovers"].sum()) == 0 and int(crun.ue["rlfs"].sum()) == 0
    assert float(crun.ue["outage_s"].sum()) == 0.0
    # (the mobility run keeps received powers in float32: 1e-4 dB)
    np.testing.assert_allclose(ue_new["geometry_sinr_db"], OLD_GEOMETRY_SINR_DB, atol=GEOMETRY_ABS_TOL_DB)
    # per cell, DL bits add up to the cell throughput
    np.testing.assert_allclose(cell_new["throughput_bps"].sum(), ue_new["throughput_bps"].sum(), rtol=1e-9)
    assert k_new["rank_histogram"]["1"] == int(ue_new["first_transmissions"].sum()) > 0
