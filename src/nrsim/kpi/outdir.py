"""Result folders: nothing but an nrsim result is ever replaced, one writer at a time.

Every command that writes a result folder (``nrsim run`` of every kind, ``calibrate --out``,
``compare --out``) goes through :func:`claim_output` before any work and writes through
:func:`atomic_directory`:

* **Marker.** A result folder holds ``.nrsim-result.json`` (:data:`MARKER_NAME`: format,
  nrsim version, kind of result, config hash). Result folders of nrsim versions before the
  marker are recognised by their ``summary.json``/``calibration.json``/``compare.json``.
* **Target check** (before any work; :class:`~nrsim.errors.OutputPathError`, exit 2):
  an existing file, or a non-empty folder that is not an nrsim result, is refused unless
  ``force``; with ``force`` it is moved aside and deleted only once the new result is
  complete (an :class:`~nrsim.errors.OutputWarning` says so; replacing an earlier nrsim
  result, which needs no ``force``, is announced by one too). The current directory, a
  folder above it, the home folder, ``/`` and mount points are refused even with ``force``:
  a result folder is replaced as a whole by renaming, which cannot be done to those.
* **Writability and lock.** An exclusively created lock file ``.<name>.lock`` beside the
  target (pid, host, process start time) is both the writability probe of the parent
  folder and the guard against a second run on the same target. A lock whose process is no
  longer alive on this host is stale and taken over; the lock is removed on every exit.
* **Stale temporaries.** ``.<name>.tmp-<pid>-<host tag>-*`` (a result being written) and
  ``.<name>.old-<pid>-<host tag>-*`` (a replaced result being deleted) of processes that are
  no longer alive on this host are removed when a run on that target starts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nrsim._version import __version__
from nrsim.errors import OutputPathError, OutputWarning

MARKER_NAME = ".nrsim-result.json"
"""The marker file of a result folder (JSON: format, nrsim_version, kind, config_hash)."""

MARKER_FORMAT = 1

CORRUPT_LOCK_AGE_S = 10.0
"""A lock file that cannot be parsed is stale once it is this old (it is written right after
its exclusive creation, so an unreadable one older than this was left by a killed process)."""

_LEGACY_RESULT_FILES = {
    "summary.json": ("nrsim_version", "config_hash"),  # nrsim run
    "calibration.json": ("nrsim_version", "cases"),  # nrsim calibrate
    "compare.json": ("kpi_deltas", "users", "area"),  # nrsim compare
}


def host_tag() -> str:
    """8 hex digits naming this host in temporary folder names."""
    return hashlib.sha1(socket.gethostname().encode("utf-8")).hexdigest()[:8]


def _proc_start(pid: int) -> str | None:
    """Start time of a process (clock ticks since boot, Linux ``/proc``), None elsewhere;
    tells a live process from a later one that reused its pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22; the name in (...) may hold spaces


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


# --------------------------------------------------------------------------- the target

