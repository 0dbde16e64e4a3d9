"""The compiled pieces of the handover step against the NumPy expressions they replace
(bit-identical: the same operations in the same order)."""

from __future__ import annotations

import numpy as np

from nrsim.mobility.handover import (
    NO_CELL,
    PHASE_NONE,
    add_serving,
    best_neighbour,
    l3_coefficient,
    l3_filter_inplace,
    l3_filter_step,
    radio_link_monitoring,
    time_to_trigger,
)


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
    for trial in range(600):
        # up to 8 cells, and wider rows (the four-chain maximum and its remainder)
        n_ue, n_cells = int(rng.integers(1, 30)), int(rng.integers(1, 9 if trial % 2 else 70))
        f = rng.normal(size=(n_ue, n_cells)).round(1)  # ties
        f[rng.random(f.shape) < 0.1] = -0.0  # ties of -0.0 and 0.0: the first one, its sign kept
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
        np.testing.assert_array_equal(np.signbit(best_f), np.signbit(masked[rows, want_n]))
        np.testing.assert_array_equal(serv_f, f[rows, serving])


def test_add_serving_adds_each_ues_serving_value() -> None:
    rng = np.random.default_rng(3)
    f = rng.normal(size=(9, 4))
    serving = rng.integers(0, 4, 9)
    total = rng.normal(size=9)
    want = total + f[np.arange(9), serving]
    add_serving(total, f, serving)
    np.testing.assert_array_equal(total, want)


def test_l3_filter_step_is_the_three_separate_kernels_bit_for_bit() -> None:
    """One pass (filter, serving sum, best neighbour) gives what the filter, add_serving and
    best_neighbour give one after the other."""
    rng = np.random.default_rng(11)
    a = l3_coefficient(4, 0.01)
    f = rng.normal(-90.0, 15.0, (50, 21)).round(0)
    m = rng.normal(-90.0, 15.0, (50, 21)).round(0)
    serving = rng.integers(0, 21, 50)
    total = rng.normal(size=50)
    f_ref, total_ref = f.copy(), total.copy()
    l3_filter_inplace(f_ref, m, a)
    add_serving(total_ref, f_ref, serving)
    want = best_neighbour(f_ref, serving)
    got = (np.empty(50), np.empty(50, dtype=np.int64), np.empty(50))
    l3_filter_step(f, m, a, serving, total, *got, True)
    np.testing.assert_array_equal(f, f_ref)
    np.testing.assert_array_equal(total, total_ref)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


def _rlm_numpy(active, sinr, q_out, q_in, n310, n311, t310_s, dt_s, n_oos, n_is, t310_left):
    """Reference: radio-link monitoring as the NumPy expressions of HandoverState.step."""
    oos = active & (sinr < q_out)
    ins = active & (sinr > q_in)
    n_oos = np.where(oos, n_oos + 1, np.where(active, 0, n_oos))
    n_is = np.where(ins, n_is + 1, np.where(active, 0, n_is))
    running = np.isfinite(t310_left)
    start = active & ~running & (n_oos >= n310)
    t310_left = np.where(start, t310_s, t310_left)
    stop = running & (n_is >= n311)
    t310_left = np.where(stop, np.inf, t310_left)
    running = np.isfinite(t310_left)
    t310_left = np.where(running & ~start, t310_left - dt_s, t310_left)
    return n_oos, n_is, t310_left, running & (t310_left <= 1e-12)


def test_radio_link_monitoring_is_the_numpy_expressions() -> None:
    """Counters, T310 (start, stop, count-down, expiry incl. T310 = 0) and the RLF flags equal
    the vectorised reference over random states, steps chained."""
    rng = np.random.default_rng(5)
    n = 400
    for n310, n311, t310_s in ((1, 1, 0.05), (3, 2, 0.03), (2, 1, 0.0)):
        n_oos, n_is = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        t310 = np.where(rng.random(n) < 0.3, rng.integers(0, 6, n) * 0.01, np.inf)
        ref = (n_oos.copy(), n_is.copy(), t310.copy())
        for _ in range(40):
            active = rng.random(n) < 0.8
            sinr = rng.normal(-7.0, 2.0, n).round(0)  # on Qout and Qin too
            sinr[rng.random(n) < 0.02] = np.nan
            rlf = np.empty(n, dtype=np.bool_)
            radio_link_monitoring(active, sinr, -8.0, -6.0, n310, n311, t310_s, 0.01, n_oos, n_is, t310, rlf)
            *ref, want_rlf = _rlm_numpy(active, sinr, -8.0, -6.0, n310, n311, t310_s, 0.01, *ref)
            np.testing.assert_array_equal(n_oos, ref[0])
            np.testing.assert_array_equal(n_is, ref[1])
            np.testing.assert_array_equal(t310, ref[2])
            np.testing.assert_array_equal(rlf, want_rlf)
            t310[rlf] = np.inf  # the UE re-establishes
            ref[2][rlf] = np.inf


def _ttt_numpy(cond, best_n, phase, reported, ttt_target, ttt_left, ttt_s, dt_s):
    """Reference: the time-to-trigger as the NumPy expressions of HandoverState.step."""
    reported = np.where(cond & (best_n == reported), reported, NO_CELL)
    cond = cond & (best_n != reported) & (phase == PHASE_NONE)
    new_target = cond & (best_n != ttt_target)
    ttt_left = np.where(new_target, ttt_s, ttt_left)
    ttt_target = np.where(new_target, best_n, ttt_target)
    ttt_left = np.where(cond & ~new_target, ttt_left - dt_s, ttt_left)
    ttt_left = np.where(cond, ttt_left, np.inf)
    ttt_target = np.where(cond, ttt_target, NO_CELL)
    return reported, ttt_target, ttt_left, cond & (ttt_left <= 1e-12)


def test_time_to_trigger_is_the_numpy_expressions() -> None:
    rng = np.random.default_rng(9)
    n = 300
    reported = np.where(rng.random(n) < 0.2, rng.integers(0, 4, n), NO_CELL)
    ttt_target = np.full(n, NO_CELL, dtype=np.int64)
    ttt_left = np.full(n, np.inf)
    ref = (reported.copy(), ttt_target.copy(), ttt_left.copy())
    for _ in range(60):
        cond = rng.random(n) < 0.7
        best_n = rng.integers(0, 4, n)  # few cells: the same target often, a new one sometimes
        phase = np.where(rng.random(n) < 0.9, PHASE_NONE, 1)
        fire = np.empty(n, dtype=np.bool_)
        time_to_trigger(cond, best_n, phase, reported, ttt_target, ttt_left, 0.04, 0.01, fire)
        *ref, want_fire = _ttt_numpy(cond, best_n, phase, *ref, 0.04, 0.01)
        for got, want in zip((reported, ttt_target, ttt_left, fire), (*ref, want_fire), strict=True):
            np.testing.assert_array_equal(got, want)
        ttt_left[fire] = np.inf  # the report goes out
        ttt_target[fire] = NO_CELL
        reported[fire] = best_n[fire]
        ref[1][fire], ref[2][fire], ref[0][fire] = NO_CELL, np.inf, best_n[fire]
