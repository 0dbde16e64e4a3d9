"""Fit the logistic AWGN BLER curve family of :mod:`nrsim.link.bler` to published tables.

This module is how ``nrsim/link/tables/bler_logistic_pdsch.csv`` was made; it is not used at
run time. Regenerate with::

    python -m nrsim.link.bler_fit tests/data/reference/link/bler-pdsch > src/nrsim/link/tables/bler_logistic_pdsch.csv

Source data: AWGN BLER of 5G-LDPC-coded PDSCH per MCS of TS 38.214 MCS tables 1 and 2 and
per code-block size (24, 100, 500, 1000, 2000 bits), NVlabs/sionna
``src/sionna/sys/bler_tables/PDSCH_table{1,2}.json`` (Apache-2.0, copyright NVIDIA).

Curve: BLER(snr) = 1 / (1 + 9 exp((snr_db - snr10_db) / scale_db)), so BLER(snr10) = 0.1.
Fit: least squares on BLER over every tabulated point, scale bounded to [0.1, 4] dB (the
coarse 1.6-1.8 dB SNR grid cannot resolve waterfalls steeper than that), with a weak anchor
of snr10 at the 10 % crossing interpolated linearly in log10 BLER (``ANCHOR_WEIGHT_PER_DB``).

MCSs the tables lack (table 1: 0-2; table 2: 0-1 and 27, whose waterfall lies above the
grid at the larger block sizes) are extrapolated by the gap to capacity: snr10 =
10 log10(2^SE - 1) + gap, with the gap the mean of the three nearest fitted MCSs of the same
modulation and code-block size, and their mean scale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from nrsim.link.mcs import mcs_table

CBS_BITS: tuple[int, ...] = (24, 100, 500, 1000, 2000)
SCALE_BOUNDS_DB: tuple[float, float] = (0.1, 4.0)
ANCHOR_WEIGHT_PER_DB = 0.02
"""Weak pull of snr10 towards the crossing interpolated in log BLER: negligible where the
grid resolves the waterfall, decisive where the waterfall falls between two grid points
(any snr10 between them then fits the points equally well)."""


def logistic_bler(snr_db: NDArray, snr10_db: float, scale_db: float) -> NDArray:
    """The curve family (same formula as :func:`nrsim.link.bler.logistic_bler`)."""
    z = np.clip((np.asarray(snr_db) - snr10_db) / scale_db, -700.0, 700.0)
    return 1.0 / (1.0 + 9.0 * np.exp(z))


def interpolated_snr10_db(snr_db: NDArray, bler: NDArray) -> float:
    """SNR where the tabulated BLER crosses 0.1 (linear in log10 BLER); NaN if it never does."""
    b = np.maximum(np.asarray(bler, dtype=np.float64), 1e-6)
    for i in range(len(b) - 1):
        if b[i] >= 0.1 >= b[i + 1]:
            lo, hi = np.log10(b[i]), np.log10(b[i + 1])
            t = 0.0 if lo == hi else (lo - np.log10(0.1)) / (lo - hi)
            return float(snr_db[i] + t * (snr_db[i + 1] - snr_db[i]))
    return float("nan")


def fit_logistic(snr_db: NDArray, bler: NDArray) -> tuple[float, float] | None:
    """(snr10_db, scale_db) of the least-squares logistic, or None when the tabulated curve
    never crosses 10 % inside the SNR grid."""
    s0 = interpolated_snr10_db(snr_db, bler)
    if not np.isfinite(s0):
        return None

    def resid(p):
        data = logistic_bler(snr_db, p[0], p[1]) - bler
        return np.append(data, ANCHOR_WEIGHT_PER_DB * (p[0] - s0))

    res = least_squares(
        resid,
        x0=[s0, 0.5],
        bounds=([snr_db[0] - 5.0, SCALE_BOUNDS_DB[0]], [snr_db[-1] + 5.0, SCALE_BOUNDS_DB[1]]),
    )
    return float(res.x[0]), float(res.x[1])


def fit_tables(reference_dir: Path) -> list[dict]:
    """Rows (mcs_table, mcs, qm, r_x1024, cbs_bits, snr_db_at_bler10, scale_db, source)."""
    rows: list[dict] = []
    for t in (1, 2):
        data = json.loads((reference_dir / f"PDSCH_table{t}.json").read_text())
        per_mcs = data["category"]["1"]["index"][str(t)]["MCS"]
        tab = mcs_table(t)
        fitted: dict[tuple[int, int], tuple[float, float]] = {}
        for m_key, entry in per_mcs.items():
            snr = np.asarray(entry["SNR_db"], dtype=np.float64)
            for cbs in CBS_BITS:
                p = fit_logistic(snr, np.asarray(entry["CBS"][str(cbs)]["BLER"], dtype=np.float64))
                if p is not None:
                    fitted[(int(m_key), cbs)] = p
        se = tab.spectral_efficiency_bit_per_re
        cap_db = 10.0 * np.log10(2.0**se - 1.0)
        for m in range(tab.n_mcs):
            for cbs in CBS_BITS:
                if (m, cbs) in fitted:
                    s10, sc = fitted[(m, cbs)]
                    src = "fit"
                else:
                    same = [
                        k for (k, c) in fitted if c == cbs and tab.qm[k] == tab.qm[m]
                    ]
                    near = sorted(same, key=lambda k: abs(k - m))[:3]
                    gap = float(np.mean([fitted[(k, cbs)][0] - cap_db[k] for k in near]))
                    s10 = float(cap_db[m] + gap)
                    sc = float(np.mean([fitted[(k, cbs)][1] for k in near]))
                    src = "extrapolated"
                rows.append(
                    {
                        "mcs_table": t,
                        "mcs": m,
                        "qm": int(tab.qm[m]),
                        "r_x1024": float(tab.r_x1024[m]),
                        "cbs_bits": cbs,
                        "snr_db_at_bler10": round(s10, 3),
                        "scale_db": round(sc, 3),
                        "source": src,
                    }
                )
    return rows


HEADER = """\
# Logistic AWGN BLER curves per MCS and code-block size for the PDSCH of TS 38.214 MCS tables 1
# and 2: BLER(snr) = 1 / (1 + 9 exp((snr_db - snr_db_at_bler10) / scale_db)) per code block.
# Not 3GPP. Fitted (least squares on BLER, nrsim.link.bler_fit) to the AWGN LDPC link-level
# tables of NVlabs/sionna src/sionna/sys/bler_tables/PDSCH_table{1,2}.json (Apache-2.0,
# copyright NVIDIA), as collected in shared/reference/link/bler-pdsch/. source = extrapolated:
# MCS missing from those tables, set by the gap to capacity of the nearest fitted MCSs of the
# same modulation (see nrsim/link/bler_fit.py).
"""


def main(argv: list[str]) -> None:  # pragma: no cover - offline tool
    ref = Path(argv[1]) if len(argv) > 1 else Path("tests/data/reference/link/bler-pdsch")
    rows = fit_tables(ref)
    out = [HEADER.rstrip("\n"), ",".join(rows[0])]
    out += [",".join(str(v) for v in r.values()) for r in rows]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv)
