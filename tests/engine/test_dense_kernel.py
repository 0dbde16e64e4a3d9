"""The compiled dense kernel against the NumPy reference chain (channel.large_scale +
radio.link_budget), fed the same random variates: link by link, every scenario."""

from __future__ import annotations

import numpy as np
import pytest

import nrsim
import dataclasses

from nrsim.engine import build_layout, snapshot_drop
from nrsim.engine.snapshot import prepare_drop, radio_chunk
from nrsim.link import SUBCARRIERS_PER_RB, n_rb
from nrsim.radio import downlink_sinr, noise_power_dbm, rsrp_dbm, serving_cell

# The reference holds coupling gains in float32 (0.01 dB resolution at worst); the kernel
# works in float64. Agreement to 1e-3 dB is far below any modelling tolerance.
TOL_DB = 1e-3


def _reference(cfg, reference_large_scale, bilinear: bool = False):
    """Drop 0 of cfg through the NumPy reference path (one block) and the radio functions."""
    ues, layout, ls = reference_large_scale(cfg, bilinear=bilinear)
    rx = cfg.radio.tx_power_dbm + ls.coupling_gain_db.astype(np.float64)
    n_sc = n_rb(cfg.radio.bandwidth_mhz, cfg.radio.scs_khz, cfg.channel.fc_ghz) * SUBCARRIERS_PER_RB
    rsrp = rsrp_dbm(rx, n_sc)
    serv = serving_cell(rsrp, preferred_cell=ues.home_cell, margin_db=cfg.radio.handover_margin_db)
    noise = noise_power_dbm(cfg.radio.bandwidth_mhz * 1e6, cfg.radio.ue_noise_figure_db)
    sinr, sir, _ = downlink_sinr(rx, serv, noise, load=cfg.radio.load)
    rows = np.arange(ues.n_ue)
    site = layout.cell_site[serv]
    return dict(serving_cell=serv, sinr_db=sinr, sir_db=sir, rsrp_dbm=rsrp[rows, serv],
                coupling_loss_db=-rx[rows, serv] + cfg.radio.tx_power_dbm,
                los=ls.los[rows, site], pathloss_db=ls.pathloss_db[rows, site],
                shadow_fading_db=ls.shadow_fading_db[rows, site])


CASES = [
    ("uma-default", ["deployment.ue.per_sector=8"]),
    ("uma-default", ["deployment.ue.per_sector=8", "radio.handover_margin_db=3", "radio.load=0.5"]),
    ("uma-default", ["deployment.ue.per_sector=5", "antenna.mech_downtilt_deg=6", "antenna.etilt_deg=96"]),
    ("uma-default", ["deployment.ue.per_sector=5", "antenna.model=element", "channel.shadowing=false"]),
    ("uma-default", ["deployment.ue.per_sector=5", "antenna.model=omni", "deployment.wraparound=false"]),
    ("umi-default", ["deployment.ue.per_sector=8"]),
    ("rma-default", ["deployment.ue.per_sector=8"]),
    ("inh-office", ["deployment.ue.per_sector=8"]),
    ("inh-office", ["deployment.ue.per_sector=8", "channel.inh_variant=mixed"]),
    ("uma-default", ["deployment.ue.per_sector=8", "channel.los_spatial_consistency=true"]),
    ("umi-default", ["deployment.ue.per_sector=8", "channel.los_spatial_consistency=true"]),
    ("rma-default", ["deployment.ue.per_sector=8", "channel.los_spatial_consistency=true"]),
    ("inh-office", ["deployment.ue.per_sector=8", "channel.los_spatial_consistency=true"]),
    ("uma-default", ["deployment.ue.per_sector=5", "channel.shadowing=false", "channel.los_spatial_consistency=true"]),
]
BILINEAR_CASES = [
    ("uma-default", ["deployment.ue.per_sector=8"]),
    ("uma-default", ["deployment.ue.per_sector=8", "channel.los_spatial_consistency=true"]),
    ("rma-default", ["deployment.ue.per_sector=8", "channel.los_spatial_consistency=true"]),
    ("inh-office", ["deployment.ue.per_sector=8", "channel.los_spatial_consistency=true"]),
    ("uma-default", ["deployment.ue.per_sector=5", "channel.shadowing=false"]),
]


