"""Named random streams spawned from one root seed.

Each consumer asks for its stream by name, so switching one model on or off never moves the
draws of another (STYLE rule 6), and a stream depends only on (seed, drop, name): serial and
parallel runs give identical results.
"""

from __future__ import annotations

import hashlib

import numpy as np


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
