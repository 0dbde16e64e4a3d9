"""Size of the compiled pieces: lines and parameters of every compiled function (decorated
``@jit``, ``@jit_parallel``, ...) in the given modules, and the largest of each. Prints a
table; asserts nothing. Usage:
    python benchmarks/kernel_structure.py [files ...]   (default: the slot core's modules)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "nrsim"
DEFAULT = ["engine/call_kernels.py", "traffic/queue.py", "link/harq.py", "link/csi.py", "link/adaptation.py",
           "scheduler/cell.py", "scheduler/base.py", "scheduler/metric.py", "radio/uplink.py"]


def compiled_functions(path: Path):
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and any(
                "jit" in ast.unparse(d) or "ufunc" in ast.unparse(d) for d in node.decorator_list):
            yield node.name, node.end_lineno - node.lineno + 1, len(node.args.args)


def main() -> None:
    files = sys.argv[1:] or DEFAULT
    print(f"{'module':<26}{'functions':>10}{'max lines':>11}{'max params':>12}  largest")
    for f in files:
        rows = list(compiled_functions(SRC / f))
        if not rows:
            continue
        big = max(rows, key=lambda r: r[1])
        wide = max(rows, key=lambda r: r[2])
        print(f"{f:<26}{len(rows):>10}{big[1]:>11}{wide[2]:>12}  {big[0]} ({big[1]} lines), {wide[0]} ({wide[2]} params)")


if __name__ == "__main__":
    main()
