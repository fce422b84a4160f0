"""critmin's engine against an independent cvxpy formulation of the same markets.

The reference (benchmarks/cvxpy_spe.py) maximises net social surplus with Clarabel and reads
prices from the balance duals; the certificate (benchmarks/certificate.py) re-checks any claimed
equilibrium from its tables. Expected values here are therefore not hard-coded: they come from
a second, independent solution method, and each must agree with the other within tolerances
far above the solvers' accuracy and far below any economically meaningful difference.

What is compared (what the equilibrium determines uniquely): the net social surplus (always);
supply, demand and processing quantities and net exports per market (unique when slopes are
positive); prices wherever a demand curve pins them (positive demand on a curve, not a fixed
demand). Flows on individual arcs are checked only through the certificate, because when costs
tie (A->C costing the same as A->B->C) several flow plans are optimal. A Hypothesis test adds
small markets of every shape the contract allows, flat curves and fixed demands included.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks import certificate, cvxpy_spe
from benchmarks.adapters import FIXTURES, Tables, critmin_tables, diagonal_reference, reference
from benchmarks.generate import generate_market
from critmin.errors import CritminError

FIXTURE_FILES = [
    "chain_policies.yaml", "floor_purchase.yaml", "lp_chain_degenerate.yaml", "miranda_fackler_spatial.yaml", "trnsport.yaml",
]
#: (regions, products, seed): small enough for a fast suite, large enough for every structure.
RANDOM = [(4, 1, 0), (6, 3, 1), (8, 4, 2), (12, 6, 3), (20, 9, 4), (30, 12, 5)]

QTY_TOL = 2e-3  # absolute, in quantity units (markets here trade 10 to 1000 units)
PRICE_TOL = 1e-4  # relative to the price level
CERT_TOL = 5e-3


def _cases():
    for name in FIXTURE_FILES:
        yield pytest.param(FIXTURES / name, id=name.removesuffix(".yaml"))
    for n, k, seed in RANDOM:
        yield pytest.param(generate_market(n, k, seed), id=f"random-{n}x{k}-s{seed}")


def _certify(source, t: Tables) -> dict[str, float]:
    return certificate.violations(source, t.prices, t.supply, t.demand, t.processing, t.flows)


@pytest.mark.parametrize("source", list(_cases()))
def test_reference_is_an_equilibrium(source):
    """The reference itself passes the independent certificate (else the cross-check proves nothing)."""
    worst = _certify(source, reference(source))
    assert max(worst.values()) < CERT_TOL, worst


def _largest(gap: pd.Series) -> float:
    return float(gap.max()) if len(gap) else 0.0


def _merged(a: pd.DataFrame, b: pd.DataFrame, keys: list[str], col: str) -> pd.DataFrame:
    """Outer join on the keys (as strings: an empty table may carry float key columns)."""
    a, b = (t[keys + [col]].astype({k: str for k in keys}) for t in (a, b))
    return a.merge(b, on=keys, how="outer", suffixes=("_critmin", "_ref")).fillna({f"{col}_critmin": 0.0, f"{col}_ref": 0.0})


@pytest.mark.parametrize("source", list(_cases()))
def test_critmin_matches_reference(source):
    _compare(source, reference(source), critmin_tables(source), integrable=True)


def _compare(source, ref: Tables, ours: Tables, integrable: bool) -> None:
    """Every check of critmin (``ours``) against a reference solution of the same market."""
    # 1. critmin's own tables pass the independent certificate.
    worst = _certify(source, ours)
    assert max(worst.values()) < CERT_TOL, worst
    # 2. Quantities agree (unique when slopes are positive; also in the fixtures with zero slopes
    #    except trnsport's supply split, which is checked by its own published test).
    tables = ["demand", "processing"] + ([] if "trnsport" in str(source) else ["supply"])
    for name in tables:
        m = _merged(getattr(ours, name), getattr(ref, name), ["region", "product"], "quantity")
        gap = (m["quantity_critmin"] - m["quantity_ref"]).abs()
        assert _largest(gap) < QTY_TOL, (name, m.loc[gap.idxmax()].to_dict() if len(m) else None)
    scale = max(1.0, float(ref.prices["price"].abs().max()))
    # 3. Net social surplus is the same optimum (unique even where quantities are not); only an
    #    integrable market has one.
    if integrable and "floor_purchase" not in str(source):
        ours_w, ref_w = (certificate.net_surplus(source, t.supply, t.demand, t.processing, t.flows) for t in (ours, ref))
        assert ours_w == pytest.approx(ref_w, rel=1e-6, abs=1e-3)
    # 4. critmin's world welfare = the reference's surplus plus the duties collected (a transfer,
    #    not a cost). Without floors only: the reference values floor purchases at the floor.
    if "floor_purchase" not in str(source):
        assert ours.world_welfare == pytest.approx(ref.world_welfare, rel=1e-6, abs=1e-3)
    # 5. Export quota rents per unit equal the quota constraints' duals.
    assert ours.quota_rents.keys() == ref.quota_rents.keys()
    for idx, rent in ref.quota_rents.items():
        assert ours.quota_rents[idx] == pytest.approx(rent, abs=PRICE_TOL * scale), idx
    # 6. Each tariff's and export tax's revenue: (specific + ad valorem x origin price) x flows covered.
    assert ours.duty_revenues.keys() == ref.duty_revenues.keys()
    for idx, revenue in ref.duty_revenues.items():
        assert ours.duty_revenues[idx] == pytest.approx(revenue, rel=1e-5, abs=1e-2), idx
    # 7. Each cfd's treasury payment: (floor - price)+ x covered output.
    assert ours.cfd_payments.keys() == ref.cfd_payments.keys()
    for idx, payment in ref.cfd_payments.items():
        assert ours.cfd_payments[idx] == pytest.approx(payment, rel=1e-6, abs=1e-2), idx
    # 8. Prices agree wherever a demand curve pins them (positive demand with a slope; a fixed
    #    demand pins no price).
    p = _merged(ours.prices, ref.prices, ["region", "product"], "price")
    parsed = cvxpy_spe.parse(cvxpy_spe.read(source), allow_ad_valorem=True)
    curves = {(d["region"], d["product"]) for d in parsed.demand if "quantity" not in d}
    bought = ref.demand[ref.demand["quantity"] > 1e-2]
    pinned = bought[[(r, k) in curves for r, k in zip(bought["region"], bought["product"])]][["region", "product"]]
    p = p.merge(pinned.astype(str), on=["region", "product"])
    gap = (p["price_critmin"] - p["price_ref"]).abs()
    assert _largest(gap) < PRICE_TOL * scale, p.loc[gap.idxmax()].to_dict() if len(p) else None


def _with_cfd(market: dict, floor: float) -> dict:
    """A cfd floor on the first ore in the bloc, above the market price there (so it pays)."""
    market["policies"].append({"kind": "price_floor", "product": "ore0", "scope": "bloc", "price": floor, "mechanism": "cfd"})
    return market


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(_with_cfd(generate_market(n, k, seed), floor), id=f"random-{n}x{k}-s{seed}-cfd{floor:.0f}")
        for n, k, seed, floor in [(6, 3, 1, 90.0), (8, 4, 2, 95.0), (12, 6, 3, 100.0), (20, 9, 4, 120.0)]
    ],
)
def test_critmin_matches_reference_with_cfd(source):
    """A cfd on supply is integrable: producers offer at least S(floor), a lower bound in the QP."""
    ref, ours = reference(source), critmin_tables(source)
    assert all(payment > 100 for payment in ref.cfd_payments.values())  # the floor binds and pays
    _compare(source, ref, ours, integrable=True)


def _with_ad_valorem(market: dict) -> dict:
    """The generator's bloc tariff becomes 15% ad valorem and its export tax gains 10% ad valorem."""
    market["policies"][0] = {**market["policies"][0], "specific": 0.0, "ad_valorem": 0.15}
    market["policies"][2] = {**market["policies"][2], "ad_valorem": 0.1}
    return market


