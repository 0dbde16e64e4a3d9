"""Per-link fading traces drawn by counter (:func:`nrsim.channel.fading.keyed_link_traces`):
the interfering links of the call core (``slots.fading.interferers = "faded"``)."""

from __future__ import annotations

import numpy as np

from nrsim.channel.fading import build_fading_bank, keyed_link_traces

FREQS_HZ = 360e3 * np.arange(24)


def _bank():
    return build_fading_bank("TDL-C", 100e-9, FREQS_HZ, np.array([3.0, 60.0]), 3.5, 5e-4, rows_budget=4096,
                             rng=np.random.default_rng(1))


def test_a_link_keeps_its_trace_whatever_the_other_links_and_their_order() -> None:
    bank = _bank()
    rng = np.random.default_rng(2)
    ue = np.repeat(np.arange(40, dtype=np.int64), 6).reshape(40, 6)
    cell = np.stack([rng.choice(57, 6, replace=False) for _ in range(40)]).astype(np.int64)
    cls = (np.arange(40) % 2)[:, None].repeat(6, axis=1)
    full = keyed_link_traces(bank, cls, key=77, ue=ue, cell=cell)
    perm = rng.permutation(6)  # the strongest cells in another order
    again = keyed_link_traces(bank, cls[:, perm], key=77, ue=ue[:, perm], cell=cell[:, perm])
    for f in ("base_row", "offset", "period"):
        np.testing.assert_array_equal(getattr(again, f), getattr(full, f)[:, perm])
    one = keyed_link_traces(bank, cls[7:8, 2], key=77, ue=ue[7:8, 2], cell=cell[7:8, 2])  # alone
    assert one.base_row[0] == full.base_row[7, 2] and one.offset[0] == full.offset[7, 2]
    other = keyed_link_traces(bank, cls, key=78, ue=ue, cell=cell)  # another drop's key
    assert (other.base_row != full.base_row).mean() > 0.5


def test_keyed_traces_stay_in_their_class_and_spread_over_it() -> None:
    bank = _bank()
    n = 20_000
    ue = np.arange(n, dtype=np.int64) // 8
    cell = np.arange(n, dtype=np.int64) % 8
    for c in (0, 1):
        tr = keyed_link_traces(bank, np.full(n, c), key=5, ue=ue, cell=cell)
        lo = bank.class_first_row[c]
        t_len, n_real = bank.class_trace_slots[c], bank.class_realisations[c]
        real = (tr.base_row - lo) // t_len
        assert ((tr.base_row - lo) % t_len == 0).all() and real.min() >= 0 and real.max() == n_real - 1
        assert tr.offset.min() >= 0 and tr.offset.max() < t_len and (tr.period == t_len).all()
        # uniform over realisations: each within 5 sigma of n / n_real
        counts = np.bincount(real, minlength=n_real)
        assert np.abs(counts - n / n_real).max() < 5 * np.sqrt(n / n_real)
