"""Assemble a scenario into a box-constrained mixed complementarity problem (MCP).

Variables (in this order; the first five blocks are "kept" in the reduced Newton system, the
rest are eliminated by a Schur complement, see :mod:`critmin.engine.mcp`):

==========  =========================================  ==========================================
block       variable, bounds                           complementary function F
==========  =========================================  ==========================================
``p``       market price, [0, inf)                     excess supply (market clearing)
``u``       cfd top-up, [0, inf)                       p + u - floor  (so p + u = max(p, floor))
``lam``     quota rent, [0, inf)                       quota - exports over the quota's arcs
``v``       variable levy, free                        v - max(0, floor - min landed import price)
``mu``      budget multiplier, [0, inf)                budget - spending on floor purchases
``q``       supply entry, [0, capacity]                intercept + slope q - (p + u)
``d``       demand entry, [0, inf)                     p - intercept + slope d
``z``       processing entry, [0, capacity]            cost(z) + entry's inputs x input prices - (p + u)
``x``       inter-regional flow, [0, inf)              landed cost (incl. taxes, rents) - p_dest
``g``       floor purchase, [0, inf)                   p - (floor - mu)
==========  =========================================  ==========================================

Everything is affine except the levy (a max/min) and the budget (price x quantity); those two
are evaluated in :meth:`Model.nonlinear`. Units are scaled per product (decision 0013, Scaling):
each price column by its product's price scale ``Pk`` and each quantity column by its ``Qk``
(:func:`critmin.engine.scales.product_scales`), each row by the scale of what it compares, so
that all variables and functions are of order one even when products differ by 1e9.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from critmin.engine.arcs import ArcCharges, arc_charges
from critmin.engine.scales import FLOOR, product_scales
from critmin.errors import ScenarioError
from critmin.scenario.checks import product_order
from critmin.scenario.schema import Scenario
from critmin.scenario.selectors import resolve

BLOCKS = ("p", "u", "lam", "v", "mu", "q", "d", "z", "x", "g")


@dataclass
class Model:
    """The MCP of one scenario plus the index maps needed to turn its solution into tables."""

    scenario: Scenario
    P: float
    Q: float
    Pk: np.ndarray  # price scale per product (scenario order)
    Qk: np.ndarray  # quantity scale per product
    sizes: dict[str, int]
    offsets: dict[str, int]
    lower: np.ndarray
    upper: np.ndarray
    M: sp.csr_matrix
    c: np.ndarray
    colscale: np.ndarray
    rowscale: np.ndarray
    # markets: index into regions x products for each price variable
    mkt_region: np.ndarray
    mkt_product: np.ndarray
    market_of: np.ndarray  # (nR, nK) -> price variable or -1
    sink: np.ndarray  # fixed outflow per market (fixed demand + stock purchase - release), original units
    fixed_demand: np.ndarray
    release: np.ndarray
    stock_purchase: np.ndarray
    sup_entry: np.ndarray
    sup_market: np.ndarray
    dem_entry: np.ndarray
    dem_market: np.ndarray
    proc_entry: np.ndarray
    proc_market: np.ndarray
    proc_in_rows: np.ndarray  # (input use) market index per (entry, input) pair
    proc_in_entry: np.ndarray
    proc_in_coef: np.ndarray
    arc_k: np.ndarray
    arc_i: np.ndarray
    arc_j: np.ndarray
    arc_cost: np.ndarray
    arc_tariff_sp: np.ndarray
    arc_tariff_av: np.ndarray
    arc_export_sp: np.ndarray
    arc_export_av: np.ndarray
    charges: ArcCharges
    cfd: list[dict] = field(default_factory=list)
    quotas: list[dict] = field(default_factory=list)
    levies: list[dict] = field(default_factory=list)
    purchases: list[dict] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(self.lower.size)

    def block(self, name: str) -> slice:
        o = self.offsets[name]
        return slice(o, o + self.sizes[name])

    @property
    def n_kept(self) -> int:
        """Variables always kept in the reduced Newton system (prices and policy variables)."""
        return self.offsets["q"]

    def nonlinear_pattern(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Every (row, column) :meth:`nonlinear` can put in the Jacobian when only levies are
        non-affine (a levy row and each of its origins' price columns, all kept variables);
        None with a purchase budget (whose row reaches eliminated purchase columns)."""
        if any(pu["row"] is not None for pu in self.purchases):
            return None
        rows = [np.full(lv["pcol"].size, lv["row"]) for lv in self.levies if "row" in lv]
        if not rows:
            return None
        cols = [lv["pcol"] for lv in self.levies if "row" in lv]
        return np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64)

    def nonlinear(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Non-affine parts of scaled F at scaled ``y``: (rows, values) and Jacobian COO (rows, cols, vals)."""
        rows, vals, jr, jc, jv = [], [], [], [], []
        for lv in self.levies:
            landed = lv["coef"] * y[lv["pcol"]] + lv["const"]
            a = int(np.argmin(landed))
            gap = lv["floor_s"] - landed[a]
            rows.append(lv["row"])
            vals.append(-max(0.0, gap))
            if gap > 0:
                jr.append(lv["row"]), jc.append(lv["pcol"][a]), jv.append(lv["coef"][a])
        for pu in self.purchases:
            if pu["row"] is None:
                continue
            pg, gg, w = y[pu["pcol"]], y[pu["gcol"]], pu["weight"]
            rows.append(pu["row"])
            vals.append(-float(pg @ (w * gg)))
            jr.extend([pu["row"]] * (2 * pg.size))
            jc.extend(pu["pcol"].tolist() + pu["gcol"].tolist())
            jv.extend((-w * gg).tolist() + (-w * pg).tolist())
        return (np.asarray(rows, dtype=np.int64), np.asarray(vals, dtype=float),
                np.asarray(jr, dtype=np.int64), np.asarray(jc, dtype=np.int64), np.asarray(jv, dtype=float))


class _Coo:
    """Accumulates (row, col, value) triplets in original units."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []

    def add(self, rows, cols, vals) -> None:
        rows, cols = np.atleast_1d(np.asarray(rows, dtype=np.int64)), np.atleast_1d(np.asarray(cols, dtype=np.int64))
        vals = np.broadcast_to(np.asarray(vals, dtype=float), rows.shape)
        self.r.append(rows), self.c.append(cols), self.v.append(vals)

    def matrix(self, n: int) -> sp.csr_matrix:
        if not self.r:
            return sp.csr_matrix((n, n))
        return sp.coo_matrix((np.concatenate(self.v), (np.concatenate(self.r), np.concatenate(self.c))), shape=(n, n)).tocsr()


def _scales(sc: Scenario) -> tuple[float, float]:
    """Price scale P and quantity scale Q: the largest price and quantity the data mention."""
    prices = [abs(s.intercept) for s in sc.supply] + [abs(d.intercept) for d in sc.demand if not d.fixed]
    prices += [abs(p.intercept) for p in sc.processing] + [p.price for p in sc.policies if p.kind == "price_floor"]
    P = max(prices, default=0.0) or 1.0
    qs = [d.intercept / d.slope for d in sc.demand if not d.fixed and d.intercept > 0]
    qs += [d.quantity for d in sc.demand if d.fixed]
    qs += [s.capacity for s in sc.supply if s.capacity is not None]
    qs += [P / s.slope for s in sc.supply if s.capacity is None and s.slope > 0]
    qs += [p.capacity for p in sc.processing if p.capacity is not None]
    qs += [p.quantity for p in sc.policies if p.kind == "export_quota"]
    qs += [(p.release or 0.0) + (p.purchase or 0.0) for p in sc.policies if p.kind == "stockpile"]
    Q = max(qs, default=0.0) or 1.0
    return float(P), float(Q)


def build(sc: Scenario, arcs: np.ndarray | None = None, charges: ArcCharges | None = None) -> Model:
    """Assemble the MCP of ``sc``; impossible markets raise ScenarioError.

    ``arcs``: optional boolean (product, origin, destination) grid restricting the flow
    variables to a subset of the open arcs (arc generation, see :mod:`critmin.engine.arcgen`);
    markets and prices are always those of the full scenario. ``charges``: precomputed
    :func:`arc_charges` (saves recomputing them in every round of arc generation).
    """
    regions, products = sc.region_ids, sc.product_ids
    rix = {r: i for i, r in enumerate(regions)}
    kix = {k: i for i, k in enumerate(products)}
    nR, nK = len(regions), len(products)
    product_order(sc)
    P, Q = _scales(sc)
    Pk, Qk = product_scales(sc, P, Q)

    # --- entries -----------------------------------------------------------------------------
    sup = [(i, rix[s.region], kix[s.product]) for i, s in enumerate(sc.supply)]
    dem = [(i, rix[d.region], kix[d.product]) for i, d in enumerate(sc.demand) if not d.fixed]
    proc = [(i, rix[p.region], kix[p.product]) for i, p in enumerate(sc.processing)]
    fixed = np.zeros((nR, nK))
    for d in sc.demand:
        if d.fixed:
            fixed[rix[d.region], kix[d.product]] += d.quantity
    release, spurchase = np.zeros((nR, nK)), np.zeros((nR, nK))
    for pol in sc.policies:
        if pol.kind == "stockpile":
            tgt = release if pol.release is not None else spurchase
            tgt[rix[pol.region], kix[pol.product]] += pol.release if pol.release is not None else pol.purchase
    # each entry's own recipe, else its product's (decision 0082): (input product, units per unit)
    proc_inputs = [[(kix[k], c) for k, c in recipe.items()] for recipe in sc.recipes()]

    # --- arcs --------------------------------------------------------------------------------
    ch = arc_charges(sc) if charges is None else charges
    ak, ai, aj = np.nonzero(~np.isnan(ch.cost))

    # --- which markets exist -----------------------------------------------------------------
    active = np.zeros((nR, nK), dtype=bool)
    for _, r, k in sup + dem + proc:
        active[r, k] = True
    for i, r, _k in proc:
        for kin, _c in proc_inputs[i]:
            active[r, kin] = True
    active |= (fixed > 0) | (release > 0) | (spurchase > 0)
    active[ai, ak] = True
    active[aj, ak] = True
    if arcs is not None:
        keep = arcs[ak, ai, aj]
        ak, ai, aj = ak[keep], ai[keep], aj[keep]
    for k, pid in enumerate(products):
        if not active[:, k].any():
            raise ScenarioError(f"{sc.source}: product {pid!r} is an empty market: no supply, demand, processing, stock or trade anywhere")
    mkt_region, mkt_product = np.nonzero(active)
    nM = mkt_region.size
    market_of = np.full((nR, nK), -1, dtype=np.int64)
    market_of[mkt_region, mkt_product] = np.arange(nM)

    # --- policies that add variables ---------------------------------------------------------
    floors_on = np.zeros((nR, nK), dtype=bool)
    cfd, quotas, levies, purchases = [], [], [], []
    for idx, pol in enumerate(sc.policies):
        if pol.kind == "price_floor":
            kmask = resolve(pol.product, products, what="product")
            smask = resolve(pol.scope, regions, sc.blocs)
            cover = smask[:, None] & kmask[None, :] & active
            if (cover & floors_on).any():
                r, k = np.argwhere(cover & floors_on)[0]
                raise ScenarioError(f"{sc.source}: policies[{idx}]: two price floors cover product {products[k]!r} in region {regions[r]!r}")
            floors_on |= cover
            mk = market_of[cover]
            if pol.mechanism == "cfd":
                cfd.append({"policy": idx, "markets": mk, "floor": pol.price})
            elif pol.mechanism == "purchase":
                purchases.append({"policy": idx, "markets": mk, "floor": pol.price, "budget": pol.budget})
            else:
                for k in np.nonzero(kmask)[0]:
                    sel = (ak == k) & ~smask[ai] & smask[aj]
                    levies.append({"policy": idx, "product": int(k), "arcs": np.nonzero(sel)[0], "floor": pol.price,
                                   "scope": smask})
        elif pol.kind == "export_quota":
            m = (resolve(pol.product, products, what="product")[ak] & resolve(pol.origin, regions, sc.blocs)[ai]
                 & resolve(pol.destination, regions, sc.blocs)[aj])
            quotas.append({"policy": idx, "arcs": np.nonzero(m)[0], "quantity": pol.quantity,
                           "products": np.flatnonzero(resolve(pol.product, products, what="product"))})
    levies_var = [lv for lv in levies if lv["arcs"].size > 0]
    budgets = [pu for pu in purchases if pu["budget"] is not None and pu["markets"].size > 0]

    sizes = {
        "p": nM, "u": sum(c["markets"].size for c in cfd), "lam": len(quotas), "v": len(levies_var),
        "mu": len(budgets), "q": len(sup), "d": len(dem), "z": len(proc), "x": ak.size,
        "g": sum(pu["markets"].size for pu in purchases),
    }
    offsets, o = {}, 0
    for b in BLOCKS:
        offsets[b] = o
        o += sizes[b]
    n = o
    lower, upper = np.zeros(n), np.full(n, np.inf)
    c = np.zeros(n)
    coo = _Coo()
    colscale, rowscale = _block_scales(Pk, Qk, offsets, sizes, mkt_product, ak, sup, dem, proc, cfd, quotas,
                                       levies_var, purchases, budgets)
    p0, x0 = offsets["p"], offsets["x"]

    # producer price top-up u on each cfd market
    pp_col = np.full(nM, -1, dtype=np.int64)
    u = offsets["u"]
    for cf in cfd:
        cols = u + np.arange(cf["markets"].size)
        cf["ucol"] = cols
        pp_col[cf["markets"]] = cols
        coo.add(cols, cols, 1.0)
        coo.add(cols, p0 + cf["markets"], 1.0)
        c[cols] = -cf["floor"]
        u += cf["markets"].size

    # supply: F = a + b q - p - u ; clearing += q
    qs = offsets["q"] + np.arange(len(sup))
    sup_market = np.array([market_of[r, k] for _, r, k in sup], dtype=np.int64)
    if len(sup):
        a = np.array([sc.supply[i].intercept for i, _, _ in sup])
        b = np.array([sc.supply[i].slope for i, _, _ in sup])
        cap = np.array([np.inf if sc.supply[i].capacity is None else sc.supply[i].capacity for i, _, _ in sup])
        coo.add(qs, qs, b), coo.add(qs, p0 + sup_market, -1.0)
        _add_topup(coo, qs, pp_col[sup_market])
        c[qs] = a
        upper[qs] = cap
        coo.add(p0 + sup_market, qs, 1.0)

    # demand: F = p - alpha + beta d ; clearing -= d
    ds = offsets["d"] + np.arange(len(dem))
    dem_market = np.array([market_of[r, k] for _, r, k in dem], dtype=np.int64)
    if len(dem):
        alpha = np.array([sc.demand[i].intercept for i, _, _ in dem])
        beta = np.array([sc.demand[i].slope for i, _, _ in dem])
        coo.add(ds, ds, beta), coo.add(ds, p0 + dem_market, 1.0)
        c[ds] = -alpha
        coo.add(p0 + dem_market, ds, -1.0)

    # processing: F = c0 + c1 z + sum coef p_in - p_out - u_out ; clearing: +z at output, -coef z at inputs
    zs = offsets["z"] + np.arange(len(proc))
    proc_market = np.array([market_of[r, k] for _, r, k in proc], dtype=np.int64)
    in_rows, in_entry, in_coef = [], [], []
    for e, (i, r, _k) in enumerate(proc):
        for kin, cf_ in proc_inputs[i]:
            in_rows.append(market_of[r, kin]), in_entry.append(e), in_coef.append(cf_)
    in_rows_a, in_entry_a, in_coef_a = (np.array(in_rows, dtype=np.int64), np.array(in_entry, dtype=np.int64),
                                        np.array(in_coef, dtype=float))
    if len(proc):
        c0 = np.array([sc.processing[i].intercept for i, _, _ in proc])
        c1 = np.array([sc.processing[i].slope for i, _, _ in proc])
        cap = np.array([np.inf if sc.processing[i].capacity is None else sc.processing[i].capacity for i, _, _ in proc])
        coo.add(zs, zs, c1), coo.add(zs, p0 + proc_market, -1.0)
        _add_topup(coo, zs, pp_col[proc_market])
        coo.add(zs[in_entry_a], p0 + in_rows_a, in_coef_a)
        c[zs] = c0
        upper[zs] = cap
        coo.add(p0 + proc_market, zs, 1.0)
        coo.add(p0 + in_rows_a, zs[in_entry_a], -in_coef_a)

    # flows: F = (1 + adv) p_i + cost + specific + rents + levy - p_j ; clearing: +x at j, -x at i
    xs = x0 + np.arange(ak.size)
    mi, mj = market_of[ai, ak], market_of[aj, ak]
    adv = ch.tariff_ad_valorem[ak, ai, aj] + ch.export_ad_valorem[ak, ai, aj]
    spec = ch.tariff_specific[ak, ai, aj] + ch.export_specific[ak, ai, aj]
    cost = ch.cost[ak, ai, aj]
    coo.add(xs, p0 + mi, 1.0 + adv), coo.add(xs, p0 + mj, -1.0)
    c[xs] = cost + spec
    coo.add(p0 + mj, xs, 1.0), coo.add(p0 + mi, xs, -1.0)

    # quotas: F = quantity - sum x ; each arc pays the rent
    for qi, qu in enumerate(quotas):
        row = offsets["lam"] + qi
        qu["row"] = row
        coo.add(np.full(qu["arcs"].size, row), xs[qu["arcs"]], -1.0)
        coo.add(xs[qu["arcs"]], np.full(qu["arcs"].size, row), 1.0)
        c[row] = qu["quantity"]

    # variable levies: F = v - max(0, floor - min landed) (nonlinear part in Model.nonlinear)
    for li, lv in enumerate(levies_var):
        row = offsets["v"] + li
        lv["row"] = row
        arcs = lv["arcs"]
        coo.add(row, row, 1.0)
        coo.add(xs[arcs], np.full(arcs.size, row), 1.0)
        lower[row] = -np.inf
        lv["pcol"] = p0 + mi[arcs]
        lv["coef_orig"] = 1.0 + adv[arcs]
        lv["const_orig"] = cost[arcs] + spec[arcs]

    # floor purchases: F_g = p - floor + mu ; clearing -= g ; budget: F = B - sum p g
    g = offsets["g"]
    bi = 0
    for pu in purchases:
        cols = g + np.arange(pu["markets"].size)
        g += pu["markets"].size
        pu["gcol"], pu["pcol"] = cols, p0 + pu["markets"]
        coo.add(cols, p0 + pu["markets"], 1.0)
        c[cols] = -pu["floor"]
        coo.add(p0 + pu["markets"], cols, -1.0)
        pu["row"] = None
        if pu["budget"] is not None and pu["markets"].size > 0:
            row = offsets["mu"] + bi
            bi += 1
            pu["row"] = row
            # scaled spending: sum (Pk p_hat)(Qk g_hat) / budget row scale
            pu["weight"] = colscale[pu["pcol"]] * colscale[cols] / rowscale[row]
            coo.add(cols, np.full(cols.size, row), 1.0)
            c[row] = pu["budget"]

    # fixed sinks and stock releases on the clearing rows
    sink = fixed - release + spurchase
    c[p0:p0 + nM] = -sink[mkt_region, mkt_product]

    # --- scale -------------------------------------------------------------------------------
    Ms = coo.matrix(n)  # canonical CSR (duplicates summed, indices sorted)
    rows = np.repeat(np.arange(n), np.diff(Ms.indptr))
    Ms.data = (1.0 / rowscale)[rows] * Ms.data * colscale[Ms.indices]  # diag(1/rowscale) M diag(colscale)
    Ms.eliminate_zeros()
    model = Model(
        scenario=sc, P=P, Q=Q, Pk=Pk, Qk=Qk, sizes=sizes, offsets=offsets, lower=lower / colscale, upper=upper / colscale,
        M=Ms, c=c / rowscale, colscale=colscale, rowscale=rowscale, mkt_region=mkt_region, mkt_product=mkt_product,
        market_of=market_of, sink=sink, fixed_demand=fixed, release=release, stock_purchase=spurchase,
        sup_entry=np.array([i for i, _, _ in sup], dtype=np.int64), sup_market=sup_market,
        dem_entry=np.array([i for i, _, _ in dem], dtype=np.int64), dem_market=dem_market,
        proc_entry=np.array([i for i, _, _ in proc], dtype=np.int64), proc_market=proc_market,
        proc_in_rows=in_rows_a, proc_in_entry=in_entry_a, proc_in_coef=in_coef_a,
        arc_k=ak, arc_i=ai, arc_j=aj, arc_cost=cost, arc_tariff_sp=ch.tariff_specific[ak, ai, aj],
        arc_tariff_av=ch.tariff_ad_valorem[ak, ai, aj], arc_export_sp=ch.export_specific[ak, ai, aj],
        arc_export_av=ch.export_ad_valorem[ak, ai, aj], charges=ch, cfd=cfd, quotas=quotas, levies=levies,
        purchases=purchases,
    )
    for lv in levies_var:  # scaled landed price: (coef p + const) / Pk with p = Pk p_hat, k the levied product
        pk = Pk[lv["product"]]
        lv["coef"] = lv["coef_orig"]
        lv["const"] = lv["const_orig"] / pk
        lv["floor_s"] = lv["floor"] / pk
    return model


def _block_scales(Pk: np.ndarray, Qk: np.ndarray, offsets: dict[str, int], sizes: dict[str, int],
                  mkt_product: np.ndarray, ak: np.ndarray, sup: list[tuple[int, int, int]],
                  dem: list[tuple[int, int, int]], proc: list[tuple[int, int, int]], cfd: list[dict],
                  quotas: list[dict], levies_var: list[dict], purchases: list[dict],
                  budgets: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Column and row scales, per product: a price column by its product's Pk, a quantity column
    by its Qk; a row by the scale of what it compares (clearing: Qk; cost rows: the Pk of the
    price they compare, the output's for processing, which product_scales makes >= its inputs'
    value; quota: the largest Qk it covers; levy: the levied product's Pk; budget: the budget)."""
    n = sum(sizes.values())
    col, row = np.empty(n), np.empty(n)

    def put(block: str, c, r) -> None:
        s = slice(offsets[block], offsets[block] + sizes[block])
        col[s], row[s] = c, r

    def cat(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)

    mk = mkt_product
    put("p", Pk[mk], Qk[mk])
    u_k = mk[cat([cf["markets"] for cf in cfd])]
    put("u", Pk[u_k], Pk[u_k])
    lam_P = [Pk[q["products"]].max() for q in quotas]  # a quota names at least one product (resolve)
    lam_Q = [Qk[q["products"]].max() for q in quotas]
    put("lam", lam_P, lam_Q)
    lv_P = Pk[[lv["product"] for lv in levies_var]] if levies_var else np.zeros(0)
    put("v", lv_P, lv_P)
    mu_P = [Pk[mk[pu["markets"]]].max() for pu in budgets]
    # a budget row is measured by the budget, floored as the certificate floors it (FLOOR x the
    # largest price x quantity it covers), so that a budget of 1e-12 USD does not set the row's scale
    mu_B = [max(pu["budget"], FLOOR * float((Pk[mk[pu["markets"]]] * Qk[mk[pu["markets"]]]).max()))
            for pu in budgets]
    put("mu", mu_P, mu_B)
    for block, entries in (("q", sup), ("d", dem), ("z", proc)):
        k = np.array([kk for _, _, kk in entries], dtype=np.int64)
        put(block, Qk[k], Pk[k])
    put("x", Qk[ak], Pk[ak])
    g_k = mk[cat([pu["markets"] for pu in purchases])]
    # a budget caps purchases at budget / floor: far below Qk that bound sets the purchases'
    # scale (a 1e-8 USD budget buys ~1e-10 t, which in units of Qk is below Newton's resolution)
    g_cap = np.concatenate([np.full(pu["markets"].size, pu["budget"] / pu["floor"]
                                    if pu["budget"] is not None and pu["floor"] > 0 else np.inf)
                            for pu in purchases]) if purchases else np.zeros(0)
    put("g", np.maximum(np.minimum(Qk[g_k], g_cap), FLOOR * Qk[g_k]), Pk[g_k])
    return col, row


def _add_topup(coo: _Coo, rows: np.ndarray, ucols: np.ndarray) -> None:
    """Producers on cfd markets receive p + u: add -u to their cost rows."""
    has = ucols >= 0
    if has.any():
        coo.add(rows[has], ucols[has], -1.0)