@pytest.mark.parametrize(
    "source",
    [pytest.param(_with_ad_valorem(generate_market(n, k, seed)), id=f"random-{n}x{k}-s{seed}-ad-valorem") for n, k, seed in RANDOM[1:]],
)
def test_critmin_matches_diagonalisation_with_ad_valorem(source):
    """Ad valorem rates are not integrable: the reference is the fixed point of benchmarks/diagonal.py."""
    ref = diagonal_reference(source)
    assert max(_certify(source, ref).values()) < CERT_TOL  # the reference is an equilibrium too
    _compare(source, ref, critmin_tables(source), integrable=False)


@pytest.mark.parametrize("source", list(_cases()))
def test_critmin_net_exports_match_reference(source):
    """Net exports per market are unique even when individual flows are not."""
    ref, ours = reference(source), critmin_tables(source)

    def net(t: Tables) -> pd.DataFrame:
        f = t.flows
        out = f.groupby(["origin", "product"])["quantity"].sum().rename("out")
        inn = f.groupby(["destination", "product"])["quantity"].sum().rename("in")
        both = pd.concat([out.rename_axis(["region", "product"]), inn.rename_axis(["region", "product"])], axis=1)
        return both.fillna(0.0).assign(net=lambda d: d["out"] - d["in"])["net"].reset_index()

    m = _merged(net(ours), net(ref), ["region", "product"], "net")
    gap = (m["net_critmin"] - m["net_ref"]).abs()
    # trnsport's plants are zero-cost and capped: their split of New York is not unique.
    tol = 60.0 if "trnsport" in str(source) else QTY_TOL
    assert _largest(gap) < tol, m.loc[gap.idxmax()].to_dict() if len(m) else None


