"""The scenario configuration: one frozen, validated tree (STYLE rule 7).

Every model forbids unknown keys and checks ranges, so a misspelt key or an out-of-range
value fails once, at load time, with the dotted field name and what is allowed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nrsim.channel.tr38901.arrays import BS_ARRAY_NAMES, SINGLE_COLUMN, UE_ANTENNA_COUNTS
from nrsim.channel.tr38901.scenarios import SCENARIO_KEYS, SCENARIOS


class FrozenModel(BaseModel):
    """Base of every configuration model (scenario and policy files): frozen, unknown keys
    rejected, defaults validated, attribute docstrings as field descriptions (STYLE rules 5, 7)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, use_attribute_docstrings=True
    )


class UeDropConfig(FrozenModel):
    """How UEs are dropped (TR 38.901 Table 7.8-1 conventions)."""

    per_sector: Annotated[int, Field(ge=0, le=100_000)] = 10
    """UEs per cell (sector); each cell's UEs are uniform over its share of the site area."""
    placement: Literal["per-sector", "area"] = "per-sector"
    """``per-sector``: ``per_sector`` UEs in each cell's own area; ``area``: ``per_sector`` x
    cells UEs over the area of interest (``coverage.area_file``, else the sites' convex hull
    grown by ``coverage.margin_m``), uniform or weighted by ``density_file``."""
    density_file: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    """GeoJSON (WGS84) polygons with a numeric ``weight`` property: the relative UE density
    of each (UEs fall only inside them; ``placement = "area"`` with a site list)."""
    min_distance_2d_m: Annotated[float, Field(ge=0.0, le=1_000.0)] = 35.0
    """Minimum BS-UE 2-D distance [m] (UMa 35, UMi 10, InH 0 in Table 7.8-1), kept from every
    site; a layout that leaves no room for it is refused (docs/sites.md)."""
    indoor_fraction: Annotated[float, Field(ge=0.0, le=1.0)] = 0.8
    """Share of indoor UEs (TR 38.901 Table 7.8-1: 80 %)."""
    outdoor_height_m: Annotated[float, Field(ge=1.0, le=22.5)] = 1.5
    """Height of outdoor UEs [m]."""
    indoor_floors: bool = True
    """Indoor UEs on floors: h = 3(n_fl - 1) + 1.5 m, n_fl ~ U{1..N_fl}, N_fl ~ U{min..max}."""
    building_floors_min: Annotated[int, Field(ge=1, le=8)] = 4
    """Smallest number of floors N_fl of a building (Table 7.8-1: 4)."""
    building_floors_max: Annotated[int, Field(ge=1, le=8)] = 8
    """Largest number of floors N_fl of a building (Table 7.8-1: 8)."""
    indoor_height_m: Annotated[float, Field(ge=1.0, le=22.5)] = 1.5
    """Height of indoor UEs when ``indoor_floors`` is false [m] (InH: 1 m)."""

    @model_validator(mode="after")
    def _floors_ordered(self) -> "UeDropConfig":
        if self.building_floors_min > self.building_floors_max:
            raise ValueError(
                "building_floors_min must be <= building_floors_max "
                f"(got {self.building_floors_min} > {self.building_floors_max})"
            )
        return self


class NationalConfig(FrozenModel):
    """The synthetic national network of ``layout = "national"`` (deployment.national)."""

    target_sites: Annotated[int, Field(ge=10, le=100_000)] = 10_000
    """Number of sites; the rural grid spacing is set to reach it exactly."""
    side_km: Annotated[float, Field(gt=1.0, le=5_000.0)] = 400.0
    """Side of the (square) country [km]."""
    n_cities: Annotated[int, Field(ge=0, le=1_000)] = 12
    """Cities, with radii largest_city_radius_km / sqrt(rank)."""
    largest_city_radius_km: Annotated[float, Field(gt=0.1, le=100.0)] = 8.0
    """Radius of the largest city [km]: dense-urban core (UMi) to 20 %, urban (UMa) to 55 %,
    suburban (UMa) to 100 %."""
    core_isd_m: Annotated[float, Field(gt=10.0, le=5_000.0)] = 200.0
    """ISD of the dense-urban cores [m] (UMi-Street Canyon, BS 10 m)."""
    urban_isd_m: Annotated[float, Field(gt=10.0, le=10_000.0)] = 400.0
    """ISD of the urban rings [m] (UMa, BS 25 m)."""
    suburban_isd_m: Annotated[float, Field(gt=10.0, le=20_000.0)] = 1000.0
    """ISD of the suburban rings [m] (UMa, BS 30 m)."""
    layout_seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 2026
    """Seed of the layout itself (the run's ``seed`` does not move the sites)."""


class DeploymentConfig(FrozenModel):
    """Network layout. ``hex``: N rings of sites (1 + 3N(N+1) sites); ``inh-office``: the
    TR 38.901 Table 7.8-2 indoor hall of 12 BSs, 20 m apart, in 120 m x 50 m."""

    layout: Literal["hex", "inh-office", "national", "sites"] = "hex"
    """``hex``: hexagonal grid of sites; ``inh-office``: the 120 m x 50 m indoor hall;
    ``national``: the synthetic national network of ``[deployment.national]``; ``sites``: the
    site list (CSV or GeoJSON, lat/lon) of ``sites_file`` (docs/sites.md)."""
    rings: Annotated[int, Field(ge=0, le=40)] = 2
    """Hex rings around the centre site: 0 -> 1 site, 1 -> 7 sites, 2 -> 19 sites."""
    isd_m: Annotated[float, Field(gt=0.0, le=100_000.0)] = 500.0
    """Inter-site distance [m]."""
    sectors_per_site: Literal[1, 3] = 3
    """3: boresights 30/150/270 deg; 1: one cell per site (omni or boresight 30 deg)."""
    bs_height_m: Annotated[float, Field(gt=0.0, le=300.0)] = 25.0
    """BS antenna height [m] (UMa 25, UMi 10, RMa 35, InH 3)."""
    wraparound: bool = True
    """Every UE sees the nearest of the 7 images of each site (hex layouts with rings >= 1)."""
    ue: UeDropConfig = UeDropConfig()
    national: NationalConfig = NationalConfig()
    sites_file: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    """Site list of ``layout = "sites"``: a CSV or GeoJSON path (relative paths are looked up
    in the working directory, then among nrsim's shipped site lists, e.g. ``london-pilot.csv``)."""


ScenarioName = Literal[(*SCENARIO_KEYS, "mixed")]  # type: ignore[valid-type]
"""``channel.scenario``: a registered TR 38.901 scenario, or ``mixed`` (per-site environments)."""


