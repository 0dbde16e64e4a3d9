"""The clustered channel of a sparse set of UE-cell links (``[ue, k]`` flattened to
``[link]``): LSPs (7.5 step 4), clusters and rays (steps 5-11) and delay taps (step 12) per
link, each link in its own Table 7.5-6 condition (LOS, NLOS or O2I).

It is fed by the large-scale model (:mod:`nrsim.channel.large_scale`): the LOS state and the
unit shadow fading of each link come from there, so the clustered channel cannot contradict
the calibrated large-scale one.

Rays are generated once per UE-site pair (the cells of a site share them, only their panels
differ) from the per-link keyed variates of :mod:`nrsim.channel.tr38901.draws`: the channel
of a link is the same whether it is computed alone, with a subset or with every link of the
drop, in any order or chunking.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields

import numpy as np
from numpy.typing import NDArray

from nrsim.channel.tr38901.attenuation import (
    BlockageModelA,
    blockage_attenuation_db,
    draw_blockers,
    oxygen_loss_db,
)
from nrsim.channel.tr38901.clusters import (
    ClusterSet,
    circular_angle_spread_deg,
    generate_clusters,
    ray_power_table,
    rms_delay_spread_s,
)
from nrsim.channel.tr38901.coefficients import RayChannel, RayLinks, channel_taps, ray_coefficients
from nrsim.channel.tr38901.draws import LinkDraws
from nrsim.channel.tr38901.lsp import LspFields, lsp_parameters, lsps_from_normals, zsd_parameters
from nrsim.channel.tr38901.panel import PanelArray

SPREAD_NAMES = ("ds_s", "asd_deg", "asa_deg", "zsd_deg", "zsa_deg")
SPEED_OF_LIGHT_M_S = 299_792_458.0


@dataclass(frozen=True)
class Links:
    """A set of UE-site links, arrays [link].

    ue : int64, the UE's index in the drop (keys the link's random draws with ``site``);
    ue_xy_m : float64 [link, 2]; site : int64; los, indoor : bool;
    d_2d_m, d_3d_m, h_ut_m, h_bs_m : float64 [m];
    los_aod_deg, los_zod_deg : float64, GCS direction BS -> UE [deg];
    sf_unit : float64, the large-scale model's shadow fading (a loss) / sigma_SF;
    bearing_deg, downtilt_deg : float64, orientation of the link's BS panel [deg].
    """

    ue: NDArray[np.int64]
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

    def subset(self, idx: NDArray[np.int64]) -> "Links":
        """The links ``idx`` (any order)."""
        return Links(**{k: getattr(self, k)[idx] for k in self.__dataclass_fields__})


@dataclass(frozen=True)
class ChannelOptions:
    """Options of the clustered channel (7.6), off by default.

    oxygen : oxygen absorption of 7.6.1 (zero below 52 GHz).
    blockage : blockage model A of 7.6.4.1 (:class:`BlockageModelA`), or None.
    blockage_key : 64-bit key of the per-UE blocker draws (e.g. from the named stream
        ``"blockage"`` of the drop).
    """

    oxygen: bool = False
    blockage: BlockageModelA | None = None
    blockage_key: int = 0


@dataclass(frozen=True)
class LinkChannels:
    """taps : complex128 [link, tap, rx, tx]; delays_s : float64 [link, tap] (unused taps 0);
    condition : int8 [link] (0 LOS, 1 NLOS, 2 O2I); spreads : dict of float64 [link]
    (``ds_s``, ``asd_deg``, ``asa_deg``, ``zsd_deg``, ``zsa_deg``) computed from the ray
    powers without antenna patterns (circular spread of TR 25.996 Annex A for azimuths,
    power-weighted RMS for zeniths); lsp : dict of float64 [link] (the drawn LSPs);
    clusters : the rays of the UE-site pairs (padded to the largest cluster count) and
    pair : int64 [link], each link's row in it (for :func:`link_rays`); cluster_gain
    float64 [pair, cluster] and los_amplitude [pair]: the 7.6 attenuations (power factor of
    each cluster, amplitude factor of the direct path; 1 without options)."""

    taps: NDArray[np.complex128]
    delays_s: NDArray[np.float64]
    condition: NDArray[np.int8]
    spreads: dict[str, NDArray[np.float64]]
    lsp: dict[str, NDArray[np.float64]]
    clusters: ClusterSet | None = field(default=None, repr=False)
    pair: NDArray[np.int64] | None = field(default=None, repr=False)
    cluster_gain: NDArray[np.float64] | None = field(default=None, repr=False)
    los_amplitude: NDArray[np.float64] | None = field(default=None, repr=False)


def link_conditions(scenario: str, los: NDArray[np.bool_], indoor: NDArray[np.bool_]) -> NDArray[np.int8]:
    """0 LOS, 1 NLOS, 2 O2I (indoor UEs of UMa/UMi, Table 7.5-6 Part-1), per link."""
    cond = np.where(los, 0, 1).astype(np.int8)
    if scenario != "inh":
        cond[np.asarray(indoor, dtype=bool)] = 2
    return cond


def _pad(cs: ClusterSet, n_max: int) -> dict[str, NDArray]:
    n_link, n, m = cs.aod_deg.shape
    pad = n_max - n
    out = {}
    for name in ("delay_s", "power", "cluster_aoa_deg", "cluster_zoa_deg"):
        out[name] = np.pad(getattr(cs, name), ((0, 0), (0, pad)))
    for name in ("aod_deg", "aoa_deg", "zod_deg", "zoa_deg"):
        out[name] = np.pad(getattr(cs, name), ((0, 0), (0, pad), (0, 0)))
    out["xpr_lin"] = np.pad(cs.xpr_lin, ((0, 0), (0, pad), (0, 0)), constant_values=1.0)
    out["phase_rad"] = np.pad(cs.phase_rad, ((0, 0), (0, pad), (0, 0), (0, 0)))
    return out


def unique_pairs(ue: NDArray[np.int64], site: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(first link of each distinct UE-site pair [pair], pair of each link [link])."""
    code = np.asarray(ue, dtype=np.int64) * (int(np.max(site, initial=0)) + 1) + np.asarray(site, dtype=np.int64)
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    return first.astype(np.int64), inverse.astype(np.int64).reshape(-1)


