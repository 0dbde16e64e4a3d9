"""Result writers. A result folder appears complete or not at all (atomic rename; see
:mod:`nrsim.kpi.outdir`, whose :func:`atomic_directory` is re-exported here)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from nrsim.kpi.outdir import atomic_directory  # noqa: F401  (re-exported)


def _clean(obj: Any) -> Any:
    """JSON-safe copy: NaN/inf become null (strict JSON has neither)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(_clean(data), indent=2, sort_keys=False) + "\n", encoding="utf-8")
