"""Outcome tables: a policy run against its baseline, per bloc member and for the bloc.

Both functions take two engine Results of the same market and the bloc's member regions.

Definitions (per region r and product k; the bloc sums its members unless said otherwise):

- output: supply plus processing output; ``new_capacity`` = max(0, output change), the output
  above baseline that new or idle capacity must supply;
- consumption: apparent consumption, output + imports - exports (for the bloc, trade with
  non-members only); self-sufficiency = output / consumption;
- price: the market price; the bloc's price is the members' average weighted by baseline
  consumption;
- buyer_cost_change: what final buyers (the manufacturers) pay extra for what they still buy,
  ``(policy price - baseline price) x policy demand`` (the rest of their loss, from buying less,
  is in the consumer surplus change);
- imports_outside / imports_inside: arrivals from non-members / from other members (trade
  diversion is the shift between the two);
- producer_gains: change in producer plus processing surplus (the engine's welfare table);
- levy_revenue: variable-levy revenue, the engine's total per product shared among members by
  their imports from outside the bloc (the levy's scope is assumed to be the bloc);
- fiscal_cost: cfd payments plus floor and stockpile purchase spending (a positive number is a
  cost to the treasury);
- welfare_change = consumer surplus + producer gains + quota rent + government changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

PRODUCT_COLUMNS = [
    "level", "region", "product", "price_baseline", "price_policy", "price_change", "output_baseline", "output_policy",
    "new_capacity", "consumption_baseline", "consumption_policy", "self_sufficiency_baseline", "self_sufficiency_policy",
    "buyer_cost_change", "imports_outside_baseline", "imports_outside_policy", "imports_inside_baseline",
    "imports_inside_policy",
]
MEMBER_COLUMNS = [
    "level", "region", "consumer_surplus_change", "buyer_cost_change", "producer_gains", "quota_rent_change",
    "levy_revenue", "fiscal_cost", "government_change", "welfare_change",
]


def _sum(frame: pd.DataFrame, keys: list[str], value: str = "quantity") -> pd.Series:
    if frame.empty:
        return pd.Series(dtype=float, index=pd.MultiIndex.from_tuples([], names=keys))
    return frame.groupby(keys)[value].sum()


def _market_table(res: Any, members: Sequence[str]) -> pd.DataFrame:
    """Per (region, product): price, output, trade with members and non-members, demand."""
    prices = res.prices.set_index(["region", "product"])["price"]
    out = _sum(res.supply, ["region", "product"]).add(_sum(res.processing, ["region", "product"]), fill_value=0)
    fl = res.flows
    inside_o = fl["origin"].isin(members)
    imp_out = _sum(fl[~inside_o].rename(columns={"destination": "region"}), ["region", "product"])
    imp_in = _sum(fl[inside_o].rename(columns={"destination": "region"}), ["region", "product"])
    exp_all = _sum(fl.rename(columns={"origin": "region"}), ["region", "product"])
    exp_out = _sum(fl[~fl["destination"].isin(members)].rename(columns={"origin": "region"}), ["region", "product"])
    dem = res.demand.set_index(["region", "product"])["quantity"] if not res.demand.empty else pd.Series(dtype=float)
    t = pd.DataFrame({"price": prices})
    for name, s in (("output", out), ("imports_outside", imp_out), ("imports_inside", imp_in), ("exports", exp_all),
                    ("exports_outside", exp_out), ("demand", dem)):
        t[name] = s.reindex(t.index).fillna(0.0).astype(float) if len(s) else 0.0
    return t


def by_product(baseline: Any, policy: Any, members: Sequence[str], bloc: str = "bloc") -> pd.DataFrame:
    """Price, output, new capacity, self-sufficiency, buyer cost and trade per member, product and for the bloc."""
    members = list(members)
    b, p = _market_table(baseline, members), _market_table(policy, members)
    idx = b.index.union(p.index)
    b, p = b.reindex(idx).fillna(0.0), p.reindex(idx).fillna(0.0)
    p["buyer_cost"] = (p["price"] - b["price"]) * p["demand"]
    b["buyer_cost"] = 0.0
    for t in (b, p):
        t["consumption"] = t["output"] + t["imports_outside"] + t["imports_inside"] - t["exports"]
    rows = []
    in_bloc = idx.get_level_values("region").isin(members)
    for (region, product) in idx[in_bloc]:
        rb, rp = b.loc[(region, product)], p.loc[(region, product)]
        rows.append(_row("member", region, product, rb["price"], rp["price"], rb, rp, rb["consumption"], rp["consumption"]))
    for product in sorted(set(idx[in_bloc].get_level_values("product"))):
        sel = in_bloc & (idx.get_level_values("product") == product)
        sb, sp = b[sel].sum(), p[sel].sum()
        cons_b = sb["output"] + sb["imports_outside"] - sb["exports_outside"]
        cons_p = sp["output"] + sp["imports_outside"] - sp["exports_outside"]
        w = b.loc[sel, "consumption"].clip(lower=0).to_numpy()
        w = w if w.sum() > 0 else np.ones(w.size)
        price_b = float(np.average(b.loc[sel, "price"], weights=w))
        price_p = float(np.average(p.loc[sel, "price"], weights=w))
        row = _row("bloc", bloc, product, price_b, price_p, sb, sp, cons_b, cons_p)
        row["imports_inside_baseline"], row["imports_inside_policy"] = sb["imports_inside"], sp["imports_inside"]
        rows.append(row)
    return pd.DataFrame(rows, columns=PRODUCT_COLUMNS)


def _row(level, region, product, price_b, price_p, rb, rp, cons_b, cons_p) -> dict[str, Any]:
    def ratio(num: float, den: float) -> float:
        return float(num / den) if den > 0 else float("nan")

    return {
        "level": level, "region": region, "product": product, "price_baseline": float(price_b),
        "price_policy": float(price_p), "price_change": float(price_p - price_b),
        "output_baseline": float(rb["output"]), "output_policy": float(rp["output"]),
        "new_capacity": max(0.0, float(rp["output"] - rb["output"])),
        "consumption_baseline": float(cons_b), "consumption_policy": float(cons_p),
        "self_sufficiency_baseline": ratio(rb["output"], cons_b), "self_sufficiency_policy": ratio(rp["output"], cons_p),
        "buyer_cost_change": float(rp["buyer_cost"]),
        "imports_outside_baseline": float(rb["imports_outside"]), "imports_outside_policy": float(rp["imports_outside"]),
        "imports_inside_baseline": float(rb["imports_inside"]), "imports_inside_policy": float(rp["imports_inside"]),
    }


def _levy(res: Any, members: list[str]) -> pd.Series:
    """Variable-levy revenue per member: the engine's total per product, shared by imports from outside."""
    det = res.policy_details
    det = det[det["kind"] == "variable_levy"]
    out = pd.Series(0.0, index=members)
    if det.empty or res.flows.empty:
        return out
    fl = res.flows[~res.flows["origin"].isin(members) & res.flows["destination"].isin(members)]
    for product, amount in det.groupby("product")["amount"].sum().items():
        arr = fl[fl["product"] == product].groupby("destination")["quantity"].sum()
        if arr.sum() > 0:
            out = out.add(amount * arr / arr.sum(), fill_value=0.0)
    return out.reindex(members).fillna(0.0)