class ChannelConfig(FrozenModel):
    """Large-scale channel of TR 38.901 V17.0.0 clause 7.4."""

    scenario: ScenarioName = "uma"
    """Path-loss scenario of Table 7.4.1-1 (a key of the scenario registry,
    ``nrsim/channel/tr38901/scenarios.py``): UMa, UMi-Street Canyon, RMa, InH-office;
    ``mixed``: each site's own environment (national layout)."""
    fc_ghz: Annotated[float, Field(gt=0.0, le=1_000.0)] = 3.5
    """Carrier frequency [GHz]; the model's validity range (0.5-100 GHz) is checked too."""
    inh_variant: Literal["mixed", "open"] = "mixed"
    """InH-office LOS probability variant (Table 7.4.2-1)."""
    o2i_model: Literal["low", "high", "mixed"] = "mixed"
    """O2I building penetration (7.4.3.1): all low-loss, all high-loss, or a mix."""
    o2i_high_loss_fraction: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5
    """Share of indoor UEs in high-loss buildings when ``o2i_model = "mixed"``."""
    shadowing: bool = True
    """Log-normal shadow fading, spatially correlated per site (Table 7.5-6)."""
    los_spatial_consistency: bool = False
    """Spatially consistent LOS state (TR 38.901 7.6.3.1): a link is LOS when Phi(G) < P_LOS(d),
    G a per-site Gaussian field correlated over the distances of Table 7.6.3.1-2 (UMa and UMi
    50 m, RMa 60 m, InH 10 m), so a moving UE's LOS state changes along its path; ``false``
    (default): one fixed uniform per UE-site link (the state then changes only through the
    distance). Opt-in: even with the soft LOS state (``soft_los``) the LOS flips every ~50 m
    make mobility runs far more pessimistic than an independent handover simulator (30
    km/h: failure rate 0.67 against 0.28 and 0.276 for the peer; docs/mobility.md), and
    static drops would pay for the extra field reads."""
    soft_los: bool = True
    """With ``los_spatial_consistency``: moving UEs (mobility and call runs) take the soft LOS
    state of TR 38.901 7.6.3.3 (LOS_soft = 1/2 + arctan(sqrt(20 / lambda) (F - G)) / pi; LOS
    and NLOS received power mixed with weight LOS_soft^2), so a link passes between LOS and
    NLOS over metres instead of jumping; ``false``: the hard state. Static drops always use
    the hard state (the calibrated LOS marginals)."""
    validity: Literal["raise", "warn", "ignore"] = "raise"
    """What to do when an input lies outside the model's validity range (frequency, heights,
    and the UE-to-site distances of the drop: docs/sites.md)."""
    rma_building_height_m: Annotated[float, Field(ge=5.0, le=50.0)] = 5.0
    """RMa average building height h [m] (Table 7.4.1-1 applicability: 5..50 m)."""
    rma_street_width_m: Annotated[float, Field(ge=5.0, le=50.0)] = 20.0
    """RMa average street width W [m] (Table 7.4.1-1 applicability: 5..50 m)."""
    oxygen_absorption: bool = False
    """Oxygen absorption of TR 38.901 V17.0.0 7.6.1 (eq. 7.6-1, Table 7.6.1-1) in the clustered
    channel (``slots.fading.model = "cdl-38901"``, ``nrsim calibrate --full``): each cluster
    loses alpha(fc) (d_3D + c (tau_n + tau_Delta)) / 1000 dB. Table 7.6.1-1 is non-zero only
    for 52 < fc < 68 GHz; elsewhere it would change nothing and is rejected (under
    ``validity = "raise"``). The large-scale model (snapshot, path loss) does not use it."""
    blockage: Literal["off", "model_a"] = "off"
    """Blockage of TR 38.901 V17.0.0 7.6.4 in the clustered channel (same runs as
    ``oxygen_absorption``): ``model_a`` (7.6.4.1): a self-blocking region of the UE (30 dB) and
    ``blockage_blockers`` non-self-blocking blockers per UE (knife-edge loss, eqs. 7.6-22..27,
    Table 7.6.4.1-2 at the scenario's blocker distance), on every cluster and the direct path;
    blockers drawn per UE (stream ``"blockage"``), without their spatial or temporal
    correlation. The model is defined over the clustered channel's range (0.5-100 GHz)."""
    blockage_blockers: Annotated[int, Field(ge=0, le=64)] = 4
    """Non-self-blocking blockers K per UE of blockage model A (Table 7.6.4.1-2: 4 typical)."""
    blockage_self_blocking: Literal["portrait", "landscape", "none"] = "portrait"
    """Self-blocking region of blockage model A (Table 7.6.4.1-1: portrait or landscape mode),
    or ``none``."""

    @model_validator(mode="after")
    def _options_frequency(self) -> "ChannelConfig":
        if self.oxygen_absorption and self.validity == "raise" and not 52.0 < self.fc_ghz < 68.0:
            raise ValueError(
                f"oxygen_absorption = true at fc_ghz = {self.fc_ghz}: Table 7.6.1-1 is 0 dB/km outside "
                "52-68 GHz (allowed: fc_ghz in (52, 68), or oxygen_absorption = false)"
            )
        if self.blockage != "off" and self.scenario not in ("uma", "umi", "inh", "rma"):
            raise ValueError(
                f"blockage = {self.blockage!r} needs a Table 7.6.4.1-2 scenario (uma, umi, inh, rma), "
                f"not scenario = {self.scenario!r}"
            )
        return self


class AntennaConfig(FrozenModel):
    """BS antenna: TR 38.901 Table 7.3-1 element, optionally in a vertical column."""

    model: Literal["column", "element", "omni"] = "column"
    """``column``: M-element vertical column (Table 7.8-1 calibration antenna); ``element``:
    one Table 7.3-1 element; ``omni``: 0 dBi."""
    n_elements: Annotated[int, Field(ge=1, le=64)] = 10
    """Elements in the vertical column (``column`` model)."""
    spacing_wl: Annotated[float, Field(gt=0.0, le=4.0)] = 0.5
    """Vertical element spacing [wavelengths]."""
    etilt_deg: Annotated[float, Field(ge=0.0, le=180.0)] = 102.0
    """Electrical tilt as zenith angle of the beam [deg]: 90 = horizon, 102 = 12 deg down."""
    mech_downtilt_deg: Annotated[float, Field(ge=-90.0, le=90.0)] = 0.0
    """Mechanical downtilt [deg], positive down (TR 38.901 7.1.3, beta)."""
    ue_gain_dbi: Annotated[float, Field(ge=-20.0, le=30.0)] = 0.0
    """Omnidirectional UE antenna gain [dBi]."""
    array: str = SINGLE_COLUMN
    """BS array type of every cell (a site list's ``antenna_model`` column may name another
    per cell): ``single-column`` (today's one-port antenna of ``model``), ``4T4R``,
    ``32T32R`` (8 x 8 x 2 elements, 2 x 8 x 2 ports), ``32T32R-8x4`` (8 x 4 x 2, 4 x 4 x 2
    ports) or ``64T64R`` (8 x 8 x 2, 4 x 8 x 2 ports): TR 38.901 7.3 panels with sub-array
    ports tilted to ``etilt_deg`` (``nrsim.channel.tr38901.arrays``; docs/mimo.md). An array
    sends SSB beams (``[ssb]``) that select the serving cell."""
    ue_antennas: int = 1
    """UE receive antennas: 1, 2 (one cross-polarised pair) or 4 (two pairs). The snapshot's
    geometric link sees the same power on every branch (L1-RSRP takes the best branch), so
    it does not change snapshot results; the MIMO slot core will use it (issue 14)."""

    @field_validator("array", "ue_antennas")
    @classmethod
    def _named(cls, value, info):
        allowed = {"array": BS_ARRAY_NAMES, "ue_antennas": UE_ANTENNA_COUNTS}[info.field_name]
        if value not in allowed:
            raise ValueError(f"allowed: {', '.join(map(str, allowed))}")
        return value


