"""KPIs accumulated chunk by chunk with bounded memory.

Percentiles come from fixed-bin histograms, so a run never holds all its UEs: dB metrics
use bins of ``DB_BIN`` = 0.001 dB, throughput uses logarithmic bins of 1e-5 decade. A
percentile read from a histogram is within one bin of the exact (NumPy ``linear``)
percentile of the same values: at most 0.001 dB, or a relative 2.3e-5 for throughput.
Counts and sums (means, shares) are exact. Accumulators merge by addition, so any split of
the UEs into chunks gives the same result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

DB_BIN = 0.001
"""Bin width of the dB histograms [dB] (the percentile error bound)."""
LOG_BIN_DECADES = 1e-5
"""Bin width of the throughput histogram [decades of bit/s]."""

DB_RANGES: dict[str, tuple[float, float]] = {
    "coupling_loss_db": (-100.0, 400.0),
    "rsrp_dbm": (-300.0, 100.0),
    "sinr_db": (-150.0, 150.0),
    "sir_db": (-150.0, 250.0),
}
"""Histogram ranges; values outside fall into under/overflow bins (reported as -inf/+inf if a
percentile lands there)."""
THROUGHPUT_RANGE_DECADES = (-3.0, 12.0)  # 1 mbit/s .. 1 Tbit/s


class Histogram:
    """Counts of values on a fixed grid [lo, hi) with under/overflow and exact extremes."""

    def __init__(self, lo: float, hi: float, width: float) -> None:
        self.lo, self.hi, self.width = lo, hi, width
        self.n_bins = int(round((hi - lo) / width))
        self.counts = np.zeros(self.n_bins + 2, dtype=np.int64)  # [under, bins..., over]

    def add(self, values: NDArray[np.float64]) -> None:
        v = np.asarray(values, dtype=np.float64)
        v = v[~np.isnan(v)]
        # clip before the integer cast: -inf/+inf go to the under/overflow bins (casting an
        # infinite float to int64 is undefined and gave the underflow bin for +inf)
        pos = np.clip((v - self.lo) / self.width, -1.0, float(self.n_bins))
        idx = np.floor(pos).astype(np.int64) + 1
        idx = np.clip(idx, 0, self.n_bins + 1)
        self.counts += np.bincount(idx, minlength=self.n_bins + 2)

    def merge(self, other: "Histogram") -> None:
        self.counts += other.counts

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def _order_stat(self, cum: NDArray[np.int64], k: int) -> float:
        """Approximate k-th smallest value (0-based): its bin centre."""
        b = int(np.searchsorted(cum, k, side="right"))
        if b == 0:
            return -np.inf
        if b == self.n_bins + 1:
            return np.inf
        return self.lo + (b - 1 + 0.5) * self.width

    def cdf(self, *, scale: float = 1.0, log10_values: bool = False) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(x at bin centres of non-empty bins, CDF) for plotting."""
        inner = self.counts[1:-1]
        nz = np.flatnonzero(inner)
        x = self.lo + (nz + 0.5) * self.width
        if log10_values:
            x = 10.0**x
        total = max(self.total, 1)
        p = (self.counts[0] + np.cumsum(inner)[nz]) / total
        return x * scale, p

    def percentile(self, p: float) -> float:
        """The ``p`` % percentile with NumPy's linear interpolation between order
        statistics, each taken at its bin centre. NaN when empty."""
        n = self.total
        if n == 0:
            return float("nan")
        cum = np.cumsum(self.counts)
        pos = p / 100.0 * (n - 1)
        k = int(np.floor(pos))
        frac = pos - k
        a = self._order_stat(cum, k)
        if frac == 0.0 or k + 1 >= n:
            return float(a)
        b = self._order_stat(cum, k + 1)
        if not (np.isfinite(a) and np.isfinite(b)):
            return float(a if frac < 0.5 else b)
        return float(a + frac * (b - a))


@dataclass
class SnapshotAccumulator:
    """Everything the snapshot KPIs need, summed over chunks."""

    db: dict[str, Histogram] = field(
        default_factory=lambda: {k: Histogram(lo, hi, DB_BIN) for k, (lo, hi) in DB_RANGES.items()}
    )
    log_thr: Histogram = field(
        default_factory=lambda: Histogram(*THROUGHPUT_RANGE_DECADES, LOG_BIN_DECADES)
    )
    n_ue: int = 0
    n_zero_thr: int = 0
    n_los: int = 0
    n_indoor: int = 0
    n_outage: int = 0

    def add(self, cols: dict[str, NDArray]) -> None:
        for k, h in self.db.items():
            h.add(cols[k])
        thr = np.asarray(cols["throughput_bps"], dtype=np.float64)
        pos = thr > 0
        with np.errstate(divide="ignore"):
            self.log_thr.add(np.log10(thr[pos]))
        self.n_zero_thr += int((~pos).sum())
        self.n_ue += int(thr.size)
        self.n_los += int(np.sum(cols["los"]))
        self.n_indoor += int(np.sum(cols["indoor"]))
        self.n_outage += int(np.sum(np.asarray(cols["spectral_efficiency_bps_per_hz"]) <= 0))

    def throughput_cdf(self, *, scale: float = 1.0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(throughput x scale, CDF) including the UEs at 0 bit/s."""
        x, p = self.log_thr.cdf(scale=scale, log10_values=True)
        n = max(self.n_ue, 1)
        frac_zero = self.n_zero_thr / n
        p = frac_zero + p * (self.log_thr.total / n)
        return np.concatenate([[0.0], x]), np.concatenate([[frac_zero], p])

    def throughput_percentile(self, p: float) -> float:
        """Percentile of throughput including the UEs at 0 bit/s."""
        n = self.n_ue
        if n == 0:
            return float("nan")
        pos = p / 100.0 * (n - 1)
        k = int(np.floor(pos))
        frac = pos - k

        def order(j: int) -> float:
            if j < self.n_zero_thr:
                return 0.0
            hist = self.log_thr
            cum = np.cumsum(hist.counts)
            return float(10.0 ** hist._order_stat(cum, j - self.n_zero_thr))

        a = order(k)
        if frac == 0.0 or k + 1 >= n:
            return a
        return a + frac * (order(k + 1) - a)
