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

from nrsim.compiled import jit

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
    motion along this axis is reversed (odd number of bounces): :func:`reflect` elementwise."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty(x.shape)
    flipped = np.empty(x.shape, dtype=bool)
    _reflect_into(x.ravel(), lo, hi, out.ravel(), flipped.ravel())
    return out, flipped


@jit
def reflect(x: float, lo: float, hi: float) -> tuple[float, bool]:
    """Coordinate ``x`` folded into [lo, hi] by specular reflection (m), and whether the
    direction of motion along this axis is reversed (an odd number of bounces); a
    degenerate interval (hi <= lo) pins it to lo."""
    width = hi - lo
    if width <= 0:
        return lo, False
    y = np.mod(x - lo, 2.0 * width)
    if y > width:
        return lo + (2.0 * width - y), True
    return lo + y, False


@jit
def _reflect_into(x, lo, hi, out, flipped) -> None:
    for i in range(x.size):
        out[i], flipped[i] = reflect(x[i], lo, hi)


@jit
def _move_reflecting(pos, heading, cos_h, sin_h, step_m, x_min, x_max, y_min, y_max) -> None:
    """One step of straight motion in place: ``pos`` [ue, 2] (m) moves ``step_m`` [ue] (m)
    along (``cos_h``, ``sin_h``) [ue] of ``heading`` [ue] (rad), reflecting at the area's
    edges (:func:`reflect`), where the heading turns specularly (pi - h at an x edge, -h
    at a y edge)."""
    for u in range(pos.shape[0]):
        x, fx = reflect(pos[u, 0] + step_m[u] * cos_h[u], x_min, x_max)
        y, fy = reflect(pos[u, 1] + step_m[u] * sin_h[u], y_min, y_max)
        pos[u, 0] = x
        pos[u, 1] = y
        h = heading[u]
        if fx:
            h = np.pi - h
        if fy:
            h = -h
        heading[u] = h


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
    step = np.ascontiguousarray(np.broadcast_to(speed_ms * dt_s, (n,)), dtype=np.float64)  # [ue] (m)
    for k in range(1, n_steps):  # loop over time steps (the move of every UE compiled)
        _move_reflecting(pos, heading, np.cos(heading), np.sin(heading), step, area.x_min_m, area.x_max_m,
                         area.y_min_m, area.y_max_m)
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
