"""The HTML report: required sections, self-contained (offline), byte-identical re-render, and its numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from critmin.reports import SECTIONS, render
from critmin.reports.data import output_shares, prices_before_after, sankey_links
from critmin.results import execute

FIXTURES = Path(__file__).parent / "fixtures"
FREE = FIXTURES / "outputs" / "two_region_free.yaml"
TARIFF = FIXTURES / "outputs" / "two_region_tariff.yaml"
CHAIN = FIXTURES / "scenarios" / "chain_policies.yaml"


@pytest.fixture(scope="module")
def runs():
    return execute(FREE), execute(TARIFF)


@pytest.fixture(scope="module")
def page(runs):
    free, tariff = runs
    return render(tariff, free)


def test_every_required_section_is_there(page):
    for ident, heading in SECTIONS:
        assert f'<section id="{ident}"><h2>{heading}</h2>' in page
    assert [i for i, _ in SECTIONS] == ["headline", "map-production", "map-prices", "sankey", "prices", "welfare",
                                        "calibration", "appendix"]


def test_self_contained(page):
    # No element loads anything from the network: no src/href to http(s) on script, link, img or iframe.
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*[\"']?\s*(https?:)?//", page, re.I)
    assert "<script>" in page and "Plotly.newPlot" in page
    # The map layers are inlined so plotly.js never fetches them.
    assert 'window.PlotlyGeoAssets.topojson["world_110m"] = {"type":"Topology"' in page


def test_rerender_is_byte_identical(runs, page):
    free, tariff = runs
    again = render(execute(TARIFF), execute(FREE))  # fresh solves, fresh figures
    assert again.encode("utf-8") == page.encode("utf-8")
    assert 'id="fig-sankey"' in page and 'id="fig-prices"' in page


def test_numbers_in_the_page(page):
    # Hand computation (fixture header): M's price 40 -> 46 (+15 %), tariff revenue 243.
    assert "price of oxide in M" in page and "+15.0%" in page
    assert '<td class="n">46</td>' in page and '<td class="n">243</td>' in page
    # Regions X and M are not countries: the maps are replaced by a note, the numbers stay in tables.
    assert "No region of this scenario is a country" in page and 'id="fig-map-production"' not in page
    assert "self-contained market (no <code>world:</code> section)" in page
    assert "Exporter X: inverse supply p = 10 + q." in page  # the scenario's header comments (assumptions)


def test_country_regions_get_maps_and_calibration_section(tmp_path):
    raw = yaml.safe_load(TARIFF.read_text(encoding="utf-8"))
    text = yaml.safe_dump(raw).replace("X", "AUS").replace("- M", "- JPN").replace(": M", ": JPN").replace("[M]", "[JPN]")
    (tmp_path / "iso.yaml").write_text(text, encoding="utf-8")
    base = yaml.safe_load(text)
    base["policies"] = []
    (tmp_path / "iso_base.yaml").write_text(yaml.safe_dump(base), encoding="utf-8")
    run, baseline = execute(tmp_path / "iso.yaml"), execute(tmp_path / "iso_base.yaml")
    assert run.scenario.region_ids == ["AUS", "JPN"]
    run.result.calibration = pd.DataFrame({  # shape of critmin.world.fit.table; errors chosen by hand
        "kind": ["production", "price", "trade"], "product": ["oxide"] * 3, "region": ["AUS", "JPN", "AUS"],
        "destination": ["", "", "JPN"], "observed": [27.0, 46.0, 20.0], "model": [27.0, 46.0, 27.0],
        "error": [0.0, 0.0, 7.0], "relative": [1e-9, -4e-7, 0.05]})
    page = render(run, baseline)
    assert 'id="fig-map-production"' in page and 'id="fig-map-prices"' in page
    assert '"locations":["AUS"]' in page  # the only producer, on the map
    # The trade row (0.05) is reported but not held to the tolerance (critmin.world.fit.CHECKED).
    assert "price): 4e-07 (tolerance 0.0001;" in page and "reported-only kinds (trade)" in page
    assert "Sources of the embedded dataset" in page


def test_chart_tables_by_hand():
    run = execute(CHAIN)
    links = sankey_links(run.scenario, run.result)
    proc = run.result.processing.set_index("region")["quantity"]
    # A processing link carries the input used: 1.25 ore per unit of oxide (chain_policies.yaml).
    b = links[(links["kind"] == "processing") & (links["target"] == "oxide @ B")]
    assert b["source"].tolist() == ["ore @ B"] and b["value"].iloc[0] == pytest.approx(1.25 * proc["B"])
    trade = links[links["kind"] == "trade"]
    assert len(trade) == len(run.result.flows) and trade["value"].sum() == pytest.approx(run.result.flows["quantity"].sum())
    shares = output_shares(run.scenario, run.result)
    assert shares.groupby("product")["share"].sum().tolist() == pytest.approx([1.0, 1.0])
    ore_a = shares[(shares["product"] == "ore") & (shares["region"] == "A")]["share"].iloc[0]
    supply = run.result.supply.set_index("region")["quantity"]
    assert ore_a == pytest.approx(supply["A"] / supply.sum())
    prices = prices_before_after(None, run.result, run.scenario)
    assert prices["before"].isna().all() and prices["product"].tolist()[:3] == ["ore"] * 3


def test_forge_outcomes_and_reference_chain_in_the_page(runs):
    free, _ = runs
    run = execute(FIXTURES / "outputs" / "two_region_reference.yaml")
    page = render(run, free)
    # Outcome tables of critmin.policies.outcomes for the bloc the policy names; the levy collects
    # 18 x 24 = 432 (fixture header) and M's price rises from 40 to 52 (+30 %).
    assert "Outcomes per forge member and for the bloc" in page and '<td class="n">432</td>' in page
    assert "price of oxide in M" in page and "+30.0%" in page
    assert "Reference prices across stages" in page and "synthetic test value" in page
