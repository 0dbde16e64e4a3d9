"""The slot engine: compiled kernels against NumPy oracles, the large-scale set-up, and runs
through the public API (outputs, reproducibility, progress, schedulers, plugin, no UEs)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nrsim
from nrsim.engine import slot_kernels as sk
from nrsim.engine.slot_setup import slot_drop, strongest_links
from nrsim.link.level import link_level
from nrsim.link.eesm import eesm_effective_sinr_lin
from nrsim.units import db_to_lin

SMALL = ["deployment.rings=1", "deployment.ue.per_sector=3", "radio.bandwidth_mhz=20",
         "slots.enabled=true", "slots.n_slots=120", "slots.warmup_slots=20"]


def _random_links(rng, n_ue=7, n_cells=5, n_link=3, n_prb=12):
    serving = rng.integers(0, n_cells, n_ue)
    link_cell = np.stack([serving, (serving + 1) % n_cells, (serving + 3) % n_cells], axis=1)[:, :n_link]
    link_rx = rng.exponential(1e-9, (n_ue, n_link))
    bank = rng.exponential(1.0, (30, n_prb)).astype(np.float32)
    rows = rng.integers(0, 30, (n_ue, n_link))
    rbg_first = np.array([0, 4, 8, 12])
    active = rng.random((n_cells, 3)) < 0.7
    resid = rng.exponential(1e-11, n_ue)
    return serving, link_cell, link_rx, bank, rows, rbg_first, active, resid


def _sinr_oracle(u, link_cell, link_rx, bank, rows, rbg_first, active, resid, noise):
    out = []
    for r in range(len(rbg_first) - 1):
        for p in range(rbg_first[r], rbg_first[r + 1]):
            s = link_rx[u, 0] * bank[rows[u, 0], p]
            i = resid[u] + noise + sum(
                link_rx[u, k] * bank[rows[u, k], p] for k in range(1, link_cell.shape[1]) if active[link_cell[u, k], r]
            )
            out.append(s / i)
    return np.array(out)


def test_dl_kernel_matches_oracle() -> None:
    rng = np.random.default_rng(1)
    serving, link_cell, link_rx, bank, rows, rbg_first, active, resid = _random_links(rng)
    noise = 1e-12
    tx_ue = np.array([0, 2, 5])
    tx_rbg = np.array([[True, False, True], [False, True, False], [True, True, True]])
    beta = np.array([1.6, 5.0, 20.0])
    eff, n = np.empty(3), np.empty(3, dtype=np.int64)
    sk.dl_tx_sinr(tx_ue, tx_rbg, beta, rbg_first, link_cell, link_rx, rows, bank, active, resid, noise, eff, n)
    for i, u in enumerate(tx_ue):
        g = _sinr_oracle(u, link_cell, link_rx, bank, rows, rbg_first, active, resid, noise)
        mask = np.repeat(tx_rbg[i], np.diff(rbg_first))
        assert n[i] == mask.sum()
        assert np.isclose(eff[i], eesm_effective_sinr_lin(g[mask], beta[i]), rtol=1e-9)


def test_csi_kernel_matches_brute_force_cqi() -> None:
    rng = np.random.default_rng(2)
    serving, link_cell, link_rx, bank, rows, rbg_first, active, resid = _random_links(rng, n_ue=20)
    ll = link_level(1)
    thr = db_to_lin(ll.cqi_thr_db)
    noise = 1e-12
    ues = np.arange(20, dtype=np.int64)
    cqi, wb = np.empty((20, 3), dtype=np.int64), np.empty(20)
    sk.csi_measure(ues, rbg_first, link_cell, link_rx, rows, bank, active, resid, noise, thr,
                   np.ascontiguousarray(ll.cqi_beta), cqi, wb)
    for u in ues:
        g = _sinr_oracle(u, link_cell, link_rx, bank, rows, rbg_first, active, resid, noise)
        assert np.isclose(wb[u], g.mean())
        for r in range(3):
            sub = g[rbg_first[r]:rbg_first[r + 1]]
            ok = [q + 1 for q in range(15) if eesm_effective_sinr_lin(sub, ll.cqi_beta[q]) >= thr[q]]
            assert cqi[u, r] == (max(ok) if ok else 0)
    assert len(np.unique(cqi)) > 3


def test_reserve_and_split_kernels() -> None:
    serving = np.array([0, 0, 1, 0])
    cand = np.array([0, 1, 2, 3])
    rbg = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [1, 1, 1, 1], [0, 0, 1, 1]], dtype=bool)
    ok, res = sk.reserve_retx(cand, rbg, serving, 2, 4)
    assert ok.tolist() == [True, False, True, True]
    assert res.tolist() == [[True, True, True, True], [True, True, True, True]]
    reserved = np.array([[False, True, False, False, False, False, False], [False] * 7])
    m = sk.split_contiguous(np.array([0, 0, 1, 1, 1]), reserved)
    assert m[0].tolist() == [1, 0, 1, 1, 0, 0, 0] and m[1].tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert m[2:].sum(axis=1).tolist() == [2, 2, 3] and not (m[2] & m[3]).any()


def test_slot_drop_is_the_snapshot_drop() -> None:
    cfg = nrsim.load_config("uma-default", SMALL, drops=1)
    sd = slot_drop(cfg, 0)
    snap = nrsim.engine.snapshot_drop(cfg, 0).ue
    same = sd.serving_cell == snap["serving_cell"]
    assert same.mean() > 0.99
    cl = -sd.coupling_gain_db[np.arange(sd.n_ue), sd.serving_cell]
    assert np.allclose(cl[same], snap["coupling_loss_db"][same], atol=1e-3)
    g = sd.coupling_gain_db
    links = strongest_links(g, sd.serving_cell, 4)
    assert np.array_equal(links[:, 0], sd.serving_cell)
    for u in range(sd.n_ue):
        others = np.delete(np.arange(sd.layout.n_cells), sd.serving_cell[u])
        best = others[np.argsort(-g[u, others], kind="stable")[:4]]
        assert links[u, 1:].tolist() == best.tolist()


def test_run_writes_outputs_and_is_reproducible(tmp_path: Path) -> None:
    cfg = nrsim.load_config("uma-default", SMALL, drops=2)
    calls = []
    a = nrsim.run(cfg, out_dir=tmp_path / "a", progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (240, 240) and all(t == 240 for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    for f in ("ue.parquet", "cell.parquet", "ue_slots.parquet", "cell_slots.parquet", "summary.json",
              "config.json", "cdf_slots_throughput.png"):
        assert (tmp_path / "a" / f).is_file(), f
    s = json.loads((tmp_path / "a" / "summary.json").read_text())
    k = s["kpis"]["slots"]
    for key in ("user_throughput_bps", "cell_spectral_efficiency_bps_per_hz",
                "user_spectral_efficiency_5pct_bps_per_hz", "bler_first_tx", "mcs_histogram",
                "rank_histogram", "prb_utilisation"):
        assert key in k
    assert sum(k["mcs_histogram"].values()) == k["rank_histogram"]["1"] > 0
    ue = pd.read_parquet(tmp_path / "a" / "ue_slots.parquet")
    assert len(ue) == 2 * 63 and set(ue["drop"]) == {0, 1}
    # M.2412 definitions from the tables
    w = cfg.radio.bandwidth_mhz * 1e6 * k["dl_time_share"]
    assert np.isclose(k["cell_spectral_efficiency_bps_per_hz"], ue["throughput_bps"].sum() / (w * 2 * 21))
    assert np.isclose(k["user_spectral_efficiency_5pct_bps_per_hz"], np.percentile(ue["throughput_bps"], 5) / w)
    b = nrsim.run(cfg, out_dir=tmp_path / "b")
    for f in ("ue_slots.parquet", "cell_slots.parquet", "summary.json"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    c = nrsim.run(nrsim.load_config("uma-default", SMALL, drops=1, seed=9))
    assert not np.array_equal(c.ue_slots["throughput_bps"], a.ue_slots["throughput_bps"][:63])
    pd.testing.assert_frame_equal(a.ue, b.ue)


def test_fading_switch_does_not_move_the_drop() -> None:
    on = nrsim.run(nrsim.load_config("uma-default", SMALL, drops=1))
    off = nrsim.run(nrsim.load_config("uma-default", [*SMALL, "slots.fading.enabled=false"], drops=1))
    assert np.array_equal(on.ue_slots["coupling_loss_db"], off.ue_slots["coupling_loss_db"])
    assert not np.array_equal(on.ue_slots["throughput_bps"], off.ue_slots["throughput_bps"])


@pytest.mark.parametrize("name", ["rr", "max_ci"])
def test_other_schedulers_run(name: str) -> None:
    r = nrsim.run(nrsim.load_config("uma-default", [*SMALL, f"slots.scheduler.name={name}"], drops=1))
    assert r.summary["kpis"]["slots"]["scheduler"] == name
    assert r.ue_slots["throughput_bps"].sum() > 0


def test_plugin_scheduler_from_config(tmp_path: Path) -> None:
    f = tmp_path / "plug.py"
    f.write_text(
        "import numpy as np\n"
        "from nrsim.scheduler import assign_by_metric\n"
        "class Greedy:\n"
        "    def __init__(self, n_ue, weight=1.0):\n"
        "        self.weight = weight\n"
        "    def allocate(self, inp):\n"
        "        return assign_by_metric(self.weight * inp.rate_bits, inp)\n"
        "    def update(self, inp, bits):\n"
        "        pass\n"
    )
    cfg = nrsim.load_config("uma-default", [*SMALL, "slots.scheduler.name=plugin",
                                            f"slots.scheduler.plugin={f}:Greedy",
                                            "slots.scheduler.plugin_params.weight=2.0"], drops=1)
    r = nrsim.run(cfg, allow_plugins=True)
    # a plugin and the built-in max_ci both run on the slot core (nrsim.engine.calls.static_run_on_core)
    ref = nrsim.run(nrsim.load_config("uma-default", [*SMALL, "slots.scheduler.name=max_ci"], drops=1))
    assert r.summary["kpis"]["slots"]["engine"] == "calls"
    assert np.array_equal(r.ue_slots["throughput_bps"], ref.ue_slots["throughput_bps"])
    with pytest.raises(nrsim.ConfigError):
        nrsim.load_config("uma-default", [*SMALL, "slots.scheduler.name=plugin"])


def test_bad_plugin_output_is_a_typed_error(tmp_path: Path) -> None:
    f = tmp_path / "bad.py"
    f.write_text(
        "import numpy as np\n"
        "class AllToEveryone:\n"
        "    def __init__(self, n_ue):\n"
        "        pass\n"
        "    def allocate(self, inp):\n"
        "        return np.ones((inp.n_ue, inp.n_rbg), dtype=bool)\n"
        "    def update(self, inp, bits):\n"
        "        pass\n"
    )
    cfg = nrsim.load_config("uma-default", [*SMALL, "slots.scheduler.name=plugin",
                                            f"slots.scheduler.plugin={f}:AllToEveryone"], drops=1)
    with pytest.raises(nrsim.NrsimError, match="at most 1"):
        nrsim.run(cfg, allow_plugins=True)


def test_no_ues_and_fdd() -> None:
    r = nrsim.run(nrsim.load_config("uma-default", [*SMALL, "deployment.ue.per_sector=0", "slots.uplink.enabled=true"], drops=1))
    assert len(r.ue_slots) == 0 and len(r.cell_slots) == 21
    f = nrsim.run(nrsim.load_config("uma-default", [*SMALL, "slots.duplex=fdd", "slots.uplink.enabled=true"], drops=1))
    k = f.summary["kpis"]["slots"]
    assert k["dl_time_share"] == 1.0 and k["uplink"]["ul_time_share"] == 1.0
    assert k["user_throughput_bps"]["mean"] > 0 and k["uplink"]["user_throughput_bps"]["mean"] > 0


def test_cli_counts_slots(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from nrsim.cli.app import app

    args = ["run", "uma-default", "--drops", "1", "--out", str(tmp_path / "r")]
    for o in SMALL:
        args += ["--set", o]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "slots" in res.output and "120/120" in res.output
    assert "slot simulation" in res.output
