"""``simulate``: the period loop (decision 0051).

Each period (start ``t``, length ``dt`` years):

1. demand grown to ``t``; supply = base curves + producing pipeline projects + recycling;
2. the **undisrupted** equilibrium (no event, no reserve action), warm-started from the last one;
3. with active disruptions, the **no-action** equilibrium: export quotas of ``(1 - s f)`` times
   the undisrupted exports over the controlled arcs (``f``: share of the period covered);
4. reserve rules decide per holding; an action is sized exactly on the engine (the rate at which
   the price meets its target) and the **final** equilibrium solved with the stockpile policies;
5. books: holdings, cash flows, shortfall = consumption below the undisrupted consumption of the
   same period (per region and product, rates per year; tonnes = rate x dt), avoided shortfall
   = shortfall(no action) - shortfall(final);
6. candidate projects whose expected price (last price, or a bloc floor price if higher) reaches
   their incentive price commit at ``t + dt`` and produce ``build_years`` later.

Every equilibrium passes the engine's certificate (a failing one raises); ``Trajectory.residual``
is the largest residual of all of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from critmin.dynamics.disruptions import Event, schedule
from critmin.dynamics.market import flat_supply, grown_demand, period_scenario, plant, quota, stockpile
from critmin.dynamics.model import DynamicModel, floor_price
from critmin.dynamics.pipeline import capacity_at
from critmin.dynamics.targets import resolve as resolve_target
from critmin.dynamics.trajectory import Trajectory
from critmin.engine import solve
from critmin.errors import ScenarioError
from critmin.reserve.operation import Book, decide, size_action
from critmin.scenario.schema import Demand, Scenario, Supply

#: Columns of the tables the loop fills row by row.
COLUMNS = {
    "prices": ["period", "time", "region", "product", "price", "price_undisrupted", "price_no_action"],
    "supply": ["period", "time", "region", "product", "quantity"],
    "demand": ["period", "time", "region", "product", "quantity"],
    "processing": ["period", "time", "region", "product", "quantity"],
    "shortfall": ["period", "time", "dt", "region", "product", "undisrupted", "no_action", "final",
                  "shortfall_no_action", "shortfall", "avoided"],
}
#: Relative gap below which consumption counts as equal to the undisrupted consumption (solver noise).
NOISE = 1e-9


def simulate(model: DynamicModel, draws: dict[str, float] | None = None, rng: np.random.Generator | None = None,
             progress: Callable[[int, float], None] | None = None) -> Trajectory:
    """Run ``model`` over its horizon with ``draws`` (target -> value) and ``rng`` for random events;
    ``progress(i, t)`` is called after each period (e.g. a progress bar)."""
    draws = dict(draws or {})
    if model.random and rng is None:
        raise ScenarioError(f"{model.source}: the scenario has random disruptions; simulate needs an rng "
                            "(critmin simulate --seed S, or numpy.random.default_rng(seed))")
    targets = {k: resolve_target(k, model.scenario.product_ids, [d.id for d in model.disruptions],
                                 [h.product for h in model.reserve.holdings] if model.reserve else [],
                                 model.reserve is not None, model.source) for k in draws}
    run = _Run(model, {k: float(v) for k, v in draws.items()}, targets, rng)
    return run.execute(progress)


def _pivot_demand(d: Demand, p0: float, q0: float, e: float) -> Demand:
    """The linear demand through (q0, p0) with elasticity ``e`` there (slope p0 / (|e| q0))."""
    if d.fixed or q0 <= 0 or p0 <= 0:
        return d
    b = p0 / (abs(e) * q0)
    return d.model_copy(update={"slope": b, "intercept": p0 + b * q0})


def _pivot_supply(s: Supply, p0: float, q0: float, e: float) -> Supply:
    if q0 <= 0 or p0 <= 0 or e <= 0:
        return s
    b = p0 / (e * q0)
    return s.model_copy(update={"slope": b, "intercept": p0 - b * q0})


class _Run:
    """One simulation: state carried between periods and the rows of every table."""

    def __init__(self, model: DynamicModel, draws: dict[str, float], targets: dict, rng) -> None:
        self.m, self.draws, self.rng = model, draws, rng
        self.base = self._base_market(targets)
        self.factor = self._growth(targets)
        self.cost_factor = next((v for k, v in draws.items() if targets[k].kind == "cost"), 1.0)
        self.reserve = self._reserve(targets)
        self.events = self._events(targets)
        pr = model.projects
        self.online = np.where(pr["status"] == "committed", pr["earliest_start"], np.inf).astype(float) if len(pr) else np.zeros(0)
        self.committed = np.where(pr["status"] == "committed", np.nan, np.inf).astype(float) if len(pr) else np.zeros(0)
        self.rows: dict[str, list] = defaultdict(list)
        self.residual = 0.0
        self.tolerance = float(model.base_result.tolerance)
        self.solves = 0
        self.iterations = 0
        self._maps: dict[int, tuple] = {}
        self.inputs = {p.id: dict(p.inputs) for p in model.scenario.products}
        #: each base processing entry's recipe when some entry has its own (decision 0082); entries
        #: the loop appends (projects) come after them and use their product's recipe
        routed = any(e.inputs is not None for e in model.scenario.processing)
        self.recipes = [dict(r) for r in model.scenario.recipes()] if routed else None
        self.base_consumption = self.maps(model.base_result)[1]
        self.consumption: dict[float, dict] = {}  # simulated periods

    # --- draws applied before the loop ----------------------------------------------------------
    def _base_market(self, targets) -> Scenario:
        sc = self.m.scenario
        dem_e = {t.name: v for k, v in self.draws.items() if (t := targets[k]).kind == "elasticity" and t.field == "demand"}
        sup_e = {t.name: v for k, v in self.draws.items() if (t := targets[k]).kind == "elasticity" and t.field == "supply"}
        if not dem_e and not sup_e:
            return sc
        r = self.m.base_result
        price = dict(zip(zip(r.prices["region"], r.prices["product"]), r.prices["price"]))
        pprice = dict(zip(zip(r.producer_prices["region"], r.producer_prices["product"]), r.producer_prices["price"]))
        dq = r.demand.groupby(["region", "product"])["quantity"].sum().to_dict()
        sq = r.supply.groupby(["region", "product"])["quantity"].sum().to_dict()
        n_d = defaultdict(int)
        for d in sc.demand:
            n_d[(d.region, d.product)] += 1
        n_s = defaultdict(int)
        for s in sc.supply:
            n_s[(s.region, s.product)] += 1
        demand = [(_pivot_demand(d, price.get((d.region, d.product), 0.0), dq.get((d.region, d.product), 0.0), dem_e[d.product])
                   if d.product in dem_e and n_d[(d.region, d.product)] == 1 else d) for d in sc.demand]
        supply = [(_pivot_supply(s, pprice.get((s.region, s.product), price.get((s.region, s.product), 0.0)),
                                 sq.get((s.region, s.product), 0.0), sup_e[s.product])
                   if s.product in sup_e and n_s[(s.region, s.product)] == 1 else s) for s in sc.supply]
        return sc.model_copy(update={"demand": demand, "supply": supply})

    def _growth(self, targets) -> np.ndarray:
        factor = self.m.growth_factor.copy()
        for k, v in self.draws.items():
            t = targets[k]
            if t.kind != "growth":
                continue
            if v <= -1:
                raise ScenarioError(f"{self.m.source}: draw {k} = {v:g}: a growth rate must exceed -1")
            path = (1.0 + v) ** (self.m.periods - self.m.base_year)
            for e, d in enumerate(self.base.demand):
                if d.product == t.name:
                    factor[e] = path
        return factor

    def _reserve(self, targets):
        res = self.m.reserve
        if res is None:
            return None
        holdings = list(res.holdings)
        budget = res.budget_usd
        for k, v in self.draws.items():
            t = targets[k]
            if t.kind == "reserve":
                holdings = [h.model_copy(update={t.field: float(v)}) if h.product == t.name else h for h in holdings]
            elif t.kind == "budget":
                budget = float(v)
        return res.model_copy(update={"holdings": holdings, "budget_usd": budget})

    def _events(self, targets) -> list[Event]:
        events = []
        for d in self.m.disruptions:
            over = {targets[k].field: v for k, v in self.draws.items() if targets[k].kind == "disruption" and targets[k].name == d.id}
            events += schedule(d, self.m.periods, self.m.dt, self.rng, over)
        return events

    # --- one period -----------------------------------------------------------------------------
    def _solve(self, sc: Scenario, warm) -> Any:
        r = solve(sc, warm_start=warm)
        self.residual = max(self.residual, float(r.residual))
        self.solves += 1
        self.iterations += int(r.solver["iterations"])
        return r

    def _supply(self, i: int, t: float) -> list:
        m, dt, out = self.m, self.m.dt, []
        pr = m.projects
        if len(pr):
            cap = capacity_at(pr["capacity_per_year"].to_numpy(float), self.online, pr["ramp_per_year"].to_numpy(float), t, dt)
            cost = pr["operating_cost_usd_per_unit"].to_numpy(float) * self.cost_factor
            for j in np.nonzero(cap > 0)[0]:
                product = pr["product"].iat[j]
                out.append(plant(pr["region"].iat[j], product, cost[j], cap[j], bool(self.inputs[product])))
                self.rows["capacity"].append({"period": i, "time": t, "project": pr["project"].iat[j], "product": pr["product"].iat[j],
                                              "region": pr["region"].iat[j], "capacity_per_year": float(cap[j]),
                                              "operating_cost": float(cost[j]), "online": float(self.online[j])})
        for spec, rate in m.recycling:
            if rate <= 0:
                continue
            lag_t = t - spec.lag_years
            past = self._consumption_at(lag_t)
            base = self.base_consumption
            for (region, product), q in sorted(past.items()):
                if product != spec.product:
                    continue
                extra = rate * max(0.0, q - base.get((region, product), 0.0))
                if extra > 0:
                    out.append(flat_supply(region, product, 0.0, extra))
                    self.rows["capacity"].append({"period": i, "time": t, "project": f"recycling:{product}", "product": product,
                                                  "region": region, "capacity_per_year": extra, "operating_cost": 0.0,
                                                  "online": float("nan")})
        return out

    def _consumption_at(self, time: float) -> dict:
        """Consumption (rates per year) in the period covering ``time``: simulated, or for a time before
        the horizon the base-year consumption grown by the demand growth of that time (decision 0053)."""
        known = [k for k in self.consumption if k <= time + 1e-9]
        first = float(self.m.periods[0])
        if time >= first - 1e-9 and known:
            return self.consumption[max(known)]
        out = dict(self.base_consumption)
        if time <= self.m.base_year:
            return out
        for e, d in enumerate(self.base.demand):
            key = (d.region, d.product)
            if key in out:
                years = np.r_[self.m.base_year, self.m.periods]
                out[key] = self.base_consumption[key] * float(np.interp(time, years, np.r_[1.0, self.factor[e]]))
        return out

    def _quotas(self, i: int, t: float, r_u) -> list:
        out = []
        fl = r_u.flows
        for ev in self.events:
            f = ev.coverage(t, self.m.dt)
            if f <= 0:
                continue
            d = next(x for x in self.m.disruptions if x.id == ev.id)
            origins, dests = self.m.zones[ev.id]
            for k in d.products:
                sel = (fl["product"] == k) & fl["origin"].isin(origins) & fl["destination"].isin(dests) & (fl["origin"] != fl["destination"])
                base = float(fl.loc[sel, "quantity"].sum())
                q = (1.0 - ev.share_withheld * f) * base
                out.append(quota(k, origins, [x for x in dests], q))
                self.rows["events"].append({"period": i, "time": t, "event": ev.id, "product": k, "start": ev.start,
                                            "duration": ev.duration, "share_withheld": ev.share_withheld, "coverage": f,
                                            "undisrupted_exports": base, "quota": q})
        return out

    def _reserve_actions(self, i: int, t: float, demand, supply, quotas, r_u, r_0, book: Book):
        """Decide and size each holding's action; return the final equilibrium and the stockpile policies."""
        dt = self.m.dt
        current, actions, policies = r_0, {}, []
        budget_left = book.budget_left()
        for h in self.reserve.holdings:
            key = (h.product, h.region)
            p0, pu = self.price(current, h.region, h.product), self.price(r_u, h.region, h.product)
            d = decide(h, book.held[key], p0, pu, dt, budget_left)
            if d.kind == "hold":
                actions[key] = (d, 0.0)
                continue
            cache: dict[float, Any] = {0.0: current}
            warm = current

            def price_at(x: float, h=h, d=d, warm=warm, cache=cache) -> float:
                if x not in cache:
                    extra = [stockpile(h.region, h.product, x, d.kind)] if x > 0 else []
                    cache[x] = self._solve(period_scenario(self.base, demand, supply, quotas + policies + extra), warm)
                return self.price(cache[x], h.region, h.product)

            x = size_action(price_at, d, dt, budget_left)
            actions[key] = (d, x)
            if x > 0:
                price_at(x)
                current = cache[x]
                policies.append(stockpile(h.region, h.product, x, d.kind))
                if d.kind == "buy" and budget_left is not None:
                    budget_left = max(0.0, budget_left - x * dt * self.price(current, h.region, h.product))
        return current, actions, policies

    def execute(self, progress: Callable[[int, float], None] | None = None) -> Trajectory:
        m = self.m
        book = Book.open(self.reserve) if self.reserve is not None else None
        warm_u = m.base_result
        for i, t in enumerate(m.periods.astype(float)):
            self._maps.clear()
            demand = grown_demand(self.base.demand, self.factor[:, i])
            supply = self._supply(i, t)
            r_u = self._solve(period_scenario(self.base, demand, supply, []), warm_u)
            warm_u = r_u
            quotas = self._quotas(i, t, r_u)
            r_0 = self._solve(period_scenario(self.base, demand, supply, quotas), r_u) if quotas else r_u
            if book is not None:
                r_1, actions, _ = self._reserve_actions(i, t, demand, supply, quotas, r_u, r_0, book)
                self._book(i, t, book, actions, r_0, r_1)
            else:
                r_1 = r_0
            self._record(i, t, r_u, r_0, r_1)
            self._commit(t, r_1)
            if progress is not None:
                progress(i, t)
        return self._trajectory()

    def _book(self, i: int, t: float, book: Book, actions: dict, r_0, r_1) -> None:
        dt = self.m.dt
        flows = {"purchase_usd": 0.0, "sales_usd": 0.0, "storage_usd": 0.0, "carrying_usd": 0.0, "valuation_usd": 0.0}
        for h in self.reserve.holdings:
            d, x = actions[(h.product, h.region)]
            price = self.price(r_1, h.region, h.product)
            row = book.apply(h, d.kind if x > 0 else "hold", x, price, dt)
            for k in flows:
                flows[k] += row[k]
            self.rows["reserve"].append({"period": i, "time": t, "product": h.product, "region": h.region,
                                         "action": d.kind if x > 0 else "hold", "reason": d.reason if x > 0 else "",
                                         "rate_per_year": x, "target_price": d.target if x > 0 else float("nan"),
                                         "price_no_action": self.price(r_0, h.region, h.product), "price": price, **row})
        drawdown = self.reserve.loan.principal_usd if (self.reserve.loan is not None and i == 0) else 0.0
        payment = book.loan_payment(dt)
        net = flows["purchase_usd"] + flows["storage_usd"] + flows["carrying_usd"] + payment - flows["sales_usd"] - drawdown
        self.rows["fiscal"].append({"period": i, "time": t, **{k: v for k, v in flows.items() if k != "valuation_usd"},
                                    "loan_drawdown_usd": drawdown, "loan_payment_usd": payment, "net_cost_usd": net,
                                    "reserve_value_usd": flows["valuation_usd"], "loan_outstanding_usd": book.loan_outstanding()})

    def maps(self, r) -> tuple[dict, dict]:
        """(price, consumption) by (region, product) of an equilibrium, built once per result (a dict
        lookup instead of filtering a DataFrame). Consumption = final demand + use as an input of
        processing (e.g. Dy oxide in magnet making), so an intermediate product has a shortfall too."""
        got = self._maps.get(id(r))
        if got is None or got[0] is not r:
            p = r.prices
            use: dict[tuple[str, str], float] = defaultdict(float)
            for region, product, q in zip(r.demand["region"], r.demand["product"], r.demand["quantity"].to_numpy(float)):
                use[(region, product)] += q
            if self.recipes is None:
                for region, product, z in zip(r.processing["region"], r.processing["product"], r.processing["quantity"].to_numpy(float)):
                    for k, coef in self.inputs[product].items():
                        use[(region, k)] += coef * z
            else:  # entry by entry, each at its own recipe
                e = r.processing_entries
                for j, region, product, z in zip(e["entry"], e["region"], e["product"], e["quantity"].to_numpy(float)):
                    recipe = self.recipes[j] if j < len(self.recipes) else self.inputs[product]
                    for k, coef in recipe.items():
                        use[(region, k)] += coef * z
            got = (r, dict(zip(zip(p["region"], p["product"]), p["price"].to_numpy(float))), dict(use))
            self._maps[id(r)] = got
        return got[1], got[2]

    def price(self, r, region: str, product: str) -> float:
        return self.maps(r)[0].get((region, product), float("nan"))

    def _record(self, i: int, t: float, r_u, r_0, r_1) -> None:
        dt = self.m.dt
        (p1, d1), (pu, du), (p0, d0) = self.maps(r_1), self.maps(r_u), self.maps(r_0)
        self.rows["prices"].extend((i, t, k[0], k[1], v, pu.get(k, np.nan), p0.get(k, np.nan)) for k, v in p1.items())
        for name, frame in (("supply", r_1.supply), ("demand", r_1.demand), ("processing", r_1.processing)):
            self.rows[name].extend((i, t, a, b, q) for a, b, q in zip(frame["region"], frame["product"], frame["quantity"]))
        for k in sorted(set(du) | set(d0) | set(d1)):
            u, n, f = du.get(k, 0.0), d0.get(k, 0.0), d1.get(k, 0.0)
            noise = NOISE * max(abs(u), 1.0)  # solver noise is not a shortfall
            s0 = u - n if u - n > noise else 0.0
            s1 = u - f if u - f > noise else 0.0
            self.rows["shortfall"].append((i, t, dt, k[0], k[1], u, n, f, s0, s1, s0 - s1))
        self.consumption[t] = dict(d1)
        self.rows["periods"].append({"period": i, "time": t, "dt": dt, "residual": max(r_u.residual, r_0.residual, r_1.residual)})

    def _commit(self, t: float, r) -> None:
        pr = self.m.projects
        if not len(pr):
            return
        dt = self.m.dt
        waiting = np.nonzero(np.isinf(self.committed))[0]
        for j in waiting:
            region, product = pr["region"].iat[j], pr["product"].iat[j]
            expected = self.price(r, region, product)
            if self.m.pipeline is not None and self.m.pipeline.expectation == "reference_price":
                floor = floor_price(self.m.floors, self.m.scenario, region, product)
                expected = expected if floor is None else max(expected, floor)
            if np.isfinite(expected) and expected >= pr["incentive_price_usd_per_unit"].iat[j] * self.cost_factor:
                self.committed[j] = t + dt
                self.online[j] = max(t + dt + pr["build_years"].iat[j], pr["earliest_start"].iat[j])

    # --- tables and outcomes --------------------------------------------------------------------
    def _trajectory(self) -> Trajectory:
        tables: dict[str, pd.DataFrame] = {}
        for name, columns in COLUMNS.items():
            tables[name] = pd.DataFrame(self.rows[name], columns=columns)
        for name in ("capacity", "reserve", "fiscal", "events", "periods"):
            tables[name] = pd.DataFrame(self.rows[name])
        tables["projects"] = self._projects()
        tables["events_drawn"] = pd.DataFrame([e.__dict__ for e in self.events], columns=["id", "start", "duration", "share_withheld"])
        return Trajectory(self.m.name, tables, self._outcomes(tables), self.residual, self.tolerance, dict(self.draws),
                          {"solves": self.solves, "iterations": self.iterations, "periods": int(self.m.periods.size)})

    def _projects(self) -> pd.DataFrame:
        pr = self.m.projects
        if not len(pr):
            return pd.DataFrame(columns=["project"])
        out = pr.copy()
        out["committed"] = np.where(np.isinf(self.committed), np.nan, self.committed)
        out["online"] = np.where(np.isinf(self.online), np.nan, self.online)
        return out

    def _outcomes(self, tables: dict[str, pd.DataFrame]) -> dict[str, float]:
        dt = self.m.dt
        out: dict[str, float] = {}
        sf = tables["shortfall"]
        for k, g in sf.groupby("product", sort=True):
            out[f"shortfall_t:{k}"] = float((g["shortfall"] * g["dt"]).sum())
            out[f"shortfall_no_action_t:{k}"] = float((g["shortfall_no_action"] * g["dt"]).sum())
            out[f"avoided_shortfall_t:{k}"] = float((g["avoided"] * g["dt"]).sum())
        pr = tables["prices"]
        for k, g in pr.groupby("product", sort=True):
            out[f"price_max:{k}"] = float(g["price"].max())
            out[f"price_mean:{k}"] = float(g["price"].mean())
        if len(tables["reserve"]):
            rs = tables["reserve"]
            for k, g in rs.groupby("product", sort=True):
                out[f"reserve_bought_t:{k}"] = float(g["bought_t"].sum())
                out[f"reserve_released_t:{k}"] = float(g["released_t"].sum())
                out[f"reserve_held_end_t:{k}"] = float(g.loc[g["period"] == g["period"].max(), "held_end_t"].sum())
            fs = tables["fiscal"]
            out["fiscal_cost_usd:total"] = float(fs["net_cost_usd"].sum())
            out["reserve_purchase_usd:total"] = float(fs["purchase_usd"].sum())
            out["reserve_sales_usd:total"] = float(fs["sales_usd"].sum())
            out["loan_payment_usd:total"] = float(fs["loan_payment_usd"].sum())
            out["reserve_value_end_usd:total"] = float(fs["reserve_value_usd"].iloc[-1])
            out["loan_outstanding_end_usd:total"] = float(fs["loan_outstanding_usd"].iloc[-1])
        out["disrupted_years:total"] = float(len({r["period"] for r in self.rows["events"]}) * dt)
        out["committed_projects:total"] = float(np.isfinite(self.committed).sum())
        return out
