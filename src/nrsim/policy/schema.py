"""The vendor-restriction policy: one frozen, validated tree (docs/policy.md).

A policy is applied to a site list with ``vendor`` (and ``operator``) labels. Every model
forbids unknown keys and checks ranges, so a misspelt key or an out-of-range value fails
once, when the policy is loaded, with the dotted field name (``policy.<...>``) and what is
allowed. Dates are calendar dates (TOML local dates, ``2027-12-31``, or ISO strings).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, model_validator

from nrsim.config.schema import FrozenModel

Name = Annotated[str, Field(min_length=1, max_length=100)]
Lon = Annotated[float, Field(ge=-180.0, le=180.0)]
Lat = Annotated[float, Field(ge=-90.0, le=90.0)]
LonLat = tuple[Lon, Lat]
Polygon = Annotated[list[LonLat], Field(min_length=3, max_length=10_000)]
Money = Annotated[float, Field(ge=0.0, le=1e12)]

EARLIEST_DATE = dt.date(1990, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
"""Dates are accepted in [EARLIEST_DATE, LATEST_DATE] (a plan spans at most
:data:`MAX_PLAN_MONTHS` months)."""

MAX_PLAN_MONTHS = 600
"""Longest plan [months] (50 years)."""


def _check_date(value: dt.date, field: str) -> None:
    if not (EARLIEST_DATE <= value <= LATEST_DATE):
        raise ValueError(f"{field} = {value.isoformat()}: allowed {EARLIEST_DATE.isoformat()} .. "
                         f"{LATEST_DATE.isoformat()}")


class Region(FrozenModel):
    """A named region polygon (WGS84) for caps and swap crews."""

    name: Name
    """Region name (referred to by ``caps[].region`` and ``swap.region_sites_per_month``)."""
    polygon: Polygon
    """Outer ring as ``[[lon, lat], ...]`` [deg], at least 3 vertices (closing vertex optional)."""


class Cap(FrozenModel):
    """A vendor may hold at most ``max_share`` of the cells (or sites) of a region and operator
    from ``since`` on (UK, 28 January 2020: 35 % of the access network; Designated Vendor
    Direction of 13 October 2022: met by 31 October 2023)."""

    vendor: Name
    """The capped vendor label (site-list column ``vendor``)."""
    max_share: Annotated[float, Field(ge=0.0, le=1.0)]
    """Largest share (0..1) of the cells (sites) of the region and operator the vendor may hold."""
    basis: Literal["cells", "sites"] = "cells"
    """What the share counts: cells or sites (on air; a site not yet built does not count)."""
    region: Name | None = None
    """A ``regions[].name``; unset: the whole site list."""
    operator: Name | None = None
    """Only this operator's cells (site-list column ``operator``); unset: all operators."""
    since: dt.date
    """Date from which the cap holds (every stage at or after it must meet it)."""


class ExclusionZone(FrozenModel):
    """An area (polygon, or a point with a radius) where the listed vendors' equipment may not
    be from ``since`` on (e.g. around sites significant to national security)."""

    name: Name
    vendors: Annotated[tuple[Name, ...], Field(min_length=1, max_length=20)]
    """Vendor labels excluded from the zone."""
    polygon: Polygon | None = None
    """Zone as ``[[lon, lat], ...]`` [deg]; or give ``centre`` and ``radius_m``."""
    centre: LonLat | None = None
    """Zone centre ``[lon, lat]`` [deg] (with ``radius_m``)."""
    radius_m: Annotated[float, Field(gt=0.0, le=100_000.0)] | None = None
    """Zone radius [m] around ``centre`` (a site within it, in the local UTM frame, is inside)."""
    since: dt.date
    """Date from which the zone must be free of the vendors."""

    @model_validator(mode="after")
    def _one_shape(self) -> "ExclusionZone":
        circle = self.centre is not None or self.radius_m is not None
        if (self.polygon is None) == (not circle) or (circle and (self.centre is None or self.radius_m is None)):
            raise ValueError("give either polygon, or centre and radius_m (not both)")
        return self


class PurchaseBan(FrozenModel):
    """No new equipment of ``vendor`` from ``since`` on: a site built then (``new_sites``) gets
    the replacement vendor (UK, 14 July 2020: no purchases after 31 December 2020)."""

    vendor: Name
    since: dt.date


