"""Multi-seed statistical regression of the TR 38.901 7.8.2 full calibration: UMa, UMi-Street
Canyon and InH-office at 6 GHz, BS antenna config 1, several seeds pooled, every metric's
median against the 3GPP industry average (R1-165975, ``full-6ghz-average.csv``) within the
tolerances the calibration itself uses (:data:`nrsim.calibration.full.TOLERANCE`).

The fast default pools 3 seeds x 2 UEs per sector (342 UMa/UMi UEs, 216 InH UEs, ~15 s); the
slow variant 5 seeds x 5 UEs per sector. Seeds are pooled (the median of the pooled samples):
single small drops scatter by more than the tolerance (coupling-loss medians of single
114-UE drops span 3 dB), which is sampling, not a regression.
"""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.calibration.full import TOLERANCE, full_reference, run_full_case

LOG_METRICS = {"delay_spread", "asd", "asa", "zsd", "zsa"}
KNOWN_MEDIAN_MISSES = {
    ("inh", "asa"): "InH ASA median ~30 vs 46.2 deg: the curves use TR 38.900 V14.0.0 InH parameters, "
    "nrsim V17's (lgASA and the ASA-SF correlation changed; docs/calibration.md, full-setup.md)",
}
"""Medians outside the tolerance, reported as findings; the test checks they stay on the
documented side (a change that moves them is noticed)."""


def _pooled(case: str, seeds, ues_per_sector: int) -> dict[str, np.ndarray]:
    acc: dict[str, list[np.ndarray]] = {}
    for s in seeds:
        r = run_full_case(case, 1, ues_per_sector=ues_per_sector, seed=s)
        for k, v in r.samples.items():
            acc.setdefault(k, []).append(v)
    return {k: np.concatenate(v) for k, v in acc.items()}


def _check(case: str, samples: dict[str, np.ndarray]) -> None:
    scn = case.split("-")[0]
    failures = []
    for metric, v in samples.items():
        ref = (full_reference().get((scn, metric, 1)) or full_reference()[(scn, metric, 0)])[50.0]
        sim = float(np.median(v))
        dev = np.log10(sim / ref) if metric in LOG_METRICS else sim - ref
        if (scn, metric) in KNOWN_MEDIAN_MISSES:
            assert dev < -TOLERANCE[metric], (metric, sim, ref)  # still below, as documented
            continue
        if abs(dev) >= TOLERANCE[metric]:
            failures.append((metric, round(sim, 3), ref, round(float(dev), 3)))
    assert not failures, f"{case}: medians outside TOLERANCE (metric, nrsim, 3GPP, deviation): {failures}"


@pytest.mark.parametrize("case", ["uma-6ghz", "umi-6ghz", "inh-6ghz"])
def test_pooled_medians_fast(case):
    _check(case, _pooled(case, (1, 2, 3), 2))


@pytest.mark.slow
@pytest.mark.parametrize("case", ["uma-6ghz", "umi-6ghz", "inh-6ghz"])
def test_pooled_medians_five_seeds(case):
    _check(case, _pooled(case, (1, 2, 3, 4, 5), 5))


def test_calibration_honours_the_channel_options():
    """Blockage model A (self-blocking 30 dB over a 120 x 80 deg region, 4 blockers) lowers the
    serving RSRP (by several dB: every cluster arriving in the self-blocking region loses 30 dB)."""
    kw = dict(ues_per_sector=1, seed=1, n_interferers=2)
    base = run_full_case("umi-6ghz", 2, **kw)
    blk = run_full_case("umi-6ghz", 2, overrides=("channel.blockage=model_a",), **kw)
    assert np.median(blk.samples["coupling_loss"]) < np.median(base.samples["coupling_loss"]) - 1.0
