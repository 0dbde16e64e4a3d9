"""The public Python API; the CLI is a thin wrapper over these functions."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nrsim import __version__
from nrsim.channel.tr38901.pathloss import check_validity
from nrsim.config.loading import (
    apply_overrides,
    config_hash,
    read_scenario_source,
    validate_mapping,
)
from nrsim.config.schema import ScenarioConfig
from nrsim.engine.snapshot import build_layout, snapshot_drop
from nrsim.errors import ConfigError, ModelValidityError, ModelValidityWarning
from nrsim.kpi.metrics import snapshot_kpis
from nrsim.kpi.writers import atomic_directory, write_json
from nrsim.link.numerology import n_rb

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each drop."""


def check_model_validity(cfg: ScenarioConfig) -> None:
    """Check the config against the validity ranges of the models it uses (TR 38.901
    frequency and heights; TS 38.101 bandwidth/SCS). Raises :class:`ConfigError` naming the
    field; under ``channel.validity = "warn"`` a range violation only warns."""
    dep, ue = cfg.deployment, cfg.deployment.ue
    heights = [ue.outdoor_height_m] if ue.indoor_fraction < 1.0 else []
    if ue.indoor_fraction > 0.0:
        if ue.indoor_floors:
            heights.append(3.0 * (ue.building_floors_max - 1) + 1.5)
            heights.append(1.5)
        else:
            heights.append(ue.indoor_height_m)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", ModelValidityWarning)
            check_validity(
                cfg.channel.scenario,
                fc_ghz=cfg.channel.fc_ghz,
                h_bs_m=dep.bs_height_m,
                h_ut_m=np.asarray(heights) if heights else None,
                policy=cfg.channel.validity,
            )
    except ModelValidityError as exc:
        field = exc.field or "channel"
        if not field.startswith(("channel.", "deployment.")):
            field = {
                "fc_ghz": "channel.fc_ghz",
                "h_bs_m": "deployment.bs_height_m",
                "h_ut_m": "deployment.ue",
            }.get(field, f"channel.{field}")
        raise ConfigError(f"{field}: {exc}", field=field) from None
    n_rb(cfg.radio.bandwidth_mhz, cfg.radio.scs_khz, cfg.channel.fc_ghz)


def load_config(
    source: str | Path | Mapping[str, Any] = "uma-default",
    overrides: Iterable[str] = (),
    *,
    seed: int | None = None,
    drops: int | None = None,
) -> ScenarioConfig:
    """Resolve a scenario: a preset name, a TOML file path or a mapping, then dotted
    ``key=value`` overrides, then ``seed``/``drops``; validated once.

    Raises :class:`~nrsim.errors.ConfigError` with the field and what is allowed."""
    if isinstance(source, Mapping):
        data = dict(source)
    else:
        data, _ = read_scenario_source(source)
    extra = list(overrides)
    if seed is not None:
        extra.append(f"seed={int(seed)}")
    if drops is not None:
        extra.append(f"drops={int(drops)}")
    cfg = validate_mapping(apply_overrides(data, extra))
    check_model_validity(cfg)
    return cfg


@dataclass(frozen=True)
class RunResult:
    """Outputs of :func:`run`: per-UE and per-cell tables, the summary, and where they were
    written (None when not written)."""

    config: ScenarioConfig
    ue: pd.DataFrame
    cell: pd.DataFrame
    summary: dict[str, Any]
    out_dir: Path | None


def _provenance(cfg: ScenarioConfig) -> dict[str, Any]:
    return {
        "nrsim_version": __version__,
        "scenario": cfg.name,
        "seed": cfg.seed,
        "drops": cfg.drops,
        "config_hash": config_hash(cfg),
    }


def run(
    config: ScenarioConfig | str | Path,
    *,
    out_dir: str | Path | None = None,
    progress: ProgressCallback | None = None,
) -> RunResult:
    """Run all drops of a scenario and compute its KPIs; with ``out_dir`` write
    ``ue.parquet``, ``cell.parquet``, ``summary.json``, ``config.json`` and CDF plots
    there, atomically (a failed run leaves no folder behind)."""
    cfg = config if isinstance(config, ScenarioConfig) else load_config(config)
    layout = build_layout(cfg)
    ue_parts, cell_parts = [], []
    for d in range(cfg.drops):
        res = snapshot_drop(cfg, d, layout=layout)
        ue_parts.append(pd.DataFrame(res.ue))
        cell_parts.append(pd.DataFrame(res.cell))
        if progress is not None:
            progress(d + 1, cfg.drops)
    ue = pd.concat(ue_parts, ignore_index=True)
    cell = pd.concat(cell_parts, ignore_index=True)
    bandwidth_hz = cfg.radio.bandwidth_mhz * 1e6
    summary = {
        **_provenance(cfg),
        "kpis": snapshot_kpis(ue, cell, bandwidth_hz),
        "config": cfg.model_dump(mode="json"),
    }
    written = None
    if out_dir is not None:
        written = Path(out_dir)
        write_results(written, cfg, ue, cell, summary)
    return RunResult(config=cfg, ue=ue, cell=cell, summary=summary, out_dir=written)


def write_results(
    out_dir: Path, cfg: ScenarioConfig, ue: pd.DataFrame, cell: pd.DataFrame, summary: dict
) -> None:
    """Write a run's result folder atomically."""
    with atomic_directory(out_dir) as tmp:
        if cfg.output.per_ue:
            ue.to_parquet(tmp / "ue.parquet", index=False)
        cell.to_parquet(tmp / "cell.parquet", index=False)
        write_json(tmp / "summary.json", summary)
        write_json(tmp / "config.json", summary["config"])
        if cfg.output.plots:
            _write_plots(tmp, cfg, ue)


def _write_plots(folder: Path, cfg: ScenarioConfig, ue: pd.DataFrame) -> None:
    from nrsim.report.plots import plot_cdf

    prov = _provenance(cfg)
    stamp = f"nrsim {prov['nrsim_version']} | config {prov['config_hash']} | seed {cfg.seed}"
    specs = [
        ("cdf_sinr.png", {"SINR": ue["sinr_db"], "SIR (geometry)": ue["sir_db"]}, "SINR / SIR [dB]"),
        ("cdf_coupling_loss.png", {"coupling loss": ue["coupling_loss_db"]}, "Serving-cell coupling loss [dB]"),
        ("cdf_rsrp.png", {"RSRP": ue["rsrp_dbm"]}, "RSRP [dBm]"),
        ("cdf_throughput.png", {"user throughput": ue["throughput_bps"] / 1e6}, "User throughput [Mbit/s]"),
    ]
    for name, series, xlabel in specs:
        plot_cdf(
            folder / name,
            {k: np.asarray(v) for k, v in series.items()},
            xlabel=xlabel,
            title=f"{cfg.name}: {cfg.drops} drops, {len(ue)} UEs",
            stamp=stamp,
        )
