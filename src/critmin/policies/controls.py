"""Export controls compiled into the engine's ``export_ban`` and ``export_quota``.

A licence given as ``share_withheld`` s becomes, per product, the quota ``(1 - s) x E`` where E
is the supplier's baseline exports of the product over the controlled arcs (origin in the
supplier, destination in ``destinations``, the engine's quota arcs).
"""

from __future__ import annotations

from typing import Any

from critmin.policies.context import Context
from critmin.policies.instruments import ExportControls


def baseline_exports(ctx: Context, product: str, origins: list[str], destinations: list[str]) -> float:
    flows = ctx.baseline().flows
    sel = (flows["product"] == product) & flows["origin"].isin(origins) & flows["destination"].isin(destinations)
    return float(flows.loc[sel, "quantity"].sum())


def compile_controls(ctx: Context, ec: ExportControls, where: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(engine policies, record of what was compiled)."""
    for j, k in enumerate(ec.products):
        ctx.check_product(k, f"{where}.products[{j}]")
    origins = ctx.zone(ec.supplier, f"{where}.supplier")
    dests = ctx.zone(ec.destinations, f"{where}.destinations")
    arcs = {"origin": ec.supplier, "destination": ec.destinations}
    if ec.mode == "ban":
        return ([{"kind": "export_ban", "product": k, **arcs} for k in ec.products],
                {"mode": "ban", "products": list(ec.products)})
    policies, quotas = [], {}
    for k in ec.products:
        if ec.quantity is not None:
            quota, base = float(ec.quantity), None
        else:
            base = baseline_exports(ctx, k, origins, dests)
            quota = (1.0 - float(ec.share_withheld)) * base
        policies.append({"kind": "export_quota", "product": k, **arcs, "quantity": quota})
        quotas[k] = {"quota": quota, "baseline_exports": base}
    return policies, {"mode": "license", "share_withheld": ec.share_withheld, "quotas": quotas}
