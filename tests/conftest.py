from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "tests" / "data" / "reference"
"""The external reference data the tests validate against, copied into the repository
(tests/data/reference/PROVENANCE.md), so that a clone with nothing beside it passes."""


@pytest.fixture
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.fail(f"reference data missing at {REFERENCE} (tests/data/reference/PROVENANCE.md)")
    return REFERENCE


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a headless-capable Chromium; fails (not skips) when CI is set and none is found."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("Chromium is required in CI (apt-get install -y chromium)")
    pytest.skip("no Chromium on this machine")
