"""What each policy did: revenue, rents, payments, purchases; one row per policy plus per-market details.

Conventions (also in docs/engine.md):
- tariff revenue and variable-levy revenue accrue to the importing (destination) region;
- export-tax revenue to the exporting (origin) region;
- quota rent (unit rent x licensed exports) to the exporting region's licence holders;
- cfd payments are paid by the government of the producer's region, floor purchases and
  stockpile purchases by the region where the goods are bought; stockpile releases are sold
  at the market price by that region's government.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.engine.model import Model
from critmin.engine.tables import Solution
from critmin.scenario.selectors import describe, resolve

POLICY_COLUMNS = ["index", "kind", "product", "target", "arcs", "quantity", "unit_value", "revenue", "rent",
                  "payment", "purchases", "spending", "binding"]
DETAIL_COLUMNS = ["policy", "kind", "region", "product", "quantity", "unit_value", "amount"]


def _arc_mask(m: Model, pol) -> np.ndarray:
    sc = m.scenario
    mask = (resolve(pol.product, sc.product_ids, what="product")[m.arc_k]
            & resolve(pol.origin, sc.region_ids, sc.blocs)[m.arc_i]
            & resolve(pol.destination, sc.region_ids, sc.blocs)[m.arc_j])
    if getattr(pol, "exempt", None) is not None:
        mask &= ~resolve(pol.exempt, sc.region_ids, sc.blocs)[m.arc_i]
    return mask


def _market_output(m: Model, sol: Solution) -> np.ndarray:
    """Producers' output per market: supply plus processing output (what a cfd pays on)."""
    nM = m.mkt_region.size
    return np.bincount(m.sup_market, weights=sol["q"], minlength=nM) + np.bincount(m.proc_market, weights=sol["z"], minlength=nM)