def link_channels(
    links: Links,
    scenario: str,
    fc_ghz: float,
    fields: LspFields,
    tx_panel: PanelArray,
    rx_panel: PanelArray,
    *,
    key: int,
    spreads: bool = True,
    options: ChannelOptions = ChannelOptions(),
) -> LinkChannels:
    """Delay taps at t = 0 and (with ``spreads``) the ray-power spreads of every link (TR
    38.901 V17.0.0 7.5 steps 4-12, with the 7.6 ``options``). Taps [link, N_max + 5, rx, tx]:
    N_max is the scenario's largest cluster count (links with fewer clusters have zero taps
    there), then the 4 sub-cluster taps and the direct path. ``key`` (64-bit) keys the
    per-link draws (:mod:`nrsim.channel.tr38901.draws`), e.g. from the named stream
    ``"clusters"`` of the drop. The spreads cost more than the taps (the circular spread's
    search); without them ``LinkChannels.spreads`` holds NaN. The spreads exclude the
    blockage and oxygen attenuations (they describe the propagation, 7.8.2)."""
    n_link = links.n_links
    cond_link = link_conditions(scenario, links.los, links.indoor)
    first, pair = unique_pairs(links.ue, links.site)
    pl = links.subset(first)  # one row per UE-site pair
    n_pair = pl.n_links
    cond = cond_link[first]
    names = ("los", "nlos", "o2i")
    # one tap layout per scenario (the largest cluster count of its conditions), whatever
    # conditions the links have: chunks of links stack
    n_max = max(lsp_parameters(scenario, c, fc_ghz).n_clusters for c in names if scenario != "inh" or c != "o2i")
    m = 20
    arr = {
        "delay_s": np.zeros((n_pair, n_max)), "power": np.zeros((n_pair, n_max)),
        "aod_deg": np.zeros((n_pair, n_max, m)), "aoa_deg": np.zeros((n_pair, n_max, m)),
        "zod_deg": np.zeros((n_pair, n_max, m)), "zoa_deg": np.zeros((n_pair, n_max, m)),
        "xpr_lin": np.ones((n_pair, n_max, m)), "phase_rad": np.zeros((n_pair, n_max, m, 4)),
        "cluster_aoa_deg": np.zeros((n_pair, n_max)), "cluster_zoa_deg": np.zeros((n_pair, n_max)),
    }
    per_pair = {k: np.zeros(n_pair) for k in ("k_lin", "los_aod_deg", "los_zod_deg", "los_aoa_deg", "los_zoa_deg",
                                               "c_ds_s", "delay_offset_s")}
    strongest = np.zeros((n_pair, 2), dtype=np.int64)
    lsp_out = {k: np.full(n_pair, np.nan) for k in ("ds_s", "asd_deg", "asa_deg", "zsd_deg", "zsa_deg", "k_db")}
    for c in range(3):
        idx = np.flatnonzero(cond == c)
        if idx.size == 0:
            continue
        p = lsp_parameters(scenario, names[c], fc_ghz)
        if p.n_rays != m:
            raise AssertionError("every Table 7.5-6 column has 20 rays per cluster")
        mu_zsd, sg_zsd, off_zsd = zsd_parameters(
            scenario, pl.los[idx], pl.d_2d_m[idx], pl.h_ut_m[idx], pl.h_bs_m[idx], fc_ghz
        )
        z = fields.normals(names[c], pl.ue_xy_m[idx], pl.site[idx], pl.sf_unit[idx])
        lsps = lsps_from_normals(z, p, mu_zsd, sg_zsd, off_zsd)
        cs = generate_clusters(p, lsps, pl.los_aod_deg[idx], pl.los_zod_deg[idx], indoor=(c == 2),
                               rng=LinkDraws(key, pl.ue[idx], pl.site[idx]))
        for k, v in _pad(cs, n_max).items():
            arr[k][idx] = v
        for k in ("k_lin", "los_aod_deg", "los_zod_deg", "los_aoa_deg", "los_zoa_deg", "delay_offset_s"):
            per_pair[k][idx] = getattr(cs, k)
        per_pair["c_ds_s"][idx] = cs.c_ds_s
        strongest[idx] = cs.strongest
        for k in lsp_out:
            lsp_out[k][idx] = getattr(lsps, k)
    # 7.6 options: per-cluster power factors and the direct path's amplitude
    gain = np.ones((n_pair, n_max))
    los_amp = np.ones(n_pair)
    if options.oxygen and n_pair:
        los_link = cond == 0
        ol_db = oxygen_loss_db(fc_ghz, pl.d_3d_m[:, None], arr["delay_s"],
                               np.where(los_link, 0.0, per_pair["delay_offset_s"])[:, None])
        gain = gain * 10.0 ** (-ol_db / 10.0)
        los_amp = los_amp * 10.0 ** (-oxygen_loss_db(fc_ghz, pl.d_3d_m, 0.0, 0.0) / 20.0)
    if options.blockage is not None and n_pair:
        wl = SPEED_OF_LIGHT_M_S / (fc_ghz * 1e9)
        blk = draw_blockers(options.blockage, options.blockage_key, pl.ue)
        att_db = blockage_attenuation_db(options.blockage, blk, arr["cluster_aoa_deg"], arr["cluster_zoa_deg"], wl)
        gain = gain * 10.0 ** (-att_db / 10.0)
        att_los = blockage_attenuation_db(options.blockage, blk, per_pair["los_aoa_deg"][:, None],
                                          per_pair["los_zoa_deg"][:, None], wl)[:, 0]
        los_amp = los_amp * 10.0 ** (-att_los / 20.0)
    cs_all = ClusterSet(
        delay_s=arr["delay_s"], power=arr["power"], aod_deg=arr["aod_deg"], aoa_deg=arr["aoa_deg"],
        zod_deg=arr["zod_deg"], zoa_deg=arr["zoa_deg"], xpr_lin=arr["xpr_lin"], phase_rad=arr["phase_rad"],
        k_lin=per_pair["k_lin"], los_aod_deg=per_pair["los_aod_deg"], los_zod_deg=per_pair["los_zod_deg"],
        los_aoa_deg=per_pair["los_aoa_deg"], los_zoa_deg=per_pair["los_zoa_deg"], strongest=strongest,
        c_ds_s=per_pair["c_ds_s"], delay_offset_s=per_pair["delay_offset_s"],
        cluster_aoa_deg=arr["cluster_aoa_deg"], cluster_zoa_deg=arr["cluster_zoa_deg"],
    )
    taps, delays = channel_taps(_ray_links(links, cs_all, gain, pair, los_amp, tx_panel, rx_panel, fc_ghz))
    ch = LinkChannels(taps=taps, delays_s=delays, condition=cond_link,
                      spreads={k: np.full(n_link, np.nan) for k in SPREAD_NAMES},
                      lsp={k: v[pair] for k, v in lsp_out.items()},
                      clusters=cs_all, pair=pair, cluster_gain=gain, los_amplitude=los_amp)
    if spreads:
        ch.spreads.update(link_spreads(ch, np.arange(n_link)))
    return ch


