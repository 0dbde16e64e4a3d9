"""Result folders (nrsim.kpi.outdir, issue 11): nothing but an nrsim result is replaced, the
target is checked and locked before any work, stale temporaries are cleaned, and the resume
folder trusts only parts whose checksums and nrsim version match."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import nrsim
from nrsim.cli.app import app
from nrsim.kpi.outdir import MARKER_NAME, host_tag
from nrsim.parallel.resume import MANIFEST_NAME

runner = CliRunner()
SMALL_SET = ["deployment.ue.per_sector=5"]
SMALL = ["single-site", "--set", "deployment.ue.per_sector=5", "--drops", "1"]
REFUSE_S = 5.0
"""A refused target fails at once: far below the seconds a run takes (the CLI's own start-up
and config loading included)."""


def _cfg(drops: int = 1):
    return nrsim.load_config("single-site", SMALL_SET, drops=drops)


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def _dead_pid() -> int:
    """The pid of a process that has exited (reaped, so no longer alive)."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


@pytest.fixture
def live_pid():
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield p.pid
    p.kill()
    p.wait()


# --------------------------------------------------------------------------- 1. the target

def test_folder_with_user_files_is_refused_and_kept(tmp_path: Path) -> None:
    out = tmp_path / "mydata"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    t0 = time.monotonic()
    res = runner.invoke(app, ["run", *SMALL, "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert time.monotonic() - t0 < REFUSE_S
    (line,) = _error_lines(res.output)
    assert str(out) in line and "--force" in line and "not an nrsim result" in line
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]
    assert (out / "thesis.tex").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mydata"]  # no lock, no work folder


def test_existing_file_is_refused_and_kept(tmp_path: Path) -> None:
    out = tmp_path / "notes.txt"
    out.write_text("my notes")
    res = runner.invoke(app, ["run", *SMALL, "--out", str(out)])
    assert res.exit_code == 2, res.output
    (line,) = _error_lines(res.output)
    assert str(out) in line and "existing file" in line
    assert out.read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("target", [".", "..", "CWD"])
def test_current_directory_and_above_are_refused_before_any_work(
    target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "project"
    work.mkdir()
    (work / "data.csv").write_text("1,2\n")
    monkeypatch.chdir(work)
    out = str(work) if target == "CWD" else target
    for force in ([], ["--force"]):
        t0 = time.monotonic()
        res = runner.invoke(app, ["run", *SMALL, "--out", out, *force])
        assert res.exit_code == 2, res.output
        assert time.monotonic() - t0 < REFUSE_S
        (line,) = _error_lines(res.output)
        assert "current directory" in line and "renaming" in line
    assert sorted(p.name for p in work.iterdir()) == ["data.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


def test_force_replaces_a_foreign_folder_with_a_warning(tmp_path: Path) -> None:
    out = tmp_path / "mydata"
    out.mkdir()
    (out / "old.txt").write_text("x")
    res = runner.invoke(app, ["run", *SMALL, "--out", str(out), "--force"])
    assert res.exit_code == 0, res.output
    warn = [line for line in res.output.splitlines() if line.startswith("warning:")]
    assert len(warn) == 1 and str(out) in warn[0] and "moved aside" in warn[0]
    assert not (out / "old.txt").exists() and (out / "summary.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mydata"]  # old folder and lock gone


def test_force_replaces_a_file(tmp_path: Path) -> None:
    out = tmp_path / "notes.txt"
    out.write_text("my notes")
    with pytest.warns(nrsim.OutputWarning, match="is a file"):
        nrsim.run(_cfg(), out_dir=out, force=True)
    assert out.is_dir() and (out / MARKER_NAME).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_marker_and_rerun_on_result_folders(tmp_path: Path) -> None:
    """A result folder carries the marker; a result folder (with the marker, or an older
    nrsim result without it) is replaced by a rerun without --force."""
    cfg = _cfg()
    out = tmp_path / "res"
    nrsim.run(cfg, out_dir=out)
    marker = json.loads((out / MARKER_NAME).read_text())
    assert marker["kind"] == "run" and marker["nrsim_version"] == nrsim.__version__
    assert marker["config_hash"] == nrsim.config_hash(cfg)
    nrsim.run(cfg, out_dir=out)  # replaced
    (out / MARKER_NAME).unlink()  # a result of an nrsim version before the marker
    nrsim.run(cfg, out_dir=out)
    assert (out / MARKER_NAME).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_python_api_refuses_a_foreign_folder(tmp_path: Path) -> None:
    out = tmp_path / "mydata"
    out.mkdir()
    (out / "a.txt").write_text("a")
    calls: list[int] = []
    with pytest.raises(nrsim.OutputPathError, match="not an nrsim result"):
        nrsim.run(_cfg(), out_dir=out, progress=lambda d, t: calls.append(d))
    assert calls == []  # before any work
    assert [p.name for p in out.iterdir()] == ["a.txt"]


# --------------------------------------------------------------------------- 2. writability

@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux /sys (read-only for everyone)")
@pytest.mark.parametrize("target", ["/sys/nrsim-test-out", "/sys/nrsim-test-dir/out"])
def test_unwritable_target_fails_before_any_work(target: str) -> None:
    calls: list[int] = []
    with pytest.raises(nrsim.OutputPathError, match="writable --out"):
        nrsim.run(_cfg(), out_dir=target, progress=lambda d, t: calls.append(d))
    assert calls == []
    res = runner.invoke(app, ["run", *SMALL, "--out", target])
    assert res.exit_code == 2 and len(_error_lines(res.output)) == 1, res.output


def test_read_only_parent_fails_before_any_work(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders (see the /sys variant)")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(nrsim.OutputPathError, match="cannot write in"):
            nrsim.run(_cfg(), out_dir=ro / "out", progress=lambda d, t: pytest.fail("work started"))
    finally:
        ro.chmod(0o755)


# --------------------------------------------------------------------------- 3. the lock

def test_live_lock_refuses_at_once_and_is_left_alone(tmp_path: Path, live_pid: int) -> None:
    out = tmp_path / "x"
    lock = tmp_path / ".x.lock"
    text = json.dumps({"pid": live_pid, "host": socket.gethostname(), "started_utc": "2026-01-01T00:00:00Z"})
    lock.write_text(text)
    res = runner.invoke(app, ["run", *SMALL, "--out", str(out)])
    assert res.exit_code == 2, res.output
    (line,) = _error_lines(res.output)
    assert f"another nrsim run (pid {live_pid}" in line and str(out) in line and "choose another --out" in line
    assert lock.read_text() == text
    assert not out.exists()


def test_stale_lock_is_taken_over_and_released(tmp_path: Path) -> None:
    """A lock of a dead process is taken over; the lock is removed on every exit (here an
    interrupt, then success)."""
    out = tmp_path / "x"
    lock = tmp_path / ".x.lock"
    lock.write_text(json.dumps({"pid": _dead_pid(), "host": socket.gethostname()}))

    def interrupt(done: int, total: int) -> None:
        assert json.loads(lock.read_text())["pid"] == os.getpid()  # taken over
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        nrsim.run(_cfg(), out_dir=out, progress=interrupt)
    assert not lock.exists()
    lock.write_text("")  # a lock file left empty by a process killed right after creating it
    old = time.time() - 60
    os.utime(lock, (old, old))
    nrsim.run(_cfg(), out_dir=out)
    assert not lock.exists() and (out / "summary.json").is_file()


def test_two_runs_on_one_target_second_refused(tmp_path: Path) -> None:
    """Two writers (here two threads) on the same --out: the second fails at once, the first
    finishes with its result."""
    cfg = _cfg(drops=2)
    out = tmp_path / "x"
    first_working = threading.Event()
    second_done = threading.Event()
    errors: list[BaseException] = []

    def slow_progress(done: int, total: int) -> None:
        first_working.set()
        second_done.wait(60)

    def first() -> None:
        try:
            nrsim.run(cfg, out_dir=out, progress=slow_progress, chunk_ues=5)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    t = threading.Thread(target=first)
    t.start()
    assert first_working.wait(60)
    try:
        with pytest.raises(nrsim.OutputPathError, match=rf"another nrsim run \(pid {os.getpid()}"):
            nrsim.run(cfg, out_dir=out)
    finally:
        second_done.set()
        t.join(60)
    assert errors == []
    assert (out / "summary.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"]


# --------------------------------------------------------------------------- 4. stale temporaries

def test_stale_temporaries_of_dead_processes_are_removed(tmp_path: Path, live_pid: int) -> None:
    tag = host_tag()
    dead = _dead_pid()
    stale_tmp = tmp_path / f".x.tmp-{dead}-{tag}-abcd1234"
    stale_old = tmp_path / f".x.old-{dead}-{tag}-0f0f0f0f"
    live_tmp = tmp_path / f".x.tmp-{live_pid}-{tag}-zzzz9999"
    other = tmp_path / f".y.tmp-{dead}-{tag}-abcd1234"  # another target's: not this run's business
    for p in (stale_tmp, stale_old, live_tmp, other):
        p.mkdir()
        (p / "ue.parquet").write_bytes(b"half")
    nrsim.run(_cfg(), out_dir=tmp_path / "x")
    assert not stale_tmp.exists() and not stale_old.exists()
    assert live_tmp.is_dir() and other.is_dir()


def test_temporary_folder_names_carry_pid_and_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nrsim.api as api

    seen: list[str] = []

    def look(folder: Path, cfg, acc) -> None:
        seen.append(folder.name)
        raise RuntimeError("killed while writing")

    monkeypatch.setattr(api, "_write_plots", look)
    with pytest.raises(RuntimeError):
        nrsim.run(_cfg(), out_dir=tmp_path / "x")
    assert seen == [seen[0]] and seen[0].startswith(f".x.tmp-{os.getpid()}-{host_tag()}-")


# --------------------------------------------------------------------------- 5. resume

def _interrupted(cfg, out: Path, chunk: int) -> Path:
    class Killed(Exception):
        pass

    def die(done: int, total: int) -> None:
        if done >= total // 2:
            raise Killed

    with pytest.raises(Killed):
        nrsim.run(cfg, out_dir=out, chunk_ues=chunk, progress=die)
    (work,) = [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.partial-")]
    return work


def test_truncated_part_is_recomputed_same_bytes(tmp_path: Path) -> None:
    cfg = _cfg(drops=3)
    nrsim.run(cfg, out_dir=tmp_path / "ref", chunk_ues=4)
    out = tmp_path / "run"
    work = _interrupted(cfg, out, 4)
    manifest = json.loads((work / MANIFEST_NAME).read_text())
    assert manifest["nrsim_version"] == nrsim.__version__ and manifest["config_hash"] == nrsim.config_hash(cfg)
    parts = sorted(work.glob("*.parquet"))
    assert len(parts) >= 2
    for p in parts:
        assert (work / p.name.replace(".parquet", ".part.json")).is_file()
    data = parts[0].read_bytes()
    parts[0].write_bytes(data[: len(data) // 2])  # truncated (e.g. power loss before the flush)
    (work / parts[1].name.replace(".parquet", ".cells.npy")).unlink()  # a part missing a file
    seen: list[int] = []
    nrsim.run(cfg, out_dir=out, chunk_ues=4, progress=lambda d, t: seen.append(d))
    assert seen[0] == len(parts) - 2  # the two damaged parts were computed again, no others
    for name in ("ue.parquet", "cell.parquet", "summary.json"):
        assert (tmp_path / "ref" / name).read_bytes() == (out / name).read_bytes(), name


def test_resume_folder_of_another_version_is_discarded(tmp_path: Path) -> None:
    cfg = _cfg(drops=3)
    nrsim.run(cfg, out_dir=tmp_path / "ref", chunk_ues=4)
    out = tmp_path / "run"
    work = _interrupted(cfg, out, 4)
    manifest = json.loads((work / MANIFEST_NAME).read_text())
    (work / MANIFEST_NAME).write_text(json.dumps({**manifest, "nrsim_version": "0.0.1"}))
    seen: list[int] = []
    with pytest.warns(nrsim.OutputWarning, match="nrsim 0.0.1"):
        nrsim.run(cfg, out_dir=out, chunk_ues=4, progress=lambda d, t: seen.append(d))
    assert seen[0] == 0
    assert (tmp_path / "ref" / "ue.parquet").read_bytes() == (out / "ue.parquet").read_bytes()


def test_part_of_another_version_is_recomputed(tmp_path: Path) -> None:
    cfg = _cfg(drops=3)
    out = tmp_path / "run"
    work = _interrupted(cfg, out, 4)
    records = sorted(work.glob("*.part.json"))
    rec = json.loads(records[0].read_text())
    records[0].write_text(json.dumps({**rec, "nrsim_version": "0.0.1"}))
    seen: list[int] = []
    nrsim.run(cfg, out_dir=out, chunk_ues=4, progress=lambda d, t: seen.append(d))
    assert seen[0] == len(records) - 1


# --------------------------------------------------------------------------- other commands

def test_calibrate_and_compare_refuse_a_foreign_folder(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "a.txt").write_text("a")
    for argv in (["calibrate", "uma-6ghz", "--drops", "1"],
                 ["compare", "single-site", "single-site", "--set", "deployment.ue.per_sector=2"]):
        t0 = time.monotonic()
        res = runner.invoke(app, [*argv, "--out", str(out)])
        assert res.exit_code == 2, res.output
        assert time.monotonic() - t0 < REFUSE_S
        (line,) = _error_lines(res.output)
        assert str(out) in line and "--force" in line
        assert [p.name for p in out.iterdir()] == ["a.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_report_out_refuses_a_foreign_file(tmp_path: Path) -> None:
    res_dir = tmp_path / "res"
    nrsim.run(_cfg(), out_dir=res_dir)
    mine = tmp_path / "index.html"
    mine.write_text("<html>my homepage</html>")
    res = runner.invoke(app, ["report", str(res_dir), "--out", str(mine)])
    assert res.exit_code == 2, res.output
    (line,) = _error_lines(res.output)
    assert str(mine) in line and "not an nrsim report" in line
    assert mine.read_text() == "<html>my homepage</html>"
    res = runner.invoke(app, ["report", str(res_dir), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "is a folder" in res.output
    res = runner.invoke(app, ["report", str(res_dir), "--out", str(tmp_path / "nowhere" / "r.html")])
    assert res.exit_code == 2 and "does not exist" in res.output