class SsbConfig(FrozenModel):
    """SSB beam sweeping of cells with a BS array (``antenna.array`` or a site list's
    ``antenna_model``): L1-RSRP per beam (TS 38.215 V17 5.1.1) and the cell RSRP consolidated
    from the beams (TS 38.331 V17 5.5.3.3), which selects the serving cell (docs/mimo.md).
    Cells with the single-column antenna have one beam, their antenna pattern."""

    n_beams: Literal[4, 8, 64] | None = None
    """SS/PBCH blocks (beams) per cell, L_max of TS 38.213 V17 4.1: 4 or 8 in FR1 (8
    azimuths or 4 over 120 deg at the cell's tilt), 64 in FR2 (16 azimuths x 4 zeniths).
    Default: 8 below 7.125 GHz (FR1), else 64."""
    n_consolidate: Annotated[int, Field(ge=2, le=16)] | None = None
    """nrofSS-BlocksToAverage (TS 38.331, 2..16): the cell RSRP is the linear mean of at most
    this many best beams above ``threshold_dbm``. Unset (or ``threshold_dbm`` unset): the best
    beam."""
    threshold_dbm: Annotated[float, Field(ge=-156.0, le=-31.0)] | None = None
    """absThreshSS-BlocksConsolidation [dBm] (TS 38.331 RSRP-Range, -156..-31): beams
    consolidated must be strictly above it."""


class RadioConfig(FrozenModel):
    """Downlink link budget and interference."""

    bandwidth_mhz: Annotated[float, Field(gt=0.0, le=2_000.0)] = 100.0
    """Channel bandwidth [MHz]; must be a TS 38.101 channel for ``scs_khz``."""
    scs_khz: Literal[15, 30, 60, 120] = 30
    """Subcarrier spacing [kHz] (TS 38.211 4.2: mu = 0..3)."""
    tx_power_dbm: Annotated[float, Field(ge=-30.0, le=80.0)] = 46.0
    """Total BS transmit power per cell [dBm] over the bandwidth."""
    ue_noise_figure_db: Annotated[float, Field(ge=0.0, le=30.0)] = 9.0
    """UE receiver noise figure [dB] (Table 7.8-1: 9 dB)."""
    load: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    """Activity factor of interfering cells (1 = fully loaded)."""
    handover_margin_db: Annotated[float, Field(ge=0.0, le=30.0)] = 0.0
    """Serving cell: strongest RSRP; a cell within this margin of the strongest whose index is
    the UE's previous serving cell is kept (0 = strict strongest)."""


class LinkConfig(FrozenModel):
    """SINR -> spectral efficiency for the snapshot throughput."""

    model: Literal["cqi", "shannon"] = "cqi"
    """``cqi``: TS 38.214 CQI table 1 efficiencies with a named set of 10 %-BLER SINR
    thresholds; ``shannon``: TR 36.942 Annex A attenuated Shannon."""
    cqi_thresholds: Literal["vienna_lte_ll_dl_bler10", "kawser2012_style_siso"] = (
        "vienna_lte_ll_dl_bler10"
    )
    """Named set of 10 %-BLER SINR thresholds per CQI (sources in
    ``nrsim/link/tables/sinr_to_cqi_thresholds.csv``)."""
    shannon_alpha: Annotated[float, Field(gt=0.0, le=1.0)] = 0.6
    """Attenuation factor alpha of the attenuated Shannon bound (TR 36.942 A.2, DL 0.6)."""
    shannon_sinr_min_db: Annotated[float, Field(ge=-30.0, le=10.0)] = -10.0
    """SINR below which the attenuated Shannon throughput is 0 [dB]."""
    shannon_max_bps_per_hz: Annotated[float, Field(gt=0.0, le=30.0)] = 4.4
    """Cap of the attenuated Shannon spectral efficiency [bit/s/Hz] (DL 4.4)."""
    overhead_fraction: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    """Share of resources lost to control and reference signals (0 = none)."""


class InterferenceConfig(FrozenModel):
    """Which cells each UE's link budget includes."""

    mode: Literal["dense", "sparse", "auto"] = "dense"
    """``dense``: every UE against every cell (exact); ``sparse``: each UE against the cells of
    its ``k_sites`` nearest sites only (the rest of the network's interference is dropped);
    ``auto``: sparse above ``auto_dense_max_sites`` sites without wrap-around."""
    k_sites: Annotated[int, Field(ge=1, le=10_000)] = 192
    """Candidate sites per UE in the sparse form (nearest first, k-d tree)."""
    max_distance_m: Annotated[float, Field(gt=0.0, le=1_000_000.0)] | None = None
    """Optional radius [m] beyond which candidate sites are dropped (at least one is kept)."""
    auto_dense_max_sites: Annotated[int, Field(ge=1, le=100_000)] = 400
    """Largest network run dense when ``mode = "auto"``."""


