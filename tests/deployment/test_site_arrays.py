"""Site lists: the antenna_model column selects a BS array type (docs/sites.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nrsim
from nrsim.deployment.sites import SiteListError, read_site_list
from nrsim.engine.snapshot import build_layout, snapshot_drop

HEADER = "site_id,cell_id,lat,lon,height_m,azimuth_deg,elec_tilt_deg,antenna_model,environment"


def _write(tmp_path: Path, models: list[str]) -> Path:
    rows = []
    for s in range(3):
        for c, az in enumerate((0, 120, 240)):
            rows.append(f"S{s},S{s}-{c},51.50{s * 4},-0.12{s * 3},30,{az},6,{models[s]},uma")
    p = tmp_path / "arrays.csv"
    p.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return p


def test_antenna_model_naming_an_array_selects_it(tmp_path) -> None:
    p = _write(tmp_path, ["32T32R", "column-10", "4T4R"])
    cfg = nrsim.load_config("london-pilot", [f'deployment.sites_file="{p}"', "deployment.ue.per_sector=4",
                                             "drops=1"])
    layout = build_layout(cfg)
    assert layout.cell_array == ("32T32R",) * 3 + ("single-column",) * 3 + ("4T4R",) * 3
    u = snapshot_drop(cfg, 0).ue
    beams = u["best_ssb_beam"]
    served_by_array = np.isin(u["serving_cell"], [0, 1, 2, 6, 7, 8])
    assert served_by_array.any() and (~served_by_array).any()
    assert np.all(beams[~served_by_array] == 0)  # the single-column cells have one beam
    assert np.all((beams >= 0) & (beams < 8))
    # a label that names no array keeps the config's (single-column: no beams at all)
    cfg = nrsim.load_config("london-pilot", [f'deployment.sites_file="{_write(tmp_path, ["column-10"] * 3)}"',
                                             "deployment.ue.per_sector=4", "drops=1"])
    assert build_layout(cfg).cell_array is None
    assert "best_ssb_beam" not in snapshot_drop(cfg, 0).ue
    # ... or the config's array type
    cfg = nrsim.load_config("london-pilot", [f'deployment.sites_file="{_write(tmp_path, ["column-10", "64T64R", ""])}"',
                                             "deployment.ue.per_sector=4", "drops=1", "antenna.array=4T4R"])
    assert build_layout(cfg).cell_array == ("4T4R",) * 3 + ("64T64R",) * 3 + ("4T4R",) * 3


@pytest.mark.parametrize("typo", ["32t32r", "8T8R", "64T64R-x", "single column"])
def test_an_array_like_typo_is_an_error(tmp_path, typo) -> None:
    with pytest.raises(SiteListError) as exc:
        read_site_list(_write(tmp_path, ["32T32R", typo, "column-10"]))
    msg = str(exc.value)
    assert "row 4, column antenna_model" in msg and "32T32R-8x4" in msg and "64T64R" in msg
