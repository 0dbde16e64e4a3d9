"""UE mobility models: static, random waypoint, random direction, straight lines.

Positions are sampled on a fixed time grid ``t = 0, dt, ..., (n_steps - 1) dt`` and returned
as ``[step, ue, 2]`` metres. UEs stay inside an axis-aligned area: random waypoint picks its
waypoints inside it; random direction and straight lines reflect at its edges (a specular
bounce keeps the speed). Speeds are in m/s (``kmh_to_ms`` converts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

PEDESTRIAN_KMH = 3.0
"""Pedestrian speed (TR 38.913 / TR 38.901 7.8 mobility assumptions: 3 km/h)."""


def kmh_to_ms(v_kmh: float | NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(v_kmh, dtype=np.float64) / 3.6


@dataclass(frozen=True)
class Area:
    """Axis-aligned rectangle [x_min, x_max] x [y_min, y_max] in metres."""

    x_min_m: float
    x_max_m: float
    y_min_m: float
    y_max_m: float

    def contains(self, xy_m: NDArray[np.float64], tol_m: float = 1e-6) -> NDArray[np.bool_]:
        return (
            (xy_m[..., 0] >= self.x_min_m - tol_m) & (xy_m[..., 0] <= self.x_max_m + tol_m)
            & (xy_m[..., 1] >= self.y_min_m - tol_m) & (xy_m[..., 1] <= self.y_max_m + tol_m)
        )

    def uniform(self, n: int, *, rng: np.random.Generator) -> NDArray[np.float64]:
        u = rng.random((n, 2))
        return np.stack(
            [self.x_min_m + u[:, 0] * (self.x_max_m - self.x_min_m),
             self.y_min_m + u[:, 1] * (self.y_max_m - self.y_min_m)], axis=1)


def _reflect(x: NDArray[np.float64], lo: float, hi: float) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Fold coordinates into [lo, hi] by specular reflection; also whether the direction of
    motion along this axis is reversed (odd number of bounces)."""
    width = hi - lo
    if width <= 0:
        return np.full_like(x, lo), np.zeros(x.shape, dtype=bool)
    y = np.mod(x - lo, 2.0 * width)
    flipped = y > width
    return lo + np.where(flipped, 2.0 * width - y, y), flipped


def static(start_xy_m: NDArray[np.float64], n_steps: int) -> NDArray[np.float64]:
    """UEs that do not move: [step, ue, 2]."""
    return np.broadcast_to(start_xy_m, (n_steps,) + start_xy_m.shape).copy()


def straight_lines(
    start_xy_m: NDArray[np.float64],
    speed_ms: NDArray[np.float64],
    heading_rad: NDArray[np.float64],
    area: Area,
    n_steps: int,
    dt_s: float,
) -> NDArray[np.float64]:
    """Constant speed and heading per UE, reflecting at the area's edges: [step, ue, 2]."""
    t = np.arange(n_steps, dtype=np.float64)[:, None] * dt_s  # [step, 1]
    vx = speed_ms * np.cos(heading_rad)
    vy = speed_ms * np.sin(heading_rad)
    x, _ = _reflect(start_xy_m[:, 0] + vx * t, area.x_min_m, area.x_max_m)
    y, _ = _reflect(start_xy_m[:, 1] + vy * t, area.y_min_m, area.y_max_m)
    return np.stack([x, y], axis=-1)


def random_direction(
    start_xy_m: NDArray[np.float64],
    speed_ms: NDArray[np.float64],
    area: Area,
    n_steps: int,
    dt_s: float,
    *,
    mean_leg_s: float,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Random direction: each UE moves straight at its speed for exponentially distributed
    legs (mean ``mean_leg_s``), then turns to a new uniform heading; reflects at the edges."""
    n = start_xy_m.shape[0]
    pos = start_xy_m.astype(np.float64).copy()
    heading = rng.uniform(0.0, 2.0 * np.pi, n)
    leg_left = rng.exponential(mean_leg_s, n)
    out = np.empty((n_steps, n, 2))
    out[0] = pos
    for k in range(1, n_steps):  # loop over time steps, vectorised over UEs
        step = speed_ms * dt_s
        nx = pos[:, 0] + step * np.cos(heading)
        ny = pos[:, 1] + step * np.sin(heading)
        pos[:, 0], fx = _reflect(nx, area.x_min_m, area.x_max_m)
        pos[:, 1], fy = _reflect(ny, area.y_min_m, area.y_max_m)
        heading = np.where(fx, np.pi - heading, heading)
        heading = np.where(fy, -heading, heading)
        leg_left -= dt_s
        turn = leg_left <= 0
        if turn.any():
            heading = np.where(turn, rng.uniform(0.0, 2.0 * np.pi, n), heading)
            leg_left = np.where(turn, rng.exponential(mean_leg_s, n), leg_left)
        out[k] = pos
    return out


def random_waypoint(
    start_xy_m: NDArray[np.float64],
    speed_ms: NDArray[np.float64],
    area: Area,
    n_steps: int,
    dt_s: float,
    *,
    pause_s: float,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Random waypoint: each UE walks at its speed to a uniform waypoint in the area,
    pauses ``pause_s``, and picks the next one."""
    n = start_xy_m.shape[0]
    pos = start_xy_m.astype(np.float64).copy()
    target = area.uniform(n, rng=rng)
    pause_left = np.zeros(n)
    out = np.empty((n_steps, n, 2))
    out[0] = pos
    for k in range(1, n_steps):
        budget = np.where(pause_left > 0, 0.0, speed_ms * dt_s)
        pause_left = np.maximum(pause_left - dt_s, 0.0)
        d = target - pos
        dist = np.hypot(d[:, 0], d[:, 1])
        arrive = dist <= budget
        frac = np.where(arrive, 1.0, budget / np.maximum(dist, 1e-12))
        pos = pos + d * frac[:, None]
        if arrive.any():
            new_t = area.uniform(n, rng=rng)
            target = np.where(arrive[:, None], new_t, target)
            pause_left = np.where(arrive, pause_s, pause_left)
        out[k] = pos
    return out


def speeds_ms(traj_m: NDArray[np.float64], dt_s: float) -> NDArray[np.float64]:
    """Speed between consecutive samples [step - 1, ue] in m/s."""
    d = np.diff(traj_m, axis=0)
    return np.hypot(d[..., 0], d[..., 1]) / dt_s
