"""``critmin reserve``: optimal operation and size of a strategic reserve, its financing and budget allocation.

Subcommands: ``optimise`` (the MDP of one product), ``size`` (capacity sweep), ``allocate`` (a budget
across products), ``finance`` (loan schedule), ``validate`` (Teisberg's published optimum) and
``parameters`` (the product parameters with their sources). Each prints rich tables or, with
``--json PATH`` ('-' for stdout), the full result. Numbers come from :mod:`critmin.reserve`; this
module only renders them.
"""

from __future__ import annotations

from typing import Optional

import typer

from critmin.commands import app
from critmin.commands.output import console, emit_json, rich_table

reserve_app = typer.Typer(name="reserve", no_args_is_help=True,
                          help="Strategic reserve: optimal operation and size (MDP), financing, budget allocation.")
app.add_typer(reserve_app, name="reserve")

PRODUCT_HELP = "Product: dy_oxide, tb_oxide or ndpr_oxide."


def _product(name: str, supply_gap: Optional[float], disruption_start: Optional[float], disruption_end: Optional[float],
             discount_rate: Optional[float], elasticity: Optional[float], demand: str):
    from critmin.errors import UnknownChoiceError
    from critmin.reserve.products import product

    if demand not in ("isoelastic", "linear"):
        raise UnknownChoiceError("demand form", demand, ("isoelastic", "linear"))
    return product(name, supply_gap=supply_gap, disruption_start=disruption_start, disruption_end=disruption_end,
                   discount_rate=discount_rate, elasticity=elasticity, demand_form=demand)


def _emit(obj: dict, json_path: Optional[str]) -> bool:
    if json_path is None:
        return False
    emit_json(obj, None if json_path == "-" else json_path)
    return json_path == "-"


GAP = typer.Option(None, "--supply-gap", help="Override: share of supply lost in a disruption.")
START = typer.Option(None, "--disruption-start", help="Override: yearly probability that a disruption starts.")
END = typer.Option(None, "--disruption-end", help="Override: yearly probability that a disruption ends.")
RATE = typer.Option(None, "--discount-rate", help="Override: yearly discount rate.")
ELAST = typer.Option(None, "--elasticity", help="Override: absolute demand elasticity.")
DEMAND = typer.Option("isoelastic", "--demand", help="Inverse demand: isoelastic (default) or linear, calibrated alike.")
JSON = typer.Option(None, "--json", help="Write the result as JSON to PATH ('-' for stdout).")


@reserve_app.command("optimise")
def optimise_command(
    product: str = typer.Option(..., "--product", help=PRODUCT_HELP),
    capacity: Optional[float] = typer.Option(None, "--capacity", help="Largest stock in tonnes (default: cover_years of demand)."),
    supply_gap: Optional[float] = GAP, disruption_start: Optional[float] = START, disruption_end: Optional[float] = END,
    discount_rate: Optional[float] = RATE, elasticity: Optional[float] = ELAST, demand: str = DEMAND,
    json_path: Optional[str] = JSON,
) -> None:
    """Solve the reserve MDP of one product exactly (value iteration and LP) and show the optimal policy."""
    from critmin.reserve.mdp import solve

    reserve = _product(product, supply_gap, disruption_start, disruption_end, discount_rate, elasticity, demand)
    sol = solve(reserve.problem(capacity))
    targets = sol.targets()
    summary = {"product": reserve.product, "value_from_empty_usd": float(sol.value[0, 0]),
               "long_run_cost_usd_per_year": sol.long_run_cost(), "bellman_residual": sol.residual,
               "lp_gap": sol.lp_gap, "iterations": sol.iterations, "disrupted_price_usd_per_t": reserve.disrupted_price()}
    if _emit({"parameters": reserve.model_dump(), "summary": summary, "targets": targets,
              "policy": sol.policy_table(), "stationary": sol.stationary()}, json_path):
        return
    console.print(rich_table(targets, title=f"{reserve.product}: stock the optimal policy settles at (t)"))
    table = sol.policy_table()
    shown = table[table["stock"].isin(targets["target"]) | (table["stock"] == 0.0)]
    console.print(rich_table(shown, title="policy at those stocks (t, USD)"))
    console.print(f"expected discounted cost from an empty reserve {sol.value[0, 0]:,.4g} USD; long-run cost "
                  f"{summary['long_run_cost_usd_per_year']:,.4g} USD/year; Bellman residual {sol.residual:.1e}, "
                  f"LP gap {sol.lp_gap:.1e}")


@reserve_app.command("size")
def size_command(
    product: str = typer.Option(..., "--product", help=PRODUCT_HELP),
    capacity_cost: float = typer.Option(0.0, "--capacity-cost", help="Cost of capacity, USD per tonne per year."),
    points: int = typer.Option(21, "--points", help="Capacities swept from 0 to cover_years of demand."),
    supply_gap: Optional[float] = GAP, disruption_start: Optional[float] = START, disruption_end: Optional[float] = END,
    discount_rate: Optional[float] = RATE, elasticity: Optional[float] = ELAST, demand: str = DEMAND,
    json_path: Optional[str] = JSON,
) -> None:
    """Sweep reserve capacities; the optimal size is the smallest capacity with the least expected cost."""
    reserve = _product(product, supply_gap, disruption_start, disruption_end, discount_rate, elasticity, demand)
    table = reserve.sizes(capacity_cost=capacity_cost, points=points)
    if _emit({"parameters": reserve.model_dump(), "sizes": table}, json_path):
        return
    console.print(rich_table(table.drop(columns=["product"]), title=f"{reserve.product}: capacity sweep (t, USD)"))
    best = table[table["optimal"]].iloc[0]
    console.print(f"optimal size {best['capacity']:,.4g} t (fill target {best['fill_target']:,.4g} t); "
                  f"largest Bellman residual {table['residual'].max():.1e}")


