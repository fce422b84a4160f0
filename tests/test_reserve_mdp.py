"""Reserve MDP (decisions 0060-0062): a published optimum, closed forms, VI = LP, certificates, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from critmin.errors import ScenarioError, SolverError, UnknownChoiceError
from critmin.reserve.mdp import (
    IsoelasticDemand,
    LinearDemand,
    ReserveProblem,
    bellman,
    linear_program,
    market_problem,
    optimal_size,
    solve,
    value_iteration,
)
from critmin.reserve.products import (
    PRODUCTS,
    calibrated_elasticity,
    exposed_demand,
    parameters,
    product,
)
from critmin.reserve.published import TEISBERG_PVCOST, teisberg


def test_teisberg_published_optimum():
    """GAMS Model Library MARKOV (Teisberg 1981, Bell J. Econ. 12(2) 526-546): GAMS's optimum pvcost = 2401.5773
    (GAMS solve recorded in jeffreyhorn/nlp2mcp data/gamslib/gamslib_status.json, entry 'markov', 4 decimals)."""
    sol = solve(teisberg())
    assert TEISBERG_PVCOST == 2401.5773
    assert sol.expected_cost == pytest.approx(2401.5773, abs=5e-5)
    assert sol.residual < 1e-9 and sol.lp_gap < 1e-9


def test_gams_markov_lp_transcribed_literally():
    """The GAMS file's own LP (occupation measures z(s,i,sp) >= 0, constr, equil, cost), written out here with its
    parameters and solved by HiGHS, gives the same optimum 2401.5773 as critmin's MDP."""
    from scipy.optimize import linprog

    b, beta, g, e, q, d, k, pn, h = 0.95, 0.0625, 0.25, 0.1, 110.0, -130.0, 342.0, 34.526, 0.32
    pr = np.array([[0.8, 0.2], [0.5, 0.5]])
    dis = np.array([0.0, 11.0])
    lev = 3.0 * np.arange(8)
    n = len(lev)
    idx = lambda s, i, sp: (s * 2 + i) * n + sp  # noqa: E731
    cost = np.zeros(n * 2 * n)
    a_eq = np.zeros((n * 2, n * 2 * n))
    bounds = []
    for s in range(n):
        for i in range(2):
            for sp in range(n):
                p = (k / (q - dis[i] - d - (lev[sp] - lev[s]))) ** (1 / e)
                cost[idx(s, i, sp)] = (g * (d * (p - pn) + k * (p ** (1 - e) - pn ** (1 - e)) / (1 - e))
                                       + p * (lev[sp] - lev[s]) + h * lev[sp])
                bounds.append((0, 0) if i == 1 and sp > s else (0, None))  # equil: no filling while disrupted
                a_eq[s * 2 + i, idx(s, i, sp)] += 1.0  # sum(spp, z(sp,j,spp)) with (sp,j) = (s,i)
                for j in range(2):
                    a_eq[sp * 2 + j, idx(s, i, sp)] -= b * pr[i, j]  # - b sum((s,i), pr(i,j) z(s,i,sp))
    res = linprog(cost, A_eq=a_eq, b_eq=np.full(n * 2, beta), bounds=bounds, method="highs")
    assert res.status == 0
    assert res.fun == pytest.approx(2401.5773, abs=5e-5)
    assert res.fun == pytest.approx(solve(teisberg()).expected_cost, rel=1e-10)


def test_teisberg_policy_never_fills_in_a_disruption_and_stationary_matches_the_market_chain():
    """The market chain (0.8/0.2, 0.5/0.5) is stationary at normal 5/7, disrupted 2/7 whatever the reserve does."""
    sol = solve(teisberg())
    table = sol.policy_table()
    assert (table.loc[table["state"] == "disrupted", "action"] <= 0).all()
    st = sol.stationary()
    by_state = st.groupby("state")["probability"].sum()
    assert by_state["normal"] == pytest.approx(5 / 7, abs=1e-12)
    assert by_state["disrupted"] == pytest.approx(2 / 7, abs=1e-12)
    # the long-run cost is the stationary mean of the stage costs actually incurred
    assert sol.long_run_cost() == pytest.approx(float((st["probability"] * st["stage_cost"]).sum()))


def test_isoelastic_surplus_loss_is_the_integral_of_demand():
    """Closed form of integral_{p0}^{p} (d + k x**-e) dx against numerical quadrature (Teisberg's demand)."""
    demand = IsoelasticDemand(scale=342.0, elasticity=0.1, shift=-130.0)
    p0, p = 34.526, 61.0
    numeric, _ = quad(lambda x: -130.0 + 342.0 * x**-0.1, p0, p)
    assert float(demand.surplus_loss(p, p0)) == pytest.approx(numeric, rel=1e-12)
    # inverse demand clears the market: D(P(q)) = q
    q = 99.0
    assert -130.0 + 342.0 * float(demand.price(q)) ** -0.1 == pytest.approx(q, rel=1e-12)
    assert demand.price(-200.0) == np.inf


