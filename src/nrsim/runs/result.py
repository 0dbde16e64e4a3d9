"""The typed result of a run: provenance, KPI sections and tables.

A :class:`Result` is what :func:`nrsim.run` returns and what :func:`nrsim.read_result` reads
back from a result folder. Its ``kind`` (``snapshot``, ``slots``, ``mobility``, ``calls``;
:data:`KINDS`) is stored in ``summary.json`` and says which tables and KPI sections it has;
readers dispatch on it, never on which keys happen to be present.

Every KPI section is a frozen dataclass whose typed fields are the KPIs that the report,
``nrsim compare`` and the CLI read; ``data`` keeps the whole JSON object of the section as
written in ``summary.json`` (so every key stays, and writing it back gives the same bytes)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from nrsim.config.schema import ScenarioConfig
from nrsim.coverage.xarray_maps import open_maps
from nrsim.errors import ConfigError

KINDS = ("snapshot", "slots", "mobility", "calls")
"""The kinds of run (:mod:`nrsim.runs.modes`), as stored in ``summary.json`` (``kind``)."""

PRIMARY_TABLES: dict[str, tuple[str, str | None]] = {
    "snapshot": ("ue", "cell"),
    "slots": ("ue", "cell"),
    "mobility": ("ue_mobility", None),
    "calls": ("ue_calls", "cell_calls"),
}
"""The per-UE and per-cell table of each kind (:attr:`Result.ue`, :attr:`Result.cell`)."""


def _num(data: Mapping[str, Any], key: str) -> float | None:
    """A KPI as a float; None when missing or not a number (NaN in memory, null on disk)."""
    v = data.get(key)
    if v is None or isinstance(v, (dict, list, str)):
        return None
    return None if math.isnan(float(v)) else float(v)


_READERS: dict[str, Callable[[Mapping[str, Any], str], Any]] = {
    "int": lambda d, k: int(d.get(k) or 0),
    "float": lambda d, k: float(d.get(k) or 0.0),
    "float | None": _num,
    "str": lambda d, k: str(d.get(k, "")),
    "bool": lambda d, k: bool(d.get(k)),
    "Mapping[str, Any] | None": lambda d, k: d.get(k) or None,
    "tuple[Mapping[str, Any], ...]": lambda d, k: tuple(d.get(k) or ()),
}
"""How a KPI section reads a field of each annotated type from its JSON object; any other
``Mapping[...]`` reads as the object or ``{}``."""

_S = TypeVar("_S", bound="_Section")


class _Section:
    """A KPI section: a frozen dataclass of typed KPIs plus ``data`` (the whole JSON object).

    One reader for every section: each field is read by its annotated type (:data:`_READERS`),
    so a missing key or a JSON null gives 0, ``""``, ``{}`` or None as the type says, and
    ``data`` keeps the object as written."""

    @classmethod
    def from_json(cls: type[_S], d: Mapping[str, Any]) -> _S:
        values: dict[str, Any] = {}
        for f in fields(cls):  # type: ignore[arg-type]
            if f.name == "data":
                values[f.name] = d
            elif str(f.type) in _READERS:
                values[f.name] = _READERS[str(f.type)](d, f.name)
            elif str(f.type).startswith("Mapping["):
                values[f.name] = d.get(f.name) or {}
            else:
                raise TypeError(f"{cls.__name__}.{f.name}: no JSON reader for {f.type}")
        return cls(**values)


@dataclass(frozen=True)
class Provenance:
    """Where a result comes from (``summary.json``'s top level; guide rule 7)."""

    kind: str
    nrsim_version: str
    scenario: str
    seed: int
    drops: int
    config_hash: str
    geo: Mapping[str, Any] | None = None
    """``summary.json``'s ``geo`` key: CRS (``crs``, ``epsg``, ``proj``) and origin
    (``origin_e_m``/``origin_n_m``, ``origin_lat``/``origin_lon``) of the local frame
    (``nrsim.deployment.identity``); ``{"crs": None, ...}`` for generated layouts."""

    @property
    def crs_epsg(self) -> int | None:
        """EPSG code of the UTM zone of the local metric frame (site-list layouts), else None."""
        return None if not self.geo or self.geo.get("epsg") is None else int(self.geo["epsg"])

    @property
    def origin_e_m(self) -> float | None:
        """Easting of the local frame's origin [m] in ``crs_epsg`` (site-list layouts)."""
        return None if not self.geo or self.geo.get("origin_e_m") is None else float(self.geo["origin_e_m"])

    @property
    def origin_n_m(self) -> float | None:
        """Northing of the local frame's origin [m] in ``crs_epsg`` (site-list layouts)."""
        return None if not self.geo or self.geo.get("origin_n_m") is None else float(self.geo["origin_n_m"])

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"nrsim_version": self.nrsim_version, "scenario": self.scenario, "seed": self.seed,
                               "drops": self.drops, "config_hash": self.config_hash, "kind": self.kind}
        if self.geo is not None:
            out["geo"] = dict(self.geo)
        return out

    @classmethod
    def from_json(cls, summary: Mapping[str, Any], kind: str, config_hash: str) -> Provenance:
        geo = summary.get("geo") if isinstance(summary.get("geo"), dict) else None
        return cls(kind=kind, nrsim_version=str(summary.get("nrsim_version", "")),
                   scenario=str(summary.get("scenario", "")), seed=int(summary.get("seed", 0) or 0),
                   drops=int(summary.get("drops", 0) or 0), config_hash=config_hash, geo=geo)


