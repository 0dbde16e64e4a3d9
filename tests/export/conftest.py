"""A small site-list result with hostile names, and its coverage GeoTIFFs."""

from __future__ import annotations

import pytest

import nrsim

HOSTILE = '<script>alert("x")</script> & \'Nokia\''
_Q = HOSTILE.replace('"', '""')
SITES_CSV = (
    "site_id,cell_id,lat,lon,height_m,azimuth_deg,vendor,environment\n"
    f'"{_Q}",A-1,51.5074,-0.1278,30,0,Ericsson,uma\n'
    f'"{_Q}",A-2,51.5074,-0.1278,30,120,Ericsson,uma\n'
    f'"{_Q}",A-3,51.5074,-0.1278,30,360,Ericsson,uma\n'
    "B,B-1,51.5100,-0.1230,25,45,Nokia,uma\n"
    "B,B-2,51.5100,-0.1230,25,225,Nokia,uma\n"
)


def site_config(tmp_path, per_sector=4):
    path = tmp_path / "sites.csv"
    path.write_text(SITES_CSV, encoding="utf-8")
    return nrsim.load_config("london-pilot", [f'deployment.sites_file="{path}"', "drops=1",
                                              f"deployment.ue.per_sector={per_sector}", "coverage.resolution_m=100",
                                              "coverage.margin_m=200", "output.plots=false"])


@pytest.fixture(scope="session")
def hostile() -> str:
    """The hostile site name of the test site list (markup, quotes, ampersand)."""
    return HOSTILE


@pytest.fixture(scope="session")
def site_run(tmp_path_factory):
    """Result folder of a 2-site, 5-cell run (one drop)."""
    tmp = tmp_path_factory.mktemp("ids")
    nrsim.run(site_config(tmp), out_dir=tmp / "res")
    return tmp / "res"


@pytest.fixture(scope="session")
def site_run_maps(site_run):
    """The same folder with the coverage GeoTIFFs of ``nrsim report`` (written as it does)."""
    from nrsim.api import load_config
    from nrsim.coverage import coverage_maps, probability_maps, write_coverage_geotiffs
    from nrsim.deployment.identity import cell_identity
    from nrsim.engine.snapshot import build_layout
    import json

    cfg = load_config(json.loads((site_run / "summary.json").read_text())["config"])
    layout = build_layout(cfg)
    maps = coverage_maps(cfg, layout=layout)
    pm = probability_maps(cfg, layout=layout, grid=maps.grid)
    ident = cell_identity(cfg, layout)
    write_coverage_geotiffs(maps, site_run, probability=pm,
                            cell_ids=list(zip(ident.cell_id, ident.site_id, ident.vendor, strict=True)))
    return site_run
