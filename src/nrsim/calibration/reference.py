"""3GPP reference curves of the TR 38.901 large-scale calibration (package data).

The CSVs in ``nrsim/calibration/reference/`` carry their provenance in ``#`` header lines
(3GPP R1-165974; see each file). Two kinds of reference exist, both at 6 GHz only:

- ``company-spread`` (UMa and UMi: coupling loss, SIR, SINR): mean over ~20 companies per
  percentile 0..100, with the company min..max band;
- ``industry-average`` (UMa, UMi and InH: coupling loss and SIR): the industry-average CDF
  at percentiles 5..95, without a band.

:func:`reference_for` picks the company spread where it exists, the industry average
otherwise, and returns ``None`` where 3GPP published no curve (InH SINR, every 30 and 70 GHz
case). Coupling loss keeps the 3GPP sign (negative dB).
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

import numpy as np
from numpy.typing import NDArray

from nrsim.errors import NrsimError

_PACKAGE = "nrsim.calibration"
_DATA_DIR = "reference"  # the folder nrsim/calibration/reference/ (package data, not this module)
AVERAGE_FILE = "large-scale-6ghz-average.csv"
SPREAD_FILE = "large-scale-6ghz-company-spread.csv"

SOURCE_COMPANY_SPREAD = "company-spread"
SOURCE_INDUSTRY_AVERAGE = "industry-average"

# Scenario and metric names as spelled in the CSVs -> nrsim's names.
_AVERAGE_SCENARIOS = {
    "UMa": "uma",
    "UMi-Street Canyon": "umi",
    "InH-Office (open office LOS prob.)": "inh",
}
_AVERAGE_METRICS = {"coupling_loss": "coupling_loss_db", "geometry_sir": "sir_db"}
_SPREAD_SCENARIOS = {"UMa": "uma", "UMi": "umi"}
_SPREAD_METRICS = {
    "coupling_loss": "coupling_loss_db",
    "wideband_sir": "sir_db",
    "geometry_sinr": "sinr_db",
}
_FC_MATCH_GHZ = 1e-6


class ReferenceDataError(NrsimError):
    """A shipped reference file is missing or malformed (a packaging error)."""


@dataclass(frozen=True)
class MetricReference:
    """A 3GPP reference CDF of one metric in one scenario.

    Attributes
    ----------
    scenario : str
        ``"uma"``, ``"umi"`` or ``"inh"``.
    fc_ghz : float
        Carrier frequency [GHz].
    metric : str
        ``"coupling_loss_db"`` (3GPP sign, negative), ``"sir_db"`` or ``"sinr_db"``.
    source : str
        ``"company-spread"`` or ``"industry-average"``.
    description : str
        One line naming the curve and its origin (for tables and plot legends).
    cdf_percent : float64 [n]
        Percentiles p of the curve, increasing [%].
    value_db : float64 [n]
        The reference value at each percentile (company mean or industry average) [dB].
    band_min_db, band_max_db : float64 [n] or None
        Smallest and largest company value at each percentile [dB] (company spread only).
    n_companies : int or None
        Companies behind the band.
    """

    scenario: str
    fc_ghz: float
    metric: str
    source: str
    description: str
    cdf_percent: NDArray[np.float64]
    value_db: NDArray[np.float64]
    band_min_db: NDArray[np.float64] | None = None
    band_max_db: NDArray[np.float64] | None = None
    n_companies: int | None = None

    @property
    def has_band(self) -> bool:
        return self.band_min_db is not None and self.band_max_db is not None

    def _index(self, percent: float) -> int:
        hits = np.flatnonzero(np.isclose(self.cdf_percent, float(percent)))
        if hits.size == 0:
            raise KeyError(
                f"{self.source} reference of {self.scenario} {self.metric} has no "
                f"{percent:g} % point (has {self.cdf_percent.min():g}..{self.cdf_percent.max():g} %)"
            )
        return int(hits[0])

    def value_at(self, percent: float) -> float:
        """Reference value [dB] at percentile ``percent`` (must be a tabulated point)."""
        return float(self.value_db[self._index(percent)])

    def band_at(self, percent: float) -> tuple[float, float] | None:
        """(min, max) company value [dB] at ``percent``, or None without a band."""
        if self.band_min_db is None or self.band_max_db is None:
            return None
        i = self._index(percent)
        return float(self.band_min_db[i]), float(self.band_max_db[i])


def _read_rows(name: str) -> list[dict[str, str]]:
    """Rows of a package CSV, skipping its ``#`` provenance lines."""
    entry = resources.files(_PACKAGE).joinpath(_DATA_DIR, name)
    if not entry.is_file():
        raise ReferenceDataError(f"reference file {name} is missing from the nrsim package")
    text = entry.read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return list(csv.DictReader(io.StringIO(body)))


