"""Engine: one snapshot drop as functions (prepare, chunk, throughput) and its kernel."""

from nrsim.engine.snapshot import (
    CELL_COLUMNS,
    UE_COLUMNS,
    DropResult,
    DropState,
    apply_throughput,
    build_layout,
    cell_columns,
    channel_params,
    prepare_drop,
    radio_chunk,
    snapshot_drop,
)

__all__ = [
    "CELL_COLUMNS",
    "UE_COLUMNS",
    "DropResult",
    "DropState",
    "apply_throughput",
    "build_layout",
    "cell_columns",
    "channel_params",
    "prepare_drop",
    "radio_chunk",
    "snapshot_drop",
]
