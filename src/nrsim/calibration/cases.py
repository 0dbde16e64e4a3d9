"""The cases of the TR 38.901 large-scale calibration and the metrics compared.

TR 38.901 V17.0.0, 7.8.1, Table 7.8-1: UMa (ISD 500 m), UMi-Street Canyon (ISD 200 m) and
InH-office open office (ISD 20 m), each at 6, 30 and 70 GHz. Each case is a shipped preset of
the same name (``src/nrsim/config/presets/<case>.toml``) holding the Table 7.8-1 assumptions;
this module only names them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nrsim.errors import ConfigError


@dataclass(frozen=True)
class CalibrationCase:
    """One calibration case.

    Attributes
    ----------
    name : str
        Case name, also the preset name, e.g. ``"uma-6ghz"``.
    scenario : str
        ``"uma"``, ``"umi"`` or ``"inh"`` (``channel.scenario`` of the preset).
    fc_ghz : float
        Carrier frequency [GHz].
    label : str
        Human-readable scenario name, e.g. ``"UMa, ISD 500 m"``.
    """

    name: str
    scenario: str
    fc_ghz: float
    label: str

    @property
    def preset(self) -> str:
        """Name of the preset that holds the case's assumptions."""
        return self.name


_SCENARIOS: tuple[tuple[str, str], ...] = (
    ("uma", "UMa, ISD 500 m"),
    ("umi", "UMi-Street Canyon, ISD 200 m"),
    ("inh", "InH-office open office"),
)
FREQUENCIES_GHZ: tuple[int, ...] = (6, 30, 70)
"""Carrier frequencies of Table 7.8-1 large-scale calibration [GHz]."""

CASES: dict[str, CalibrationCase] = {
    f"{scenario}-{f}ghz": CalibrationCase(f"{scenario}-{f}ghz", scenario, float(f), label)
    for scenario, label in _SCENARIOS
    for f in FREQUENCIES_GHZ
}
"""All calibration cases by name, in the order UMa, UMi, InH and 6, 30, 70 GHz."""


@dataclass(frozen=True)
class Metric:
    """A calibration metric: the column of the UE table it comes from and how it is shown.

    ``sign`` is applied to the UE column: the calibration reports coupling loss as in the
    3GPP spreadsheets, a negative dB number (``-coupling_loss_db`` of the UE table)."""

    key: str
    ue_column: str
    sign: float
    file_stem: str
    title: str
    axis_label: str


METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric(
            "coupling_loss_db",
            "coupling_loss_db",
            -1.0,
            "coupling_loss",
            "serving-cell coupling loss",
            "Coupling loss, 3GPP sign (negative = loss) [dB]",
        ),
        Metric(
            "sir_db",
            "sir_db",
            1.0,
            "sir",
            "geometry SIR (no noise)",
            "Geometry SIR without noise [dB]",
        ),
        Metric(
            "sinr_db",
            "sinr_db",
            1.0,
            "sinr",
            "geometry SINR (white noise)",
            "Geometry SINR with white noise [dB]",
        ),
    )
}
"""The three metrics of TR 38.901 7.8.1 large-scale calibration, keyed as in
``calibration.json``."""


def resolve_cases(names: Iterable[str] | None) -> list[CalibrationCase]:
    """The cases named (all of them for ``None`` or an empty list), in the order given and
    without repeats. :class:`ConfigError` naming the allowed cases for an unknown name."""
    wanted = list(names) if names is not None else []
    if not wanted:
        return list(CASES.values())
    unknown = [n for n in wanted if n not in CASES]
    if unknown:
        raise ConfigError(
            f"unknown calibration case {unknown[0]!r} (allowed: {', '.join(CASES)})",
            field="case",
        )
    return [CASES[n] for n in dict.fromkeys(wanted)]