def _take(cs: ClusterSet, rows: NDArray[np.int64]) -> ClusterSet:
    """The rows ``rows`` of every per-link array of ``cs``."""
    out = {}
    for f in dataclass_fields(cs):
        v = getattr(cs, f.name)
        if isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[0] == cs.n_links:
            v = v[rows]
        out[f.name] = v
    return ClusterSet(**out)


def link_spreads(ch: LinkChannels, idx: NDArray[np.int64]) -> dict[str, NDArray[np.float64]]:
    """DS [s], ASD, ASA (circular, TR 25.996 Annex A), ZSD, ZSA [deg] of the links ``idx``
    [n] from their ray powers without antenna patterns (K-factor and direct path included,
    blockage and oxygen absorption not: the propagation's spreads of 7.8.2)."""
    rays = ray_power_table(_take(ch.clusters, ch.pair[np.asarray(idx, dtype=np.int64)]))
    return {
        "ds_s": rms_delay_spread_s(rays["delay_s"], rays["power"]),
        "asd_deg": circular_angle_spread_deg(rays["aod_deg"], rays["power"]),
        "asa_deg": circular_angle_spread_deg(rays["aoa_deg"], rays["power"]),
        "zsd_deg": rms_delay_spread_s(rays["zod_deg"], rays["power"]),
        "zsa_deg": rms_delay_spread_s(rays["zoa_deg"], rays["power"]),
    }


