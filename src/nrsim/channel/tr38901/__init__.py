"""3GPP TR 38.901 V17.0.0 (2022-03) large-scale channel model, one module per clause.

* :mod:`.pathloss` -- 7.4.1, Table 7.4.1-1 (path loss, sigma_SF, validity) and Table 7.5-6
  (SF correlation distance).
* :mod:`.los_probability` -- 7.4.2, Table 7.4.2-1.
* :mod:`.o2i` -- 7.4.3 (building and car penetration loss).
* :mod:`.antenna` -- 7.1 (coordinate systems) and 7.3 (element pattern, column array).

Spec tables ship as CSV files with a provenance header in ``tables/``.

The re-exported functions load on first use (PEP 562 module ``__getattr__``, from the static
table :data:`_LAZY`, which ``tests/test_layering.py`` reads as imports), so importing the
scenario registry (:mod:`.scenarios`, read by the config) does not compile or load the numba
cores. ``los_probability`` is not re-exported: it is also the name of its module; import it
from :mod:`nrsim.channel.tr38901.los_probability`.
"""

from __future__ import annotations

from nrsim._lazy import lazy_attributes

_LAZY: dict[str, str] = {
    "MIN_D_3D_M": "nrsim.channel.tr38901.pathloss",
    "angles_from_vector_deg": "nrsim.channel.tr38901.antenna",
    "breakpoint_distance_m": "nrsim.channel.tr38901.pathloss",
    "bs_antenna_gain_dbi": "nrsim.channel.tr38901.antenna",
    "check_validity": "nrsim.channel.tr38901.pathloss",
    "column_array_gain_dbi": "nrsim.channel.tr38901.antenna",
    "element_pattern_db": "nrsim.channel.tr38901.antenna",
    "gcs_to_lcs_angles": "nrsim.channel.tr38901.antenna",
    "material_loss_db": "nrsim.channel.tr38901.o2i",
    "o2i_indoor_loss_db": "nrsim.channel.tr38901.o2i",
    "o2i_shadow_std_db": "nrsim.channel.tr38901.o2i",
    "o2i_through_wall_loss_db": "nrsim.channel.tr38901.o2i",
    "pathloss_db": "nrsim.channel.tr38901.pathloss",
    "pathloss_inh_los_db": "nrsim.channel.tr38901.pathloss",
    "pathloss_inh_nlos_db": "nrsim.channel.tr38901.pathloss",
    "pathloss_rma_los_db": "nrsim.channel.tr38901.pathloss",
    "pathloss_rma_nlos_db": "nrsim.channel.tr38901.pathloss",
    "pathloss_uma_los_db": "nrsim.channel.tr38901.pathloss",
    "pathloss_uma_nlos_db": "nrsim.channel.tr38901.pathloss",
    "pathloss_umi_los_db": "nrsim.channel.tr38901.pathloss",
    "pathloss_umi_nlos_db": "nrsim.channel.tr38901.pathloss",
    "rma_breakpoint_distance_m": "nrsim.channel.tr38901.pathloss",
    "sample_car_penetration_loss_db": "nrsim.channel.tr38901.o2i",
    "sample_indoor_distance_m": "nrsim.channel.tr38901.o2i",
    "sample_los": "nrsim.channel.tr38901.los_probability",
    "sample_o2i_loss_db": "nrsim.channel.tr38901.o2i",
    "sample_uma_effective_height_m": "nrsim.channel.tr38901.pathloss",
    "shadow_fading_decorrelation_m": "nrsim.channel.tr38901.pathloss",
    "shadow_fading_std_db": "nrsim.channel.tr38901.pathloss",
    "uma_effective_height_prob_1m": "nrsim.channel.tr38901.pathloss",
    "wrap_angle_deg": "nrsim.channel.tr38901.antenna",
}
"""Public name -> the module that defines it."""

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_attributes("nrsim.channel.tr38901", _LAZY, globals())
