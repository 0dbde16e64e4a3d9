"""Bad inputs that used to end in a traceback (exit 1) now get exit 2 and ONE line on stderr
naming the file or field and what is allowed, and nothing is written (issue 11). One test
per class of input found by the fuzz tests in tests/fuzz/."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nrsim.cli.app import app

EXAMPLE_CSV = resources.files("nrsim").joinpath("data", "sites", "example-sites.csv").read_text(encoding="utf-8")


def _bad(args: list[str], *, out: Path | None = None) -> str:
    """Run nrsim; assert exit 2, no traceback, one ``error:`` line, no output; return it."""
    res = CliRunner().invoke(app, args, catch_exceptions=True)
    assert isinstance(res.exception, SystemExit), res.exception
    assert res.exit_code == 2, res.output
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    if out is not None:
        assert not out.exists()
    return lines[0]


def _sites(path: Path) -> list[str]:
    return ["validate", "single-site", "--set", "deployment.layout=sites", "--set", f"deployment.sites_file={path}"]


# ------------------------------------------------------------------ scenario files and --set


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-32-le"])  # no byte-order mark: looked like bad TOML
def test_scenario_in_utf16_or_utf32(tmp_path: Path, encoding: str) -> None:
    f = tmp_path / "s.toml"
    f.write_bytes("[channel]\nfc_ghz = 3.5\n".encode(encoding))
    msg = _bad(["validate", str(f)])
    assert str(f) in msg and "UTF-8" in msg


def test_scenario_with_a_utf8_byte_order_mark_is_read(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_bytes(b"\xef\xbb\xbf[channel]\nfc_ghz = 3.5\n")
    assert CliRunner().invoke(app, ["validate", str(f)]).exit_code == 0


@pytest.mark.parametrize("text,field", [
    ("seed = 1979-05-27\n", "seed"),  # a TOML date: was a TypeError in the JSON deep copy
    ("x = " + "[" * 3000 + "]" * 3000 + "\n", "nested"),  # RecursionError
    (f"seed = {'1' * 5000}\n", "TOML"),  # an integer too long for int(): ValueError
    (f"seed = {hex(10**5000)}\n", "seed"),  # parsed, but too long to repr in the message
])
def test_scenario_values_that_broke_the_loader(tmp_path: Path, text: str, field: str) -> None:
    f = tmp_path / "s.toml"
    f.write_text(text, encoding="utf-8")
    assert field in _bad(["validate", str(f)])


@pytest.mark.parametrize("setting", ["x=" + "[" * 3000, "x=" + "[" * 3000 + "]" * 3000, "seed=" + "1" * 5000])
def test_set_values_that_broke_the_parser(setting: str) -> None:
    _bad(["validate", "single-site", f"--set={setting}"])


@pytest.mark.parametrize("scenario", ["a" * 5000, "b" * 300 + ".toml"])
def test_scenario_names_too_long_for_the_file_system(scenario: str) -> None:
    _bad(["validate", scenario])


def test_markup_in_user_text_is_shown_literally() -> None:
    msg = _bad(["validate", "x[/y].toml"])  # was a rich MarkupError traceback
    assert "x[/y].toml" in msg


# ------------------------------------------------------------------ site lists


def test_csv_site_list_in_latin1(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_bytes((EXAMPLE_CSV.replace("vendor-a", "vendor-\xe9")).encode("latin-1"))
    msg = _bad(_sites(f))
    assert str(f) in msg and "not UTF-8" in msg


@pytest.mark.parametrize("text,words", [
    ("site_id,cell_id\n" + "a" * 200_000 + ",b\n", "not a valid CSV"),  # csv.Error: field larger than limit
    (EXAMPLE_CSV.replace("uma\n", "uma,extra\n", 1), "line 2 has 16 fields"),  # silently dropped before
    ("site_id,site_id,cell_id\n", "appear more than once"),  # silently the last one before
])
def test_malformed_csv_site_lists(tmp_path: Path, text: str, words: str) -> None:
    f = tmp_path / "s.csv"
    f.write_text(text, encoding="utf-8")
    assert words in _bad(_sites(f))


def test_site_list_problems_are_one_line(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text(EXAMPLE_CSV.replace("51.507400", "95", 1).replace("30,0,", "30,400,", 1), encoding="utf-8")
    msg = _bad(_sites(f))
    assert "problem(s): row 1, column lat" in msg and "; row 1, column azimuth_deg" in msg


@pytest.mark.parametrize("doc,words", [
    ({"features": [1]}, "row 1: feature 1 is not a JSON object"),
    ({"features": [{"properties": [["site_id", "x"]]}]}, "properties [['site_id', 'x']] is not a JSON object"),
    ({"features": [{"geometry": 3}]}, "row 1, geometry: 3"),
    ({"features": [{"properties": {"site_id": {}, "cell_id": "c", "lat": 51, "lon": 0, "height_m": 20,
                                   "azimuth_deg": 0}}]}, "column site_id: {} is not text"),
])
def test_geojson_members_of_the_wrong_type(tmp_path: Path, doc, words: str) -> None:
    f = tmp_path / "s.geojson"
    f.write_text(json.dumps(doc), encoding="utf-8")
    assert words in _bad(_sites(f))


def test_geojson_huge_integer_and_deep_nesting(tmp_path: Path) -> None:
    f = tmp_path / "s.geojson"
    props = '"site_id": "a", "cell_id": "b", "lat": 51, "lon": 0, "azimuth_deg": 0, "height_m": 1' + "0" * 400
    f.write_text('{"features": [{"properties": {' + props + '}}]}', encoding="utf-8")
    assert "column height_m: 1000" in _bad(_sites(f))  # float() raised OverflowError
    f.write_text('{"features": ' + "[" * 10_000 + "]" * 10_000 + "}", encoding="utf-8")
    assert "nested too deeply" in _bad(_sites(f))


@pytest.mark.parametrize("geometry", [3, {"type": "Polygon", "coordinates": 5},
                                      {"type": "Polygon", "coordinates": [[[0, 51], [1e400, 51], [0, 52]]]},
                                      {"type": "MultiPolygon", "coordinates": [[["x"]]]}])
def test_area_file_geometries_of_the_wrong_type(tmp_path: Path, geometry) -> None:
    sites, area = tmp_path / "s.csv", tmp_path / "a.geojson"
    sites.write_text(EXAMPLE_CSV, encoding="utf-8")
    area.write_text(json.dumps({"features": [{"type": "Feature", "geometry": geometry}]}).replace("Infinity", "1e400"),
                    encoding="utf-8")
    msg = _bad([*_sites(sites), "--set", "deployment.ue.placement=area", "--set", f"coverage.area_file={area}"])
    assert "coverage.area_file" in msg


# ------------------------------------------------------------------ options and output paths


@pytest.mark.parametrize("address", ["foo", "tcp://", "tcp://h:p", "tcp://host:99999", "[::1", "TCP://h:1"])
def test_malformed_scheduler_address_before_any_work(tmp_path: Path, address: str) -> None:
    out = tmp_path / "out"
    msg = _bad(["run", "single-site", "--drops", "1", "--scheduler", address, "--out", str(out)], out=out)
    assert "--scheduler" in msg and "tcp://HOST:PORT" not in msg and "HOST:PORT" in msg


@pytest.mark.parametrize("args", [["run", "--seed", "1.7"], ["run", "--bogus"], ["validate"], ["nope"]])
def test_usage_errors_are_one_line(args: list[str]) -> None:
    _bad(args)


def test_output_path_that_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    msg = _bad(["run", "single-site", "--drops", "1", "--set", "deployment.ue.per_sector=1",
                "--out", str(tmp_path / "file" / "out")])
    # the lock file beside the target is the writability probe (nrsim.kpi.outdir)
    assert "choose a writable --out" in msg and str(tmp_path / "file") in msg


@pytest.mark.parametrize("weight", ["1" + "0" * 400, '"heavy"', "-1", "true"])
def test_density_weights_of_the_wrong_type(tmp_path: Path, weight: str) -> None:
    sites, dens = tmp_path / "s.csv", tmp_path / "d.geojson"
    sites.write_text(EXAMPLE_CSV, encoding="utf-8")
    ring = [[-0.13, 51.50], [-0.11, 51.50], [-0.11, 51.52], [-0.13, 51.50]]
    doc = {"features": [{"properties": {"weight": "W"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    dens.write_text(json.dumps(doc).replace('"W"', weight), encoding="utf-8")  # 1e400 as an integer: OverflowError
    msg = _bad([*_sites(sites), "--set", "deployment.ue.placement=area", "--set", f"deployment.ue.density_file={dens}"])
    assert "has weight" in msg and "allowed: a number >= 0" in msg
