"""NR numerology (TS 38.211 4.2-4.3) and the maximum transmission bandwidth (TS 38.101)."""

from __future__ import annotations

from nrsim.errors import ConfigError
from nrsim.link.tables import nrb_table

SUBCARRIERS_PER_RB = 12
FR1_MAX_GHZ = 7.125
"""FR1 upper edge (TS 38.104 Table 5.1-1: 410 MHz - 7125 MHz)."""


def frequency_range(fc_ghz: float) -> str:
    """``"FR1"`` (up to 7.125 GHz) or ``"FR2"``."""
    return "FR1" if fc_ghz <= FR1_MAX_GHZ else "FR2"


def n_rb(bandwidth_mhz: float, scs_khz: int, fc_ghz: float) -> int:
    """N_RB for a channel bandwidth and SCS (TS 38.101-1/-2 Table 5.3.2-1); ConfigError
    naming the allowed bandwidths when the combination does not exist."""
    fr = frequency_range(fc_ghz)
    table = nrb_table()
    key = (fr, int(scs_khz), float(bandwidth_mhz))
    if key in table:
        return table[key]
    allowed = sorted(bw for (r, s, bw) in table if r == fr and s == int(scs_khz))
    if not allowed:
        scs_ok = sorted({s for (r, s, _) in table if r == fr})
        raise ConfigError(
            f"radio.scs_khz = {scs_khz} is not allowed in {fr} (allowed: {scs_ok})",
            field="radio.scs_khz",
        )
    raise ConfigError(
        f"radio.bandwidth_mhz = {bandwidth_mhz:g} has no {fr} channel at {scs_khz} kHz SCS "
        f"(allowed: {', '.join(f'{b:g}' for b in allowed)} MHz; TS 38.101 Table 5.3.2-1)",
        field="radio.bandwidth_mhz",
    )
