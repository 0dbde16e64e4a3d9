"""The slot engine's clustered fast fading, ``slots.fading.model = "cdl-38901"``."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.api import load_config
from nrsim.channel.fading.cdl import cdl_slot_fading, engine_panels, slot_links
from nrsim.channel.tr38901.coefficients import frequency_response
from nrsim.channel.tr38901.draws import cluster_key
from nrsim.channel.tr38901.links import link_channels
from nrsim.channel.tr38901.lsp import LspFields
from nrsim.channel.large_scale import field_area
from nrsim.engine.calls import check_call_config
from nrsim.engine.slot_setup import slot_drop
from nrsim.engine.slots import run_slots
from nrsim.engine.snapshot import channel_params
from nrsim.errors import ConfigError
from nrsim.link.frame import prb_centre_frequencies_hz, slot_duration_s
from nrsim.rng import stream

SMALL = ["slots.fading.model=cdl-38901", "deployment.ue.per_sector=1", "radio.bandwidth_mhz=20",
         "slots.n_slots=40", "slots.warmup_slots=10", "slots.n_interferers=2"]
MEAN_GAIN_TOL = 0.1
"""|mean small-scale gain - 1| over 57 UEs x 3 links x 40 slots x 51 PRBs: the gain of a link
is the ray sum over its expected power, so the mean is 1 up to the sampling of the random
ray phases (per link a unit-mean variable; the mean of ~170 links, each averaged over 51 PRBs
and 40 slots, has a standard error of a few %)."""


@pytest.fixture(scope="module")
def setup():
    cfg = load_config("slots-uma-fullbuffer", SMALL)
    sd = slot_drop(cfg, 0)
    freqs = prb_centre_frequencies_hz(51, 30)
    ue_speed = np.full(sd.n_ue, 3.0)
    bank, traces = cdl_slot_fading(cfg, channel_params(cfg), sd.ues, sd.layout, sd.los, sd.shadow_fading_db,
                                   sd.link_cell, ue_speed, freqs, slot_duration_s(30), drop=0)
    return cfg, sd, freqs, bank, traces


def test_slot_zero_equals_the_reference_chain(setup):
    """Slot 0 of the bank = |H(0, f)|^2 / sum of ray powers, H from the drop-time taps of
    link_channels (the channel_taps kernel and frequency_response, not the refresh), for the
    engine's column antenna and one vertical UE antenna."""
    cfg, sd, freqs, bank, traces = setup
    rows = traces.rows(0)
    params = channel_params(cfg)
    links = slot_links(sd.ues, sd.layout, params, sd.los, sd.shadow_fading_db, sd.link_cell)
    bs, ue = engine_panels(params)
    lo, extent = field_area(sd.ues)
    fields = LspFields(params.scenario, params.fc_ghz, lo, extent, sd.layout.n_sites,
                       rng=stream(cfg.seed, "lsp", drop=0))
    ch = link_channels(links, params.scenario, params.fc_ghz, fields, bs, ue, key=cluster_key(cfg.seed, 0),
                       spreads=False)
    h = frequency_response(ch.taps, ch.delays_s, freqs)[:, 0, 0, :]  # [link, prb]
    g = bank[rows.reshape(-1)]
    p = np.abs(h) ** 2
    scale = np.median(g / p, axis=1, keepdims=True)  # one positive constant per link (the normalisation)
    assert np.all(scale > 0)
    err = np.abs(g - scale * p) / (scale * p).max(axis=1, keepdims=True)
    assert err.max() < 1e-4


