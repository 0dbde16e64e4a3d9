"""The notebooks of ``examples/`` run from top to bottom (nbclient, a fresh kernel, in a temporary
folder), and are committed without outputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the test extra: pip install -e '.[test]'")
nbclient = pytest.importorskip("nbclient", reason="the test extra: pip install -e '.[test]'")

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "examples").glob("*.ipynb"))
CELL_TIMEOUT_S = 300
"""Per cell: the first run compiles the numba kernels (tens of seconds on a busy machine)."""


def test_there_is_a_quickstart() -> None:
    assert REPO / "examples" / "quickstart.ipynb" in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip the outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = str(REPO / "src")  # the kernel imports this checkout's nrsim, as the test process does
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError naming the cell on the first error
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    results = tmp_path / "results" / "quickstart"
    if path.name == "quickstart.ipynb":  # what each step left behind
        for name in ("pilot/summary.json", "pilot/report.html", "pilot/export.gpkg", "compare/compare.json",
                     "calibration/calibration.json"):
            assert (results / name).is_file(), name
        assert any(o.output_type == "display_data" and "image/png" in o.get("data", {})
                   for c in nb.cells for o in c.get("outputs", [])), "no figure drawn"
