"""City pilots: synthetic but plausible site lists over real city centres.

NOT real networks. Each pilot is a jittered hexagonal grid at a dense-urban inter-site
distance around a real city-centre coordinate, 3 cells per site (compass azimuths about
120 deg apart with a random rotation per site), rooftop macros (TR 38.901 UMa) with a share
of street-level small cells (UMi-Street Canyon), n78 3.5 GHz, 100 MHz, vendors labelled
neutrally ``vendor-a``, ``vendor-b``, ... by contiguous areas (as real swaps are). Generated
deterministically from each city's own seed; the shipped files
``src/nrsim/data/sites/<city>-pilot.csv`` are the output of ``python -m
nrsim.deployment.cities`` (a test checks that they match).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nrsim.deployment.geo import LocalProjection, utm_epsg, _transformers
from nrsim.deployment.layout import SQRT3

PILOT_FC_GHZ = 3.5
PILOT_BANDWIDTH_MHZ = 100.0


@dataclass(frozen=True)
class CityPilot:
    name: str
    centre_lat_deg: float
    centre_lon_deg: float
    n_sites: int
    isd_m: float
    vendors: int
    small_cell_share: float
    seed: int


PILOTS: dict[str, CityPilot] = {
    # Doha: West Bay / Corniche
    "doha": CityPilot("doha", 25.3190, 51.5280, 120, 320.0, 2, 0.15, 9741),
    # London: the City and the West End around Charing Cross
    "london": CityPilot("london", 51.5080, -0.1281, 140, 280.0, 2, 0.20, 4410),
    # Seoul: Jung-gu / Jongno-gu around City Hall
    "seoul": CityPilot("seoul", 37.5663, 126.9779, 150, 250.0, 3, 0.25, 8282),
}

CSV_COLUMNS = (
    "site_id", "cell_id", "lat", "lon", "height_m", "azimuth_deg", "mech_tilt_deg",
    "elec_tilt_deg", "tx_power_dbm", "fc_ghz", "bandwidth_mhz", "antenna_model", "vendor",
    "operator", "environment",
)


def pilot_rows(city: str) -> list[dict[str, object]]:
    """The cells of a pilot (one dict per row of the site-list format)."""
    p = PILOTS[city]
    rng = np.random.default_rng(np.random.SeedSequence(p.seed))
    # hex lattice, rotated, the n points nearest the centre
    k = int(np.ceil(np.sqrt(p.n_sites))) + 4
    q, r = np.meshgrid(np.arange(-k, k + 1), np.arange(-k, k + 1))
    x = p.isd_m * (q + 0.5 * r)
    y = p.isd_m * (SQRT3 / 2.0) * r
    ang = rng.uniform(0.0, np.pi / 3.0)
    xr, yr = np.cos(ang) * x - np.sin(ang) * y, np.sin(ang) * x + np.cos(ang) * y
    xy = np.stack([xr.ravel(), yr.ravel()], axis=1)
    xy = xy[np.argsort(np.hypot(xy[:, 0], xy[:, 1]), kind="stable")[: p.n_sites]]
    xy = xy + rng.uniform(-0.2, 0.2, xy.shape) * p.isd_m
    # vendors by contiguous angular areas around the centre
    theta = np.mod(np.arctan2(xy[:, 1], xy[:, 0]) + rng.uniform(0, 2 * np.pi), 2 * np.pi)
    vendor = np.minimum((theta / (2 * np.pi) * p.vendors).astype(int), p.vendors - 1)
    small = rng.random(p.n_sites) < p.small_cell_share
    epsg = utm_epsg(p.centre_lat_deg, p.centre_lon_deg)
    fwd, _ = _transformers(epsg)
    e0, n0 = fwd.transform(p.centre_lon_deg, p.centre_lat_deg)
    proj = LocalProjection(epsg, float(e0), float(n0))
    lat, lon = proj.to_latlon_deg(xy[:, 0], xy[:, 1])
    rows: list[dict[str, object]] = []
    for s in range(p.n_sites):
        sid = f"{city[:3].upper()}{s + 1:04d}"
        if small[s]:
            height, env, power, etilt, model = float(rng.uniform(8.0, 12.0)), "umi", 40.0, 3.0, "column-8"
        else:
            height, env, power = float(rng.uniform(20.0, 40.0)), "uma", 46.0
            etilt, model = float(rng.choice([4.0, 6.0, 8.0, 10.0])), "column-10"
        az0 = float(rng.uniform(0.0, 120.0))
        for c in range(3):
            rows.append({
                "site_id": sid,
                "cell_id": f"{sid}-{c + 1}",
                "lat": f"{lat[s]:.6f}",
                "lon": f"{lon[s]:.6f}",
                "height_m": f"{height:.1f}",
                "azimuth_deg": f"{np.mod(az0 + 120.0 * c + rng.uniform(-10, 10), 360.0):.0f}",
                "mech_tilt_deg": f"{float(rng.choice([0.0, 2.0, 4.0])):.0f}",
                "elec_tilt_deg": f"{etilt:.0f}",
                "tx_power_dbm": f"{power:.1f}",
                "fc_ghz": f"{PILOT_FC_GHZ:g}",
                "bandwidth_mhz": f"{PILOT_BANDWIDTH_MHZ:g}",
                "antenna_model": model,
                "vendor": f"vendor-{'abcdefgh'[vendor[s]]}",
                "operator": "operator-1",
                "environment": env,
            })
    return rows


def pilot_csv(city: str) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(pilot_rows(city))
    return buf.getvalue()


def main() -> None:  # pragma: no cover - regenerates the shipped files
    folder = Path(__file__).resolve().parents[1] / "data" / "sites"
    folder.mkdir(parents=True, exist_ok=True)
    for city in PILOTS:
        (folder / f"{city}-pilot.csv").write_text(pilot_csv(city), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    main()
