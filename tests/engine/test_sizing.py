"""Size guard: estimate before any work, refuse what does not fit, escape hatch, and the
estimate against the measured peak memory of real runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import nrsim
import nrsim.sizing as sizing
from nrsim.cli.app import app
from nrsim.errors import ConfigError

runner = CliRunner()
GIB = 2**30
FACTOR = 2.0
"""The estimate's stated accuracy: within a factor of 2 of the measured peak resident set."""
HUGE = ["--set", "deployment.ue.per_sector=50000"]  # national-10k: 50,000 x 30,000 cells = 1.5e9 UEs


@pytest.fixture
def memory_16gib(monkeypatch):
    monkeypatch.setattr(sizing, "available_memory_bytes", lambda: 16 * GIB)


def test_counts_by_hand() -> None:
    est = sizing.estimate_size(nrsim.load_config("uma-default", drops=2))
    assert (est.engine, est.n_ue, est.n_cells, est.n_sites, est.links_per_ue, est.drops) == (
        "snapshot", 570, 57, 19, 57, 2)
    est = sizing.estimate_size(nrsim.load_config("national-10k", ["interference.mode=sparse"]))
    assert est.n_ue == 34 * 30_000 and est.links_per_ue == 192 * 3  # k nearest sites x 3 cells
    est = sizing.estimate_size(nrsim.load_config("mobility-uma", ["mobility.duration_s=2"]))
    assert est.engine == "mobility" and est.steps == 200 and est.terms["trajectories"] == 16 * 570 * 201


def test_1_5e9_ues_exit_2_before_any_folder(tmp_path, memory_16gib) -> None:
    out = tmp_path / "res"
    res = runner.invoke(app, ["run", "national-10k", *HUGE, "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "1,500,000,000 UEs per drop" in res.output and "estimated peak memory" in res.output
    assert "deployment.ue.per_sector" in res.output and "--no-size-check" in res.output
    assert list(tmp_path.iterdir()) == []  # no result folder, no work folder
    res = runner.invoke(app, ["validate", "national-10k", *HUGE])
    assert res.exit_code == 2 and "estimated peak memory" in res.output


def test_validate_prints_the_estimate() -> None:
    res = runner.invoke(app, ["validate", "uma-default"])
    assert res.exit_code == 0, res.output
    assert "estimate: snapshot run: 570 UEs x 4 drop(s)" in res.output and "32,490 UE-cell links" in res.output


def test_escape_hatch(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sizing, "available_memory_bytes", lambda: 2**20)  # 1 MiB: nothing fits
    small = ["single-site", "--set", "deployment.ue.per_sector=5", "--drops", "1"]
    res = runner.invoke(app, ["run", *small, "--out", str(tmp_path / "a")])
    assert res.exit_code == 2 and "too large for this machine" in res.output
    res = runner.invoke(app, ["run", *small, "--out", str(tmp_path / "b"), "--no-size-check"])
    assert res.exit_code == 0, res.output
    cfg = nrsim.load_config("single-site", ["deployment.ue.per_sector=5"], drops=1)
    with pytest.raises(ConfigError, match="too large"):
        nrsim.run(cfg)
    monkeypatch.setenv(sizing.SIZE_CHECK_ENV, "1")
    assert nrsim.run(cfg).summary["kpis"]["n_ue"] == 15


def test_status_tells_the_phases() -> None:
    seen: list[str] = []
    nrsim.run(nrsim.load_config("single-site", ["deployment.ue.per_sector=5"], drops=2), status=seen.append)
    assert seen[0] == "building the layout"
    assert "drop 1/2: drawing 15 UEs and the shadow-fading grids" in seen
    assert "drop 2/2: drawing 15 UEs and the shadow-fading grids" in seen and seen[-1] == "writing the results"


def test_available_memory_is_known_here() -> None:
    avail = sizing.available_memory_bytes()
    assert avail is not None and 0 < avail < 2**50


_CHILD = """
import json, resource, sys, tempfile
import nrsim
from nrsim.sizing import estimate_size
scn, over, chunk = json.loads(sys.argv[1])
cfg = nrsim.load_config(scn, over, drops=1)
est = estimate_size(cfg, chunk_ues=chunk)
with tempfile.TemporaryDirectory() as d:
    nrsim.run(cfg, out_dir=d + "/r", chunk_ues=chunk, size_check=False)
# VmHWM: this process's own peak (ru_maxrss also keeps the forking parent's, here pytest's)
try:
    peak = [int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps([est.peak_memory_bytes, peak]))
"""


def _measure(scn: str, over: list[str], chunk: int | None) -> tuple[int, int]:
    src = str(Path(nrsim.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps([scn, over, chunk])], check=True,
                         capture_output=True, text=True, env=env)
    est, peak = json.loads(out.stdout.strip().splitlines()[-1])
    return est, peak


@pytest.mark.parametrize("scn, over, chunk", [
    pytest.param("uma-default", ["deployment.ue.per_sector=5"], None, id="small-570-ues"),
    pytest.param("uma-default", ["deployment.ue.per_sector=4000"], 200_000, id="medium-228k-ues",
                 marks=pytest.mark.slow),
    pytest.param("mobility-uma", ["mobility.duration_s=5", "deployment.ue.per_sector=60"], None,
                 id="medium-mobility", marks=pytest.mark.slow),
])
def test_estimate_within_factor_2_of_measured_peak(scn, over, chunk) -> None:
    # the estimate leaves out the one-time JIT compilation of the kernels (about +700 MiB in
    # the first run after an install): compile them here, into numba's on-disk cache, first
    nrsim.run(nrsim.load_config(scn, [*over[:-1], "deployment.ue.per_sector=1"], drops=1), size_check=False)
    est, peak = _measure(scn, over, chunk)
    assert peak / FACTOR <= est <= peak * FACTOR, (est / 2**20, peak / 2**20)