class Removal(FrozenModel):
    """Every site of ``vendor`` must be swapped by ``deadline`` (UK: 5G networks by the end of
    2027)."""

    vendor: Name
    deadline: dt.date
    """Every stage at or after this date must be free of the vendor."""


class Replacement(FrozenModel):
    """The equipment a swapped (or banned new) site gets. Unset fields keep the site list's
    values. One carrier per scenario: the band (``fc_ghz``, ``bandwidth_mhz``) stays the
    scenario's, and the antenna pattern stays ``[antenna]`` (``antenna_model`` is a label)."""

    vendor: Name
    """The replacement vendor label (must not be restricted by any rule)."""
    tx_power_dbm: Annotated[float, Field(ge=-30.0, le=80.0)] | None = None
    """Total transmit power of each replaced cell [dBm]."""
    elec_tilt_deg: Annotated[float, Field(ge=-90.0, le=90.0)] | None = None
    """Electrical downtilt of each replaced cell [deg below the horizon]."""
    antenna_model: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    """Antenna label of each replaced cell."""


class NewSite(FrozenModel):
    """A site of the site list that goes on air at the end of ``month`` (off air before)."""

    site_id: Name
    month: dt.date
    """Any day of the month in which the site is built."""


class SwapCapacity(FrozenModel):
    """How fast sites can be swapped."""

    crews: Annotated[int, Field(ge=1, le=10_000)] = 1
    """Swap crews."""
    sites_per_crew_month: Annotated[int, Field(ge=1, le=10_000)] = 2
    """Sites one crew swaps per month (network capacity = crews x this)."""
    region_sites_per_month: dict[Name, Annotated[int, Field(ge=0, le=100_000)]] = {}
    """Extra limit per region (``regions[].name``) [sites per month]."""
    downtime_days: Annotated[float, Field(ge=0.0, le=31.0)] = 2.0
    """Days a site is off air during its swap (counted as site-days off air and cost)."""
    start: dt.date | None = None
    """First month in which swaps may happen; unset: the plan's ``start``."""
    pace: Literal["asap", "even"] = "asap"
    """``asap``: swap at full capacity until every removal is done; ``even``: the steady rate
    that meets each removal deadline (rules coming into force may need more in a month)."""

    @property
    def sites_per_month(self) -> int:
        return self.crews * self.sites_per_crew_month


class Strategy(FrozenModel):
    """Order in which sites are swapped, where rules leave a choice."""

    order: Literal["traffic", "cluster", "sensitivity", "age", "plugin"] = "traffic"
    """``traffic``: users served at the start (lowest first, least disturbance; ``reverse``
    for highest first); ``cluster``: grow from the replacement vendor's areas (few vendor
    borders); ``sensitivity``: exclusion zones first, then by distance to the nearest zone;
    ``age``: oldest first (``site_info_file`` column ``installed``); ``plugin``: a Python
    function ``rank(sites) -> site ids`` (runs only with ``--allow-plugins``)."""
    reverse: bool = False
    """Reverse the order."""
    plugin: Annotated[str, Field(min_length=3, max_length=4096)] | None = None
    """``path/to/file.py:function`` for ``order = "plugin"``: called with a DataFrame of the
    sites (site_id, x_m, y_m, vendor, operator, served_ues, installed), returns site ids in
    swap order (every restricted site once)."""
    site_info_file: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    """CSV with ``site_id`` and ``installed`` (a date) columns, for ``order = "age"``."""

    @model_validator(mode="after")
    def _plugin(self) -> "Strategy":
        if (self.order == "plugin") != (self.plugin is not None):
            raise ValueError("order = 'plugin' needs plugin = 'path/to/file.py:function', and plugin needs "
                             "order = 'plugin'")
        if self.plugin is not None and ":" not in self.plugin:
            raise ValueError(f"plugin = {self.plugin!r}: allowed 'path/to/file.py:function'")
        if self.order == "age" and self.site_info_file is None:
            raise ValueError("order = 'age' needs site_info_file (CSV with site_id, installed)")
        return self