def test_linear_surplus_loss_and_calibration():
    """Linear demand: integral of (a - b x) from p0 to p, and the calibrated point elasticity g / (p1/p0 - 1)."""
    demand = LinearDemand.through(price=280.0, quantity=100.0, elasticity=0.2)
    numeric, _ = quad(lambda x: demand.intercept - demand.slope * x, 280.0, 600.0)
    assert float(demand.surplus_loss(600.0, 280.0)) == pytest.approx(numeric, rel=1e-12)
    assert float(demand.price(100.0)) == pytest.approx(280.0, rel=1e-12)
    assert float(demand.price(demand.intercept + 5.0)) == 0.0 and demand.price(-1.0) == np.inf
    r = product("dy_oxide", demand_form="linear")
    assert r.elasticity == pytest.approx(0.35 / (850 / 280 - 1), rel=1e-12)
    assert r.disrupted_price() == pytest.approx(850_000.0, rel=1e-12)


def test_linear_demand_makes_buying_in_the_protected_market_not_worth_it():
    """First order: filling f costs the holder's consumers about share * p0 f / e, and releasing r in a disruption
    gives back share * (1 - gap) p0 r / e with linear demand (p_dis r / e with constant elasticity). With linear
    demand the release never repays the fill, so the optimal reserve is empty (decision 0062)."""
    sol = solve(product("dy_oxide", demand_form="linear").problem(), lp=False)
    assert sol.targets()["target"].iloc[0] == 0.0
    assert solve(product("dy_oxide").problem(), lp=False).targets()["target"].iloc[0] > 0.0


def test_no_reserve_value_is_the_closed_form_geometric_sum():
    """With capacity 0 the value is (I - beta P)^-1 c with c = share x surplus loss at the disrupted price only."""
    r = product("dy_oxide")
    sol = solve(r.problem(0.0))
    p_dis = r.base_price * (1.0 - r.supply_gap) ** (-1.0 / r.elasticity)
    loss = r.holder_share * r.exposed_demand * r.base_price ** r.elasticity * (
        p_dis ** (1.0 - r.elasticity) - r.base_price ** (1.0 - r.elasticity)) / (1.0 - r.elasticity)
    expected = np.linalg.solve(np.eye(2) - r.discount * r.transition, np.array([0.0, loss]))
    np.testing.assert_allclose(sol.value[:, 0], expected, rtol=1e-10)


@pytest.mark.parametrize("name", PRODUCTS)
def test_products_value_iteration_and_lp_agree_on_a_201_level_grid(name):
    problem = product(name).problem()
    assert len(problem.levels) == 201
    vi, _, _ = value_iteration(problem)
    lp = linear_program(problem)
    np.testing.assert_allclose(lp, vi, rtol=1e-7, atol=1e-6 * np.abs(vi).max())
    backed_up, _ = bellman(problem, vi)
    assert np.abs(backed_up - vi).max() <= 1e-8 * np.abs(vi).max()


def test_random_mdp_lp_equals_value_iteration():
    """A random finite MDP (three market states, mixed costs, some actions forbidden): both solvers find one value."""
    rng = np.random.default_rng(20260205)
    n, m = 3, 12
    transition = rng.dirichlet(np.ones(n), size=n)
    cost = rng.normal(size=(n, m, m)) * 10
    cost[rng.random((n, m, m)) < 0.3] = np.inf
    cost[:, np.arange(m), np.arange(m)] = rng.normal(size=(n, m))  # staying put is always allowed
    problem = ReserveProblem(levels=np.arange(m, dtype=float), states=("a", "b", "c"), transition=transition,
                             cost=cost, discount=0.9, weights=np.full((n, m), 1.0 / (n * m)))
    vi, policy, _ = value_iteration(problem)
    np.testing.assert_allclose(linear_program(problem), vi, rtol=1e-8, atol=1e-8)
    # the policy is greedy with respect to its own value
    q = cost + 0.9 * (transition @ vi)[:, None, :]
    np.testing.assert_allclose(np.take_along_axis(q, policy[:, :, None], axis=2)[:, :, 0], q.min(axis=2), atol=1e-9)


def test_calibrated_elasticity_reproduces_the_observed_2025_price_rise():
    """Argus Dy oxide, Europe: 280 -> 850 USD/kg (GMT Eight, 9 May 2025) with a 35% gap (Rawmaterials.net, Jan 2026)."""
    r = product("dy_oxide")
    assert r.elasticity == pytest.approx(math.log(1 / 0.65) / math.log(850 / 280), rel=1e-12)
    assert r.disrupted_price() == pytest.approx(850_000.0, rel=1e-12)
    assert product("tb_oxide").disrupted_price() == pytest.approx(3_000_000.0, rel=1e-12)
    with pytest.raises(ScenarioError):
        calibrated_elasticity(0.35, 280.0, 200.0)


