"""Link: numerology and N_RB, CQI tables, SINR -> spectral efficiency."""

from nrsim.link.numerology import SUBCARRIERS_PER_RB, frequency_range, n_rb
from nrsim.link.spectral_efficiency import (
    attenuated_shannon_efficiency,
    cqi_from_sinr,
    cqi_spectral_efficiency,
)
from nrsim.link.tables import cqi_sinr_thresholds_db, cqi_table1_efficiency

__all__ = [
    "SUBCARRIERS_PER_RB",
    "attenuated_shannon_efficiency",
    "cqi_from_sinr",
    "cqi_sinr_thresholds_db",
    "cqi_spectral_efficiency",
    "cqi_table1_efficiency",
    "frequency_range",
    "n_rb",
]
