"""End-to-end runs: reproducibility, atomic output, shapes, snapshot throughput oracle."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nrsim
from nrsim.link import cqi_sinr_thresholds_db, cqi_table1_efficiency

SMALL = ["deployment.rings=1", "deployment.ue.per_sector=5"]


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    cfg = nrsim.load_config("uma-default", SMALL, drops=2)
    a = nrsim.run(cfg, out_dir=tmp_path / "a")
    b = nrsim.run(cfg, out_dir=tmp_path / "b")
    assert (tmp_path / "a" / "ue.parquet").read_bytes() == (tmp_path / "b" / "ue.parquet").read_bytes()
    assert (tmp_path / "a" / "summary.json").read_bytes() == (tmp_path / "b" / "summary.json").read_bytes()
    c = nrsim.run(nrsim.load_config("uma-default", SMALL, drops=2, seed=2))
    assert not np.array_equal(a.ue["sinr_db"], c.ue["sinr_db"])
    pd.testing.assert_frame_equal(a.ue, b.ue)


def test_streams_are_independent_of_other_models() -> None:
    """Switching shadowing off moves neither the UE drop nor the LOS draws."""
    on = nrsim.run(nrsim.load_config("uma-default", SMALL, drops=1))
    off = nrsim.run(nrsim.load_config("uma-default", [*SMALL, "channel.shadowing=false"], drops=1))
    assert np.array_equal(on.ue["x_m"], off.ue["x_m"])
    assert np.array_equal(on.ue["indoor"], off.ue["indoor"])
    assert np.array_equal(on.ue["o2i_loss_db"], off.ue["o2i_loss_db"])


def test_failed_run_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nrsim.api as api

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(api, "_write_plots", boom)
    out = tmp_path / "res"
    with pytest.raises(RuntimeError):
        nrsim.run(nrsim.load_config("uma-default", SMALL, drops=1), out_dir=out)
    assert not out.exists()
    # only the hidden work folder of finished chunks stays, for resuming
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".res.partial-")
    monkeypatch.undo()
    nrsim.run(nrsim.load_config("uma-default", SMALL, drops=1), out_dir=out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_failed_rerun_keeps_previous_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nrsim.api as api

    out = tmp_path / "res"
    nrsim.run(nrsim.load_config("uma-default", SMALL, drops=1), out_dir=out)
    before = (out / "summary.json").read_bytes()
    monkeypatch.setattr(api, "_write_plots", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("x")))
    with pytest.raises(RuntimeError):
        nrsim.run(nrsim.load_config("uma-default", SMALL, drops=1, seed=5), out_dir=out)
    assert (out / "summary.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".res.partial-")) == ["res"]


def test_snapshot_throughput_oracle() -> None:
    """Throughput = B / n_ue(cell) * SE(CQI(SINR)), recomputed here by a slow loop."""
    res = nrsim.run(nrsim.load_config("uma-default", SMALL, drops=1))
    ue = res.ue
    th = cqi_sinr_thresholds_db("vienna_lte_ll_dl_bler10")
    eff = cqi_table1_efficiency()
    counts = ue["serving_cell"].value_counts().to_dict()
    for _, row in ue.iterrows():
        cqi = sum(1 for t in th if t <= row["sinr_db"])
        se = 0.0 if cqi == 0 else eff[cqi - 1]
        expected = 100e6 / counts[row["serving_cell"]] * se
        assert math.isclose(row["throughput_bps"], expected, rel_tol=1e-12, abs_tol=1e-6)
    cell = res.cell
    assert cell["n_ue"].sum() == len(ue)
    # cell sums are kept exactly in units of 2^-32 bit/s/Hz (chunk-independent)
    assert math.isclose(cell["throughput_bps"].sum(), ue["throughput_bps"].sum(), rel_tol=1e-9)


def test_serving_cell_is_strongest_and_sinr_below_sir_and_snr() -> None:
    res = nrsim.run(nrsim.load_config("uma-default", SMALL, drops=1))
    ue = res.ue
    assert (ue["sinr_db"] <= ue["sir_db"] + 1e-9).all()
    assert (ue["sinr_db"] <= ue["snr_db"] + 1e-9).all()


@pytest.mark.parametrize("preset", ["umi-default", "rma-default", "inh-office", "single-site", "uma-7site"])
def test_every_preset_runs(preset: str) -> None:
    res = nrsim.run(nrsim.load_config(preset, ["deployment.ue.per_sector=2"], drops=1))
    assert len(res.ue) == 2 * res.summary["kpis"]["n_cells"]
    assert np.isfinite(res.ue["sinr_db"]).all()


def test_zero_ues() -> None:
    res = nrsim.run(nrsim.load_config("uma-default", ["deployment.ue.per_sector=0", "deployment.rings=1"], drops=1))
    assert len(res.ue) == 0
    assert res.summary["kpis"]["n_ue"] == 0


def test_shannon_link_model() -> None:
    res = nrsim.run(nrsim.load_config("uma-default", [*SMALL, "link.model=shannon"], drops=1))
    assert res.ue["spectral_efficiency_bps_per_hz"].max() <= 4.4