def _ray_links(links: Links, cs: ClusterSet, cluster_gain: NDArray[np.float64], pair: NDArray[np.int64],
               los_amplitude: NDArray[np.float64], tx_panel: PanelArray, rx_panel: PanelArray,
               fc_ghz: float) -> RayLinks:
    """The rays ``cs`` [pair] of ``links`` with the 7.6 attenuations applied (each cluster's
    power times ``cluster_gain`` [pair, cluster], the direct path times ``los_amplitude``
    [pair]), their panels and geometry: the input of ``channel_taps`` and ``ray_coefficients``."""
    return RayLinks(replace(cs, power=cs.power * cluster_gain), tx_panel, rx_panel, links.bearing_deg,
                    links.downtilt_deg, links.d_3d_m, SPEED_OF_LIGHT_M_S / (fc_ghz * 1e9), pair=pair,
                    los_amplitude=los_amplitude)


def link_rays(
    ch: LinkChannels,
    links: Links,
    tx_panel: PanelArray,
    rx_panel: PanelArray,
    fc_ghz: float,
    velocity_mps: NDArray[np.float64],
) -> RayChannel:
    """The per-ray coefficients and Doppler frequencies of the links of ``ch`` for UE
    velocities ``velocity_mps`` float64 [link, 3] [m/s] (GCS), for
    :func:`nrsim.channel.tr38901.coefficients.taps_at` (time evolution, eq. 7.5-22)."""
    rl = _ray_links(links, ch.clusters, ch.cluster_gain, ch.pair, ch.los_amplitude, tx_panel, rx_panel, fc_ghz)
    return ray_coefficients(rl, velocity_mps)