def test_exposed_demand_follows_the_documented_derivation():
    """NdPr outside China = 390,000 t REO x 0.157 / 0.99 x 0.06 (USGS 2025e, Mountain Pass share, IEA 94% China)."""
    assert exposed_demand("ndpr_oxide") == pytest.approx(390_000 * 0.157 / 0.99 * 0.06, rel=1e-12)
    magnets = 390_000 * 0.157 / 0.99 / 0.3513 * 0.06
    assert exposed_demand("dy_oxide") == pytest.approx(magnets * 0.01033, rel=1e-12)
    assert exposed_demand("tb_oxide") == pytest.approx(magnets * 0.003 * 1.1762, rel=1e-12)


def test_parameters_carry_provenance():
    table = parameters()
    assert table["source"].notna().all() and table["reference"].notna().all()
    assert set(table["estimate"].unique()) <= {True, False}
    for name in PRODUCTS:
        assert (table["parameter"] == f"{name}.base_price").any()


def test_optimal_size_is_the_smallest_capacity_reaching_the_least_cost():
    r = product("tb_oxide")
    table = r.sizes(points=6)
    assert np.all(np.diff(table["total"]) <= 1e-9 * table["total"].abs().max())  # more room never costs more
    best = table[table["optimal"]]
    assert len(best) == 1
    assert best["total"].iloc[0] <= table["total"].min() + 1e-9 * abs(table["total"].min())
    assert (table.loc[table["capacity"] < best["capacity"].iloc[0], "total"] > best["total"].iloc[0]).all()
    # an expensive capacity makes the empty reserve optimal
    dear = r.sizes(capacity_cost=10 * r.base_price, points=3)
    assert dear.loc[dear["optimal"], "capacity"].iloc[0] == 0.0


def test_more_frequent_disruptions_call_for_a_larger_reserve():
    calm = solve(product("dy_oxide", disruption_start=0.05).problem(), lp=False).targets()["target"].iloc[0]
    rough = solve(product("dy_oxide", disruption_start=0.4).problem(), lp=False).targets()["target"].iloc[0]
    assert rough > calm


def test_same_inputs_same_bytes():
    a = solve(product("ndpr_oxide").problem(), lp=False).policy_table().to_csv(index=False)
    b = solve(product("ndpr_oxide").problem(), lp=False).policy_table().to_csv(index=False)
    assert a == b


def test_bad_inputs_raise_one_line_errors():
    with pytest.raises(UnknownChoiceError, match="unknown product 'cobalt'"):
        product("cobalt")
    with pytest.raises(ScenarioError, match="field 'supply_gap' \\(value 1.5\\)"):
        product("dy_oxide", supply_gap=1.5)
    with pytest.raises(UnknownChoiceError, match="reserve parameter"):
        product("dy_oxide", gap=0.1)
    with pytest.raises(ScenarioError, match="stochastic"):
        market_problem(np.arange(3.0), IsoelasticDemand(1.0, 0.5), {"normal": 1.0, "disrupted": 0.5},
                       np.array([[0.9, 0.2], [0.5, 0.5]]), 0.9, 0.0, 1.0)
    with pytest.raises(ScenarioError, match="discount"):
        market_problem(np.arange(3.0), IsoelasticDemand(1.0, 0.5), {"normal": 1.0, "disrupted": 0.5},
                       np.array([[0.9, 0.1], [0.5, 0.5]]), 1.0, 0.0, 1.0)
    with pytest.raises(ScenarioError, match="weights"):
        market_problem(np.arange(3.0), IsoelasticDemand(1.0, 0.5), {"normal": 1.0, "disrupted": 0.5},
                       np.array([[0.9, 0.1], [0.5, 0.5]]), 0.9, 0.0, 1.0, weights=np.zeros((2, 3)))
    with pytest.raises(ScenarioError, match="capacity"):
        product("dy_oxide").problem(-5.0)
    with pytest.raises(ScenarioError, match="at least one capacity"):
        optimal_size(product("dy_oxide").problem, [])


def test_uncertified_result_raises():
    with pytest.raises(SolverError, match="did not reach tolerance"):
        value_iteration(teisberg(), max_iter=3)


def test_cli_validate_and_optimise(capsys):
    import json

    from cli_helpers import run_cli

    code, out, err = run_cli(capsys, "reserve", "validate", "--json", "-")
    assert code == 0, err
    data = json.loads(out)
    assert data["published_optimum"] == 2401.5773
    assert abs(data["difference"]) < 5e-5
    code, out, err = run_cli(capsys, "reserve", "optimise", "--product", "tb_oxide", "--json", "-")
    assert code == 0, err
    data = json.loads(out)
    assert data["summary"]["bellman_residual"] <= 1e-8 * abs(data["summary"]["value_from_empty_usd"])
    assert {row["state"] for row in data["targets"]} == {"normal", "disrupted"}
    code, out, err = run_cli(capsys, "reserve", "optimise", "--product", "tb_oxide", "--supply-gap", "1.5")
    assert code == 4 and err.startswith("error: reserve tb_oxide: field 'supply_gap' (value 1.5)")
    assert "Traceback" not in err
