"""Run the TR 38.901 large-scale calibration cases and write their comparison.

:func:`calibrate` is what ``nrsim calibrate`` wraps: it runs each case's preset through
:func:`nrsim.run`, takes the serving-cell coupling loss (3GPP sign), the geometry SIR and the
geometry SINR of every UE, and compares their 5/10/50/90/95 % points with the 3GPP
references (:mod:`nrsim.calibration.compare`).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nrsim._version import __version__
from nrsim.api import load_config, run
from nrsim.calibration.cases import METRICS, CalibrationCase, resolve_cases
from nrsim.calibration.compare import (
    COMPARED_PERCENTILES,
    PercentileCheck,
    compare_percentiles,
    overall_pass,
    simulated_percentiles,
)
from nrsim.calibration.reference import MetricReference, reference_for
from nrsim.config.loading import config_hash
from nrsim.config.schema import ScenarioConfig
from nrsim.engine.snapshot import build_layout
from nrsim.errors import ConfigError
from nrsim.kpi.outdir import claim_output
from nrsim.kpi.writers import atomic_directory, write_json
from nrsim.report.plots import plot_cdf

DEFAULT_UES_PER_CASE: int = 100_000
"""UEs per case when ``drops`` is not given: the drops are the fewest that reach this many
UEs. With about 100,000 UEs the 5 % and 95 % points are stable to about +-0.1 dB; with
10,000 they still move by about 1 dB (shared/reference/tr38901-calibration/
large-scale-setup.md), which is more than the narrowest company bands (0.4 dB)."""

MAX_DROPS: int = 100_000
"""Largest number of drops (``ScenarioConfig.drops``)."""

CDF_PERCENTS: tuple[int, ...] = tuple(range(101))
"""Percentiles written to each simulated CDF file [%] (0 = minimum, 100 = maximum)."""

REFERENCE_CITATION = (
    "3GPP R1-165974 (TR 38.901 7.8 large-scale calibration, 6 GHz); company spread from "
    "Phase1Calibration_v42_CMCC.xlsx via NVIDIA Aerial SDK; industry average via QuaDRiGa"
)

CalibrationProgress = Callable[[str, int, int, int, int], None]
"""Called as ``progress(case, case_index, n_cases, drops_done, drops_total)``: once with
``drops_done = 0`` when a case starts and after each of its drops (``case_index`` from 0)."""


@dataclass(frozen=True)
class MetricResult:
    """One metric of one case: the simulated sample and its comparison.

    ``values_db`` is float64 [n_ue] in the 3GPP sign (coupling loss negative)."""

    metric: str
    values_db: NDArray[np.float64]
    reference: MetricReference | None
    checks: tuple[PercentileCheck, ...]

    @property
    def passed(self) -> bool | None:
        """True/False when compared with a reference, None without one."""
        return overall_pass(self.checks)

    @property
    def percentiles_db(self) -> dict[float, float]:
        return {c.percent: c.simulated_db for c in self.checks}


@dataclass(frozen=True)
class CaseResult:
    """One calibration case: its resolved config and its three metrics."""

    case: CalibrationCase
    config: ScenarioConfig
    n_ue: int
    metrics: dict[str, MetricResult]

    @property
    def config_hash(self) -> str:
        return config_hash(self.config)

    @property
    def passed(self) -> bool | None:
        return overall_pass([c for m in self.metrics.values() for c in m.checks])


@dataclass(frozen=True)
class CalibrationResult:
    """All cases of a calibration run; ``out_dir`` is where it was written (or None)."""

    cases: tuple[CaseResult, ...]
    out_dir: Path | None

    @property
    def checks(self) -> list[PercentileCheck]:
        return [c for case in self.cases for m in case.metrics.values() for c in m.checks]

    @property
    def passed(self) -> bool:
        """True when every compared percentile passes (cases without a reference do not
        count); the CLI exits 0 then, 1 otherwise."""
        return all(c.passed for c in self.checks if c.passed is not None)

    def record(self) -> dict[str, Any]:
        """The machine-readable record written to ``calibration.json``."""
        return calibration_record(self)


def _check_drops(drops: int | None) -> None:
    if drops is None:
        return
    if isinstance(drops, bool) or not isinstance(drops, (int, np.integer)) or not (
        1 <= int(drops) <= MAX_DROPS
    ):
        raise ConfigError(
            f"drops = {drops!r}: must be a whole number from 1 to {MAX_DROPS} "
            f"(or omitted for about {DEFAULT_UES_PER_CASE:,} UEs per case)",
            field="drops",
        )


def default_drops(cfg: ScenarioConfig, ues_per_case: int = DEFAULT_UES_PER_CASE) -> int:
    """The fewest drops that give ``ues_per_case`` UEs with ``cfg``'s layout and UEs per
    sector (at least 1)."""
    per_drop = build_layout(cfg).n_cells * cfg.deployment.ue.per_sector
    if per_drop <= 0:
        return 1
    return int(min(MAX_DROPS, max(1, math.ceil(ues_per_case / per_drop))))


def case_config(
    case: CalibrationCase, *, drops: int | None = None, seed: int | None = None
) -> ScenarioConfig:
    """The resolved config of ``case``: its preset, with ``seed`` if given and ``drops``
    (default: :func:`default_drops`, about :data:`DEFAULT_UES_PER_CASE` UEs)."""
    _check_drops(drops)
    if drops is None:
        drops = default_drops(load_config(case.preset, seed=seed))
    return load_config(case.preset, seed=seed, drops=drops)


def run_case(
    case: CalibrationCase,
    cfg: ScenarioConfig,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> CaseResult:
    """Run one case with its resolved config and compare its metrics. ``progress(done,
    total)`` is called with ``done = 0`` first and after each drop."""
    if progress is not None:
        progress(0, cfg.drops)
    result = run(cfg, progress=progress)
    ue = result.ue
    metrics = {}
    for key, info in METRICS.items():
        values = info.sign * ue[info.ue_column].to_numpy(dtype=np.float64)  # [n_ue]
        ref = reference_for(case.scenario, case.fc_ghz, key)
        checks = compare_percentiles(simulated_percentiles(values), ref, key)
        metrics[key] = MetricResult(metric=key, values_db=values, reference=ref, checks=checks)
    return CaseResult(case=case, config=cfg, n_ue=len(ue), metrics=metrics)


def _case_progress(
    progress: CalibrationProgress | None, name: str, index: int, n_cases: int
) -> Callable[[int, int], None] | None:
    """Adapt a :data:`CalibrationProgress` to :func:`nrsim.run`'s per-drop callback."""
    if progress is None:
        return None

    def per_drop(done: int, total: int) -> None:
        progress(name, index, n_cases, done, total)

    return per_drop


