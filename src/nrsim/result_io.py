"""Reading a result folder of :func:`nrsim.run` back, checked (``nrsim report``, ``nrsim
compare``): one reader that names the file and what is wrong instead of a traceback.

:func:`check_result_folder` checks, before anything is computed or written:

* the folder exists and holds ``summary.json`` and ``config.json``, both UTF-8 JSON objects;
* ``summary.json`` has the shape the readers use (:data:`SUMMARY_SHAPE`: ``config`` and
  ``kpis`` objects; every KPI that is read is a number or null, every section an object; the
  run's ``kind``, when stored, one of :data:`nrsim.runs.result.KINDS`);
* its ``config`` is a valid scenario (:func:`nrsim.load_config`) and ``config.json`` equals it;
* every table it holds of :data:`TABLES` decodes as Parquet (all row groups, streamed) and has
  the columns the readers use, with a usable type.

:func:`read_result` returns the checked folder as a typed :class:`~nrsim.runs.result.Result`.

Anything else raises :class:`ResultFolderError` (a :class:`ConfigError`) whose ``field`` is
the file's name.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from nrsim.config.loading import config_hash, validate_mapping
from nrsim.config.schema import ScenarioConfig
from nrsim.errors import ConfigError, show_value
from nrsim.runs.load import load_config
from nrsim.runs.modes import kind_of
from nrsim.runs.result import KINDS, Kpis, Provenance, Result, Tables

MAX_JSON_BYTES = 256 * 2**20
"""Largest summary.json / config.json read [bytes] (a run writes a few kB)."""


class ResultFolderError(ConfigError):
    """A result folder is missing, incomplete or corrupt; ``field`` names the file."""


# ----------------------------------------------------------------------- summary.json shape
# A shape is a predicate with a description: _Shape(test, "what is allowed"), or an _Obj.


@dataclass(frozen=True)
class _Shape:
    test: Callable[[Any], bool]
    allowed: str


@dataclass(frozen=True)
class _Obj:
    """A JSON object: ``fields`` checked where present (``required`` must be), other keys
    checked against ``rest``."""

    fields: dict[str, Any]
    required: tuple[str, ...] = ()
    rest: Any = None
    allowed: str = "an object"


@dataclass(frozen=True)
class _ListOf:
    item: Any
    allowed: str


@dataclass(frozen=True)
class _Either:
    shapes: tuple[Any, ...]
    allowed: str


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


ANY = _Shape(lambda v: True, "anything")
NUM = _Shape(lambda v: v is None or _is_number(v), "a number or null")
NUM_SET = _Shape(_is_number, "a number")
NOT_OBJECT = _Shape(lambda v: not isinstance(v, dict), "not an object")
SCALAR = _Shape(lambda v: v is None or isinstance(v, (str, int, float, bool)), "a number, text, boolean or null")


def _map_of(shape: Any, allowed: str) -> _Obj:
    return _Obj({}, rest=shape, allowed=allowed)


_PERCENTILES = _map_of(NUM, "an object of percentile: number")
_PCT_OR_VALUE = _Either((_PERCENTILES, NOT_OBJECT), "an object of percentile: number, or a single value")
_THRESHOLDS = _Obj({"max_loss": NUM, "max_p95_delay_s": NUM})
SNAPSHOT_KEYS = ("n_ue", "n_cells", "mean_throughput_bps", "cell_spectral_efficiency_bps_per_hz",
                 "user_spectral_efficiency_5pct_bps_per_hz", "los_share", "indoor_share", "outage_share")
"""Scalar KPIs of a snapshot run (kpis.<key>)."""
CALL_NUMBERS = ("n_calls", "calls_per_cell", "satisfied_share", "dl_satisfied_share", "ul_satisfied_share",
                "satisfied_share_with_handover", "satisfied_share_without_handover", "calls_with_handover",
                "video_bitrate_offered_bps", "ul_video_bitrate_offered_bps", "background_ues")
"""Scalar KPIs of kpis.calls (and kpis.slots.video)."""
MOBILITY_NUMBERS = ("handovers_per_ue_per_min", "handover_failure_rate", "ping_pong_rate", "rlf_per_ue_hour",
                    "outage_share")
"""Scalar KPIs of kpis.mobility that are compared."""
_POINT = _Obj({"calls_per_cell": NUM, "satisfied_share": NUM}, required=("calls_per_cell", "satisfied_share"),
              rest=SCALAR, allowed="an object with calls_per_cell and satisfied_share")
_CALLS = _Obj({**{k: NUM for k in CALL_NUMBERS}, "thresholds": _THRESHOLDS,
               "dl": _map_of(_PCT_OR_VALUE, "an object"), "ul": _map_of(_PCT_OR_VALUE, "an object")}, rest=ANY)
_VIDEO = _Obj({**{k: NUM for k in CALL_NUMBERS}, "thresholds": _THRESHOLDS,  # dl / ul: a static run on the call core
               "dl": _map_of(_PCT_OR_VALUE, "an object"), "ul": _map_of(_PCT_OR_VALUE, "an object")},
              rest=_PCT_OR_VALUE)
KPIS_SHAPE = _Obj({
    "percentiles": _map_of(_PERCENTILES, "an object of metric: {percentile: number}"),
    **{k: NUM for k in SNAPSHOT_KEYS},
    "mobility": _Obj({k: NUM for k in MOBILITY_NUMBERS}, rest=ANY),
    "calls": _CALLS,
    "slots": _Obj({"video": _VIDEO}, rest=ANY),
    "video_capacity": _Either((_Shape(lambda v: v is None, "null"), _Obj({
        "target_satisfied_share": NUM_SET, "capacity_calls_per_cell": NUM, "reached": ANY,
        "points": _ListOf(_POINT, "a list of objects with calls_per_cell and satisfied_share"),
    })), "null or an object"),
}, rest=ANY)
"""The parts of ``summary.json``'s ``kpis`` that ``nrsim report`` and ``nrsim compare`` read."""
SUMMARY_SHAPE = _Obj({"config": _Obj({}, rest=ANY), "kpis": KPIS_SHAPE,
                      "kind": _Shape(lambda v: v in KINDS, f"one of {', '.join(KINDS)}")},
                     required=("config", "kpis"), rest=ANY)
