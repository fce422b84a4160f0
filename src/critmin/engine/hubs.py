"""A canonical price for idle markets, whose equilibrium price is not unique.

A market that produces nothing, consumes nothing and trades nothing (typically a region that
can trade a product through a default transport cost but has no curve for it) is in
equilibrium at any price between its export parity (below it, exporting would pay) and its
import parity (above it, importing would pay). Newton stops somewhere in that interval, and
where depends on the path: an unrelated change elsewhere in the scenario would move it. This
module replaces it by the **import parity price**: the cheapest landed cost of bringing one
unit in, from any market, possibly through other idle markets (a shortest-path computation).
It is the top of the interval, so every equilibrium condition still holds (the certificate
checks), and it means something: what a unit would cost delivered there.

Only markets whose price nothing else depends on are changed: no supply or processing
entries, no fixed demand or stock, no flows, no demand at the price, no price floor, and not
an origin whose landed price is the lowest a variable levy compares (raising it would change
the levy; any other origin outside a levy scope may be raised, the lowest landed price stays).
"""

from __future__ import annotations

import numpy as np

from critmin.engine.arcgen import landed_terms, prices_grid
from critmin.engine.arcs import ArcCharges
from critmin.engine.model import Model
from critmin.engine.tables import Solution


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
    p = prices_grid(model, sol.values)
    for lv in model.levies:
        if lv["arcs"].size == 0:
            continue
        k, scope = lv["product"], lv["scope"]
        ref = (1.0 + model.charges.tariff_ad_valorem[k] + model.charges.export_ad_valorem[k]) * p[k][:, None] \
            + model.charges.cost[k] + model.charges.tariff_specific[k] + model.charges.export_specific[k]
        arcs = np.zeros(ref.shape, dtype=bool)
        arcs[np.ix_(~scope, scope)] = True
        arcs &= ~np.isnan(model.charges.cost[k])
        lowest = ref[arcs].min()
        busy[k] |= (arcs & (ref <= lowest + 1e-9 * model.Pk[k])).any(axis=1)
    return ~busy


def set_import_parity(model: Model, sol: Solution, ch: ArcCharges) -> None:
    """Replace the price of every idle market by its import parity (in place, on ``sol``)."""
    idle = idle_markets(model, sol)
    if not idle.any():
        return
    p = prices_grid(model, sol.values)
    factor, const = landed_terms(model, sol.values, ch)
    const = np.where(np.isnan(const), np.inf, const)
    while True:
        upper = _import_parity(idle, p, factor, const)
        # an idle market nothing can reach keeps the solver's price and acts as a fixed origin
        unreachable = idle & ~np.isfinite(upper)
        if not unreachable.any():
            break
        idle = idle & ~unreachable
    seg = sol.values[model.block("p")]
    k, r = np.nonzero(idle)
    seg[model.market_of[r, k]] = upper[idle]


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
