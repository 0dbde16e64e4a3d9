"""Named BS and UE antenna arrays: each a TR 38.901 V17.0.0 7.3 panel (:class:`PanelArray`)
with its port virtualisation, selected by ``antenna.array`` / ``antenna.ue_antennas`` and by
the ``antenna_model`` column of a site list. This module is the light table of names and
shapes that the config reads; the panels themselves are built by
:func:`nrsim.channel.tr38901.panel.bs_array_panel` and :func:`~nrsim.channel.tr38901.panel.ue_array`.

BS arrays (x45 cross-polarised Table 7.3-1 elements, 8 dBi, one panel, Mg = Ng = 1; element
spacing d_H = d_V = 0.5 wavelengths as the FR1 > 2.5 GHz base station of TS 38.151 V17
Table C.2-1; each port a vertical sub-array of K elements of one column and polarisation,
tilted electrically to the cell's ``etilt_deg``: the sub-array partition model of TR 36.897
V13.0.0 5.2.2, ``PanelArray(port_map="subarray")``):

==============  ===============  ===  ====================  ======================================
name            (M, N, P)        K    ports (rows, cols, P)  source
==============  ===============  ===  ====================  ======================================
single-column   --               --   1                      today's one-port antenna of
                                                             ``antenna.model`` (no array, no beams)
4T4R            (8, 2, 2)        8    (1, 2, 2) = 4          vendor-typical dual-column cross-polar
                                                             macro panel (one port per column and
                                                             polarisation, about 17 dBi)
32T32R          (8, 8, 2)        4    (2, 8, 2) = 32         3GPP IMT-2020 self-evaluation (TR
                                                             37.910) Dense Urban config A: (M, N, P,
                                                             Mg, Ng; Mp, Np) = (8, 8, 2, 1, 1; 2, 8)
                                                             (shared/reference/imt2020)
32T32R-8x4      (8, 4, 2)        2    (4, 4, 2) = 32         the 32-port (N1, N2) = (4, 4) layout of
                                                             docs/mimo.md (64 elements)
64T64R          (8, 8, 2)        2    (4, 8, 2) = 64         128-element 64-TXRU panel (TS 38.151
                                                             Table C.2-1 panel, 2-element sub-arrays)
==============  ===============  ===  ====================  ======================================

UE arrays (isotropic elements, 0 dBi, d_H = 0.5 wavelengths): 1 antenna = one vertical
element; 2 = one cross-polarised pair, (M, N, P) = (1, 1, 2) (TR 38.901 V17.0.0 Table 7.8-2);
4 = two cross-polarised pairs side by side, (1, 2, 2).
"""

from __future__ import annotations

from dataclasses import dataclass

from nrsim.errors import ConfigError

SINGLE_COLUMN = "single-column"
"""The array type of today's one-port antenna (``antenna.model``): no panel, no SSB beams."""

ELEMENT_SPACING_WL = 0.5
"""d_H = d_V [wavelengths] of the BS panels (TS 38.151 V17 Table C.2-1, FR1 > 2.5 GHz)."""


@dataclass(frozen=True)
class ArrayType:
    """A named BS panel: elements (M rows, N columns, x45 pair) and the K-element sub-array
    behind each port."""

    m_rows: int
    n_cols: int
    subarray_rows: int
    source: str

    @property
    def n_ports(self) -> int:
        return (self.m_rows // self.subarray_rows) * self.n_cols * 2


BS_ARRAYS: dict[str, ArrayType] = {
    "4T4R": ArrayType(8, 2, 8, "vendor-typical dual-column cross-polar macro panel"),
    "32T32R": ArrayType(8, 8, 4, "TR 37.910 Dense Urban config A (8,8,2,1,1;2,8)"),
    "32T32R-8x4": ArrayType(8, 4, 2, "32 ports (N1, N2) = (4, 4), docs/mimo.md"),
    "64T64R": ArrayType(8, 8, 2, "TS 38.151 Table C.2-1 panel, 2-element sub-arrays"),
}
"""The BS array types with a panel (every name but :data:`SINGLE_COLUMN`)."""

BS_ARRAY_NAMES: tuple[str, ...] = (SINGLE_COLUMN, *BS_ARRAYS)
"""Allowed values of ``antenna.array`` and the array names a site list's ``antenna_model``
may give."""

UE_ANTENNA_COUNTS: tuple[int, ...] = (1, 2, 4)
"""Allowed values of ``antenna.ue_antennas``."""


def bs_array(name: str) -> ArrayType:
    """The :class:`ArrayType` named ``name`` (not :data:`SINGLE_COLUMN`, which has none)."""
    try:
        return BS_ARRAYS[name]
    except KeyError:
        raise ConfigError(f"antenna.array = {name!r}; allowed: {', '.join(BS_ARRAY_NAMES)}",
                          field="antenna.array") from None
