"""Geometry of the hex grid, wrap-around and UE drops (expected values by hand)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nrsim.deployment import (
    drop_ues,
    hex_axial_coords,
    hex_layout,
    hex_wrap_shifts_m,
    inh_office_layout,
    nearest_image_offsets_m,
)
from nrsim.rng import stream

# Statistical tolerance: 5 standard errors of a binomial share with the sample sizes used.
N_SIGMA = 5.0


@pytest.mark.parametrize("rings, n_sites", [(0, 1), (1, 7), (2, 19), (3, 37), (18, 1027)])
def test_site_count(rings: int, n_sites: int) -> None:
    layout = hex_layout(rings, 500.0, 25.0)
    assert layout.n_sites == n_sites == 1 + 3 * rings * (rings + 1)
    assert layout.n_cells == 3 * n_sites
    # all sites distinct and on the lattice: nearest neighbour exactly one ISD away
    xy = layout.site_xy_m
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    np.fill_diagonal(d, np.inf)
    if n_sites > 1:
        assert np.allclose(d.min(axis=1), 500.0)


def test_ring_sites_at_isd_and_sector_boresights() -> None:
    layout = hex_layout(1, 500.0, 25.0)
    r = np.hypot(layout.site_xy_m[1:, 0], layout.site_xy_m[1:, 1])
    assert np.allclose(r, 500.0)
    assert np.allclose(layout.cell_bearing_deg[:3], [30.0, 150.0, 270.0])
    assert np.array_equal(layout.cell_site[:6], [0, 0, 0, 1, 1, 1])


def test_wrap_shift_length_is_sqrt_cluster_size_isd() -> None:
    for rings in (1, 2, 3):
        shifts = hex_wrap_shifts_m(rings, 500.0)
        n_sites = 1 + 3 * rings * (rings + 1)
        assert shifts.shape == (7, 2)
        assert np.allclose(shifts[0], 0.0)
        assert np.allclose(np.hypot(shifts[1:, 0], shifts[1:, 1]), math.sqrt(n_sites) * 500.0)


def test_wraparound_tiles_the_plane() -> None:
    """Every site image lands exactly on a lattice point not occupied by the cluster:
    shifted clusters never overlap the original."""
    layout = hex_layout(2, 500.0, 25.0)
    sites = layout.site_xy_m
    for s in layout.wrap_shifts_m[1:]:
        moved = sites + s
        d = np.hypot(moved[:, None, 0] - sites[None, :, 0], moved[:, None, 1] - sites[None, :, 1])
        assert d.min() > 499.0


def test_wrap_distance_never_longer_and_edge_ue_served_across() -> None:
    layout = hex_layout(2, 500.0, 25.0)
    rng = np.random.default_rng(3)
    ue = rng.uniform(-1200, 1200, size=(500, 2))
    dx, dy = nearest_image_offsets_m(ue, layout.site_xy_m, layout.wrap_shifts_m)
    direct = np.hypot(ue[:, None, 0] - layout.site_xy_m[None, :, 0], ue[:, None, 1] - layout.site_xy_m[None, :, 1])
    wrapped = np.hypot(dx, dy)
    assert np.all(wrapped <= direct + 1e-9)
    # oracle: brute force over the 7 images by a slow loop
    for i in range(0, 500, 50):
        for s in range(19):
            best = min(
                math.hypot(ue[i, 0] - layout.site_xy_m[s, 0] - sx, ue[i, 1] - layout.site_xy_m[s, 1] - sy)
                for sx, sy in layout.wrap_shifts_m
            )
            assert wrapped[i, s] == pytest.approx(best)
    # a UE just outside the cluster edge at 1200 m along 30 deg: the lattice point 1500 m
    # along 30 deg beyond it is the image of the site 1000 m away at 150 deg, so that site,
    # 1,750 m away directly, is 300 m away through wrap-around (only the site 1000 m away
    # along 30 deg is nearer). The grid has its ring-1 sites at 30, 90, ..., 330 deg.
    c30, s30 = math.cos(math.radians(30.0)), math.sin(math.radians(30.0))
    edge_ue = np.asarray([[1200.0 * c30, 1200.0 * s30]])
    dx, dy = nearest_image_offsets_m(edge_ue, layout.site_xy_m, layout.wrap_shifts_m)
    d = np.hypot(dx, dy)[0]
    far_xy = np.asarray([-1000.0 * c30, 1000.0 * s30])
    far = int(np.argmin(np.hypot(*(layout.site_xy_m - far_xy).T)))
    assert np.allclose(layout.site_xy_m[far], far_xy)
    assert d[far] == pytest.approx(300.0)
    assert np.argsort(d)[1] == far
    assert math.hypot(*(edge_ue[0] - layout.site_xy_m[far])) > 1700.0


def test_inh_layout() -> None:
    layout = inh_office_layout(3.0, sectors_per_site=1)
    assert layout.n_sites == 12 and layout.n_cells == 12
    xs = np.unique(layout.site_xy_m[:, 0])
    ys = np.unique(layout.site_xy_m[:, 1])
    assert np.allclose(np.diff(xs), 20.0) and np.allclose(np.diff(ys), 20.0)
    assert xs.size == 6 and ys.size == 2
    assert inh_office_layout(3.0).n_cells == 36


def test_ue_drop_counts_min_distance_and_region() -> None:
    layout = hex_layout(2, 500.0, 25.0)
    drop = drop_ues(layout, per_sector=50, min_distance_2d_m=35.0, indoor_fraction=0.8, rng=stream(5, "ue"))
    assert drop.n_ue == 57 * 50
    assert np.array_equal(np.bincount(drop.home_cell), np.full(57, 50))
    own = layout.site_xy_m[layout.cell_site[drop.home_cell]]
    d_own = np.hypot(*(drop.xy_m - own).T)
    assert d_own.min() >= 35.0
    # inside the sector's clover-leaf cell: a hexagon of circumradius ISD/3 centred ISD/3
    # from the site along the boresight (so at most 2 ISD/3 from the site)
    b = np.radians(layout.cell_bearing_deg[drop.home_cell])
    centre = own + (500.0 / 3.0) * np.stack([np.cos(b), np.sin(b)], axis=1)
    assert np.all(np.hypot(*(drop.xy_m - centre).T) <= 500.0 / 3.0 + 1e-6)
    assert d_own.max() <= 2.0 * 500.0 / 3.0 + 1e-6
    # UEs of a sector lie within +-60 deg of its boresight
    rel = np.degrees(np.arctan2(*(drop.xy_m - own).T[::-1])) - layout.cell_bearing_deg[drop.home_cell]
    rel = (rel + 180.0) % 360.0 - 180.0
    assert np.all(np.abs(rel) <= 60.0 + 1e-9)


def test_indoor_share_and_floor_distribution() -> None:
    """Indoor share 0.8; n_fl ~ U{1..N_fl}, N_fl ~ U{4..8}: P(n_fl = k) = (1/5) sum_{N>=max(k,4)} 1/N."""
    layout = hex_layout(2, 500.0, 25.0)
    drop = drop_ues(layout, per_sector=400, min_distance_2d_m=35.0, indoor_fraction=0.8, rng=stream(11, "ue"))
    n = drop.n_ue
    share = drop.indoor.mean()
    assert abs(share - 0.8) < N_SIGMA * math.sqrt(0.8 * 0.2 / n)
    floors = drop.floor[drop.indoor]
    m = floors.size
    for k in range(1, 9):
        p = sum(1.0 / nn for nn in range(max(k, 4), 9)) / 5.0
        obs = np.mean(floors == k)
        assert abs(obs - p) < N_SIGMA * math.sqrt(p * (1 - p) / m), (k, obs, p)
    assert np.allclose(drop.height_m[drop.indoor], 3.0 * (floors - 1) + 1.5)
    assert np.allclose(drop.height_m[~drop.indoor], 1.5)


def test_empty_drop() -> None:
    layout = hex_layout(1, 500.0, 25.0)
    drop = drop_ues(layout, per_sector=0, min_distance_2d_m=35.0, indoor_fraction=0.8, rng=stream(1, "ue"))
    assert drop.n_ue == 0 and drop.xy_m.shape == (0, 2)


def test_axial_ring_order_is_counter_clockwise_from_east() -> None:
    qr = hex_axial_coords(1)
    assert qr[1].tolist() == [1, 0]
    assert len({tuple(x) for x in qr.tolist()}) == 7
