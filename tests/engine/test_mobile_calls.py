"""Moving UEs with video calls in both directions (mobility + compiled slot loop)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

import nrsim
from nrsim.cli.app import app
from nrsim.engine import call_kernels as ck
from nrsim.engine.calls import link_tables, run_mobile_calls
from nrsim.errors import ConfigError
from nrsim.link.adaptation import tb_bler
from nrsim.link.bler import transport_block_bler
from nrsim.radio.uplink import pusch_power_core, pusch_tx_power_dbm
from nrsim.link.harq import HARQ_DTYPE
from nrsim.traffic import QosPackets
from nrsim.traffic import queue as tq
from nrsim.traffic.queue import PACKET_DTYPE, new_queues

# --- compiled helpers against their NumPy references ----------------------------------------


def test_counter_uniforms_are_uniform_and_keyed() -> None:
    key = np.uint64(123456789)
    u = np.array([ck.counter_uniform(key, t, ue, d) for t in range(50) for ue in range(100) for d in range(2)])
    assert ((u >= 0.0) & (u < 1.0)).all()
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert ck.counter_uniform(key, 3, 4, 0) == ck.counter_uniform(key, 3, 4, 0)
    assert ck.counter_uniform(key, 3, 4, 0) != ck.counter_uniform(key, 3, 4, 1)
    assert ck.counter_uniform(key, 3, 4, 0) != ck.counter_uniform(np.uint64(7), 3, 4, 0)


def test_scalar_pusch_power_matches_the_vectorised_one() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        p0, alpha, pl = rng.uniform(-100, -50), rng.choice([0.4, 0.6, 0.8, 1.0]), rng.uniform(70, 160)
        m, mu = int(rng.integers(1, 273)), int(rng.integers(0, 3))
        ref = float(pusch_tx_power_dbm(p0, alpha, pl, m, mu, 23.0))
        assert pusch_power_core(p0, alpha, pl, m, mu, 23.0) == pytest.approx(ref, abs=1e-9)


def test_tabulated_tb_bler_matches_the_link_module() -> None:
    """The compiled loop's TB BLER (table lookup of C and the logistic parameters) equals
    nrsim.link.bler.transport_block_bler for random transmissions."""
    tabs = link_tables(273, 1, 12, 0)
    rng = np.random.default_rng(5)
    for _ in range(300):
        d, ns = int(rng.integers(0, 2)), int(rng.choice([8, 12, 14]))
        mcs, nprb = int(rng.integers(0, 28)), int(rng.integers(1, 274))
        snr_db = rng.uniform(-10, 30)
        tbs = int(tabs.tbs_bits[d, ns, mcs, nprb])
        ref = float(transport_block_bler(snr_db, mcs, tbs, mcs_table_index=1))
        got = tb_bler(10 ** (snr_db / 10), tabs.s10_db[d, ns, mcs, nprb], tabs.scale_db[d, ns, mcs, nprb],
                          tabs.n_cb[d, ns, mcs, nprb])
        assert got == pytest.approx(ref, rel=1e-9, abs=1e-12)


def test_compiled_queue_matches_qos_packets() -> None:
    """Random arrivals, takes, give-backs and deliveries: the compiled queue functions keep
    the same counters, completion times and discard flags as QosPackets (the oracle)."""
    rng = np.random.default_rng(9)
    n = 3
    ue = np.repeat(np.arange(n), 40)
    t = np.sort(rng.uniform(0, 1.0, ue.size).reshape(n, -1), axis=1).ravel()
    size = rng.uniform(100, 3000, ue.size).round()
    pdb = np.where(rng.random(ue.size) < 0.5, 0.05, 0.1)
    ref = QosPackets(n, ue, t, size, np.full(ue.size, 2), pdb)
    first = np.searchsorted(ue, np.arange(n))
    end = np.searchsorted(ue, np.arange(n), side="right")
    csum = np.cumsum(size)
    cum = csum - np.concatenate([[0.0], csum])[first][ue]
    deadline = t + pdb
    PK = np.zeros(ue.size, dtype=PACKET_DTYPE)
    PK["t_s"], PK["deadline_s"], PK["cum_bits"], PK["done_s"] = t, deadline, cum, np.nan
    Q = new_queues(np.vstack([first, first]).astype(np.int64), np.vstack([end, end]).astype(np.int64))
    tq.refresh_events(Q, PK)
    inflight: list[tuple[int, float]] = []
    for step in range(400):
        now = step * 0.0025
        ref.advance_to(now)
        tq.advance_queues(Q[:1], PK, now, 0.0)  # queue 0 only: the sweep skips queues with no event due
        queued = ref.queued_bits()
        mine = Q["arrived"][0] - Q["taken"][0]
        np.testing.assert_allclose(mine, queued, atol=1e-6)
        take = np.where(rng.random(n) < 0.4, np.minimum(queued, rng.uniform(0, 4000, n)), 0.0)
        ref.take(take)
        parts = np.zeros(tq.N_LCH)
        for u in range(n):
            if take[u] > 0:
                tq.take_bits(Q, PK, 0, u, take[u], parts)  # DL: channel 0 first (the only one with packets)
                assert parts[0] == pytest.approx(take[u]) and parts[1] == 0.0
                inflight.append((u, float(take[u])))
        ack = np.zeros(n)
        back = np.zeros(n)
        keep = []
        for u, b in inflight:
            r = rng.random()
            if r < 0.5:
                ack[u] += b
            elif r < 0.6:
                back[u] += b
            else:
                keep.append((u, b))
        inflight = keep
        ref.give_back(back)
        for u in range(n):
            if back[u] > 0:
                tq.give_back(Q, PK, 0, u, back[u])
        ref.deliver(ack, now + 0.0025)
        for u in range(n):
            if ack[u] > 0:
                tq.deliver(Q, PK, 0, u, ack[u], now + 0.0025)
    done, disc = PK["done_s"], PK["disc"]
    log = ref.packet_log()
    np.testing.assert_array_equal(disc, log.discarded)
    np.testing.assert_array_equal(done, log.completion_s)
    np.testing.assert_allclose(Q["discarded"][0], ref.discarded_bits, atol=1e-6)
    assert disc.any() and np.isfinite(done).any()


# --- the engine end to end -------------------------------------------------------------------

CALLS_SMALL = [
    "deployment.rings=1", "deployment.ue.per_sector=3", "deployment.isd_m=200",
    "channel.o2i_high_loss_fraction=0.2", "radio.ue_noise_figure_db=7",
    "mobility.duration_s=3", "slots.enabled=true", "slots.warmup_slots=200",
    "slots.traffic.model=video_call", "slots.scheduler.name=qos", "slots.scheduler.qos_edf=false",
    "slots.traffic.background_ftp_share=0.2", "slots.uplink.enabled=true", "slots.uplink.bs_rx_antennas=32",
]


def test_light_load_outdoor_calls_are_carried_in_both_directions() -> None:
    """Outdoor static UEs, 1 Mbit/s each way, a few calls per cell: every call gets its
    offered video rate in both directions, within the delay budget."""
    cfg = nrsim.load_config("mobility-uma", [*CALLS_SMALL, "deployment.ue.indoor_fraction=0",
                                             "mobility.model=static", "slots.traffic.video_bitrate_bps=1e6",
                                             "slots.traffic.ul_video_bitrate_bps=5e5"])
    res = run_mobile_calls(cfg)
    c = res.ue[res.ue["call"]]
    assert len(c) > 10
    assert c["video_bitrate_bps"].median() == pytest.approx(1e6, rel=0.05)
    assert c["ul_video_bitrate_bps"].median() == pytest.approx(5e5, rel=0.05)
    assert (c["video_p95_delay_s"] <= cfg.slots.traffic.video_pdb_s).all()
    assert res.kpis["calls"]["satisfied_share"] >= 0.9
    assert res.kpis["mobility"]["handovers"] == 0
    # OLLA keeps the first-transmission BLER near its 10 % target (named tolerance: short
    # run; the median lay at 0.135-0.161 over seeds 1-3 before the LOS state became
    # spatially consistent, 0.143-0.153 after)
    bler = res.ue["bler_first_tx"].to_numpy()
    assert np.nanmedian(bler) == pytest.approx(0.1, abs=0.07)


def test_call_run_is_reproducible() -> None:
    cfg = nrsim.load_config("mobility-uma", [*CALLS_SMALL, "mobility.speeds_kmh=[120]", "mobility.speed_shares=[1.0]", "mobility.duration_s=1.5"])
    a, b = run_mobile_calls(cfg), run_mobile_calls(cfg)
    pd.testing.assert_frame_equal(a.ue, b.ue)
    pd.testing.assert_frame_equal(a.events, b.events)


@pytest.mark.parametrize("failures", [False, True])
def test_interruption_blocks_completions(monkeypatch, failures: bool) -> None:
    """Completion times of each UE's packets avoid the open interval of its interruptions:
    from the handover for 50 ms (ideal execution), or from the command, 40 ms (execution
    time) before the handover completes, for 50 ms (failure model with thresholds so low
    that every command arrives and the first random access succeeds)."""
    import nrsim.engine.calls as calls

    captured = {}
    orig = calls._Drop.packet_log

    def spy(self, d):
        log = orig(self, d)
        captured[d] = log
        return log

    monkeypatch.setattr(calls._Drop, "packet_log", spy)
    cfg = nrsim.load_config("mobility-uma", [*CALLS_SMALL, "mobility.speeds_kmh=[120]", "mobility.speed_shares=[1.0]",
                                             "mobility.handover.interruption_ms=50",
                                             f"mobility.handover.failures={str(failures).lower()}",
                                             "mobility.handover.delivery_sinr_db=-50",
                                             "mobility.handover.access_sinr_db=-50"])
    start = -cfg.mobility.handover.execution_ms / 1e3 if failures else 0.0
    res = run_mobile_calls(cfg)
    ho = res.events[res.events["kind"] == "handover"]
    assert len(ho) >= 5
    n_checked = 0
    for d in (0, 1):
        log = captured[d]
        for _, e in ho.iterrows():
            m = (log.ue == e["ue"]) & np.isfinite(log.completion_s)
            comp = log.completion_s[m]
            t0 = e["time_s"] + start
            inside = (comp > t0 + 1e-9) & (comp < t0 + 0.050 - 1e-9)
            assert not inside.any(), (d, e["ue"], e["time_s"], comp[inside])
            n_checked += int(m.sum())
    assert n_checked > 0


def test_call_run_outputs_capacity_and_cli(tmp_path: Path) -> None:
    ov = [*CALLS_SMALL, "mobility.duration_s=1.5", "slots.traffic.capacity_calls_per_cell=[1,3]"]
    cfg = nrsim.load_config("mobility-uma", ov)
    out = tmp_path / "r"
    nrsim.run(cfg, out_dir=out)
    for name in ("ue_calls.parquet", "cell_calls.parquet", "handover_events.parquet", "capacity.parquet",
                 "summary.json", "capacity.png", "cdf_call_frame_loss.png"):
        assert (out / name).is_file(), name
    s = json.loads((out / "summary.json").read_text())["kpis"]
    assert {"mobility", "calls", "video_capacity"} <= set(s)
    cap = pd.read_parquet(out / "capacity.parquet")
    assert list(cap.columns) == ["calls_per_cell_target", "calls_per_cell", "n_calls", "satisfied_share",
                                 "dl_satisfied_share", "ul_satisfied_share", "handovers_per_ue_per_min",
                                 "n_satisfied", "n_seeds", "satisfied_share_min", "satisfied_share_max"]
    assert (cap["n_seeds"] == 1).all()
    assert cap["calls_per_cell_target"].tolist() == [1, 3]
    assert ((cap["satisfied_share"] >= 0) & (cap["satisfied_share"] <= 1)).all()
    vc = s["video_capacity"]
    assert vc["target_satisfied_share"] == 0.95
    assert 0.0 <= vc["capacity_calls_per_cell"] <= cap["calls_per_cell"].max()
    ue = pd.read_parquet(out / "ue_calls.parquet")
    calls = ue[ue["call"]]
    assert s["calls"]["satisfied_share"] == pytest.approx(calls["call_satisfied"].mean())
    assert (calls["call_satisfied"] == (calls["dl_call_satisfied"] & calls["ul_call_satisfied"])).all()


@pytest.mark.parametrize("override, field", [
    (["slots.traffic.model=full_buffer"], "slots.traffic.model"),
    (["mobility.step_ms=10.25", "mobility.channel_update_ms=102.5"], "mobility.step_ms"),
    (["slots.n_slots=5000"], "slots.n_slots"),
])
def test_unsupported_call_configs_are_rejected(override, field) -> None:
    with pytest.raises(ConfigError) as e:
        nrsim.load_config("mobility-uma", [*CALLS_SMALL, *override])
    assert e.value.field == field


def test_cli_exit_code_2_and_no_output(tmp_path: Path) -> None:
    out = tmp_path / "x"
    r = CliRunner().invoke(app, ["run", "mobility-uma", *sum((["--set", o] for o in
                                  [*CALLS_SMALL, "slots.traffic.model=ftp3"]), []), "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert "slots.traffic.model" in r.output
    assert not out.exists()


def test_indoor_speed_pedestrians_outdoor_vehicles() -> None:
    cfg = nrsim.load_config("mobility-uma", [*CALLS_SMALL, "mobility.indoor_speed_kmh=3",
                                             "mobility.speeds_kmh=[60]", "mobility.speed_shares=[1.0]", "mobility.duration_s=0.5"])
    res = run_mobile_calls(cfg)
    v = res.ue["speed_kmh"].to_numpy()
    ind = res.ue["indoor"].to_numpy()
    assert ind.any() and (~ind).any()
    np.testing.assert_allclose(v[ind], 3.0)
    np.testing.assert_allclose(v[~ind], 60.0)


def test_static_slot_run_capacity_sweep(tmp_path: Path) -> None:
    """The static slot engine's video-call run writes the same capacity outputs (no UL calls)."""
    ov = ["deployment.rings=0", "deployment.ue.per_sector=4", "radio.bandwidth_mhz=20", "slots.enabled=true",
          "slots.n_slots=400", "slots.warmup_slots=100", "slots.traffic.model=video_call",
          "slots.traffic.background_ftp_share=0.25", "slots.scheduler.name=qos",
          "slots.traffic.capacity_calls_per_cell=[1,2]"]
    nrsim.run(nrsim.load_config("uma-default", ov, drops=1), out_dir=tmp_path / "s")
    cap = pd.read_parquet(tmp_path / "s" / "capacity.parquet")
    assert cap["calls_per_cell_target"].tolist() == [1, 2]
    assert cap["ul_satisfied_share"].isna().all() and cap["handovers_per_ue_per_min"].isna().all()
    assert (cap["satisfied_share"] == cap["dl_satisfied_share"]).all()
    s = json.loads((tmp_path / "s" / "summary.json").read_text())["kpis"]
    assert s["video_capacity"]["points"][0]["calls_per_cell_target"] == 1
    assert (tmp_path / "s" / "capacity.png").is_file()


