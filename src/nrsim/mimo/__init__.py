"""Multi-antenna (MIMO) building blocks, independent of the slot engine: the TS 38.214 Type I
codebook, CSI (RI/PMI/CQI) selection, linear receivers and precoders, SSB beams and L1-RSRP
consolidation, and MU-MIMO user pairing. Every function is pure over arrays with the axis
order ``[..., ue, cell, prb]`` extended by ``[..., rx, tx]`` or ``[..., layer]``
(docs/mimo.md)."""

from nrsim.mimo.codebook import (
    RANKS,
    Type1Codebook,
    Type1Config,
    dft_beam,
    index_ranges,
    panel_to_csirs_ports,
    phi_n,
    theta_p,
    type1_codebook,
    type1_precoder,
)
from nrsim.mimo.csi import (
    DEFAULT_BEAM_CANDIDATES,
    CsiReport,
    cqi_from_layer_sinr,
    cqi_spectral_efficiency_per_layer,
    select_csi,
    staggered_csi_ues,
)
from nrsim.mimo.pairing import MuGroups, pair_users
from nrsim.mimo.precoding import eigen_precoder, layer_channels, zf_precoder
from nrsim.mimo.receiver import (
    effective_channel,
    interference_covariance,
    mmse_combiner,
    mmse_irc_sinr,
    mmse_irc_sinr_interferers,
    mmse_sinr,
    post_combining_sinr,
    rbg_sample_prbs,
    whitened_mmse_sinr,
)
from nrsim.mimo.uplink import (
    SrsParams,
    pair_uplink_users,
    srs_channel_estimate,
    srs_ues,
    ul_layer_signatures,
    ul_mmse_irc_sinr,
)
from nrsim.mimo.ssb import (
    beam_power_lin,
    best_beam,
    consolidate_cell_rsrp_dbm,
    l1_rsrp_w,
    ssb_beam_gain_dbi,
    ssb_beam_grid,
    ssb_beam_weights,
    ssb_port_beam_weights,
)
from nrsim.mimo.beam_rsrp import CellBeams, SsbCellRsrp, cell_beams, ssb_cell_rsrp

__all__ = [
    "SrsParams",
    "pair_uplink_users",
    "srs_channel_estimate",
    "srs_ues",
    "ul_layer_signatures",
    "ul_mmse_irc_sinr",
    "MuGroups",
    "pair_users",
    "CellBeams",
    "SsbCellRsrp",
    "beam_power_lin",
    "best_beam",
    "cell_beams",
    "consolidate_cell_rsrp_dbm",
    "ssb_cell_rsrp",
    "ssb_port_beam_weights",
    "l1_rsrp_w",
    "ssb_beam_gain_dbi",
    "ssb_beam_grid",
    "ssb_beam_weights",
    "CsiReport",
    "DEFAULT_BEAM_CANDIDATES",
    "staggered_csi_ues",
    "mmse_irc_sinr_interferers",
    "rbg_sample_prbs",
    "cqi_from_layer_sinr",
    "cqi_spectral_efficiency_per_layer",
    "effective_channel",
    "eigen_precoder",
    "interference_covariance",
    "layer_channels",
    "mmse_combiner",
    "mmse_irc_sinr",
    "mmse_sinr",
    "post_combining_sinr",
    "select_csi",
    "whitened_mmse_sinr",
    "zf_precoder",
    "RANKS",
    "Type1Codebook",
    "Type1Config",
    "dft_beam",
    "index_ranges",
    "panel_to_csirs_ports",
    "phi_n",
    "theta_p",
    "type1_codebook",
    "type1_precoder",
]
