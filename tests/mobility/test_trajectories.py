"""Trajectories respect their speed and their area."""

from __future__ import annotations

import numpy as np
import pytest

from nrsim.mobility import Area, kmh_to_ms, random_direction, random_waypoint, speeds_ms, straight_lines

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
