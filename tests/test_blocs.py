"""Tests of the groupings builder and of critmin.data.blocs (load_blocs, resolve, user bloc files).

Expected memberships come from the cited documents: the State Department statement on the 2026
Critical Minerals Ministerial (WorldTribune, 5 Feb 2026; seed 004), Eurostat's OECD glossary (38
members), the europa.eu list of the 27 EU countries.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from critmin.data import blocs
from critmin.data.build import groupings, trade
from critmin.errors import CritminError, InputFileError, UnknownChoiceError

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
RAW = SHARED / "data"
SEED = SHARED / "seeds" / "004_4cb11fe10d4516d6.txt"
needs_raw = pytest.mark.skipif(not (RAW / trade.BACI_DIR).is_dir(), reason=f"raw BACI data not present at {RAW}")


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    if not (RAW / trade.BACI_DIR).is_dir():
        pytest.skip(f"raw BACI data not present at {RAW}")
    built = groupings.build(RAW)
    built["regions"] = pd.DataFrame({"iso3": sorted(set(trade.country_iso3(RAW).values())), "kind": "country"})
    return built


@pytest.fixture(scope="module")
def all_blocs(tables) -> dict[str, list[str]]:
    return blocs.load_blocs(members=tables["bloc_members"], regions=tables["regions"])


def test_the_eleven_mous_of_4_february_2026(all_blocs):
    # Seed 004: Argentina, Cook Islands, Ecuador, Guinea, Morocco, Paraguay, Peru, Philippines, UAE, UK, Uzbekistan.
    assert all_blocs["us_bilateral_2026_02"] == sorted(
        ["ARG", "COK", "ECU", "GIN", "MAR", "PRY", "PER", "PHL", "ARE", "GBR", "UZB"]
    )
    assert set(all_blocs["us_bilateral_2026_02"]) < set(all_blocs["us_bilateral"])
    assert {"JPN", "UKR", "AUS"} <= set(all_blocs["us_bilateral"])  # USTR 28 Mar 2023; 30 Apr 2025; 20 Oct 2025


def test_ministerial_has_54_countries_plus_the_usa_and_the_commission(all_blocs):
    members = all_blocs["ministerial_2026"]
    countries = [m for m in members if m != "EUU"]
    assert len(countries) == 55 and "USA" in countries and "EUU" in members
    assert "CHN" not in members


@pytest.mark.skipif(not SEED.is_file(), reason=f"seed file not present at {SEED}")
def test_ministerial_list_matches_the_seed_text():
    text = SEED.read_text(encoding="utf-8")
    listed = re.search(r"following countries attended: (.*?)\.\n", text).group(1)
    names = [n.strip().removeprefix("and ").strip() for n in listed.split(",")]
    names.remove("the European Commission")
    assert names == [name for name, _ in groupings.MINISTERIAL_2026]
    assert len(names) == 54


def test_forge_is_the_ministerial_plus_eu27_planning_assumption(all_blocs, tables):
    forge = set(all_blocs["forge"])
    assert {"USA", "JPN", "DEU", "AUT", "ESP"} <= forge  # AUT and ESP only via the EU27 assumption
    assert not {"CHN", "RUS"} & forge
    assert forge == set(all_blocs["ministerial_2026"]) | set(all_blocs["eu27"])
    members = tables["bloc_members"].set_index(["bloc", "iso3"])
    assert members.loc[("forge", "AUT"), "estimate"] and not members.loc[("forge", "DEU"), "estimate"]
    description = tables["blocs"].set_index("bloc").loc["forge", "description"]
    assert "PLANNING ASSUMPTION" in description


def test_membership_counts(all_blocs):
    assert len(all_blocs["oecd"]) == 38  # Eurostat glossary: 38 member states
    assert len(all_blocs["eu27"]) == 27
    assert all_blocs["g7"] == sorted(["CAN", "FRA", "DEU", "ITA", "JPN", "GBR", "USA"])
    assert set(all_blocs["pax_silica"]) == {"USA", "AUS", "ISR", "JPN", "KOR", "SGP", "GBR", "QAT", "ARE"}
    assert "GBR" not in all_blocs["eu27"]


def test_every_member_row_has_a_source_and_a_date(tables):
    members, sources = tables["bloc_members"], tables["sources"]
    assert set(members["source"]) <= set(sources["source"])
    assert members[["source", "table", "licence"]].notna().all().all()
    dates = members["joined"].map(date.fromisoformat)
    assert (dates >= date(1958, 1, 1)).all() and (dates <= date(2026, 2, 4)).all()
    assert set(members["bloc"]) == set(tables["blocs"]["bloc"])


def test_resolve_selectors(tables):
    kw = {"members": tables["bloc_members"], "regions": tables["regions"]}
    world = blocs.resolve("*", **kw)
    assert "CHN" in world and "EUU" not in world
    assert blocs.resolve("jpn", **kw) == ["JPN"]
    not_g7 = blocs.resolve("not g7", **kw)
    assert len(not_g7) == len(world) - 7 and "USA" not in not_g7
    assert blocs.resolve(["g7", "KOR", "not USA"], **kw) == sorted(["CAN", "FRA", "DEU", "ITA", "JPN", "GBR", "KOR"])
    with pytest.raises(UnknownChoiceError, match="'XYZ'"):
        blocs.resolve("XYZ", **kw)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "my_blocs.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_user_blocs_may_reference_other_blocs_and_negate(tmp_path, tables):
    path = write(tmp_path, "blocs:\n  asia: [JPN, KOR]\n  other: [forge, 'not CHN', 'not asia']\n  world_ex_china: ['not CHN']\n")
    loaded = blocs.load_blocs(path, members=tables["bloc_members"], regions=tables["regions"])
    assert loaded["asia"] == ["JPN", "KOR"]
    assert set(loaded["other"]) == set(loaded["forge"]) - {"JPN", "KOR"}
    assert "CHN" not in loaded["world_ex_china"] and "RUS" in loaded["world_ex_china"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("blocs:\n  mine: [JPN, XXA]\n", r"my_blocs.yaml: field 'blocs.mine' \(value 'XXA'\): unknown country code or bloc"),
        ("blocs:\n  a: [b]\n  b: [a]\n", r"field 'blocs.a'.*cycle \(a -> b -> a\)"),
        ("blocs:\n  forge: [JPN]\n", r"field 'blocs.forge' \(value 'forge'\): a bloc with this name is already defined"),
        ("blocs:\n  jpn: [KOR]\n", r"field 'blocs.jpn'.*must not be a country code"),
        ("blocs:\n  empty: []\n", r"field 'blocs.empty'.*non-empty list"),
        ("blocs:\n  bad: [JPN, 3]\n", r"field 'blocs.bad' \(value 3\)"),
        ("countries: [JPN]\n", r"field 'blocs'.*expected a mapping with a 'blocs' key"),
        ("blocs: [JPN\n", r"not valid YAML"),
    ],
)
def test_bad_bloc_files_name_file_field_and_value(tmp_path, tables, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(InputFileError, match=expected) as err:
        blocs.load_blocs(path, members=tables["bloc_members"], regions=tables["regions"])
    assert str(path) in str(err.value) and isinstance(err.value, CritminError)


def test_missing_bloc_file_is_a_user_error(tmp_path, tables):
    with pytest.raises(InputFileError, match="cannot read the bloc file"):
        blocs.load_blocs(tmp_path / "nope.yaml", members=tables["bloc_members"], regions=tables["regions"])


def test_embedded_blocs_load_without_raw_data():
    # The installed package resolves blocs from its own embedded tables (no ../shared at run time).
    embedded = blocs.load_blocs()
    assert {"USA", "JPN", "DEU"} <= set(embedded["forge"]) and not {"CHN", "RUS"} & set(embedded["forge"])
    assert len(embedded["oecd"]) == 38
    assert "CHN" not in blocs.resolve(["forge", "not CHN"]) and "CHN" in blocs.resolve("*")