@dataclass(frozen=True)
class SnapshotKpis(_Section):
    """``kpis`` of a snapshot (and of the drop part of a slot run): docs/kpis.md."""

    n_ue: int
    n_cells: int
    mean_throughput_bps: float | None
    cell_spectral_efficiency_bps_per_hz: float | None
    user_spectral_efficiency_5pct_bps_per_hz: float | None
    los_share: float | None
    indoor_share: float | None
    outage_share: float | None
    percentiles: Mapping[str, Mapping[str, float | None]]
    """metric -> {"5": value, "50": value, "95": value, ...} in the metric's unit."""
    notes: Mapping[str, str]
    data: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class SlotKpis(_Section):
    """``kpis.slots`` of a slot-level run: docs/slots.md."""

    n_slots: int
    scheduler: str
    traffic: str
    user_throughput_bps: Mapping[str, float | None]
    cell_spectral_efficiency_bps_per_hz: float | None
    user_spectral_efficiency_5pct_bps_per_hz: float | None
    bler_first_tx: float | None
    video: Mapping[str, Any] | None
    data: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class MobilityKpis(_Section):
    """``kpis.mobility`` of a mobility or call run: docs/mobility.md."""

    handovers_per_ue_per_min: float | None
    handover_failure_rate: float | None
    ping_pong_rate: float | None
    rlf_per_ue_hour: float | None
    outage_share: float | None
    data: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class CallKpis(_Section):
    """``kpis.calls`` of a run with moving UEs and video calls: docs/video.md."""

    n_calls: int
    calls_per_cell: float | None
    satisfied_share: float | None
    dl_satisfied_share: float | None
    ul_satisfied_share: float | None
    data: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class CapacityKpis(_Section):
    """``kpis.video_capacity`` of a capacity sweep: docs/video.md."""

    target_satisfied_share: float
    capacity_calls_per_cell: float | None
    reached: bool
    points: tuple[Mapping[str, Any], ...]
    data: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class Kpis:
    """The KPI sections of a result; a section the kind does not have is None."""

    snapshot: SnapshotKpis | None
    slots: SlotKpis | None
    mobility: MobilityKpis | None
    calls: CallKpis | None
    video_capacity: CapacityKpis | None
    data: Mapping[str, Any] = field(repr=False, compare=False)
    """``summary.json``'s whole ``kpis`` object."""

    @classmethod
    def from_json(cls, kind: str, d: Mapping[str, Any]) -> Kpis:
        def sec(key: str, make: Callable[[Mapping[str, Any]], Any]) -> Any:
            v = d.get(key)
            return make(v) if isinstance(v, dict) else None

        return cls(snapshot=SnapshotKpis.from_json(d) if kind in ("snapshot", "slots") else None,
                   slots=sec("slots", SlotKpis.from_json), mobility=sec("mobility", MobilityKpis.from_json),
                   calls=sec("calls", CallKpis.from_json), video_capacity=sec("video_capacity", CapacityKpis.from_json),
                   data=d)


