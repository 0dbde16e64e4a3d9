"""Independent scalar "oracle" re-implementations of TR 38.901 V17.0.0 formulas for the tests.

Written out literally from the spec text with the ``math`` module, one link at a time, so
that expected values never come from the vectorised code under test (STYLE rule 8).
"""

from __future__ import annotations

import math

C = 3.0e8  # propagation velocity fixed by Table 7.4.1-1 notes 1 and 5 [m/s]
log10 = math.log10


# Table 7.4.1-1 -----------------------------------------------------------------------------


def uma_los(d2: float, d3: float, fc: float, hbs: float, hut: float, he: float = 1.0) -> float:
    dbp = 4.0 * (hbs - he) * (hut - he) * fc * 1e9 / C  # note 1
    if d2 <= dbp:
        return 28.0 + 22.0 * log10(d3) + 20.0 * log10(fc)
    return 28.0 + 40.0 * log10(d3) + 20.0 * log10(fc) - 9.0 * log10(dbp**2 + (hbs - hut) ** 2)


def uma_nlos(d2: float, d3: float, fc: float, hbs: float, hut: float, he: float = 1.0) -> float:
    prime = 13.54 + 39.08 * log10(d3) + 20.0 * log10(fc) - 0.6 * (hut - 1.5)
    return max(uma_los(d2, d3, fc, hbs, hut, he), prime)


def umi_los(d2: float, d3: float, fc: float, hbs: float, hut: float) -> float:
    dbp = 4.0 * (hbs - 1.0) * (hut - 1.0) * fc * 1e9 / C
    if d2 <= dbp:
        return 32.4 + 21.0 * log10(d3) + 20.0 * log10(fc)
    return 32.4 + 40.0 * log10(d3) + 20.0 * log10(fc) - 9.5 * log10(dbp**2 + (hbs - hut) ** 2)


def umi_nlos(d2: float, d3: float, fc: float, hbs: float, hut: float) -> float:
    prime = 35.3 * log10(d3) + 22.4 + 21.3 * log10(fc) - 0.3 * (hut - 1.5)
    return max(umi_los(d2, d3, fc, hbs, hut), prime)


def _rma_pl1(d: float, fc: float, h: float) -> float:
    return (
        20.0 * log10(40.0 * math.pi * d * fc / 3.0)
        + min(0.03 * h**1.72, 10.0) * log10(d)
        - min(0.044 * h**1.72, 14.77)
        + 0.002 * log10(h) * d
    )


def rma_los(
    d2: float, d3: float, fc: float, hbs: float, hut: float, h: float = 5.0, w: float = 20.0
) -> float:
    dbp = 2.0 * math.pi * hbs * hut * fc * 1e9 / C  # note 5
    if d2 <= dbp:
        return _rma_pl1(d3, fc, h)
    return _rma_pl1(dbp, fc, h) + 40.0 * log10(d3 / dbp)


def rma_nlos(
    d2: float, d3: float, fc: float, hbs: float, hut: float, h: float = 5.0, w: float = 20.0
) -> float:
    prime = (
        161.04
        - 7.1 * log10(w)
        + 7.5 * log10(h)
        - (24.37 - 3.7 * (h / hbs) ** 2) * log10(hbs)
        + (43.42 - 3.1 * log10(hbs)) * (log10(d3) - 3.0)
        + 20.0 * log10(fc)
        - (3.2 * (log10(11.75 * hut)) ** 2 - 4.97)
    )
    return max(rma_los(d2, d3, fc, hbs, hut, h, w), prime)


def inh_los(d3: float, fc: float) -> float:
    return 32.4 + 17.3 * log10(d3) + 20.0 * log10(fc)


def inh_nlos(d3: float, fc: float) -> float:
    return max(inh_los(d3, fc), 38.3 * log10(d3) + 17.30 + 24.9 * log10(fc))


# Table 7.4.1-1 note 1 -----------------------------------------------------------------------


def uma_prob_he_1m(d2: float, hut: float) -> float:
    g = 0.0 if d2 <= 18.0 else 5.0 / 4.0 * (d2 / 100.0) ** 3 * math.exp(-d2 / 150.0)
    c = 0.0 if hut < 13.0 else ((hut - 13.0) / 10.0) ** 1.5 * g
    return 1.0 / (1.0 + c)


# Table 7.4.2-1 ------------------------------------------------------------------------------


def p_los(scenario: str, d: float, hut: float = 1.5) -> float:
    if scenario == "rma":
        return 1.0 if d <= 10.0 else math.exp(-(d - 10.0) / 1000.0)
    if scenario == "umi":
        return 1.0 if d <= 18.0 else 18.0 / d + math.exp(-d / 36.0) * (1.0 - 18.0 / d)
    if scenario == "uma":
        if d <= 18.0:
            return 1.0
        c_prime = 0.0 if hut <= 13.0 else ((hut - 13.0) / 10.0) ** 1.5
        return (18.0 / d + math.exp(-d / 63.0) * (1.0 - 18.0 / d)) * (
            1.0 + c_prime * 5.0 / 4.0 * (d / 100.0) ** 3 * math.exp(-d / 150.0)
        )
    if scenario in ("inh", "inh-mixed"):
        if d <= 1.2:
            return 1.0
        if d < 6.5:
            return math.exp(-(d - 1.2) / 4.7)
        return math.exp(-(d - 6.5) / 32.6) * 0.32
    if scenario == "inh-open":
        if d <= 5.0:
            return 1.0
        if d <= 49.0:
            return math.exp(-(d - 5.0) / 70.8)
        return math.exp(-(d - 49.0) / 211.7) * 0.54
    raise ValueError(scenario)


# Tables 7.4.3-1 and 7.4.3-2 -----------------------------------------------------------------


def o2i_tw(fc: float, high: bool) -> float:
    l_glass = 2.0 + 0.2 * fc
    l_irr = 23.0 + 0.3 * fc
    l_concrete = 5.0 + 4.0 * fc
    if high:
        return 5.0 - 10.0 * log10(0.7 * 10 ** (-l_irr / 10) + 0.3 * 10 ** (-l_concrete / 10))
    return 5.0 - 10.0 * log10(0.3 * 10 ** (-l_glass / 10) + 0.7 * 10 ** (-l_concrete / 10))


# Table 7.3-1, eq. (7.3-1) -------------------------------------------------------------------


def element_dbi(theta: float, phi: float) -> float:
    a_v = -min(12.0 * ((theta - 90.0) / 65.0) ** 2, 30.0)
    a_h = -min(12.0 * (phi / 65.0) ** 2, 30.0)
    return -min(-(a_v + a_h), 30.0) + 8.0


def column_dbi(theta: float, phi: float, m_count: int, d_v: float, etilt: float) -> float:
    af = 0j
    for m in range(m_count):
        w = 1.0 / math.sqrt(m_count) * complex(
            math.cos(-2 * math.pi * m * d_v * math.cos(math.radians(etilt))),
            math.sin(-2 * math.pi * m * d_v * math.cos(math.radians(etilt))),
        )
        phase = 2 * math.pi * m * d_v * math.cos(math.radians(theta))
        af += w * complex(math.cos(phase), math.sin(phase))
    return element_dbi(theta, phi) + 10.0 * log10(abs(af) ** 2)
