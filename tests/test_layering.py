"""The import contract of docs/architecture.md, checked over the AST of ``src/nrsim``.

* Every import (at the top of a module or inside a function) goes from a layer to the same
  or a lower layer of :data:`LAYERS`; the graph of units is acyclic.
* An import inside a function is allowed only for the lazy heavy or optional dependencies of
  :data:`LAZY_DEPENDENCIES` (and the standard library): an in-function import of an nrsim
  module hides an edge of the graph, and usually a cycle.
* A module-level table whose name starts with ``_LAZY`` (a dict literal of name -> module, or
  name -> tuple whose first item is the module) declares modules imported on first use
  (``nrsim.__init__``'s public names, the CLI's commands): each is an import edge at the top.

Known violations in code that issue 12 items 1 and 2 rewrite are listed, each with the item
that removes it, in :data:`ALLOWED_BACK_EDGES` and :data:`ALLOWED_LAZY_NRSIM`; an entry that
no longer matches anything fails too, so the lists only shrink.

The tests mirror ``src``: every folder of ``tests/`` but the cross-cutting ones
(:data:`CROSS_CUTTING_TEST_FOLDERS`) names the package or module it tests."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "nrsim"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("nrsim._version", "nrsim._lazy", "nrsim.units", "nrsim.errors", "nrsim.compiled", "nrsim.rng"),
    # the clause formulas, spec tables, scenario registry and the spatially correlated fields:
    # pure physics over arrays that imports nothing above layer 0
    ("nrsim.channel.tr38901", "nrsim.channel.field_read", "nrsim.channel.shadowing_field"),
    ("nrsim.config", "nrsim.plugins", "nrsim.boundary"),
    ("nrsim.deployment",),
    ("nrsim.channel",),
    ("nrsim.radio", "nrsim.link", "nrsim.mimo", "nrsim.scheduler", "nrsim.traffic", "nrsim.mobility", "nrsim.kpi",
     "nrsim.report.plots"),
    ("nrsim.engine",),
    ("nrsim.coverage", "nrsim.parallel"),
    ("nrsim.sizing",),
    ("nrsim.runs",),
    ("nrsim.result_io",),
    ("nrsim.report",),
    ("nrsim.api",),
    ("nrsim.compare", "nrsim.calibration", "nrsim.export"),
    ("nrsim", "nrsim.cli", "nrsim.__main__"),
)
"""Units (a module or package; the longest matching name wins) from the bottom layer up."""

LAZY_DEPENDENCIES = frozenset({"matplotlib", "dask", "distributed", "tifffile", "rasterio", "scipy", "pyproj",
                               "psutil", "pyarrow", "numba", "xarray", "rioxarray", "affine"})
"""Third-party packages that may be imported inside a function: heavy to import (plotting,
Dask, GIS, SciPy, Arrow), optional, or (numba) configured per worker process."""

ALLOWED_BACK_EDGES: dict[tuple[str, str], str] = {
}
"""(file, unit imported) -> the issue-12 item that removes this upward import."""

ALLOWED_LAZY_NRSIM: dict[str, str] = {
    "nrsim/engine/slots.py": "item 2 (one slot core)",
    "nrsim/engine/video_capacity.py": "item 2: the capacity sweep on the one slot core",
    "nrsim/sizing.py": "item 1: sizing reads the scenario registry",
}
"""Files (not yet rewritten) that still import nrsim (or pandas) inside functions, with the
issue-12 item that rewrites them."""

_ALL_UNITS = {u: i for i, layer in enumerate(LAYERS) for u in layer}


def unit_of(module: str) -> str | None:
    """The unit of a dotted module name (the longest unit that is it or a parent of it)."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        if name in _ALL_UNITS:
            return name
    return None


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported module, line, inside a function) of every import of ``path``, outside
    ``if TYPE_CHECKING`` blocks; relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                out.extend((a.name, child.lineno, in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                # "from nrsim import x" may name a submodule x
                names = [f"{target}.{a.name}" if unit_of(f"{target}.{a.name}") not in (None, unit_of(target))
                         else target for a in child.names]
                out.extend((n, child.lineno, in_function) for n in names)
            visit(child, inner)

    visit(tree, False)
    out.extend(_lazy_table_edges(tree))
    return out


def _lazy_table_edges(tree: ast.Module) -> list[tuple[str, int, bool]]:
    """The modules named in the module-level ``_LAZY*`` tables of ``tree`` (see the docstring)."""
    out: list[tuple[str, int, bool]] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        else:
            continue
        if not (isinstance(target, ast.Name) and target.id.startswith("_LAZY") and isinstance(value, ast.Dict)):
            continue
        for item in value.values:
            first = item.elts[0] if isinstance(item, ast.Tuple) and item.elts else item
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                out.append((first.value, item.lineno, False))
    return out


def _sources() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(SRC.parent).as_posix()


def test_every_module_has_a_layer() -> None:
    missing = [_module_name(p) for p in _sources() if unit_of(_module_name(p)) is None]
    assert not missing, f"modules outside every layer of LAYERS (add them to docs/architecture.md): {missing}"


def test_no_import_goes_up_a_layer() -> None:
    found, used = [], set()
    for path in _sources():
        src_unit = unit_of(_module_name(path))
        for target, line, _ in _imports(path):
            dst_unit = unit_of(target)
            if dst_unit is None or dst_unit == src_unit or _ALL_UNITS[dst_unit] <= _ALL_UNITS[src_unit]:
                continue
            key = (_rel(path), dst_unit)
            if key in ALLOWED_BACK_EDGES:
                used.add(key)
                continue
            found.append(f"{_rel(path)}:{line} imports {target} ({dst_unit} is above {src_unit})")
    assert not found, "imports against the layers of docs/architecture.md:\n" + "\n".join(found)
    stale = set(ALLOWED_BACK_EDGES) - used
    assert not stale, f"allowed back edges that no longer exist (remove them): {sorted(stale)}"


def test_units_form_no_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for path in _sources():
        src_unit = unit_of(_module_name(path))
        for target, _, _ in _imports(path):
            dst_unit = unit_of(target)
            if dst_unit is not None and dst_unit != src_unit and (_rel(path), dst_unit) not in ALLOWED_BACK_EDGES:
                graph.setdefault(src_unit, set()).add(dst_unit)
    state: dict[str, int] = {}

    def cycle_from(u: str, stack: list[str]) -> list[str] | None:
        state[u] = 1
        for v in sorted(graph.get(u, ())):
            if state.get(v) == 1:
                return stack + [u, v]
            if v not in state:
                found = cycle_from(v, stack + [u])
                if found:
                    return found
        state[u] = 2
        return None

    for u in sorted(graph):
        if u not in state:
            found = cycle_from(u, [])
            assert found is None, f"import cycle between units: {' -> '.join(found)}"


def test_in_function_imports_only_for_lazy_dependencies() -> None:
    found, used = [], set()
    stdlib = set(sys.stdlib_module_names)
    for path in _sources():
        for target, line, in_function in _imports(path):
            top = target.split(".")[0]
            if not in_function or top in LAZY_DEPENDENCIES or top in stdlib:
                continue
            if _rel(path) in ALLOWED_LAZY_NRSIM:
                used.add(_rel(path))
                continue
            found.append(f"{_rel(path)}:{line} imports {target} inside a function")
    assert not found, ("in-function imports (import at the top; if that makes a cycle, the code is in the wrong "
                       "layer):\n" + "\n".join(found))
    stale = set(ALLOWED_LAZY_NRSIM) - used
    assert not stale, f"files allowed lazy imports that no longer have any (remove them): {sorted(stale)}"


@pytest.mark.parametrize("module, unit", [("nrsim.report.plots", "nrsim.report.plots"),
                                          ("nrsim.report.html", "nrsim.report"),
                                          ("nrsim.engine.slots", "nrsim.engine"), ("nrsim", "nrsim")])
def test_unit_of(module: str, unit: str) -> None:
    assert unit_of(module) == unit


def test_the_checker_sees_a_back_edge_and_a_lazy_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks fail on a planted upward import and a planted in-function import."""
    fake = tmp_path / "nrsim"
    (fake / "config").mkdir(parents=True)
    (fake / "config" / "__init__.py").write_text("from nrsim.engine import x\n")
    (fake / "engine.py").write_text("def f():\n    from nrsim.config import y\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", fake)
    with pytest.raises(AssertionError, match="config/__init__.py:1 imports nrsim.engine"):
        test_no_import_goes_up_a_layer()
    with pytest.raises(AssertionError, match="engine.py:2 imports nrsim.config inside a function"):
        test_in_function_imports_only_for_lazy_dependencies()


def test_lazy_tables_are_edges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module loaded on first use from a ``_LAZY`` table counts as an import: the public
    names of ``nrsim`` and the CLI's commands appear as edges, and a planted table that points
    up a layer fails the check."""
    edges = {target for target, _, _ in _imports(SRC / "__init__.py")}
    assert {"nrsim.api", "nrsim.config", "nrsim.sizing"} <= edges
    assert "nrsim.cli.calibrate" in {target for target, _, _ in _imports(SRC / "cli" / "app.py")}
    fake = tmp_path / "nrsim"
    (fake / "config").mkdir(parents=True)
    (fake / "config" / "__init__.py").write_text('_LAZY: dict[str, str] = {\n    "x": "nrsim.engine",\n}\n')
    (fake / "engine.py").write_text("")
    monkeypatch.setattr(sys.modules[__name__], "SRC", fake)
    with pytest.raises(AssertionError, match="config/__init__.py:2 imports nrsim.engine"):
        test_no_import_goes_up_a_layer()


TESTS = Path(__file__).resolve().parent

CROSS_CUTTING_TEST_FOLDERS = frozenset({"data", "docs", "examples", "fuzz"})
"""Folders of ``tests/`` that test the project as a whole, not one package: reference data
(``data``), the documentation, the examples and notebooks, the fuzz tests of every entry point."""


def test_test_folders_mirror_src(tmp_path: Path) -> None:
    """Every folder under ``tests/`` (but the cross-cutting ones) is named after the package or
    module of ``src/nrsim`` it tests, at the same place: ``tests/channel/tr38901`` tests
    ``nrsim.channel.tr38901``, ``tests/plugins`` tests ``nrsim/plugins.py`` (issue 12 item 5).
    A planted folder that names nothing fails."""

    def strays(tests: Path) -> list[str]:
        out = []
        for folder in sorted(p for p in tests.rglob("*") if p.is_dir()):
            rel = folder.relative_to(tests)
            if rel.parts[0] in CROSS_CUTTING_TEST_FOLDERS or any(p.startswith((".", "__")) for p in rel.parts):
                continue
            target = SRC.joinpath(*rel.parts)
            if not (target.is_dir() or target.with_suffix(".py").is_file()):
                out.append(rel.as_posix())
        return out

    found = strays(TESTS)
    assert not found, f"test folders that name no package or module of src/nrsim (move their tests): {found}"
    fake = tmp_path / "tests"
    (fake / "channel" / "tr38901").mkdir(parents=True)
    (fake / "channel" / "tr38901_extra").mkdir()
    (fake / "fuzz" / "anything").mkdir(parents=True)
    assert strays(fake) == ["channel/tr38901_extra"]