class Tables(Mapping[str, pd.DataFrame]):
    """The tables of a result by name (``ue``, ``cell``, ``ue_slots``, ...; the file is
    ``<name>.parquet``): those held in memory, and those of ``folder`` read on first access
    with ``read`` (a national run's per-UE table need not fit in memory)."""

    def __init__(self, memory: Mapping[str, pd.DataFrame | None], folder: Path | None = None,
                 read: Callable[[Path], pd.DataFrame] | None = None) -> None:
        self._memory = {k: v for k, v in memory.items() if v is not None}
        self._folder = folder
        self._read = read or pd.read_parquet
        on_disk = sorted(p.stem for p in folder.glob("*.parquet")) if folder is not None else []
        self._names = list(self._memory) + [n for n in on_disk if n not in self._memory]

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._memory:
            if name not in self._names or self._folder is None:
                raise KeyError(name)
            self._memory[name] = self._read(self._folder / f"{name}.parquet")
        return self._memory[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"Tables({', '.join(self._names)})"


def _optional_table(name: str, doc: str) -> property:
    """A read-only attribute of :class:`Result`: its table ``name``, or None when it has none."""

    def table(self: Result) -> pd.DataFrame | None:
        return self.tables[name] if name in self.tables else None

    table.__doc__ = doc
    return property(table)


@dataclass(frozen=True, repr=False)
class Result:
    """A run's result: ``kind``, resolved ``config``, ``provenance``, typed ``kpis`` and
    ``tables``; ``path`` is its result folder (None when not written). ``summary`` is the
    JSON object of ``summary.json``."""

    kind: str
    config: ScenarioConfig
    provenance: Provenance
    kpis: Kpis
    tables: Tables
    summary: dict[str, Any]
    path: Path | None = None

    def maps(self) -> dict[str, Any]:
        """The coverage maps of the result folder (the ``coverage_*.tif`` written by the first
        ``nrsim report``) as ``xarray.DataArray`` [y, x] with their CRS, coordinates, names and
        units (:func:`nrsim.coverage.xarray_maps.open_maps`; needs ``pip install nrsim[xarray]``).
        :class:`ConfigError` when the result has no folder or no coverage maps yet."""
        if self.path is None:
            raise ConfigError("this result was not written to a folder: it has no coverage maps", field="path")
        return open_maps(self.path)

    # The names of RunResult (nrsim <= 0.1): the tables by their role.
    @property
    def out_dir(self) -> Path | None:
        """The result folder (as :attr:`path`)."""
        return self.path

    @property
    def ue(self) -> pd.DataFrame:
        """The per-UE table (``ue``; ``ue_mobility`` / ``ue_calls`` for moving UEs)."""
        name = PRIMARY_TABLES[self.kind][0]
        if name not in self.tables:
            raise FileNotFoundError("this run kept no per-UE table (output.per_ue = false)")
        return self.tables[name]

    @property
    def cell(self) -> pd.DataFrame:
        """The per-cell table (``cell``; ``cell_calls``; empty for a mobility run)."""
        name = PRIMARY_TABLES[self.kind][1]
        return self.tables[name] if name is not None and name in self.tables else pd.DataFrame()

    ue_slots = _optional_table("ue_slots", "Per-UE slot-level KPIs (slot runs; docs/slots.md).")
    cell_slots = _optional_table("cell_slots", "Per-cell slot-level KPIs (slot runs).")
    events = _optional_table("handover_events", "Handover, failure and RLF events (mobility and call runs).")
    capacity = _optional_table("capacity", "The capacity curve of a capacity sweep.")

    def __repr__(self) -> str:
        k = self.kpis
        parts: list[str] = []
        if k.snapshot is not None:
            s = k.snapshot
            parts.append(f"{s.n_ue} UEs, {s.n_cells} cells")
            sinr = (s.percentiles.get("sinr_db") or {}).get("50")
            if sinr is not None:
                parts.append(f"median SINR {sinr:.2f} dB")
            if s.mean_throughput_bps is not None:
                parts.append(f"mean throughput {s.mean_throughput_bps / 1e6:.3g} Mbit/s")
        if k.slots is not None and k.slots.user_throughput_bps.get("mean") is not None:
            parts.append(f"slot mean throughput {k.slots.user_throughput_bps['mean'] / 1e6:.3g} Mbit/s")
        if k.mobility is not None and k.mobility.handovers_per_ue_per_min is not None:
            parts.append(f"{k.mobility.handovers_per_ue_per_min:.3g} handovers/UE/min")
        if k.calls is not None and k.calls.satisfied_share is not None:
            parts.append(f"{k.calls.n_calls} calls, satisfied {k.calls.satisfied_share:.3f}")
        if k.video_capacity is not None and k.video_capacity.capacity_calls_per_cell is not None:
            parts.append(f"capacity {k.video_capacity.capacity_calls_per_cell:.3g} calls/cell")
        where = str(self.path) if self.path is not None else "not written"
        return (f"<{type(self).__name__} {self.kind} {self.config.name!r} seed {self.provenance.seed}, "
                f"{self.provenance.drops} drops: {'; '.join(parts) or 'no KPIs'}; {where}>")


RunResult = Result
"""The name :func:`nrsim.run`'s result had before :class:`Result` (kept: the same class)."""
