"""Element pattern, column array and coordinate transforms of TR 38.901 V17.0.0, 7.1 and 7.3."""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import pytest

from nrsim.channel.tr38901 import antenna as ant
from nrsim.errors import ConfigError

ANGLE_TOL_DEG = 1e-9
"""Float64 round-off in angle conversions [deg]."""

GAIN_TOL_DB = 1e-9
"""Float64 round-off between the vectorised gain and the scalar oracle [dB]."""


# --------------------------------------------------------------------------------------------
# Table 7.3-1 element pattern
# --------------------------------------------------------------------------------------------


def test_element_pattern_spec_points() -> None:
    # Boresight: G_E,max = 8 dBi.
    assert ant.element_pattern_db(90.0, 0.0) == pytest.approx(8.0, abs=GAIN_TOL_DB)
    # Half the 3 dB beamwidth off boresight in azimuth: 12 (32.5/65)^2 = 3 dB down.
    assert ant.element_pattern_db(90.0, 32.5) == pytest.approx(5.0, abs=GAIN_TOL_DB)
    assert ant.element_pattern_db(90.0, -32.5) == pytest.approx(5.0, abs=GAIN_TOL_DB)
    # Same in elevation.
    assert ant.element_pattern_db(122.5, 0.0) == pytest.approx(5.0, abs=GAIN_TOL_DB)
    # Far back: A_max = 30 dB below the peak.
    assert ant.element_pattern_db(90.0, 180.0) == pytest.approx(8.0 - 30.0, abs=GAIN_TOL_DB)
    assert ant.element_pattern_db(0.0, 180.0) == pytest.approx(8.0 - 30.0, abs=GAIN_TOL_DB)
    # Vertical side-lobe floor SLA_V = 30 dB: 12 ((0 - 90)/65)^2 = 23.0 dB < 30 at zenith.
    assert ant.element_pattern_db(0.0, 0.0) == pytest.approx(8.0 - 12.0 * (90 / 65) ** 2)


def test_element_pattern_against_oracle(ref: ModuleType) -> None:
    theta = np.linspace(0.0, 180.0, 37)[:, None]  # [ue, 1]
    phi = np.linspace(-180.0, 180.0, 25)[None, :]  # [1, cell]
    out = ant.element_pattern_db(theta, phi)
    assert out.shape == (37, 25)
    for i, t in enumerate(theta[:, 0]):
        for j, p in enumerate(phi[0]):
            assert out[i, j] == pytest.approx(ref.element_dbi(t, p), abs=GAIN_TOL_DB)


def test_element_pattern_wraps_azimuth() -> None:
    assert ant.element_pattern_db(90.0, 360.0 + 32.5) == pytest.approx(5.0, abs=GAIN_TOL_DB)
    assert ant.element_pattern_db(90.0, 327.5) == pytest.approx(5.0, abs=GAIN_TOL_DB)


# --------------------------------------------------------------------------------------------
# 7.3.1 column array
# --------------------------------------------------------------------------------------------


def test_single_element_column_is_the_element() -> None:
    theta = np.linspace(0.0, 180.0, 91)[:, None]
    phi = np.linspace(-180.0, 180.0, 19)[None, :]
    np.testing.assert_allclose(
        ant.column_array_gain_dbi(theta, phi, 1, 0.5, 102.0),
        ant.element_pattern_db(theta, phi),
        atol=GAIN_TOL_DB,
    )


def test_column_peak_gain() -> None:
    # Broadside steering: element and array peaks coincide, 8 + 10 log10(10) = 18 dBi.
    assert ant.column_array_gain_dbi(90.0, 0.0, 10, 0.5, 90.0) == pytest.approx(18.0, abs=1e-9)
    # Steered to 102 deg: array adds 10 dB there; the (untilted) element gives
    # 8 - 12 (12/65)^2 = 7.591 dBi, so 17.591 dBi in the steering direction.
    expected = 8.0 - 12.0 * (12.0 / 65.0) ** 2 + 10.0
    assert ant.column_array_gain_dbi(102.0, 0.0, 10, 0.5, 102.0) == pytest.approx(
        expected, abs=1e-9
    )
    theta = np.linspace(0.0, 180.0, 18001)
    gain = ant.column_array_gain_dbi(theta, 0.0, 10, 0.5, 102.0)
    assert gain.max() <= 18.0 + 1e-9
    assert 100.0 < theta[np.argmax(gain)] <= 102.0  # main lobe around the steering angle


@pytest.mark.parametrize(
    ("theta", "phi", "m", "d_v", "etilt"),
    [(95.0, 10.0, 8, 0.5, 96.0), (110.0, -40.0, 10, 0.5, 102.0), (70.0, 0.0, 4, 0.8, 100.0),
     (150.0, 120.0, 10, 0.5, 102.0), (102.0, 0.0, 3, 0.7, 90.0)],
)
def test_column_against_oracle(
    theta: float, phi: float, m: int, d_v: float, etilt: float, ref: ModuleType
) -> None:
    assert ant.column_array_gain_dbi(theta, phi, m, d_v, etilt) == pytest.approx(
        ref.column_dbi(theta, phi, m, d_v, etilt), abs=GAIN_TOL_DB
    )


