"""The chain of reference prices across stages and its consistency check.

For a product with inputs, reference prices are consistent when processors in the zone earn at
least their conversion cost: ``p_down >= sum(coef x p_in) + conversion cost``, checked route by
route when the zone's processing entries have recipes of their own (decision 0082: one row per
distinct recipe, its conversion cost the average of that route's processors). The conversion cost
is the entry's ``conversion_cost`` (or a cost_plus ``operating_cost``) if given, else the average conversion cost of zone processors
at baseline output (as in cost_plus), else 0 when the zone has no processing of the product
(the row says so). A link is checked only when every input has a reference price; the other rows
show input cost at baseline prices for information.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from critmin.errors import InputFileError
from critmin.policies.context import Context
from critmin.policies.instruments import ReferencePrice
from critmin.policies.reference import average_cost

COLUMNS = ["product", "zone", "method", "enforcement", "reference_price", "inputs", "input_cost", "input_basis",
           "conversion_cost", "conversion_basis", "margin", "checked", "consistent"]
#: Relative slack for rounding in the consistency check.
RTOL = 1e-9


def _zone_text(zone: str | list[str]) -> str:
    return zone if isinstance(zone, str) else "|".join(zone)


def chain_rows(ctx: Context, refs: list[tuple[str, ReferencePrice, list[str]]]) -> list[dict[str, Any]]:
    """One row per reference price and zone route (recipe) in product (stage) order; raises on the
    first inconsistent link."""
    rows = []
    for where, ref, zone in refs:
        routes = ctx.routes(ref.product, zone)
        for coefs, entries in routes:
            rows.append(_route_row(ctx, where, ref, zone, coefs, entries if len(routes) > 1 else None))
    return rows


def _route_row(ctx: Context, where: str, ref: ReferencePrice, zone: list[str], coefs: dict[str, float],
               entries: list[int] | None) -> dict[str, Any]:
    """The chain row of one route of ``ref.product`` (``entries``: that route's processing entries
    when the zone has several routes, else None: all of the product's zone processors)."""
    price = ctx.references[ref.product]
    row = dict.fromkeys(COLUMNS)
    row.update(product=ref.product, zone=_zone_text(ref.zone), method=ref.method, enforcement=ref.enforcement,
               reference_price=price, checked=False)
    if not coefs:
        return row
    row["inputs"] = " + ".join(f"{c:g} {i}" for i, c in coefs.items())
    checked = all(i in ctx.references for i in coefs)
    has_proc = any(e.product == ref.product and e.region in zone for e in ctx.scenario.processing)
    given = ref.conversion_cost if ref.conversion_cost is not None else ref.operating_cost
    if given is not None:
        conv, basis = float(given), "given " + ("conversion_cost" if ref.conversion_cost is not None else "operating_cost")
        avg = average_cost(ctx, ref.product, zone, entries) if has_proc and not checked else None
    elif has_proc:
        avg = average_cost(ctx, ref.product, zone, entries)
        conv = avg[0]
        basis = "average of zone processors at baseline output" + ("" if entries is None else " on this route")
    else:
        avg, conv, basis = None, 0.0, "no processing in the zone: taken as 0"
    if checked:
        in_cost, in_basis = sum(c * ctx.references[i] for i, c in coefs.items()), "reference prices"
    elif avg is not None:
        in_cost, in_basis = avg[1], "baseline prices"
    else:
        in_cost, in_basis = None, "no reference or zone processing"
    margin = None if in_cost is None else price - in_cost - conv
    row.update(input_cost=in_cost, input_basis=in_basis, conversion_cost=conv, conversion_basis=basis,
               margin=margin, checked=checked, consistent=None if not checked else margin >= -RTOL * price)
    if checked and not row["consistent"]:
        parts = " + ".join(f"{c:g} x {i} {ctx.references[i]:g}" for i, c in coefs.items())
        route = "" if entries is None else f" (route of processing[{entries[0]}])"
        raise InputFileError(
            ctx.source,
            f"reference prices are inconsistent across stages{route}: {ref.product} {price:g} < {parts} + conversion cost "
            f"{conv:g} ({basis}); gap {-margin:g}",
            f"{where}.price" if ref.method == "fixed" else where, price)
    return row


def chain_table(compiled: dict[str, Any]) -> pd.DataFrame:
    """The ``chain`` of a compiled scenario as a table (empty when it sets no reference price)."""
    return pd.DataFrame(compiled.get("chain", []), columns=COLUMNS)