class Costs(FrozenModel):
    """Cost model (in ``currency``)."""

    currency: Annotated[str, Field(min_length=1, max_length=10)] = "GBP"
    per_swap: Money = 0.0
    """Cost of swapping one site (equipment and work)."""
    per_new_site: Money = 0.0
    """Cost of one new site built with the replacement vendor under a purchase ban."""
    per_site_day_off_air: Money = 0.0
    """Cost of one site-day off air during swaps (lost revenue)."""


class Evaluation(FrozenModel):
    """How stages are simulated."""

    every_months: Annotated[int, Field(ge=1, le=120)] = 1
    """Simulate every n-th month of the plan (and always the last month with a change)."""
    until: dt.date | None = None
    """Simulate only stages up to this date (the plan itself still meets every rule)."""
    drops: Annotated[int, Field(ge=1, le=1_000)] | None = None
    """Drops per stage; unset: the scenario's ``drops``."""
    map_months: Annotated[list[dt.date], Field(max_length=12)] = []
    """Months (any day of the month) with a vendor-share map; empty: the first, middle and last stage."""
    downtime_in_stage: bool = True
    """Simulate each stage with that month's swapped sites off air, all at once (the worst
    moment of the month: pessimistic when the swaps are spread over the month); false: the
    month's end, every swap done."""
    handover_margin_db: Annotated[float, Field(ge=0.0, le=20.0)] = 3.0
    """A user whose second-best cell is within this margin of its best cell [dB] would hand
    over between them: the pair is a neighbour relation (inter-vendor when their vendors differ)."""
    inter_vendor_handover_failure: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    """Extra failure probability of an inter-vendor handover: a user at an inter-vendor border
    loses its video call with this probability (``video_satisfied_share``)."""
    inter_vendor_handover_interruption_ms: Annotated[float, Field(ge=0.0, le=10_000.0)] = 0.0
    """Extra interruption of an inter-vendor handover [ms], on top of the scenario's
    ``mobility.handover.interruption_ms`` (e.g. a handover through the core where two vendors'
    cells have no direct Xn link). A user at an inter-vendor border hands over once per call:
    the video frames that wait longer than ``slots.traffic.video_pdb_s`` are lost, and the call
    is unsatisfied when that loss exceeds ``slots.traffic.call_max_frame_loss`` of a call of
    ``call_duration_s`` (``video_satisfied_share``); ``inter_vendor_interruption_ms_per_user``
    is the extra interruption per user of the stage."""
    video: Literal["proxy", "slots"] = "proxy"
    """Video-call KPI of each stage: ``proxy`` (``video_satisfied_share``: covered and at or
    above ``slots.traffic.video_bitrate_bps`` in the snapshot, about a second per stage), or
    ``slots``: also ``video_call_satisfied_share`` from a reduced slot-level run of video calls
    per stage (``video_ues_per_cell``, ``video_duration_s``; about 3 s more per stage for the
    420-cell London pilot at 1 user per cell and 1 s, docs/policy.md)."""
    video_ues_per_cell: Annotated[int, Field(ge=1, le=100)] = 1
    """``video = "slots"``: users (all in a call) per cell of the reduced run."""
    video_duration_s: Annotated[float, Field(ge=0.2, le=60.0)] = 1.0
    """``video = "slots"``: simulated time of the reduced run [s] (the scenario's
    ``slots.warmup_slots`` excluded from the KPI)."""
    call_duration_s: Annotated[float, Field(gt=0.0, le=86_400.0)] = 60.0
    """Length of a video call [s] over which the frames lost to a handover interruption are
    counted (an assumption of the snapshot model, docs/policy.md)."""


