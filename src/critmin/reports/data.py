"""The numbers behind the report's charts, as plain tables (tested on their own, shown beside each chart)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from critmin.results.compare import NOISE


def output_shares(scenario: Any, result: Any) -> pd.DataFrame:
    """Each region's share of its product's world output: ``product, region, quantity, share``.

    Output is supply plus processing output, so refined stages (made by processing, with no
    supply curve) have shares too.
    """
    parts = [t[["region", "product", "quantity"]] for t in (result.supply, result.processing) if not t.empty]
    if not parts:
        return pd.DataFrame(columns=["product", "region", "quantity", "share"])
    frame = pd.concat(parts, ignore_index=True).groupby(["product", "region"], sort=False, as_index=False)["quantity"].sum()
    order = {p: i for i, p in enumerate(scenario.product_ids)}
    regions = {r: i for i, r in enumerate(scenario.region_ids)}
    frame = frame.sort_values(["product", "region"], key=lambda s: s.map(order if s.name == "product" else regions))
    total = frame.groupby("product", sort=False)["quantity"].transform("sum")
    frame["share"] = (frame["quantity"] / total).where(total > 0, 0.0)
    return frame[["product", "region", "quantity", "share"]].reset_index(drop=True)


def sankey_links(scenario: Any, result: Any) -> pd.DataFrame:
    """Links of the flow diagram: ``kind, product, source, target, value``.

    Nodes are markets ``product @ region``. ``trade`` links carry the equilibrium flows between
    regions; ``processing`` links carry the input a region's processing uses (input coefficient
    x processed quantity, in the input's unit) into the product made from it.
    """
    rows = []
    for f in result.flows.itertuples(index=False):
        rows.append(("trade", f.product, f"{f.product} @ {f.origin}", f"{f.product} @ {f.destination}", float(f.quantity)))
    if any(e.inputs is not None for e in scenario.processing):  # routes (0082): entry by entry, links summed
        recipes, links = scenario.recipes(), {}
        for z in result.processing_entries.itertuples(index=False):
            for src, coef in recipes[int(z.entry)].items():
                key = (src, z.region, z.product)
                links[key] = links.get(key, 0.0) + coef * float(z.quantity)
        rows += [("processing", src, f"{src} @ {region}", f"{product} @ {region}", v)
                 for (src, region, product), v in links.items() if v > 0]
    else:
        inputs = {p.id: dict(p.inputs) for p in scenario.products}
        for z in result.processing.itertuples(index=False):
            for src, coef in inputs.get(z.product, {}).items():
                value = coef * float(z.quantity)
                if value > 0:
                    rows.append(("processing", src, f"{src} @ {z.region}", f"{z.product} @ {z.region}", value))
    return pd.DataFrame(rows, columns=["kind", "product", "source", "target", "value"])


def prices_before_after(baseline: Any | None, result: Any, scenario: Any) -> pd.DataFrame:
    """``product, region, before, after, change, change_pct`` in scenario order (``before`` empty without a baseline)."""
    out = result.prices.rename(columns={"price": "after"})[["product", "region", "after"]].copy()
    if baseline is None:
        out["before"] = float("nan")
    else:
        base = baseline.prices.set_index(["region", "product"])["price"]
        out["before"] = [float(base.get((r, p), float("nan"))) for r, p in zip(out["region"], out["product"], strict=True)]
    change = out["after"] - out["before"]
    scale = np.maximum(1.0, np.maximum(out["before"].abs(), out["after"].abs()))
    out["change"] = change.mask(change.abs() <= NOISE * scale, 0.0)  # solver noise is no change (as in compare)
    out["change_pct"] = (100.0 * out["change"] / out["before"].abs()).where(out["before"] != 0)
    order = {p: i for i, p in enumerate(scenario.product_ids)}
    out = out.sort_values("product", key=lambda s: s.map(order), kind="stable")
    return out[["product", "region", "before", "after", "change", "change_pct"]].reset_index(drop=True)
