"""``compile_policies``: FORGE instruments -> engine primitives, plus the chain of reference prices.

Enforcement of a reference price p on product k in zone Z (trade inside Z is never charged):

- ``adjustable_tariff``: ``price_floor`` with ``mechanism: variable_levy``: imports into Z from
  outside pay ``max(0, p - lowest landed import price)``, which lifts their landed price to p;
- ``cfd``: ``price_floor`` with ``mechanism: cfd``: zone producers receive ``max(price, p)``;
- ``purchase``: ``price_floor`` with ``mechanism: purchase`` (and ``budget``): the zone's
  governments buy what the market does not take at p.

Reference prices are computed in stage order (inputs first), so a downstream incentive or
cost_plus price uses its inputs' reference prices.
"""

from __future__ import annotations

import copy
from graphlib import TopologicalSorter
from typing import Any

from critmin.errors import InputFileError
from critmin.policies.chain import chain_rows
from critmin.policies.context import Context
from critmin.policies.controls import compile_controls
from critmin.policies.instruments import KINDS, ExportControls, ReferencePrice, parse
from critmin.policies.reference import cost_plus, incentive

MECHANISM = {"adjustable_tariff": "variable_levy", "cfd": "cfd", "purchase": "purchase"}
#: Keys compile_policies adds next to the scenario fields (not part of the engine's schema).
EXTRA_KEYS = ("chain", "instruments")
#: Keys that are not engine fields when a scenario dict is validated for the engine.
NON_ENGINE_KEYS = ("world", *EXTRA_KEYS)


def engine_scenario(scenario: dict[str, Any]) -> dict[str, Any]:
    """The engine's part of a (compiled) scenario dict: without ``world``, ``chain``, ``instruments``."""
    return {k: v for k, v in scenario.items() if k not in NON_ENGINE_KEYS}


def _floor(ref: ReferencePrice, price: float) -> dict[str, Any]:
    out = {"kind": "price_floor", "product": ref.product, "scope": ref.zone, "price": price,
           "mechanism": MECHANISM[ref.enforcement]}
    if ref.budget is not None:
        out["budget"] = ref.budget
    return out


def compile_policies(scenario: dict[str, Any], market_result: Any = None, *, source: str | None = None) -> dict[str, Any]:
    """Compile the FORGE instruments of ``scenario`` (a dict with the market built).

    ``market_result``: the baseline engine Result of the same market without the instruments;
    solved here, once, when an instrument needs it and none is given. Returns a new dict whose
    ``policies`` hold only engine kinds (each instrument replaced in place by what it compiles
    to), plus ``chain`` (reference prices across stages, see :mod:`critmin.policies.chain`) and
    ``instruments`` (per instrument: its price, method details and the engine policies it became).
    """
    from critmin.scenario.loader import load_scenario

    source = source or str(scenario.get("name", "<scenario>"))
    policies = list(scenario.get("policies") or [])
    plain = [p for p in policies if not (isinstance(p, dict) and p.get("kind") in KINDS)]
    base = engine_scenario({**scenario, "policies": plain})
    sc = load_scenario(base)
    sc._source = source
    ctx = Context(sc, source, market_result)
    parsed = {i: parse(p, f"policies[{i}]", source) for i, p in enumerate(policies)
              if isinstance(p, dict) and p.get("kind") in KINDS}
    refs = {i: ins for i, ins in parsed.items() if isinstance(ins, ReferencePrice)}
    seen: dict[str, int] = {}
    for i, ref in refs.items():
        ctx.check_product(ref.product, f"policies[{i}].product")
        if ref.product in seen:
            raise _dup(source, i, seen[ref.product], ref.product)
        seen[ref.product] = i
    graph = {p.id: set(p.inputs) for p in sc.products}
    for e, recipe in zip(sc.processing, sc.recipes()):  # entry recipes order stages too (0082)
        graph[e.product] |= set(recipe)
    order = list(TopologicalSorter(graph).static_order())
    records: dict[int, dict[str, Any]] = {}
    zones: dict[int, list[str]] = {}
    for i in sorted(refs, key=lambda j: order.index(refs[j].product)):
        ref, where = refs[i], f"policies[{i}]"
        zones[i] = ctx.zone(ref.zone, f"{where}.zone")
        if ref.method == "fixed":
            price, detail = float(ref.price), {}
        elif ref.method == "incentive":
            price, detail = incentive(ctx, ref, zones[i], where)
        else:
            price, detail = cost_plus(ctx, ref, zones[i])
        ctx.references[ref.product] = price
        records[i] = {"index": i, "kind": "reference_price", "product": ref.product, "method": ref.method,
                      "enforcement": ref.enforcement, "price": price, "source": ref.source, "detail": detail}
    chain = chain_rows(ctx, [(f"policies[{i}]", refs[i], zones[i])
                             for i in sorted(refs, key=lambda j: order.index(refs[j].product))])
    compiled: list[dict[str, Any]] = []
    for i, pol in enumerate(policies):
        if i in refs:
            made = [_floor(refs[i], records[i]["price"])]
        elif isinstance(parsed.get(i), ExportControls):
            made, detail = compile_controls(ctx, parsed[i], f"policies[{i}]")
            records[i] = {"index": i, "kind": "export_controls", "source": parsed[i].source, "detail": detail}
        else:
            compiled.append(copy.deepcopy(pol))
            continue
        records[i]["engine_policies"] = list(range(len(compiled), len(compiled) + len(made)))
        compiled.extend(made)
    out = {k: copy.deepcopy(v) for k, v in scenario.items() if k != "policies"}
    out["policies"] = compiled
    out["chain"] = chain
    out["instruments"] = [records[i] for i in sorted(records)]
    return out


def _dup(source: str, i: int, j: int, product: str) -> InputFileError:
    return InputFileError(source, f"a second reference price for this product (the first is policies[{j}])",
                          f"policies[{i}].product", product)
