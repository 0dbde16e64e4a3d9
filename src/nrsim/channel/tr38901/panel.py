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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.channel.tr38901.antenna import element_pattern_db, gcs_to_lcs_angles
from nrsim.errors import ConfigError

SLANTS = ("x45", "vh", "v")
"""Polarisation layouts: ``"x45"`` (P = 2, zeta = +45/-45 deg), ``"vh"`` (P = 2, 0/90 deg),
``"v"`` (P = 1, 0 deg: vertical)."""
PORT_MAPS = ("panel_polarisation", "element")
"""``"panel_polarisation"``: the M x N elements of one polarisation in one panel form one port
(ports ordered panel-major, then polarisation); ``"element"``: every element is a port."""


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
    etilt_deg : zenith angle of the vertical DFT steering of a virtualised port (90 = none).
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
        return int(self.elements()[2].max()) + 1


def field_rotation_psi_rad(
    theta_deg: ArrayLike, phi_deg: ArrayLike, bearing_deg: ArrayLike, downtilt_deg: ArrayLike
) -> NDArray[np.float64]:
    """psi of TR 38.901 V17.0.0 eq. (7.1-15) with gamma = 0: the rotation of the polarised
    field from the LCS to the GCS, psi = arg(cos b sin t - sin b cos t cos(p - a)
    + j sin b sin(p - a)) [rad], elementwise."""
    t = np.radians(np.asarray(theta_deg, dtype=np.float64))
    dp = np.radians(np.asarray(phi_deg, dtype=np.float64) - np.asarray(bearing_deg, dtype=np.float64))
    b = np.radians(np.asarray(downtilt_deg, dtype=np.float64))
    return np.arctan2(np.sin(b) * np.sin(dp), np.cos(b) * np.sin(t) - np.sin(b) * np.cos(t) * np.cos(dp))


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
    th_l, ph_l = gcs_to_lcs_angles(theta_deg, phi_deg, bearing_deg, downtilt_deg)
    psi = field_rotation_psi_rad(theta_deg, phi_deg, bearing_deg, downtilt_deg)
    if panel.element == "3gpp":
        amp = np.sqrt(10.0 ** (element_pattern_db(th_l, ph_l) / 10.0))
    else:
        amp = np.ones_like(th_l)
    pos, zeta, port, wgt = panel.elements()
    n_port = int(port.max()) + 1
    t, p = np.radians(th_l), np.radians(ph_l)
    r = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], axis=-1)  # [..., 3]
    phase = np.exp(2j * np.pi * (r @ pos.T))  # [..., element]
    # [element, port] virtualisation matrix
    vmat = np.zeros((pos.shape[0], n_port), dtype=np.complex128)
    vmat[np.arange(pos.shape[0]), port] = wgt
    af = phase @ vmat  # [..., port]
    zeta_port = np.zeros(n_port)
    zeta_port[port] = zeta  # one slant per port
    zr = np.radians(zeta_port)
    cp, sp = np.cos(psi)[..., None], np.sin(psi)[..., None]
    f_t_l = np.cos(zr)  # [port], LCS components per unit amplitude
    f_p_l = np.sin(zr)
    f_theta = amp[..., None] * (cp * f_t_l - sp * f_p_l)  # eq. (7.1-11)
    f_phi = amp[..., None] * (sp * f_t_l + cp * f_p_l)
    return np.stack([f_theta * af, f_phi * af], axis=-1)


def port_gain_dbi(panel: PanelArray, theta_deg: ArrayLike, phi_deg: ArrayLike,
                  bearing_deg: ArrayLike = 0.0, downtilt_deg: ArrayLike = 0.0) -> NDArray[np.float64]:
    """Power gain of every port [..., port] [dBi] (|F_theta|^2 + |F_phi|^2)."""
    f = port_fields(panel, theta_deg, phi_deg, bearing_deg, downtilt_deg)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10((np.abs(f) ** 2).sum(axis=-1))