def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of a result folder, or None when ``folder`` is not an nrsim result."""
    folder = Path(folder)
    try:
        data = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
        if isinstance(data, dict) and "nrsim_version" in data and "kind" in data:
            return data
    except (OSError, ValueError):
        pass
    for name, keys in _LEGACY_RESULT_FILES.items():  # written before the marker existed
        try:
            data = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and all(k in data for k in keys):
            return {"nrsim_version": data.get("nrsim_version"), "kind": name.split(".")[0], "legacy": True}
    return None


def target_state(final: Path) -> str:
    """``absent``, ``empty`` (an empty folder), ``result`` (an nrsim result folder), ``file``
    (anything that is not a folder) or ``foreign`` (a non-empty folder that is not a result)."""
    final = Path(final)
    if not final.exists() and not final.is_symlink():
        return "absent"
    if not final.is_dir():
        return "file"
    try:
        if not any(final.iterdir()):
            return "empty"
    except OSError as exc:
        raise OutputPathError(f"{final}: cannot read this folder ({exc.strerror}); choose another --out",
                              path=str(final)) from None
    return "result" if read_marker(final) is not None else "foreign"


def _protected(final: Path) -> str | None:
    """Why ``final`` can never be replaced (renamed away), or None."""
    resolved = final.resolve()
    cwd = Path.cwd().resolve()
    if resolved == cwd:
        return "is the current directory"
    if resolved in cwd.parents:
        return "contains the current directory"
    if resolved == Path(resolved.anchor):
        return "is the root folder"
    try:
        home = Path.home().resolve()
    except (KeyError, RuntimeError):  # no home folder known
        home = None
    if home is not None and (resolved == home or resolved in home.parents):
        return "is (or contains) the home folder"
    if final.is_dir() and os.path.ismount(final):
        return "is a mount point"
    return None


def check_output(final: str | Path, *, force: bool = False) -> str:
    """Refuse a target that must not be replaced (see the module docstring); returns its
    :func:`target_state`. Raises :class:`~nrsim.errors.OutputPathError`, also for a path the
    file system cannot even look at (a name too long, a component that is a file)."""
    try:
        return _check_output(Path(final), force)
    except OSError as exc:
        raise OutputPathError(f"--out {final}: {exc.strerror or exc}; choose another --out",
                              path=str(final)) from None


def _check_output(final: Path, force: bool) -> str:
    why = _protected(final)
    if why is not None:
        raise OutputPathError(
            f"--out {final} {why}: a result folder is replaced as a whole by renaming it, which cannot be "
            f"done to this folder (not even with --force); choose a new folder, e.g. --out results/run1",
            path=str(final))
    state = target_state(final)
    if state == "file" and not force:
        raise OutputPathError(f"--out {final} is an existing file, not a result folder; choose another --out "
                              "(or --force to replace it)", path=str(final))
    if state == "foreign" and not force:
        raise OutputPathError(f"--out {final} is a folder with files that are not an nrsim result (no "
                              f"{MARKER_NAME}); choose another --out (or --force to replace it)", path=str(final))
    return state


REPORT_SIGNATURES = ('<meta name="generator" content="nrsim">', "<title>nrsim report:", "<title>nrsim what-if:")
"""An HTML file whose head holds one of these was written by nrsim (the generator tag; the
titles of reports written before it)."""


def check_report_file(path: str | Path, *, force: bool = False) -> None:
    """Refuse to write a report over a folder, or over an existing file that is not an nrsim
    report unless ``force`` (:class:`~nrsim.errors.OutputPathError`)."""
    try:
        _check_report_file(Path(path), force)
    except OSError as exc:
        raise OutputPathError(f"--out {path}: {exc.strerror or exc}; choose another --out", path=str(path)) from None


def _check_report_file(path: Path, force: bool) -> None:
    if path.is_dir():
        raise OutputPathError(f"--out {path} is a folder; give the report's file name, e.g. {path / 'report.html'}",
                              path=str(path))
    if not path.parent.is_dir():
        raise OutputPathError(f"--out {path}: the folder {path.parent} does not exist; create it or choose another "
                              "--out", path=str(path))
    if not path.exists() or force:
        return
    try:
        with open(path, "rb") as f:
            head = f.read(64 * 1024).decode("utf-8", errors="replace")
    except OSError as exc:
        raise OutputPathError(f"--out {path}: cannot read this file ({exc.strerror})", path=str(path)) from None
    if not any(sig in head for sig in REPORT_SIGNATURES):
        raise OutputPathError(f"--out {path} is an existing file that is not an nrsim report; choose another "
                              "--out (or --force to replace it)", path=str(path))


# --------------------------------------------------------------------------- the lock

def lock_path(final: Path) -> Path:
    return final.parent / f".{final.name}.lock"


def _lock_info() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "proc_start": _proc_start(os.getpid()),
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def _lock_is_stale(info: dict[str, Any] | None, lock: Path) -> bool:
    if info is None:  # unreadable: killed between creating and writing it, or being written now
        try:
            return time.time() - lock.stat().st_mtime > CORRUPT_LOCK_AGE_S
        except OSError:
            return False
    if info.get("host") != socket.gethostname():
        return False  # another host's process: cannot tell, so it is live
    pid = int(info.get("pid", -1))
    if not pid_alive(pid):
        return True
    recorded = info.get("proc_start")
    return recorded is not None and _proc_start(pid) not in (None, recorded)  # pid reused


def _read_lock(lock: Path) -> tuple[str, dict[str, Any] | None]:
    text = lock.read_text(encoding="utf-8")
    try:
        info = json.loads(text)
    except ValueError:
        return text, None
    return text, info if isinstance(info, dict) else None


def _acquire_lock(final: Path) -> Path:
    lock = lock_path(final)
    for _ in range(20):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                text, info = _read_lock(lock)
            except FileNotFoundError:
                continue  # released meanwhile: try again
            except OSError as exc:
                raise OutputPathError(f"{lock}: cannot read this lock file ({exc.strerror})", path=str(final)) from None
            if not _lock_is_stale(info, lock):
                who = (f"pid {info.get('pid')} on {info.get('host')}, started {info.get('started_utc')}"
                       if info else "a run that is starting")
                raise OutputPathError(
                    f"another nrsim run ({who}) is writing {final}; wait for it or choose another --out "
                    f"(if no such run is alive, delete {lock})", path=str(final))
            _take_over(lock, text)
            continue
        except OSError as exc:  # read-only, no permission, no such folder, ...
            raise OutputPathError(f"cannot write in {final.parent} ({exc.strerror}); choose a writable --out",
                                  path=str(final)) from None
        try:
            os.write(fd, json.dumps(_lock_info()).encode("utf-8"))
        finally:
            os.close(fd)
        return lock
    raise OutputPathError(f"{lock}: could not take this lock; try again", path=str(final))


def _take_over(lock: Path, stale_text: str) -> None:
    """Remove a stale lock without removing a fresh one that another process has just put in
    its place: move it aside, and put it back if it is not the one found stale."""
    aside = lock.with_name(f"{lock.name}.stale-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        os.rename(lock, aside)
    except FileNotFoundError:
        return
    try:
        if aside.read_text(encoding="utf-8") != stale_text:
            with contextlib.suppress(OSError):
                os.link(aside, lock)  # fails if yet another one was created meanwhile
    finally:
        with contextlib.suppress(OSError):
            aside.unlink()


def _release_lock(lock: Path) -> None:
    with contextlib.suppress(OSError, ValueError):
        _, info = _read_lock(lock)
        if info is not None and info.get("pid") == os.getpid() and info.get("host") == socket.gethostname():
            lock.unlink()


# --------------------------------------------------------------------------- temporaries

def _temp_prefix(final: Path, what: str) -> str:
    return f".{final.name}.{what}-{os.getpid()}-{host_tag()}-"


def clean_stale_temporaries(final: Path) -> list[Path]:
    """Remove ``.<name>.tmp-*``/``.<name>.old-*`` of ``final`` left by processes of this host
    that are no longer alive. Returns what was removed."""
    final = Path(final)
    pattern = re.compile(rf"^\.{re.escape(final.name)}\.(?:tmp|old)-(\d+)-([0-9a-f]{{8}})-")
    removed = []
    tag = host_tag()
    try:
        entries = list(final.parent.iterdir())
    except OSError:
        return removed
    for p in entries:
        m = pattern.match(p.name)
        if m is None or m.group(2) != tag or pid_alive(int(m.group(1))):
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                p.unlink()
        removed.append(p)
    return removed


# --------------------------------------------------------------------------- the claim

@dataclass
class OutputClaim:
    """This process's right to write ``final`` (held from before any work to the end)."""

    final: Path
    kind: str
    config_hash: str | None
    force: bool
    lock: Path


