"""The clustered channel on the call core (``slots.fading.model = "cdl-38901"`` in moving and
static video-call runs): the per-step bank of :mod:`nrsim.engine.call_fading`."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.api import load_config
from nrsim.channel.tr38901.links import SPEED_OF_LIGHT_M_S
from nrsim.engine.call_fading import CdlStepFading
from nrsim.channel.fading.cdl import cdl_slot_fading
from nrsim.engine.calls import run_mobile_calls, run_static_calls, static_call_config, static_fading_speed_kmh
from nrsim.engine.slot_setup import slot_drop
from nrsim.engine.mobility import motion_drop
from nrsim.engine.snapshot import build_layout, channel_params
from nrsim.link.frame import prb_centre_frequencies_hz, slot_duration_s
from nrsim.link.numerology import n_rb

MOVING = ["slots.fading.model=cdl-38901", "deployment.ue.per_sector=2", "radio.bandwidth_mhz=20",
          "mobility.duration_s=0.4", "slots.warmup_slots=100"]
SCS_KHZ = 30
MEAN_GAIN_TOL = 0.1
"""|mean gain - 1| over ~114 links x 10 steps x 20 slots x 51 PRBs: each link's gain is a
unit-mean variable (the ray sum over its expected power); its time-frequency average over
0.1 s still varies by tens of % per link (few independent fades for slow UEs), the mean of
114 links by a few %."""
ORACLE_REL_TOL = 2e-5
"""Float32 coefficients, phasors and response (the refresh) against the float64 ray sum:
measured <= 2e-6 of the link's peak power over 10 steps; 10x margin."""

BLER_TOL = 0.05
"""|mean first-tx BLER - OLLA target (0.1)| after the warm-up: OLLA holds the target per UE
up to its step quantisation and the short measurement (measured 0.11-0.12 with CDL and TDL-C)."""


def _fading(cfg, *, constant_velocity: bool, speed_kmh=None):
    layout = build_layout(cfg)
    md = motion_drop(cfg, 0, layout)
    n_prb = n_rb(cfg.radio.bandwidth_mhz, SCS_KHZ, cfg.channel.fc_ghz)
    slot_s = slot_duration_s(SCS_KHZ)
    n_sub = int(round(cfg.mobility.step_ms / 1e3 / slot_s))
    n = md.state.ues.n_ue
    speed = np.full(n, 30.0) if speed_kmh is None else speed_kmh
    f = CdlStepFading(cfg, md, speed, prb_centre_frequencies_hz(n_prb, SCS_KHZ), slot_s, n_sub,
                      constant_velocity=constant_velocity)
    return f, md, layout


@pytest.fixture(scope="module")
def moving():
    cfg = load_config("video-calls-uma", MOVING)
    f, md, layout = _fading(cfg, constant_velocity=False)
    serving = md.state.ues.home_cell.astype(np.int64)
    steps = []
    for k in range(10):
        f.fill(k, serving)
        steps.append(f.bank.reshape(f.n_ue, f.n_sub, -1).copy())
    return cfg, f, md, layout, serving, np.stack(steps)  # [step, ue, slot, prb]


def test_rows_follow_the_kernels_trace_formula(moving):
    """row(t) = f_base + (f_off + t) mod f_period reads slot t of the current step."""
    _, f, *_ = moving
    base, off, period = f.rows()
    t = 7 * f.n_sub + 5
    np.testing.assert_array_equal(base + (off + t) % period, np.arange(f.n_ue) * f.n_sub + 5)


def test_unit_mean_gain(moving):
    *_, g = moving
    assert abs(g.mean() - 1.0) < MEAN_GAIN_TOL
    assert g.min() >= 0.0 and np.isfinite(g).all()


