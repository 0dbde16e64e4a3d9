"""Scheduler plugins on the slot core (issue 12): a plugin runs the compiled pieces of
``run_slot_range`` with its own allocation in between, in the DL and (``plugin_directions``) the
UL, in static and moving runs. Oracles: the built-in policies of the same core (a plugin that
reproduces ``max_ci`` must give the built-in ``max_ci``'s results bit for bit; a plugin in the
UL only must leave the DL of the built-in PF untouched)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nrsim
from nrsim.engine.calls import _Drop, run_mobile_calls, run_static_calls, static_run_on_core
from nrsim.scheduler import SchedulerError

STATIC = ["deployment.rings=1", "deployment.ue.per_sector=3", "radio.bandwidth_mhz=20", "slots.enabled=true",
          "slots.n_slots=160", "slots.warmup_slots=20", "slots.traffic.model=full_buffer"]
MOVING = ["deployment.rings=1", "deployment.ue.per_sector=3", "deployment.isd_m=200", "mobility.duration_s=0.6",
          "mobility.speeds_kmh=[120]", "mobility.speed_shares=[1.0]", "slots.enabled=true",
          "slots.warmup_slots=100", "slots.traffic.model=video_call", "slots.uplink.enabled=true"]

PLUGINS = '''
import numpy as np
from nrsim.scheduler import assign_by_metric

class MaxRate:
    """max C/I: each RBG to the eligible UE with the most bits on it (ties: lowest UE)."""
    def __init__(self, n_ue, log=""):
        self.log = log
        self.seen = []
    def allocate(self, inp):
        self.seen.append((inp.direction, inp.slot, inp.rate_bits.copy(), inp.available.copy(),
                          inp.eligible.copy(), inp.buffer_bits.copy()))
        return assign_by_metric(inp.rate_bits, inp)
    def update(self, inp, bits):
        self.seen[-1] = self.seen[-1] + (np.asarray(bits).copy(),)

class Silent:
    def __init__(self, n_ue):
        pass
    def allocate(self, inp):
        return np.zeros((inp.n_ue, inp.n_rbg), dtype=bool)
    def update(self, inp, bits):
        pass

class TwoPerRbg:
    def __init__(self, n_ue):
        pass
    def allocate(self, inp):
        a = np.zeros((inp.n_ue, inp.n_rbg), dtype=bool)
        a[np.flatnonzero(inp.eligible)[:2], :] = True  # (cell 0's first two UEs share every RBG)
        return a
    def update(self, inp, bits):
        pass
'''
COLUMNS_EXACT = ("throughput_bps", "bler_first_tx", "mean_mcs", "prb_per_slot", "first_transmissions",
                 "olla_offset_db", "mean_sinr_db", "csi_sinr_db")


@pytest.fixture(scope="module")
def plug(tmp_path_factory) -> Path:
    f = tmp_path_factory.mktemp("plugins") / "plug.py"
    f.write_text(PLUGINS)
    return f


def _plugin(f: Path, cls: str, *dirs: str) -> list[str]:
    out = ["slots.scheduler.name=plugin", f"slots.scheduler.plugin={f}:{cls}"]
    if dirs:
        out.append(f"slots.scheduler.plugin_directions=[{','.join(repr(d) for d in dirs)}]")
    return out


def _assert_same(a: pd.DataFrame, b: pd.DataFrame, cols) -> None:
    for c in cols:
        np.testing.assert_array_equal(a[c].to_numpy(), b[c].to_numpy(), err_msg=c)


def test_plugin_max_ci_is_the_built_in_max_ci_bit_for_bit(plug: Path) -> None:
    """Same tie-break (metric, then the lowest UE index), full buffer (no remaining-bits
    margin in play): the plugin path through ``plugin_input`` / ``start_allocated`` must equal
    the compiled frequency-selective ``max_ci`` exactly."""
    cfg_p = nrsim.load_config("uma-default", [*STATIC, *_plugin(plug, "MaxRate")], drops=1)
    cfg_b = nrsim.load_config("uma-default", [*STATIC, "slots.scheduler.name=max_ci"], drops=1)
    assert static_run_on_core(cfg_p)
    _, run_p = run_static_calls(cfg_p)
    _, run_b = run_static_calls(cfg_b)
    _assert_same(run_p.ue, run_b.ue, COLUMNS_EXACT)
    assert run_b.ue["throughput_bps"].sum() > 0
    np.testing.assert_array_equal(run_p.cell["prb_utilisation"], run_b.cell["prb_utilisation"])
    # and it differs from PF (the test can fail)
    _, run_pf = run_static_calls(nrsim.load_config("uma-default", STATIC, drops=1))
    assert not np.array_equal(run_pf.ue["throughput_bps"], run_b.ue["throughput_bps"])


def test_uplink_only_plugin_leaves_the_downlink_to_pf(plug: Path) -> None:
    """``plugin_directions = ["ul"]``: the DL runs the built-in PF exactly; a plugin that gives
    nothing silences the UL; a max-rate plugin moves UL data."""
    ul = ["slots.uplink.enabled=true"]
    _, ref = run_static_calls(nrsim.load_config("uma-default", [*STATIC, *ul], drops=1))
    _, silent = run_static_calls(nrsim.load_config("uma-default", [*STATIC, *ul, *_plugin(plug, "Silent", "ul")], drops=1))
    _assert_same(silent.ue, ref.ue, COLUMNS_EXACT)
    assert ref.ue["ul_throughput_bps"].sum() > 0 and silent.ue["ul_throughput_bps"].sum() == 0
    _, maxr = run_static_calls(nrsim.load_config("uma-default", [*STATIC, *ul, *_plugin(plug, "MaxRate", "ul")], drops=1))
    _assert_same(maxr.ue, ref.ue, COLUMNS_EXACT)
    assert maxr.ue["ul_throughput_bps"].sum() > 0


def test_the_input_a_plugin_sees(plug: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One instance per direction, ``inp.direction`` set; the UL rate is wideband (bits per PRB
    the same on every RBG); retransmitting UEs are not eligible; ``update`` gets the bits of
    new TBs only where the UE was allocated."""
    cfg = nrsim.load_config("uma-default", [*STATIC, "slots.uplink.enabled=true", "slots.n_slots=60",
                                            *_plugin(plug, "MaxRate", "dl", "ul")], drops=1)
    seen = {}
    orig = _Drop.run_step

    def spy(self, k, can_tx):  # the drop holds the plugin instances
        orig(self, k, can_tx)
        seen["dl"], seen["ul"] = self.plugins[0].seen, self.plugins[1].seen

    monkeypatch.setattr(_Drop, "run_step", spy)
    run_static_calls(cfg)
    assert {x[0] for x in seen["dl"]} == {"dl"} and {x[0] for x in seen["ul"]} == {"ul"}
    assert len(seen["ul"]) < len(seen["dl"])  # TDD: fewer UL slots
    n_rbg = seen["dl"][0][2].shape[1]
    for direction, slot, rate, avail, elig, buf, bits in seen["ul"]:
        per_rbg = rate[:, :-1]  # the last RBG may be smaller
        assert np.all(per_rbg == per_rbg[:, :1])
        assert np.all(bits[~elig] == 0.0)
    retx = 0
    for direction, slot, rate, avail, elig, buf, bits in seen["dl"]:
        assert rate.shape[1] == n_rbg and np.all(rate >= 0) and np.all(buf > 0)
        assert np.all(bits[~elig] == 0.0) and np.all((bits > 0) <= elig)
        retx += int((~avail).sum())
    assert retx > 0  # HARQ retransmissions took RBGs before the plugin saw them