_LOCAL = threading.local()


def _held() -> dict[Path, OutputClaim]:
    """This thread's claims (another thread of this process is another writer: it meets the
    lock like another process would)."""
    if not hasattr(_LOCAL, "held"):
        _LOCAL.held = {}
    return _LOCAL.held


def _key(final: Path) -> Path:
    return final.parent.resolve() / final.name


@contextlib.contextmanager
def claim_output(target: str | Path | None, *, kind: str = "result", config_hash: str | None = None,
                 force: bool = False) -> Iterator[OutputClaim | None]:
    """Check ``target`` and lock it for the duration of the ``with`` block; yields None when
    ``target`` is None. Nested claims of the same target in this process share the outer one.

    Raises :class:`~nrsim.errors.OutputPathError` (before any work) for a target that must not
    be replaced, an unwritable parent folder, or a target another run is writing."""
    if target is None:
        yield None
        return
    final = Path(target)
    key = _key(final)
    held = _held()
    if key in held:
        yield held[key]
        return
    check_output(final, force=force)
    created = _make_parents(final.parent)
    try:
        lock = _acquire_lock(final)
    except BaseException:
        _remove_empty(created)
        raise
    try:
        state = check_output(final, force=force)  # again, now that no other run can change it
        if state in ("file", "foreign"):
            warnings.warn(f"--force: {final} is {'a file' if state == 'file' else 'not an nrsim result folder'}; "
                          "it is moved aside and deleted once the new result is complete", OutputWarning,
                          stacklevel=3)
        elif state == "result":  # replaced without --force, but never silently
            old = read_marker(final) or {}
            what = f" ({old.get('kind', 'result')}, nrsim {old['nrsim_version']})" if old.get("nrsim_version") else ""
            warnings.warn(f"{final} holds an earlier nrsim result{what}; it is replaced once the new result is "
                          "complete", OutputWarning, stacklevel=3)
        clean_stale_temporaries(final)
        claim = OutputClaim(final=final, kind=kind, config_hash=config_hash, force=force, lock=lock)
        held[key] = claim
        try:
            yield claim
        finally:
            del held[key]
    finally:
        _release_lock(lock)
        _remove_empty(created)


