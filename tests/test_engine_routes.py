"""Processing routes: a processing entry with its own recipe (``inputs``), decision 0082.

Closed forms are solved by hand in each test's docstring; the random markets are checked against
the independent cvxpy formulation (benchmarks/cvxpy_spe.py) and certificate (benchmarks/certificate.py).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import critmin
from benchmarks import certificate
from benchmarks.adapters import critmin_tables, reference
from benchmarks.generate import generate_market
from critmin.engine.certificate import TOLERANCE, certify
from critmin.engine.model import _scales
from critmin.errors import InputFileError
from critmin.scenario import load_scenario
from critmin.scenario.checks import product_order


def routes(metal_intercept: float) -> dict:
    """One region; metal demand p = metal_intercept - d. Inputs a and b are supplied flat at 6
    (slope 0, no capacity), so their price is 6 whatever the use. Route 1 (product recipe, 1.5 a
    per metal): conversion 6 + 0.5 z1, capacity 20, so marginal cost 6 + 1.5 x 6 + 0.5 z1 = 15 + 0.5 z1.
    Route 2 (own recipe, 2 b per metal): conversion 8 + 0.25 z2, marginal cost 20 + 0.25 z2."""
    return {
        "name": "routes", "regions": ["A"],
        "products": [{"id": "a"}, {"id": "b"}, {"id": "metal", "inputs": {"a": 1.5}}],
        "supply": [{"region": "A", "product": "a", "intercept": 6, "slope": 0},
                   {"region": "A", "product": "b", "intercept": 6, "slope": 0}],
        "processing": [{"region": "A", "product": "metal", "intercept": 6, "slope": 0.5, "capacity": 20},
                       {"region": "A", "product": "metal", "intercept": 8, "slope": 0.25, "inputs": {"b": 2.0}}],
        "demand": [{"region": "A", "product": "metal", "intercept": metal_intercept, "slope": 1}],
    }


def qty(r, table: str, region: str, product: str) -> float:
    t = getattr(r, table)
    return float(t.loc[(t["region"] == region) & (t["product"] == product), "quantity"].sum())


def entry(r, i: int) -> float:
    e = r.processing_entries
    return float(e.loc[e["entry"] == i, "quantity"].sum())


def test_only_the_cheaper_route_runs_below_the_dearer_routes_cost():
    """Demand p = 27 - d: route 1 alone, 15 + 0.5 z = 27 - z -> z1 = 8, p = 19 < 20 (route 2's
    lowest marginal cost), so z2 = 0. Input use: a = 1.5 x 8 = 12, b = 0."""
    r = critmin.solve(routes(27))
    assert r.price("A", "metal") == pytest.approx(19, abs=1e-9)
    assert (entry(r, 0), entry(r, 1)) == pytest.approx((8, 0), abs=1e-9)
    assert qty(r, "supply", "A", "a") == pytest.approx(12, abs=1e-9)
    assert qty(r, "supply", "A", "b") == pytest.approx(0, abs=1e-9)
    assert r.residual <= r.tolerance


def test_both_routes_run_at_one_price_equal_to_each_routes_cost():
    """Demand p = 60 - d, both routes interior: z1 = 2 (p - 15), z2 = 4 (p - 20), d = z1 + z2 =
    6 p - 110 = 60 - p -> p = 170/7; z1 = 130/7 < 20 (capacity slack), z2 = 120/7. The price
    equals each route's marginal cost plus its inputs: 6 + 0.5 z1 + 1.5 x 6 = 8 + 0.25 z2 + 2 x 6.
    Inputs: a = 1.5 z1, b = 2 z2. Processing surplus (inputs flat, so the margin over conversion is
    the whole rent) = 0.5 x 0.5 z1^2 + 0.5 x 0.25 z2^2."""
    r = critmin.solve(routes(60))
    p, z1, z2 = 170 / 7, 130 / 7, 120 / 7
    assert r.price("A", "metal") == pytest.approx(p, abs=1e-9)
    assert (entry(r, 0), entry(r, 1)) == pytest.approx((z1, z2), abs=1e-9)
    assert p == pytest.approx(6 + 0.5 * z1 + 1.5 * 6) and p == pytest.approx(8 + 0.25 * z2 + 2 * 6)
    assert qty(r, "processing", "A", "metal") == pytest.approx(z1 + z2, abs=1e-9)
    assert qty(r, "supply", "A", "a") == pytest.approx(1.5 * z1, abs=1e-9)
    assert qty(r, "supply", "A", "b") == pytest.approx(2 * z2, abs=1e-9)
    surplus = r.welfare.set_index("id").loc["A", "processing_surplus"]
    assert surplus == pytest.approx(0.25 * z1**2 + 0.125 * z2**2, abs=1e-8)


def test_cheaper_route_at_capacity_the_dearer_route_sets_the_price():
    """Demand p = 100 - d: route 1 at its capacity 20 (its marginal cost 25 < p, a rent of p - 25);
    route 2 supplies the rest: d = 20 + 4 (p - 20) = 100 - p -> p = 32, z2 = 48, d = 68; the
    price is route 2's cost 8 + 0.25 x 48 + 2 x 6 = 32."""
    r = critmin.solve(routes(100))
    assert r.price("A", "metal") == pytest.approx(32, abs=1e-9)
    assert (entry(r, 0), entry(r, 1)) == pytest.approx((20, 48), abs=1e-9)
    assert qty(r, "demand", "A", "metal") == pytest.approx(68, abs=1e-9)
    assert qty(r, "supply", "A", "b") == pytest.approx(96, abs=1e-9)