def test_floor_purchases_match_reference():
    """Purchase floor: the government buys what the market leaves at the floor, region by region.

    Hand check of the reference's answer (floor 25 in X and Y): X supplies (25-10)/0.5 = 30, buys
    (40-25)/1 = 15, and Z delivers at 25 - 2 = 23, so Z supplies (23-5)/0.3 = 60, consumes
    (30-23)/0.5 = 14 and ships 46 to X: X's surplus 30 + 46 - 15 = 61 is bought. Y supplies
    (25-12)/0.4 = 32.5, consumes (35-25)/1.5 = 6.67: 25.83 is bought.
    """
    source = FIXTURES / "floor_purchase.yaml"
    ref, ours = reference(source), critmin_tables(source)
    m = _merged(ours.floor_purchases, ref.floor_purchases, ["region", "product"], "quantity")
    assert sorted(m["region"]) == ["X", "Y"]
    assert _largest((m["quantity_critmin"] - m["quantity_ref"]).abs()) < QTY_TOL
    expected = {"X": 61.0, "Y": 32.5 - 10 / 1.5}
    for region, q in expected.items():
        assert float(m.loc[m["region"] == region, "quantity_ref"].iloc[0]) == pytest.approx(q, abs=1e-4)


def test_reference_rejects_non_integrable_instruments():
    """The reference refuses ad valorem tariffs instead of silently solving another problem."""
    from benchmarks.cvxpy_spe import NotIntegrable, solve

    market = generate_market(4, 1, 0)
    market["policies"] = [{"kind": "tariff", "product": "*", "origin": "*", "destination": "*", "ad_valorem": 0.1}]
    with pytest.raises(NotIntegrable):
        solve(market)


def test_certificate_detects_a_wrong_price():
    """The certificate is not vacuous: raising country 2's price from 27 to 28 is caught.

    Hand computation at q_s = 12, q_d = 9: supply residual |12 - (12 - (3 + 2*12 - 28))| = 1;
    demand residual |9 - (9 - (28 - 54 + 3*9))| = 1; arbitrage on 1->2: 28 - 24 - 3 = 1.
    """
    source = FIXTURES / "miranda_fackler_spatial.yaml"
    t = reference(source)
    t.prices.loc[t.prices["region"] == "2", "price"] += 1.0
    worst = _certify(source, t)
    for condition in ("supply", "demand", "arbitrage"):
        assert worst[condition] == pytest.approx(1.0, abs=1e-4), condition


# --- Hypothesis: small random markets of any shape the contract allows (integrable instruments) ---