def calibrate(
    cases: Iterable[str] | None = None,
    *,
    drops: int | None = None,
    seed: int | None = None,
    out_dir: str | Path | None = None,
    progress: CalibrationProgress | None = None,
    force: bool = False,
) -> CalibrationResult:
    """Run TR 38.901 large-scale calibration cases and compare them with 3GPP R1-165974.

    Parameters
    ----------
    cases : names such as ``"uma-6ghz"`` (see :data:`nrsim.calibration.CASES`); all nine
        when None or empty.
    drops : drops per case; default: enough for about :data:`DEFAULT_UES_PER_CASE` UEs.
    seed : root seed (default: each preset's seed).
    out_dir : when given, write the CDFs, plots, percentile tables and ``calibration.json``
        there, atomically (nothing is left behind on error).
    progress : see :data:`CalibrationProgress`.
    force : replace ``out_dir`` even when it is a file or a folder that is not an nrsim result
        (:mod:`nrsim.kpi.outdir`).

    Raises
    ------
    ConfigError
        For an unknown case, ``drops`` outside 1..100000 or a bad seed; raised before any
        case runs or anything is written.
    OutputPathError
        For an ``out_dir`` that must not be replaced or that another run is writing; raised
        before any case runs.
    """
    chosen = resolve_cases(cases)
    _check_drops(drops)
    configs = [case_config(c, drops=drops, seed=seed) for c in chosen]  # validate all first
    with claim_output(out_dir, kind="calibration", force=force):
        results = []
        for i, (case, cfg) in enumerate(zip(chosen, configs)):
            results.append(run_case(case, cfg, progress=_case_progress(progress, case.name, i, len(chosen))))
        written = Path(out_dir) if out_dir is not None else None
        out = CalibrationResult(cases=tuple(results), out_dir=written)
        if written is not None:
            write_calibration(written, out)
    return out


# --------------------------------------------------------------------------- outputs

def _pct_key(p: float) -> str:
    return f"{p:g}"


def _round(x: float | None, ndigits: int = 3) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), ndigits)


