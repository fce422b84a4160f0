"""Tests of the literature builder (stage_shares): every expected share is copied from the cited document."""

from __future__ import annotations

from pathlib import Path

import pytest

from critmin.data.build import literature
from critmin.data.build.common import PROVENANCE


@pytest.fixture(scope="module")
def built():
    return literature.build(Path("unused"))


def test_columns_follow_the_contract(built):
    assert list(built["stage_shares"].columns) == ["mineral", "stage", "iso3", "year", "share", *PROVENANCE]
    assert not built["stage_shares"].duplicated(["mineral", "stage", "iso3", "year"]).any()


def test_shares_are_fractions_with_a_source_and_sum_to_one(built):
    shares, sources = built["stage_shares"], built["sources"]
    assert shares["share"].between(0, 1).all()
    assert set(shares["source"]) == set(sources["source"])
    assert sources[["title", "publisher", "url", "licence", "source_year"]].notna().all().all()
    assert shares["table"].str.len().gt(10).all()
    totals = shares.groupby(["mineral", "stage", "year"])["share"].sum()
    assert totals.to_numpy() == pytest.approx(1.0, abs=1e-9)
    assert shares["estimate"].all()  # whole-percent figures and derived residuals
    assert set(shares["stage"]) <= {"mining", "refining", "components", "recycling"}


def test_published_figures(built):
    share = built["stage_shares"].set_index(["mineral", "stage", "iso3", "year"])["share"]
    # IEA Global Critical Minerals Outlook 2024 (via SEAISI, 3 Jun 2024): refined REE output 2023, China 92%, Malaysia 5%,
    # China + Malaysia + Australia 98% -> Australia 1% and the rest 2% (derived).
    assert share[("rare_earths", "refining", "CHN", 2023)] == 0.92
    assert share[("rare_earths", "refining", "MYS", 2023)] == 0.05
    assert share[("rare_earths", "refining", "AUS", 2023)] == pytest.approx(0.01)
    assert share[("rare_earths", "refining", "ROW", 2023)] == pytest.approx(0.02)
    # IEA commentary of 23 Oct 2025: China 91% of separation, 94% of permanent-magnet manufacturing.
    assert share[("rare_earths", "refining", "CHN", 2025)] == 0.91
    assert share[("rare_earths", "components", "CHN", 2025)] == 0.94
    # IEA Global EV Outlook 2024: nearly 90% of cathode and over 97% of anode active material capacity in China.
    assert share[("lithium", "components", "CHN", 2024)] == 0.90
    assert share[("graphite", "components", "CHN", 2024)] == 0.97
    # USGS Minerals Yearbook 2017, Cobalt, p. 19.1: China produced 64% of refined cobalt in 2017.
    assert share[("cobalt", "refining", "CHN", 2017)] == 0.64
    # Reuters factbox (4 Jul 2023) citing CRMA: China produces around 60% of the world's germanium.
    assert share[("germanium", "refining", "CHN", 2023)] == 0.60


def test_derived_rows_say_so(built):
    shares = built["stage_shares"]
    row = shares[shares["iso3"] == "ROW"]
    assert row["table"].str.contains("derived").all()
    assert shares.loc[shares["iso3"] == "AUS", "table"].str.contains("derived").all()