def test_column_per_cell_parameters(ref: ModuleType) -> None:
    theta = np.array([[95.0, 100.0, 105.0], [120.0, 91.0, 99.0]])  # [ue, cell]
    m = np.array([1, 4, 10])  # [cell]
    etilt = np.array([90.0, 96.0, 102.0])  # [cell]
    out = ant.column_array_gain_dbi(theta, 0.0, m, 0.5, etilt)
    for u in range(2):
        for c in range(3):
            assert out[u, c] == pytest.approx(
                ref.column_dbi(theta[u, c], 0.0, int(m[c]), 0.5, etilt[c]), abs=GAIN_TOL_DB
            )


def test_element_parameters_reach_every_gain_function() -> None:
    # Hand values of Table 7.3-1 with a non-default element: phi_3dB = 90 deg, G_E,max = 5 dBi,
    # A_max = 20 dB. At phi = 45 deg: A_H = -12 (45/90)^2 = -3 dB -> 2 dBi; behind: 5 - 20.
    wide = ant.ElementPattern(phi_3db_deg=90.0, a_max_db=20.0, g_max_dbi=5.0)
    assert ant.element_pattern_db(90.0, 45.0, wide) == pytest.approx(2.0, abs=GAIN_TOL_DB)
    assert ant.element_pattern_db(90.0, 180.0, wide) == pytest.approx(-15.0, abs=GAIN_TOL_DB)
    # A one-element column is the element; the full chain (boresight east, no tilt) too.
    assert ant.column_array_gain_dbi(90.0, 45.0, 1, element=wide) == pytest.approx(2.0, abs=GAIN_TOL_DB)
    dx, dy = math.cos(math.radians(45.0)), math.sin(math.radians(45.0))
    assert ant.bs_antenna_gain_dbi(dx, dy, 0.0, 0.0, 0.0, 1, 90.0, element=wide) == pytest.approx(
        2.0, abs=GAIN_TOL_DB
    )
    assert ant.TR38901_ELEMENT == ant.ElementPattern(65.0, 65.0, 30.0, 30.0, 8.0)


def test_column_rejects_bad_element_count() -> None:
    for bad in (0, 2.5, -3, [4, 0]):
        with pytest.raises(ConfigError) as err:
            ant.column_array_gain_dbi(90.0, 0.0, bad)
        assert err.value.field == "n_elements"
    with pytest.raises(TypeError):
        ant.column_array_gain_dbi(90.0, 0.0, 4, theta3db_deg=65.0)  # misspelt keyword


# --------------------------------------------------------------------------------------------
# 7.1 coordinate systems
# --------------------------------------------------------------------------------------------


def _rotation(alpha_deg: float, beta_deg: float, gamma_deg: float) -> np.ndarray:
    """R = R_Z(alpha) R_Y(beta) R_X(gamma) of TR 38.901 7.1.3, written out matrix by matrix."""
    a, b, g = (math.radians(x) for x in (alpha_deg, beta_deg, gamma_deg))
    r_z = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    r_y = np.array([[math.cos(b), 0, math.sin(b)], [0, 1, 0], [-math.sin(b), 0, math.cos(b)]])
    r_x = np.array([[1, 0, 0], [0, math.cos(g), -math.sin(g)], [0, math.sin(g), math.cos(g)]])
    return r_z @ r_y @ r_x


def test_gcs_to_lcs_without_downtilt() -> None:
    theta = np.array([30.0, 90.0, 120.0, 90.0])
    phi = np.array([10.0, -170.0, 100.0, 30.0])
    t, p = ant.gcs_to_lcs_angles(theta, phi, 30.0, 0.0)
    np.testing.assert_allclose(t, theta, atol=ANGLE_TOL_DEG)
    np.testing.assert_allclose(p, [-20.0, 160.0, 70.0, 0.0], atol=ANGLE_TOL_DEG)


def test_gcs_to_lcs_with_downtilt() -> None:
    # Straight along the tilted boresight (12 deg below the horizon at bearing 30 deg).
    t, p = ant.gcs_to_lcs_angles(102.0, 30.0, 30.0, 12.0)
    assert t == pytest.approx(90.0, abs=ANGLE_TOL_DEG)
    assert p == pytest.approx(0.0, abs=ANGLE_TOL_DEG)
    # Horizontal in the boresight azimuth: 10 deg above the tilted boresight.
    t, p = ant.gcs_to_lcs_angles(90.0, -45.0, -45.0, 10.0)
    assert t == pytest.approx(80.0, abs=ANGLE_TOL_DEG)
    assert p == pytest.approx(0.0, abs=ANGLE_TOL_DEG)