def calibration_record(result: CalibrationResult) -> dict[str, Any]:
    """``calibration.json``: one entry per case and metric (see docs/calibration.md).

    Stable keys: ``case``, ``metric``, ``percentiles``, ``reference`` (null without one),
    ``pass`` (null without a reference); coupling loss in the 3GPP sign (negative dB)."""
    entries = []
    for cr in result.cases:
        for key, mr in cr.metrics.items():
            ref = mr.reference
            band = None
            if ref is not None and ref.has_band:
                band = {
                    "min": {_pct_key(c.percent): _round(c.band_min_db) for c in mr.checks},
                    "max": {_pct_key(c.percent): _round(c.band_max_db) for c in mr.checks},
                }
            entries.append(
                {
                    "case": cr.case.name,
                    "metric": key,
                    "percentiles": {_pct_key(c.percent): _round(c.simulated_db) for c in mr.checks},
                    "reference": (
                        None
                        if ref is None
                        else {_pct_key(c.percent): _round(c.reference_db) for c in mr.checks}
                    ),
                    "pass": mr.passed,
                    "reference_source": None if ref is None else ref.source,
                    "band": band,
                    "tolerance_db": next(
                        (c.tolerance_db for c in mr.checks if c.tolerance_db is not None), None
                    ),
                    "percentile_pass": {_pct_key(c.percent): c.passed for c in mr.checks},
                    "n_ue": cr.n_ue,
                    "drops": cr.config.drops,
                    "seed": cr.config.seed,
                    "config_hash": cr.config_hash,
                }
            )
    return {
        "nrsim_version": __version__,
        "reference": REFERENCE_CITATION,
        "compared_percentiles": list(COMPARED_PERCENTILES),
        "pass": result.passed,
        "cases": entries,
    }


def _write_csv(path: Path, header: list[str], rows: Iterable[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])


def _fmt(x: float | None) -> str | None:
    return None if x is None or not math.isfinite(x) else f"{x:.3f}"


def _percentile_rows(cr: CaseResult, key: str, mr: MetricResult) -> list[list[Any]]:
    rows = []
    for c in mr.checks:
        rows.append(
            [
                cr.case.name,
                key,
                f"{c.percent:g}",
                _fmt(c.simulated_db),
                _fmt(c.reference_db),
                _fmt(c.band_min_db),
                _fmt(c.band_max_db),
                _fmt(c.tolerance_db),
                _fmt(c.difference_db),
                "" if c.passed is None else ("pass" if c.passed else "FAIL"),
                "" if mr.reference is None else mr.reference.source,
            ]
        )
    return rows


PERCENTILE_TABLE_HEADER = [
    "case", "metric", "cdf_percent", "nrsim_db", "reference_db", "band_min_db", "band_max_db",
    "tolerance_db", "difference_db", "result", "reference_source",
]


def _write_plot(folder: Path, cr: CaseResult, key: str, mr: MetricResult) -> None:
    info = METRICS[key]
    ref = mr.reference
    reference = band = None
    if ref is not None:
        reference = {ref.description: (ref.value_db, ref.cdf_percent / 100.0)}
        if ref.band_min_db is not None and ref.band_max_db is not None:
            band = {
                f"3GPP company min..max ({ref.n_companies} companies)": (
                    ref.band_min_db, ref.band_max_db, ref.cdf_percent / 100.0
                )
            }
    verdict = {True: "pass", False: "FAIL", None: "no 3GPP reference"}[mr.passed]
    plot_cdf(
        folder / f"{info.file_stem}.png",
        {"nrsim": mr.values_db},
        xlabel=info.axis_label,
        title=(
            f"{cr.case.name}: {info.title} ({cr.case.label}, {cr.case.fc_ghz:g} GHz)\n"
            f"{cr.n_ue:,} UEs, {cr.config.drops} drops; {verdict}"
        ),
        stamp=f"nrsim {__version__} | config {cr.config_hash} | seed {cr.config.seed}",
        reference=reference,
        band=band,
    )


def write_calibration(out_dir: Path, result: CalibrationResult) -> None:
    """Write a calibration result folder atomically::

        calibration.json              the record (see calibration_record)
        percentiles.csv               every case, metric and compared percentile
        <case>/config.json            the resolved config of the case
        <case>/<metric>_cdf.csv       simulated CDF at 0..100 % (1 % steps)
        <case>/<metric>_percentiles.csv  simulated vs reference percentiles
        <case>/<metric>.png           CDF with the reference curve and company band
    """
    all_rows: list[list[Any]] = []
    with atomic_directory(Path(out_dir), kind="calibration") as tmp:
        for cr in result.cases:
            folder = tmp / cr.case.name
            folder.mkdir()
            write_json(
                folder / "config.json",
                {"config_hash": cr.config_hash, "config": cr.config.model_dump(mode="json")},
            )
            for key, mr in cr.metrics.items():
                info = METRICS[key]
                cdf = simulated_percentiles(mr.values_db, CDF_PERCENTS)
                _write_csv(
                    folder / f"{info.file_stem}_cdf.csv",
                    ["cdf_percent", "value_db"],
                    ([f"{p:g}", _fmt(v)] for p, v in cdf.items()),
                )
                rows = _percentile_rows(cr, key, mr)
                all_rows.extend(rows)
                _write_csv(folder / f"{info.file_stem}_percentiles.csv", PERCENTILE_TABLE_HEADER, rows)
                _write_plot(folder, cr, key, mr)
        _write_csv(tmp / "percentiles.csv", PERCENTILE_TABLE_HEADER, all_rows)
        write_json(tmp / "calibration.json", calibration_record(result))
