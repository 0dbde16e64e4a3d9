"""The scenario registry (nrsim.channel.tr38901.scenarios): its rows against the TR 38.901
V17.0.0 tables, and the consumers that must read it instead of their own lists."""

from __future__ import annotations

import typing

import numpy as np
import pytest

from nrsim.channel.tr38901 import pathloss
from nrsim.channel.tr38901.los_probability import los_probability
from nrsim.channel.tr38901.scenarios import SCENARIO_KEYS, SCENARIOS, scenario
from nrsim.errors import ConfigError

# (sigma_SF LOS, LOS beyond d_BP, NLOS) [dB] of Table 7.4.1-1 and (LOS, NLOS) SF correlation
# distances [m] of Table 7.5-6, typed from the TR; LOS-state correlation of Table 7.6.3.1-2.
SPEC = {
    "uma": ((4.0, 4.0, 6.0), (37.0, 50.0), 50.0, "UMa"),
    "umi": ((4.0, 4.0, 7.82), (10.0, 13.0), 50.0, "UMi-Street Canyon"),
    "rma": ((4.0, 6.0, 8.0), (37.0, 120.0), 60.0, "RMa"),
    "inh": ((3.0, 3.0, 8.03), (10.0, 6.0), 10.0, "InH-Office"),
}


def test_rows_match_the_spec_tables() -> None:
    assert set(SCENARIO_KEYS) == set(SPEC)
    for key, (sig, dcor, d_los, label) in SPEC.items():
        row = SCENARIOS[key]
        assert (row.sigma_sf_los_db, row.sigma_sf_los_after_bp_db, row.sigma_sf_nlos_db) == sig
        assert (row.sf_decorrelation_los_m, row.sf_decorrelation_nlos_m) == dcor
        assert row.los_state_correlation_m == d_los
        assert row.label == label
    # Table 7.4.1-1 validity: 5 km for UMa/UMi, RMa NLOS 5 km, no d_2D range for InH
    assert SCENARIOS["uma"].max_value("d_2d_m") == 5000.0
    assert SCENARIOS["rma"].max_value("d_2d_m") == 5000.0
    assert SCENARIOS["inh"].max_value("d_2d_m") == float("inf")
    assert SCENARIOS["rma"].max_value("fc_ghz") == 30.0


@pytest.mark.parametrize("key", SCENARIO_KEYS)
def test_every_registered_scenario_runs_through_every_array_function(key: str) -> None:
    d = np.array([20.0, 200.0])
    assert np.all(np.isfinite(pathloss.pathloss_db(key, [True, False], d, d + 1.0, 3.5, 10.0, 1.5)))
    p = los_probability(key, d, 1.5)
    assert np.all((p >= 0.0) & (p <= 1.0))
    sig = pathloss.shadow_fading_std_db(key, [True, False])
    assert sig.tolist() == [SCENARIOS[key].sigma_sf_los_db, SCENARIOS[key].sigma_sf_nlos_db]
    pathloss.check_validity(key, fc_ghz=3.5)


def test_variants_and_unknown_names() -> None:
    assert scenario("inh-open") is SCENARIOS["inh"]
    # "inh" is InH-Mixed office: 1.2 m < d < 6.5 m follows exp(-(d - 1.2)/4.7)
    assert los_probability("inh", 3.0, 1.5) == pytest.approx(np.exp(-1.8 / 4.7), rel=1e-12)
    with pytest.raises(ConfigError) as err:
        scenario("umaa", field="channel.scenario")
    assert err.value.field == "channel.scenario"
    with pytest.raises(ConfigError):
        pathloss.pathloss_db("umaa", True, 100.0, 100.0, 3.5, 25.0, 1.5)


def test_config_and_site_lists_read_the_registry() -> None:
    from nrsim.config.schema import ChannelConfig
    from nrsim.deployment.sites import ENVIRONMENTS

    allowed = typing.get_args(ChannelConfig.model_fields["scenario"].annotation)
    assert set(allowed) == {*SCENARIO_KEYS, "mixed"}
    assert set(ENVIRONMENTS) == {k for k, r in SCENARIOS.items() if not r.indoor}
