"""Named random streams spawned from one root seed.

Each consumer asks for its stream by name, so switching one model on or off never moves the
draws of another (STYLE rule 6), and a stream depends only on (seed, drop, name): serial and
parallel runs give identical results.
"""

from __future__ import annotations

import hashlib

import numpy as np

from nrsim.compiled import jit, ufunc


def _name_key(name: str) -> int:
    """A stable 32-bit integer from a stream name (independent of PYTHONHASHSEED)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "little")


def stream(seed: int, name: str, *, drop: int = 0) -> np.random.Generator:
    """The generator for stream ``name`` of drop ``drop`` under root ``seed``.

    Parameters
    ----------
    seed : int
        Root seed of the run (>= 0).
    name : str
        Stream name, e.g. ``"ue_drop"``, ``"los"``, ``"shadowing"``.
    drop : int
        Drop index (>= 0).
    """
    ss = np.random.SeedSequence(entropy=int(seed), spawn_key=(int(drop), _name_key(name)))
    return np.random.Generator(np.random.PCG64(ss))


# --- counter-based per-link variates --------------------------------------------------------
# Link-level draws (LOS state, UMa h_E) are keyed by (drop key, UE index, site index, variate)
# rather than taken from a sequential stream, so that the value of a UE-site link does not
# depend on which other links are computed: dense and sparse (candidate-site) runs, any
# chunking of UEs and any number of workers see the same number for the same link. The key
# comes from the named stream ``links`` of the drop; the mixing function is the SplitMix64
# finaliser (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA
# 2014), whose outputs pass BigCrush for counter inputs.

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MUL_B = np.uint64(0xD1B54A32D192ED03)
_MUL_C = np.uint64(0x8CB92BA72F3D8DD7)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_ONE = np.uint64(1)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_INV_2_53 = 1.0 / 9007199254740992.0


@jit
def counter_uniform_core(key: np.uint64, a: np.int64, b: np.int64, c: np.int64) -> float:
    """The one counter-based generator of nrsim: a uniform variate in [0, 1) of the 64-bit
    ``key`` and three counters >= 0 (a link: UE, site, variate; a slot draw: UE, slot,
    direction). A Weyl-style combination of the counters, each times its odd constant, goes
    through the SplitMix64 finaliser (Steele, Lea & Flood, OOPSLA 2014); the top 53 bits
    give the variate."""
    z = (
        key
        + (np.uint64(a) + _ONE) * _GOLDEN
        + (np.uint64(b) + _ONE) * _MUL_B
        + (np.uint64(c) + _ONE) * _MUL_C
    )
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return float(z >> _S11) * _INV_2_53


@jit
def link_uniform_core(key: np.uint64, ue: np.int64, site: np.int64, variate: np.int64) -> float:
    """The uniform of variate ``variate`` of the UE-site link (``ue``, ``site``) of a drop
    keyed by ``key`` (:func:`counter_uniform_core`); :func:`link_uniforms` is its array form."""
    return counter_uniform_core(key, ue, site, variate)


@ufunc(["float64(uint64, int64, int64, int64)"])
def _link_uniforms_ufunc(key, ue, site, variate):
    return counter_uniform_core(key, ue, site, variate)


LINK_VARIATE_LOS = 0
LINK_VARIATE_HE_1M = 1
LINK_VARIATE_HE_LEVEL = 2


def link_key(seed: int, drop: int) -> int:
    """The 64-bit key of the per-link variates of a drop (from the named stream ``links``)."""
    return int(stream(seed, "links", drop=drop).integers(0, 2**63, dtype=np.int64))


def link_uniforms(
    key: int, ue_index: np.ndarray, site_index: np.ndarray, variate: int
) -> np.ndarray:
    """Uniform variates in [0, 1) for UE-site links, elementwise over broadcastable integer
    arrays ``ue_index`` and ``site_index`` (e.g. [ue, 1] and [1, site] -> [ue, site]): a NumPy
    ufunc over :func:`link_uniform_core`, the generator the compiled kernels call."""
    return np.asarray(
        _link_uniforms_ufunc(np.uint64(key), np.asarray(ue_index, dtype=np.int64),
                             np.asarray(site_index, dtype=np.int64), np.int64(variate)),
        dtype=np.float64,
    )
