"""SSB beam-based cell selection in the snapshot (engine/ssb_link.py): the single-column path
bit-identical to before, a UE on the boresight of beam b gets beam b, consolidation through
the engine, the dense-form and frequency-range checks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import nrsim
from nrsim.channel.large_scale import UeO2I
from nrsim.deployment.ue_drop import UeDrop
from nrsim.engine import snapshot_drop
from nrsim.engine.snapshot import build_layout, prepare_drop, radio_chunk
from nrsim.engine.ssb_link import SSB_COLUMNS
from nrsim.errors import ConfigError

CONSOLIDATION_TOL_DB = 1e-9  # float64 rounding of dB <-> linear
SMALL = ["deployment.ue.per_sector=3"]


def test_single_column_drop_is_bit_identical_to_before() -> None:
    # pinned from the code before arrays existed (main at be25ffd), uma-default, 3 UEs per
    # sector, drop 1; the default array and the explicit single-column give them bit for bit
    for extra in ([], ["antenna.array=single-column", "antenna.ue_antennas=4"]):
        u = snapshot_drop(nrsim.load_config("uma-default", [*SMALL, *extra]), 1).ue
        assert len(u["ue"]) == 171
        assert float(u["sinr_db"].sum()) == 1106.626924855134
        assert float(u["rsrp_dbm"].sum()) == -17641.384094129782
        assert float(u["coupling_loss_db"].sum()) == 19496.14603694865
        assert u["serving_cell"][:12].tolist() == [4, 0, 0, 11, 1, 1, 2, 2, 2, 3, 55, 3]
        assert float(u["sinr_db"][0]) == -8.371262455217533
        assert not set(SSB_COLUMNS) & set(u)


FLOAT32_RX_TOL_DB = 1e-5  # the beam path sums the interference from float32 powers [dB]


@pytest.mark.parametrize("extra", [[], ["antenna.mech_downtilt_deg=4", "channel.fc_ghz=6", "radio.bandwidth_mhz=20",
                                        "radio.handover_margin_db=3", "radio.load=0.6"]])
def test_beam_path_with_one_beam_per_cell_reproduces_the_kernel(monkeypatch, extra) -> None:
    # the oracle: the drop kernel's own antenna (the 10-element column with its tilts) and
    # its serving-cell choice; the beam path with every cell a one-port single-column panel
    # (one beam) must give the same links, serving cells, RSRP and SINR
    import nrsim.engine.snapshot as snap
    from nrsim.mimo.beam_rsrp import cell_beams

    cfg = nrsim.load_config("uma-default", [*SMALL, *extra])
    ref = snapshot_drop(cfg, 2).ue
    ant = cfg.antenna
    monkeypatch.setattr(snap, "drop_cell_beams", lambda cfg, layout: cell_beams(
        ["single-column"] * layout.n_cells, np.full(layout.n_cells, ant.etilt_deg), fc_ghz=cfg.channel.fc_ghz,
        model=ant.model, n_elements=ant.n_elements, spacing_wl=ant.spacing_wl))
    got = snapshot_drop(cfg, 2).ue
    for k in ("serving_cell", "los", "d_2d_m", "pathloss_db", "shadow_fading_db"):
        np.testing.assert_array_equal(got[k], ref[k])
    for k in ("coupling_loss_db", "rsrp_dbm", "snr_db"):
        np.testing.assert_allclose(got[k], ref[k], rtol=0, atol=1e-9)
    np.testing.assert_allclose(got["sinr_db"], ref["sinr_db"], rtol=0, atol=FLOAT32_RX_TOL_DB)
    assert set(got["best_ssb_beam"].tolist()) == {0}
    np.testing.assert_allclose(got["ssb_rsrp_dbm"], got["rsrp_dbm"], rtol=0, atol=CONSOLIDATION_TOL_DB)


def _ues_at(cfg, xy_m: np.ndarray, height_m: float = 1.5):
    """radio_chunk columns of outdoor UEs at ``xy_m`` (drop 0's fields; home cell 0)."""
    layout = build_layout(cfg)
    state = prepare_drop(cfg, 0, layout=layout)
    n = xy_m.shape[0]
    ues = UeDrop(xy_m=xy_m, height_m=np.full(n, height_m), indoor=np.zeros(n, dtype=bool),
                 floor=np.ones(n, dtype=np.int64), home_cell=np.zeros(n, dtype=np.int64))
    o2i = UeO2I(d_2d_in_m=np.zeros(n), high_loss=np.zeros(n, dtype=bool), loss_db=np.zeros(n))
    return radio_chunk(cfg, dataclasses.replace(state, ues=ues, o2i=o2i), 0, n)


@pytest.mark.parametrize("array", ["32T32R", "64T64R"])
def test_ue_on_the_boresight_of_beam_b_gets_beam_b(array) -> None:
    # one site, cell 0 at bearing 30 deg; FR1 grid: 8 azimuths -52.5..52.5 deg (15-deg
    # steps) at the cell's tilt zenith 102 deg. A UE at 1.5 m and d = 23.5 m x tan(78 deg)
    # from the 25 m mast sees the site at zenith 102 deg.
    cfg = nrsim.load_config("single-site", ["channel.shadowing=false", f"antenna.array={array}"])
    d_m = 23.5 * np.tan(np.radians(78.0))
    az = 30.0 + (-52.5 + 15.0 * np.arange(8))
    xy = d_m * np.stack([np.cos(np.radians(az)), np.sin(np.radians(az))], axis=1)
    cols = _ues_at(cfg, xy)
    assert cols["serving_cell"].tolist() == [0] * 8
    assert cols["best_ssb_beam"].tolist() == list(range(8))
    # no consolidation configured: the cell RSRP is the best beam's, the UE's rsrp_dbm
    np.testing.assert_allclose(cols["ssb_rsrp_dbm"], cols["rsrp_dbm"], rtol=0, atol=CONSOLIDATION_TOL_DB)


def test_consolidation_through_the_engine() -> None:
    base = ["channel.shadowing=false", "antenna.array=32T32R"]
    d_m = 23.5 * np.tan(np.radians(78.0))
    az = 30.0 + np.array([-45.0, -22.5, 0.0, 7.5, 22.5])  # on and between beams
    xy = d_m * np.stack([np.cos(np.radians(az)), np.sin(np.radians(az))], axis=1)
    best = _ues_at(nrsim.load_config("single-site", base), xy)
    # threshold above every beam: TS 38.331 5.5.3.3 takes the best beam
    high = _ues_at(nrsim.load_config("single-site", [*base, "ssb.n_consolidate=2", "ssb.threshold_dbm=-31"]), xy)
    np.testing.assert_allclose(high["ssb_rsrp_dbm"], best["rsrp_dbm"], rtol=0, atol=CONSOLIDATION_TOL_DB)
    # every beam above the threshold: the linear mean of the two best, strictly below the
    # best beam and at least half of it
    two = _ues_at(nrsim.load_config("single-site", [*base, "ssb.n_consolidate=2", "ssb.threshold_dbm=-156"]), xy)
    assert np.all(two["ssb_rsrp_dbm"] < best["rsrp_dbm"])
    assert np.all(two["ssb_rsrp_dbm"] >= best["rsrp_dbm"] - 10 * np.log10(2) - CONSOLIDATION_TOL_DB)
    # on the boresight, midway between beams 3 (-7.5 deg) and 4 (+7.5 deg), both are equal:
    # their mean is the best beam
    assert best["rsrp_dbm"][2] - two["ssb_rsrp_dbm"][2] == pytest.approx(0.0, abs=1e-6)
    # on beam 4 (+7.5 deg) the second best is well below it
    assert best["rsrp_dbm"][3] - two["ssb_rsrp_dbm"][3] > 1.0
    # the downlink (data on the best beam) does not change with the consolidation
    np.testing.assert_array_equal(two["sinr_db"], best["sinr_db"])


def test_beams_raise_the_serving_gain_and_keep_the_columns_consistent() -> None:
    cfg1 = nrsim.load_config("uma-default", SMALL)
    cfg32 = nrsim.load_config("uma-default", [*SMALL, "antenna.array=32T32R"])
    u1, u32 = snapshot_drop(cfg1, 1).ue, snapshot_drop(cfg32, 1).ue
    assert list(u32) == [*[k for k in u1 if k != "serving_cell_id"], *SSB_COLUMNS, "serving_cell_id"]
    assert np.all((u32["best_ssb_beam"] >= 0) & (u32["best_ssb_beam"] < 8))
    # same UEs and large-scale draws: where the serving cell is kept, path loss is the same link
    same = u1["serving_cell"] == u32["serving_cell"]
    assert same.mean() > 0.5
    np.testing.assert_array_equal(u32["pathloss_db"][same], u1["pathloss_db"][same])
    np.testing.assert_array_equal(u32["shadow_fading_db"][same], u1["shadow_fading_db"][same])
    # the best beam of a 128-element panel (26 dBi at its peak) beats the 10-element column
    # (18 dBi): RSRP up, and SINR up (interferers at their beams' mean gain)
    assert np.median(u32["rsrp_dbm"]) > np.median(u1["rsrp_dbm"]) + 5.0
    assert np.median(u32["sinr_db"]) > np.median(u1["sinr_db"])
    assert np.all(u32["sinr_db"] <= u32["snr_db"] + 1e-9)


def test_sparse_form_frequency_range_and_run_modes_are_checked() -> None:
    cases = [
        ("uma-default", ["antenna.array=4T4R", "deployment.wraparound=false", "interference.mode=sparse"],
         "interference.mode", "dense"),
        ("uma-default", ["antenna.array=4T4R", "ssb.n_beams=64"], "ssb.n_beams", "FR1"),
        ("slots-uma-fullbuffer", ["antenna.array=32T32R"], "antenna.array", "single-column"),
        ("mobility-uma", ["antenna.array=64T64R"], "antenna.array", "single-column"),
    ]
    for preset, overrides, field, allowed in cases:
        with pytest.raises(ConfigError) as exc:
            nrsim.load_config(preset, [*SMALL, *overrides])
        assert exc.value.field == field and allowed in str(exc.value)
    # the kernel stand-in refuses the sparse form too (a drop prepared without load_config)
    cfg = nrsim.load_config("uma-default", [*SMALL, "deployment.wraparound=false", "interference.mode=sparse"])
    cfg = cfg.model_copy(update={"antenna": cfg.antenna.model_copy(update={"array": "4T4R"})})
    with pytest.raises(ConfigError) as exc:
        snapshot_drop(cfg, 0)
    assert exc.value.field == "interference.mode"


def test_fr2_default_grid_has_64_beams() -> None:
    cfg = nrsim.load_config("uma-30ghz", ["deployment.ue.per_sector=4", "antenna.array=64T64R", "drops=1"])
    u = snapshot_drop(cfg, 0).ue
    assert u["best_ssb_beam"].min() >= 0 and u["best_ssb_beam"].max() < 64
    assert u["best_ssb_beam"].max() >= 8  # an FR1 grid would stop at 7
