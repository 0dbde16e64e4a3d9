"""TS 38.214 MCS and CQI tables, and the EESM calibration factors per MCS.

All tables ship as CSV files with a provenance header in ``nrsim/link/tables/``:
- ``mcs_tables_ts38214.csv``: TS 38.214 V17.x Table 5.1.3.1-1 (MCS table 1, up to 64QAM) and
  Table 5.1.3.1-2 (MCS table 2, up to 256QAM);
- ``cqi_tables_ts38214.csv``: TS 38.214 Table 5.2.2.1-2 (CQI table 1) and 5.2.2.1-3 (CQI
  table 2) with, per CQI, the MCS of the matching MCS table that carries the same (Qm, R);
- ``eesm_beta_pdsch.csv``: EESM beta per MCS (not 3GPP; NVlabs/sionna ``esm_params``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nrsim.errors import ConfigError
from nrsim.link.tables import read_csv_table

MCS_TABLES: tuple[int, ...] = (1, 2)
"""Supported MCS/CQI tables: 1 (64QAM, TS 38.214 Table 5.1.3.1-1) and 2 (256QAM, 5.1.3.1-2)."""


def _frozen(a: NDArray) -> NDArray:
    a.setflags(write=False)
    return a


def _check_table(mcs_table: int) -> None:
    if mcs_table not in MCS_TABLES:
        raise ConfigError(
            f"mcs_table = {mcs_table!r} is not supported (allowed: 1, 2)", field="mcs_table"
        )


@dataclass(frozen=True)
class ModulationCodingTable:
    """What TS 38.214 MCS and CQI tables share: per row a modulation order and a target code
    rate, and the spectral efficiency the table prints for them. Arrays indexed by row.

    index : int
        Table number (1 or 2), see :data:`MCS_TABLES`.
    qm : int64 [row]
        Modulation order (bits per symbol).
    r_x1024 : float64 [row]
        Target code rate x 1024 (682.5 and 916.5 occur in MCS table 2).
    spectral_efficiency_bit_per_re : float64 [row]
        Qm R as printed in the table [bit per resource element].
    """

    index: int
    qm: NDArray[np.int64]
    r_x1024: NDArray[np.float64]
    spectral_efficiency_bit_per_re: NDArray[np.float64]

    @property
    def code_rate(self) -> NDArray[np.float64]:
        """R = r_x1024 / 1024 [row]."""
        return self.r_x1024 / 1024.0

    @property
    def n_rows(self) -> int:
        """Number of rows (MCS indices of an MCS table, CQI values 1..15 of a CQI table)."""
        return int(self.qm.shape[0])


def _table_rows(csv_name: str, table_column: str, table: int, index_column: str) -> list[dict[str, str]]:
    """The rows of table ``table`` (1 or 2, in column ``table_column``) of ``csv_name``, in the
    order of ``index_column`` (MCS or CQI)."""
    _check_table(table)
    rows = [r for r in read_csv_table(csv_name) if int(r[table_column]) == table]
    rows.sort(key=lambda r: int(r[index_column]))
    return rows


def _modulation_coding_columns(rows: list[dict[str, str]]) -> dict[str, NDArray]:
    """The :class:`ModulationCodingTable` columns of table rows read from a CSV, frozen."""
    return {
        "qm": _frozen(np.asarray([int(r["qm"]) for r in rows], dtype=np.int64)),
        "r_x1024": _frozen(np.asarray([float(r["r_x1024"]) for r in rows])),
        "spectral_efficiency_bit_per_re": _frozen(
            np.asarray([float(r["spectral_efficiency_bit_per_re"]) for r in rows])
        ),
    }


@dataclass(frozen=True)
class McsTable(ModulationCodingTable):
    """One TS 38.214 MCS index table, arrays indexed by MCS (0..n_mcs-1): the
    :class:`ModulationCodingTable` columns and

    eesm_beta : float64 [mcs]
        EESM calibration factor beta (linear, same unit as SINR).
    """

    eesm_beta: NDArray[np.float64]

    n_mcs = ModulationCodingTable.n_rows
    """Number of MCS indices."""


@functools.lru_cache(maxsize=None)
def mcs_table(mcs_table: int = 1) -> McsTable:
    """MCS table 1 or 2 of TS 38.214 5.1.3.1 with the EESM betas of each MCS."""
    rows = _table_rows("mcs_tables_ts38214.csv", "mcs_table", mcs_table, "mcs")
    betas = {
        int(r["mcs"]): float(r["beta"])
        for r in read_csv_table("eesm_beta_pdsch.csv")
        if int(r["mcs_table"]) == mcs_table
    }
    return McsTable(
        index=mcs_table,
        **_modulation_coding_columns(rows),
        eesm_beta=_frozen(np.asarray([betas[int(r["mcs"])] for r in rows])),
    )


@dataclass(frozen=True)
class CqiTable(ModulationCodingTable):
    """One TS 38.214 CQI table (5.2.2.1-2 or -3), arrays indexed by CQI - 1 (CQI 1..15): the
    :class:`ModulationCodingTable` columns and

    mcs_same_qm_r : int64 [cqi]
        MCS of the MCS table with the same index that carries the same (Qm, R); CQI 1
        (QPSK 78/1024) has none and maps to MCS 0 here (``has_mcs`` False).
    has_mcs : bool [cqi]
    """

    mcs_same_qm_r: NDArray[np.int64]
    has_mcs: NDArray[np.bool_]

    n_cqi = ModulationCodingTable.n_rows
    """Number of CQI values (15)."""


@functools.lru_cache(maxsize=None)
def cqi_table(cqi_table: int = 1) -> CqiTable:
    """CQI table 1 or 2 of TS 38.214 5.2.2.1 (CQI 1..15; CQI 0 is 'out of range')."""
    rows = _table_rows("cqi_tables_ts38214.csv", "cqi_table", cqi_table, "cqi")
    has = np.asarray([r["mcs_same_qm_r"] != "" for r in rows])
    return CqiTable(
        index=cqi_table,
        **_modulation_coding_columns(rows),
        mcs_same_qm_r=_frozen(
            np.asarray([int(r["mcs_same_qm_r"] or 0) for r in rows], dtype=np.int64)
        ),
        has_mcs=_frozen(has),
    )
