"""Progress of long runs: the stage (drop, capacity-sweep point) as ``status`` texts from the
run modes, and the CLI bar with time elapsed and time left."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import nrsim
from nrsim.cli.app import app
from nrsim.runs.stages import drop_stages, staged_progress, sweep_stages

MOBILITY_TINY = ["deployment.rings=0", "deployment.ue.per_sector=2", "mobility.duration_s=1"]
"""One site, 6 moving UEs, 1 s = 100 steps of 10 ms per drop."""


def test_staged_progress_names_the_stage_each_count_falls_in() -> None:
    stages = drop_stages("slots", 2, 10) + sweep_stages([1, 3], 2, 10)
    seen: list[str] = []
    counts: list[tuple[int, int]] = []
    cb = staged_progress(stages, lambda d, n: counts.append((d, n)), seen.append)
    for done in (0, 5, 9, 10, 19, 20, 35, 40, 59, 60):
        cb(done, 60)
    assert seen == [  # each change once, in order; past the end the last stage
        "drop 1/2: slots", "drop 2/2: slots",
        "capacity point 1/2 (1 calls per cell), drop 1/2: video calls",
        "capacity point 1/2 (1 calls per cell), drop 2/2: video calls",
        "capacity point 2/2 (3 calls per cell), drop 1/2: video calls",
        "capacity point 2/2 (3 calls per cell), drop 2/2: video calls",
    ]
    assert counts[-1] == (60, 60) and len(counts) == 10  # every count forwarded


def test_staged_progress_without_callbacks_or_stages() -> None:
    assert staged_progress(drop_stages("x", 1, 1), None, None) is None
    counts: list[int] = []
    staged_progress([], lambda d, n: counts.append(d), None)(3, 4)  # progress only
    assert counts == [3]


def test_a_mobility_run_reports_its_drops() -> None:
    cfg = nrsim.load_config("mobility-uma", MOBILITY_TINY, drops=2)
    seen: list[str] = []
    counts: list[tuple[int, int]] = []
    nrsim.run(cfg, status=seen.append, progress=lambda d, n: counts.append((d, n)))
    assert seen == ["drop 1/2: time steps", "drop 2/2: time steps"]
    assert counts[-1] == (200, 200)


def test_cli_bar_shows_stage_elapsed_and_time_left(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["run", "mobility-uma", *(a for o in MOBILITY_TINY for a in ("--set", o)),
                                   "--drops", "2", "--out", str(tmp_path / "r")], env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    bar = next(line for line in res.output.splitlines() if "elapsed," in line)
    assert bar.startswith("drop 2/2: time steps") and "200/200" in bar and bar.rstrip().endswith("left")


@pytest.mark.slow
def test_a_call_run_reports_the_capacity_sweep_point() -> None:
    cfg = nrsim.load_config("mobility-uma", [
        "deployment.rings=0", "deployment.ue.per_sector=2", "mobility.duration_s=0.5", "slots.enabled=true",
        "slots.warmup_slots=20", "slots.traffic.model=video_call", "slots.scheduler.name=qos",
        "slots.traffic.capacity_calls_per_cell=[1,2]"], drops=1)
    seen: list[str] = []
    counts: list[tuple[int, int]] = []
    nrsim.run(cfg, status=seen.append, progress=lambda d, n: counts.append((d, n)))
    assert seen == ["drop 1/1: video calls",
                    "capacity point 1/2 (1 calls per cell), drop 1/1: video calls",
                    "capacity point 2/2 (2 calls per cell), drop 1/1: video calls"]
    assert counts[-1][0] == counts[-1][1] == 3 * 50