def test_unit_mean_and_los_state(setup):
    cfg, sd, freqs, bank, traces = setup
    g = np.stack([bank[traces.rows(t)] for t in range(0, 40, 3)])  # [slot, ue, link, prb]
    assert abs(g.mean() - 1.0) < MEAN_GAIN_TOL
    # LOS links (Rician, K median 9 dB) fade less than NLOS links (Rayleigh): the spread of
    # the gain over PRBs and slots
    los = sd.los[np.arange(sd.n_ue)[:, None], sd.layout.cell_site[sd.link_cell]] & ~sd.indoor[:, None]
    spread_db = np.std(10 * np.log10(np.maximum(g, 1e-12)), axis=(0, 3))  # [ue, link]
    if los.any():
        assert np.median(spread_db[los]) < np.median(spread_db[~los])


def test_rows_random_access_is_order_free(setup):
    """A chunk is recomputed from exact phasors at its first slot: reading slots out of order
    gives the same gains."""
    cfg, sd, freqs, bank, traces = setup
    a = bank[traces.rows(37)].copy()
    b0 = bank[traces.rows(2)].copy()
    assert not np.allclose(a, b0)
    np.testing.assert_array_equal(bank[traces.rows(37)], a)


def test_run_and_kpis():
    """A short run: every UE gets a finite SINR; the channel changes between slots."""
    cfg = load_config("slots-uma-fullbuffer", SMALL)
    r = run_slots(cfg)
    ue = r.drops[0].ue
    assert np.isfinite(ue["mean_sinr_db"]).all()
    assert ue["throughput_bps"].sum() > 0


def test_unsupported_cases_raise():
    with pytest.raises(ConfigError) as e:
        cfg = load_config("rma-default", ["slots.enabled=true", "slots.fading.model=cdl-38901",
                                          "deployment.ue.per_sector=1", "radio.bandwidth_mhz=20"])
        sd = slot_drop(cfg, 0)
        cdl_slot_fading(cfg, channel_params(cfg), sd.ues, sd.layout, sd.los, sd.shadow_fading_db, sd.link_cell,
                        np.zeros(sd.n_ue), prb_centre_frequencies_hz(51, 30), 0.5e-3, drop=0)
    assert e.value.field == "slots.fading.model"
    # moving UEs: the call core takes the clustered channel (nrsim.engine.call_fading) where it
    # has Table 7.5-6 parameters; checked when the config is loaded
    check_call_config(load_config("video-calls-uma", ["slots.fading.model=cdl-38901"]))
    with pytest.raises(ConfigError) as e:
        load_config("rma-default", ["slots.fading.model=cdl-38901", "mobility.enabled=true", "slots.enabled=true",
                                    "slots.traffic.model=video_call", "mobility.duration_s=1"])
    assert e.value.field == "slots.fading.model"
    check_call_config(load_config("video-calls-uma"))  # the TDL default passes


def test_channel_option_keys():
    with pytest.raises(ConfigError, match="oxygen_absorption"):
        load_config("uma-6ghz", ["channel.oxygen_absorption=true"])
    cfg = load_config("uma-70ghz", ["channel.oxygen_absorption=true", "channel.fc_ghz=60"])
    assert cfg.channel.oxygen_absorption
    with pytest.raises(ConfigError, match="blockage_blockers"):
        load_config("uma-6ghz", ["channel.blockage=model_a", "channel.blockage_blockers=65"])
    with pytest.raises(ConfigError):
        load_config("uma-6ghz", ["channel.blockage=model_b"])


def test_no_ues(setup):
    """A drop without UEs: empty bank and rows of the right shape."""
    import dataclasses

    from nrsim.deployment.ue_drop import UeDrop
    cfg, sd, freqs, _, _ = setup
    u0 = UeDrop(**{f.name: getattr(sd.ues, f.name)[:0] for f in dataclasses.fields(sd.ues)})
    bank, tr = cdl_slot_fading(cfg, channel_params(cfg), u0, sd.layout, sd.los[:0], sd.shadow_fading_db[:0],
                               sd.link_cell[:0], np.zeros(0), freqs, 0.5e-3, drop=0)
    assert bank.shape == (0, 51) and tr.rows(3).shape == (0, sd.link_cell.shape[1])