def _fiscal(res: Any, members: list[str]) -> pd.Series:
    """cfd payments and floor purchase spending per member, plus stockpile purchases."""
    det = res.policy_details
    det = det[det["kind"].isin(["cfd", "purchase"])]
    out = det.groupby("region")["amount"].sum() if not det.empty else pd.Series(dtype=float)
    pol = res.policies
    stock = pol[(pol["kind"] == "stockpile") & pol["spending"].notna()]
    if not stock.empty:
        out = out.add(stock.groupby("target")["spending"].sum(), fill_value=0.0)
    return out.reindex(members).fillna(0.0)


def by_member(baseline: Any, policy: Any, members: Sequence[str], bloc: str = "bloc") -> pd.DataFrame:
    """Welfare and fiscal table per member and for the bloc (see the module docstring)."""
    members = list(members)

    def region_welfare(res: Any) -> pd.DataFrame:
        w = res.welfare
        return w[w["level"] == "region"].set_index("id").reindex(members).fillna(0.0)

    wb, wp = region_welfare(baseline), region_welfare(policy)
    d = wp[["consumer_surplus", "producer_surplus", "processing_surplus", "quota_rent", "government", "total"]] \
        - wb[["consumer_surplus", "producer_surplus", "processing_surplus", "quota_rent", "government", "total"]]
    mb, mp = _market_table(baseline, members), _market_table(policy, members)
    extra = (mp["price"] - mb["price"].reindex(mp.index)).fillna(0.0) * mp["demand"]
    spend = extra.groupby(level="region").sum()
    frame = pd.DataFrame({
        "level": "member", "region": members,
        "consumer_surplus_change": d["consumer_surplus"].to_numpy(),
        "buyer_cost_change": spend.reindex(members).fillna(0.0).to_numpy(),
        "producer_gains": (d["producer_surplus"] + d["processing_surplus"]).to_numpy(),
        "quota_rent_change": d["quota_rent"].to_numpy(),
        "levy_revenue": (_levy(policy, members) - _levy(baseline, members)).to_numpy(),
        "fiscal_cost": (_fiscal(policy, members) - _fiscal(baseline, members)).to_numpy(),
        "government_change": d["government"].to_numpy(),
        "welfare_change": d["total"].to_numpy(),
    })
    total = frame[MEMBER_COLUMNS[2:]].sum()
    frame = pd.concat([frame, pd.DataFrame([{"level": "bloc", "region": bloc, **total.to_dict()}])], ignore_index=True)
    return frame[MEMBER_COLUMNS]


def outcomes(baseline: Any, policy: Any, members: Sequence[str], bloc: str = "bloc") -> dict[str, pd.DataFrame]:
    """Both outcome tables: ``by_product`` and ``by_member``."""
    return {"by_product": by_product(baseline, policy, members, bloc), "by_member": by_member(baseline, policy, members, bloc)}