"""The shape of ``summary.json``."""


def _problem(value: Any, shape: Any, where: str) -> str | None:
    """The first place where ``value`` does not have ``shape``, as "where = value: allowed ..."."""
    if isinstance(shape, _Shape):
        return None if shape.test(value) else f"{where} = {show_value(value)}: allowed {shape.allowed}"
    if isinstance(shape, _Either):
        problems = [_problem(value, s, where) for s in shape.shapes]
        if None in problems:
            return None
        deeper = [p for p in problems if p and not p.startswith(f"{where} = ")]  # the right kind, wrong inside
        return deeper[0] if deeper else f"{where} = {show_value(value)}: allowed {shape.allowed}"
    if isinstance(shape, _ListOf):
        if not isinstance(value, list):
            return f"{where} = {show_value(value)}: allowed {shape.allowed}"
        return next((p for p in (_problem(v, shape.item, f"{where}.{i}") for i, v in enumerate(value)) if p), None)
    if not isinstance(value, dict):
        return f"{where} = {show_value(value)}: allowed {shape.allowed}"
    for key in shape.required:
        if key not in value:
            return f"{where}.{key} is missing; required"
    for key, item in value.items():
        sub = shape.fields.get(key, shape.rest)
        if sub is not None:
            found = _problem(item, sub, f"{where}.{key}")
            if found:
                return found
    return None


def check_summary(summary: Any, where: str = "summary.json") -> None:
    """:class:`ResultFolderError` when ``summary`` is not shaped like :data:`SUMMARY_SHAPE`
    (plus: a run without mobility KPIs has percentiles; a call run has mobility KPIs)."""
    found = _problem(summary, SUMMARY_SHAPE, "summary")
    if found is None:
        kpis = summary["kpis"]
        if "calls" in kpis and "mobility" not in kpis:
            found = "summary.kpis.mobility is missing; required with kpis.calls"
        elif "mobility" not in kpis and "percentiles" not in kpis:
            found = "summary.kpis.percentiles is missing; required (a run without mobility)"
    if found:
        raise ResultFolderError(f"{where}: {found}", field=Path(where).name)


# ----------------------------------------------------------------------- tables

NUMBER, FLAG, TEXT = "number", "flag", "text"


@dataclass(frozen=True)
class TableSpec:
    """Columns a reader uses: ``required`` must exist, ``optional`` are checked when present;
    ``all_numbers`` makes every column a number column."""

    required: dict[str, str]
    optional: dict[str, str]
    all_numbers: bool = False


