"""The one counter-based generator (nrsim.rng.counter_uniform_core) against an independent
pure-Python SplitMix64 oracle (Steele, Lea & Flood, OOPSLA 2014), and its users: the NumPy
link uniforms and the mobile-call kernel's slot draws."""

from __future__ import annotations

import numpy as np

from nrsim.engine.call_kernels import counter_uniform
from nrsim.rng import counter_uniform_core, link_key, link_uniform_core, link_uniforms

MASK = (1 << 64) - 1


def oracle(key: int, a: int, b: int, c: int) -> float:
    z = (key + (a + 1) * 0x9E3779B97F4A7C15 + (b + 1) * 0xD1B54A32D192ED03
         + (c + 1) * 0x8CB92BA72F3D8DD7) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    z ^= z >> 31
    return (z >> 11) / 2.0**53


def test_core_and_its_array_form_match_the_oracle() -> None:
    key = link_key(7, 3)
    ue = np.array([0, 1, 5, 123_456_789])[:, None]
    site = np.array([0, 2, 9_999])[None, :]
    for variate in (0, 1, 2):
        arr = link_uniforms(key, ue, site, variate)
        assert arr.shape == (4, 3)
        for i in range(4):
            for j in range(3):
                u, s = int(ue[i, 0]), int(site[0, j])
                expected = oracle(key, u, s, variate)
                assert arr[i, j] == expected
                assert link_uniform_core(np.uint64(key), u, s, variate) == expected
                assert counter_uniform_core(np.uint64(key), u, s, variate) == expected


def test_slot_draws_use_the_same_core() -> None:
    key = np.uint64(0xDEADBEEF12345678)
    for t, u, d in ((0, 0, 0), (17, 3, 1), (100_000, 999, 1)):
        assert counter_uniform(key, t, u, d) == oracle(int(key), u, t, d)


def test_uniforms_are_uniform() -> None:
    u = link_uniforms(link_key(1, 0), np.arange(20_000)[:, None], np.arange(5)[None, :], 0).ravel()
    assert u.min() >= 0.0 and u.max() < 1.0
    # 100k draws: the mean is within 5 sigma (sigma = 1 / sqrt(12 n) = 9.1e-4) of 1/2
    assert abs(u.mean() - 0.5) < 5 * 9.2e-4
