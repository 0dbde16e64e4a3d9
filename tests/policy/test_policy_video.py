"""Inter-vendor handover interruption (hand values, and its effect on a stage) and the
reduced slot-level video run of a stage (evaluation.video = "slots")."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.engine.snapshot import build_layout
from nrsim.policy import run_policy
from nrsim.policy.evaluate import interruption_frame_loss, stage_layout
from nrsim.policy.run import _state, prepare
from nrsim.policy.video import video_config, write_stage_sites

SMALL = ["deployment.ue.per_sector=1", "drops=1", "coverage.resolution_m=300"]
FIRST = ["evaluation.until=2021-01-31"]  # the baseline and January 2021


@pytest.mark.parametrize("interruption_s, pdb_s, call_s, loss", [
    (0.030, 0.150, 60.0, 0.0),  # shorter than the delay budget: every frame still in time
    (0.150, 0.150, 60.0, 0.0),
    (1.030, 0.150, 60.0, 0.88 / 60.0),  # frames of the first 0.88 s miss the budget
    (2.150, 0.150, 10.0, 0.2),
    (100.0, 0.150, 10.0, 1.0),  # at most the whole call
])
def test_interruption_frame_loss_hand_values(interruption_s, pdb_s, call_s, loss):
    assert interruption_frame_loss(interruption_s, pdb_s, call_s) == pytest.approx(loss, rel=1e-12)


def test_interruption_loses_border_calls_like_a_certain_failure():
    def stages(extra):
        return run_policy("london-pilot", "london-2027", overrides=SMALL, policy_overrides=[*FIRST, *extra]).stages

    ref = stages([])
    # 30 ms (scenario) + 100 ms < 150 ms delay budget: no frame lost, no call lost
    short = stages(["evaluation.inter_vendor_handover_interruption_ms=100"])
    # 30 + 1000 ms over a 60 s call: 0.88 / 60 = 1.5 % of the frames lost > 1 %: every border call lost
    long_ = stages(["evaluation.inter_vendor_handover_interruption_ms=1000"])
    fail = stages(["evaluation.inter_vendor_handover_failure=1"])
    assert (ref["inter_vendor_border_user_share"] > 0).all()
    np.testing.assert_array_equal(short["video_satisfied_share"], ref["video_satisfied_share"])
    np.testing.assert_array_equal(long_["video_satisfied_share"], fail["video_satisfied_share"])
    assert (long_["video_satisfied_share"] < ref["video_satisfied_share"]).all()
    np.testing.assert_allclose(short["inter_vendor_interruption_ms_per_user"],
                               100.0 * ref["inter_vendor_border_user_share"], rtol=1e-12)
    assert (ref["inter_vendor_interruption_ms_per_user"] == 0).all()
    # a longer call dilutes the same loss under 1 %: no call lost
    diluted = stages(["evaluation.inter_vendor_handover_interruption_ms=1000", "evaluation.call_duration_s=100"])
    np.testing.assert_array_equal(diluted["video_satisfied_share"], ref["video_satisfied_share"])


def test_stage_site_list_file_gives_the_stage_layout(tmp_path):
    cfg, pol, sites, ps, plan = prepare("london-pilot", "london-2027", overrides=SMALL,
                                        policy_overrides=["replacement.tx_power_dbm=40",
                                                          "replacement.elec_tilt_deg=8", "evaluation.video=slots"])
    state = _state(plan, ps, 0, downtime=True)  # swaps of the month off air, a new site not built yet
    assert not all(state.on_air) and any(state.swapped)
    ref, _ = stage_layout(cfg, sites, pol, state)
    f = tmp_path / "stage.csv"
    off = write_stage_sites(sites, pol, state, f)
    vcfg = video_config(cfg, pol, str(f), off)
    assert vcfg.slots.enabled and vcfg.mobility.enabled and vcfg.deployment.ue.per_sector == 1 and vcfg.drops == 1
    got = build_layout(vcfg)
    for name in ("site_xy_m", "site_height_m", "cell_site", "cell_bearing_deg", "cell_tx_power_dbm",
                 "cell_etilt_deg", "cell_mech_downtilt_deg", "site_isd_m"):
        np.testing.assert_array_equal(getattr(got, name), getattr(ref, name), err_msg=name)
    assert got.site_scenario == ref.site_scenario
    assert (ref.cell_tx_power_dbm == 40.0).sum() > 0  # the replacement power is in the file


@pytest.mark.slow
def test_video_slots_column():
    st = run_policy("london-pilot", "london-2027", overrides=SMALL,
                    policy_overrides=[*FIRST, "evaluation.video=slots"]).stages
    assert (st["video_calls"] == 420).all()  # one call per cell of the 420-cell pilot
    # a slot-level call judges loss and delay, not coverage: more calls pass than the proxy
    assert (st["video_call_satisfied_share"] > st["video_satisfied_share"]).all()
    assert (st["video_call_satisfied_share"] < 1.0).all()