class HandoverConfig(FrozenModel):
    """Measurement events, handover execution and radio-link failure (TS 38.331)."""

    event: Literal["A3", "A5"] = "A3"
    """Handover trigger: A3 (neighbour offset better) or A5 (serving below threshold 1 and
    neighbour above threshold 2)."""
    trigger_quantity: Literal["rsrp", "rsrq", "sinr"] = "rsrp"
    """Quantity that A3 compares (TS 38.331 reportConfig triggerQuantity): L3-filtered RSRP,
    RSRQ or SINR (TS 38.215); A5 uses RSRP (its thresholds are in dBm)."""
    a3_offset_db: Annotated[float, Field(ge=-30.0, le=30.0)] = 3.0
    """A3 offset Off [dB]."""
    hysteresis_db: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0
    """Hysteresis Hys [dB]."""
    ttt_ms: Annotated[float, Field(ge=0.0, le=5120.0)] = 160.0
    """Time to trigger [ms] (TS 38.331 TimeToTrigger: 0..5120 ms)."""
    a5_threshold1_dbm: Annotated[float, Field(ge=-156.0, le=-31.0)] = -110.0
    """A5 threshold 1 on the serving cell's RSRP [dBm]."""
    a5_threshold2_dbm: Annotated[float, Field(ge=-156.0, le=-31.0)] = -105.0
    """A5 threshold 2 on the neighbour's RSRP [dBm]."""
    l3_filter_k: Annotated[int, Field(ge=0, le=19)] = 4
    """L3 filter coefficient k (TS 38.331 FilterCoefficient fc0..fc19)."""
    interruption_ms: Annotated[float, Field(ge=0.0, le=1000.0)] = 30.0
    """Handover interruption time [ms]."""
    q_out_db: Annotated[float, Field(ge=-30.0, le=10.0)] = -8.0
    """Out-of-sync SINR threshold Qout [dB] (about 10 % hypothetical PDCCH BLER)."""
    q_in_db: Annotated[float, Field(ge=-30.0, le=10.0)] = -6.0
    """In-sync SINR threshold Qin [dB] (about 2 % hypothetical PDCCH BLER)."""
    n310: Annotated[int, Field(ge=1, le=20)] = 1
    """Consecutive out-of-sync indications that start T310."""
    n311: Annotated[int, Field(ge=1, le=10)] = 1
    """Consecutive in-sync indications that stop T310."""
    t310_ms: Annotated[float, Field(ge=0.0, le=6000.0)] = 1000.0
    """T310 [ms]."""
    reestablish_ms: Annotated[float, Field(ge=0.0, le=10000.0)] = 100.0
    """Time from RLF to re-establishment on the strongest cell [ms]."""
    ping_pong_ms: Annotated[float, Field(ge=0.0, le=60000.0)] = 1000.0
    """A handover back to the source within this time is a ping-pong [ms]."""
    mro_window_ms: Annotated[float, Field(ge=0.0, le=60000.0)] = 1000.0
    """RLF within this time after a handover makes it too early / to a wrong cell [ms]."""
    failures: bool = True
    """Handover preparation and execution can fail (TR 36.839 V11.1.0 5.2; docs/mobility.md):
    the report and command need the source link, random access needs the target. ``false``:
    the command always arrives at TTT expiry and access always succeeds."""
    preparation_ms: Annotated[float, Field(ge=0.0, le=1000.0)] = 50.0
    """Handover preparation time from the measurement report to the command [ms] (TR 36.839:
    50 ms); the UE stays on the source meanwhile."""
    execution_ms: Annotated[float, Field(ge=0.0, le=1000.0)] = 40.0
    """Handover execution time from the command to the earliest random-access success [ms]
    (TR 36.839: 40 ms)."""
    t304_ms: Annotated[float, Field(ge=10.0, le=10000.0)] = 100.0
    """T304 [ms] (TS 38.331: ms50..ms10000): the target must allow random access before it
    expires, otherwise the handover fails in execution and the UE re-establishes."""
    delivery_sinr_db: Annotated[float, Field(ge=-50.0, le=30.0)] = -8.0
    """Lowest source-cell wideband SINR that carries the handover command [dB] (TR 36.839:
    Qout)."""
    command_needs_in_sync: bool = False
    """Stricter variant: no command while T310 runs (the source out of sync and not yet back
    above Qin), even when the SINR is above ``delivery_sinr_db``."""
    report_sinr_db: Annotated[float, Field(ge=-50.0, le=30.0)] | None = None
    """Lowest source-cell wideband DL SINR that carries the measurement report [dB], a proxy
    for the uplink that the mobility run does not model. Unset: the report always arrives
    (TR 36.839 models the downlink command only)."""
    access_sinr_db: Annotated[float, Field(ge=-50.0, le=30.0)] = -8.0
    """Lowest target-cell wideband SINR for random access [dB] (TR 36.839: Qout)."""
    conditional: bool = False
    """Conditional handover (CHO, TS 38.300 V17 9.2.3.4; TS 38.331 V17 5.3.5.13): the report
    that starts preparation uses ``cho_preparation_offset_db`` / ``cho_preparation_ttt_ms``
    (A3), the command carries the candidate and its execution condition (condEventA3 with
    ``cho_execution_offset_db`` / ``cho_execution_ttt_ms``), and the UE executes it when the
    condition holds, without a new command. Needs ``event = "A3"``. ``false``: the plain
    handover (results unchanged)."""
    cho_preparation_offset_db: Annotated[float, Field(ge=-30.0, le=30.0)] = 0.0
    """CHO: A3 offset [dB] of the measurement report that starts preparation (earlier than
    the plain handover's ``a3_offset_db``, while the source still carries the command)."""
    cho_preparation_ttt_ms: Annotated[float, Field(ge=0.0, le=5120.0)] = 80.0
    """CHO: time to trigger [ms] of that report."""
    cho_execution_offset_db: Annotated[float, Field(ge=-30.0, le=30.0)] = 3.0
    """CHO: offset [dB] of the execution condition (condEventA3, TS 38.331 V17 5.5.4.4),
    with ``hysteresis_db``."""
    cho_execution_ttt_ms: Annotated[float, Field(ge=0.0, le=5120.0)] = 160.0
    """CHO: condTimeToTrigger [ms] of the execution condition."""
    cho_max_candidates: Annotated[int, Field(ge=1, le=1)] = 1
    """CHO: prepared candidate cells per UE (TS 38.331 allows up to 8; nrsim prepares 1,
    the best neighbour of the report)."""
    cho_validity_ms: Annotated[float, Field(ge=10.0, le=60000.0)] = 1000.0
    """CHO: a prepared candidate not executed within this time is released [ms] (and may be
    reported and prepared again)."""
    cho_recovery: bool = True
    """CHO: attemptCondReconfig (TS 38.331 V17 5.3.10.3, 5.3.7.3): after an RLF of the source
    a UE whose selected cell is the prepared candidate executes the CHO (random access within
    T304) instead of re-establishing."""
    harq_reset_at_handover: bool = True
    """Mobile call runs: at a handover or re-establishment the UE's HARQ processes (both
    directions) are flushed and their unacknowledged bits go back to the queue for the target
    (MAC reset at reconfigurationWithSync, TS 38.321 V17 5.12; data forwarding, TS 38.300 V17
    9.2.3.2). ``false`` (ablation): the processes carry on in the target cell."""
    olla_reset_at_handover: bool = True
    """Mobile call runs: at a handover or re-establishment the OLLA offsets (both directions)
    restart from ``olla_start_offset_db`` (the target has no outer-loop history of the UE).
    ``false`` (ablation, or one gNB that keeps the UE's offset): they are kept."""
    olla_start_offset_db: Annotated[float, Field(ge=-40.0, le=40.0)] = 0.0
    """OLLA offset [dB] that a reset starts from (positive: a conservative MCS, backed off by
    this much); bounded in use by ``slots.link_adaptation.olla_max_offset_db``."""
    csi_reset_at_handover: bool = True
    """Mobile call runs: at a handover or re-establishment the gNB's DL CSI of the UE restarts
    from its full-load wideband SINR in the new cell, and reports measured on the old cell
    are dropped. ``false`` (ablation): the last and the pending reports are kept."""

    @model_validator(mode="after")
    def _a5_on_rsrp(self) -> "HandoverConfig":
        if self.execution_ms > self.t304_ms:
            raise ValueError(f"execution_ms = {self.execution_ms:g} exceeds t304_ms = {self.t304_ms:g}: "
                             "random access could never succeed before T304 expires")
        if self.conditional and self.event != "A3":
            raise ValueError("conditional = true needs event = 'A3' (the CHO conditions are A3 events)")
        if self.event == "A5" and self.trigger_quantity != "rsrp":
            raise ValueError(f"event = 'A5' compares RSRP with thresholds in dBm: trigger_quantity must be "
                             f"'rsrp' (got {self.trigger_quantity!r})")
        return self