def test_flush_harq_forwards_unacknowledged_bits() -> None:
    """A handover resets the UE's HARQ processes; their bits return to its buffer (data
    forwarding) and are sent again by the target cell."""
    n, p_n = 2, 4
    PK = np.zeros(3, dtype=PACKET_DTYPE)
    PK["cum_bits"] = [1000.0, 3000.0, 500.0]  # UE 0: packets 0, 1; UE 1: packet 2
    PK["t_s"], PK["deadline_s"] = 0.0, np.inf
    # queues [N_LCH x direction + channel, ue]: the test uses DL channel 0 (queue 0) only
    Q = new_queues(np.array([[0, 2], [3, 3], [3, 3], [3, 3]], dtype=np.int64),
                   np.array([[2, 3], [3, 3], [3, 3], [3, 3]], dtype=np.int64))
    Q["arr"][0] = [2, 3]
    Q["head"][0] = [1, 3]
    Q["taken"][0] = [1800.0, 500.0]
    tq.refresh_events(Q, PK)
    H = np.zeros((2, n, p_n), dtype=HARQ_DTYPE)
    H["act"][0, 0, [1, 3]] = True
    H["part_bits"][0, 0, [1, 3], 0] = [300.0, 900.0]  # 1200 bits in flight
    H["act"][0, 1, 0] = True
    H["part_bits"][0, 1, 0, 0] = 500.0
    ck.flush_harq(np.array([0]), H, Q, PK)
    assert not H["act"][:, 0].any() and H["act"][0, 1, 0]  # only UE 0 was flushed
    assert Q["taken"][0, 0] == pytest.approx(600.0) and Q["taken"][0, 1] == 500.0
    assert Q["head"][0, 0] == 0  # packet 0 has untaken bits again
    assert Q["head_deadline_s"][0, 0] == np.inf  # event time follows the head
    assert Q["discarded"][0, 0] == 0.0


