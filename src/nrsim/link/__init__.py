"""Link: numerology and N_RB, CQI tables, SINR -> spectral efficiency; for the slot-level
simulation: frame structure, MCS/CQI tables, TBS, EESM and BLER curves."""

from nrsim.link.bler import BlerCurves, bler_curves, code_block_bler, logistic_bler, transport_block_bler
from nrsim.link.eesm import eesm_effective_sinr_db, eesm_effective_sinr_lin
from nrsim.link.frame import (
    SlotPattern,
    n_rbg,
    nominal_rbg_size,
    numerology_mu,
    rbg_of_prb,
    slot_duration_s,
    slot_pattern,
)
from nrsim.link.mcs import CqiTable, McsTable, cqi_table, mcs_table
from nrsim.link.numerology import SUBCARRIERS_PER_RB, frequency_range, n_rb
from nrsim.link.spectral_efficiency import (
    attenuated_shannon_efficiency,
    cqi_from_sinr,
    cqi_spectral_efficiency,
)
from nrsim.link.tables import cqi_sinr_thresholds_db, cqi_table1_efficiency
from nrsim.link.tbs import code_block_segmentation, ldpc_base_graph, transport_block_size

__all__ = [
    "SUBCARRIERS_PER_RB",
    "BlerCurves",
    "CqiTable",
    "McsTable",
    "SlotPattern",
    "attenuated_shannon_efficiency",
    "bler_curves",
    "code_block_bler",
    "code_block_segmentation",
    "cqi_from_sinr",
    "cqi_sinr_thresholds_db",
    "cqi_spectral_efficiency",
    "cqi_table",
    "cqi_table1_efficiency",
    "eesm_effective_sinr_db",
    "eesm_effective_sinr_lin",
    "frequency_range",
    "ldpc_base_graph",
    "logistic_bler",
    "mcs_table",
    "n_rb",
    "n_rbg",
    "nominal_rbg_size",
    "numerology_mu",
    "rbg_of_prb",
    "slot_duration_s",
    "slot_pattern",
    "transport_block_bler",
    "transport_block_size",
]
