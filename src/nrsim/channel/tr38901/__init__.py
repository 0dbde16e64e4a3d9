"""3GPP TR 38.901 V17.0.0 (2022-03) large-scale channel model, one module per clause.

* :mod:`.pathloss` -- 7.4.1, Table 7.4.1-1 (path loss, sigma_SF, validity) and Table 7.5-6
  (SF correlation distance).
* :mod:`.los_probability` -- 7.4.2, Table 7.4.2-1.
* :mod:`.o2i` -- 7.4.3 (building and car penetration loss).
* :mod:`.antenna` -- 7.1 (coordinate systems) and 7.3 (element pattern, column array).

Spec tables ship as CSV files with a provenance header in ``tables/``.
"""

from nrsim.channel.tr38901.antenna import (
    angles_from_vector_deg,
    bs_antenna_gain_dbi,
    column_array_gain_dbi,
    element_pattern_db,
    gcs_to_lcs_angles,
    wrap_angle_deg,
)
from nrsim.channel.tr38901.los_probability import los_probability, sample_los
from nrsim.channel.tr38901.o2i import (
    material_loss_db,
    o2i_indoor_loss_db,
    o2i_shadow_std_db,
    o2i_through_wall_loss_db,
    sample_car_penetration_loss_db,
    sample_indoor_distance_m,
    sample_o2i_loss_db,
)
from nrsim.channel.tr38901.pathloss import (
    MIN_D_3D_M,
    breakpoint_distance_m,
    check_validity,
    pathloss_db,
    pathloss_inh_los_db,
    pathloss_inh_nlos_db,
    pathloss_rma_los_db,
    pathloss_rma_nlos_db,
    pathloss_uma_los_db,
    pathloss_uma_nlos_db,
    pathloss_umi_los_db,
    pathloss_umi_nlos_db,
    rma_breakpoint_distance_m,
    sample_uma_effective_height_m,
    shadow_fading_decorrelation_m,
    shadow_fading_std_db,
    uma_effective_height_prob_1m,
)

__all__ = [
    "MIN_D_3D_M",
    "angles_from_vector_deg",
    "breakpoint_distance_m",
    "bs_antenna_gain_dbi",
    "check_validity",
    "column_array_gain_dbi",
    "element_pattern_db",
    "gcs_to_lcs_angles",
    "los_probability",
    "material_loss_db",
    "o2i_indoor_loss_db",
    "o2i_shadow_std_db",
    "o2i_through_wall_loss_db",
    "pathloss_db",
    "pathloss_inh_los_db",
    "pathloss_inh_nlos_db",
    "pathloss_rma_los_db",
    "pathloss_rma_nlos_db",
    "pathloss_uma_los_db",
    "pathloss_uma_nlos_db",
    "pathloss_umi_los_db",
    "pathloss_umi_nlos_db",
    "rma_breakpoint_distance_m",
    "sample_car_penetration_loss_db",
    "sample_indoor_distance_m",
    "sample_los",
    "sample_o2i_loss_db",
    "sample_uma_effective_height_m",
    "shadow_fading_decorrelation_m",
    "shadow_fading_std_db",
    "uma_effective_height_prob_1m",
    "wrap_angle_deg",
]