class MobilityConfig(FrozenModel):
    """Moving UEs (``enabled = true`` makes ``nrsim run`` a mobility run)."""

    enabled: bool = False
    """Simulate UE movement, measurements, handover and radio-link failure."""
    duration_s: Annotated[float, Field(gt=0.0, le=3600.0)] = 60.0
    """Simulated time [s]."""
    step_ms: Annotated[float, Field(ge=1.0, le=1000.0)] = 10.0
    """Time step of measurements and radio-link monitoring [ms]."""
    channel_update_ms: Annotated[float, Field(ge=1.0, le=10000.0)] = 100.0
    """Period at which the large-scale channel is recomputed at the UEs' new positions [ms]
    (a multiple of ``step_ms``; 100 ms is 3.3 m at 120 km/h, far below the 37-50 m
    decorrelation distances of shadow fading)."""
    model: Literal["static", "random-waypoint", "random-direction", "straight"] = "random-direction"
    """Mobility model of every UE."""
    speeds_kmh: list[Annotated[float, Field(ge=0.0, le=500.0)]] = [3.0]
    """UE speeds [km/h]; each UE draws one (a mix, e.g. [3, 30, 120])."""
    speed_shares: list[Annotated[float, Field(ge=0.0, le=1.0)]] | None = None
    """Probability of each speed (default: equal)."""
    indoor_speed_kmh: Annotated[float, Field(ge=0.0, le=20.0)] | None = None
    """Speed of indoor UEs [km/h] (e.g. 3: pedestrians, ITU-R M.2412 Dense Urban); the
    outdoor UEs then draw from ``speeds_kmh`` (e.g. vehicles). Unset: every UE draws from
    ``speeds_kmh``."""
    pause_s: Annotated[float, Field(ge=0.0, le=3600.0)] = 0.0
    """Pause at each waypoint (random waypoint) [s]."""
    mean_leg_s: Annotated[float, Field(gt=0.0, le=3600.0)] = 20.0
    """Mean straight leg before a new heading (random direction) [s]."""
    handover: HandoverConfig = HandoverConfig()

    @model_validator(mode="after")
    def _shares(self) -> "MobilityConfig":
        if self.speed_shares is not None:
            if len(self.speed_shares) != len(self.speeds_kmh):
                raise ValueError(
                    f"speed_shares has {len(self.speed_shares)} entries, speeds_kmh "
                    f"{len(self.speeds_kmh)}: they must have the same length"
                )
            if abs(sum(self.speed_shares) - 1.0) > 1e-6:
                raise ValueError(f"speed_shares must sum to 1 (got {sum(self.speed_shares)})")
        if not self.speeds_kmh:
            raise ValueError("speeds_kmh needs at least one speed")
        ratio = self.channel_update_ms / self.step_ms
        if abs(ratio - round(ratio)) > 1e-9:
            raise ValueError(
                f"channel_update_ms = {self.channel_update_ms:g} must be a multiple of "
                f"step_ms = {self.step_ms:g}"
            )
        return self


class OutputConfig(FrozenModel):
    """What a run writes besides ``summary.json`` and ``cell.parquet``."""

    plots: bool = True
    """Write the CDF plots (PNG)."""
    per_ue: bool = True
    """Write ``ue.parquet`` (one row per UE and drop)."""


