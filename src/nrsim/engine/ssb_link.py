"""SSB beam-based cell selection of the snapshot (cells with a BS array, ``antenna.array`` or a
site list's ``antenna_model``; docs/mimo.md "SSB beams in the snapshot").

:class:`SsbKernel` stands in for :func:`nrsim.engine.dense_kernel.drop_kernel` with the same
arguments, so :func:`nrsim.engine.snapshot.radio_chunk` calls either without other changes:

1. the drop kernel with a 0 dBi BS antenna gives every link's received power [ue, cell]
   (path loss, shadow fading, O2I loss, UE gain: the large-scale link);
2. :func:`nrsim.mimo.beam_rsrp.ssb_cell_rsrp` adds each cell's SSB beam gains towards the
   link's LOS departure angles: L1-RSRP per beam, cell RSRP consolidated from the beams
   (TS 38.331 5.5.3.3);
3. the serving cell is the strongest cell RSRP (:func:`nrsim.radio.link_budget.serving_cell`,
   with ``radio.handover_margin_db`` towards the UE's home cell as in the kernel);
4. the drop kernel again, held on that cell (home cell = it, infinite margin), gives the
   serving link's LOS state, distance, path loss and shadow fading;
5. the downlink is sent on the serving cell's best SSB beam (received power = 0 dBi power +
   that beam's gain); every other cell interferes with its load times its beams' mean gain
   towards the UE (it serves its own UEs on its beams in turn).

Dense link form only (every cell of every UE): the sparse form raises :class:`ConfigError`.
"""

from __future__ import annotations

import inspect

import numpy as np
from numpy.typing import NDArray

from nrsim.channel.tr38901.arrays import SINGLE_COLUMN
from nrsim.config.schema import ScenarioConfig
from nrsim.deployment.geometry import link_geometry
from nrsim.deployment.layout import Layout
from nrsim.engine import dense_kernel as dk
from nrsim.errors import ConfigError
from nrsim.mimo.beam_rsrp import CellBeams, cell_beams, ssb_cell_rsrp
from nrsim.radio.link_budget import rsrp_dbm, serving_cell
from nrsim.units import db_to_lin, lin_to_db

SSB_COLUMNS: tuple[str, ...] = ("best_ssb_beam", "ssb_rsrp_dbm")
"""Per-UE columns added when SSB beams are on: the serving cell's strongest beam (int64, its
index in the cell's grid) and its consolidated cell RSRP [dBm]."""

_KERNEL_ARGS: tuple[str, ...] = tuple(inspect.signature(dk.drop_kernel.py_func).parameters)


def cell_arrays(cfg: ScenarioConfig, layout: Layout) -> tuple[str, ...]:
    """The BS array type of every cell: the site list's, else ``antenna.array``."""
    return layout.cell_array if layout.cell_array is not None else (cfg.antenna.array,) * layout.n_cells


def has_beams(cfg: ScenarioConfig, layout: Layout) -> bool:
    """Whether some cell has an array (and so every cell sweeps SSB beams)."""
    return any(a != SINGLE_COLUMN for a in cell_arrays(cfg, layout))


def drop_cell_beams(cfg: ScenarioConfig, layout: Layout) -> CellBeams | None:
    """The SSB beams of every cell of ``layout``, or None when no cell has an array (the
    single-column path, unchanged)."""
    if not has_beams(cfg, layout):
        return None
    n = layout.n_cells
    arrays = cell_arrays(cfg, layout)
    ant = cfg.antenna
    etilt = layout.cell_etilt_deg if layout.cell_etilt_deg is not None else np.full(n, float(ant.etilt_deg))
    return cell_beams(arrays, etilt, fc_ghz=cfg.channel.fc_ghz, n_beams=cfg.ssb.n_beams, model=ant.model,
                      n_elements=ant.n_elements, spacing_wl=ant.spacing_wl)


