"""The documentation builds as a site (`make docs`) with no broken link or missing page."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_docs_site_builds_strict(tmp_path: Path) -> None:
    """`mkdocs build --strict` turns every warning (a link to a missing page or anchor, a page
    left out) into an error, so a broken cross-reference in docs/ fails here."""
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    for page in sorted((ROOT / "docs").glob("*.md")):
        if page.name != "README.md":
            assert (tmp_path / "site" / page.stem / "index.html").is_file(), page.name


def test_docs_site_rejects_broken_link(tmp_path: Path) -> None:
    """The strict build does fail on a broken link (so the test above can fail)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# x\n\nSee [missing](nowhere.md).\n")
    cfg = tmp_path / "mkdocs.yml"
    cfg.write_text("site_name: t\ndocs_dir: docs\nstrict: true\n")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(cfg), "--site-dir", str(tmp_path / "s")],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode != 0
