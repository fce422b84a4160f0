"""Dataset validation: passes on the embedded tables, catches injected violations."""

from __future__ import annotations

import pytest

import critmin.data as data
from critmin.data.validate import validate, validate_embedded
from critmin.errors import DataError


@pytest.fixture(scope="module")
def tables():
    return {name: data.load(name) for name in data.table_names()}


def _copy(tables):
    return {k: v.copy() for k, v in tables.items()}


def _index(frame, **where):
    mask = frame.index == frame.index
    for col, value in where.items():
        mask &= frame[col] == value
    idx = frame.index[mask]
    assert len(idx) == 1
    return idx[0]


def test_embedded_dataset_validates():
    validate_embedded()


def test_negative_quantity_is_caught(tables):
    t = _copy(tables)
    i = _index(t["production"], mineral="cobalt", stage="mining", year=2024, iso3="COD")
    t["production"].loc[i, "quantity"] = -5.0
    with pytest.raises(DataError, match=r"table 'production', column 'quantity', key \('cobalt', 'mining', 'COD', 2024\): value -5.0 is negative"):
        validate(t)


def test_unknown_source_is_caught(tables):
    t = _copy(tables)
    t["reserves"].loc[t["reserves"].index[0], "source"] = "made_up_report"
    with pytest.raises(DataError, match=r"table 'reserves', column 'source'.*'made_up_report' is not an id in sources"):
        validate(t)


def test_totals_mismatch_is_caught(tables):
    # rare-earths.json 2024: itemised rows (incl. Other 1,000) sum to 384,000 t REO against a
    # world total of 380,000. Adding 10% to China's 270,000 gives 411,000: 31,000 over, far
    # beyond the rounding tolerance (11,367 t).
    t = _copy(tables)
    i = _index(t["production"], mineral="rare_earths", stage="mining", year=2024, iso3="CHN")
    t["production"].loc[i, "quantity"] *= 1.1
    with pytest.raises(DataError, match=r"key \('rare_earths', 'mining', 2024\).*differs from the world total 380000.0 by 31000"):
        validate(t)


def test_unknown_iso3_and_missing_provenance_are_caught(tables):
    t = _copy(tables)
    t["production"].loc[t["production"].index[0], "iso3"] = "XXX"
    t["prices"].loc[t["prices"].index[0], "licence"] = None
    with pytest.raises(DataError) as err:
        validate(t)
    assert "value 'XXX' is not an iso3 in regions" in str(err.value)
    assert "table 'prices', column 'licence'" in str(err.value)


def test_mixed_units_are_caught(tables):
    t = _copy(tables)
    i = _index(t["production"], mineral="gallium", stage="refining", year=2024, iso3="CHN")
    t["production"].loc[i, "unit"] = "kg Ga content"
    with pytest.raises(DataError, match=r"column 'unit', key \('gallium', 'refining'\).*one unit per \(mineral, stage\)"):
        validate(t)


def test_missing_stage_row_is_caught(tables):
    t = _copy(tables)
    s = t["stages"]
    t["stages"] = s[~((s.mineral == "tin") & (s.stage == "recycling"))]
    with pytest.raises(DataError, match=r"key \('tin', 'recycling'\).*every mineral needs all 4 stages"):
        validate(t)


def test_shares_over_one_are_caught(tables):
    import pandas as pd

    t = _copy(tables)
    shares = pd.DataFrame({"mineral": ["tin", "tin"], "stage": ["refining", "refining"], "iso3": ["CHN", "IDN"],
                           "year": [2024, 2024], "share": [0.7, 0.6], "source": "critmin", "table": "test",
                           "source_year": 2026, "licence": "test", "estimate": False})
    t["stage_shares"] = pd.concat([t.get("stage_shares", shares.iloc[:0]), shares], ignore_index=True)
    s = t["stages"]
    t["stages"].loc[(s.mineral == "tin") & (s.stage == "refining"), "coverage"] = "shares"
    with pytest.raises(DataError, match=r"table 'stage_shares', column 'share', key \('tin', 'refining', 2024\): value 1.3 sums to more than 1"):
        validate(t)


def test_missing_required_table_is_caught(tables):
    t = _copy(tables)
    del t["world_totals"]
    with pytest.raises(DataError, match="table 'world_totals'.*required table"):
        validate(t)


def test_price_unit_mix_and_reserves_unit_are_caught(tables):
    t = _copy(tables)
    p = t["prices"]
    t["prices"].loc[p.index[(p["product"] == "ndpr_oxide") & (p["year"] == 2024)], "unit"] = "USD/lb"
    r = t["reserves"]
    t["reserves"].loc[r.index[(r["mineral"] == "cobalt") & (r["iso3"] == "COD")], "unit"] = "kt Co content"
    with pytest.raises(DataError) as err:
        validate(t)
    assert "table 'prices', column 'unit', key ('ndpr_oxide',)" in str(err.value)
    assert "table 'reserves', column 'unit', key ('cobalt',): value 'kt Co content' differs from the mining production unit 't Co content'" in str(err.value)
