"""Per-link random variates of the clustered channel, keyed by (drop key, UE, site).

The small-scale draws of 7.5 steps 5-10 (cluster delays and shadowing, the X_n signs and Y_n
offsets of the angles, the random coupling of rays, XPRs, initial phases) of the link
between UE ``u`` and site ``s`` are the counter-based variates of
:func:`nrsim.rng.counter_uniform_core` with key ``key`` and counters
(``u``, ``s``, ``call * CALL_STRIDE + i``): ``call`` counts the draw calls of one
:func:`nrsim.channel.tr38901.clusters.generate_clusters` run (a fixed sequence) and ``i``
is the variate's index within the link's block. A link's rays therefore depend only on the
key, the UE, the site and its own LSPs, never on which other links are computed with it, in
which order or chunk, or on how many workers share the drop. The cells (sectors) of one site
share the rays of the UE-site link (one propagation environment; only their panels differ).

Normal variates are Phi^-1(u) (:func:`nrsim.channel.field_read.std_normal_ppf`) of the
same uniforms.

:class:`LinkDraws` offers the four :class:`numpy.random.Generator` methods that
``generate_clusters`` calls (``random``, ``uniform``, ``standard_normal``, ``integers``), so
the same step functions run with a sequential generator (tests) or keyed draws (the channel).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from nrsim.channel.field_read import std_normal_ppf
from nrsim.compiled import jit
from nrsim.rng import counter_uniform_core, stream

CALL_STRIDE = 1 << 20
"""Counter distance between two draw calls (a link draws fewer variates per call)."""
_TINY = 2.0**-54


@jit
def _keyed_uniforms(key: np.uint64, ue: NDArray[np.int64], site: NDArray[np.int64], base: np.int64,
                    per_link: np.int64, normal: bool) -> NDArray[np.float64]:
    n = ue.shape[0]
    out = np.empty((n, per_link), dtype=np.float64)
    for i in range(n):
        for j in range(per_link):
            u = counter_uniform_core(key, ue[i], site[i], base + j)
            if normal:
                out[i, j] = std_normal_ppf(u if u > 0.0 else _TINY)
            else:
                out[i, j] = u
    return out


class LinkDraws:
    """Keyed per-link variates (module docstring) for the links (``ue``, ``site``), int64
    [link]; every draw has the link axis first: ``size = (n_link, ...)``."""

    def __init__(self, key: int, ue: NDArray[np.int64], site: NDArray[np.int64]) -> None:
        self.key = np.uint64(int(key) % 2**64)
        self.ue = np.ascontiguousarray(ue, dtype=np.int64)
        self.site = np.ascontiguousarray(site, dtype=np.int64)
        self._call = 0

    def _draw(self, size: tuple[int, ...], normal: bool) -> NDArray[np.float64]:
        size = tuple(int(x) for x in size)
        if size[0] != self.ue.shape[0]:
            raise ValueError(f"draw of shape {size} for {self.ue.shape[0]} links")
        per = int(math.prod(size[1:]))
        if per >= CALL_STRIDE:
            raise ValueError(f"{per} variates per link exceed the call stride {CALL_STRIDE}")
        base = self._call * CALL_STRIDE
        self._call += 1
        return _keyed_uniforms(self.key, self.ue, self.site, np.int64(base), np.int64(per), normal).reshape(size)

    def random(self, size: tuple[int, ...]) -> NDArray[np.float64]:
        """Uniform in [0, 1)."""
        return self._draw(size, False)

    def uniform(self, low: float, high: float, size: tuple[int, ...]) -> NDArray[np.float64]:
        """Uniform in [low, high)."""
        return low + (high - low) * self._draw(size, False)

    def standard_normal(self, size: tuple[int, ...]) -> NDArray[np.float64]:
        """Unit normal (inverse CDF of the keyed uniforms)."""
        return self._draw(size, True)

    def integers(self, low: int, high: int, size: tuple[int, ...]) -> NDArray[np.int64]:
        """Whole numbers in [low, high)."""
        return low + np.floor(self._draw(size, False) * (high - low)).astype(np.int64)


def cluster_key(seed: int, drop: int) -> int:
    """The 64-bit key of a drop's per-link cluster and ray draws (named stream ``"clusters"``)."""
    return int(stream(seed, "clusters", drop=drop).integers(0, 2**63, dtype=np.int64))
