"""TR 38.901 large-scale calibration at 6 GHz as a statistical regression test (STYLE rule 9).

UMa, UMi-Street Canyon and InH-office open office, each with the default calibration size of
about 100,000 UEs (UMa/UMi: 18 drops x 5,700 UEs; InH: 28 drops x 3,600 UEs). With about
100,000 UEs the 5 % and 95 % points are stable to about +-0.1 dB (10,000 UEs still move them
by about 1 dB: shared/reference/tr38901-calibration/large-scale-setup.md), well inside the
pass bands. Expected values are the 3GPP R1-165974 curves (company min..max band for UMa/UMi;
industry average +-2 dB coupling loss / +-0.8 dB SIR for InH), never nrsim's own output.
Run time on 2 cores: about 10-25 s.
"""

from __future__ import annotations

import pytest

from nrsim.calibration import DEFAULT_UES_PER_CASE, calibrate

CASES_6GHZ = ("uma-6ghz", "umi-6ghz", "inh-6ghz")
MIN_UES_FOR_STABLE_TAILS = 100_000
"""UEs per case that keep the 5 % / 95 % points within about 0.1 dB (see module docstring)."""


@pytest.fixture(scope="module")
def result_6ghz():
    return calibrate(CASES_6GHZ)  # default size: about DEFAULT_UES_PER_CASE UEs per case


def _failures(mr) -> list[str]:
    out = []
    for c in mr.checks:
        if c.passed is False:
            if c.band_min_db is not None:
                allowed = f"band {c.band_min_db:.2f}..{c.band_max_db:.2f}"
            else:
                allowed = f"{c.reference_db:.2f} +- {c.tolerance_db:.1f}"
            out.append(f"{c.percent:g} %: nrsim {c.simulated_db:.2f} dB, 3GPP {allowed}")
    return out


@pytest.mark.slow
def test_default_size_is_large_enough(result_6ghz) -> None:
    assert DEFAULT_UES_PER_CASE >= MIN_UES_FOR_STABLE_TAILS
    for case in result_6ghz.cases:
        assert case.n_ue >= MIN_UES_FOR_STABLE_TAILS, case.case.name


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES_6GHZ)
@pytest.mark.parametrize("metric", ["coupling_loss_db", "sir_db", "sinr_db"])
def test_calibration_6ghz(result_6ghz, case: str, metric: str) -> None:
    cr = next(c for c in result_6ghz.cases if c.case.name == case)
    mr = cr.metrics[metric]
    if case == "inh-6ghz" and metric == "sinr_db":
        # 3GPP published no InH SINR curve: nrsim reports its percentiles without a verdict
        assert mr.reference is None and mr.passed is None
        assert len(mr.checks) == 5
        return
    assert mr.reference is not None
    expected_source = "industry-average" if case == "inh-6ghz" else "company-spread"
    assert mr.reference.source == expected_source
    passed = mr.passed
    assert passed is True, f"{case} {metric} outside the 3GPP tolerance: " + "; ".join(
        _failures(mr)
    )
