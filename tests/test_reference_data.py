"""The test suite is self-contained: its reference data lives in the repository, unchanged
since it was copied (checksums), and no test or module reads the team's library beside the
checkout (the shared folder), which users and CI do not have."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "tests" / "data" / "reference"


def _sums() -> list[tuple[str, str]]:
    rows = []
    for line in (REFERENCE / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            rows.append((digest, name))
    return rows


def test_every_reference_file_is_listed_with_its_checksum() -> None:
    listed = {name.removeprefix("./") for _, name in _sums()}
    present = {
        str(p.relative_to(REFERENCE)) for p in REFERENCE.rglob("*")
        if p.is_file() and p.name not in {"SHA256SUMS", "PROVENANCE.md"}
    }
    assert listed == present
    assert len(listed) >= 15  # the calibration curves, the link tables, the BLER tables


@pytest.mark.parametrize("digest,name", _sums(), ids=lambda v: str(v)[-40:])
def test_reference_file_unchanged(digest: str, name: str) -> None:
    assert hashlib.sha256((REFERENCE / name).read_bytes()).hexdigest() == digest


_OUTSIDE = re.compile(r"""(["'])\.\./shared|parent\s*/\s*["']shared["']|parents\[\d\]\s*/\s*["']shared["']""")


def test_no_code_reads_the_team_library_beside_the_checkout() -> None:
    offenders = []
    for folder in ("src", "tests", "benchmarks"):
        for path in (REPO / folder).rglob("*.py"):
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if _OUTSIDE.search(code) and "usage" not in code.lower():
                    offenders.append(f"{path.relative_to(REPO)}:{i}: {line.strip()}")
    assert offenders == []
