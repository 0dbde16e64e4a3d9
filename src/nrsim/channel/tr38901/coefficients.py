"""Channel coefficients and frequency response of the clustered channel, TR 38.901 V17.0.0,
7.5 steps 11-12: eq. (7.5-22) (NLOS rays), (7.5-27)-(7.5-28) (direct path), (7.5-30)
(K-factor combination) and the frequency response per PRB.

The coefficient of ray (n, m) between Rx port u and Tx port s is::

    c_u,s,n,m = sqrt(P_n / M) F_rx,u(aoa, zoa)^T [[e^{j Phi_tt}, kappa^-1/2 e^{j Phi_tp}],
                 [kappa^-1/2 e^{j Phi_pt}, e^{j Phi_pp}]] F_tx,s(aod, zod)

with the array phases inside the port fields (:func:`nrsim.channel.tr38901.panel.port_fields`).
Rays that share a delay are summed first: each cluster is one delay, except the two strongest,
which are three (sub-clusters of Table 7.5-5), and the direct path is one more, so a link has
N + 5 delay taps. For LOS links the NLOS taps are scaled by sqrt(1 / (K_R + 1)) and the direct
path, sqrt(K_R / (K_R + 1)) F_rx^T diag(1, -1) F_tx exp(-j 2 pi d_3D / lambda), sits at the
first cluster's delay (0). The frequency response per PRB is
H_u,s(f) = sum_taps c_tap exp(-j 2 pi f tau_tap).

Time evolution (Doppler) and spatial consistency are not modelled here (the channel is a
t = 0 snapshot, as in the 7.8.2 calibration).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nrsim.channel.tr38901.clusters import ClusterSet, subcluster_map
from nrsim.channel.tr38901.panel import PanelArray, port_fields

LINK_CHUNK = 128
"""Links per block of the coefficient computation (bounds the memory of the per-ray arrays)."""


def polarisation_matrix(xpr_lin: NDArray[np.float64], phase_rad: NDArray[np.float64]) -> NDArray[np.complex128]:
    """The 2x2 polarisation matrix of eq. (7.5-22) per ray: [..., 2, 2] from XPR kappa [...]
    and the four initial phases [..., 4] (theta-theta, theta-phi, phi-theta, phi-phi)."""
    e = np.exp(1j * phase_rad)
    x = 1.0 / np.sqrt(xpr_lin)
    return np.stack(
        [np.stack([e[..., 0], x * e[..., 1]], axis=-1), np.stack([x * e[..., 2], e[..., 3]], axis=-1)],
        axis=-2,
    )


def _chunk_taps(cs: ClusterSet, sl: slice, tx: PanelArray, rx: PanelArray,
                bearing_deg: NDArray[np.float64], downtilt_deg: NDArray[np.float64],
                d_3d_m: NDArray[np.float64], wavelength_m: float
                ) -> tuple[NDArray[np.complex128], NDArray[np.float64]]:
    n_l = cs.delay_s[sl].shape[0]
    n, m = cs.aod_deg.shape[1:]
    b = bearing_deg[sl][:, None, None]
    dt = downtilt_deg[sl][:, None, None]
    f_tx = port_fields(tx, cs.zod_deg[sl], cs.aod_deg[sl], b, dt)  # [l, n, m, tx, 2]
    f_rx = port_fields(rx, cs.zoa_deg[sl], cs.aoa_deg[sl])  # [l, n, m, rx, 2]
    pol = polarisation_matrix(cs.xpr_lin[sl], cs.phase_rad[sl])  # [l, n, m, 2, 2]
    # [l, n, m, rx, tx]
    c = (f_rx @ pol) @ np.swapaxes(f_tx, -1, -2)
    c *= np.sqrt(cs.power[sl] / m)[:, :, None, None, None]
    sub, off = subcluster_map()
    onehot = np.zeros((m, 3))
    onehot[np.arange(m), sub[:m]] = 1.0
    s3 = np.einsum("lnmrt,ms->lnsrt", c, onehot)  # [l, n, 3, rx, tx]
    rows = np.arange(n_l)[:, None]
    strong = cs.strongest[sl]  # [l, 2]
    is_strong = np.zeros((n_l, n), dtype=bool)
    is_strong[rows, strong] = True
    main = s3[:, :, 0] + np.where(is_strong[:, :, None, None], 0.0, s3[:, :, 1] + s3[:, :, 2])
    extra = s3[rows, strong][:, :, 1:]  # [l, 2, 2 (sub-clusters 2, 3), rx, tx]
    extra = extra.reshape(n_l, 4, *extra.shape[-2:])
    tau = cs.delay_s[sl]
    tau_extra = (tau[rows, strong][:, :, None] + off[None, None, 1:] * cs.c_ds_s).reshape(n_l, 4)
    k = cs.k_lin[sl]
    scale_nlos = np.sqrt(1.0 / (k + 1.0))[:, None, None, None]
    # direct path, eqs. (7.5-27)-(7.5-28), at the first cluster's delay
    f_tx_los = port_fields(tx, cs.los_zod_deg[sl], cs.los_aod_deg[sl], bearing_deg[sl], downtilt_deg[sl])
    f_rx_los = port_fields(rx, cs.los_zoa_deg[sl], cs.los_aoa_deg[sl])  # [l, rx, 2]
    flip = np.array([1.0, -1.0])
    los = np.einsum("lra,lta->lrt", f_rx_los * flip, f_tx_los)
    los *= (np.sqrt(k / (k + 1.0)) * np.exp(-2j * np.pi * d_3d_m[sl] / wavelength_m))[:, None, None]
    taps = np.concatenate([main * scale_nlos, extra * scale_nlos, los[:, None]], axis=1)
    delays = np.concatenate([tau, tau_extra, tau[:, :1]], axis=1)
    return taps, delays


def channel_taps(
    cs: ClusterSet,
    tx_panel: PanelArray,
    rx_panel: PanelArray,
    bearing_deg: NDArray[np.float64],
    downtilt_deg: NDArray[np.float64],
    d_3d_m: NDArray[np.float64],
    wavelength_m: float,
) -> tuple[NDArray[np.complex128], NDArray[np.float64]]:
    """Delay taps of every link: (coefficients [link, tap, rx, tx] complex128, delays
    [link, tap] [s]), tap = N clusters + 4 sub-clusters + the direct path (zero for NLOS).

    Parameters
    ----------
    cs : clusters and rays of the links (:func:`nrsim.channel.tr38901.clusters.generate_clusters`).
    tx_panel, rx_panel : BS and UE panels; the UE panel is not rotated (LCS = GCS).
    bearing_deg, downtilt_deg : float64 [link], orientation of each link's BS panel [deg].
    d_3d_m : float64 [link], BS-UE distance [m] (phase of the direct path).
    wavelength_m : carrier wavelength [m].
    """
    n_link = cs.n_links
    n = cs.delay_s.shape[1]
    n_tx, n_rx = tx_panel.n_ports, rx_panel.n_ports
    taps = np.zeros((n_link, n + 5, n_rx, n_tx), dtype=np.complex128)
    delays = np.zeros((n_link, n + 5))
    for s in range(0, n_link, LINK_CHUNK):
        sl = slice(s, min(s + LINK_CHUNK, n_link))
        taps[sl], delays[sl] = _chunk_taps(cs, sl, tx_panel, rx_panel, np.asarray(bearing_deg, dtype=np.float64),
                                           np.asarray(downtilt_deg, dtype=np.float64),
                                           np.asarray(d_3d_m, dtype=np.float64), wavelength_m)
    return taps, delays


def frequency_response(
    taps: NDArray[np.complex128], delays_s: NDArray[np.float64], freq_hz: NDArray[np.float64]
) -> NDArray[np.complex64]:
    """H(f) = sum_tap c_tap exp(-j 2 pi f tau_tap): taps [link, tap, rx, tx], delays
    [link, tap] [s], frequencies [prb] [Hz, relative to the carrier] -> complex64
    [link, rx, tx, prb]."""
    n_link, n_tap, n_rx, n_tx = taps.shape
    out = np.empty((n_link, n_rx, n_tx, freq_hz.shape[0]), dtype=np.complex64)
    f = np.asarray(freq_hz, dtype=np.float64)
    for s in range(0, n_link, LINK_CHUNK):
        sl = slice(s, min(s + LINK_CHUNK, n_link))
        ph = np.exp(-2j * np.pi * delays_s[sl, :, None] * f[None, None, :]).astype(np.complex64)
        t = taps[sl].reshape(-1, n_tap, n_rx * n_tx).astype(np.complex64)
        out[sl] = np.matmul(np.swapaxes(t, 1, 2), ph).reshape(-1, n_rx, n_tx, f.shape[0])
    return out


def prb_frequencies_hz(n_prb: int, scs_hz: float) -> NDArray[np.float64]:
    """Centre frequency of each PRB relative to the carrier centre [Hz] (12 subcarriers of
    ``scs_hz`` per PRB, TS 38.211 4.4.4), ``n_prb`` PRBs centred on the carrier."""
    prb_hz = 12.0 * scs_hz
    return (np.arange(n_prb) - (n_prb - 1) / 2.0) * prb_hz
