"""The scalar sigma_SF core of the kernels against the array function (TR 38.901 V17.0.0,
Table 7.4.1-1: RMa LOS 4 dB up to d_BP of note 5, 6 dB beyond; UMa LOS 4 dB everywhere)."""

import numpy as np
import pytest

from nrsim.channel.tr38901.pathloss import rma_breakpoint_core, shadow_fading_std_db, sigma_sf_los_core


@pytest.mark.parametrize("scenario", ["rma", "uma"])
def test_scalar_core_matches_array_function(scenario: str) -> None:
    fc_ghz, h_bs_m, h_ut_m = 0.7, 35.0, 1.5
    d_bp_m = rma_breakpoint_core(fc_ghz, h_bs_m, h_ut_m)  # about 772 m here
    d_2d_m = np.array([10.0, 0.5 * d_bp_m, d_bp_m, 1.01 * d_bp_m, 5000.0])
    expected = shadow_fading_std_db(scenario, np.ones_like(d_2d_m, dtype=bool), d_2d_m, fc_ghz, h_bs_m, h_ut_m)
    before = float(shadow_fading_std_db(scenario, True))
    after = float(expected[-1])
    got = [sigma_sf_los_core(before, after, float(d), fc_ghz, h_bs_m, h_ut_m) for d in d_2d_m]
    np.testing.assert_array_equal(got, expected)
    if scenario == "rma":
        assert (before, after) == (4.0, 6.0)
