"""Antenna panels of TR 38.901 V17.0.0, 7.3, with polarisation and port virtualisation.

A uniform rectangular panel array (Figure 7.3-1): Mg x Ng panels, each M x N elements
(rows x columns) with P polarisations, spaced d_V, d_H within a panel and d_g,V, d_g,H
between panels (in wavelengths), in the panel's LCS (element columns along y', rows along
z'). Elements follow the pattern of Table 7.3-1 (or are isotropic) with the polarised
field of polarisation model 2, eqs. (7.3-4)-(7.3-5)::

    F'_theta = sqrt(A'(theta', phi')) cos(zeta),   F'_phi = sqrt(A') sin(zeta)

(zeta the slant: +-45 deg cross-polarised, 0/90 deg co-located V/H), rotated into the GCS
by the panel's bearing alpha and mechanical downtilt beta with eq. (7.1-11) and the angle
psi of eq. (7.1-15) (gamma = 0). A port drives a set of elements of one polarisation with
weights w_e (port virtualisation); its field towards a direction r (GCS unit vector) is::

    F_port = F_element(zeta_port) * sum_e w_e exp(j 2 pi r' . d'_e)        (as in (7.5-22))

The legacy single-column antenna of 7.3.1, eq. (7.3-1), is the panel (M, 1, 1, 1, 1),
vertical polarisation, one port with w_m = exp(-j 2 pi m d_V cos theta_etilt) / sqrt(M).

Array response by its Kronecker structure: the elements of a port form a uniform M x N grid
(one polarisation of one panel, or a single element), and the port weight depends on the row
only, so the sum over the port's M N elements factors into a row sum and a column sum::

    AF_port(r') = w0 e^{j 2 pi (r'_y y0 + r'_z z0)} [sum_m e^{j 2 pi m d_V (r'_z - cos theta_etilt)}]
                  [sum_n e^{j 2 pi n d_H r'_y}]

(y0, z0: the port's first element; w0 = 1/sqrt(M N) or 1), M + N terms instead of M N.
:func:`port_field_core` evaluates it per direction in compiled code with the element
pattern and the polarisation rotation; it is the one implementation used by the channel
coefficients (:mod:`.coefficients`) and by :func:`port_fields`. :meth:`PanelArray.elements`
lists the individual elements (positions, slants, port weights), the form the tests sum
element by element as an oracle.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.channel.tr38901.antenna import (
    A_MAX_DB,
    G_E_MAX_DBI,
    PHI_3DB_DEG,
    SLA_V_DB,
    THETA_3DB_DEG,
    element_gain_core,
    horizontal_attenuation_core,
    lcs_angles_core,
    vertical_attenuation_core,
    wrap_angle_core,
)
from nrsim.channel.tr38901.arrays import ELEMENT_SPACING_WL, UE_ANTENNA_COUNTS, ArrayType
from nrsim.compiled import jit, ufunc
from nrsim.errors import ConfigError

SLANTS = ("x45", "vh", "v")
"""Polarisation layouts: ``"x45"`` (P = 2, zeta = +45/-45 deg), ``"vh"`` (P = 2, 0/90 deg),
``"v"`` (P = 1, 0 deg: vertical)."""
PORT_MAPS = ("panel_polarisation", "element", "subarray")
"""``"panel_polarisation"``: the M x N elements of one polarisation in one panel form one port
(ports ordered panel-major, then polarisation); ``"element"``: every element is a port;
``"subarray"``: every K = ``subarray_rows`` vertically adjacent elements of one column and
polarisation form one port (TXRU virtualisation, sub-array partition model of TR 36.897
V13.0.0, 5.2.2: weights w_k = exp(-j 2 pi (k - 1) d_V cos theta_etilt) / sqrt(K), k = 1..K),
ports ordered panel, polarisation, row group (M / K of them), column: e.g. 32 ports from
(M, N, P) = (8, 4, 2) with K = 2, or from (8, 8, 2) with K = 4."""


@dataclass(frozen=True)
class PanelArray:
    """A TR 38.901 7.3 panel array and its port mapping.

    Attributes
    ----------
    m_rows, n_cols : elements per panel in a column (M) and a row (N).
    slant : one of :data:`SLANTS` (fixes P).
    mg_rows, ng_cols : panels per column and row (Mg, Ng).
    dv_wl, dh_wl : element spacing [wavelengths]; dgv_wl, dgh_wl : panel spacing [wavelengths].
    element : ``"3gpp"`` (Table 7.3-1 pattern, 8 dBi) or ``"isotropic"`` (0 dBi).
    port_map : one of :data:`PORT_MAPS`.
    etilt_deg : zenith angle of the vertical DFT steering of a virtualised port (90 = none;
        e.g. 102 = 12 deg electrical downtilt).
    subarray_rows : elements per port along a column for ``port_map="subarray"`` (K, divides
        M; ignored by the other port maps).
    """

    m_rows: int
    n_cols: int
    slant: str = "x45"
    mg_rows: int = 1
    ng_cols: int = 1
    dv_wl: float = 0.5
    dh_wl: float = 0.5
    dgv_wl: float = 0.0
    dgh_wl: float = 0.0
    element: str = "3gpp"
    port_map: str = "panel_polarisation"
    etilt_deg: float = 90.0
    subarray_rows: int = 1

    def __post_init__(self) -> None:
        for name in ("m_rows", "n_cols", "mg_rows", "ng_cols"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ConfigError(f"{name} = {v!r} must be a whole number >= 1", field=name)
        if self.slant not in SLANTS:
            raise ConfigError(f"slant = {self.slant!r}; allowed: {', '.join(SLANTS)}", field="slant")
        if self.port_map not in PORT_MAPS:
            raise ConfigError(f"port_map = {self.port_map!r}; allowed: {', '.join(PORT_MAPS)}",
                              field="port_map")
        k = self.subarray_rows
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1 or self.m_rows % k:
            raise ConfigError(f"subarray_rows = {k!r} must be a whole number >= 1 that divides m_rows = "
                              f"{self.m_rows}", field="subarray_rows")
        if not 0.0 <= self.etilt_deg <= 180.0:
            raise ConfigError(f"etilt_deg = {self.etilt_deg!r} must be in 0..180", field="etilt_deg")
        if self.element not in ("3gpp", "isotropic"):
            raise ConfigError(f"element = {self.element!r}; allowed: 3gpp, isotropic", field="element")

    @property
    def n_pol(self) -> int:
        return 1 if self.slant == "v" else 2

    @property
    def n_elements(self) -> int:
        return self.m_rows * self.n_cols * self.n_pol * self.mg_rows * self.ng_cols

    def elements(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.complex128]]:
        """(LCS positions [element, 3] in wavelengths, slant zeta [element] [deg],
        port index [element], port weight [element])."""
        zetas = {"x45": (45.0, -45.0), "vh": (0.0, 90.0), "v": (0.0,)}[self.slant]
        pos, zeta, port, wgt = [], [], [], []
        n_port_el = self.m_rows * self.n_cols
        k = 0
        for ig in range(self.mg_rows):
            for jg in range(self.ng_cols):
                panel = ig * self.ng_cols + jg
                for ip, z in enumerate(zetas):
                    for m in range(self.m_rows):
                        for n in range(self.n_cols):
                            pos.append((0.0, jg * self.dgh_wl + n * self.dh_wl,
                                        ig * self.dgv_wl + m * self.dv_wl))
                            zeta.append(z)
                            if self.port_map == "element":
                                port.append(k)
                                wgt.append(1.0 + 0j)
                            elif self.port_map == "subarray":
                                sub = self.subarray_rows
                                n_grp = self.m_rows // sub
                                port.append(((panel * self.n_pol + ip) * n_grp + m // sub) * self.n_cols + n)
                                wgt.append(np.exp(-2j * np.pi * (m % sub) * self.dv_wl
                                                  * np.cos(np.radians(self.etilt_deg))) / np.sqrt(sub))
                            else:
                                port.append(panel * self.n_pol + ip)
                                wgt.append(np.exp(-2j * np.pi * m * self.dv_wl
                                                  * np.cos(np.radians(self.etilt_deg)))
                                           / np.sqrt(n_port_el))
                            k += 1
        return (np.asarray(pos), np.asarray(zeta), np.asarray(port, dtype=np.int64),
                np.asarray(wgt, dtype=np.complex128))

    @property
    def n_ports(self) -> int:
        return int(self.port_table().shape[0])

    def port_table(self) -> NDArray[np.float64]:
        """The ports as uniform sub-arrays, float64 [port, :data:`PORT_COLUMNS`]: cos and sin
        of the slant zeta, the first element's LCS position y0, z0 [wavelengths], rows M and
        columns N of the port's elements, their spacings d_V, d_H [wavelengths], cos of the
        electrical tilt (row weights e^{-j 2 pi m d_V cos theta_etilt}) and the weight norm
        w0 (module docstring). Cached per panel; read-only."""
        return _port_table(self)

    @property
    def pattern(self) -> bool:
        """True for the Table 7.3-1 element pattern, False for isotropic elements."""
        return self.element == "3gpp"


PORT_COLUMNS = 10
_PT_COS_Z, _PT_SIN_Z, _PT_Y0, _PT_Z0, _PT_M, _PT_N, _PT_DV, _PT_DH, _PT_COS_ET, _PT_NORM = range(PORT_COLUMNS)


@functools.lru_cache(maxsize=64)
def _port_table(panel: PanelArray) -> NDArray[np.float64]:
    zetas = {"x45": (45.0, -45.0), "vh": (0.0, 90.0), "v": (0.0,)}[panel.slant]
    cos_et = math.cos(math.radians(panel.etilt_deg))
    rows = []
    for ig in range(panel.mg_rows):
        for jg in range(panel.ng_cols):
            y_p, z_p = jg * panel.dgh_wl, ig * panel.dgv_wl
            for z in zetas:
                zr = math.radians(z)
                if panel.port_map == "element":
                    for m in range(panel.m_rows):
                        for n in range(panel.n_cols):
                            rows.append((math.cos(zr), math.sin(zr), y_p + n * panel.dh_wl,
                                         z_p + m * panel.dv_wl, 1, 1, panel.dv_wl, panel.dh_wl, 0.0, 1.0))
                elif panel.port_map == "subarray":
                    sub = panel.subarray_rows
                    for g in range(panel.m_rows // sub):
                        for n in range(panel.n_cols):
                            rows.append((math.cos(zr), math.sin(zr), y_p + n * panel.dh_wl,
                                         z_p + g * sub * panel.dv_wl, sub, 1, panel.dv_wl, panel.dh_wl, cos_et,
                                         1.0 / math.sqrt(sub)))
                else:
                    rows.append((math.cos(zr), math.sin(zr), y_p, z_p, panel.m_rows, panel.n_cols,
                                 panel.dv_wl, panel.dh_wl, cos_et,
                                 1.0 / math.sqrt(panel.m_rows * panel.n_cols)))
    out = np.array(rows, dtype=np.float64)
    out.setflags(write=False)
    return out


@jit
def psi_components_core(cos_t: float, sin_t: float, cos_dp: float, sin_dp: float,
                        cos_b: float, sin_b: float) -> tuple[float, float]:
    """Real and imaginary parts of the argument of eq. (7.1-15) (gamma = 0):
    cos b sin theta - sin b cos theta cos(phi - alpha) + j sin b sin(phi - alpha); psi is
    their angle."""
    return cos_b * sin_t - sin_b * cos_t * cos_dp, sin_b * sin_dp


@jit
def port_field_core(theta_deg: float, phi_deg: float, bearing_deg: float, cos_b: float, sin_b: float,
                    table: NDArray[np.float64], pattern: bool, out: NDArray[np.complex128]) -> None:
    """GCS field (F_theta, F_phi) of every port of a panel towards one GCS direction (zenith
    ``theta_deg``, azimuth ``phi_deg``), written into ``out`` complex128 [port, 2].

    The panel has bearing ``bearing_deg`` and mechanical downtilt beta (``cos_b``, ``sin_b``);
    ``table`` is :meth:`PanelArray.port_table`, ``pattern`` selects the Table 7.3-1 element
    (else isotropic). Steps: LCS angles (eqs. 7.1-7/7.1-8), element gain (Table 7.3-1), the
    slant's LCS field rotated by psi (eqs. 7.3-4/7.3-5, 7.1-11, 7.1-15), times the port's
    array factor in Kronecker form (module docstring)."""
    two_pi = 2.0 * math.pi
    if not pattern and sin_b == 0.0 and cos_b == 1.0:
        # isotropic elements, no downtilt: only r' is needed; r'_z = cos theta,
        # r'_y = sin theta sin(phi - alpha), and psi = arg(sin theta) = 0 (eq. 7.1-15)
        t = math.radians(theta_deg)
        a_y = two_pi * math.sin(t) * math.sin(math.radians(phi_deg - bearing_deg))
        a_z = two_pi * math.cos(t)
        amp, c_psi, s_psi = 1.0, 1.0, 0.0
    else:
        th_l, cos_tl, ph_l = lcs_angles_core(theta_deg, phi_deg - bearing_deg, cos_b, sin_b, 1.0, 0.0)
        if pattern:
            a_v = vertical_attenuation_core(th_l, THETA_3DB_DEG, SLA_V_DB)
            a_h = horizontal_attenuation_core(wrap_angle_core(ph_l), PHI_3DB_DEG, A_MAX_DB)
            amp = 10.0 ** (element_gain_core(a_v, a_h, A_MAX_DB, G_E_MAX_DBI) / 20.0)
        else:
            amp = 1.0
        t = math.radians(theta_deg)
        dp = math.radians(phi_deg - bearing_deg)
        re, im = psi_components_core(math.cos(t), math.sin(t), math.cos(dp), math.sin(dp), cos_b, sin_b)
        r = math.hypot(re, im)
        if r > 0.0:
            c_psi, s_psi = re / r, im / r
        else:  # arg(0) = 0, as numpy.arctan2(0, 0)
            c_psi, s_psi = 1.0, 0.0
        st_l = math.sqrt(max(0.0, 1.0 - cos_tl * cos_tl))
        a_y = two_pi * st_l * math.sin(math.radians(ph_l))  # 2 pi r'_y
        a_z = two_pi * cos_tl  # 2 pi r'_z
    row = 1.0 + 0.0j
    col = 1.0 + 0.0j
    prev_m, prev_n, prev_dv, prev_dh, prev_et = -1.0, -1.0, -1.0, -1.0, 2.0
    for p in range(table.shape[0]):
        m_rows, n_cols = table[p, _PT_M], table[p, _PT_N]
        dv, dh, c_et = table[p, _PT_DV], table[p, _PT_DH], table[p, _PT_COS_ET]
        if m_rows == 1.0:
            row = 1.0 + 0.0j
            prev_m = 1.0
        elif m_rows != prev_m or dv != prev_dv or c_et != prev_et:
            z = complex(math.cos(dv * (a_z - two_pi * c_et)), math.sin(dv * (a_z - two_pi * c_et)))
            row, zk = 0.0j, 1.0 + 0.0j
            for _ in range(int(m_rows)):
                row += zk
                zk *= z
            prev_m, prev_dv, prev_et = m_rows, dv, c_et
        if n_cols == 1.0:
            col = 1.0 + 0.0j
            prev_n = 1.0
        elif n_cols != prev_n or dh != prev_dh:
            z = complex(math.cos(dh * a_y), math.sin(dh * a_y))
            col, zk = 0.0j, 1.0 + 0.0j
            for _ in range(int(n_cols)):
                col += zk
                zk *= z
            prev_n, prev_dh = n_cols, dh
        ph0 = a_y * table[p, _PT_Y0] + a_z * table[p, _PT_Z0]
        af = complex(math.cos(ph0), math.sin(ph0)) * row * col * (amp * table[p, _PT_NORM])
        cz, sz = table[p, _PT_COS_Z], table[p, _PT_SIN_Z]
        out[p, 0] = af * (c_psi * cz - s_psi * sz)  # F_theta, eq. (7.1-11)
        out[p, 1] = af * (s_psi * cz + c_psi * sz)  # F_phi


@jit
def _port_fields_kernel(theta_deg: NDArray[np.float64], phi_deg: NDArray[np.float64],
                        bearing_deg: NDArray[np.float64], downtilt_deg: NDArray[np.float64],
                        table: NDArray[np.float64], pattern: bool) -> NDArray[np.complex128]:
    n = theta_deg.shape[0]
    out = np.empty((n, table.shape[0], 2), dtype=np.complex128)
    for i in range(n):
        b = math.radians(downtilt_deg[i])
        port_field_core(theta_deg[i], phi_deg[i], bearing_deg[i], math.cos(b), math.sin(b), table, pattern, out[i])
    return out


@ufunc(["float64(float64, float64, float64, float64)"])
def _psi_ufunc(theta_deg, phi_deg, bearing_deg, downtilt_deg):
    t = math.radians(theta_deg)
    dp = math.radians(phi_deg - bearing_deg)
    b = math.radians(downtilt_deg)
    re, im = psi_components_core(math.cos(t), math.sin(t), math.cos(dp), math.sin(dp), math.cos(b), math.sin(b))
    return math.atan2(im, re)


def field_rotation_psi_rad(
    theta_deg: ArrayLike, phi_deg: ArrayLike, bearing_deg: ArrayLike, downtilt_deg: ArrayLike
) -> NDArray[np.float64]:
    """psi of TR 38.901 V17.0.0 eq. (7.1-15) with gamma = 0: the rotation of the polarised
    field from the LCS to the GCS, psi = arg(cos b sin t - sin b cos t cos(p - a)
    + j sin b sin(p - a)) [rad], elementwise."""
    return np.asarray(_psi_ufunc(np.asarray(theta_deg, dtype=np.float64), np.asarray(phi_deg, dtype=np.float64),
                                 np.asarray(bearing_deg, dtype=np.float64),
                                 np.asarray(downtilt_deg, dtype=np.float64)), dtype=np.float64)


def port_fields(
    panel: PanelArray,
    theta_deg: ArrayLike,
    phi_deg: ArrayLike,
    bearing_deg: ArrayLike = 0.0,
    downtilt_deg: ArrayLike = 0.0,
) -> NDArray[np.complex128]:
    """GCS field (F_theta, F_phi) of every port towards GCS directions, including the array
    phase of the port's elements (relative to the panel's first element).

    Parameters
    ----------
    theta_deg, phi_deg : float64, broadcastable, e.g. [link, cluster, ray] [deg]
        GCS zenith and azimuth of the departure (or arrival) direction.
    bearing_deg, downtilt_deg : float64, broadcastable (e.g. [link, 1, 1]) [deg]
        Panel orientation (alpha, beta of 7.1.3).

    Returns
    -------
    complex128 [..., port, 2]; |F|^2 summed over the 2 components is the port's power gain
    (linear) in that direction.
    """
    th, ph, b, dt = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in
                                           (theta_deg, phi_deg, bearing_deg, downtilt_deg)))
    shape = th.shape
    out = _port_fields_kernel(th.ravel(), ph.ravel(), b.ravel(), dt.ravel(), panel.port_table(), panel.pattern)
    return out.reshape(*shape, panel.n_ports, 2)


def port_gain_dbi(panel: PanelArray, theta_deg: ArrayLike, phi_deg: ArrayLike,
                  bearing_deg: ArrayLike = 0.0, downtilt_deg: ArrayLike = 0.0) -> NDArray[np.float64]:
    """Power gain of every port [..., port] [dBi] (|F_theta|^2 + |F_phi|^2)."""
    f = port_fields(panel, theta_deg, phi_deg, bearing_deg, downtilt_deg)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10((np.abs(f) ** 2).sum(axis=-1))


def bs_array_panel(array_type: ArrayType, etilt_deg: float = 90.0) -> PanelArray:
    """The :class:`PanelArray` of a named BS array type (:mod:`nrsim.channel.tr38901.arrays`)
    with its sub-arrays tilted to zenith ``etilt_deg`` (90 = horizon, 102 = 12 deg down)."""
    t = array_type
    return PanelArray(
        m_rows=t.m_rows, n_cols=t.n_cols, slant="x45", dv_wl=ELEMENT_SPACING_WL,
        dh_wl=ELEMENT_SPACING_WL, element="3gpp", port_map="subarray",
        subarray_rows=t.subarray_rows, etilt_deg=float(etilt_deg),
    )


def ue_array(n_antennas: int) -> PanelArray:
    """The UE panel with ``n_antennas`` antennas (one port per element)."""
    if n_antennas == 1:
        return PanelArray(1, 1, slant="v", element="isotropic", port_map="element")
    if n_antennas == 2:
        return PanelArray(1, 1, slant="x45", element="isotropic", port_map="element")
    if n_antennas == 4:
        return PanelArray(1, 2, slant="x45", dh_wl=ELEMENT_SPACING_WL, element="isotropic", port_map="element")
    raise ConfigError(f"antenna.ue_antennas = {n_antennas!r}; allowed: "
                      f"{', '.join(map(str, UE_ANTENNA_COUNTS))}", field="antenna.ue_antennas")
