"""Source-specific handling: region codes, estimate flags, qualifiers, and the guards that
refuse a raw file whose tables are not what the builder expects."""

from __future__ import annotations

import copy

import pytest

import critmin.data as data
from critmin.data import build as builder
from critmin.data.build import usgs
from critmin.errors import DataError

RAW = builder.default_raw()
needs_raw = pytest.mark.skipif(RAW is None or not RAW.is_dir(),
                               reason="raw public data (../shared/data or $CRITMIN_RAW_DATA) not present")


def test_region_codes_and_names():
    regions = data.load("regions").set_index("iso3")
    # BACI country_codes.csv: 490 "Other Asia, nes" is Taiwan; 842 is the USA.
    assert regions.loc["TWN", "baci_code"] == 490 and regions.loc["USA", "baci_code"] == 842
    # BACI's names are UTF-8 read as Latin-1 in the raw file ("TÃ¼rkiye", "CuraÃ§ao"): repaired.
    assert regions.loc["CUW", "name"] == "Curaçao"
    assert not regions["name"].str.contains("Ã").any()
    # WMD codes Kosovo R20 and French Guiana GUY (Guyana's code): mapped to XKX and GUF.
    assert {"XKX", "GUF", "EUU", "ROW", "WLD"} <= set(regions.index)
    assert regions.loc["SUN", "kind"] == "former"


def test_estimate_flags():
    p = data.load("production").set_index(["mineral", "stage", "iso3", "year"])
    # USGS 2025 is the "2025e" column: every 2025 row is an estimate.
    assert p.xs(2025, level="year")["estimate"].all()
    # rare-earths.json footnote 12 ("Estimated based on reported import data for China") on Burma;
    # the United States row carries footnote 11 ("Reported").
    assert p.loc[("rare_earths", "mining", "MMR", 2024), "estimate"]
    assert not p.loc[("rare_earths", "mining", "USA", 2024), "estimate"]
    # production_2018_2024.csv: Cobalt, China 2018 has flag "e" (estimated); Australia "r".
    assert p.loc[("cobalt", "mining", "CHN", 2018), "estimate"]
    assert not p.loc[("cobalt", "mining", "AUS", 2018), "estimate"]


def test_wmd_world_total_and_tolerance():
    # production_2018_2024.csv, Rare Earths (REO), "Total" 2023 = 394,221 t; checked to 1%.
    w = data.load("world_totals").set_index(["mineral", "stage", "year"])
    assert w.loc[("rare_earths", "mining", 2023), "quantity"] == 394_221
    assert w.loc[("rare_earths", "mining", 2023), "tolerance"] == pytest.approx(3_942.21)


def test_reserves_lower_bound_and_units():
    r = data.load("reserves").set_index(["mineral", "iso3"])
    # nickel.json reserves: Other countries ">9,100,000" t -> kept as a lower bound.
    assert r.loc[("nickel", "ROW"), "quantity"] == 9_100_000
    assert r.loc[("nickel", "ROW"), "qualifier"] == "lower bound"
    # copper.json reserves (thousand t): Chile 180,000 -> 180 Mt.
    assert r.loc[("copper", "CHL"), "quantity"] == 180_000_000


def test_every_row_names_its_source():
    sources = set(data.load("sources")["source"])
    for name in data.table_names():
        frame = data.load(name)
        assert frame["source"].notna().all() and set(frame["source"]) <= sources, name
        assert frame["licence"].notna().all(), name


@needs_raw
def test_copper_guard_refuses_a_mine_production_table():
    doc = usgs.load_json(RAW, "copper")
    rows = copy.deepcopy(doc["world_production"])
    us = next(r for r in rows if r["country"] == "United States")
    us["production_prev_year"] = 1050.0  # salient "Mine, recoverable" 2024: mine, not refinery
    with pytest.raises(DataError, match="United States 2024.*is not refinery production"):
        usgs._verify_copper(doc, rows, "usgs-mcs-2026/copper.json")


@needs_raw
def test_pgm_guard_refuses_a_column_that_is_not_palladium():
    rows = copy.deepcopy(usgs.load_json(RAW, "platinum-group-metals")["world_production"])
    rows[0]["production_latest_year"] = rows[0]["sub_metal_production_latest"]["Platinum"]
    with pytest.raises(DataError, match="2025 column is not the palladium split"):
        usgs._verify_pgm(rows, "usgs-mcs-2026/platinum-group-metals.json")


@needs_raw
def test_unknown_country_name_is_refused():
    to_iso3 = usgs_resolver()
    assert to_iso3("Congo (Kinshasa)", "x.json") == "COD"
    assert to_iso3("Côte d’Ivoire", "x.json") == "CIV"
    with pytest.raises(DataError, match="x.json: field 'country' \\(value 'Atlantis'\\)"):
        to_iso3("Atlantis", "x.json")


def usgs_resolver():
    from critmin.data.build.reference import _regions, resolver

    return resolver(_regions(RAW))