def test_voice_overtakes_a_video_frame_in_transmission(monkeypatch) -> None:
    """Logical channel prioritisation (TS 38.321 5.4.3.1): a voice packet that arrives while
    a video frame of the same UE is still being sent is delivered before that frame (with
    one FIFO per UE it would wait behind it)."""
    import nrsim.engine.calls as calls

    captured = {}
    orig = calls._Drop.packet_log

    def spy(self, d):
        captured[d] = orig(self, d)
        return captured[d]

    monkeypatch.setattr(calls._Drop, "packet_log", spy)
    cfg = nrsim.load_config("mobility-uma", [*CALLS_SMALL, "deployment.ue.per_sector=6", "mobility.model=static",
                                             "slots.traffic.video_bitrate_bps=4e6"])
    run_mobile_calls(cfg)
    before = total = 0
    for d in (0, 1):
        log = captured[d]
        for u in np.unique(log.ue):
            m = log.ue == u
            qi, t, done = log.five_qi[m], log.arrival_s[m], log.completion_s[m]
            vf = np.flatnonzero((qi == 2) & np.isfinite(done))
            vo = np.flatnonzero((qi == 1) & np.isfinite(done))
            for f in vf:
                # voice packets that arrived after the frame and at least 2 ms before it completed
                w = vo[(t[vo] > t[f]) & (t[vo] < done[f] - 0.002)]
                total += w.size
                before += int((done[w] <= done[f]).sum())
    assert total > 20
    assert before / total >= 0.9, (before, total)


