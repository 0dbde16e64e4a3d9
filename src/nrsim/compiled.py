"""The one numba compilation policy of nrsim.

Every compiled function in the package is decorated with :data:`jit` (or :data:`jit_parallel`
for the few kernels that use ``prange``), so the caching, ``fastmath`` and GIL choices are made
once, here:

- ``cache=True``: compiled machine code is kept in ``__pycache__`` between runs (the first run
  after an install compiles, later runs load).
- ``fastmath=False``: IEEE semantics, so compiled and NumPy paths give the same numbers to the
  last bit where they evaluate the same expression (the oracle tests rely on it).
- ``nogil=True``: kernels release the GIL, so thread-based Dask workers run them in parallel.
"""

from __future__ import annotations

import numba

jit = numba.njit(cache=True, fastmath=False, nogil=True)
"""Serial compiled function (the default for every kernel and scalar core)."""

jit_parallel = numba.njit(cache=True, fastmath=False, nogil=True, parallel=True)
"""Compiled function whose ``numba.prange`` loops run on threads (large per-call work only);
it releases the GIL too, so a worker thread can run it beside serial compiled work (the
channel refresh of moving UEs beside the slot core, :mod:`nrsim.engine.mobility`)."""


def ufunc(signatures: list[str]):
    """Decorator: a NumPy ufunc (broadcasting, elementwise) compiled from a scalar core under
    this policy (cached, IEEE semantics), so array callers and kernels run the same code."""
    return numba.vectorize(signatures, cache=True)


def gufunc(signatures: list[str], layout: str):
    """Decorator: a generalised ufunc (e.g. several outputs per element, ``"(),()->(),()"``)
    compiled under this policy."""
    return numba.guvectorize(signatures, layout, cache=True)