def two_regions(tariff: float = 0.0) -> dict:
    """C makes hydroxide from 2 spodumene (flat at 10) at 4 + 0.5 z; U from 1 carbonate (flat at
    20) at 6 + 0.5 z; hydroxide demand only in U, p = 100 - d; C -> U costs 2 (+ a tariff t)."""
    return {
        "name": "two-recipes", "regions": ["C", "U"],
        "products": [{"id": "spodumene"}, {"id": "carbonate"}, {"id": "hydroxide"}],
        "supply": [{"region": "C", "product": "spodumene", "intercept": 10, "slope": 0},
                   {"region": "U", "product": "carbonate", "intercept": 20, "slope": 0}],
        "processing": [{"region": "C", "product": "hydroxide", "intercept": 4, "slope": 0.5, "inputs": {"spodumene": 2}},
                       {"region": "U", "product": "hydroxide", "intercept": 6, "slope": 0.5, "inputs": {"carbonate": 1}}],
        "demand": [{"region": "U", "product": "hydroxide", "intercept": 100, "slope": 1}],
        "transport": [{"product": "hydroxide", "origin": "C", "destination": "U", "cost": 2}],
        "policies": [{"kind": "tariff", "product": "hydroxide", "destination": "U", "specific": tariff}] if tariff else [],
    }


@pytest.mark.parametrize("tariff", [0.0, 3.0])
def test_two_regions_with_different_recipes_trade(tariff):
    """p_C = 2 x 10 + 4 + 0.5 zC (all of C's output is exported), p_U = 20 + 6 + 0.5 zU and
    p_U = p_C + 2 + t, so zC = zU - 2 t; d = zC + zU = 100 - p_U = 74 - 0.5 zU ->
    zU = (74 + 2 t) / 2.5. t = 0: zU = zC = 29.6, p_U = 40.8, p_C = 38.8;
    t = 3: zU = 32, zC = 26, p_U = 42, p_C = 37. Spodumene used = 2 zC, carbonate = zU."""
    r = critmin.solve(two_regions(tariff))
    zu = (74 + 2 * tariff) / 2.5
    zc = zu - 2 * tariff
    assert (entry(r, 0), entry(r, 1)) == pytest.approx((zc, zu), abs=1e-9)
    assert r.price("U", "hydroxide") == pytest.approx(26 + 0.5 * zu, abs=1e-9)
    assert r.price("C", "hydroxide") == pytest.approx(24 + 0.5 * zc, abs=1e-9)
    assert qty(r, "supply", "C", "spodumene") == pytest.approx(2 * zc, abs=1e-9)
    assert qty(r, "supply", "U", "carbonate") == pytest.approx(zu, abs=1e-9)
    f = r.flows
    assert float(f.loc[(f["origin"] == "C") & (f["product"] == "hydroxide"), "quantity"].sum()) == pytest.approx(zc, abs=1e-9)
    assert set(r.prices["product"] + "@" + r.prices["region"]) == {
        "spodumene@C", "carbonate@U", "hydroxide@C", "hydroxide@U"}  # no carbonate market in C, no spodumene in U