TABLES: dict[str, TableSpec] = {
    "ue.parquet": TableSpec({c: NUMBER for c in ("x_m", "y_m", "serving_cell", "coupling_loss_db", "rsrp_dbm",
                                                 "sinr_db", "throughput_bps")}, {}),
    "ue_calls.parquet": TableSpec(
        {"drop": NUMBER, "ue": NUMBER, "call": FLAG, "call_satisfied": FLAG, "final_serving_cell": NUMBER,
         "video_frame_loss": NUMBER, "ul_video_frame_loss": NUMBER, "video_p95_delay_s": NUMBER},
        {c: NUMBER for c in ("ul_video_p95_delay_s", "video_bitrate_bps", "ul_video_bitrate_bps")}),
    "handover_events.parquet": TableSpec({"kind": TEXT, "outcome": TEXT}, {"x_m": NUMBER, "y_m": NUMBER}),
    "capacity.parquet": TableSpec({"calls_per_cell": NUMBER, "satisfied_share": NUMBER}, {}, all_numbers=True),
}
"""The tables of a result folder that ``nrsim report`` / ``nrsim compare`` read, by file name."""


def _kind_ok(arrow_type, kind: str, n_rows: int) -> bool:
    import pyarrow as pa

    t = arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type
    if n_rows == 0:
        return True  # an empty table's columns carry no values (a run writes empty ones as float)
    if kind == TEXT:
        return pa.types.is_string(t) or pa.types.is_large_string(t)
    numeric = pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)
    return numeric


def _allowed(kind: str) -> str:
    return {NUMBER: "numbers", FLAG: "booleans or numbers", TEXT: "text"}[kind]


def _check_schema(schema, n_rows: int, spec: TableSpec, name: str) -> None:
    names = list(schema.names)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ResultFolderError(f"{name}: column(s) {', '.join(map(repr, repeated))} appear more than once",
                                field=name)
    missing = [c for c in spec.required if c not in names]
    if missing:
        raise ResultFolderError(f"{name}: column(s) {', '.join(missing)} missing; required "
                                f"{', '.join(spec.required)}", field=name)
    kinds = {**spec.optional, **spec.required}
    if spec.all_numbers:
        kinds = {**{c: NUMBER for c in names}, **kinds}
    for col, kind in kinds.items():
        if col in names and not _kind_ok(schema.field(col).type, kind, n_rows):
            raise ResultFolderError(f"{name}: column {col!r} holds {schema.field(col).type}; allowed {_allowed(kind)}",
                                    field=name)


