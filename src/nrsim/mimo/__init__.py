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

__all__ = [
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
