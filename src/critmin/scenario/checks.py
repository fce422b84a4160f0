"""Cross-reference checks a schema cannot express: unknown ids, bloc clashes, cyclic inputs
(through products' recipes and processing entries' own recipes alike).

Each failure is an :class:`~critmin.errors.InputFileError` naming the file, the field path
(``supply[3].region``) and the bad value.
"""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter
from itertools import pairwise

from critmin.errors import InputFileError, UnknownChoiceError
from critmin.scenario.schema import Scenario
from critmin.scenario.selectors import resolve


def _unique(ids: list[str], field: str, src: str) -> None:
    seen: set[str] = set()
    for i, v in enumerate(ids):
        if v in seen:
            raise InputFileError(src, "duplicate id", f"{field}[{i}].id", v)
        seen.add(v)


def product_order(sc: Scenario) -> list[str]:
    """Products with every input before the products made from it, where an input is in the
    product's recipe or in the recipe of any processing entry making it; cyclic inputs raise,
    naming the first processing entry whose own recipe closes the cycle (else ``products``)."""
    graph = {p.id: set(p.inputs) for p in sc.products}
    for e in sc.processing:
        if e.inputs is not None:
            graph.setdefault(e.product, set()).update(e.inputs)
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as err:
        nodes = [str(c) for c in err.args[1]]
        cycle = " -> ".join(nodes)
        edges = set(pairwise(nodes))  # (input, product made from it)
        own = [i for i, e in enumerate(sc.processing) if e.inputs is not None and any((k, e.product) in edges for k in e.inputs)]
        field = f"processing[{own[0]}].inputs" if own else "products"
        raise InputFileError(sc.source, f"cyclic product inputs ({cycle})", field, cycle) from None


def _entry_recipe(sc: Scenario, i: int, products: list[str]) -> None:
    """A processing entry's own recipe names known products other than its own, at least one."""
    entry = sc.processing[i]
    if entry.inputs is None:
        return
    if not entry.inputs:
        raise InputFileError(sc.source, "an entry's own recipe needs at least one input (or leave 'inputs' out)",
                             f"processing[{i}].inputs", "{}")
    for inp in entry.inputs:
        if inp not in products:
            raise InputFileError(sc.source, f"unknown input product; products are {', '.join(products)}",
                                 f"processing[{i}].inputs", inp)
        if inp == entry.product:
            raise InputFileError(sc.source, "a product cannot be an input of itself", f"processing[{i}].inputs", inp)


def check(sc: Scenario) -> None:
    """Raise InputFileError for the first reference that does not resolve."""
    src = sc.source
    regions, products = sc.region_ids, sc.product_ids
    _unique(regions, "regions", src)
    _unique(products, "products", src)
    for bloc, members in sc.blocs.items():
        if bloc in regions or bloc == "*" or bloc.startswith("not "):
            raise InputFileError(src, "a bloc id must differ from every region id and from '*' / 'not ...'", f"blocs.{bloc}", bloc)
        for i, m in enumerate(members):
            if m not in regions:
                raise InputFileError(src, f"unknown region; regions are {', '.join(regions)}", f"blocs.{bloc}[{i}]", m)
    for i, p in enumerate(sc.products):
        for inp in p.inputs:
            if inp not in products:
                raise InputFileError(src, "unknown input product", f"products[{i}].inputs", inp)
    has_inputs = {p.id for p in sc.products if p.inputs}
    for field in ("supply", "demand", "processing"):
        for i, entry in enumerate(getattr(sc, field)):
            if entry.region not in regions:
                raise InputFileError(src, f"unknown region; regions are {', '.join(regions)}", f"{field}[{i}].region", entry.region)
            if entry.product not in products:
                raise InputFileError(src, f"unknown product; products are {', '.join(products)}", f"{field}[{i}].product", entry.product)
            if field == "processing":
                _entry_recipe(sc, i, products)
                if entry.product not in has_inputs and entry.inputs is None:
                    raise InputFileError(src, "product has no inputs to process (give it or this entry 'inputs', or use supply)",
                                         f"processing[{i}].product", entry.product)
    product_order(sc)
    plain = (set(regions), set(products))
    for i, t in enumerate(sc.transport):
        _selectors(sc, f"transport[{i}]", {"product": t.product, "origin": t.origin, "destination": t.destination}, plain)
    for i, pol in enumerate(sc.policies):
        where = f"policies[{i}]"
        if pol.kind == "stockpile":
            if pol.region not in regions:
                raise InputFileError(src, "unknown region", f"{where}.region", pol.region)
            if pol.product not in products:
                raise InputFileError(src, "unknown product", f"{where}.product", pol.product)
        elif pol.kind == "price_floor":
            _selectors(sc, where, {"product": pol.product, "scope": pol.scope})
        else:
            fields = {"product": pol.product, "origin": pol.origin, "destination": pol.destination}
            if getattr(pol, "exempt", None) is not None:
                fields["exempt"] = pol.exempt
            _selectors(sc, where, fields)


def _selectors(sc: Scenario, where: str, fields: dict[str, object], plain: tuple[set[str], set[str]] | None = None) -> None:
    for name, sel in fields.items():
        if plain is not None and isinstance(sel, str) and sel in plain[name == "product"]:
            continue  # a plain id: nothing to resolve
        try:
            if name == "product":
                resolve(sel, sc.product_ids, what="product")  # type: ignore[arg-type]
            else:
                resolve(sel, sc.region_ids, sc.blocs, what="region or bloc")  # type: ignore[arg-type]
        except UnknownChoiceError as err:
            raise InputFileError(sc.source, str(err), f"{where}.{name}", sel) from None