def test_bank_equals_the_ray_sum_oracle_along_the_trajectory(moving):
    """Independent float64 oracle: H(t, f) = sum_rays c exp(j 2 pi nu . s(t)) exp(-j 2 pi f tau),
    s(t) the UE's displacement along its (piecewise straight) trajectory, for a few UEs."""
    cfg, f, md, layout, serving, g = moving
    freqs = f.freqs_hz
    traj = md.traj_xy_m
    # a second bank whose first step is step 6: its links drawn there (the geometry of step 6),
    # their rays rotated to the displacement (not continued from step 0)
    late, _, _ = _fading(cfg, constant_velocity=False)
    late.fill(6, serving)
    g = g.copy()
    g[6] = late.bank.reshape(late.n_ue, late.n_sub, -1)
    for u in (0, 5, f.n_ue - 1):
        for k, q in ((0, 0), (3, 7), (6, 0), (6, 11), (9, 19)):
            r = (late if k == 6 else f).cache.take(np.array([u]), serving[u:u + 1])
            tap = r.tap[0].astype(np.int64)
            ok = tap >= 0
            tau = r.delays_s[0, tap[ok]]
            v = (traj[k + 1, u] - traj[k, u]) / f.dt_s
            s = traj[k, u] - traj[0, u] + v * q * f.slot_s
            c = r.coef[0, ok].astype(np.complex128) * np.exp(2j * np.pi * (r.nu_x_hz[0, ok] * s[0]
                                                                            + r.nu_y_hz[0, ok] * s[1]))
            h = (c[:, None] * np.exp(-2j * np.pi * freqs[None, :] * tau[:, None])).sum(axis=0)
            ref = r.scale[0] * np.abs(h) ** 2
            assert np.abs(g[k, u, q] - ref).max() < ORACLE_REL_TOL * ref.max()


def test_doppler_per_unit_velocity_is_a_unit_vector_over_lambda(moving):
    """nu_x^2 + nu_y^2 <= 1 / lambda^2 for every ray (r_rx a unit vector, its horizontal
    part), with equality for rays arriving horizontally."""
    cfg, f, *_ = moving
    r = f.cache.store.take(np.arange(f.cache.n))
    inv_wl = cfg.channel.fc_ghz * 1e9 / SPEED_OF_LIGHT_M_S
    h = np.hypot(r.nu_x_hz, r.nu_y_hz)[r.tap >= 0]
    assert h.max() <= inv_wl * (1 + 1e-9) and h.max() > 0.99 * inv_wl


def test_time_correlation_follows_the_doppler():
    """Static UEs at 30 km/h (f_D = 97 Hz at 3.5 GHz) decorrelate within ~1/f_D (20 slots):
    the gain's correlation over PRBs is > 0.8 at 1 slot and < 0.5 at 1/f_D (Clarke: J0^2(2 pi)
    = 0.05 for Rayleigh links; Rician links keep more); UEs at 0 km/h keep their gains."""
    cfg = load_config("video-calls-uma", MOVING + ["mobility.model=static"])
    n = motion_drop(cfg, 0, build_layout(cfg)).state.ues.n_ue
    speed = np.where(np.arange(n) % 2 == 0, 30.0, 0.0)
    f, md, _ = _fading(cfg, constant_velocity=True, speed_kmh=speed)
    serving = md.state.ues.home_cell.astype(np.int64)
    g = []
    for k in range(4):
        f.fill(k, serving)
        g.append(f.bank.reshape(n, f.n_sub, -1).copy())
    g = np.concatenate(g, axis=1)  # [ue, slot, prb]
    still = speed == 0.0
    np.testing.assert_array_equal(g[still], np.broadcast_to(g[still][:, :1], g[still].shape))
    x = g[~still] - g[~still].mean(axis=(1, 2), keepdims=True)
    var = (x * x).mean(axis=(1, 2))

    def corr(lag: int) -> float:
        return float(np.median((x[:, lag:] * x[:, :-lag]).mean(axis=(1, 2)) / var))

    fd_hz = 30.0 / 3.6 * cfg.channel.fc_ghz * 1e9 / SPEED_OF_LIGHT_M_S
    lag_fd = int(round(1.0 / fd_hz / f.slot_s))
    assert corr(1) > 0.8
    assert corr(lag_fd) < 0.5


def test_link_rays_do_not_depend_on_when_the_link_first_serves():
    """A static UE's link drawn at step 0 or after the UE was served by another cell for a
    few steps: the same rays, and the same gains in the same slot."""
    cfg = load_config("video-calls-uma", MOVING + ["mobility.model=static"])
    a, md, layout = _fading(cfg, constant_velocity=True)
    b, _, _ = _fading(cfg, constant_velocity=True)
    home = md.state.ues.home_cell.astype(np.int64)
    other = (home + 1) % layout.n_cells
    for k in range(6):
        a.fill(k, home)
        b.fill(k, home if k >= 4 else np.where(np.arange(home.size) % 3 == 0, other, home))
    ue = np.arange(home.size)
    ra, rb = a.cache.take(ue, home), b.cache.take(ue, home)
    for name in ("coef", "nu_x_hz", "nu_y_hz", "tap", "delays_s", "scale"):
        np.testing.assert_array_equal(getattr(ra, name), getattr(rb, name))
    np.testing.assert_allclose(a.bank, b.bank, rtol=1e-4, atol=1e-5 * float(a.bank.max()))
    assert b.cache.n == a.cache.n + int((ue % 3 == 0).sum())  # the other links were drawn too


