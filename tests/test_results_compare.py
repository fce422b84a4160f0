"""compare(a, b): hand-checkable changes from a tariff, matching by key, noise dropped, sorted by magnitude."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from critmin.engine import solve
from critmin.results import compare, execute

FIXTURES = Path(__file__).parent / "fixtures"
FREE = FIXTURES / "outputs" / "two_region_free.yaml"
TARIFF = FIXTURES / "outputs" / "two_region_tariff.yaml"
CHAIN = FIXTURES / "scenarios" / "chain_policies.yaml"


@pytest.fixture(scope="module")
def tariff():
    return compare(execute(FREE), execute(TARIFF))


def _row(frame, **keys):
    sel = frame
    for k, v in keys.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, keys
    return sel.iloc[0]


def test_tariff_price_change_is_the_closed_form(tariff):
    # Issue 3, section 4: the importer's price rises by t * Sx / (Sx + Dm). Here t = 9, export supply
    # q = p - 10 (Sx = 1), import demand q = 50 - p / 2 (Dm = 0.5): +6, from 40 to 46 (+15 %);
    # the exporter's price falls by t * Dm / (Sx + Dm) = 3, from 40 to 37 (-7.5 %).
    m = _row(tariff.tables["prices"], region="M", product="oxide")
    x = _row(tariff.tables["prices"], region="X", product="oxide")
    assert (m["a"], m["b"], m["change"], m["change_pct"]) == pytest.approx((40, 46, 6, 15), abs=1e-8)
    assert (x["a"], x["b"], x["change"], x["change_pct"]) == pytest.approx((40, 37, -3, -7.5), abs=1e-8)
    assert tariff.tables["prices"]["region"].tolist() == ["M", "X"]  # largest change first


def test_tariff_quantities_welfare_and_policy_rows(tariff):
    # Trade falls from 30 to 27 (-10 %); the tariff collects 9 x 27 = 243; consumer surplus in M falls
    # from 30^2 = 900 to 27^2 = 729 (area under p = 100 - 2q above the price: q^2).
    flow = _row(tariff.tables["flows"], product="oxide", origin="X", destination="M")
    assert (flow["a"], flow["b"], flow["change"], flow["change_pct"]) == pytest.approx((30, 27, -3, -10), abs=1e-8)
    assert _row(tariff.tables["supply"], region="X")["change"] == pytest.approx(-3, abs=1e-8)
    assert _row(tariff.tables["demand"], region="M")["change"] == pytest.approx(-3, abs=1e-8)
    gov = _row(tariff.tables["welfare"], level="region", id="M", measure="government")
    assert (gov["a"], gov["b"]) == pytest.approx((0, 243), abs=1e-6) and gov["change_pct"] != gov["change_pct"]  # NaN: a = 0
    cs = _row(tariff.tables["welfare"], level="region", id="M", measure="consumer_surplus")
    assert (cs["a"], cs["b"]) == pytest.approx((900, 729), abs=1e-6)
    revenue = _row(tariff.tables["policies"], kind="tariff", measure="revenue")
    assert (revenue["a"], revenue["b"]) == pytest.approx((0, 243), abs=1e-6)  # absent in a: collected nothing
    assert tariff.tables["processing"].empty  # nothing processed on either side
    changes = tariff.tables["welfare"]["change"].abs().tolist()
    assert changes == sorted(changes, reverse=True)


def test_same_market_in_another_order_has_no_differences():
    raw = yaml.safe_load(CHAIN.read_text(encoding="utf-8"))
    shuffled = {**raw, "policies": list(reversed(raw["policies"])), "supply": list(reversed(raw["supply"]))}
    result = compare(solve(CHAIN), solve(shuffled))
    assert {name: len(frame) for name, frame in result.tables.items()} == dict.fromkeys(result.tables, 0)


def test_long_form_and_header(tariff):
    long = tariff.long()
    assert list(long.columns) == ["table", "key", "measure", "a", "b", "change", "change_pct"]
    assert _row(long, table="prices", key="M/oxide")["change"] == pytest.approx(6, abs=1e-8)
    assert tariff.header()["a"]["name"] == "two-region-free" and len(tariff.header()["b"]["scenario_sha256"]) == 64


def test_saved_runs_compare_like_fresh_ones(tmp_path):
    from critmin.errors import InputFileError
    from critmin.results import load_run, write_run

    free, tariff = execute(FREE), execute(TARIFF)
    write_run(free, tmp_path / "free")
    write_run(tariff, tmp_path / "tariff")
    fresh, saved = compare(free, tariff), compare(load_run(tmp_path / "free"), load_run(tmp_path / "tariff"))
    for name, frame in fresh.tables.items():
        pd.testing.assert_frame_equal(saved.tables[name], frame, check_dtype=False, check_index_type=False,
                                      check_column_type=False, obj=name)
    assert saved.header() == fresh.header()
    # A table edited after the run is refused, naming the file.
    (tmp_path / "tariff" / "prices.csv").write_text("region,product,price\nM,oxide,99\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="prices.csv: changed since the run"):
        load_run(tmp_path / "tariff")
    with pytest.raises(InputFileError, match="not a critmin run output"):
        load_run(tmp_path)