class SlotSchedulerConfig(FrozenModel):
    """Slot scheduler (frequency-selective per RBG) of the slot-level simulation."""

    name: Literal["pf", "rr", "max_ci", "qos", "plugin"] = "pf"
    """``pf`` proportional fair, ``rr`` round robin, ``max_ci`` max C/I, ``qos`` QoS-aware
    (GBR flows by 5QI priority and earliest deadline first, then PF; UL: PF), ``plugin`` the
    class named by ``plugin``."""
    pf_time_constant_slots: Annotated[float, Field(ge=1.0, le=1e6)] = 100.0
    """Time constant t_c of the PF throughput average [slots]."""
    pf_alpha: Annotated[float, Field(ge=0.0, le=10.0)] = 1.0
    """PF exponent of the instantaneous rate (metric r^alpha / T^beta)."""
    pf_beta: Annotated[float, Field(ge=0.0, le=10.0)] = 1.0
    """PF exponent of the average throughput (beta = 0: max rate)."""
    max_ues_per_slot: Annotated[int, Field(ge=1, le=10_000)] | None = None
    """Most UEs a cell schedules in one slot (e.g. a PDCCH limit); none: no limit."""
    qos_edf: bool = True
    """``qos``: among GBR flows of equal 5QI priority, earliest deadline first (PF breaks
    ties); false: PF among all GBR flows of equal priority (no EDF overload domino effect;
    docs/video.md)."""
    frequency_selective: bool = False
    """Mobile call engine (``traffic.model = "video_call"`` with mobility): true: subband CQI (one
    per RBG) and frequency-selective DL scheduling (each RBG to the best UE on it; slower, the
    call benchmark ~40-60 %); false: one wideband CQI, RBGs in index order. The static slot
    engine is always frequency-selective (docs/video.md)."""
    plugin: Annotated[str, Field(min_length=3, pattern=r"^.+:[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    """``path/to/file.py:ClassName`` of a user scheduler, built as ClassName(n_ue, **plugin_params)
    (``name = "plugin"``; the directions of ``plugin_directions``). Python code: runs only with
    ``--allow-plugins``."""
    plugin_params: dict[str, float | int | str | bool] = {}
    """Keyword arguments of the plugin class."""
    plugin_directions: list[Literal["dl", "ul"]] = ["dl"]
    """Link directions the plugin schedules (one instance per direction; ``inp.direction``
    tells which); the others run proportional fair (``pf_alpha``, ``pf_beta``). Default: the
    downlink only, as before plugins ran on the slot core."""

    @model_validator(mode="after")
    def _plugin_named(self) -> "SlotSchedulerConfig":
        if self.name == "plugin" and not self.plugin:
            raise ValueError("name = 'plugin' needs plugin = 'path/to/file.py:ClassName'")
        if not self.plugin_directions or len(set(self.plugin_directions)) != len(self.plugin_directions):
            raise ValueError(f"plugin_directions = {self.plugin_directions}: one or both of 'dl', 'ul', each once")
        return self


class SlotTrafficConfig(FrozenModel):
    """Downlink traffic of the slot-level simulation (uplink: full buffer)."""

    model: Literal["full_buffer", "ftp3", "video_call"] = "full_buffer"
    """``full_buffer``, ``ftp3``: FTP model 3 (TR 36.889 A.1; TR 38.802), Poisson file
    arrivals per UE, or ``video_call``: conversational video (5QI 2) and VoNR (5QI 1)
    packets with a delay budget, plus optional background FTP UEs (docs/video.md)."""
    ftp_file_size_bytes: Annotated[float, Field(gt=0.0, le=1e9)] = 500_000.0
    """FTP model 3 file size [bytes] (TR 36.889: 0.5 Mbyte)."""
    ftp_arrival_rate_hz: Annotated[float, Field(gt=0.0, le=1e4)] = 1.0
    """FTP model 3 mean file arrival rate per UE [1/s]."""
    video_fps: Annotated[float, Field(gt=0.0, le=240.0)] = 30.0
    """``video_call``: video frames per second (one packet per frame, TR 38.838 5.1 model)."""
    video_bitrate_bps: Annotated[float, Field(gt=0.0, le=1e9)] = 2e6
    """``video_call``: mean video bitrate [bit/s] (mean frame size = bitrate / fps)."""
    video_size_cv: Annotated[float, Field(ge=0.0, le=1.0)] = 0.105
    """``video_call``: frame-size standard deviation / mean (TR 38.838 Table 5.1-1: 10.5 %),
    truncated to [50 %, 150 %] of the mean."""
    video_pdb_s: Annotated[float, Field(gt=0.0, le=10.0)] = 0.150
    """``video_call``: packet delay budget of video frames [s] (5QI 2, TS 23.501 Table
    5.7.4-1: 150 ms); a frame not delivered by arrival + PDB is lost."""
    voice: bool = True
    """``video_call``: calls also carry VoNR (5QI 1) packets."""
    voice_pdb_s: Annotated[float, Field(gt=0.0, le=10.0)] = 0.100
    """``video_call``: packet delay budget of voice packets [s] (5QI 1: 100 ms)."""
    background_ftp_share: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    """``video_call``: share of UEs (drawn at random) with FTP model 3 traffic (5QI 9, the
    ``ftp_*`` settings) instead of a call."""
    call_max_frame_loss: Annotated[float, Field(ge=0.0, le=1.0)] = 0.01
    """Satisfied call: video frame loss ratio (and voice packet loss ratio) <= this."""
    call_max_p95_delay_s: Annotated[float, Field(gt=0.0, le=10.0)] = 0.100
    """Satisfied call: 95th percentile of the delay of the delivered video frames <= this
    [s] (RAN share of the 150 ms budget; not a 3GPP number: docs/video.md)."""
    ul_video_bitrate_bps: Annotated[float, Field(gt=0.0, le=1e9)] | None = None
    """``video_call`` with moving UEs (``mobility.enabled``): mean bitrate of the uplink video
    stream of each call [bit/s]; unset: ``video_bitrate_bps``. (The static slot engine's
    uplink is full buffer.)"""
    capacity_calls_per_cell: list[Annotated[int, Field(ge=1, le=1000)]] = []
    """``video_call``: also run the scenario at these numbers of calls per cell (ascending)
    and report the capacity curve, satisfied-call share against calls per cell, and the
    calls per cell that keep 95 % of calls satisfied (``capacity.parquet``,
    ``kpis.video_capacity``; docs/video.md). Empty: no sweep."""
    capacity_seeds: Annotated[int, Field(ge=1, le=100)] = 1
    """Runs per capacity point, with seeds ``seed``, ``seed + 1``, ...; the point's calls are
    pooled, and the capacity comes with a confidence interval and the per-seed crossings
    (``kpis.video_capacity``; docs/video.md)."""
    capacity_refine: bool = False
    """After the sweep, also run every whole number of calls per cell strictly between the two
    points around the 95 % and the 90 % crossings (a finer grid where it matters)."""

    @model_validator(mode="after")
    def _capacity_ascending(self) -> "SlotTrafficConfig":
        pts = list(self.capacity_calls_per_cell)
        if pts != sorted(set(pts)):
            raise ValueError(f"capacity_calls_per_cell = {pts}: strictly ascending integers >= 1")
        return self


class SlotLinkAdaptationConfig(FrozenModel):
    """CSI reporting, MCS selection, outer-loop link adaptation and HARQ."""

    mcs_table: Literal[1, 2] = 1
    """TS 38.214 MCS table (and the CQI table of the same index): 1 = 64QAM, 2 = 256QAM."""
    cqi_period_slots: Annotated[int, Field(ge=1, le=320)] = 5
    """Periodic CSI report period [slots] (UE u reports in slots t with (t - u) mod period = 0)."""
    cqi_delay_slots: Annotated[int, Field(ge=0, le=100)] = 4
    """Slots between a CSI measurement and its use by the scheduler."""
    olla: bool = True
    """Outer-loop link adaptation on first-transmission ACK/NACK."""
    olla_target_bler: Annotated[float, Field(gt=0.0, lt=0.5)] = 0.1
    """Target first-transmission BLER of OLLA."""
    olla_step_db: Annotated[float, Field(gt=0.0, le=5.0)] = 0.5
    """OLLA step up on NACK [dB]; the step down on ACK is step * target / (1 - target)."""
    olla_max_offset_db: Annotated[float, Field(gt=0.0, le=40.0)] = 15.0
    """Bound on the magnitude of the OLLA offset [dB]."""
    harq_max_transmissions: Annotated[int, Field(ge=1, le=16)] = 4
    """Transmissions of a TB before it is dropped (first + retransmissions)."""
    harq_rtt_slots: Annotated[int, Field(ge=1, le=100)] = 8
    """Slots from a transmission to its earliest retransmission."""
    harq_processes: Annotated[int, Field(ge=1, le=32)] = 16
    """HARQ processes per UE and direction."""


class SlotFadingConfig(FrozenModel):
    """Fast fading: TR 38.901 7.7.2 TDL per PRB and slot, Jakes Doppler from the UE speed."""

    enabled: bool = True
    """Frequency-selective, time-correlated fading; off: large-scale gains only."""
    model: Literal["TDL-A", "TDL-B", "TDL-C", "cdl-38901"] = "TDL-C"
    """TDL power-delay profile (TR 38.901 Tables 7.7.2-1..3), or ``cdl-38901``: the clustered
    channel of TR 38.901 7.5 per modelled link (serving + ``n_interferers``) from the link's own
    geometry, LOS state and shadow fading, normalised to unit mean power so the large-scale
    gain is unchanged (UMa/UMi/InH; docs/slots.md). On the call core (moving and static
    runs) refilled every mobility step, for the interferers' links too unless
    ``interferers = "unfaded"`` (docs/video.md).
    ``delay_spread_ns`` is then unused (the link's own LSPs set it); ``bank_rows`` bounds the
    refreshed trace rows of the static slot engine."""
    delay_spread_ns: Annotated[float, Field(gt=0.0, le=5_000.0)] = 100.0
    """RMS delay spread scaling the normalised delays (7.7.3; Table 7.7.3-1: 100 ns nominal,
    300 ns long)."""
    ue_speed_kmh: Annotated[float, Field(ge=0.0, le=500.0)] = 3.0
    """Speed of indoor UEs (of all UEs when ``outdoor_ue_speed_kmh`` is unset) [km/h]."""
    outdoor_ue_speed_kmh: Annotated[float, Field(ge=0.0, le=500.0)] | None = None
    """Speed of outdoor UEs [km/h] (M.2412 Dense Urban: 30 km/h in cars)."""
    bank_rows: Annotated[int, Field(ge=256, le=4_194_304)] = 65_536
    """Precomputed trace rows (realisations x trace slots) per speed class; memory
    bank_rows x N_RB x 4 bytes per class. ``cdl-38901``: rows of the refreshed bank (links x
    slots per refresh chunk, at least one slot per link), memory the same per row."""
    doppler_speed_kmh: Annotated[float, Field(ge=0.0, le=500.0)] | None = None
    """Mobile call runs: the speed [km/h] that sets every UE's Doppler spread (ablation, e.g.
    3: slow fading for the vehicles too; ``cdl-38901``: in a random direction). Unset: each
    UE's own speed."""
    interferers: Literal["faded", "unfaded"] = "faded"
    """Fast fading of the DL interfering links (the ``slots.n_interferers`` strongest cells of
    each UE). ``"faded"``: each link (UE, cell) has its own trace (TDL: a realisation and
    offset of its UE's speed class drawn per link, counter-based; ``cdl-38901``: the link's own
    clustered channel), so the interference per PRB fades as the signal does, in the TB SINR
    and in the CSI (the static slot engine's model). ``"unfaded"``: only the serving link
    fades; the interferers add their mean power (the call core before issue 12's interferer
    fading, kept as an ablation). The cells beyond ``n_interferers`` interfere at the mean
    utilisation without fading either way (docs/slots.md, docs/video.md)."""


class SlotUplinkConfig(FrozenModel):
    """PUSCH with open-loop fractional power control (TS 38.213 7.1.1)."""

    enabled: bool = False
    """Simulate the uplink in U slots (TDD) or every slot (FDD)."""
    p0_dbm: Annotated[float, Field(ge=-202.0, le=24.0)] = -60.0
    """P_O_PUSCH, nominal target received power per 15 kHz RB [dBm] (TS 38.331 range)."""
    alpha: float = 0.6
    """Path-loss compensation factor (TS 38.213 7.1.1: 0, 0.4, 0.5, ..., 0.9, 1)."""
    p_max_dbm: Annotated[float, Field(ge=-30.0, le=40.0)] = 23.0
    """Maximum UE output power P_CMAX [dBm]."""
    bs_noise_figure_db: Annotated[float, Field(ge=0.0, le=30.0)] = 5.0
    """gNB receiver noise figure [dB]."""
    max_ues_per_slot: Annotated[int, Field(ge=1, le=1_000)] = 4
    """UEs per cell and UL slot; each gets an equal contiguous share of the RBGs."""
    scheduling_delay_ms: Annotated[float, Field(ge=0.0, le=100.0)] = 0.0
    """Mobile call runs: an UL packet becomes schedulable this long after its arrival
    (scheduling request on PUCCH, then the grant; applied to every packet, also when a BSR
    could have announced it) [ms]. 0: the gNB knows the UL buffers at once."""
    bs_rx_antennas: Annotated[int, Field(ge=1, le=256)] = 1
    """gNB receive antennas combined by maximum-ratio combining: the UL SINR of the wanted
    UE is multiplied by this number (array gain with spatially white interference and
    noise; no extra diversity against fast fading)."""

    @model_validator(mode="after")
    def _alpha_allowed(self) -> "SlotUplinkConfig":
        if round(self.alpha, 6) not in (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
            raise ValueError(f"alpha = {self.alpha}: allowed 0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1 (TS 38.213 7.1.1)")
        return self


class SlotsConfig(FrozenModel):
    """Slot-level system simulation (off by default): each drop's large-scale channel, then
    n_slots slots of scheduling, fast fading, link adaptation and HARQ (docs/slots.md)."""

    enabled: bool = False
    """Run the slot-level simulation after each drop's large-scale channel."""
    n_slots: Annotated[int, Field(ge=1, le=10_000_000)] = 1000
    """Slots simulated per drop (warm-up included)."""
    warmup_slots: Annotated[int, Field(ge=0, le=10_000_000)] = 100
    """First slots excluded from the KPIs (PF averages and OLLA settle)."""
    duplex: Literal["tdd", "fdd"] = "tdd"
    """``tdd``: slots follow ``tdd_pattern``; ``fdd``: DL and UL on paired carriers in every slot."""
    tdd_pattern: Annotated[str, Field(pattern=r"^[DSU]{1,80}$")] = "DDDSU"
    """TDD slot pattern (D downlink, S special, U uplink), repeated."""
    special_dl_symbols: Annotated[int, Field(ge=1, le=13)] = 10
    """DL symbols of a special slot (the rest is guard and UL)."""
    control_symbols: Annotated[int, Field(ge=0, le=3)] = 2
    """PDCCH symbols at the start of each DL slot; the PDSCH has the others."""
    dmrs_re_per_prb: Annotated[int, Field(ge=0, le=72)] = 12
    """DM-RS REs per PRB incl. CDM groups without data (N_DMRS^PRB, TS 38.214 5.1.3.2)."""
    xoverhead_re_per_prb: Literal[0, 6, 12, 18] = 0
    """xOverhead N_oh^PRB (TS 38.214 5.1.3.2)."""
    rbg_config: Literal[1, 2] = 1
    """RBG size configuration of TS 38.214 Table 5.1.2.2.1-1."""
    n_interferers: Annotated[int, Field(ge=0, le=256)] = 8
    """Strongest interfering cells per UE with their own fast fading; the others add a
    wideband interference without fading."""
    scheduler: SlotSchedulerConfig = SlotSchedulerConfig()
    traffic: SlotTrafficConfig = SlotTrafficConfig()
    link_adaptation: SlotLinkAdaptationConfig = SlotLinkAdaptationConfig()
    fading: SlotFadingConfig = SlotFadingConfig()
    uplink: SlotUplinkConfig = SlotUplinkConfig()

    @model_validator(mode="after")
    def _warmup_below_run(self) -> "SlotsConfig":
        if self.warmup_slots >= self.n_slots:
            raise ValueError(
                f"warmup_slots = {self.warmup_slots} must be < n_slots = {self.n_slots}"
            )
        return self


def _split_names(value):
    """``"a,b"`` (a dotted CLI override) -> ``("a", "b")``; lists pass through."""
    if isinstance(value, str):
        return tuple(x.strip() for x in value.split(",") if x.strip())
    return value


class SitesConfig(FrozenModel):
    """Which cells of a site list (``deployment.layout = "sites"``) transmit. Excluded cells keep
    their index and site (the UE drops and every other link's random draws do not move); their
    transmit power is set to ``nrsim.deployment.sites.EXCLUDED_TX_POWER_DBM`` (no signal)."""

    exclude_vendor: tuple[Annotated[str, Field(min_length=1, max_length=100)], ...] = ()
    """Vendors whose cells are switched off, e.g. ``["vendor-b"]`` or ``--set
    sites.exclude_vendor=vendor-b`` (comma-separated on the command line)."""
    exclude_operator: tuple[Annotated[str, Field(min_length=1, max_length=100)], ...] = ()
    """Operators whose cells are switched off."""
    exclude_site: tuple[Annotated[str, Field(min_length=1, max_length=100)], ...] = ()
    """Site ids whose cells are switched off."""

    @field_validator("exclude_vendor", "exclude_operator", "exclude_site", mode="before")
    @classmethod
    def _names(cls, value):
        return _split_names(value)


class CoverageConfig(FrozenModel):
    """Coverage maps (``nrsim report``, ``nrsim compare``): a raster of outdoor points at the UE
    outdoor height over the area of interest, computed with the run's channel (drop 0)."""

    resolution_m: Annotated[float, Field(ge=5.0, le=5_000.0)] = 50.0
    """Raster pixel side [m] in the local UTM projection."""
    margin_m: Annotated[float, Field(ge=0.0, le=50_000.0)] = 300.0
    """Area of interest without ``area_file``: the sites' convex hull grown by this margin [m]."""
    area_file: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    """GeoJSON (Multi)Polygon(s) in WGS84: the area of interest, and the polygons of the
    per-polygon statistics (each feature's ``name`` property labels it)."""
    rsrp_threshold_dbm: Annotated[float, Field(ge=-200.0, le=0.0)] = -110.0
    """A point or UE is covered when its best-server RSRP is at least this [dBm] ..."""
    sinr_threshold_db: Annotated[float, Field(ge=-30.0, le=50.0)] = -5.0
    """... and its SINR at least this [dB]."""
    users_per_cell: Annotated[float, Field(gt=0.0, le=10_000.0)] = 10.0
    """Active users sharing the serving cell for the expected user throughput map (the
    interfering cells transmit with ``radio.load``)."""
    throughput_threshold_mbps: Annotated[float, Field(ge=0.0, le=100_000.0)] = 10.0
    """User throughput below which ``nrsim compare`` counts a user or point as degraded [Mbit/s]."""
    probability_rsrp_thresholds_dbm: Annotated[
        list[Annotated[float, Field(ge=-200.0, le=0.0)]], Field(max_length=8)
    ] = [-100.0, -110.0, -120.0]
    """Extra best-server RSRP thresholds [dBm] of the probability-of-coverage layers
    (P(RSRP >= t) per pixel, besides ``rsrp_threshold_dbm``; at most 8; docs/sites.md)."""
    probability_sinr_thresholds_db: Annotated[
        list[Annotated[float, Field(ge=-30.0, le=50.0)]], Field(max_length=8)
    ] = [0.0, 10.0]
    """Extra SINR thresholds [dB] of the probability-of-coverage layers (P(SINR >= t) per
    pixel, besides ``sinr_threshold_db``; at most 8)."""


class ScenarioConfig(FrozenModel):
    """The whole resolved scenario."""

    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")] = (
        "scenario"
    )
    """Scenario name (letters, digits, ``._-``); results go to ``results/<name>``. Defaults
    to the preset name or the file's stem."""
    description: str = ""
    """One line shown by ``nrsim presets``."""
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 1
    """Root seed; every random stream is spawned from it by name."""
    drops: Annotated[int, Field(ge=1, le=100_000)] = 4
    """Number of independent drops (UE positions and large-scale draws)."""
    deployment: DeploymentConfig = DeploymentConfig()
    channel: ChannelConfig = ChannelConfig()
    antenna: AntennaConfig = AntennaConfig()
    ssb: SsbConfig = SsbConfig()
    radio: RadioConfig = RadioConfig()
    link: LinkConfig = LinkConfig()
    interference: InterferenceConfig = InterferenceConfig()
    output: OutputConfig = OutputConfig()
    slots: SlotsConfig = SlotsConfig()
    mobility: MobilityConfig = MobilityConfig()
    sites: SitesConfig = SitesConfig()
    coverage: CoverageConfig = CoverageConfig()

    @model_validator(mode="after")
    def _consistent(self) -> "ScenarioConfig":
        indoor = self.channel.scenario in SCENARIOS and SCENARIOS[self.channel.scenario].indoor
        if self.deployment.layout == "inh-office" and not indoor:
            raise ValueError(
                "deployment.layout = 'inh-office' needs an indoor channel.scenario ("
                + ", ".join(repr(k) for k, r in SCENARIOS.items() if r.indoor)
                + f"; got {self.channel.scenario!r})"
            )
        if (self.deployment.layout == "national") != (self.channel.scenario == "mixed") and not (
            self.deployment.layout == "sites"
        ):
            raise ValueError(
                "deployment.layout = 'national' goes with channel.scenario = 'mixed' and only "
                f"with it (got layout {self.deployment.layout!r}, scenario {self.channel.scenario!r}; "
                "'mixed' is also allowed with layout 'sites')"
            )
        if (self.deployment.layout == "sites") != (self.deployment.sites_file is not None):
            raise ValueError(
                "deployment.layout = 'sites' needs deployment.sites_file (a CSV or GeoJSON site "
                "list), and deployment.sites_file needs layout 'sites' "
                f"(got layout {self.deployment.layout!r}, sites_file {self.deployment.sites_file!r})"
            )
        if indoor and self.deployment.layout != "inh-office":
            raise ValueError(
                f"channel.scenario = {self.channel.scenario!r} (indoor) needs deployment.layout = "
                f"'inh-office' (got {self.deployment.layout!r})"
            )
        return self
