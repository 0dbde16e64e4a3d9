"""Coverage maps on a raster over the area of interest: best-server RSRP, SINR, serving
cell and expected user throughput; probability of coverage; GeoTIFF export; per-polygon statistics."""

from nrsim.coverage.raster import CoverageMaps, Grid, area_polygons, coverage_maps, make_grid, polygon_stats
from nrsim.coverage.probability import ProbabilityMaps, probability_maps, probability_polygon_stats
from nrsim.coverage.geotiff import read_geotiff, write_coverage_geotiffs, write_geotiff

__all__ = [
    "CoverageMaps", "Grid", "area_polygons", "coverage_maps", "make_grid", "polygon_stats",
    "ProbabilityMaps", "probability_maps", "probability_polygon_stats",
    "read_geotiff", "write_coverage_geotiffs", "write_geotiff",
]