def test_bad_allocation_is_a_scheduler_error_on_the_core(plug: Path) -> None:
    cfg = nrsim.load_config("uma-default", [*STATIC, *_plugin(plug, "TwoPerRbg")], drops=1)
    with pytest.raises(SchedulerError, match="at most 1"):
        run_static_calls(cfg)
    cfg = nrsim.load_config("mobility-uma", [*MOVING, *_plugin(plug, "TwoPerRbg", "ul")])
    with pytest.raises(SchedulerError, match=r"plugin \(ul\).*at most 1"):
        run_mobile_calls(cfg)


def test_plugin_in_a_moving_video_run(plug: Path) -> None:
    """A moving video-call run with a plugin in both directions: reproducible, calls carried in
    both directions, and not the built-in ``qos`` result."""
    cfg = nrsim.load_config("mobility-uma", [*MOVING, *_plugin(plug, "MaxRate", "dl", "ul")])
    a, b = run_mobile_calls(cfg), run_mobile_calls(cfg)
    pd.testing.assert_frame_equal(a.ue, b.ue)
    calls = a.ue[a.ue["call"]]
    assert len(calls) > 0
    assert calls["throughput_bps"].sum() > 0 and calls["ul_throughput_bps"].sum() > 0
    assert "satisfied_share" in a.kpis["calls"]
    ref = run_mobile_calls(nrsim.load_config("mobility-uma", [*MOVING, "slots.scheduler.name=max_ci"]))
    assert not a.ue["throughput_bps"].equals(ref.ue["throughput_bps"])


def test_plugin_directions_are_checked() -> None:
    """The list itself, and an uplink plugin where the run stays on the static slot engine
    (cdl-38901 on the sparse link form), which schedules plugins in the downlink only."""
    sparse = [*STATIC, "slots.scheduler.name=plugin", "slots.scheduler.plugin=p.py:A", "interference.mode=sparse",
              "deployment.wraparound=false", "slots.fading.model=cdl-38901"]
    nrsim.load_config("uma-default", [*sparse[:-1], "slots.scheduler.plugin_directions=['dl','ul']"])  # on the core
    nrsim.load_config("uma-default", sparse)  # DL only: fine
    with pytest.raises(nrsim.ConfigError) as e:
        nrsim.load_config("uma-default", [*sparse, "slots.scheduler.plugin_directions=['dl','ul']"])
    assert e.value.field == "slots.scheduler.plugin_directions"
    for bad in ("[]", "['dl','dl']", "['down']"):
        with pytest.raises(nrsim.ConfigError):
            nrsim.load_config("uma-default", [*STATIC, "slots.scheduler.name=plugin", "slots.scheduler.plugin=p.py:A",
                                              f"slots.scheduler.plugin_directions={bad}"])
