"""A canonical price for idle markets, whose equilibrium price is not unique.

A market that produces nothing, consumes nothing and trades nothing (typically a region that
can trade a product through a default transport cost but has no curve for it) is in
equilibrium at any price between its export parity (below it, exporting would pay) and its
import parity (above it, importing would pay). Newton stops somewhere in that interval, and
where depends on the path (the start, a warm start, an unrelated change elsewhere). This
module replaces it by the **import parity price**: the cheapest landed cost of bringing one
unit in, from any market, possibly through other idle markets (a shortest-path computation).
It is the top of the interval, so every equilibrium condition still holds (the certificate
checks), and it means something: what a unit would cost delivered there.

An idle market that nothing can reach (no open arc into it) has no top: its interval is
[export parity, inf). It keeps the solver's price and acts as a fixed origin: the one case
still path-dependent (never under a default transport cost, as in the shipped world;
decision 0047).

Only markets whose price nothing else depends on are changed: no supply or processing
entries, no fixed demand or stock, no flows, no demand at the price, no price floor. An idle
origin of a variable levy's arcs is changed too, and the levy with it: raising idle origins'
prices can only raise the lowest landed import price, so the levy ``max(0, floor - lowest)``
can only fall, which keeps every levied arc without a flow unprofitable (each landed cost plus
levy stays >= the floor >= the scope's prices) while an arc with a flow comes from a busy
origin that still attains the lowest price. Import parities and levies are recomputed until
neither moves (a fixed point; in vault-2026 one or two passes); if it does not settle within
``PASSES``, the solver's prices are kept (still an equilibrium, the certificate checks).
"""

from __future__ import annotations

import numpy as np

from critmin.engine.arcgen import landed_terms, prices_grid
from critmin.engine.arcs import ArcCharges
from critmin.engine.model import Model
from critmin.engine.tables import Solution

#: Rounds of import parities and levies before giving up on a fixed point (see the module docstring).
PASSES = 20


def idle_markets(model: Model, sol: Solution) -> np.ndarray:
    """Boolean (product, region) grid of the markets whose price can be set canonically."""
    sc = model.scenario
    nR, nK = len(sc.regions), len(sc.products)
    busy = np.ones((nK, nR), dtype=bool)
    busy[model.mkt_product, model.mkt_region] = False
    busy[model.mkt_product[model.sup_market], model.mkt_region[model.sup_market]] = True
    busy[model.mkt_product[model.proc_market], model.mkt_region[model.proc_market]] = True
    busy |= (model.sink != 0).T | (model.release > 0).T | (model.stock_purchase > 0).T
    d = sol["d"]
    busy[model.mkt_product[model.dem_market[d > 0]], model.mkt_region[model.dem_market[d > 0]]] = True
    x = sol["x"]
    moving = x > 0
    busy[model.arc_k[moving], model.arc_i[moving]] = True
    busy[model.arc_k[moving], model.arc_j[moving]] = True
    for group in (model.cfd, model.purchases):
        for entry in group:
            busy[model.mkt_product[entry["markets"]], model.mkt_region[entry["markets"]]] = True
    return ~busy


def set_import_parity(model: Model, sol: Solution, ch: ArcCharges) -> None:
    """Replace the price of every idle market by its import parity and each variable levy by its
    value at those prices (in place, on ``sol``)."""
    idle = idle_markets(model, sol)
    if not idle.any():
        return
    solved = sol.values.copy()
    seg = sol.values[model.block("p")]
    for _ in range(PASSES):
        p = prices_grid(model, sol.values)
        factor, const = landed_terms(model, sol.values, ch)
        const = np.where(np.isnan(const), np.inf, const)
        reach = idle
        while True:
            upper = _import_parity(reach, p, factor, const)
            # an idle market nothing can reach keeps the solver's price and acts as a fixed origin
            unreachable = reach & ~np.isfinite(upper)
            if not unreachable.any():
                break
            reach = reach & ~unreachable
        k, r = np.nonzero(reach)
        seg[model.market_of[r, k]] = upper[reach]
        if not _set_levies(model, sol):
            return
    sol.values[:] = solved  # no fixed point: keep the solver's equilibrium


def _set_levies(model: Model, sol: Solution) -> bool:
    """Set each variable levy to max(0, floor - lowest landed import price) at the current prices;
    True if any levy changed."""
    p = sol.values[model.block("p")]
    p0 = model.offsets["p"]
    changed = False
    for lv in model.levies:
        if "row" not in lv:
            continue
        lowest = float(np.min(lv["coef_orig"] * p[lv["pcol"] - p0] + lv["const_orig"]))
        v = max(0.0, lv["floor"] - lowest)
        if v != sol.values[lv["row"]]:
            changed = True
            sol.values[lv["row"]] = v
    return changed


def _import_parity(idle: np.ndarray, p: np.ndarray, factor: np.ndarray, const: np.ndarray) -> np.ndarray:
    """Bellman-Ford on landed costs: the largest prices of the idle markets that no open arc
    undercuts, other markets at their prices ``p`` (inf where unreachable)."""
    upper = np.where(idle | np.isnan(p), np.inf, p)
    for _ in range(p.shape[1] + 1):  # at most one pass per region
        cand = np.min(factor * upper[:, :, None] + const, axis=1)
        new = np.where(idle, np.minimum(upper, cand), upper)
        if np.array_equal(new, upper):
            break
        upper = new
    return upper
