"""The grammar of uncertainty targets: what a drawn number replaces in a simulation.

==================================  =========================================================
target                              meaning of the drawn value
==================================  =========================================================
``elasticity.demand:<product>``     demand elasticity (negative) of every demand curve of the
                                    product, re-pivoted through its base-year equilibrium point
``elasticity.supply:<product>``     supply elasticity (positive) of every supply curve of the
                                    product, re-pivoted through its base-year point
``growth:<product>``                annual demand growth rate of the product (replaces its path)
``disruption:<id>.<field>``         ``probability``, ``duration`` (years), ``share_withheld``
                                    or ``start`` (year) of the disruption ``id``
``cost:pipeline``                   factor on every pipeline project's costs and incentive price
``reserve.<field>:<product>``       ``buy_at_or_below``, ``release_above``, ``capacity``,
                                    ``max_fill_per_year`` or ``max_draw_per_year`` of the
                                    holdings of the product
``reserve:budget_usd``              the reserve's purchase budget
==================================  =========================================================

:func:`check_target` checks the grammar only (it sees no model); :func:`resolve` checks the names
against a prepared model (decision 0056).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from critmin.errors import ScenarioError

DISRUPTION_FIELDS = ("probability", "duration", "share_withheld", "start")
RESERVE_FIELDS = ("buy_at_or_below", "release_above", "capacity", "max_fill_per_year", "max_draw_per_year")
_NAME = r"[A-Za-z0-9_\-]+"
_PATTERNS = {
    "elasticity": re.compile(rf"^elasticity\.(demand|supply):({_NAME})$"),
    "growth": re.compile(rf"^growth:({_NAME})$"),
    "disruption": re.compile(rf"^disruption:({_NAME})\.({'|'.join(DISRUPTION_FIELDS)})$"),
    "cost": re.compile(r"^cost:pipeline$"),
    "reserve": re.compile(rf"^reserve\.({'|'.join(RESERVE_FIELDS)}):({_NAME})$"),
    "budget": re.compile(r"^reserve:budget_usd$"),
}
GRAMMAR = ("elasticity.demand:<product>, elasticity.supply:<product>, growth:<product>, "
           f"disruption:<id>.<{'|'.join(DISRUPTION_FIELDS)}>, cost:pipeline, "
           f"reserve.<{'|'.join(RESERVE_FIELDS)}>:<product>, reserve:budget_usd")


@dataclass(frozen=True)
class Target:
    kind: str  # elasticity, growth, disruption, cost, reserve, budget
    name: str = ""  # product or disruption id
    field: str = ""  # demand/supply, disruption field or reserve field


def parse_target(target: str) -> Target:
    if not isinstance(target, str):
        raise ScenarioError(f"uncertainty target must be a string, got {target!r}; targets are {GRAMMAR}")
    for kind, pattern in _PATTERNS.items():
        m = pattern.match(target)
        if m is None:
            continue
        if kind == "elasticity":
            return Target(kind, m.group(2), m.group(1))
        if kind == "growth":
            return Target(kind, m.group(1))
        if kind == "disruption":
            return Target(kind, m.group(1), m.group(2))
        if kind == "reserve":
            return Target(kind, m.group(2), m.group(1))
        return Target(kind)
    raise ScenarioError(f"unknown uncertainty target {target!r}; targets are {GRAMMAR}")


def check_target(target: str) -> None:
    """Raise ScenarioError when ``target`` does not follow the grammar (no model needed)."""
    parse_target(target)


def resolve(target: str, products: list[str], disruptions: list[str], reserve_products: list[str],
            has_reserve: bool, where: str) -> Target:
    """Parse ``target`` and check its names against a prepared model; errors name ``where``."""
    t = parse_target(target)
    if t.kind in ("elasticity", "growth") and t.name not in products:
        raise ScenarioError(f"{where}: target {target!r}: unknown product {t.name!r}; products are {', '.join(products)}")
    if t.kind == "disruption" and t.name not in disruptions:
        raise ScenarioError(f"{where}: target {target!r}: unknown disruption {t.name!r}; disruptions are "
                            f"{', '.join(disruptions) or '(none)'}")
    if t.kind == "reserve" and t.name not in reserve_products:
        raise ScenarioError(f"{where}: target {target!r}: no reserve holding of {t.name!r}; held products are "
                            f"{', '.join(reserve_products) or '(none)'}")
    if t.kind == "budget" and not has_reserve:
        raise ScenarioError(f"{where}: target {target!r}: the scenario has no reserve")
    return t