def test_without_uplink_only_the_downlink_is_judged() -> None:
    cfg = nrsim.load_config("mobility-uma", [*CALLS_SMALL, "slots.uplink.enabled=false", "mobility.duration_s=1"])
    res = run_mobile_calls(cfg)
    c = res.ue[res.ue["call"]]
    assert c["ul_video_frames"].eq(0).all() and c["ul_video_frame_loss"].isna().all()
    assert (c["ul_transmissions"] == 0).all()
    assert (c["call_satisfied"] == c["dl_call_satisfied"]).all()
    assert np.isnan(res.kpis["calls"]["ul_satisfied_share"])
    assert res.kpis["calls"]["satisfied_share"] == pytest.approx(c["dl_call_satisfied"].mean())


def test_compare_call_runs_vendor_removal(tmp_path: Path) -> None:
    """What-if on video calls: the London pilot with and without vendor-b's cells; paired
    calls (same seed: same trajectories and traffic) that lose satisfaction."""
    ov = ["mobility.duration_s=0.6", "slots.warmup_slots=100", "deployment.ue.per_sector=1", "coverage.resolution_m=200"]
    r = CliRunner().invoke(app, ["compare", "video-calls-london", "video-calls-london",
                                 *sum((["--set", o] for o in ov), []),
                                 "--set-b", "sites.exclude_vendor=vendor-b", "--out", str(tmp_path / "cmp")])
    assert r.exit_code == 0, r.output
    res = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    u = res["users"]
    assert u["paired"] and u["n_calls"] > 100
    assert u["share_calls_lose_satisfaction"] > u["share_calls_gain_satisfaction"]
    d = res["kpi_deltas"]["calls.satisfied_share"]
    assert d["b"] < d["a"]
    assert "calls losing satisfaction" in r.output
    assert (tmp_path / "cmp" / "report.html").is_file()