def account(m: Model, sol: Solution) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """(policies, policy_details, government net revenue per region, quota rent per region)."""
    sc = m.scenario
    nR = len(sc.regions)
    regions, products = sc.region_ids, sc.product_ids
    p, x = sol["p"], sol["x"]
    p_origin = p[m.market_of[m.arc_i, m.arc_k]]
    gov, rent_r = np.zeros(nR), np.zeros(nR)
    rows, details = [], []
    output = _market_output(m, sol)
    by_policy = {d["policy"]: d for d in m.cfd + m.purchases}
    quotas = {q["policy"]: q for q in m.quotas}
    levies: dict[int, list[dict]] = {}
    for lv in m.levies:
        levies.setdefault(lv["policy"], []).append(lv)
    for idx, pol in enumerate(sc.policies):
        row = dict.fromkeys(POLICY_COLUMNS, np.nan)
        row.update(index=idx, kind=pol.kind, product=describe(pol.product), binding=False)
        if pol.kind in ("tariff", "export_tax", "export_ban", "export_quota"):
            mask = _arc_mask(m, pol)
            row["target"] = f"{describe(pol.origin)} -> {describe(pol.destination)}"
            if pol.kind == "export_ban":
                row["arcs"] = _banned_count(m, pol)
                row["quantity"] = 0.0
            else:
                row["arcs"] = int(mask.sum())
                row["quantity"] = float(x[mask].sum())
            if pol.kind in ("tariff", "export_tax"):
                unit = pol.specific + pol.ad_valorem * p_origin[mask]
                rev = unit * x[mask]
                who = m.arc_j[mask] if pol.kind == "tariff" else m.arc_i[mask]
                np.add.at(gov, who, rev)
                row["revenue"] = float(rev.sum())
            elif pol.kind == "export_quota":
                lam = sol.values[quotas[idx]["row"]]
                arcs = quotas[idx]["arcs"]
                np.add.at(rent_r, m.arc_i[arcs], lam * x[arcs])
                row.update(unit_value=float(lam), rent=float(lam * x[arcs].sum()),
                           binding=bool(x[arcs].sum() >= pol.quantity - 1e-9 * m.rowscale[quotas[idx]["row"]]))
                details.append({"policy": idx, "kind": pol.kind, "region": describe(pol.origin), "product": describe(pol.product),
                                "quantity": float(x[arcs].sum()), "unit_value": float(lam), "amount": float(lam * x[arcs].sum())})
        elif pol.kind == "price_floor":
            row["target"] = f"{describe(pol.scope)} floor {pol.price:g} ({pol.mechanism})"
            if pol.mechanism == "cfd":
                cf = by_policy[idx]
                u = sol.values[cf["ucol"]]
                pay = u * output[cf["markets"]]
                np.add.at(gov, m.mkt_region[cf["markets"]], -pay)
                row.update(quantity=float(output[cf["markets"]][u > 0].sum()), payment=float(pay.sum()), binding=bool((u > 0).any()))
                for mk, uu, pp in zip(cf["markets"], u, pay):
                    details.append({"policy": idx, "kind": "cfd", "region": regions[m.mkt_region[mk]], "product": products[m.mkt_product[mk]],
                                    "quantity": float(output[mk]), "unit_value": float(uu), "amount": float(pp)})
            elif pol.mechanism == "purchase":
                pu = by_policy[idx]
                g = sol.values[pu["gcol"]] if pu["markets"].size else np.zeros(0)
                pm = p[pu["markets"]]
                mu = float(sol.values[pu["row"]]) if pu["row"] is not None else 0.0
                spend = pm * g
                np.add.at(gov, m.mkt_region[pu["markets"]], -spend)
                # binding: the floor is in effect (the government buys); an exhausted budget shows as unit_value < price
                row.update(unit_value=pol.price - mu, purchases=float(g.sum()), spending=float(spend.sum()), quantity=float(g.sum()),
                           binding=bool(g.sum() > 0 or mu > 0))
                for mk, gg, pp, ss in zip(pu["markets"], g, pm, spend):
                    details.append({"policy": idx, "kind": "purchase", "region": regions[m.mkt_region[mk]], "product": products[m.mkt_product[mk]],
                                    "quantity": float(gg), "unit_value": float(pp), "amount": float(ss)})
            else:
                total_q = total_rev = 0.0
                for lv in levies.get(idx, []):
                    arcs = lv["arcs"]
                    v = float(sol.values[lv["row"]]) if "row" in lv else 0.0
                    rev = v * x[arcs]
                    np.add.at(gov, m.arc_j[arcs], rev)
                    total_q += float(x[arcs].sum())
                    total_rev += float(rev.sum())
                    details.append({"policy": idx, "kind": "variable_levy", "region": describe(pol.scope), "product": products[lv["product"]],
                                    "quantity": float(x[arcs].sum()), "unit_value": v, "amount": float(rev.sum())})
                    row["binding"] = bool(row["binding"] or v > 0)
                row.update(quantity=total_q, revenue=total_rev)
                if len(levies.get(idx, [])) == 1:
                    row["unit_value"] = details[-1]["unit_value"]
        elif pol.kind == "stockpile":
            r, k = regions.index(pol.region), products.index(pol.product)
            price = float(p[m.market_of[r, k]])
            row["target"] = pol.region
            if pol.release is not None:
                row.update(quantity=pol.release, unit_value=price, revenue=price * pol.release)
                gov[r] += price * pol.release
            else:
                row.update(quantity=pol.purchase, unit_value=price, purchases=pol.purchase, spending=price * pol.purchase)
                gov[r] -= price * pol.purchase
        rows.append(row)
    policies = pd.DataFrame(rows, columns=POLICY_COLUMNS)
    return policies, pd.DataFrame(details, columns=DETAIL_COLUMNS), gov, rent_r


def _banned_count(m: Model, pol) -> int:
    """Arcs (with a route or not) the ban closes, counted on the dense grid."""
    sc = m.scenario
    k = resolve(pol.product, sc.product_ids, what="product")
    o = resolve(pol.origin, sc.region_ids, sc.blocs)
    d = resolve(pol.destination, sc.region_ids, sc.blocs)
    grid = k[:, None, None] & o[None, :, None] & d[None, None, :]
    grid &= ~np.eye(len(sc.regions), dtype=bool)[None]
    return int(grid.sum())