# --- validation ------------------------------------------------------------------------------

def _error(data: dict) -> InputFileError:
    with pytest.raises(InputFileError) as err:
        load_scenario(data, where="routes.yaml")
    return err.value


def test_unknown_input_product_names_field_and_value():
    data = routes(60)
    data["processing"][1]["inputs"] = {"lithium": 1.0}
    err = _error(data)
    assert (err.path, err.field, err.value) == ("routes.yaml", "processing[1].inputs", "lithium")
    assert "unknown input product" in str(err)


def test_negative_or_zero_coefficient_names_field_and_value():
    for bad in (-1.0, 0.0):
        data = routes(60)
        data["processing"][1]["inputs"] = {"b": bad}
        err = _error(data)
        assert (err.field, err.value) == ("processing[1].inputs.b", bad)
        assert "greater than 0" in str(err)


def test_input_equal_to_the_product_itself():
    data = routes(60)
    data["processing"][1]["inputs"] = {"b": 1.0, "metal": 0.1}
    err = _error(data)
    assert (err.field, err.value) == ("processing[1].inputs", "metal")
    assert "input of itself" in str(err)


def test_empty_recipe_is_refused():
    data = routes(60)
    data["processing"][1]["inputs"] = {}
    assert _error(data).field == "processing[1].inputs"


def test_cycle_through_an_entry_recipe_names_the_entry():
    """b is made from metal by an entry's own recipe while metal's route 2 uses b: a cycle the
    products' recipes alone do not have."""
    data = routes(60)
    data["processing"].append({"region": "A", "product": "b", "intercept": 1, "slope": 0.1, "inputs": {"metal": 1.0}})
    err = _error(data)
    assert "cyclic product inputs" in str(err)
    assert err.field in ("processing[1].inputs", "processing[2].inputs")


def test_product_order_follows_entry_recipes():
    """carbonate has no recipe of its own but an entry makes it from spodumene, and hydroxide is
    made from carbonate by an entry: the order puts spodumene before carbonate before hydroxide."""
    data = two_regions()
    data["products"] = [{"id": "hydroxide"}, {"id": "carbonate"}, {"id": "spodumene"}]
    data["processing"].append({"region": "U", "product": "carbonate", "intercept": 1, "slope": 1, "inputs": {"spodumene": 1.8}})
    order = product_order(load_scenario(data))
    assert order.index("spodumene") < order.index("carbonate") < order.index("hydroxide")


def test_entry_recipe_lets_a_product_without_recipe_be_processed():
    data = two_regions()
    assert load_scenario(data).recipes() == [{"spodumene": 2.0}, {"carbonate": 1.0}]
    data["processing"][0].pop("inputs")
    err = _error(data)
    assert (err.field, err.value) == ("processing[0].product", "hydroxide")


# --- an entry recipe equal to the product's is the same market, to the bit ---------------------

def test_entry_recipe_identical_to_the_products_gives_identical_bytes():
    """Copying each product's recipe into its processing entries changes nothing: same JSON bytes
    (prices, quantities, flows, welfare, residual)."""
    market = generate_market(12, 6, 3)
    recipes = {p["id"]: p.get("inputs") for p in market["products"]}
    spelled = copy.deepcopy(market)
    for e in spelled["processing"]:
        e["inputs"] = dict(recipes[e["product"]])
    a, b = critmin.solve(market), critmin.solve(spelled)
    assert a.to_json() == b.to_json()
    assert a.processing_entries.equals(b.processing_entries)


# --- the certificate re-derives each entry's margin and input use -----------------------------

