"""KPIs and result writers."""

from nrsim.kpi.metrics import PERCENTILES, percentiles, snapshot_kpis
from nrsim.kpi.mobility import mobility_kpis
from nrsim.kpi.writers import atomic_directory, write_json

__all__ = ["PERCENTILES", "atomic_directory", "mobility_kpis", "percentiles", "snapshot_kpis", "write_json"]