def check_table(path: Path, spec: TableSpec | None = None) -> None:
    """Decode every row group of the Parquet file ``path`` (streamed, in bounded memory)
    and check its columns against ``spec`` (default: :data:`TABLES` by file name)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = path.name
    spec = spec or TABLES[name]
    try:  # the bytes are untrusted: any decoder failure means the file is not readable
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
        n_rows = pf.metadata.num_rows
        for _ in pf.iter_batches(batch_size=65_536):
            pass
        pa.Table.from_batches([], schema=schema).to_pandas()  # the pandas metadata, as pd.read_parquet uses it
    except Exception as exc:
        raise ResultFolderError(f"{name}: not a readable Parquet file ({type(exc).__name__}: "
                                f"{show_value(str(exc))})", field=name) from None
    _check_schema(schema, n_rows, spec, name)


def read_table(path: Path, spec: TableSpec | None = None) -> pd.DataFrame:
    """The table of the Parquet file ``path`` as a DataFrame (as ``pd.read_parquet``),
    checked as :func:`check_table`."""
    import pyarrow.parquet as pq

    name = path.name
    spec = spec or TABLES[name]
    try:  # the bytes are untrusted: any decoder failure means the file is not readable
        table = pq.read_table(path)
        _check_schema(table.schema, table.num_rows, spec, name)
        return table.to_pandas()
    except ResultFolderError:
        raise
    except Exception as exc:
        raise ResultFolderError(f"{name}: not a readable Parquet file ({type(exc).__name__}: "
                                f"{show_value(str(exc))})", field=name) from None


# ----------------------------------------------------------------------- the folder


@dataclass(frozen=True)
class ResultFolder:
    """A checked result folder: its path, ``summary.json`` and the resolved config."""

    path: Path
    summary: dict[str, Any]
    config: ScenarioConfig

    def table(self, name: str) -> Path | None:
        """The path of table ``name`` when the folder has it."""
        p = self.path / name
        return p if p.is_file() else None


def read_json(path: Path) -> Any:
    """The JSON value of a result folder's file; :class:`ResultFolderError` naming it when
    it is missing, too large, not UTF-8, not JSON or nested too deeply."""
    name = path.name
    try:
        if not path.is_file():
            raise ResultFolderError(f"{path.parent}: {name} is missing; a result folder of nrsim run has "
                                    "summary.json and config.json", field=name)
        if path.stat().st_size > MAX_JSON_BYTES:
            raise ResultFolderError(f"{name}: larger than {MAX_JSON_BYTES // 2**20} MiB; not a result file",
                                    field=name)
        raw = path.read_bytes()
    except OSError as exc:
        raise ResultFolderError(f"{path}: cannot read ({exc.strerror or exc})", field=name) from None
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ResultFolderError(f"{name}: not UTF-8 text (byte {exc.start}); not written by nrsim", field=name) from None
    except RecursionError:
        raise ResultFolderError(f"{name}: not valid JSON (nested too deeply)", field=name) from None
    except ValueError as exc:
        raise ResultFolderError(f"{name}: not valid JSON ({show_value(str(exc))})", field=name) from None


def _same_json(a: Any, b: Any) -> bool:
    """JSON equality with NaN equal to NaN (``json`` reads the NaN literal)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def check_result_folder(folder: str | Path, *, tables: bool = True, inputs: bool = True) -> ResultFolder:
    """Check a result folder as the module docstring says and return it; ``tables=False``
    leaves the Parquet tables to :func:`read_table` (a caller that reads them anyway);
    ``inputs=False`` checks the stored config against the schema only, without reading the
    input files it names (site list, area file): for readers that use only what the folder
    stores (the report of a folder whose coverage is stored, :mod:`nrsim.coverage.store`)."""
    path = Path(folder)
    try:
        is_dir = path.is_dir()
    except (OSError, ValueError):
        is_dir = False
    if not is_dir:
        raise ResultFolderError(f"{folder}: not a result folder (no such folder)", field="RESULTS_DIR")
    if not (path / "summary.json").is_file():
        raise ResultFolderError(f"{folder}: not a result folder (no summary.json)", field="summary.json")
    summary = read_json(path / "summary.json")
    check_summary(summary)
    try:
        config = load_config(summary["config"]) if inputs else validate_mapping(summary["config"])
    except ConfigError as exc:
        raise ResultFolderError(f"summary.json: its config is not a valid scenario ({exc})",
                                field="summary.json") from None
    config_json = read_json(path / "config.json")
    if not _same_json(config_json, summary["config"]):
        raise ResultFolderError("config.json: differs from the config in summary.json; the folder was changed "
                                "after nrsim wrote it", field="config.json")
    if tables:
        for name in TABLES:
            if (path / name).is_file():
                check_table(path / name)
    return ResultFolder(path=path, summary=summary, config=config)


def _read_stored_table(path: Path) -> pd.DataFrame:
    """A table of a result folder: checked by :func:`read_table` when :data:`TABLES` names it."""
    return read_table(path) if path.name in TABLES else read_table(path, TableSpec({}, {}))


def read_result(folder: str | Path, *, check_tables: bool = True, inputs: bool = True) -> Result:
    """The result folder ``folder`` of :func:`nrsim.run` as a typed
    :class:`~nrsim.runs.result.Result`, checked as :func:`check_result_folder` says (tables
    are read on first access, each checked as it is read). The kind is the one stored in
    ``summary.json``; a folder written before it was stored gets the kind its config selects
    (:func:`nrsim.runs.modes.kind_of`). Raises :class:`ResultFolderError` naming the file.
    ``check_tables=False`` leaves decoding every table to its first access (as each is read);
    ``inputs=False``: see :func:`check_result_folder`."""
    rf = check_result_folder(folder, tables=check_tables, inputs=inputs)
    summary = rf.summary
    kind = summary.get("kind") or kind_of(rf.config)
    stored_hash = summary.get("config_hash")
    try:  # values the shape check lets through (e.g. a string where a count belongs)
        prov = Provenance.from_json(summary, kind, stored_hash if isinstance(stored_hash, str) else config_hash(rf.config))
        kpis = Kpis.from_json(kind, summary["kpis"])
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise ResultFolderError(
            f"{rf.path / 'summary.json'}: a value does not have its type ({type(exc).__name__}: {exc})",
            field="summary.json",
        ) from None
    return Result(kind=kind, config=rf.config, provenance=prov, kpis=kpis,
                  tables=Tables({}, rf.path, read=_read_stored_table), summary=summary, path=rf.path)
