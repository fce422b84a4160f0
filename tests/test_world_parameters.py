"""Tests for the curated world parameters, the lithium deposit builder and the history table.

Expected numbers are hand computations or figures read off the cited source; each test says
which. Tests that need the raw data in ../shared/data are skipped when it is absent (a fresh
clone without the shared folder), never weakened.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from critmin.data.build import lithium
from critmin.data.build.common import csv_bytes
from critmin.errors import DataError
from critmin.world.parameters import (
    ASSUMPTION, TABLES, UNITS, _folder, lithium_cost_curve, load_parameters, parameter,
)

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT.parent / "shared" / "data"
HISTORY = ROOT / "src" / "critmin" / "history" / "observed.csv"
needs_raw = pytest.mark.skipif(not (RAW / "lithium-deposits" / "Deposit.csv").is_file(),
                               reason="raw data ../shared/data not present")
MINERALS = {"rare_earths", "lithium", "graphite", "cobalt", "gallium"}
#: Minerals of the history episodes, beyond the five of the world model.
HISTORY_MINERALS = {"germanium", "antimony"}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return load_parameters()


def value(tables, name: str, table: str = "input_coefficients") -> float:
    return parameter(tables, table, name)


# ---------------------------------------------------------------- parameter tables

def test_every_row_has_a_source_reference_and_licence(tables):
    for name, frame in tables.items():
        assert len(frame) > 0, name
        for column in ("source", "reference", "licence"):
            assert (frame[column].str.strip().str.len() > 0).all(), (name, column)


def test_values_lie_within_declared_ranges(tables):
    for name, frame in tables.items():
        low_ok = frame["low"].isna() | (frame["low"] <= frame["value"])
        high_ok = frame["high"].isna() | (frame["high"] >= frame["value"])
        assert low_ok.all() and high_ok.all(), frame.loc[~(low_ok & high_ok), "parameter"]


def test_units_are_known_and_assumptions_are_estimates(tables):
    for frame in tables.values():
        assert set(frame["unit"]) <= UNITS
        assert frame.loc[frame["source"] == ASSUMPTION, "estimate"].all()


def test_every_mineral_has_links_and_four_elasticities_of_the_right_sign(tables):
    assert set(tables["input_coefficients"]["mineral"]) == MINERALS | HISTORY_MINERALS
    ela = tables["elasticities"]
    for mineral in MINERALS | HISTORY_MINERALS:
        rows = ela[ela["mineral"] == mineral]
        assert {(s, h) for s, h in zip(rows["side"], rows["horizon"])} >= {
            ("supply", "short"), ("supply", "long"), ("demand", "short"), ("demand", "long")}
    assert (ela.loc[ela["side"] == "demand", "value"] < 0).all()
    assert (ela.loc[ela["side"] == "supply", "value"] >= 0).all()
    # long-run responses are at least as large as short-run ones, product by product
    for (mineral, product, side), grp in ela.groupby(["mineral", "product", "side"]):
        by = dict(zip(grp["horizon"], grp["value"].abs()))
        assert by["long"] >= by["short"], (mineral, product, side)


def test_cobalt_elasticities_match_the_cited_study(tables):
    # Abstract of the City University of London dissertation (2023): demand -0.28, supply 0.38.
    assert value(tables, "cobalt_refined_cobalt_demand_short", "elasticities") == -0.28
    assert value(tables, "cobalt_refined_cobalt_supply_short", "elasticities") == 0.38


def test_stoichiometric_factors_by_hand(tables):
    # Standard atomic weights Li 6.94, C 12.011, O 15.999, H 1.008 (hand computation).
    li2co3 = 2 * 6.94 + 12.011 + 3 * 15.999            # 73.888
    lioh_h2o = 6.94 + 2 * 15.999 + 3 * 1.008           # 41.962
    assert value(tables, "lce_per_li") == pytest.approx(li2co3 / (2 * 6.94), abs=5e-4)
    assert value(tables, "lioh_per_lce") == pytest.approx(2 * lioh_h2o / li2co3, rel=1e-4)
    # Busch factors 5.323 / 2.153 = 2.4724; the published Li2O->Li2CO3 factor is 2.473.
    assert value(tables, "lce_per_li2o") == pytest.approx(2.473, abs=1e-3)
    # Nd2O3 per 2 Nd: (2*144.24 + 3*15.999) / (2*144.24) = 1.16638
    assert value(tables, "ndpr_oxide_per_metal") == pytest.approx(
        0.75 * 1.16638 + 0.25 * (6 * 140.91 + 11 * 15.999) / (6 * 140.91), rel=1e-3)


def test_content_factors_match_usgs_and_stoichiometry(tables):
    # USGS MCS 2026 germanium footnote 1: GeO2 multiplied by 69% for Ge content;
    # by hand Ge/GeO2 = 72.630 / (72.630 + 2*15.999) = 0.6942.
    assert value(tables, "ge_content_of_geo2") == 0.69
    assert 72.630 / (72.630 + 2 * 15.999) == pytest.approx(0.69, abs=0.005)
    # 2*121.76 / (2*121.76 + 3*15.999) = 0.8354
    assert value(tables, "sb_content_of_sb2o3") == pytest.approx(0.8354, abs=1e-4)
    # 1.05 t Co per t refined / 0.30 Co in hydroxide (Fastmarkets spec) = 3.5 t hydroxide
    assert value(tables, "hydroxide_per_refined_cobalt") == pytest.approx(3.5, rel=1e-3)


def test_derived_coefficients_follow_from_their_inputs(tables):
    # sc6_per_lce = 1 / (0.06 * 2.4724 * 0.90) = 7.490 t SC6 per t LCE (hand computation)
    sc6 = 1 / (0.06 * value(tables, "lce_per_li2o") * value(tables, "sc6_recovery"))
    assert sc6 == pytest.approx(7.490, abs=1e-3)
    assert value(tables, "sc6_per_lce") == pytest.approx(sc6, rel=1e-3)
    # 0.99 REO purity / 0.157 NdPr share (MP Materials 10-K) = 6.306 t REO per t NdPr oxide
    assert value(tables, "treo_per_ndpr_oxide") == pytest.approx(0.99 / 0.157, rel=1e-3)
    # (0.3075 - 0.009) * 1.1770 = 0.3513 t NdPr oxide per t magnet
    ndpr = (value(tables, "ree_share_ndfeb") - value(tables, "dy_share_ndfeb_standard")) \
        * value(tables, "ndpr_oxide_per_metal")
    assert value(tables, "ndpr_oxide_per_magnet") == pytest.approx(ndpr, rel=1e-3)
    assert value(tables, "dy_oxide_per_magnet") == pytest.approx(
        value(tables, "dy_share_ndfeb_standard") * value(tables, "dy_oxide_per_metal"), rel=1e-3)


def test_lithium_conversion_margin_from_usgs_prices(tables):
    # USGS MCS 2026 lithium text: Li2CO3 9,300 -> 10,300 USD/t, SC6 800 -> 970 USD/t (Jan, Nov
    # 2025). Margin = mean(9300 - 7.4902*800, 10300 - 7.4902*970) = mean(3307.8, 3034.5) = 3171
    k = value(tables, "sc6_per_lce")
    expected = ((9300 - k * 800) + (10300 - k * 970)) / 2
    assert value(tables, "spodumene_to_carbonate_margin_2025", "conversion_costs") == \
        pytest.approx(expected, abs=2)
    assert expected == pytest.approx(3171, abs=2)


def test_separation_margin_from_mp_realized_prices(tables):
    # MP Materials Q2 2024 (Metalnomist): NdPr oxide 48 USD/kg, REO concentrate 4,183 USD/t REO.
    # 48,000 - 6.306 * 4,183 = 21,623 USD per t NdPr oxide (hand computation).
    prices = tables["price_points"]
    ndpr = value(tables, "ndpr_oxide_mp_realized_2024q2", "price_points")
    conc = value(tables, "re_concentrate_mp_realized_2024q2", "price_points")
    margin = ndpr - value(tables, "treo_per_ndpr_oxide") * conc
    assert margin == pytest.approx(21623, abs=5)
    assert value(tables, "concentrate_to_ndpr_oxide_margin_2024q2", "conversion_costs") == \
        pytest.approx(margin, abs=1)
    assert set(prices["mineral"]) == {"rare_earths", "lithium", "gallium"}  # gallium: decision 0079


def test_gallium_capacity_rows_add_up_to_the_usgs_world_total(tables):
    # USGS MCS 2026 gallium: China 1,600,000 + Japan 10,000 + Russia 10,000 + other 100,000
    # = 1,720,000 kg, published rounded as 1,700,000 kg.
    cap = tables["capacities"]
    cap = cap[cap["mineral"] == "gallium"].set_index("region")["value"]
    parts = cap.drop("WLD").sum()
    assert parts == 1_720_000
    assert abs(parts - cap["WLD"]) / cap["WLD"] < 0.02


@pytest.fixture()
def copy_of_tables(tmp_path) -> Path:
    folder = tmp_path / "parameters"
    shutil.copytree(_folder(), folder)
    return folder


def _edit(folder: Path, table: str, row: int, column: str, new: str) -> None:
    path = folder / f"{table}.csv"
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    rows[row - 1][column] = new
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.parametrize("column, new, message", [
    ("unit", "bananas", "unknown unit"),
    ("value", "abc", "not a number"),
    ("low", "99", "above value"),
    ("high", "0.001", "below value"),
    ("estimate", "maybe", "must be True or False"),
    ("source", "", "empty"),
    ("parameter", "li2o_per_li", "duplicate id"),
])
def test_bad_rows_are_reported_with_file_row_and_column(copy_of_tables, column, new, message):
    _edit(copy_of_tables, "input_coefficients", 1, column, new)
    with pytest.raises(DataError) as err:
        load_parameters(copy_of_tables)
    text = str(err.value)
    assert "input_coefficients.csv" in text and f"column '{column}'" in text and message in text
    assert "row 1" in text or (column == "parameter" and "row 2" in text)


def test_an_assumption_not_flagged_as_estimate_is_rejected(copy_of_tables):
    frame = pd.read_csv(copy_of_tables / "elasticities.csv", dtype=str)
    row = int((frame["source"] == ASSUMPTION).to_numpy().argmax()) + 1
    _edit(copy_of_tables, "elasticities", row, "estimate", "False")
    with pytest.raises(DataError, match=rf"elasticities.csv, row {row}: column 'estimate'"):
        load_parameters(copy_of_tables)


def test_missing_table_and_unknown_parameter_are_user_errors(copy_of_tables, tables):
    (copy_of_tables / "trade_costs.csv").unlink()
    with pytest.raises(DataError, match="trade_costs.csv"):
        load_parameters(copy_of_tables)
    with pytest.raises(DataError, match="unknown parameter 'nope'"):
        parameter(tables, "input_coefficients", "nope")
    assert set(tables) == set(TABLES)


# ---------------------------------------------------------------- lithium builder

def _raw_column_sum(path: Path, column: str) -> float:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return math.fsum(float(r[column]) for r in csv.DictReader(f) if r[column] != "NA")


@pytest.fixture(scope="module")
def built() -> dict[str, pd.DataFrame]:
    if not (RAW / "lithium-deposits" / "Deposit.csv").is_file():
        pytest.skip("raw data ../shared/data not present")
    return lithium.build(RAW)


@needs_raw
@pytest.mark.parametrize("raw_column, column", [
    ("reserve", "reserve_kt_li"),
    ("resource_demostrated", "resource_demonstrated_kt_li"),
    ("resource_inferred", "resource_inferred_kt_li"),
    ("all_resource", "all_resource_kt_li"),
    ("max_prod_rate", "max_prod_rate_kt_li_per_y"),
    ("prod_rate2023", "prod_rate_2023_kt_li_per_y"),
    ("prod_rate2025", "prod_rate_2025_kt_li_per_y"),
])
def test_deposit_totals_reproduce_deposit_csv(built, raw_column, column):
    raw = RAW / "lithium-deposits" / "Deposit.csv"
    assert built["lithium_deposits"][column].sum() == pytest.approx(
        _raw_column_sum(raw, raw_column), rel=1e-12)


@needs_raw
def test_deposit_table_matches_published_totals(built):
    deposits = built["lithium_deposits"]
    assert len(deposits) == 160 and deposits["deposit_id"].is_unique
    # Busch et al. 02-DepositParameters.R: "sum(df$Reserve_Li_ktons)/1e3 # 21.7 Mt"
    assert round(deposits["reserve_kt_li"].sum() / 1e3, 1) == 21.7
    assert set(deposits.columns) >= {"source", "table", "source_year", "licence", "estimate"}
    assert (deposits["estimate"] == (deposits["cost_source"] != "Report")).all()
    assert deposits["iso3"].str.fullmatch(r"[A-Z]{3}").all()


@needs_raw
def test_demand_paths(built):
    demand = built["lithium_demand_paths"]
    assert len(demand) == 539 and demand["scenario"].nunique() == 11
    base = demand[(demand["scenario"] == "Ambitious-Baseline-Baseline-Baseline-Baseline")
                  & (demand["year"] == 2022)]
    # Demand.csv, first data row: 2022, Ambitious-Baseline-Baseline-Baseline-Baseline, 113.535...
    assert base["demand_kt_li"].iloc[0] == pytest.approx(113.535026828114)
    assert set(built["sources"]["source"]) == {lithium.SOURCE}


@needs_raw
def test_build_is_byte_reproducible(built):
    again = lithium.build(RAW)
    for name, frame in built.items():
        assert csv_bytes(frame) == csv_bytes(again[name]), name


@needs_raw
def test_cost_curve_covers_2025_capacity_in_merit_order(built):
    curve = lithium_cost_curve(built["lithium_deposits"])
    raw_total = _raw_column_sum(RAW / "lithium-deposits" / "Deposit.csv", "prod_rate2025")
    assert curve["cumulative_kt_li_per_y"].iloc[-1] == pytest.approx(raw_total, rel=1e-12)
    assert curve["cost_usd_per_t_li"].is_monotonic_increasing
    assert (curve["cost_usd_per_t_lce"] * 5.323 - curve["cost_usd_per_t_li"]).abs().max() < 1e-6


def test_cost_curve_by_hand():
    deposits = pd.DataFrame({
        "deposit_id": [1, 2, 3, 4], "deposit_name": list("abcd"),
        "iso3": ["AUS", "CHL", "ARG", "CAN"],
        "prod_rate_2025_kt_li_per_y": [10.0, 5.0, 0.0, 2.0],
        "cost1_usd_per_t_li": [53230.0, 26615.0, 1.0, 53230.0],
    })
    curve = lithium_cost_curve(deposits, lce_per_li=5.323)
    # deposit 3 has no capacity; 2 is cheapest; 1 and 4 tie and are ordered by id
    assert curve["deposit_id"].tolist() == [2, 1, 4]
    assert curve["cumulative_kt_li_per_y"].tolist() == [5.0, 15.0, 17.0]
    assert curve["cost_usd_per_t_lce"].tolist() == pytest.approx([5000.0, 10000.0, 10000.0])


def test_unmapped_country_is_a_data_error(tmp_path):
    raw = RAW / "lithium-deposits" / "Deposit.csv"
    if not raw.is_file():
        pytest.skip("raw data ../shared/data not present")
    frame = pd.read_csv(raw)
    frame.loc[0, "Country"] = "Atlantis"
    (tmp_path / "lithium-deposits").mkdir()
    frame.to_csv(tmp_path / "lithium-deposits" / "Deposit.csv", index=False)
    with pytest.raises(DataError, match=r"Deposit.csv: field 'Country': unmapped value\(s\) \['Atlantis'\]"):
        lithium.build_deposits(tmp_path / "lithium-deposits" / "Deposit.csv")


# ---------------------------------------------------------------- history table

HISTORY_COLUMNS = ["episode", "variable", "region", "before", "after", "change_pct", "unit",
                   "period", "source", "note"]
EPISODES = {"ga_ge_licensing_2023", "antimony_controls_2024", "us_ban_ga_ge_sb_2024",
            "heavy_ree_controls_2025"}
HISTORY_UNITS = {"t", "t Sb", "kg", "USD/kg", "USD/lb", "USD/t", "CNY/kg", "CNY/t"}


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return pd.read_csv(HISTORY)


def test_history_rows_are_sourced_and_consistent(history):
    assert list(history.columns) == HISTORY_COLUMNS
    assert set(history["episode"]) == EPISODES
    assert history["source"].str.len().min() > 20
    assert set(history["unit"]) <= HISTORY_UNITS
    assert history[["before", "after", "change_pct"]].notna().any(axis=1).all()
    assert (history[["before", "after"]].fillna(0) >= 0).all().all()
    both = history.dropna(subset=["before", "after", "change_pct"])
    both = both[both["before"] > 0]
    computed = (both["after"] / both["before"] - 1) * 100
    assert (computed - both["change_pct"]).abs().max() < 0.5


def test_history_covers_each_episode_with_prices_and_trade(history):
    for episode in EPISODES:
        rows = history[history["episode"] == episode]
        assert rows["variable"].str.contains("price").any(), episode
        assert rows["variable"].str.contains("exports|imports").any(), episode


@needs_raw
def test_history_baci_row_recomputes_from_raw(history):
    trade = pd.read_csv(RAW / "baci-hs92-critical" / "trade_2015_2024.csv.gz")
    ores = trade[(trade["hs6"] == 261710) & (trade["exporter"] == 156)]
    by_year = ores.groupby("year")["quantity_t"].sum()
    row = history[history["variable"] == "china_exports_antimony_ores"].iloc[0]
    assert row["before"] == pytest.approx(by_year[2023], abs=0.05)
    assert row["after"] == pytest.approx(by_year[2024], abs=0.05)


@needs_raw
def test_history_usgs_rows_match_the_mcs_json(history):
    def salient(slug: str, section: str, label: str) -> dict[str, float]:
        data = json.loads((RAW / "usgs-mcs-2026" / f"{slug}.json").read_text())
        for item in data["salient_stats"]:
            if item["section"].startswith(section) and item["label"] == label:
                return item["values"]
        raise KeyError(label)

    def row(variable: str, period: str) -> pd.Series:
        hit = history[(history["variable"] == variable) & (history["period"] == period)]
        assert len(hit) == 1, (variable, period)
        return hit.iloc[0]

    ga = salient("gallium", "Imports", "Metal")
    got = row("us_imports_gallium_metal", "2024 vs 2025e (annual)")
    assert (got["before"], got["after"]) == (ga["2024"], ga["2025e"])
    ge = salient("germanium", "Price", "Germanium metal")
    got = row("germanium_metal_price_europe", "2022 vs 2024 (annual averages)")
    assert (got["before"], got["after"]) == (ge["2022"], ge["2024"])
    sb = salient("antimony", "Price", "Price, metal, average, dollars per pound")
    got = row("antimony_price", "2023 vs 2024 (annual averages)")
    assert (got["before"], got["after"]) == (sb["2023"], sb["2024"])