@st.composite
def small_markets(draw) -> dict:
    """2-5 regions, a chain of 1-3 products, flat or sloped curves, fixed demands, every integrable policy."""
    n = draw(st.integers(2, 5))
    regions = [f"r{i}" for i in range(n)]
    chain = draw(st.integers(1, 3))
    products = [{"id": "p0"}] + [
        {"id": f"p{k}", "inputs": {f"p{k - 1}": draw(st.floats(1.0, 2.0))}} for k in range(1, chain)
    ]
    last = f"p{chain - 1}"
    money = st.floats(0.5, 30.0)

    def curve(kind: str, region: str, product: str) -> dict:
        flat = draw(st.booleans())
        row = {"region": region, "product": product, "intercept": draw(money), "slope": 0.0 if flat else draw(st.floats(0.05, 2.0))}
        if flat or draw(st.booleans()):
            row["capacity"] = draw(st.floats(10.0, 200.0))
        return row

    supply = [curve("supply", r, "p0") for r in draw(st.lists(st.sampled_from(regions), min_size=1, max_size=3, unique=True))]
    processing = [
        curve("processing", r, f"p{k}")
        for k in range(1, chain)
        for r in draw(st.lists(st.sampled_from(regions), min_size=1, max_size=2, unique=True))
    ]
    demand, buyers = [], []
    for r in regions:
        if draw(st.floats(0, 1)) < 0.1:
            demand.append({"region": r, "product": last, "quantity": draw(st.floats(1.0, 20.0))})
        elif draw(st.floats(0, 1)) < 0.8:
            demand.append({"region": r, "product": last, "intercept": draw(st.floats(80.0, 200.0)), "slope": draw(st.floats(0.2, 3.0))})
            buyers.append(r)
    transport = [
        {"product": p["id"], "origin": o, "destination": d, "cost": draw(st.floats(0.5, 20.0))}
        for p in products
        for o in regions
        for d in regions
        if o != d and draw(st.floats(0, 1)) < 0.6
    ]
    bloc = draw(st.lists(st.sampled_from(regions), min_size=1, max_size=n, unique=True))
    where = st.sampled_from(regions + ["*", "bloc", "not bloc"])
    prod = st.sampled_from([p["id"] for p in products] + ["*"])
    options = [
        lambda: {"kind": "tariff", "product": draw(prod), "origin": draw(where), "destination": draw(where), "specific": draw(money)},
        lambda: {"kind": "tariff", "product": "*", "origin": "not bloc", "destination": "bloc", "specific": draw(money), "exempt": "bloc"},
        lambda: {"kind": "export_tax", "product": draw(prod), "origin": draw(where), "destination": "*", "specific": draw(money)},
        lambda: {"kind": "export_ban", "product": draw(prod), "origin": draw(where), "destination": draw(where)},
        lambda: {"kind": "export_quota", "product": draw(prod), "origin": draw(st.sampled_from(regions)), "destination": "*", "quantity": draw(st.just(0.0) | st.floats(0.01, 50.0))},
    ]
    if buyers:  # releases only where a demand curve can absorb them (see docs/validation/engine-vs-cvxpy.md)
        options.append(lambda: {"kind": "stockpile", "region": draw(st.sampled_from(buyers)), "product": last, "release": draw(st.floats(0.0, 10.0))})
    policies = [draw(st.sampled_from(options))() for _ in range(draw(st.integers(0, 4)))]
    return {
        "name": "hypothesis", "products": products, "regions": regions, "blocs": {"bloc": bloc},
        "supply": supply, "demand": demand, "processing": processing, "transport": transport,
        "default_transport_cost": None, "policies": policies,
    }


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(small_markets())
def test_critmin_agrees_with_reference_on_random_small_markets(market):
    """Same verdict (solvable or not) and, when solvable, a certified equilibrium with the same optimum."""
    try:
        ref = reference(market)
    except RuntimeError:  # infeasible: a fixed demand no supply can reach
        with pytest.raises(CritminError):
            critmin_tables(market)
        return
    ours = critmin_tables(market)
    worst = _certify(market, ours)
    assert max(worst.values()) < CERT_TOL, worst
    ours_w, ref_w = (certificate.net_surplus(market, t.supply, t.demand, t.processing, t.flows) for t in (ours, ref))
    assert ours_w == pytest.approx(ref_w, rel=1e-6, abs=1e-3)
    m = _merged(ours.demand, ref.demand, ["region", "product"], "quantity")
    assert _largest((m["quantity_critmin"] - m["quantity_ref"]).abs()) < QTY_TOL
