"""The engine scenario of one period, derived from the composed base scenario without re-validation.

The world is composed once (critmin.compose); each period copies the base Scenario with its
demand grown, extra supply or processing entries (producing projects, recycling) and extra policies (export
quotas of active disruptions, stockpile purchases or releases) — all checked against the base
scenario's regions and products when the model is prepared, so the copy skips pydantic
validation and the cross-reference checks (decision 0051).
"""

from __future__ import annotations

import numpy as np

from critmin.scenario.schema import Demand, ExportQuota, Processing, Scenario, Stockpile, Supply


def grown_demand(base: list[Demand], factor: np.ndarray) -> list[Demand]:
    """Each demand entry scaled by its growth factor: slope b/g for a curve, quantity q g if fixed."""
    out = []
    for d, g in zip(base, factor, strict=True):
        if g == 1.0:
            out.append(d)
        elif d.fixed:
            out.append(d.model_copy(update={"quantity": d.quantity * float(g)}))
        else:
            out.append(d.model_copy(update={"slope": d.slope / float(g)}))
    return out


def flat_supply(region: str, product: str, cost: float, capacity: float) -> Supply:
    """A supply entry at constant marginal ``cost`` up to ``capacity`` (a plant, or recycling at cost 0)."""
    return Supply.model_construct(region=region, product=product, intercept=float(cost), slope=0.0,
                                  capacity=float(capacity))


def plant(region: str, product: str, cost: float, capacity: float, inputs: bool) -> Supply | Processing:
    """A project's entry: for a product made from inputs (a refinery, a magnet plant) a processing
    entry at conversion ``cost`` that draws its inputs from the region's markets, else a flat supply."""
    if inputs:
        return Processing.model_construct(region=region, product=product, intercept=float(cost), slope=0.0,
                                          capacity=float(capacity))
    return flat_supply(region, product, cost, capacity)


def quota(product: str, origin: list[str], destination: list[str], quantity: float) -> ExportQuota:
    return ExportQuota.model_construct(kind="export_quota", product=product, origin=origin, destination=destination,
                                       quantity=max(0.0, float(quantity)))


def stockpile(region: str, product: str, rate: float, kind: str) -> Stockpile:
    """A purchase (``kind='buy'``) or release at ``rate`` per year in one market."""
    if kind == "buy":
        return Stockpile.model_construct(kind="stockpile", region=region, product=product, release=None, purchase=rate)
    return Stockpile.model_construct(kind="stockpile", region=region, product=product, release=rate, purchase=None)


def period_scenario(base: Scenario, demand: list[Demand], extra: list[Supply | Processing], extra_policies: list) -> Scenario:
    """``base`` with ``demand`` replaced and the extra supply or processing entries and policies appended."""
    update = {"demand": demand}
    supply = [e for e in extra if isinstance(e, Supply)]
    processing = [e for e in extra if isinstance(e, Processing)]
    if supply:
        update["supply"] = list(base.supply) + supply
    if processing:
        update["processing"] = list(base.processing) + processing
    if extra_policies:
        update["policies"] = list(base.policies) + extra_policies
    return base.model_copy(update=update)
