"""Arc generation: solve on a subset of trade arcs, add the arcs whose arbitrage fails, repeat.

In a world market most of the (product, origin, destination) arcs never carry a flow (e.g.
~1,000 of 141,600 in a 60-region x 40-product market with a default transport cost). Newton's
iteration count grows with the number of arcs that can switch on, so the engine first solves
with each destination's few cheapest origins, then prices every other arc at the equilibrium
prices (landed cost with duties, quota rents and levies) and adds those undercutting the
destination price. The last round's equilibrium satisfies the arbitrage condition on every
open arc, so it is an equilibrium of the full market (the certificate checks all arcs), not an
approximation. This is column generation for transport problems (Dantzig-Wolfe pricing).
"""

from __future__ import annotations

import numpy as np

from critmin.engine.arcs import ArcCharges
from critmin.engine.model import Model
from critmin.scenario.selectors import resolve

#: Cheapest origins per (product, destination) in the first round.
INITIAL_ORIGINS = 4
#: Most undercutting arcs added per (product, destination) and round.
ADD_PER_DESTINATION = 2
#: Arc generation is used when the market has more open arcs than this per price.
ARCS_PER_MARKET = 12


def wanted(ch: ArcCharges, n_markets: int) -> bool:
    return int(np.count_nonzero(~np.isnan(ch.cost))) > ARCS_PER_MARKET * max(n_markets, 1)


def initial(model: Model, ch: ArcCharges) -> np.ndarray:
    """The INITIAL_ORIGINS cheapest origins per (product, destination), plus every arc a
    variable levy compares (its lowest landed import price must be over all of them)."""
    unit = np.where(np.isnan(ch.cost), np.inf, ch.cost + ch.tariff_specific + ch.export_specific)
    k = min(INITIAL_ORIGINS, unit.shape[1])
    best = np.argsort(unit, axis=1, kind="stable")[:, :k, :]
    grid = np.zeros(unit.shape, dtype=bool)
    np.put_along_axis(grid, best, True, axis=1)
    grid &= ~np.isnan(ch.cost)
    grid |= levy_arcs(model, ch)
    return grid


def levy_arcs(model: Model, ch: ArcCharges) -> np.ndarray:
    grid = np.zeros(ch.cost.shape, dtype=bool)
    for lv in model.levies:
        scope = lv["scope"]
        grid[lv["product"]][np.ix_(~scope, scope)] = True
    return grid & ~np.isnan(ch.cost)


def prices_grid(model: Model, values: np.ndarray) -> np.ndarray:
    """Prices as a (product, region) array, NaN where the market does not exist."""
    sc = model.scenario
    p = np.full((len(sc.products), len(sc.regions)), np.nan)
    p[model.mkt_product, model.mkt_region] = values[model.block("p")]
    return p


def landed_terms(model: Model, values: np.ndarray, ch: ArcCharges) -> tuple[np.ndarray, np.ndarray]:
    """``(factor, const)`` with landed cost = factor * origin price + const on every open arc of
    the (product, origin, destination) grid: duties, transport, and the quota rents and levies
    of the solution ``values`` (original units)."""
    sc = model.scenario
    factor = 1.0 + ch.tariff_ad_valorem + ch.export_ad_valorem
    const = ch.cost + ch.tariff_specific + ch.export_specific
    for qu in model.quotas:
        pol = sc.policies[qu["policy"]]
        mask = (resolve(pol.product, sc.product_ids, what="product")[:, None, None]
                & resolve(pol.origin, sc.region_ids, sc.blocs)[None, :, None]
                & resolve(pol.destination, sc.region_ids, sc.blocs)[None, None, :])
        const = np.where(mask, const + values[qu["row"]], const)
    for lv in model.levies:
        if "row" in lv:
            scope = lv["scope"]
            const[lv["product"]][np.ix_(~scope, scope)] += values[lv["row"]]
    return factor, const


def violated(model: Model, values: np.ndarray, ch: ArcCharges, subset: np.ndarray) -> np.ndarray:
    """Open arcs outside ``subset`` whose landed cost is below the destination price (by more than
    1e-9 of the product's price scale) at the solution ``values`` (original units) of ``model``."""
    p = prices_grid(model, values)
    factor, const = landed_terms(model, values, ch)
    landed = factor * p[:, :, None] + const
    with np.errstate(invalid="ignore"):
        gap = p[:, None, :] - landed
    bad = (gap > 1e-9 * model.Pk[:, None, None]) & ~subset & ~np.isnan(ch.cost)
    # add only the ADD_PER_DESTINATION most undercutting origins per (product, destination):
    # adding every violated arc at once brings in tens of thousands that the next prices idle
    gap = np.where(bad, gap, -np.inf)
    k = min(ADD_PER_DESTINATION, gap.shape[1])
    top = np.argsort(-gap, axis=1, kind="stable")[:, :k, :]
    pick = np.zeros(gap.shape, dtype=bool)
    np.put_along_axis(pick, top, True, axis=1)
    return pick & bad
