"""Trajectories respect their speed and their area."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.mobility import Area, kmh_to_ms, random_direction, random_waypoint, speeds_ms, straight_lines
from nrsim.mobility.trajectories import _reflect

AREA = Area(-500.0, 500.0, -300.0, 300.0)
DT = 0.1


@pytest.mark.parametrize("kmh", [3.0, 30.0, 120.0])
def test_straight_lines_speed_and_area(kmh: float) -> None:
    rng = np.random.default_rng(0)
    n = 200
    start = AREA.uniform(n, rng=rng)
    v = np.full(n, float(kmh_to_ms(kmh)))
    traj = straight_lines(start, v, rng.uniform(0, 2 * np.pi, n), AREA, 600, DT)
    assert traj.shape == (600, n, 2)
    assert AREA.contains(traj).all()
    sp = speeds_ms(traj, DT)
    # a bounce shortens the straight-line step, never lengthens it
    assert np.all(sp <= v + 1e-9)
    assert np.median(sp) == pytest.approx(v[0], rel=1e-9)


def test_random_direction_speed_and_area() -> None:
    rng = np.random.default_rng(1)
    n = 300
    v = kmh_to_ms(np.where(np.arange(n) % 2 == 0, 3.0, 60.0))
    traj = random_direction(AREA.uniform(n, rng=rng), v, AREA, 500, DT, mean_leg_s=5.0, rng=rng)
    assert AREA.contains(traj).all()
    sp = speeds_ms(traj, DT)
    assert np.all(sp <= v + 1e-9)
    assert np.mean(np.isclose(sp, v, rtol=1e-9)) > 0.95


def test_random_waypoint_speed_area_and_pauses() -> None:
    rng = np.random.default_rng(2)
    n = 100
    v = np.full(n, float(kmh_to_ms(30.0)))
    traj = random_waypoint(AREA.uniform(n, rng=rng), v, AREA, 2000, DT, pause_s=2.0, rng=rng)
    assert AREA.contains(traj).all()
    sp = speeds_ms(traj, DT)
    assert np.all(sp <= v + 1e-9)
    assert np.mean(sp == 0.0) > 0.01  # pauses happen
    assert np.mean(np.isclose(sp, v)) > 0.5


def _reflect_numpy(x, lo, hi):
    """Reference: the specular fold as NumPy expressions."""
    width = hi - lo
    if width <= 0:
        return np.full_like(x, lo), np.zeros(x.shape, dtype=bool)
    y = np.mod(x - lo, 2.0 * width)
    flipped = y > width
    return lo + np.where(flipped, 2.0 * width - y, y), flipped


def _random_direction_numpy(start, v, area, n_steps, dt, mean_leg_s, rng):
    """Reference: the random-direction model stepped with NumPy expressions (same draws)."""
    n = start.shape[0]
    pos = start.copy()
    heading = rng.uniform(0.0, 2.0 * np.pi, n)
    leg_left = rng.exponential(mean_leg_s, n)
    out = np.empty((n_steps, n, 2))
    out[0] = pos
    for k in range(1, n_steps):
        x, fx = _reflect_numpy(pos[:, 0] + v * dt * np.cos(heading), area.x_min_m, area.x_max_m)
        y, fy = _reflect_numpy(pos[:, 1] + v * dt * np.sin(heading), area.y_min_m, area.y_max_m)
        pos = np.stack([x, y], axis=1)
        sign = np.where(fy, -1.0, 1.0)  # a y bounce negates the heading after an x bounce mirrors it
        heading = sign * np.where(fx, np.pi - heading, heading)
        leg_left = leg_left - dt
        if np.any(leg_left <= 0):  # every UE draws; the ones at the end of a leg take theirs
            draws = (rng.uniform(0.0, 2.0 * np.pi, n), rng.exponential(mean_leg_s, n))
            heading, leg_left = (np.where(leg_left <= 0, new, old) for new, old in zip(draws, (heading, leg_left)))
        out[k] = pos
    return out


def test_compiled_moves_are_the_numpy_expressions_bit_for_bit() -> None:
    """The compiled reflection (any shape, signed zeros, far outside, a degenerate interval)
    and the compiled random-direction step equal their NumPy forms bit for bit."""
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.normal(0.0, 3000.0, 5000), [-0.0, 0.0, -300.0, 250.0, 800.0, 1e300, -1e-300]])
    for lo, hi in ((-300.0, 250.0), (0.0, 0.0), (5.0, 1.0), (-1e-3, 1e-3)):
        for xs in (x, x[:5004].reshape(4, 1251)):
            got, got_f = _reflect(xs, lo, hi)
            want, want_f = _reflect_numpy(xs, lo, hi)
            assert got.tobytes() == want.tobytes() and (got_f == want_f).all()
    area = Area(-300.0, 260.0, -280.0, 300.0)
    start = area.uniform(300, rng=rng)
    v = rng.choice([0.8, 8.3, 33.3], 300)
    got = random_direction(start, v, area, 700, 0.02, mean_leg_s=2.0, rng=np.random.default_rng(8))
    want = _random_direction_numpy(start, v, area, 700, 0.02, 2.0, np.random.default_rng(8))
    assert got.tobytes() == want.tobytes()
