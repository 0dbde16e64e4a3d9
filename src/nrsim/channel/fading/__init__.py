"""Small-scale fading for slot-level simulation: TR 38.901 7.7.2 TDL models with Jakes
Doppler, precomputed per-PRB traces read per link."""

from nrsim.channel.fading.bank import (
    FadingBank,
    LinkTraces,
    assign_link_traces,
    build_fading_bank,
    keyed_link_traces,
    tdl_prb_traces,
    trace_length_slots,
)
from nrsim.channel.fading.doppler import jakes_bin_powers, max_doppler_hz, rayleigh_processes
from nrsim.channel.fading.tdl import (
    TDL_MODELS,
    TdlProfile,
    frequency_correlation,
    frequency_response,
    tdl_profile,
)

__all__ = [
    "TDL_MODELS",
    "FadingBank",
    "LinkTraces",
    "TdlProfile",
    "assign_link_traces",
    "build_fading_bank",
    "frequency_correlation",
    "frequency_response",
    "jakes_bin_powers",
    "keyed_link_traces",
    "max_doppler_hz",
    "rayleigh_processes",
    "tdl_prb_traces",
    "tdl_profile",
    "trace_length_slots",
]
