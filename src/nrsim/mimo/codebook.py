"""Type I single-panel codebook of TS 38.214 V17 (e.g. V17.5.0), 5.2.2.2.1, ranks 1-4.

Definitions of 5.2.2.2.1 (all phases exact)::

    phi_n   = exp(j pi n / 2)                 theta_p = exp(j pi p / 4)
    u_m     = [1, exp(j 2 pi m / (O2 N2)), ..., exp(j 2 pi m (N2 - 1) / (O2 N2))]   (u_m = 1 if N2 = 1)
    v_l,m   = [u_m, exp(j 2 pi l / (O1 N1)) u_m, ..., exp(j 2 pi l (N1 - 1) / (O1 N1)) u_m]^T
    v~_l,m  = [u_m, exp(j 4 pi l / (O1 N1)) u_m, ..., exp(j 4 pi l (N1/2 - 1) / (O1 N1)) u_m]^T

so port p of one polarisation is n1 N2 + n2 (the N2 index runs fastest), and the second
polarisation holds ports N1 N2 .. 2 N1 N2 - 1. The precoders (Tables 5.2.2.2.1-5..8)::

    rank 1:  W = 1/sqrt(P)  [v_lm; phi_n v_lm]
    rank 2:  W = 1/sqrt(2P) [v_lm, v_l'm'; phi_n v_lm, -phi_n v_l'm']
    rank 3 (P < 16): 1/sqrt(3P) [v_lm, v_l'm', v_lm; phi_n v_lm, phi_n v_l'm', -phi_n v_lm]
    rank 4 (P < 16): 1/sqrt(4P) [v_lm, v_l'm', v_lm, v_l'm'; phi_n v_lm, phi_n v_l'm', -phi_n v_lm, -phi_n v_l'm']
    rank 3/4 (P >= 16): 4 blocks of v~_lm, the columns of the 4 x 4 sign pattern
        (+,+,+,+), (+,-,+,-), (+,+,-,-), (+,-,-,+) (rank 3: the first three) times
        (1, theta_p, phi_n, phi_n theta_p) per block, over sqrt(3P) or sqrt(4P),

with l = i1,1, m = i1,2, l' = i1,1 + k1, m' = i1,2 + k2 (k1, k2 from i1,3 by Tables
5.2.2.2.1-3 and -4), p = i1,3 for P >= 16, n = i2 (codebookMode 1). codebookMode 2 (ranks 1
and 2) halves the i1 grid and lets i2 also pick one of 4 neighbouring beams (Tables -5, -6).
The 2-port codebook of Table 5.2.2.2.1-1 is the configuration (N1, N2) = (1, 1) here, with
i1 = (0, 0, 0) and its codebook index as i2 (a convention of this module).

Entries are exact: every element has modulus 1/sqrt(v P_CSI-RS), and the v layers are
mutually orthogonal (W^H W = I / v) for every entry of ranks 2-4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nrsim.errors import ConfigError
from nrsim.mimo.tables import i13_rank2_table, i13_rank34_table, type1_configs

RANKS: tuple[int, ...] = (1, 2, 3, 4)
"""Ranks (layers) supported here (TS 38.214 Tables 5.2.2.2.1-5..8; ranks 5-8 are not)."""

_PCOL_SIGNS = {1: ((0, 1),), 2: ((0, 1), (1, -1)), 3: ((0, 1), (1, 1), (0, -1)),
               4: ((0, 1), (1, 1), (0, -1), (1, -1))}
"""P < 16 (and ranks 1-2): per layer, (beam: 0 = v_lm, 1 = v_l'm'; sign of the phi_n block)."""
_HADAMARD4 = np.array([[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]], dtype=np.float64)
"""P >= 16, ranks 3-4: per layer (row), the sign of the 4 blocks (v~, theta v~, phi v~, phi theta v~)."""


@dataclass(frozen=True)
class Type1Config:
    """A Type I single-panel codebook configuration (TS 38.214 5.2.2.2.1).

    n1, n2 : antenna ports per polarisation along dimension 1 and 2 (N1, N2).
    o1, o2 : DFT oversampling factors (O1, O2), fixed by Table 5.2.2.2.1-2 for each (N1, N2).
    mode : codebookMode, 1 or 2 (2 changes ranks 1 and 2 only).
    (N1, N2, O1, O2) = (1, 1, 1, 1) is the 2-port codebook (Table 5.2.2.2.1-1).
    """

    n1: int
    n2: int
    o1: int
    o2: int
    mode: int = 1

    def __post_init__(self) -> None:
        key = (self.n1, self.n2, self.o1, self.o2)
        allowed = type1_configs() + ((1, 1, 1, 1),)
        if key not in allowed:
            txt = ", ".join(f"({a},{b},{c},{d})" for a, b, c, d in allowed)
            raise ConfigError(f"(N1, N2, O1, O2) = {key} is not in TS 38.214 Table 5.2.2.2.1-2; "
                              f"allowed: {txt}", field="codebook")
        if self.mode not in (1, 2):
            raise ConfigError(f"codebook mode = {self.mode!r}; allowed: 1, 2", field="codebook.mode")

    @property
    def n_ports(self) -> int:
        """P_CSI-RS = 2 N1 N2."""
        return 2 * self.n1 * self.n2

    @classmethod
    def for_ports(cls, n1: int, n2: int, mode: int = 1) -> Type1Config:
        """The configuration with the (O1, O2) that Table 5.2.2.2.1-2 gives for (N1, N2)."""
        if (n1, n2) == (1, 1):
            return cls(1, 1, 1, 1, mode)
        for a, b, c, d in type1_configs():
            if (a, b) == (n1, n2):
                return cls(a, b, c, d, mode)
        raise ConfigError(f"(N1, N2) = ({n1}, {n2}) is not in TS 38.214 Table 5.2.2.2.1-2",
                          field="codebook")


def phi_n(n: ArrayLike) -> NDArray[np.complex128]:
    """phi_n = exp(j pi n / 2) (TS 38.214 5.2.2.2.1), exact for integer n."""
    return np.asarray([1, 1j, -1, -1j], dtype=np.complex128)[np.asarray(n) % 4]


def theta_p(p: ArrayLike) -> NDArray[np.complex128]:
    """theta_p = exp(j pi p / 4) (TS 38.214 5.2.2.2.1)."""
    return np.exp(1j * np.pi * (np.asarray(p) % 8) / 4.0)


def _phase(k: NDArray, q: int) -> NDArray[np.complex128]:
    """exp(j 2 pi k / q) for integer k, with k reduced mod q first (exact at multiples of q/4)."""
    return np.exp(2j * np.pi * (np.asarray(k) % q) / q)


def dft_beam(l: ArrayLike, m: ArrayLike, n1: int, n2: int, o1: int, o2: int,
             *, half: bool = False) -> NDArray[np.complex128]:
    """v_l,m (or v~_l,m with ``half``) of TS 38.214 V17 5.2.2.2.1.

    Parameters
    ----------
    l, m : int, broadcastable [...]
        Beam indices along dimension 1 and 2.
    half : bool
        v~_l,m: N1/2 ports along dimension 1 with twice the phase step (P >= 16, ranks 3-4).

    Returns
    -------
    complex128 [..., N1 N2] (or [..., N1 N2 / 2]), entries of modulus 1, index n1 N2 + n2.
    """
    l_a, m_a = np.broadcast_arrays(np.asarray(l, dtype=np.int64), np.asarray(m, dtype=np.int64))
    n1_eff = n1 // 2 if half else n1
    step = 2 if half else 1
    i1 = np.arange(n1_eff)
    i2 = np.arange(n2)
    a1 = _phase(step * l_a[..., None] * i1, o1 * n1)  # [..., n1_eff]
    a2 = _phase(m_a[..., None] * i2, o2 * n2) if n2 > 1 else np.ones(l_a.shape + (1,), np.complex128)
    return (a1[..., :, None] * a2[..., None, :]).reshape(l_a.shape + (n1_eff * n2,))


def _two_port(rank: int, i2: NDArray) -> NDArray[np.complex128]:
    """TS 38.214 Table 5.2.2.2.1-1 (2 ports): rank 1 index 0..3, rank 2 index 0..1."""
    if rank == 1:
        w = np.stack([np.ones(i2.shape, np.complex128), phi_n(i2)], axis=-1)[..., None] / np.sqrt(2.0)
    else:
        c = np.where(i2 == 0, 1.0 + 0j, 1j)
        one = np.ones(i2.shape, np.complex128)
        w = np.stack([np.stack([one, one], -1), np.stack([c, -c], -1)], axis=-2) / 2.0
    return w


def _i13_offsets(cfg: Type1Config, rank: int) -> tuple[tuple[int, int], ...]:
    """(k1, k2) per i1,3 (Tables 5.2.2.2.1-3, -4), or ((0, 0),) where i1,3 is not used."""
    if rank == 1 or (rank >= 3 and cfg.n_ports >= 16):
        return ((0, 0),)
    if rank == 2:
        if cfg.n2 == 1:
            case = "n1_2_n2_1" if cfg.n1 == 2 else "n1_gt_2_n2_1"
        else:
            case = "n1_eq_n2" if cfg.n1 == cfg.n2 else "n1_gt_n2_gt_1"
        rows = i13_rank2_table()[case]
    else:
        rows = i13_rank34_table()[(cfg.n1, cfg.n2)]
    return tuple((a * cfg.o1, b * cfg.o2) for a, b in rows)


def index_ranges(cfg: Type1Config, rank: int) -> tuple[int, int, int, int]:
    """Number of values of (i1,1, i1,2, i1,3, i2) for ``rank`` (TS 38.214 Tables 5.2.2.2.1-1,
    -5..-8): each index runs over 0 .. n - 1."""
    _check_rank(cfg, rank)
    if cfg.n_ports == 2:
        return 1, 1, 1, (4 if rank == 1 else 2)
    n1o1, n2o2 = cfg.n1 * cfg.o1, cfg.n2 * cfg.o2
    if rank >= 3:
        if cfg.n_ports >= 16:
            return n1o1 // 2, n2o2, 4, 2
        return n1o1, n2o2, len(_i13_offsets(cfg, rank)), 2
    n13 = len(_i13_offsets(cfg, rank))
    if cfg.mode == 1:
        return n1o1, n2o2, n13, (4 if rank == 1 else 2)
    return n1o1 // 2, (n2o2 // 2 if cfg.n2 > 1 else 1), n13, (16 if rank == 1 else 8)


def _check_rank(cfg: Type1Config, rank: int) -> None:
    max_rank = 2 if cfg.n_ports == 2 else 4
    if rank not in RANKS or rank > max_rank:
        raise ConfigError(f"rank = {rank!r}; allowed with {cfg.n_ports} ports: 1..{max_rank}", field="rank")


def type1_precoder(cfg: Type1Config, rank: int, i11: ArrayLike, i12: ArrayLike, i13: ArrayLike,
                   i2: ArrayLike) -> NDArray[np.complex128]:
    """Precoding matrix W of the Type I single-panel codebook (TS 38.214 V17 5.2.2.2.1, Tables
    5.2.2.2.1-1 and -5..-8) for the PMI (i1,1, i1,2, i1,3, i2).

    Parameters
    ----------
    i11, i12, i13, i2 : int, broadcastable [...]
        PMI indices, each in 0 .. n - 1 with n from :func:`index_ranges` (i1,3 is ignored
        where the rank does not use it; pass 0).

    Returns
    -------
    complex128 [..., P_CSI-RS, rank]: W, every entry of modulus 1/sqrt(rank P_CSI-RS).
    """
    _check_rank(cfg, rank)
    a11, a12, a13, a2 = (np.asarray(x, dtype=np.int64) for x in (i11, i12, i13, i2))
    a11, a12, a13, a2 = np.broadcast_arrays(a11, a12, a13, a2)
    ranges = index_ranges(cfg, rank)
    for name, a, n in zip(("i11", "i12", "i13", "i2"), (a11, a12, a13, a2), ranges):
        if a.size and (a.min() < 0 or a.max() >= n):
            raise ConfigError(f"{name} must be in 0..{n - 1} for rank {rank} of {cfg}", field=name)
    if cfg.n_ports == 2:
        return _two_port(rank, a2)
    p_ports = cfg.n_ports
    args = (cfg.n1, cfg.n2, cfg.o1, cfg.o2)
    if rank >= 3 and p_ports >= 16:
        vt = dft_beam(a11, a12, *args, half=True)  # [..., N1 N2 / 2]
        blocks = np.stack([np.ones(a2.shape, np.complex128), theta_p(a13), phi_n(a2),
                           phi_n(a2) * theta_p(a13)], axis=-1)  # [..., 4]
        signs = _HADAMARD4[:rank]  # [layer, block]
        w = blocks[..., None, :, None] * signs[:, :, None] * vt[..., None, None, :]  # [..., layer, 4, n]
        w = w.reshape(a2.shape + (rank, p_ports))
        return np.swapaxes(w, -1, -2) / np.sqrt(rank * p_ports)
    # rank 1-2 (both modes) and rank 3-4 with P < 16
    if cfg.mode == 2 and rank <= 2:
        per = 4 if rank == 1 else 2
        q, n = a2 // per, a2 % per
        if cfg.n2 > 1:
            dl, dm = q % 2, q // 2
        else:
            dl, dm = q, np.zeros_like(q)
        l, m = 2 * a11 + dl, 2 * a12 + dm
    else:
        l, m, n = a11, a12, a2
    offsets = np.asarray(_i13_offsets(cfg, rank), dtype=np.int64)
    k1, k2 = offsets[a13 % len(offsets), 0], offsets[a13 % len(offsets), 1]
    beams = np.stack([dft_beam(l, m, *args), dft_beam(l + k1, m + k2, *args)], axis=-2)  # [..., 2, N1N2]
    cols = []
    for beam, sign in _PCOL_SIGNS[rank]:
        v = beams[..., beam, :]
        cols.append(np.concatenate([v, sign * phi_n(n)[..., None] * v], axis=-1))
    return np.stack(cols, axis=-1) / np.sqrt(rank * p_ports)


@dataclass(frozen=True)
class Type1Codebook:
    """Every entry of one rank of a Type I codebook.

    w : complex128 [i1, i2, P_CSI-RS, rank]
        Precoders; axis 0 enumerates i1 = (i1,1, i1,2, i1,3), axis 1 enumerates i2.
    i1 : int64 [i1, 3]
        (i1,1, i1,2, i1,3) of each row of ``w`` (i1,3 = 0 where the rank does not use it).
    """

    config: Type1Config
    rank: int
    w: NDArray[np.complex128]
    i1: NDArray[np.int64]

    @property
    def n_i1(self) -> int:
        return int(self.w.shape[0])

    @property
    def n_i2(self) -> int:
        return int(self.w.shape[1])


def type1_codebook(cfg: Type1Config, rank: int) -> Type1Codebook:
    """All entries of ``rank`` of the Type I single-panel codebook (TS 38.214 5.2.2.2.1),
    i1 in lexicographic order of (i1,1, i1,2, i1,3)."""
    n11, n12, n13, n2 = index_ranges(cfg, rank)
    g11, g12, g13 = np.meshgrid(np.arange(n11), np.arange(n12), np.arange(n13), indexing="ij")
    i1 = np.stack([g11.ravel(), g12.ravel(), g13.ravel()], axis=-1).astype(np.int64)  # [i1, 3]
    i2 = np.arange(n2)
    w = type1_precoder(cfg, rank, i1[:, None, 0], i1[:, None, 1], i1[:, None, 2], i2[None, :])
    w.setflags(write=False)
    i1.setflags(write=False)
    return Type1Codebook(config=cfg, rank=rank, w=w, i1=i1)


def panel_to_csirs_ports(m_rows: int, n_cols: int, n_pol: int = 2) -> NDArray[np.int64]:
    """Column order that maps the element ports of a single TR 38.901 panel
    (:class:`nrsim.channel.tr38901.panel.PanelArray` with ``port_map="element"``: index
    pol M N + m N + n, m the row, n the column) to the CSI-RS port order of TS 38.214
    5.2.2.2.1 with N1 = N (horizontal, ``n_cols``) and N2 = M (vertical, ``m_rows``):
    port pol N1 N2 + n1 N2 + n2.

    Returns
    -------
    int64 [P]: ``h_csirs = h_panel[..., perm]`` (P = n_pol M N).
    """
    pol, n1, n2 = np.meshgrid(np.arange(n_pol), np.arange(n_cols), np.arange(m_rows), indexing="ij")
    # CSI-RS port (pol, n1, n2) in C order = the panel element (pol, m=n2, n=n1)
    return (pol * m_rows * n_cols + n2 * n_cols + n1).ravel().astype(np.int64)