class SsbKernel:
    """The drop kernel with SSB beam-based cell selection for UEs ``start..start + m`` of a
    chunk (module docstring); :meth:`columns` gives the per-UE :data:`SSB_COLUMNS`."""

    def __init__(self, cfg: ScenarioConfig, beams: CellBeams, *, sparse: bool, n_subcarriers: int,
                 start: int, stop: int) -> None:
        if sparse:
            raise ConfigError(
                "SSB beams (antenna.array or a site list's antenna_model naming an array) need the dense "
                "link form: interference.mode = 'dense' (or 'auto' with at most "
                "interference.auto_dense_max_sites sites)", field="interference.mode")
        self.beams = beams
        self.n_subcarriers = int(n_subcarriers)
        self.n_consolidate = cfg.ssb.n_consolidate
        self.threshold_dbm = cfg.ssb.threshold_dbm
        self.start = int(start)
        self.best_beam = np.full(stop - start, -1, dtype=np.int64)
        self.ssb_rsrp_dbm = np.full(stop - start, np.nan)

    def __call__(self, *args) -> None:
        a = dict(zip(_KERNEL_ARGS, args, strict=True))
        k = a["ue_x"].shape[0]
        n_cells = a["cell_tx_dbm"].shape[0]
        # 1. every link at 0 dBi [ue, cell]
        rx0 = np.empty((k, n_cells), dtype=np.float32)
        dk.drop_kernel(*{**a, "ant_model": dk.ANT_OMNI, "out_rx_cells": rx0}.values())
        # 2. beams towards the LOS departure angles (the kernel's nearest wrap-around image)
        starts = a["site_cell_start"]
        cell_site = np.repeat(np.arange(starts.shape[0] - 1), np.diff(starts))
        geo = link_geometry(np.stack([a["ue_x"], a["ue_y"]], axis=1), a["ue_h"],
                            np.stack([a["site_x"], a["site_y"]], axis=1), a["site_h"], a["shifts"])
        theta = np.degrees(np.arctan2(geo.d_2d_m, geo.dz_m))[:, cell_site]  # [ue, cell]
        phi = np.degrees(np.arctan2(geo.dy_m, geo.dx_m))[:, cell_site]
        rx0 = rx0.astype(np.float64)
        re_rx = rsrp_dbm(rx0, self.n_subcarriers)  # per resource element at 0 dBi
        r = ssb_cell_rsrp(self.beams, re_rx, theta, phi, a["cell_bearing_deg"],
                          a["cell_mech_tilt_deg"], n_consolidate=self.n_consolidate,
                          threshold_dbm=self.threshold_dbm)
        # 3. serving cell by cell RSRP
        serv = serving_cell(r.cell_rsrp_dbm, preferred_cell=a["ue_home"], margin_db=float(a["margin_db"]))
        # 4. the serving link's LOS state, distance, path loss, shadow fading and 0 dBi power
        # (the serving site its only candidate: the same per-link draws, one link per UE)
        dk.drop_kernel(*{**a, "ant_model": dk.ANT_OMNI, "ue_home": serv, "margin_db": np.inf,
                         "cand": np.ascontiguousarray(cell_site[serv][:, None]),
                         "n_cand": np.ones(k, dtype=np.int64),
                         "out_rx_cells": np.zeros((0, 0), dtype=np.float32)}.values())
        # 5. data on the best beam; interferers at their beams' mean gain
        rows = np.arange(k)
        # the float32 powers of step 1 corrected to the serving link's exact (float64) one
        exact_db = rsrp_dbm(a["out_rx_dbm"], self.n_subcarriers) - re_rx[rows, serv]
        g = r.best_gain_dbi[rows, serv]
        a["out_rx_dbm"][:] += g
        a["out_gain_db"][:] += g
        p_mw = a["cell_load"][None, :] * db_to_lin(rx0 + r.mean_gain_dbi)  # [ue, cell]
        p_mw[rows, serv] = 0.0
        a["out_interf_mw"][:] = p_mw.sum(axis=1)
        if a["out_rx_cells"].shape[0]:  # measurements / handover: the cell RSRP over the band
            a["out_rx_cells"][:] = r.cell_rsrp_dbm + lin_to_db(self.n_subcarriers)
        o = a["ue_index"] - self.start
        self.best_beam[o] = r.best_beam[rows, serv]
        self.ssb_rsrp_dbm[o] = r.cell_rsrp_dbm[rows, serv] + exact_db

    def columns(self) -> dict[str, NDArray]:
        """The per-UE :data:`SSB_COLUMNS` of the UEs processed so far."""
        return {"best_ssb_beam": self.best_beam, "ssb_rsrp_dbm": self.ssb_rsrp_dbm}
