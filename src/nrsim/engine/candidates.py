"""Candidate sites per UE for the sparse interference form: the K nearest sites (and
optionally only those within a radius), found with a k-d tree (scipy.spatial.cKDTree)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree


def nearest_sites(
    ue_xy_m: NDArray[np.float64],
    site_xy_m: NDArray[np.float64],
    k_sites: int,
    *,
    max_distance_m: float | None = None,
    tree: cKDTree | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The ``k_sites`` nearest sites of every UE.

    Returns
    -------
    cand : int64 [ue, k]
        Site indices, nearest first (entries past ``n_cand`` repeat the nearest site and are
        never read).
    n_cand : int64 [ue]
        Number of valid candidates (k, or fewer within ``max_distance_m``; at least 1).
    """
    n_sites = site_xy_m.shape[0]
    k = int(min(k_sites, n_sites))
    tree = tree if tree is not None else cKDTree(site_xy_m)
    if ue_xy_m.shape[0] == 0:
        return np.zeros((0, k), dtype=np.int64), np.zeros(0, dtype=np.int64)
    dist, idx = tree.query(ue_xy_m, k=k, workers=1)
    dist = np.asarray(dist).reshape(ue_xy_m.shape[0], k)
    idx = np.asarray(idx, dtype=np.int64).reshape(ue_xy_m.shape[0], k)
    if max_distance_m is None:
        n_cand = np.full(ue_xy_m.shape[0], k, dtype=np.int64)
    else:
        n_cand = np.maximum((dist <= max_distance_m).sum(axis=1), 1).astype(np.int64)
    return np.ascontiguousarray(idx), n_cand
