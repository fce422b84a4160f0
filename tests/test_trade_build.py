"""Tests of the BACI builder (hs_map, trade): expected numbers are copied from the raw BACI file."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from critmin.data.build import trade
from critmin.data.build.common import PROVENANCE, csv_bytes, gzip_bytes

RAW = Path(__file__).resolve().parents[1].parent / "shared" / "data"
pytestmark = pytest.mark.skipif(
    not (RAW / trade.BACI_DIR).is_dir(), reason=f"raw BACI data not present at {RAW}"
)

MINERALS = {
    "rare_earths", "lithium", "cobalt", "nickel", "graphite", "manganese", "copper", "gallium",
    "germanium", "antimony", "tungsten", "platinum", "palladium", "vanadium", "niobium",
    "tantalum", "titanium", "tin",
}


@pytest.fixture(scope="module")
def built() -> dict[str, pd.DataFrame]:
    return trade.build(RAW)


def test_columns_follow_the_contract(built):
    # docs/decisions/0001-embedded-dataset.md, table "Tables".
    assert list(built["hs_map"].columns) == ["hs6", "description", "mineral", "stage", "product", *PROVENANCE]
    assert list(built["trade"].columns) == [
        "year", "exporter", "importer", "hs6", "mineral", "stage", "value_kusd", "quantity_t", *PROVENANCE,
    ]
    assert set(built["sources"]["source"]) == set(built["trade"]["source"]) == {"cepii_baci"}


def test_hs_map_covers_every_traded_code_and_only_known_minerals(built):
    hs_map, flows = built["hs_map"], built["trade"]
    assert set(flows["hs6"]) == set(hs_map["hs6"])
    assert set(hs_map["mineral"]) <= MINERALS
    assert set(hs_map["stage"]) <= {"mining", "refining", "components", "recycling"}
    assert hs_map["hs6"].is_unique
    merged = flows.merge(hs_map[["hs6", "mineral", "stage"]], on="hs6", suffixes=("", "_map"))
    assert (merged["mineral"] == merged["mineral_map"]).all()
    assert (merged["stage"] == merged["stage_map"]).all()


def test_hs_map_descriptions_are_baci_descriptions(built):
    # product_codes.csv: "284690,Compounds, inorganic or organic (excluding cerium), of rare-earth metals, ..."
    row = built["hs_map"].set_index("hs6").loc[284690]
    assert row["description"].startswith("Compounds, inorganic or organic (excluding cerium), of rare-earth metals")
    assert (row["mineral"], row["stage"]) == ("rare_earths", "refining")
    assert built["hs_map"].set_index("hs6").loc[261100, "stage"] == "mining"  # tungsten ores


def test_one_flow_equals_the_raw_baci_row(built):
    # Raw line 492191 of baci-hs92-critical/trade_2015_2024.csv.gz:
    # "2024,156,392,284690,124369.684,6014.793" = China (156) -> Japan (392), rare-earth compounds.
    raw_line = "2024,156,392,284690,124369.684,6014.793"
    with gzip.open(RAW / trade.BACI_DIR / trade.TRADE_FILE, "rt") as fh:
        assert any(line.strip() == raw_line for line in fh)
    flows = built["trade"].set_index(["year", "exporter", "importer", "hs6"])
    row = flows.loc[(2024, "CHN", "JPN", 284690)]
    assert row["value_kusd"] == 124369.684
    assert row["quantity_t"] == 6014.793
    assert (row["mineral"], row["stage"]) == ("rare_earths", "refining")


def test_baci_special_country_codes_become_iso3(built):
    iso3 = trade.country_iso3(RAW)
    # country_codes.csv: 251 France, 699 India, 757 Switzerland, 842 USA; 490 "Other Asia, nes" = Taiwan.
    assert [iso3[c] for c in (251, 699, 757, 842, 490)] == ["FRA", "IND", "CHE", "USA", "TWN"]
    codes = set(built["trade"]["exporter"]) | set(built["trade"]["importer"])
    assert "S19" not in codes and "TWN" in codes
    assert all(len(c) == 3 and c.isalpha() and c.isupper() for c in codes)


def test_nothing_dropped_for_mapped_codes(built):
    # Every raw row of a mapped code in 2015-2024 is kept (the raw file has 153,413 such rows).
    raw = pd.read_csv(RAW / trade.BACI_DIR / trade.TRADE_FILE)
    mapped = raw[raw["hs6"].isin(trade.HS_MAP)]
    assert len(built["trade"]) == len(mapped) == 153_413
    assert built["trade"]["value_kusd"].sum() == pytest.approx(mapped["value_kusd"].sum(), rel=1e-12)
    assert (built["trade"]["value_kusd"] > 0).all()
    assert built["trade"]["quantity_t"].isna().sum() == mapped["quantity_t"].isna().sum()


def test_trade_bytes_are_reproducible_and_compact(built):
    again = trade.build(RAW)["trade"]
    first, second = gzip_bytes(csv_bytes(built["trade"])), gzip_bytes(csv_bytes(again))
    assert first == second
    assert len(first) < 4_000_000  # "a few MB at most" (issue 2)


def test_every_hs_product_is_defined_exactly_once(built):
    # hs_map.product is a key of `products`: either reference.PRODUCTS or the trade builder's HS baskets.
    reference = pytest.importorskip("critmin.data.build.reference")
    ref = {p[0]: (p[1], p[2]) for p in reference.PRODUCTS}
    own = built["products"].set_index("product")
    assert not set(own.index) & set(ref)
    for row in built["hs_map"].itertuples():
        expected = ref.get(row.product) or tuple(own.loc[row.product, ["mineral", "stage"]])
        assert expected == (row.mineral, row.stage), row.product
