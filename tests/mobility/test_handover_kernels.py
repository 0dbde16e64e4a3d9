"""The compiled pieces of the handover step against the NumPy expressions they replace
(bit-identical: the same operations in the same order)."""

from __future__ import annotations

import numpy as np

from nrsim.mobility.handover import add_serving, best_neighbour, l3_coefficient, l3_filter_inplace


def test_l3_filter_in_place_is_the_numpy_expression_bit_for_bit() -> None:
    rng = np.random.default_rng(1)
    a = l3_coefficient(4, 0.01)
    f = rng.normal(-90.0, 15.0, (40, 7))
    f[0, 0] = -np.inf
    m = rng.normal(-90.0, 15.0, (40, 7))
    want = (1.0 - a) * f + a * m
    l3_filter_inplace(f, m, a)
    np.testing.assert_array_equal(f, want)


def test_best_neighbour_is_argmax_with_the_serving_cell_masked() -> None:
    """Strongest other cell (the first maximum; a NaN counts as the maximum, as argmax), its
    value and the serving value, against the masked-copy argmax, including rows that are all
    -inf and single-cell rows."""
    rng = np.random.default_rng(7)
    for trial in range(300):
        n_ue, n_cells = int(rng.integers(1, 30)), int(rng.integers(1, 9))
        f = rng.normal(size=(n_ue, n_cells)).round(1)  # ties
        f[rng.random(f.shape) < 0.2] = -np.inf
        if trial % 3 == 0:
            f[rng.random(f.shape) < 0.1] = np.nan
        if trial % 5 == 0:
            f[rng.random(f.shape) < 0.2] = np.inf
        serving = rng.integers(0, n_cells, n_ue)
        rows = np.arange(n_ue)
        masked = f.copy()
        masked[rows, serving] = -np.inf
        want_n = np.argmax(masked, axis=1)
        serv_f, best_n, best_f = best_neighbour(f, serving)
        np.testing.assert_array_equal(best_n, want_n)
        np.testing.assert_array_equal(best_f, masked[rows, want_n])
        np.testing.assert_array_equal(serv_f, f[rows, serving])


def test_add_serving_adds_each_ues_serving_value() -> None:
    rng = np.random.default_rng(3)
    f = rng.normal(size=(9, 4))
    serving = rng.integers(0, 4, 9)
    total = rng.normal(size=9)
    want = total + f[np.arange(9), serving]
    add_serving(total, f, serving)
    np.testing.assert_array_equal(total, want)
