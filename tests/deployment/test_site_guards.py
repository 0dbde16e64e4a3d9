"""Site-list guards: duplicate positions, the projection span, the serving-distance range,
and the vectorised reading path against the per-value one."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import nrsim
from nrsim.cli.app import app
from nrsim.deployment import sites as S
from nrsim.deployment.geo import MAX_DEG_FROM_CENTRAL_MERIDIAN
from nrsim.errors import ConfigError, ModelValidityWarning

EXAMPLE = S.resolve_sites_file("example-sites.csv")


def _variant(tmp_path: Path, name: str, moves: dict[str, tuple[float, float]]) -> Path:
    """The example list (sites S1, S2, S3 in London) with some sites moved to (lat, lon)."""
    rows = list(csv.DictReader(EXAMPLE.open()))
    for r in rows:
        if r["site_id"] in moves:
            r["lat"], r["lon"] = (f"{v:.6f}" for v in moves[r["site_id"]])
    p = tmp_path / name
    with p.open("w", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return p


def _load(p: Path, *over: str):
    return nrsim.load_config("london-pilot", [f"deployment.sites_file={json.dumps(str(p))}", *over], drops=1)


def test_two_sites_at_the_same_position_are_refused_with_rows(tmp_path) -> None:
    p = _variant(tmp_path, "dup.csv", {"S2": (51.5074, -0.1278)})  # S2 onto S1
    with pytest.raises(ConfigError, match=r"row 1, site 'S1' and row 4, site 'S2' are 0.00 m apart"):
        _load(p)
    res = CliRunner().invoke(app, ["run", "london-pilot", "--set", f"deployment.sites_file={json.dumps(str(p))}",
                                   "--out", str(tmp_path / "res")])
    assert res.exit_code == 2 and "same position" in res.output
    assert not (tmp_path / "res").exists()


def test_sites_on_different_continents_are_refused(tmp_path) -> None:
    p = _variant(tmp_path, "far.csv", {"S2": (40.7128, -74.0060)})  # S2 to New York
    with pytest.raises(ConfigError) as exc:
        _load(p)
    msg = str(exc.value)
    assert "row 4, site 'S2'" in msg and "row 7, site 'S3'" in msg  # the western and eastern extremes
    assert f"within {MAX_DEG_FROM_CENTRAL_MERIDIAN:g} deg" in msg
    assert exc.value.field == "deployment.sites_file"


def test_a_site_125_km_away_raises_or_warns_with_counts(tmp_path) -> None:
    p = _variant(tmp_path, "km125.csv", {"S3": (51.5074 + 1.125, -0.1229)})
    with pytest.raises(ConfigError, match=r"row 7 \(site 'S3'\): nearest other site 12\d.\d km away"):
        _load(p)
    with pytest.warns(ModelValidityWarning, match=r"1 of 3 sites drop UEs beyond .* of all UEs"):
        _load(p, "channel.validity=warn")
    res = CliRunner().invoke(app, ["validate", "london-pilot", "--set", f"deployment.sites_file={json.dumps(str(p))}",
                                   "--set", "channel.validity=warn"])
    assert res.exit_code == 0, res.output
    assert "warning: 1 of 3 sites drop UEs beyond the path-loss model's range" in res.output


# -- the vectorised column check equals the per-value one (the former reading loop) ----------

VALUES = st.one_of(
    st.sampled_from(["", " ", "nan", "NaN", "inf", "-inf", "1e400", "1_000", "0x10", "TRUE", " 12.5 ",
                     "-0", "+3", "1,5", "uma", " UMi ", "rma", "suburb", "abc", "\t7\t", "1e-3", "90", "-91",
                     "\xa07\u3000", "\x1c5", ".5", "5.", "1e5", "+0E 0", "\u200b1"]),
    st.text(alphabet="0123456789.-+eE ", max_size=6),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(VALUES, min_size=1, max_size=30), st.sampled_from(list(S.COLUMNS)))
def test_vectorised_column_check_equals_per_value_check(values, col) -> None:
    required, kind, lo, hi = S.COLUMNS[col]
    fast: list = []
    got = S._check_column(pd.Series(np.asarray(values, dtype=object)), len(values), col, fast, 0)
    slow: list = []
    # the former path: every CSV value stripped (str.strip) when read, then checked one by one
    want = [S._check_cell(v.strip(), col, kind, lo, hi, required, i, slow, 0) for i, v in enumerate(values, start=1)]
    assert sorted(fast) == sorted(slow)
    if kind == "float":
        np.testing.assert_array_equal(np.asarray(got, dtype=float), np.asarray(want, dtype=float))
    else:
        assert list(got) == want


def test_csv_fast_path_equals_csv_module(tmp_path) -> None:
    text = ("\ufeffsite_id, cell_id ,lat,lon,height_m,azimuth_deg,vendor\n"
            "A,A1, 51.5 ,0.1,30,0,\"vendor, a\"\n\n"
            "A,A2,51.5,0.1,30,120,vendor-a\n")
    short = text + "B,B1,51.6,0.2,30\n"  # missing trailing fields: blank
    for name, body in (("plain.csv", text), ("short.csv", short)):
        p = tmp_path / name
        p.write_text(body, encoding="utf-8")
        frame = S._read_csv_frame(p)
        rows = S._read_csv_rows(p)
        assert list(frame.columns) == [c for c in rows[0] if c]
        assert len(frame) == len(rows)
        for k, r in enumerate(rows):
            for c in frame.columns:
                v = frame[c].iloc[k]
                assert ("" if v is None or v != v else v).strip() == (r.get(c) or "").strip(), (name, k, c)
    # a line with more fields than the header: the same error from both readers
    p = tmp_path / "ragged.csv"
    p.write_text(text + "B,B2,51.6,0.2,30,90,v,extra\n", encoding="utf-8")
    for reader in (S._read_csv_frame, S._read_csv_rows):
        with pytest.raises(S.SiteListError, match="line 5 has 8 fields"):
            reader(p)
