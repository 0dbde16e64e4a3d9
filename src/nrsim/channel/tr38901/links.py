"""The clustered channel of a sparse set of UE-cell links (``[ue, k]`` flattened to
``[link]``): LSPs (7.5 step 4), clusters and rays (steps 5-11) and delay taps (step 12) per
link, each link in its own Table 7.5-6 condition (LOS, NLOS or O2I).

It is fed by the large-scale model (:mod:`nrsim.channel.large_scale`): the LOS state and the
unit shadow fading of each link come from there, so the clustered channel cannot contradict
the calibrated large-scale one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nrsim.channel.tr38901.clusters import (
    circular_angle_spread_deg,
    generate_clusters,
    ray_power_table,
    rms_delay_spread_s,
)
from nrsim.channel.tr38901.coefficients import channel_taps
from nrsim.channel.tr38901.lsp import LspFields, lsp_parameters, lsps_from_normals, zsd_parameters
from nrsim.channel.tr38901.panel import PanelArray

SPREAD_NAMES = ("ds_s", "asd_deg", "asa_deg", "zsd_deg", "zsa_deg")


@dataclass(frozen=True)
class Links:
    """A set of UE-site links, arrays [link].

    ue_xy_m : float64 [link, 2]; site : int64; los, indoor : bool;
    d_2d_m, d_3d_m, h_ut_m, h_bs_m : float64 [m];
    los_aod_deg, los_zod_deg : float64, GCS direction BS -> UE [deg];
    sf_unit : float64, the large-scale model's shadow fading / sigma_SF;
    bearing_deg, downtilt_deg : float64, orientation of the link's BS panel [deg].
    """

    ue_xy_m: NDArray[np.float64]
    site: NDArray[np.int64]
    los: NDArray[np.bool_]
    indoor: NDArray[np.bool_]
    d_2d_m: NDArray[np.float64]
    d_3d_m: NDArray[np.float64]
    h_ut_m: NDArray[np.float64]
    h_bs_m: NDArray[np.float64]
    los_aod_deg: NDArray[np.float64]
    los_zod_deg: NDArray[np.float64]
    sf_unit: NDArray[np.float64]
    bearing_deg: NDArray[np.float64]
    downtilt_deg: NDArray[np.float64]

    @property
    def n_links(self) -> int:
        return int(self.site.shape[0])


@dataclass(frozen=True)
class LinkChannels:
    """taps : complex128 [link, tap, rx, tx]; delays_s : float64 [link, tap] (unused taps 0);
    condition : int8 [link] (0 LOS, 1 NLOS, 2 O2I); spreads : dict of float64 [link]
    (``ds_s``, ``asd_deg``, ``asa_deg``, ``zsd_deg``, ``zsa_deg``) computed from the ray
    powers without antenna patterns (circular spread of TR 25.996 Annex A for azimuths,
    power-weighted RMS for zeniths); lsp : dict of float64 [link] (the drawn LSPs)."""

    taps: NDArray[np.complex128]
    delays_s: NDArray[np.float64]
    condition: NDArray[np.int8]
    spreads: dict[str, NDArray[np.float64]]
    lsp: dict[str, NDArray[np.float64]]


def link_conditions(scenario: str, los: NDArray[np.bool_], indoor: NDArray[np.bool_]) -> NDArray[np.int8]:
    """0 LOS, 1 NLOS, 2 O2I (indoor UEs of UMa/UMi, Table 7.5-6 Part-1), per link."""
    cond = np.where(los, 0, 1).astype(np.int8)
    if scenario != "inh":
        cond[np.asarray(indoor, dtype=bool)] = 2
    return cond


def link_channels(
    links: Links,
    scenario: str,
    fc_ghz: float,
    fields: LspFields,
    tx_panel: PanelArray,
    rx_panel: PanelArray,
    *,
    rng: np.random.Generator,
    spreads: bool = True,
) -> LinkChannels:
    """Delay taps and (with ``spreads``) the ray-power spreads of every link (TR 38.901
    V17.0.0 7.5 steps 4-12). The spreads cost more than the taps (the circular spread's
    search); without them ``LinkChannels.spreads`` holds NaN."""
    n_link = links.n_links
    cond = link_conditions(scenario, links.los, links.indoor)
    names = ("los", "nlos", "o2i")
    n_max = max(lsp_parameters(scenario, names[c], fc_ghz).n_clusters for c in np.unique(cond)) if n_link else 0
    taps = np.zeros((n_link, n_max + 5, rx_panel.n_ports, tx_panel.n_ports), dtype=np.complex128)
    delays = np.zeros((n_link, n_max + 5))
    want_spreads = spreads
    spreads = {k: np.full(n_link, np.nan) for k in SPREAD_NAMES}
    lsp_out = {k: np.full(n_link, np.nan) for k in ("ds_s", "asd_deg", "asa_deg", "zsd_deg", "zsa_deg", "k_db")}
    wavelength_m = 299_792_458.0 / (fc_ghz * 1e9)
    for c in range(3):
        idx = np.flatnonzero(cond == c)
        if idx.size == 0:
            continue
        p = lsp_parameters(scenario, names[c], fc_ghz)
        mu_zsd, sg_zsd, off_zsd = zsd_parameters(
            scenario, links.los[idx], links.d_2d_m[idx], links.h_ut_m[idx], links.h_bs_m[idx], fc_ghz
        )
        z = fields.normals(names[c], links.ue_xy_m[idx], links.site[idx], links.sf_unit[idx])
        lsps = lsps_from_normals(z, p, mu_zsd, sg_zsd, off_zsd)
        cs = generate_clusters(p, lsps, links.los_aod_deg[idx], links.los_zod_deg[idx],
                               indoor=(c == 2), rng=rng)
        t, d = channel_taps(cs, tx_panel, rx_panel, links.bearing_deg[idx], links.downtilt_deg[idx],
                            links.d_3d_m[idx], wavelength_m)
        n = p.n_clusters
        # clusters in the first n slots, the 5 extra taps in the last 5
        taps[idx, :n] = t[:, :n]
        taps[idx, n_max:] = t[:, n:]
        delays[idx, :n] = d[:, :n]
        delays[idx, n_max:] = d[:, n:]
        if not want_spreads:
            for k in ("ds_s", "asd_deg", "asa_deg", "zsd_deg", "zsa_deg", "k_db"):
                lsp_out[k][idx] = getattr(lsps, k)
            continue
        rays = ray_power_table(cs)
        spreads["ds_s"][idx] = rms_delay_spread_s(rays["delay_s"], rays["power"])
        spreads["asd_deg"][idx] = circular_angle_spread_deg(rays["aod_deg"], rays["power"])
        spreads["asa_deg"][idx] = circular_angle_spread_deg(rays["aoa_deg"], rays["power"])
        spreads["zsd_deg"][idx] = rms_delay_spread_s(rays["zod_deg"], rays["power"])
        spreads["zsa_deg"][idx] = rms_delay_spread_s(rays["zoa_deg"], rays["power"])
        for k in ("ds_s", "asd_deg", "asa_deg", "zsd_deg", "zsa_deg", "k_db"):
            lsp_out[k][idx] = getattr(lsps, k)
    return LinkChannels(taps=taps, delays_s=delays, condition=cond, spreads=spreads, lsp=lsp_out)
