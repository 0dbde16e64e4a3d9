"""Fuzz the CSV site-list reader (``nrsim validate ... deployment.sites_file=FILE.csv``):
arbitrary bytes; CSV text with any columns (known, unknown, repeated) and any cell values
(huge numbers, nan/inf, quotes, very long fields), written in a random encoding; the
shipped example with one cell replaced. Property (conftest): exit 0 or 2, no traceback, one
line on stderr (a site list's list of problems included)."""

from __future__ import annotations

import csv
import io
import os
from importlib import resources

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nrsim.deployment.sites import COLUMNS

FUZZ = settings(max_examples=int(os.environ.get("NRSIM_FUZZ_EXAMPLES") or 50), deadline=None,
                suppress_health_check=list(HealthCheck))
EXAMPLE = resources.files("nrsim").joinpath("data", "sites", "example-sites.csv").read_text(encoding="utf-8")
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252", "shift_jis"]
CELL = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["1e308", "-1e308", "nan", "inf", "-0", "1" * 400, "0x1F", "51.5", "-0.12", "30", "uma",
                     "", " ", '"', "a,b", "x\ny", "é", "\x00", "9" * 200_000]),
    st.floats().map(repr), st.integers().map(str),
)
NAMES = st.one_of(st.sampled_from(list(COLUMNS)), st.text(max_size=12))


def _site_args(path) -> list[str]:
    return ["validate", "single-site", "--set=deployment.layout=sites", f"--set=deployment.sites_file={path}"]


@st.composite
def csv_texts(draw) -> str:
    cols = draw(st.lists(NAMES, min_size=1, max_size=10))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(cols)
    for _ in range(draw(st.integers(0, 4))):
        w.writerow(draw(st.lists(CELL, min_size=0, max_size=len(cols) + 2)))
    return buf.getvalue()


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


@FUZZ
@given(raw=st.binary(max_size=3000))
def test_arbitrary_bytes(fuzz, scratch, raw: bytes) -> None:
    path = scratch() / "s.csv"
    path.write_bytes(raw)
    fuzz.invoke(_site_args(path))


@FUZZ
@given(text=csv_texts(), encoding=st.sampled_from(ENCODINGS))
def test_any_columns_and_cells(fuzz, scratch, text: str, encoding: str) -> None:
    path = scratch() / "s.csv"
    path.write_bytes(_encode(text, encoding))
    fuzz.invoke(_site_args(path))


@FUZZ
@given(row=st.integers(1, 8), col=st.integers(0, len(COLUMNS) - 1), cell=CELL,
       encoding=st.sampled_from(ENCODINGS))
def test_example_with_one_cell_replaced(fuzz, scratch, row: int, col: int, cell: str, encoding: str) -> None:
    rows = list(csv.reader(io.StringIO(EXAMPLE)))
    rows[row][col] = cell
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path = scratch() / "s.csv"
    path.write_bytes(_encode(buf.getvalue(), encoding))
    res = fuzz.invoke(_site_args(path))
    if encoding.startswith(("utf-16", "utf-32")):
        assert res.exit_code == 2 and "UTF-8" in res.stderr