@pytest.mark.parametrize(
    ("alpha", "beta", "gamma"), [(0.0, 0.0, 0.0), (30.0, 12.0, 0.0), (-120.0, 6.0, 0.0),
                                 (200.0, -5.0, 0.0), (45.0, 10.0, 20.0)],
)
def test_gcs_to_lcs_matches_rotation_matrix(alpha: float, beta: float, gamma: float) -> None:
    rng = np.random.default_rng(13)
    theta = rng.uniform(0.5, 179.5, 200)
    phi = rng.uniform(-180.0, 180.0, 200)
    t_lcs, p_lcs = ant.gcs_to_lcs_angles(theta, phi, alpha, beta, slant_deg=gamma)
    r_inv = _rotation(alpha, beta, gamma).T
    for i in range(theta.size):
        th, ph = math.radians(theta[i]), math.radians(phi[i])
        rho = np.array([math.sin(th) * math.cos(ph), math.sin(th) * math.sin(ph), math.cos(th)])
        x, y, z = r_inv @ rho
        assert t_lcs[i] == pytest.approx(math.degrees(math.acos(z)), abs=1e-7)
        expected_phi = math.degrees(math.atan2(y, x))
        diff = (p_lcs[i] - expected_phi + 180.0) % 360.0 - 180.0
        assert abs(diff) < 1e-7


def test_angles_from_vector() -> None:
    cases = [
        ((1.0, 0.0, 0.0), (90.0, 0.0)),
        ((0.0, 1.0, 0.0), (90.0, 90.0)),
        ((0.0, -1.0, 0.0), (90.0, -90.0)),
        ((-1.0, 0.0, 0.0), (90.0, 180.0)),
        ((-1.0, -0.0, 0.0), (90.0, 180.0)),  # azimuth range is (-180, 180]
        ((0.0, 0.0, 1.0), (0.0, 0.0)),
        ((0.0, 0.0, -1.0), (180.0, 0.0)),
        ((1.0, 0.0, -1.0), (135.0, 0.0)),
        ((1.0, 1.0, math.sqrt(2.0)), (45.0, 45.0)),
    ]
    for (dx, dy, dz), (theta, phi) in cases:
        t, p = ant.angles_from_vector_deg(dx, dy, dz)
        assert t == pytest.approx(theta, abs=ANGLE_TOL_DEG)
        assert p == pytest.approx(phi, abs=ANGLE_TOL_DEG)


def test_wrap_angle() -> None:
    np.testing.assert_allclose(
        ant.wrap_angle_deg([-540.0, -180.0, -190.0, 0.0, 180.0, 190.0, 720.0]),
        [180.0, 180.0, 170.0, 0.0, 180.0, -170.0, 0.0],
        atol=ANGLE_TOL_DEG,
    )


# --------------------------------------------------------------------------------------------
# Convenience chain
# --------------------------------------------------------------------------------------------


def test_bs_gain_towards_tilted_boresight() -> None:
    # UE 100 m from the BS at bearing 30 deg, 12 deg below the BS horizon.
    d = 100.0
    dx, dy = d * math.cos(math.radians(30.0)), d * math.sin(math.radians(30.0))
    dz = -d * math.tan(math.radians(12.0))
    # Mechanical tilt 12 deg, broadside electrical steering: the full 18 dBi.
    assert ant.bs_antenna_gain_dbi(dx, dy, dz, 30.0, 12.0, 10, 90.0) == pytest.approx(18.0)
    # No mechanical tilt, electrical steering to 102 deg: the column gain at (102, 0).
    assert ant.bs_antenna_gain_dbi(dx, dy, dz, 30.0, 0.0, 10, 102.0) == pytest.approx(
        8.0 - 12.0 * (12.0 / 65.0) ** 2 + 10.0
    )


def test_bs_gain_dense_and_sparse_agree() -> None:
    rng = np.random.default_rng(21)
    n_ue, n_cell, k = 30, 9, 3
    ue_xyz = np.column_stack([rng.uniform(-500, 500, (n_ue, 2)), np.full(n_ue, 1.5)])  # [ue, 3]
    site_xy = rng.uniform(-500, 500, (n_cell // 3, 2))
    cell_xyz = np.column_stack([np.repeat(site_xy, 3, axis=0), np.full(n_cell, 25.0)])  # [cell, 3]
    bearing = np.tile([30.0, 150.0, 270.0], n_cell // 3)  # [cell]
    tilt = np.full(n_cell, 6.0)
    delta = ue_xyz[:, None, :] - cell_xyz[None, :, :]  # [ue, cell, 3]
    dense = ant.bs_antenna_gain_dbi(
        delta[..., 0], delta[..., 1], delta[..., 2], bearing, tilt, 8, 96.0
    )  # [ue, cell]
    assert dense.shape == (n_ue, n_cell)
    cell_idx = rng.integers(0, n_cell, (n_ue, k))  # [ue, k]
    d_k = np.take_along_axis(delta, cell_idx[..., None], axis=1)  # [ue, k, 3]
    sparse = ant.bs_antenna_gain_dbi(
        d_k[..., 0], d_k[..., 1], d_k[..., 2], bearing[cell_idx], tilt[cell_idx], 8, 96.0
    )
    np.testing.assert_array_equal(sparse, np.take_along_axis(dense, cell_idx, axis=1))
    empty = np.zeros((0, n_cell))
    assert ant.bs_antenna_gain_dbi(empty, empty, empty, bearing, tilt, 8, 96.0).shape == (0, n_cell)