@pytest.mark.parametrize("points, reached, expect", [
    ([0.99, 0.97], True, "at least 4.00"),
    ([0.99, 0.90], True, "3.00 calls per cell"),
    ([0.80, 0.70], False, "coverage- rather than load-limited"),
])
def test_cli_capacity_wording(points, reached, expect, capsys) -> None:
    from nrsim.cli import app as cli_app

    pts = [{"calls_per_cell": c, "satisfied_share": s} for c, s in zip([2.0, 4.0], points)]
    cap = {"target_satisfied_share": 0.95, "capacity_calls_per_cell": 4.0 if points[1] >= 0.95 else 3.0,
           "reached": reached, "points": pts}
    with cli_app.console.capture() as out:
        cli_app._print_capacity({"video_capacity": cap})
    assert expect in out.get().replace("\n", " ")


def test_capacity_sweep_on_dask_equals_serial() -> None:
    """The sweep's points run in parallel on 2 local Dask workers: the same table as serial."""
    ov = [*CALLS_SMALL, "mobility.duration_s=0.6", "slots.warmup_slots=100", "slots.traffic.capacity_calls_per_cell=[1,2]"]
    cfg = nrsim.load_config("mobility-uma", ov)
    serial = nrsim.run(cfg).capacity
    parallel = nrsim.run(cfg, workers=2).capacity
    pd.testing.assert_frame_equal(serial, parallel)


def test_ul_scheduling_delay_adds_to_ul_delay_only() -> None:
    """With a 6 ms SR/grant delay every UL packet completes at least 6 ms after its arrival;
    DL delays are unchanged in distribution (named tolerance: 1 ms on the median)."""
    ov = [*CALLS_SMALL, "mobility.model=static", "mobility.duration_s=1", "slots.warmup_slots=100"]
    a = run_mobile_calls(nrsim.load_config("mobility-uma", ov))
    b = run_mobile_calls(nrsim.load_config("mobility-uma", [*ov, "slots.uplink.scheduling_delay_ms=6"]))
    ca, cb = a.ue[a.ue["call"]], b.ue[b.ue["call"]]
    assert (cb["ul_voice_p95_delay_s"].dropna() >= 0.006).all()
    assert cb["ul_video_p95_delay_s"].median() > ca["ul_video_p95_delay_s"].median() + 0.004
    assert abs(cb["video_p95_delay_s"].median() - ca["video_p95_delay_s"].median()) < 0.001