@pytest.mark.parametrize(
    "preset, overrides, bilinear",
    [(*c, False) for c in CASES] + [(*c, True) for c in BILINEAR_CASES],
)
def test_kernel_matches_numpy_reference(preset: str, overrides: list[str], bilinear: bool,
                                        reference_large_scale) -> None:
    cfg = nrsim.load_config(preset, overrides, drops=1)
    ref = _reference(cfg, reference_large_scale, bilinear)
    if bilinear:  # the field reads of moving UEs (engine.mobility)
        state = dataclasses.replace(prepare_drop(cfg, 0), bilinear=True)
        got = radio_chunk(cfg, state, 0, state.ues.n_ue)
    else:
        got = snapshot_drop(cfg, 0).ue
    # serving cells may differ only on exact ties within the tolerance
    same = got["serving_cell"] == ref["serving_cell"]
    assert same.mean() > 0.995
    for key in ("sinr_db", "sir_db", "rsrp_dbm", "coupling_loss_db", "pathloss_db", "shadow_fading_db"):
        diff = np.abs(got[key][same] - ref[key][same])
        finite = np.isfinite(ref[key][same])
        assert np.all(diff[finite] < TOL_DB), (key, diff[finite].max())
    assert np.array_equal(got["los"][same], ref["los"][same])


def test_per_cell_tilt_and_power_arrays() -> None:
    """Per-cell arrays equal to the config's values change nothing; a different tilt or
    power on one cell changes only that cell's links."""
    import dataclasses

    from nrsim.engine import build_layout

    cfg = nrsim.load_config("uma-default", ["deployment.ue.per_sector=10", "radio.load=1"], drops=1)
    layout = build_layout(cfg)
    n = layout.n_cells
    same = dataclasses.replace(
        layout,
        cell_tx_power_dbm=np.full(n, cfg.radio.tx_power_dbm),
        cell_etilt_deg=np.full(n, cfg.antenna.etilt_deg),
        cell_mech_downtilt_deg=np.zeros(n),
    )
    a = snapshot_drop(cfg, 0, layout=layout).ue
    b = snapshot_drop(cfg, 0, layout=same).ue
    for key in ("sinr_db", "coupling_loss_db", "serving_cell"):
        assert np.array_equal(a[key], b[key])
    # cell 0 tilted 6 deg further down electrically and 3 dB quieter
    et = np.full(n, cfg.antenna.etilt_deg)
    et[0] = cfg.antenna.etilt_deg + 6.0
    tx = np.full(n, cfg.radio.tx_power_dbm)
    tx[0] -= 3.0
    c = snapshot_drop(cfg, 0, layout=dataclasses.replace(layout, cell_etilt_deg=et, cell_tx_power_dbm=tx)).ue
    from nrsim.channel.tr38901.antenna import column_array_gain_dbi

    served0 = (a["serving_cell"] == 0) & (c["serving_cell"] == 0)
    assert served0.any()
    # expected change of the coupling gain of cell 0: the array gain at the UE's angle
    # with the new tilt minus with the old one (the element pattern is unchanged)
    ue_xy = np.stack([a["x_m"][served0], a["y_m"][served0]], axis=1)
    site = layout.site_xy_m[0]
    d2d = np.hypot(*(ue_xy - site).T)
    dz = a["height_m"][served0] - layout.site_height_m[0]
    theta = np.degrees(np.arctan2(d2d, dz))
    phi = np.degrees(np.arctan2(ue_xy[:, 1] - site[1], ue_xy[:, 0] - site[0])) - layout.cell_bearing_deg[0]
    new = column_array_gain_dbi(theta, phi, 10, 0.5, et[0])
    old = column_array_gain_dbi(theta, phi, 10, 0.5, cfg.antenna.etilt_deg)
    got = a["coupling_loss_db"][served0] - c["coupling_loss_db"][served0]
    assert np.allclose(got, new - old, atol=1e-6)
    # UEs served by cells of other sites keep their serving coupling loss
    other = (layout.cell_site[a["serving_cell"]] != 0) & (a["serving_cell"] == c["serving_cell"])
    assert np.allclose(a["coupling_loss_db"][other], c["coupling_loss_db"][other])