def _make_parents(parent: Path) -> list[Path]:
    """Create ``parent`` and the folders above it that are missing; returns those created
    (deepest first), so that a refused run can remove them again."""
    missing = []
    p = parent
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_empty(missing)
        raise OutputPathError(f"cannot create {parent} ({exc.strerror}); choose a writable --out",
                              path=str(parent)) from None
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for p in folders:  # deepest first
        try:
            p.rmdir()
        except OSError:
            return


# --------------------------------------------------------------------------- writing

def write_marker(folder: Path, *, kind: str, config_hash: str | None) -> None:
    text = json.dumps({"format": MARKER_FORMAT, "nrsim_version": __version__, "kind": kind,
                       "config_hash": config_hash}, indent=2) + "\n"
    (Path(folder) / MARKER_NAME).write_text(text, encoding="utf-8")


@contextlib.contextmanager
def atomic_directory(final: str | Path, *, kind: str | None = None,
                     config_hash: str | None = None) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``final``; on success it gets the marker and
    replaces ``final`` (an older result there is removed only after the new one is complete);
    on error it is deleted and ``final`` is left as it was.

    Claims ``final`` (:func:`claim_output`, without ``force``) unless this process already
    holds a claim on it; the marker's kind and config hash default to the claim's."""
    final = Path(final)
    with claim_output(final, kind=kind or "result", config_hash=config_hash) as claim:
        assert claim is not None
        tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(final, "tmp"), dir=final.parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; a result folder is not
        try:
            yield tmp
            write_marker(tmp, kind=kind or claim.kind, config_hash=config_hash or claim.config_hash)
            _replace(final, tmp, force=claim.force)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def _replace(final: Path, tmp: Path, *, force: bool) -> None:
    state = check_output(final, force=force)  # files may have appeared there during the run
    old = None
    if state != "absent":
        old = final.parent / f"{_temp_prefix(final, 'old')}{secrets.token_hex(4)}"
        os.replace(final, old)
    try:
        os.replace(tmp, final)
    except BaseException:
        if old is not None:
            os.replace(old, final)
        raise
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()
