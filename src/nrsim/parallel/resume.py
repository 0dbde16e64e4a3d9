"""The resume folder of a run (``.<name>.partial-<config hash>/`` beside the result folder):
which of its parts can be trusted.

* ``manifest.json`` (written atomically when the folder is opened): format, nrsim version,
  config hash. A folder written by another nrsim version (or by one before this manifest)
  is discarded with an :class:`~nrsim.errors.OutputWarning`: its parts need not be the bytes
  this version computes.
* ``<part>.part.json`` (written atomically by the task, after the part's files are in
  place): the nrsim version and the SHA-256 of each file of the part. A part counts as
  finished only when its record names this nrsim version and every file's checksum matches;
  any other part (truncated, missing a file, from a killed task) is computed again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import warnings
from pathlib import Path

from nrsim._version import __version__
from nrsim.errors import OutputWarning

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
PART_RECORD_SUFFIX = ".part.json"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def open_work_folder(work: Path, config_hash: str) -> None:
    """Create ``work`` or reuse it; a folder of another nrsim version (or without a readable
    manifest) is emptied with a warning. Stale temporary files of killed tasks are removed."""
    work = Path(work)
    manifest = {"format": MANIFEST_FORMAT, "nrsim_version": __version__, "config_hash": config_hash}
    if work.is_dir():
        try:
            found = json.loads((work / MANIFEST_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            found = None
        if not isinstance(found, dict) or found.get("nrsim_version") != manifest["nrsim_version"]:
            version = found.get("nrsim_version") if isinstance(found, dict) else "unknown"
            warnings.warn(f"{work}: the finished chunks there were written by nrsim {version}, not "
                          f"{manifest['nrsim_version']}; they are discarded and computed again",
                          OutputWarning, stacklevel=3)
            shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    for p in work.glob(".*.tmp*"):  # a task killed while writing (this run holds the target's lock)
        with contextlib.suppress(OSError):
            p.unlink()
    if not (work / MANIFEST_NAME).is_file():
        _write_atomic(work / MANIFEST_NAME, json.dumps(manifest, indent=2) + "\n")


def write_part_record(folder: Path, name: str, files: dict[str, str]) -> None:
    """Commit part ``name``: ``files`` maps each of its file names (in ``folder``) to the
    SHA-256 of its bytes."""
    record = {"nrsim_version": __version__, "sha256": files}
    _write_atomic(Path(folder) / f"{name}{PART_RECORD_SUFFIX}", json.dumps(record, indent=1) + "\n")


def part_is_complete(folder: Path, name: str, files: tuple[str, ...]) -> bool:
    """Whether part ``name`` in ``folder`` has a record of this nrsim version that names
    exactly ``files`` with checksums that match their bytes (reads every file of the part)."""
    folder = Path(folder)
    try:
        record = json.loads((folder / f"{name}{PART_RECORD_SUFFIX}").read_text(encoding="utf-8"))
        if record.get("nrsim_version") != __version__ or set(record.get("sha256", ())) != set(files):
            return False
        return all(sha256_file(folder / f) == digest for f, digest in record["sha256"].items())
    except (OSError, ValueError, AttributeError, TypeError):
        return False
