"""Radio: noise, RSRP, serving-cell selection and downlink SINR (linear power sums)."""

from nrsim.radio.link_budget import downlink_sinr, noise_power_dbm, rsrp_dbm, serving_cell

__all__ = ["downlink_sinr", "noise_power_dbm", "rsrp_dbm", "serving_cell"]
