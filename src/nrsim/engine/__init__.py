"""Engine: one snapshot drop as a function, and the run loop over drops."""

from nrsim.engine.snapshot import (
    CELL_COLUMNS,
    UE_COLUMNS,
    DropResult,
    build_layout,
    channel_params,
    snapshot_drop,
)

__all__ = [
    "CELL_COLUMNS",
    "UE_COLUMNS",
    "DropResult",
    "build_layout",
    "channel_params",
    "snapshot_drop",
]