@reserve_app.command("allocate")
def allocate_command(
    budget: float = typer.Option(..., "--budget", help="Budget in USD, e.g. 12e9 for Project Vault."),
    products: str = typer.Option("dy_oxide,tb_oxide,ndpr_oxide", "--products", help="Comma-separated products."),
    points: int = typer.Option(21, "--points", help="Capacities per product from 0 to cover_years of demand."),
    json_path: Optional[str] = JSON,
) -> None:
    """Allocate a budget across products by greedy marginal analysis of avoided cost per dollar."""
    from critmin.reserve.allocation import allocate, benefit_curves
    from critmin.reserve.products import product

    names = [p.strip() for p in products.split(",") if p.strip()]
    curves = benefit_curves([product(n) for n in names], points=points)
    result = allocate(curves, budget)
    if _emit({"budget": budget, "spent": result.spent, "avoided": result.avoided, "unspent": result.unspent,
              "shadow_price": result.shadow_price, "duality_gap": result.duality_gap,
              "allocation": result.table, "steps": result.steps, "curves": curves}, json_path):
        return
    console.print(rich_table(result.table, title=f"allocation of {budget:,.4g} USD"))
    console.print(f"spent {result.spent:,.4g} USD, expected discounted cost avoided {result.avoided:,.4g} USD, "
                  f"unspent {result.unspent:,.4g} USD; marginal dollar avoids {result.shadow_price:.4g} USD; "
                  f"LP duality gap {result.duality_gap:.1e}")


@reserve_app.command("finance")
def finance_command(
    principal: Optional[float] = typer.Option(None, "--principal", help="Loan in USD (default: EXIM's 10e9 for Project Vault)."),
    rate: Optional[float] = typer.Option(None, "--rate", help="Yearly interest rate (default: critmin assumption 0.045)."),
    years: Optional[int] = typer.Option(None, "--years", help="Term in years (default: the reported 15)."),
    grace: int = typer.Option(0, "--grace", help="Interest-only years at the start."),
    json_path: Optional[str] = JSON,
) -> None:
    """Yearly schedule of an annuity loan (interest, principal, balance)."""
    from critmin.reserve import financing as f

    principal = f.VAULT_LOAN_USD if principal is None else principal
    rate = f.DEFAULT_RATE if rate is None else rate
    years = f.DEFAULT_YEARS if years is None else years
    table = f.schedule(principal, rate, years, grace)
    terms = {"principal": principal, "rate": rate, "years": years, "grace": grace,
             "principal_source": f.VAULT_LOAN_SOURCE, "years_source": f.DEFAULT_YEARS_SOURCE,
             "rate_source": "critmin assumption (not published)"}
    if _emit({"terms": terms, "schedule": table, "total_interest": float(table["interest"].sum())}, json_path):
        return
    console.print(rich_table(table, title=f"loan of {principal:,.4g} USD at {rate:.2%} over {years} years, {grace} grace",
                             floatfmt="{:,.0f}"))
    console.print(f"total interest {table['interest'].sum():,.0f} USD; principal: {f.VAULT_LOAN_SOURCE}")


@reserve_app.command("validate")
def validate_command(json_path: Optional[str] = JSON) -> None:
    """Reproduce the published optimum of Teisberg's SPR model (GAMS Model Library MARKOV)."""
    from critmin.reserve.mdp import solve
    from critmin.reserve.published import TEISBERG_PVCOST, TEISBERG_SOURCE, teisberg

    sol = solve(teisberg())
    out = {"model": "teisberg", "source": TEISBERG_SOURCE, "published_optimum": TEISBERG_PVCOST,
           "critmin_optimum": sol.expected_cost, "difference": sol.expected_cost - TEISBERG_PVCOST,
           "bellman_residual": sol.residual, "lp_gap": sol.lp_gap, "policy": sol.policy_table()}
    if _emit(out, json_path):
        return
    console.print(rich_table(sol.policy_table(), title="Teisberg (1981) SPR model: optimal policy (million bbl)"))
    console.print(f"present value of expected cost: critmin {sol.expected_cost:.4f}, published {TEISBERG_PVCOST:.4f} "
                  f"({TEISBERG_SOURCE}); Bellman residual {sol.residual:.1e}, LP gap {sol.lp_gap:.1e}")


@reserve_app.command("parameters")
def parameters_command(json_path: Optional[str] = JSON) -> None:
    """The product parameters with source, reference and whether each is an estimate."""
    from critmin.reserve.products import parameters

    table = parameters()
    if _emit({"parameters": table}, json_path):
        return
    console.print(rich_table(table[["parameter", "value", "unit", "source", "estimate"]], title="reserve parameters"))
