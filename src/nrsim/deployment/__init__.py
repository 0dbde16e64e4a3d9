"""Deployment: layouts (hex grid with wrap-around, InH hall), UE drops and link geometry."""

from nrsim.deployment.geometry import LinkGeometry, link_geometry, nearest_image_offsets_m
from nrsim.deployment.layout import (
    SECTOR_BEARINGS_DEG,
    Layout,
    hex_axial_coords,
    hex_layout,
    hex_wrap_shifts_m,
    inh_office_layout,
)
from nrsim.deployment.ue_drop import UeDrop, drop_ues, floor_height_m, sample_indoor_floors

__all__ = [
    "SECTOR_BEARINGS_DEG",
    "Layout",
    "LinkGeometry",
    "UeDrop",
    "drop_ues",
    "floor_height_m",
    "hex_axial_coords",
    "hex_layout",
    "hex_wrap_shifts_m",
    "inh_office_layout",
    "link_geometry",
    "nearest_image_offsets_m",
    "sample_indoor_floors",
]
