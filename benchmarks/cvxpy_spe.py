"""An independent reference for critmin's engine: the integrable spatial price equilibrium in cvxpy.

Samuelson (1952) and Takayama & Judge (1964) showed that, with linear curves and per-unit
trade costs, the competitive spatial equilibrium maximises net social surplus

    area under demand - area under supply - processing cost - transport cost - per-unit duties

subject to one balance per (region, product) market; the balances' multipliers are the prices.
This module states exactly that problem in cvxpy, reading the scenario contract of issue 3
(a dict, or a YAML/JSON file) with its own small parser, so that it shares no code with
``critmin.scenario`` or ``critmin.engine``. It is used by the cross-check tests and by the
benchmark; it is deliberately straightforward (vectorised, sparse, no tricks).

Only instruments that keep the problem integrable are accepted: specific tariffs and export
taxes (per-unit costs on the arcs they cover), export bans (arcs removed), export quotas
(a cap on the covered arcs' total), stockpile releases and purchases (fixed quantities), and a
price floor by public purchase without a budget (the government is a perfectly elastic buyer
at the floor). Ad valorem rates, variable levies, CfDs and budget caps make the equilibrium a
complementarity problem that is not an optimisation; they raise :class:`NotIntegrable`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cvxpy as cp
import numpy as np
import pandas as pd
import scipy.sparse as sp
import yaml

#: Quantities below this are reported as zero flows (solver noise, not trade).
FLOW_EPS = 1e-7


class NotIntegrable(ValueError):
    """The scenario uses an instrument that the surplus-maximisation form cannot represent."""


@dataclass
class Market:
    """The parsed scenario: plain lists and arrays, one row per curve, arc or constraint."""

    regions: list[str]
    products: list[str]
    inputs: dict[str, dict[str, float]]  # each product's recipe (processing rows may have their own)
    supply: list[dict[str, Any]]
    demand: list[dict[str, Any]]
    processing: list[dict[str, Any]]
    arcs: list[tuple[str, str, str]]  # (product, origin, destination)
    arc_cost: np.ndarray  # transport + specific tariffs + specific export taxes
    arc_duty: np.ndarray  # the specific tariffs and export taxes alone (government revenue per unit)
    quotas: list[tuple[float, list[int]]]  # (quantity, indices of arcs covered)
    quota_policy: list[int]  # index in scenario["policies"] of each quota
    duties: list[tuple[int, float, list[int]]]  # (policy index, specific rate, arcs it is charged on)
    arc_ad_valorem: np.ndarray  # sum of ad valorem rates (on the origin price) per arc
    ad_valorem: list[tuple[int, float, list[int]]]  # (policy index, rate, arcs it is charged on)
    fixed: dict[tuple[str, str], float]  # (region, product) -> fixed net source (releases - purchases)
    floors: list[tuple[str, str, float]]  # (region, product, floor price) bought without limit
    cfds: list[tuple[int, float, list[int]]]  # (policy index, floor, indices of supply rows it covers)


@dataclass
class Result:
    """Equilibrium of the reference formulation, in the table layout of critmin's results."""

    status: str
    solver: str
    objective: float
    prices: pd.DataFrame
    supply: pd.DataFrame
    demand: pd.DataFrame
    processing: pd.DataFrame
    flows: pd.DataFrame
    net_exports: pd.DataFrame
    floor_purchases: pd.DataFrame
    arc_cost_total: float
    duty_revenue: float
    quota_rents: dict[int, float]  # policy index -> rent per unit (the quota constraint's dual)
    duty_revenues: dict[int, float]  # policy index -> revenue of a specific tariff or export tax
    cfd_payments: dict[int, float]  # policy index -> treasury payment (F - p)+ x covered output
    processing_entries: pd.DataFrame  # entry (row of the scenario's processing), region, product, quantity
    solve_time: float
    setup_time: float
    extra: dict[str, Any] = field(default_factory=dict)