def _mean(run, col: str) -> float:
    v = run.ue[col].to_numpy(dtype=float)
    return float(np.nanmean(v))


def test_short_moving_run_with_cdl_is_plausible():
    """A 1 s moving run with CDL against the same run with TDL-C: first-tx BLER near the OLLA
    target and throughput within a factor of 1.5 (both carry the same calls)."""
    extra = ["deployment.ue.per_sector=2", "radio.bandwidth_mhz=20", "mobility.duration_s=1.0",
             "slots.warmup_slots=600"]
    cdl = run_mobile_calls(load_config("video-calls-uma", extra + ["slots.fading.model=cdl-38901"]))
    tdl = run_mobile_calls(load_config("video-calls-uma", extra))
    target = 0.1
    assert abs(_mean(cdl, "bler_first_tx") - target) < BLER_TOL
    ratio = _mean(cdl, "throughput_bps") / _mean(tdl, "throughput_bps")
    assert 1 / 1.5 < ratio < 1.5
    assert np.isfinite(cdl.ue["csi_sinr_db"]).all()


def test_short_static_video_run_with_cdl_is_plausible():
    """A static video-call slot run (on the call core) with CDL: every UE reports a finite
    SINR, first-tx BLER near the OLLA target, throughput within a factor of 1.5 of TDL-C."""
    base = ["deployment.rings=0", "deployment.ue.per_sector=3", "radio.bandwidth_mhz=20", "slots.enabled=true",
            "slots.n_slots=600", "slots.warmup_slots=200", "slots.traffic.model=video_call",
            "slots.scheduler.name=qos", "slots.uplink.enabled=true"]
    s_cdl, c_cdl = run_static_calls(load_config("uma-default", base + ["slots.fading.model=cdl-38901"]))
    s_tdl, c_tdl = run_static_calls(load_config("uma-default", base))
    ue = s_cdl.drops[0].ue
    assert np.isfinite(ue["mean_sinr_db"]).all()
    assert abs(_mean(c_cdl, "bler_first_tx") - 0.1) < BLER_TOL
    ratio = _mean(c_cdl, "throughput_bps") / _mean(c_tdl, "throughput_bps")
    assert 1 / 1.5 < ratio < 1.5
    # the same seed gives the same run
    _, again = run_static_calls(load_config("uma-default", base + ["slots.fading.model=cdl-38901"]))
    np.testing.assert_array_equal(again.ue["throughput_bps"].to_numpy(), c_cdl.ue["throughput_bps"].to_numpy())


def test_static_bank_equals_the_static_slot_engines_serving_link():
    """Static UEs: the core's bank (links drawn by UE from the static drop's LOS state and
    shadow fading, random directions of the static engine) equals the static slot engine's
    CDL traces of the same serving links (:func:`nrsim.channel.fading.cdl.cdl_slot_fading`,
    all modelled links drawn together) slot by slot."""
    base = ["deployment.rings=0", "deployment.ue.per_sector=3", "radio.bandwidth_mhz=20", "slots.enabled=true",
            "slots.n_slots=60", "slots.warmup_slots=10", "slots.traffic.model=video_call",
            "slots.fading.model=cdl-38901", "slots.fading.outdoor_ue_speed_kmh=30"]
    cfg = load_config("uma-default", base)
    sd = slot_drop(cfg, 0)
    n_prb = n_rb(cfg.radio.bandwidth_mhz, SCS_KHZ, cfg.channel.fc_ghz)
    freqs = prb_centre_frequencies_hz(n_prb, SCS_KHZ)
    speed = static_fading_speed_kmh(cfg, sd.indoor)
    old_bank, traces = cdl_slot_fading(cfg, channel_params(cfg), sd.ues, sd.layout, sd.los, sd.shadow_fading_db,
                                       sd.link_cell, speed, freqs, slot_duration_s(SCS_KHZ), drop=0)
    f, md, _ = _fading(static_call_config(cfg), constant_velocity=True, speed_kmh=speed)
    np.testing.assert_array_equal(md.state.ues.xy_m, sd.ues.xy_m)
    for k in range(3):
        f.fill(k, sd.serving_cell)
        for q in (0, 9, f.n_sub - 1):
            t = k * f.n_sub + q
            new = f.bank[np.arange(f.n_ue) * f.n_sub + q]
            ref = old_bank[traces.rows(t)[:, 0]]
            np.testing.assert_allclose(new, ref, rtol=0, atol=ORACLE_REL_TOL * float(ref.max()))
