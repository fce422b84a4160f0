"""Tests of the WGI builder (governance): expected numbers are copied from the raw WGI file."""

from __future__ import annotations

from pathlib import Path

import pytest

from critmin.data.build import governance
from critmin.data.build.common import PROVENANCE

RAW = Path(__file__).resolve().parents[1].parent / "shared" / "data"
pytestmark = pytest.mark.skipif(
    not (RAW / governance.WGI_FILE).is_file(), reason=f"raw WGI data not present at {RAW}"
)


@pytest.fixture(scope="module")
def table():
    return governance.build(RAW)["governance"]


def test_columns_and_keys(table):
    assert list(table.columns) == ["iso3", "year", "wgi", *PROVENANCE]
    assert not table.duplicated(["iso3", "year"]).any()
    assert table["wgi"].notna().all()


def test_raw_estimates_are_shipped_unchanged(table):
    # wgi/wgi_estimate_1996_2024.csv: "Angola,AGO,2024,-0.5735964" and "Aruba,ABW,2004,0.993218183517456".
    wgi = table.set_index(["iso3", "year"])["wgi"]
    assert wgi[("AGO", 2024)] == -0.5735964
    assert wgi[("ABW", 2004)] == 0.993218183517456
    # "NA" is Namibia's ISO2 code in the raw files; it must not turn into a missing value.
    assert ("NAM", 2024) in wgi.index


def test_conflicting_guyana_rows_are_dropped_not_guessed(table):
    # The raw file lists GUY 1996 twice: 0.0384... and -0.2664...; 2023 twice with equal 0.4180182.
    wgi = table.set_index(["iso3", "year"])["wgi"]
    assert ("GUY", 1996) not in wgi.index
    assert wgi[("GUY", 2023)] == 0.4180182
    conflicts = governance.conflicting_keys(governance._read(RAW))
    assert set(conflicts["iso3"]) == {"GUY"} and len(conflicts) == 24


def test_missing_estimates_written_none_are_left_out(table):
    # Raw lines 5236-5237: "US Misc. Pacific Isds,PUS,2023,None" and 2024.
    assert "PUS" not in set(table.loc[table["year"] >= 2023, "iso3"])
