"""One scheduler metric core (nrsim.scheduler.metric) serves the slot DL, the slot UL and both
directions of the mobile-call engine: ``slots.scheduler`` acts on all of them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import nrsim
from nrsim.engine.calls import run_mobile_calls, run_static_calls
from nrsim.scheduler import metric as sm

# a static, saturated DL-only call scenario (tests/engine/test_static_equivalence.py): the throughput is the
# cell capacity share, so the policy decides who gets it
CALLS = [
    "deployment.rings=1", "deployment.ue.per_sector=4", "deployment.isd_m=200",
    "channel.o2i_high_loss_fraction=0.2", "radio.ue_noise_figure_db=7",
    "slots.enabled=true", "slots.warmup_slots=200", "mobility.model=static", "mobility.duration_s=0.4",
    "slots.traffic.model=video_call", "slots.traffic.background_ftp_share=0",
    "slots.traffic.video_bitrate_bps=3e7", "slots.traffic.voice=false",
    "slots.uplink.enabled=false", "slots.fading.enabled=false",
]


def test_metric_cores_match_their_formulas() -> None:
    rng = np.random.default_rng(4)
    r = 10 ** rng.uniform(3, 8, (30, 7))
    t = 10 ** rng.uniform(0, 8, 30)
    for a, b in ((1.0, 1.0), (2.0, 0.5), (1.0, 0.0)):
        assert np.allclose(sm.pf_metric_array(r, t, a, b), r**a / t[:, None] ** b, rtol=1e-12)
    p = sm.SchedulerParams(sm.SCHED_PF, 1.0, 1.0, 0.01)
    assert sm.policy_metric(p, 5e6, 1e6, 3.0) == pytest.approx(5.0)
    assert sm.policy_metric(p._replace(kind=sm.SCHED_MAX_CI), 5e6, 1e6, 3.0) == 5e6
    assert sm.policy_metric(p._replace(kind=sm.SCHED_RR), 5e6, 1e6, 3.0) == 3.0
    assert sm.policy_metric(p._replace(kind=sm.SCHED_QOS), 5e6, 1e6, 3.0) == pytest.approx(5.0)
    assert sm.pf_metric(1e6, 0.0, 1.0, 1.0) == np.inf and sm.pf_metric(0.0, 0.0, 1.0, 1.0) == 0.0
    assert sm.pf_average(100.0, 1.0, 1e-3, 0.01) == pytest.approx(0.99 * 100.0 + 0.01 * 1e3)


def _calls(*ov: str) -> pd.DataFrame:
    return run_mobile_calls(nrsim.load_config("mobility-uma", [*CALLS, *ov])).ue


def test_pf_exponents_and_max_ci_act_on_the_call_engine() -> None:
    """Before the shared core the call engine ignored pf_alpha/pf_beta (identical results)
    and rejected max_ci. PF with beta = 0 is max rate: the same allocation as max C/I, a
    higher mean and a lower 10th percentile of the user throughput than PF."""
    pf = _calls("slots.scheduler.name=pf")
    beta0 = _calls("slots.scheduler.name=pf", "slots.scheduler.pf_beta=0")
    mci = _calls("slots.scheduler.name=max_ci")
    a, b = pf["throughput_bps"].to_numpy(), beta0["throughput_bps"].to_numpy()
    assert not np.array_equal(a, b)
    assert np.array_equal(b, mci["throughput_bps"].to_numpy())
    assert b.mean() > a.mean()
    assert np.percentile(b, 10) < np.percentile(a, 10)


def test_pf_exponents_act_on_the_slot_uplink() -> None:
    """The slot UL used PF with fixed exponents; now PF with beta = 0 is max C/I there too
    (the static slot run on the one slot core)."""
    ov = ["deployment.rings=0", "deployment.ue.per_sector=8", "slots.n_slots=120", "slots.warmup_slots=20",
          "slots.uplink.enabled=true", "slots.uplink.max_ues_per_slot=2"]

    def ul(*extra: str) -> np.ndarray:
        r, _ = run_static_calls(nrsim.load_config("slots-uma-fullbuffer", [*ov, *extra]))
        return np.concatenate([d.ue["ul_throughput_bps"] for d in r.drops])

    pf, beta0, mci = ul(), ul("slots.scheduler.pf_beta=0"), ul("slots.scheduler.name=max_ci")
    assert np.array_equal(beta0, mci)
    assert not np.array_equal(pf, beta0)
