"""Size guard: the peak memory and wall time of a run, estimated before any work from the UE,
cell and link counts, and a refusal when the memory would not fit.

The model adds up the arrays each engine holds (docs/scale.md, "Size guard"):

* snapshot (``nrsim.run`` of a snapshot scenario; :mod:`nrsim.parallel.runner`): the UEs of
  one drop (positions, heights, O2I; the drop's peak while it is drawn), one chunk of
  ``chunk_ues`` UEs (radio columns, the Parquet part, the second pass), the correlated
  shadow-fading grids of the drop (:mod:`nrsim.channel.shadowing_field`), and the per-UE
  table when the run keeps it in memory (no ``out_dir``). Links are [ue, cell] (dense) or
  [ue, k x cells per site] (sparse); they cost time, not memory (the kernel streams them).
* slots, mobility, calls (video calls with moving UEs): dense and in memory, per drop:
  [ue, cell] arrays of gains and received powers, per-UE state, the mobility trajectories
  [step, ue, 2], the fading bank.

The constants were measured on the 2-core development machine (shared with other jobs, load
3-4; so the times are pessimistic for an idle machine) by running ``nrsim.run`` in a fresh
process and reading its peak resident set (``resource.getrusage``): ``python
benchmarks/sizing.py`` repeats the measurements and prints estimate against measurement.
The estimate is meant to be within a factor of about 2; ``tests/engine/test_sizing.py`` checks that
for a small and a medium case.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from nrsim.errors import ConfigError

MIB = 2**20
GIB = 2**30

SIZE_CHECK_ENV = "NRSIM_NO_SIZE_CHECK"
"""Set to 1 to skip :func:`check_size` (the CLI's ``--no-size-check`` does the same)."""

LONG_RUN_S = 30.0
"""Runs estimated to take longer than this get their estimate printed by ``nrsim run``."""

# --- memory [bytes], measured (benchmarks/sizing.py) -----------------------------------------
BASE_BYTES = {"snapshot": 400 * MIB, "slots": 520 * MIB, "mobility": 350 * MIB, "calls": 930 * MIB}
"""Resident set of a tiny run of each engine: interpreter, NumPy/SciPy/pandas/Arrow, the
compiled kernels, Matplotlib for the plots (measured: 404, 662 (with a 72 MiB fading bank
built twice), 347 and 1,067 MiB)."""
WORKER_BASE_BYTES = 320 * MIB
"""Resident set of a Dask worker process before its first task (imports and kernels)."""
UE_DROP_BYTES = 144
"""Peak bytes per UE of a drop while it is drawn (positions, heights, indoor state, O2I and
the sampling temporaries; measured 144.0 B/UE for 1.14 M and 5.7 M UEs)."""
CHUNK_UE_BYTES = 450
"""Bytes per UE of a chunk in flight (radio columns, Arrow table, Parquet part, second
pass; measured 440 B/UE from chunks of 65,536 and 1,000,000 UEs)."""
UE_ROW_BYTES = 350
"""Bytes per UE of result rows held in memory (20 columns of 8 bytes, plus the DataFrame
concatenation): library runs without ``out_dir``, and the snapshot tables of slot runs."""
SHADOW_POINT_BYTES = 10
"""Bytes per point of a field grid (shadow fading, LOS state): the float32 field, its copy in the stack of
fields and the float32 square-root spectrum cached for the next drop."""
DENSE_LINK_BYTES = {"slots": 56, "mobility": 48, "calls": 56}
"""Bytes per [ue, cell] entry of the dense engines: coupling gain (dB, linear), residual
interference gain, received powers, the sort for the strongest links (slots); received
power (float32 and float64), linear power, filtered measurements (mobility)."""
UE_STEP_BYTES = 16
"""Bytes per UE and mobility time step: the trajectory, float64 [step, ue, 2]."""
SITE_ROW_BYTES = 1700
"""Bytes per row of a site list held in memory (measured: 250 MiB for 150,000 rows)."""

# --- wall time [s], measured on the shared 2-core machine ----------------------------------
START_S = {"snapshot": 1.5, "slots": 3.0, "mobility": 1.0, "calls": 5.0}
"""Fixed time of a run (loading the compiled kernels, the plots)."""
UE_S = 5e-6
"""Per UE of a drop: the drop, O2I, output columns, KPIs (measured 3.1 us for the drop)."""
LINK_S = {"dense": 0.1e-6, "sparse": 0.3e-6}
"""Per UE-cell link of the snapshot kernel (measured 0.08-0.15 us dense, 0.31 us sparse
with the k-d tree candidates)."""
SHADOW_POINT_S = 100e-9
"""Per point of a shadow-fading grid (FFT; measured 2.1 s for 4096 x 4096)."""
SLOT_S = 2e-3
"""Per slot of the slot engine, whatever the UE count (scheduler set-up per cell)."""
UE_SLOT_S = {"slots": 4.6e-6, "calls": 1.7e-6}
"""Per UE and slot (slot engine: measured 4.6 us; call engine: 1.7 us)."""
UE_STEP_S = 1.5e-6
"""Per UE and mobility time step (measurements, L3 filter, handover; measured 1-2 us)."""
DASK_START_S = 5.0
"""Starting a local Dask cluster."""


@dataclass(frozen=True)
class SizeEstimate:
    """Estimated size of a run (:func:`estimate_size`).

    Attributes
    ----------
    engine : "snapshot", "slots", "mobility" or "calls"
    n_ue : UEs per drop.
    n_cells, n_sites : of the layout.
    links_per_ue : cells in each UE's link budget (all cells dense; k nearest sites' cells
        sparse).
    drops : number of drops.
    steps : slots (slot engine), time steps (mobility, calls) or 1 (snapshot) per drop.
    peak_memory_bytes : estimated peak resident memory of the run (all its processes).
    wall_s : estimated wall time [s] on the 2-core reference machine.
    available_bytes : memory available on this machine (None when unknown).
    terms : the memory estimate's parts [bytes], largest first.
    """

    engine: str
    n_ue: int
    n_cells: int
    n_sites: int
    links_per_ue: int
    drops: int
    steps: int
    peak_memory_bytes: int
    wall_s: float
    available_bytes: int | None
    terms: dict[str, int] = field(default_factory=dict)

    @property
    def links(self) -> int:
        """UE-cell links per drop."""
        return self.n_ue * self.links_per_ue

    def summary(self) -> str:
        """One line: UEs, cells, links, memory, time."""
        avail = f" of {_fmt_bytes(self.available_bytes)} available" if self.available_bytes else ""
        steps = {"slots": " x {} slots", "mobility": " x {} time steps", "calls": " x {} time steps"}.get(
            self.engine, "").format(f"{self.steps:,}")
        return (f"{self.engine} run: {self.n_ue:,} UEs x {self.drops:,} drop(s){steps}, {self.n_cells:,} cells "
                f"({self.n_sites:,} sites), {self.links:,} UE-cell links per drop; estimated peak memory "
                f"{_fmt_bytes(self.peak_memory_bytes)}{avail}, wall time {_fmt_s(self.wall_s)}")


def _fmt_bytes(n: float | None) -> str:
    if n is None:
        return "unknown"
    for unit, size in (("TiB", 2**40), ("GiB", GIB), ("MiB", MIB)):
        if n >= size:
            v = n / size
            return f"{v:.3g} {unit}" if v < 1000 else f"{v:,.0f} {unit}"
    return f"{n / 1024:.3g} KiB"


def _fmt_s(t: float) -> str:
    if t < 90:
        return f"~{t:.0f} s"
    if t < 5400:
        return f"~{t / 60:.0f} min"
    if t < 3 * 86400:
        return f"~{t / 3600:.1f} h"
    return f"~{t / 86400:.0f} days"


def available_memory_bytes() -> int | None:
    """Memory this process may still use [bytes]: ``MemAvailable`` of /proc/meminfo (else
    psutil's ``available``), capped by the cgroup (v2 ``memory.max`` - ``memory.current``, v1
    ``memory.limit_in_bytes`` - ``memory.usage_in_bytes``) when a container limits it."""
    avail: int | None = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail = int(line.split()[1]) * 1024
                break
    except (OSError, ValueError, IndexError):
        pass
    if avail is None:
        try:
            import psutil

            avail = int(psutil.virtual_memory().available)
        except Exception:  # noqa: BLE001 - psutil missing or unsupported platform
            avail = None
    for limit_f, usage_f in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                             ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                              "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            limit_s = Path(limit_f).read_text().strip()
            if limit_s == "max":
                continue
            free = int(limit_s) - int(Path(usage_f).read_text().strip())
            if free > 0 and int(limit_s) < 2**60:
                avail = free if avail is None else min(avail, free)
        except (OSError, ValueError):
            continue
    return avail


def _engine(cfg) -> str:
    if cfg.slots.enabled and cfg.mobility.enabled:
        return "calls"
    if cfg.slots.enabled:
        return "slots"
    if cfg.mobility.enabled:
        return "mobility"
    return "snapshot"


def _shadow_points(cfg, layout, ue_extent_m: float) -> list[int]:
    """Points of each field grid of a drop: shadow fading (one per distinct decorrelation
    distance of the sites' environments) and the spatially consistent LOS state (one per
    distinct LOS correlation distance); :func:`nrsim.engine.snapshot.prepare_drop`."""
    from nrsim.channel.shadowing_field import _grid_plan
    from nrsim.channel.tr38901 import pathloss as tr_pathloss
    from nrsim.channel.tr38901.los_probability import los_state_correlation_m
    from nrsim.engine.snapshot import site_scenarios

    scns = list(dict.fromkeys(site_scenarios(cfg, layout)))
    d_corr: list[float] = []
    if cfg.channel.shadowing:
        for scn in scns:
            for los in (True, False):
                d = float(tr_pathloss.shadow_fading_decorrelation_m(scn, los))
                if d not in d_corr:
                    d_corr.append(d)
    if cfg.channel.los_spatial_consistency:
        d_corr += list(dict.fromkeys(los_state_correlation_m(scn) for scn in scns))
    return [_grid_plan(ue_extent_m, layout.n_sites, d)[0] ** 2 for d in d_corr]


def _ue_extent_m(layout) -> float:
    """Side [m] of the square holding the UEs (the sites' span plus the cells' reach)."""
    xy = layout.site_xy_m
    reach = 2.0 / 3.0 * float(layout.site_isd_m.max() if layout.site_isd_m is not None else layout.isd_m)
    if xy.shape[0] == 0:
        return 1.0
    return float((xy.max(axis=0) - xy.min(axis=0)).max()) + 2.0 * reach + 1.0


def estimate_size(cfg, *, chunk_ues: int | None = None, workers: int = 0, scheduler: str | None = None,
                  in_memory: bool = False, layout=None) -> SizeEstimate:
    """Estimated peak memory and wall time of ``nrsim.run(cfg, ...)`` (the module docstring
    gives the model). ``chunk_ues``: the snapshot run's chunk size (default
    :data:`nrsim.parallel.runner.DEFAULT_CHUNK_UES`); ``workers``: local Dask workers (each
    holds a drop); ``scheduler``: a remote cluster (only this process is counted);
    ``in_memory``: the run keeps its per-UE table in memory (``nrsim.run`` without
    ``out_dir``). Builds the layout (cached) but draws nothing."""
    from nrsim.engine.snapshot import build_layout, is_sparse
    from nrsim.link.numerology import n_rb
    from nrsim.parallel.runner import DEFAULT_CHUNK_UES

    layout = layout if layout is not None else build_layout(cfg)
    engine = _engine(cfg)
    n_cells, n_sites = layout.n_cells, layout.n_sites
    n_ue = int(cfg.deployment.ue.per_sector) * n_cells
    drops = int(cfg.drops)
    sparse = engine == "snapshot" and is_sparse(cfg, layout)
    cells_per_site = n_cells / max(n_sites, 1)
    links_per_ue = int(round(min(cfg.interference.k_sites, n_sites) * cells_per_site)) if sparse else n_cells
    shadow = _shadow_points(cfg, layout, _ue_extent_m(layout))
    terms: dict[str, int] = {"interpreter, libraries and kernels": BASE_BYTES[engine]}
    if cfg.deployment.layout == "sites":
        from nrsim.deployment.sites import config_site_list

        terms["site list"] = SITE_ROW_BYTES * len(config_site_list(cfg).cells)
    terms["UE drop"] = UE_DROP_BYTES * n_ue
    terms["shadow-fading grids"] = SHADOW_POINT_BYTES * sum(shadow)
    wall = START_S[engine]
    steps = 1
    if engine == "snapshot":
        chunk = min(int(chunk_ues) if chunk_ues else DEFAULT_CHUNK_UES, max(n_ue, 1))
        terms["UE chunk"] = CHUNK_UE_BYTES * chunk
        if in_memory:
            terms["per-UE table in memory"] = UE_ROW_BYTES * n_ue * drops
        per_drop_s = (n_ue * (UE_S + links_per_ue * LINK_S["sparse" if sparse else "dense"])
                      + SHADOW_POINT_S * sum(shadow))
        if workers and workers > 0:
            # each worker holds a drop; the driver runs the second pass
            per_worker = WORKER_BASE_BYTES + terms["UE drop"] + terms["shadow-fading grids"] + terms["UE chunk"]
            terms["Dask workers"] = int(workers) * per_worker
            del terms["UE drop"], terms["shadow-fading grids"]
            wall += DASK_START_S + drops * per_drop_s / min(int(workers), os.cpu_count() or 1)
        else:
            wall += drops * per_drop_s
    else:
        n_prb = n_rb(cfg.radio.bandwidth_mhz, cfg.radio.scs_khz, cfg.channel.fc_ghz)
        terms["[ue, cell] arrays"] = DENSE_LINK_BYTES[engine] * n_ue * n_cells
        wall += drops * n_ue * (UE_S + n_cells * LINK_S["dense"])
        if engine in ("slots", "calls"):
            fad = cfg.slots.fading
            if fad.enabled:
                classes = 1 if (fad.outdoor_ue_speed_kmh in (None, fad.ue_speed_kmh)) else 2
                terms["fading bank"] = 2 * fad.bank_rows * n_prb * 4 * classes
        if engine == "slots":
            steps = int(cfg.slots.n_slots)
            terms["snapshot tables"] = UE_ROW_BYTES * n_ue * drops
            n_rbg = max(n_prb // 16, 1)
            la = cfg.slots.link_adaptation
            terms["per-UE slot state"] = n_ue * n_rbg * 8 * (la.cqi_delay_slots + 3 + la.harq_processes)
            wall += drops * steps * (SLOT_S + n_ue * UE_SLOT_S["slots"])
        else:
            mob = cfg.mobility
            steps = int(round(mob.duration_s / (mob.step_ms / 1e3)))
            updates = steps / max(int(round(mob.channel_update_ms / mob.step_ms)), 1)
            terms["trajectories"] = UE_STEP_BYTES * n_ue * (steps + 1)
            wall += drops * (n_ue * steps * UE_STEP_S + updates * n_ue * n_cells * LINK_S["dense"])
            if engine == "calls":
                slots_per_s = 1000.0 * (cfg.radio.scs_khz / 15.0)
                la = cfg.slots.link_adaptation
                n_rbg = max(n_prb // 16, 1)
                terms["per-UE call state"] = n_ue * 2 * la.harq_processes * (n_rbg + 100)
                wall += drops * n_ue * mob.duration_s * slots_per_s * UE_SLOT_S["calls"]
        sweep = list(cfg.slots.traffic.capacity_calls_per_cell) if cfg.slots.enabled else []
        if sweep:  # each point is a whole run at that load (nrsim.engine.video_capacity)
            from nrsim.engine.video_capacity import _with_calls_per_cell

            wall += sum(estimate_size(_with_calls_per_cell(cfg, int(p)), layout=layout).wall_s for p in sweep)
    terms = {k: int(v) for k, v in sorted(terms.items(), key=lambda kv: -kv[1]) if v > 0}
    return SizeEstimate(
        engine=engine, n_ue=n_ue, n_cells=n_cells, n_sites=n_sites, links_per_ue=links_per_ue, drops=drops,
        steps=steps, peak_memory_bytes=int(sum(terms.values())), wall_s=float(wall),
        available_bytes=available_memory_bytes(), terms=terms,
    )


_REMEDIES = {
    "UE drop": "deployment.ue.per_sector",
    "UE chunk": "--chunk-ues (chunk_ues)",
    "per-UE table in memory": "out_dir (write the table instead of keeping it)",
    "shadow-fading grids": "channel.shadowing = false, channel.los_spatial_consistency = false or a smaller area",
    "[ue, cell] arrays": "deployment.ue.per_sector or fewer cells (these engines are dense [ue, cell])",
    "trajectories": "mobility.duration_s or a longer mobility.step_ms",
    "snapshot tables": "deployment.ue.per_sector or drops",
    "per-UE slot state": "deployment.ue.per_sector",
    "per-UE call state": "deployment.ue.per_sector",
    "fading bank": "slots.fading.bank_rows",
    "Dask workers": "--workers (fewer) or deployment.ue.per_sector",
    "site list": "a smaller site list",
}


def size_check_disabled() -> bool:
    """True when the environment variable :data:`SIZE_CHECK_ENV` is set to 1/true/yes."""
    return os.environ.get(SIZE_CHECK_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def check_size(cfg, *, chunk_ues: int | None = None, workers: int = 0, scheduler: str | None = None,
               in_memory: bool = False, estimate: SizeEstimate | None = None) -> SizeEstimate:
    """:func:`estimate_size`, and a :class:`ConfigError` when the estimated peak memory
    exceeds the memory available on this machine (:func:`available_memory_bytes`), naming
    the estimate, its largest parts and the keys that shrink them. Skipped (the estimate is
    still returned) when :data:`SIZE_CHECK_ENV` is set."""
    est = estimate if estimate is not None else estimate_size(
        cfg, chunk_ues=chunk_ues, workers=workers, scheduler=scheduler, in_memory=in_memory)
    avail = est.available_bytes
    if avail is None or size_check_disabled() or est.peak_memory_bytes <= avail:
        return est
    top = list(est.terms.items())[:3]
    parts = ", ".join(f"{name} {_fmt_bytes(b)}" for name, b in top)
    keys = []
    for name, b in top:
        if name in _REMEDIES and b >= 0.1 * est.peak_memory_bytes and _REMEDIES[name] not in keys:
            keys.append(_REMEDIES[name])
    if est.engine == "snapshot" and est.links_per_ue > 0 and not keys:
        keys.append("deployment.ue.per_sector")
    per_sector = cfg.deployment.ue.per_sector
    raise ConfigError(
        f"run too large for this machine: estimated peak memory {_fmt_bytes(est.peak_memory_bytes)} exceeds the "
        f"{_fmt_bytes(avail)} available ({est.n_ue:,} UEs per drop = deployment.ue.per_sector {per_sector:,} x "
        f"{est.n_cells:,} cells; {parts}; estimated wall time {_fmt_s(est.wall_s)}); reduce "
        f"{' or '.join(keys)}; to run anyway: nrsim run --no-size-check or {SIZE_CHECK_ENV}=1",
        field="deployment.ue.per_sector" if "deployment.ue.per_sector" in " ".join(keys) else None,
    )


def fmt_estimate_lines(est: SizeEstimate) -> list[str]:
    """The estimate as lines for the CLI (summary, then the memory parts)."""
    parts = ", ".join(f"{k} {_fmt_bytes(v)}" for k, v in est.terms.items())
    return [est.summary(), f"memory: {parts}"]


def is_long(est: SizeEstimate) -> bool:
    """True when the run is estimated to take longer than :data:`LONG_RUN_S`."""
    return est.wall_s > LONG_RUN_S or math.isinf(est.wall_s)
