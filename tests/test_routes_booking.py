"""Input use booked entry by entry outside the engine when processing entries have recipes of their
own (decisions 0082, 0083): the report's Sankey links. Market ``routes(60)`` of
tests/test_engine_routes.py, solved by hand there: z1 = 130/7 on 1.5 a per t, z2 = 120/7 on its
own recipe, 2 b per t."""

from __future__ import annotations

import pytest

import critmin
from critmin.reports.data import sankey_links
from critmin.scenario import load_scenario
from tests.test_engine_routes import routes


def test_sankey_links_follow_each_entrys_recipe():
    sc = load_scenario(routes(60))
    links = sankey_links(sc, critmin.solve(sc)).set_index(["source", "target"])["value"]
    assert links[("a @ A", "metal @ A")] == pytest.approx(1.5 * 130 / 7, abs=1e-9)
    assert links[("b @ A", "metal @ A")] == pytest.approx(2 * 120 / 7, abs=1e-9)
    assert len(links) == 2  # by the product's recipe alone b would have no link and a would carry both routes


def test_dynamics_consumption_books_each_entrys_inputs():
    """The dynamics' consumption of an input (the shortfall table's ``undisrupted``) is its use by
    each entry at that entry's recipe: a = 1.5 z1 = 195/7, b = 2 z2 = 240/7; metal is final demand
    60 - 170/7 = 250/7."""
    from critmin.dynamics import prepare, simulate

    data = routes(60)
    data["horizon"] = {"start": 2024, "end": 2025}
    short = simulate(prepare(data)).tables["shortfall"]
    first = short[short["period"] == 0].set_index("product")["undisrupted"]
    assert first.to_dict() == pytest.approx({"a": 195 / 7, "b": 240 / 7, "metal": 250 / 7}, abs=1e-9)