def test_certificate_catches_input_use_booked_to_the_wrong_route():
    """Swapping the two routes' outputs keeps the market total (and so the processing row) but
    moves input use between a and b: the certificate's per-entry conditions catch it."""
    sc = load_scenario(routes(60))
    r = critmin.solve(sc)
    tables = {k: getattr(r, k).copy() for k in ("prices", "producer_prices", "supply", "demand", "processing",
                                               "flows", "policies", "policy_details", "processing_entries")}
    P, Q = _scales(sc)
    assert certify(sc, tables, P, Q).residual <= 1e-9
    tables["processing_entries"]["quantity"] = tables["processing_entries"]["quantity"].to_numpy()[::-1]
    cert = certify(sc, tables, P, Q)
    # z1 - z2 = 10/7 moved between routes, against metal's quantity scale Q = P / 0.25 = 60 / 0.25
    # = 240 (product_scales: the uncapped route's reach at the largest intercept, 60): 1/168
    assert cert.parts["route on curve"] == pytest.approx(10 / 7 / 240, rel=1e-6)
    assert cert.parts["market clearing"] > 1e3 * TOLERANCE and cert.residual > 1e3 * TOLERANCE
    with pytest.raises(ValueError, match="processing_entries"):
        certify(sc, {k: v for k, v in tables.items() if k != "processing_entries"}, P, Q)


# --- cross-check against the independent cvxpy formulation ------------------------------------

def with_routes(n: int, k: int, seed: int) -> dict:
    """A generated benchmark market where, seeded, some processing entries get a recipe of their own
    (the product's coefficients times 0.6-1.4, sometimes plus an ore of another chain) and some
    markets get a second, dearer entry with another recipe beside the first."""
    market = generate_market(n, k, seed)
    rng = np.random.default_rng([seed, 82])
    recipes = {p["id"]: p.get("inputs") or {} for p in market["products"]}
    ores = [p["id"] for p in market["products"] if not recipes[p["id"]]]
    extra = []
    for e in market["processing"]:
        own = {i: round(c * float(rng.uniform(0.6, 1.4)), 3) for i, c in recipes[e["product"]].items()}
        other = [o for o in ores if o not in own and o != e["product"]]
        if other and rng.random() < 0.4:
            own[other[int(rng.integers(len(other)))]] = round(float(rng.uniform(0.2, 0.8)), 3)
        if rng.random() < 0.5:
            e["inputs"] = own
        else:
            extra.append({**e, "intercept": round(e["intercept"] * 1.2, 3), "inputs": own})
    market["processing"] += extra
    return market


@pytest.mark.parametrize(("n", "k", "seed"), [(6, 3, 1), (12, 6, 3), (20, 9, 4)])
def test_critmin_matches_cvxpy_with_entry_recipes(n, k, seed):
    """Entry quantities (unique: every processing curve has a positive slope), prices where a
    demand curve pins them, net social surplus; both solutions pass the independent certificate."""
    market = with_routes(n, k, seed)
    assert any("inputs" in e for e in market["processing"])
    ours, ref = critmin_tables(market), reference(market)
    for t in (ours, ref):
        worst = certificate.violations(market, t.prices, t.supply, t.demand, t.processing, t.flows,
                                       processing_entries=t.processing_entries)
        assert max(worst.values()) < 5e-3, worst
    a = ours.processing_entries.set_index("entry")["quantity"]
    b = ref.processing_entries.set_index("entry")["quantity"]
    assert len(a) == len(b) == len(market["processing"])
    assert float((a - b).abs().max()) < 2e-3
    surplus = [certificate.net_surplus(market, t.supply, t.demand, t.processing, t.flows, t.processing_entries)
               for t in (ours, ref)]
    assert surplus[0] == pytest.approx(surplus[1], rel=1e-6, abs=1e-3)
    pinned = ref.demand[ref.demand["quantity"] > 1e-2][["region", "product"]]
    p = pinned.merge(ours.prices, on=["region", "product"]).merge(ref.prices, on=["region", "product"], suffixes=("", "_ref"))
    scale = max(1.0, float(ref.prices["price"].abs().max()))
    assert len(p) and float((p["price"] - p["price_ref"]).abs().max()) < 1e-4 * scale


def test_canonical_scenario_omits_the_default_recipe():
    """An entry without ``inputs`` serialises as before routes existed (run folders' scenario.json
    and its sha256 keep their bytes); an entry recipe is kept and survives a round trip."""
    sc = load_scenario(routes(60))
    dumped = sc.model_dump(mode="json")["processing"]
    assert "inputs" not in dumped[0] and dumped[1]["inputs"] == {"b": 2.0}
    assert load_scenario(sc.model_dump(mode="json")).model_dump() == sc.model_dump()
