"""Spec tables shipped as package data (each CSV carries its provenance header)."""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources

import numpy as np
from numpy.typing import NDArray


def read_csv_table(name: str) -> list[dict[str, str]]:
    """Rows of ``nrsim/link/tables/<name>``, skipping ``#`` provenance lines."""
    text = resources.files("nrsim.link").joinpath("tables", name).read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


@functools.lru_cache(maxsize=None)
def cqi_table1_efficiency() -> NDArray[np.float64]:
    """Spectral efficiency [bit/s/Hz] of CQI 1..15 of TS 38.214 Table 5.2.2.1-2, shape [15]."""
    rows = read_csv_table("cqi_table1.csv")
    out = np.asarray([float(r["spectral_efficiency_bps_per_hz"]) for r in rows])
    out.setflags(write=False)
    return out


@functools.lru_cache(maxsize=None)
def cqi_sinr_thresholds_db(set_id: str) -> NDArray[np.float64]:
    """Lowest SINR [dB] for CQI 1..15 at 10 % BLER of the named set, shape [15]."""
    for r in read_csv_table("sinr_to_cqi_thresholds.csv"):
        if r["set_id"] == set_id:
            out = np.asarray([float(r[f"cqi{i}_min_sinr_db"]) for i in range(1, 16)])
            out.setflags(write=False)
            return out
    raise KeyError(f"unknown SINR-to-CQI threshold set {set_id!r}")


@functools.lru_cache(maxsize=None)
def nrb_table() -> dict[tuple[str, int, float], int]:
    """{(range, scs_khz, bandwidth_mhz): N_RB} of TS 38.101-1/-2 Table 5.3.2-1."""
    return {
        (r["range"], int(r["scs_khz"]), float(r["bandwidth_mhz"])): int(r["n_rb"])
        for r in read_csv_table("nrb_ts38101.csv")
    }