def read(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """Return the scenario as a dict: a mapping is used as is, a path is read as YAML or JSON."""
    if isinstance(source, Mapping):
        return dict(source)
    text = Path(source).read_text(encoding="utf-8")
    return json.loads(text) if str(source).endswith(".json") else yaml.safe_load(text)


def _ids(items: Iterable[Any]) -> list[str]:
    return [str(i["id"]) if isinstance(i, Mapping) else str(i) for i in items]


def _selector(spec: Any, regions: list[str], blocs: Mapping[str, list[str]]) -> set[str]:
    """Regions named by a selector: a region, a bloc, ``*``, ``not <bloc|region>``, or a list."""
    if spec is None:
        return set()
    if isinstance(spec, list):
        return set().union(*(_selector(s, regions, blocs) for s in spec)) if spec else set()
    s = str(spec).strip()
    if s == "*":
        return set(regions)
    if s.startswith("not "):
        return set(regions) - _selector(s[4:].strip(), regions, blocs)
    if s in blocs:
        return {str(r) for r in blocs[s]}
    if s in regions:
        return {s}
    raise ValueError(f"unknown region or bloc {s!r} in selector")


def _products(spec: Any, products: list[str]) -> set[str]:
    if spec is None or spec == "*":
        return set(products)
    names = spec if isinstance(spec, list) else [spec]
    unknown = [p for p in names if p not in products]
    if unknown:
        raise ValueError(f"unknown product {unknown[0]!r} in policy")
    return {str(p) for p in names}


def parse(scenario: Mapping[str, Any], allow_ad_valorem: bool = False) -> Market:
    """Turn a scenario dict (issue 3 contract) into arcs, curves and constraints.

    Ad valorem rates make the equilibrium non-integrable: they raise :class:`NotIntegrable` unless
    ``allow_ad_valorem`` (for :mod:`benchmarks.diagonal`, which handles them by iteration).
    """
    regions = _ids(scenario["regions"])
    prods = scenario["products"]
    products = _ids(prods)
    inputs = {
        str(p["id"]): {str(k): float(v) for k, v in (p.get("inputs") or {}).items()}
        for p in prods
        if isinstance(p, Mapping)
    }
    blocs = {str(k): [str(r) for r in v] for k, v in (scenario.get("blocs") or {}).items()}
    known_r, known_p = set(regions), set(products)

    def check(entry: Mapping[str, Any], section: str) -> None:
        if entry["region"] not in known_r or entry["product"] not in known_p:
            raise ValueError(f"{section}: unknown region or product in {dict(entry)}")

    supply = [dict(s) for s in scenario.get("supply") or []]
    demand = [dict(d) for d in scenario.get("demand") or []]
    processing = [dict(p) for p in scenario.get("processing") or []]
    for section, rows in (("supply", supply), ("demand", demand), ("processing", processing)):
        for row in rows:
            check(row, section)

    # Arcs: listed transport pairs, or every ordered pair when a default cost is given.
    base: dict[tuple[str, str, str], float] = {}
    default = scenario.get("default_transport_cost")
    if default is not None:
        for k in products:
            for o in regions:
                for d in regions:
                    if o != d:
                        base[(k, o, d)] = float(default)
    for t in scenario.get("transport") or []:  # selectors allowed; a later entry overrides
        for k in sorted(_products(t["product"], products)):
            for o in sorted(_selector(t["origin"], regions, blocs)):
                for d in sorted(_selector(t["destination"], regions, blocs)):
                    if o != d:
                        base[(k, o, d)] = float(t["cost"])

    fixed: dict[tuple[str, str], float] = {}
    floors: list[tuple[str, str, float]] = []
    cfds: list[tuple[int, float, list[int]]] = []
    banned: set[tuple[str, str, str]] = set()
    duty: dict[tuple[str, str, str], float] = {}
    duty_specs: list[tuple[int, float, set[tuple[str, str, str]]]] = []  # (policy, rate, arcs)
    av_specs: list[tuple[int, float, set[tuple[str, str, str]]]] = []
    quota_specs: list[tuple[float, set[str], set[str], set[str]]] = []
    quota_policy: list[int] = []
    for idx, pol in enumerate(scenario.get("policies") or []):
        kind = pol["kind"]
        if kind in ("tariff", "export_tax", "export_ban", "export_quota"):
            prods_sel = _products(pol.get("product", "*"), products)
            orig = _selector(pol.get("origin", "*"), regions, blocs)
            dest = _selector(pol.get("destination", "*"), regions, blocs)
            orig -= _selector(pol.get("exempt"), regions, blocs)
            if kind in ("tariff", "export_tax"):
                rate = float(pol.get("specific") or 0.0)
                hit = {key for key in base if key[0] in prods_sel and key[1] in orig and key[2] in dest}
                for key in hit:
                    duty[key] = duty.get(key, 0.0) + rate
                duty_specs.append((idx, rate, hit))
                if pol.get("ad_valorem"):
                    if not allow_ad_valorem:
                        raise NotIntegrable(f"{kind} with ad_valorem is not integrable")
                    av_specs.append((idx, float(pol["ad_valorem"]), hit))
            elif kind == "export_ban":
                banned |= {k for k in base if k[0] in prods_sel and k[1] in orig and k[2] in dest}
            else:
                quota_specs.append((float(pol["quantity"]), prods_sel, orig, dest))
                quota_policy.append(idx)
        elif kind == "stockpile":
            key = (str(pol["region"]), str(pol["product"]))
            net = float(pol.get("release") or 0.0) - float(pol.get("purchase") or 0.0)
            fixed[key] = fixed.get(key, 0.0) + net
        elif kind == "price_floor" and pol.get("mechanism") == "cfd":
            # Producers receive max(p, F): a supply row then offers at least S(F) whatever the
            # price, which is a lower bound on its quantity (still integrable). Processors would
            # need their input prices: not integrable, refused.
            scope = _selector(pol.get("scope", "*"), regions, blocs)
            covered = _products(pol.get("product", "*"), products)
            if any(p["region"] in scope and p["product"] in covered for p in processing):
                raise NotIntegrable("a cfd on processed output is not integrable")
            rows = [i for i, s in enumerate(supply) if s["region"] in scope and s["product"] in covered]
            cfds.append((idx, float(pol["price"]), rows))
        elif kind == "price_floor":
            if pol.get("mechanism") != "purchase" or pol.get("budget") is not None:
                raise NotIntegrable(f"price_floor mechanism {pol.get('mechanism')!r} is not integrable")
            scope = _selector(pol.get("scope", "*"), regions, blocs)
            for k in sorted(_products(pol.get("product", "*"), products)):
                floors += [(r, k, float(pol["price"])) for r in regions if r in scope]
        else:
            raise NotIntegrable(f"policy kind {kind!r} is not supported by the reference")

    arcs = sorted(k for k in base if k not in banned)
    arc_duty = np.array([duty.get(a, 0.0) for a in arcs])
    arc_cost = np.array([base[a] for a in arcs]) + arc_duty
    index = {a: i for i, a in enumerate(arcs)}
    quotas = [
        (q, [index[a] for a in arcs if a[0] in ps and a[1] in o and a[2] in d])
        for q, ps, o, d in quota_specs
    ]
    duties = [(idx, rate, [index[a] for a in arcs if a in hit]) for idx, rate, hit in duty_specs]
    ad_valorem = [(idx, rate, [index[a] for a in arcs if a in hit]) for idx, rate, hit in av_specs]
    arc_av = np.zeros(len(arcs))
    for _, rate, covered in ad_valorem:
        arc_av[covered] += rate
    return Market(
        regions, products, inputs, supply, demand, processing, arcs, arc_cost, arc_duty, quotas, quota_policy, duties,
        arc_av, ad_valorem, fixed, floors, cfds,
    )


def recipe(m: Market, row: Mapping[str, Any]) -> dict[str, float]:
    """Inputs per unit of one processing row: its own ``inputs`` if it has them, else its product's."""
    own = row.get("inputs")
    if own is None:
        return m.inputs.get(row["product"], {})
    return {str(k): float(v) for k, v in own.items()}


def _cap(row: Mapping[str, Any]) -> float:
    c = row.get("capacity")
    return np.inf if c is None else float(c)


def _cfd_quantity(row: Mapping[str, Any], floor: float) -> float:
    """What a supply row offers at producer price ``floor``: S(F), within [0, capacity]."""
    a, b, cap = float(row["intercept"]), float(row["slope"]), _cap(row)
    if b == 0:
        if floor > a and not np.isfinite(cap):
            raise NotIntegrable("a cfd above a flat uncapped supply offers an unbounded quantity")
        return cap if floor > a else 0.0
    return float(min(cap, max(0.0, (floor - a) / b)))


def solve(
    source: str | Path | Mapping[str, Any], solver: str | None = None, **solver_opts: Any
) -> Result:
    """Solve the surplus-maximisation QP with cvxpy and return prices (balance duals) and quantities.

    ``solver`` is a cvxpy solver name (``None``: cvxpy's default choice for a QP).
    """
    t0 = time.perf_counter()
    return solve_market(parse(read(source)), solver, t0=t0, **solver_opts)


def solve_market(
    m: Market, solver: str | None = None, extra_arc_cost: np.ndarray | None = None, t0: float | None = None,
    **solver_opts: Any,
) -> Result:
    """Solve a parsed market; ``extra_arc_cost`` adds a per-unit charge to each arc (see diagonal.py)."""
    t0 = time.perf_counter() if t0 is None else t0
    arc_cost = m.arc_cost if extra_arc_cost is None else m.arc_cost + extra_arc_cost
    fixed_d = [d for d in m.demand if "quantity" in d]
    elastic = [d for d in m.demand if "quantity" not in d]

    # Markets are the (region, product) pairs that something touches.
    touched: set[tuple[str, str]] = set()
    touched |= {(r["region"], r["product"]) for r in m.supply + m.demand}
    for p in m.processing:
        touched.add((p["region"], p["product"]))
        touched |= {(p["region"], k) for k in recipe(m, p)}
    touched |= {(o, k) for k, o, _ in m.arcs} | {(d, k) for k, _, d in m.arcs}
    touched |= set(m.fixed) | {(r, k) for r, k, _ in m.floors}
    markets = sorted(touched)
    row = {mk: i for i, mk in enumerate(markets)}
    n = len(markets)

    def incidence(pairs: list[tuple[int, float]], ncols: int, col_of: list[int]) -> sp.csr_matrix:
        rows = [r for r, _ in pairs]
        vals = [v for _, v in pairs]
        return sp.csr_matrix((vals, (rows, col_of)), shape=(n, ncols))

    # Balance written as  uses - sources == fixed sources - fixed uses  so that the dual is +price.
    ns, nd, npr, na, nf = len(m.supply), len(elastic), len(m.processing), len(m.arcs), len(m.floors)
    S = incidence([(row[(s["region"], s["product"])], -1.0) for s in m.supply], ns, list(range(ns)))
    D = incidence([(row[(d["region"], d["product"])], 1.0) for d in elastic], nd, list(range(nd)))
    p_pairs, p_cols = [], []
    for j, p in enumerate(m.processing):
        p_pairs.append((row[(p["region"], p["product"])], -1.0))
        p_cols.append(j)
        for k, a in recipe(m, p).items():
            p_pairs.append((row[(p["region"], k)], a))
            p_cols.append(j)
    P = incidence(p_pairs, npr, p_cols)
    a_pairs, a_cols = [], []
    for j, (k, o, d) in enumerate(m.arcs):
        a_pairs += [(row[(o, k)], 1.0), (row[(d, k)], -1.0)]
        a_cols += [j, j]
    A = incidence(a_pairs, na, a_cols)
    G = incidence([(row[(r, k)], 1.0) for r, k, _ in m.floors], nf, list(range(nf)))
    rhs = np.zeros(n)
    for d in fixed_d:
        rhs[row[(d["region"], d["product"])]] -= float(d["quantity"])
    for mk, net in m.fixed.items():
        rhs[row[mk]] += net

    def arr(rows: list[dict[str, Any]], key: str) -> np.ndarray:
        return np.array([float(r.get(key) or 0.0) for r in rows])

    qs, qd, xp, f, g = (cp.Variable(k, nonneg=True) for k in (ns, nd, npr, na, nf))
    welfare = []
    if nd:
        welfare.append(arr(elastic, "intercept") @ qd - cp.sum(cp.multiply(arr(elastic, "slope") / 2, cp.square(qd))))
    if ns:
        welfare.append(-(arr(m.supply, "intercept") @ qs + cp.sum(cp.multiply(arr(m.supply, "slope") / 2, cp.square(qs)))))
    if npr:
        welfare.append(
            -(arr(m.processing, "intercept") @ xp + cp.sum(cp.multiply(arr(m.processing, "slope") / 2, cp.square(xp))))
        )
    if na:
        welfare.append(-(arc_cost @ f))
    if nf:
        welfare.append(np.array([fl for _, _, fl in m.floors]) @ g)

    terms = [(M, v) for M, v, k in ((S, qs, ns), (D, qd, nd), (P, xp, npr), (A, f, na), (G, g, nf)) if k]
    balance = sum(M @ v for M, v in terms) == rhs
    cons = [balance]
    for _, floor, rows in m.cfds:
        low = np.array([_cfd_quantity(m.supply[i], floor) for i in rows])
        if rows:
            cons.append(qs[rows] >= low)
    caps_s, caps_p = np.array([_cap(s) for s in m.supply]), np.array([_cap(p) for p in m.processing])
    if ns and np.isfinite(caps_s).any():
        fin = np.flatnonzero(np.isfinite(caps_s))
        cons.append(qs[fin] <= caps_s[fin])
    if npr and np.isfinite(caps_p).any():
        fin = np.flatnonzero(np.isfinite(caps_p))
        cons.append(xp[fin] <= caps_p[fin])
    quota_cons: dict[int, cp.Constraint] = {}
    for (quantity, covered), idx in zip(m.quotas, m.quota_policy):
        if covered:
            quota_cons[idx] = cp.sum(f[covered]) <= quantity
    cons += list(quota_cons.values())

    problem = cp.Problem(cp.Maximize(sum(welfare)), cons)
    t1 = time.perf_counter()
    problem.solve(solver=solver, **solver_opts)
    t2 = time.perf_counter()
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise RuntimeError(f"reference solve failed: {problem.status}")

    def val(v: cp.Variable, k: int) -> np.ndarray:
        return np.asarray(v.value, dtype=float) if k else np.zeros(0)

    vs, vd, vp, vf, vg = val(qs, ns), val(qd, nd), val(xp, npr), val(f, na), val(g, nf)
    price = np.asarray(balance.dual_value, dtype=float)

    def table(rows: list[dict[str, Any]], q: np.ndarray) -> pd.DataFrame:
        df = pd.DataFrame(
            {"region": [r["region"] for r in rows], "product": [r["product"] for r in rows], "quantity": q}
        )
        return df.groupby(["region", "product"], as_index=False)["quantity"].sum()

    demand = table(elastic + fixed_d, np.concatenate([vd, [float(d["quantity"]) for d in fixed_d]]))
    flows = pd.DataFrame(
        {
            "product": [a[0] for a in m.arcs],
            "origin": [a[1] for a in m.arcs],
            "destination": [a[2] for a in m.arcs],
            "quantity": vf,
        }
    )
    flows = flows[flows["quantity"] > FLOW_EPS].reset_index(drop=True)
    out = np.asarray(A @ vf).ravel() if na else np.zeros(n)
    net = pd.DataFrame({"region": [r for r, _ in markets], "product": [k for _, k in markets], "net_exports": out})
    return Result(
        status=problem.status,
        solver=problem.solver_stats.solver_name,
        objective=float(problem.value),
        prices=pd.DataFrame({"region": [r for r, _ in markets], "product": [k for _, k in markets], "price": price}),
        supply=table(m.supply, vs),
        demand=demand,
        processing=table(m.processing, vp),
        processing_entries=pd.DataFrame({"entry": np.arange(npr), "region": [p["region"] for p in m.processing],
                                         "product": [p["product"] for p in m.processing], "quantity": vp}),
        flows=flows,
        net_exports=net,
        floor_purchases=pd.DataFrame(
            {"region": [r for r, _, _ in m.floors], "product": [k for _, k, _ in m.floors], "quantity": vg}
        ),
        arc_cost_total=float(arc_cost @ vf) if na else 0.0,
        duty_revenue=float(m.arc_duty @ vf) if na else 0.0,
        quota_rents={idx: float(c.dual_value) for idx, c in quota_cons.items()},
        duty_revenues={idx: rate * float(vf[covered].sum()) for idx, rate, covered in m.duties},
        cfd_payments={
            idx: sum(max(0.0, floor - price[row[(m.supply[i]["region"], m.supply[i]["product"])]]) * vs[i] for i in rows)
            for idx, floor, rows in m.cfds
        },
        solve_time=t2 - t1,
        setup_time=t1 - t0,
        extra={"n_variables": ns + nd + npr + na + nf, "n_markets": n, "n_arcs": na},
    )