class Policy(FrozenModel):
    """A vendor-restriction policy (docs/policy.md)."""

    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")] = "policy"
    description: str = ""
    illustrative: bool = False
    """True for a policy that is an example, not a government's rule."""
    start: dt.date
    """First month of the plan (month 0; stages are the ends of months)."""
    end: dt.date | None = None
    """Last month of the plan; unset: the month of the latest rule date (and at least the last
    swap)."""
    regions: Annotated[list[Region], Field(max_length=1_000)] = []
    caps: Annotated[list[Cap], Field(max_length=1_000)] = []
    exclusion_zones: Annotated[list[ExclusionZone], Field(max_length=1_000)] = []
    purchase_bans: Annotated[list[PurchaseBan], Field(max_length=100)] = []
    removals: Annotated[list[Removal], Field(max_length=100)] = []
    new_sites: Annotated[list[NewSite], Field(max_length=100_000)] = []
    replacement: Replacement
    swap: SwapCapacity = SwapCapacity()
    strategy: Strategy = Strategy()
    costs: Costs = Costs()
    evaluation: Evaluation = Evaluation()

    @model_validator(mode="after")
    def _consistent(self) -> "Policy":
        dates = [("start", self.start), ("end", self.end), ("swap.start", self.swap.start),
                 ("evaluation.until", self.evaluation.until)]
        dates += [(f"caps.{i}.since", c.since) for i, c in enumerate(self.caps)]
        dates += [(f"exclusion_zones.{i}.since", z.since) for i, z in enumerate(self.exclusion_zones)]
        dates += [(f"purchase_bans.{i}.since", b.since) for i, b in enumerate(self.purchase_bans)]
        dates += [(f"removals.{i}.deadline", r.deadline) for i, r in enumerate(self.removals)]
        dates += [(f"new_sites.{i}.month", s.month) for i, s in enumerate(self.new_sites)]
        dates += [(f"evaluation.map_months.{i}", m) for i, m in enumerate(self.evaluation.map_months)]
        for field, value in dates:
            if value is not None:
                _check_date(value, field)
        if self.end is not None and month_index(self.start, self.end) < 0:
            raise ValueError(f"end = {self.end.isoformat()} is before start = {self.start.isoformat()}")
        if self.end is not None and month_index(self.start, self.end) >= MAX_PLAN_MONTHS:
            raise ValueError(f"end = {self.end.isoformat()}: a plan spans at most {MAX_PLAN_MONTHS} months")
        names = [r.name for r in self.regions]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"regions: names must be unique (repeated: {', '.join(dup)})")
        for i, c in enumerate(self.caps):
            if c.region is not None and c.region not in names:
                raise ValueError(f"caps.{i}.region = {c.region!r}: not a regions[].name "
                                 f"(allowed {', '.join(names) or 'none defined'})")
        for r in self.swap.region_sites_per_month:
            if r not in names:
                raise ValueError(f"swap.region_sites_per_month: {r!r} is not a regions[].name "
                                 f"(allowed {', '.join(names) or 'none defined'})")
        restricted = restricted_vendors(self)
        if self.replacement.vendor in restricted:
            raise ValueError(f"replacement.vendor = {self.replacement.vendor!r} is itself restricted by a rule; "
                             "allowed: a vendor no cap, exclusion zone, purchase ban or removal names")
        ids = [s.site_id for s in self.new_sites]
        dup = sorted({n for n in ids if ids.count(n) > 1})
        if dup:
            raise ValueError(f"new_sites: site ids must be unique (repeated: {', '.join(dup[:10])})")
        return self


def restricted_vendors(policy: Policy) -> set[str]:
    """Vendor labels named by any cap, exclusion zone, purchase ban or removal."""
    out = {c.vendor for c in policy.caps} | {b.vendor for b in policy.purchase_bans}
    out |= {r.vendor for r in policy.removals}
    for z in policy.exclusion_zones:
        out |= set(z.vendors)
    return out


def month_index(start: dt.date, day: dt.date) -> int:
    """Months from ``start``'s month to ``day``'s month (0 for the same month)."""
    return (day.year - start.year) * 12 + (day.month - start.month)


def month_start(start: dt.date, index: int) -> dt.date:
    """First day of month ``index`` of a plan starting in ``start``'s month."""
    m = start.year * 12 + start.month - 1 + index
    return dt.date(m // 12, m % 12 + 1, 1)


def month_end(start: dt.date, index: int) -> dt.date:
    """Last day of month ``index`` (the date of stage ``index``)."""
    return month_start(start, index + 1) - dt.timedelta(days=1)


def stage_of(start: dt.date, day: dt.date) -> int:
    """The first stage (month index) whose date (the month's last day) is on or after
    ``day``: the first stage a rule dated ``day`` applies to (negative before the plan)."""
    return month_index(start, day)