def _curves(
    name: str, scenarios: dict[str, str], metrics: dict[str, str], *, phase_prefix: str | None = None
) -> dict[tuple[str, float, str], list[dict[str, str]]]:
    """Rows of the reference CSV ``name`` grouped by (nrsim scenario, carrier [GHz], nrsim
    metric), the file's names mapped through ``scenarios`` and ``metrics`` (other rows, and
    rows whose ``phase`` does not start with ``phase_prefix``, dropped), each group in
    ascending ``cdf_percent``."""
    out: dict[tuple[str, float, str], list[dict[str, str]]] = {}
    for row in _read_rows(name):
        scen = scenarios.get(row["scenario"])
        metric = metrics.get(row["metric"])
        if scen is None or metric is None:
            continue
        if phase_prefix is not None and not row["phase"].startswith(phase_prefix):
            continue
        out.setdefault((scen, float(row["carrier_GHz"]), metric), []).append(row)
    for group in out.values():
        group.sort(key=lambda r: float(r["cdf_percent"]))
    return out


@functools.cache
def _average_references() -> dict[tuple[str, float, str], MetricReference]:
    out = {}
    curves = _curves(AVERAGE_FILE, _AVERAGE_SCENARIOS, _AVERAGE_METRICS, phase_prefix="large_scale")
    for (scen, fc, metric), group in curves.items():
        out[(scen, fc, metric)] = MetricReference(
            scenario=scen,
            fc_ghz=fc,
            metric=metric,
            source=SOURCE_INDUSTRY_AVERAGE,
            description="3GPP R1-165974 industry average",
            cdf_percent=np.asarray([float(r["cdf_percent"]) for r in group]),
            value_db=np.asarray([float(r["value"]) for r in group]),
        )
    return out


@functools.cache
def _spread_references() -> dict[tuple[str, float, str], MetricReference]:
    out = {}
    for (scen, fc, metric), group in _curves(SPREAD_FILE, _SPREAD_SCENARIOS, _SPREAD_METRICS).items():
        n_comp = int(max(int(r["n_companies"]) for r in group))
        out[(scen, fc, metric)] = MetricReference(
            scenario=scen,
            fc_ghz=fc,
            metric=metric,
            source=SOURCE_COMPANY_SPREAD,
            description=f"3GPP R1-165974 campaign, mean of {n_comp} companies",
            cdf_percent=np.asarray([float(r["cdf_percent"]) for r in group]),
            value_db=np.asarray([float(r["mean_dB"]) for r in group]),
            band_min_db=np.asarray([float(r["min_dB"]) for r in group]),
            band_max_db=np.asarray([float(r["max_dB"]) for r in group]),
            n_companies=n_comp,
        )
    return out


def _lookup(
    table: dict[tuple[str, float, str], MetricReference], scenario: str, fc_ghz: float, metric: str
) -> MetricReference | None:
    for (scen, fc, met), ref in table.items():
        if scen == scenario and met == metric and abs(fc - fc_ghz) < _FC_MATCH_GHZ:
            return ref
    return None


def company_spread_reference(scenario: str, fc_ghz: float, metric: str) -> MetricReference | None:
    """The company-spread reference (mean and min..max band), or None."""
    return _lookup(_spread_references(), scenario, fc_ghz, metric)


def industry_average_reference(
    scenario: str, fc_ghz: float, metric: str
) -> MetricReference | None:
    """The industry-average reference (no band), or None."""
    return _lookup(_average_references(), scenario, fc_ghz, metric)


def reference_for(scenario: str, fc_ghz: float, metric: str) -> MetricReference | None:
    """The reference a calibration case is compared against: the company spread where
    3GPP data has one (UMa/UMi at 6 GHz), else the industry average (InH coupling loss and
    SIR at 6 GHz), else None (no 3GPP reference)."""
    return company_spread_reference(scenario, fc_ghz, metric) or industry_average_reference(
        scenario, fc_ghz, metric
    )
