"""``prepare``: a scenario file with a ``horizon:`` -> a picklable DynamicModel, the world composed once.

The file's engine part (``world:``, market lists, policies) goes through critmin.compose; the
time sections are validated here and resolved against the composed market (regions, products,
blocs), so that the period loop never meets an unknown name. Errors name file, field and value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError

from critmin.dynamics.growth import growth_function
from critmin.dynamics.pipeline import candidates
from critmin.dynamics.schema import Disruption, Growth, Horizon, Pipeline, Recycling
from critmin.errors import CritminError, InputFileError, UnknownChoiceError
from critmin.reserve.rules import Reserve
from critmin.scenario.loader import read_scenario_file
from critmin.scenario.schema import Scenario
from critmin.scenario.selectors import resolve

#: Sections of a scenario file read by critmin.dynamics (the rest is the engine's market).
DYNAMIC_KEYS = ("horizon", "growth", "pipeline", "recycling", "disruptions", "reserve", "uncertainties")


@dataclass
class DynamicModel:
    """Everything a simulation needs; no callables, so it pickles to worker processes."""

    name: str
    source: str
    scenario: Scenario  # the composed base-year market
    base_result: Any  # its certified equilibrium (pivot of elasticity draws, first warm start)
    base_year: int
    dt: float
    periods: np.ndarray  # period start times in years
    growth_products: list[str | None]  # per demand entry: the product whose growth applies (None: no growth)
    growth_factor: np.ndarray  # (demand entries, periods)
    projects: pd.DataFrame
    pipeline: Pipeline | None
    recycling: list[tuple[Recycling, float]]  # spec and its rate
    disruptions: list[Disruption]
    zones: dict[str, tuple[list[str], list[str]]]  # disruption id -> (supplier regions, destination regions)
    reserve: Reserve | None
    floors: list[tuple[np.ndarray, np.ndarray, float]]  # (region mask, product mask, floor price)
    uncertainties: list = field(default_factory=list)
    spec: dict[str, Any] = field(default_factory=dict)  # the file's time sections, as read

    @property
    def random(self) -> bool:
        """True when some event is drawn at random (a simulation then needs an rng)."""
        return any(d.random for d in self.disruptions)


def _validate(model: type[BaseModel], value: Any, where: str, field: str):
    """Validate one section; the error names the file, the field path and the offending value."""
    try:
        return model.model_validate(value)
    except ValidationError as err:
        first = err.errors()[0]
        path = field + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]
                               if not (isinstance(p, str) and p.startswith(("function-", "union", "float", "constrained"))))
        value = None if first["type"] == "missing" else first.get("input")
        shown = value if isinstance(value, (str, int, float, bool)) or value is None else str(value)[:80]
        raise InputFileError(where, first["msg"].removeprefix("Value error, "), path, shown) from None


def _list(data: dict, key: str, where: str) -> list:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise InputFileError(where, "must be a list", key, str(value)[:80])
    return value


def _regions(selector, sc: Scenario, where: str, field: str) -> list[str]:
    try:
        mask = resolve(selector, sc.region_ids, sc.blocs)
    except UnknownChoiceError as err:
        raise InputFileError(where, str(err), field, err.value) from None
    regions = [r for r, m in zip(sc.region_ids, mask) if m]
    if not regions:
        raise InputFileError(where, "selects no region", field, str(selector))
    return regions


def _product(product: str, sc: Scenario, where: str, field: str) -> None:
    if product not in sc.product_ids:
        raise InputFileError(where, f"unknown product; products are {', '.join(sc.product_ids)}", field, product)


def prepare(source: str | Path | dict[str, Any], step=None) -> DynamicModel:
    """Compose the scenario once and parse its time sections (contract of decision 0050)."""
    from critmin.compose import compose
    from critmin.engine import solve

    step = step or (lambda label: None)
    if isinstance(source, dict):
        data, where = source, str(source.get("name", "<dict>"))
    else:
        data, where = read_scenario_file(Path(source)), str(source)
    if not isinstance(data, dict):
        raise InputFileError(where, f"a scenario must be a mapping of fields, got {type(data).__name__}")
    if "horizon" not in data:
        raise InputFileError(where, "a dynamic scenario needs a horizon section (e.g. horizon: {end: 2035})", "horizon")
    horizon = _validate(Horizon, data["horizon"], where, "horizon")
    engine_part = {k: v for k, v in data.items() if k not in DYNAMIC_KEYS}
    composed = compose(engine_part, step, where=where)
    sc = composed.scenario
    step("solving the base year")
    base_result = solve(sc)
    world = data.get("world")
    base_year = int(world["year"]) if isinstance(world, dict) and "year" in world else int(horizon.start or 0)
    if horizon.start is None and not isinstance(world, dict):
        raise InputFileError(where, "give horizon.start (a market without world: has no base year)", "horizon.start")
    start = int(horizon.start if horizon.start is not None else base_year)
    if start < base_year:
        raise InputFileError(where, f"starts before the base year {base_year}", "horizon.start", start)
    if horizon.end < start:
        raise InputFileError(where, f"ends before the start {start}", "horizon.end", horizon.end)
    n = int(round((horizon.end - start + 1) / horizon.dt))
    periods = start + horizon.dt * np.arange(n)

    growth_products, factor = _growth(data, sc, where, base_year, periods)
    pipeline = None
    projects = pd.DataFrame(columns=["project"])
    if data.get("pipeline") is not None:
        pipeline = _validate(Pipeline, data["pipeline"], where, "pipeline")
        for j, k in enumerate(pipeline.products):
            _product(k, sc, where, f"pipeline.products[{j}]")
        for j, p in enumerate(pipeline.projects):
            _product(p.product, sc, where, f"pipeline.projects[{j}].product")
            if p.region not in sc.region_ids:
                raise InputFileError(where, f"unknown region; regions are {', '.join(sc.region_ids)}",
                                     f"pipeline.projects[{j}].region", p.region)
        projects = candidates(pipeline, sc.product_ids, sc.region_ids, base_year)
    recycling = _recycling(data, sc, where)
    disruptions, zones = _disruptions(data, sc, where)
    reserve = None
    if data.get("reserve") is not None:
        reserve = _validate(Reserve, data["reserve"], where, "reserve")
        for j, h in enumerate(reserve.holdings):
            _product(h.product, sc, where, f"reserve.holdings[{j}].product")
            if h.region not in sc.region_ids:
                raise InputFileError(where, f"unknown region; regions are {', '.join(sc.region_ids)}",
                                     f"reserve.holdings[{j}].region", h.region)
            if not np.isfinite(base_result.price(h.region, h.product)):
                raise InputFileError(where, f"no market for {h.product!r} in this region (no supply, demand, "
                                            "processing or trade reaches it)", f"reserve.holdings[{j}].region", h.region)
    floors = [(resolve(p.scope, sc.region_ids, sc.blocs), resolve(p.product, sc.product_ids, what="product"), float(p.price))
              for p in sc.policies if p.kind == "price_floor"]
    if reserve is not None:
        reserve = _floor_levels(reserve, floors, sc, where)
    model = DynamicModel(
        name=str(data.get("name", where)), source=where, scenario=sc, base_result=base_result, base_year=base_year,
        dt=horizon.dt, periods=periods, growth_products=growth_products, growth_factor=factor, projects=projects,
        pipeline=pipeline, recycling=recycling, disruptions=disruptions, zones=zones, reserve=reserve, floors=floors,
        spec={k: data[k] for k in DYNAMIC_KEYS if k in data},
    )
    model.uncertainties = _uncertainties(data, model, where)
    return model


def floor_price(floors, sc: Scenario, region: str, product: str) -> float | None:
    """The highest price floor of the scenario covering ``product`` in ``region`` (None: no floor)."""
    ri, ki = sc.region_ids.index(region), sc.product_ids.index(product)
    prices = [price for rmask, kmask, price in floors if rmask[ri] and kmask[ki]]
    return max(prices) if prices else None


def _floor_levels(reserve: Reserve, floors, sc: Scenario, where: str) -> Reserve:
    """Holdings with ``buy_at_floor`` get the floor of their market as buy level (error if none)."""
    holdings = []
    for j, h in enumerate(reserve.holdings):
        if h.buy_at_floor:
            level = floor_price(floors, sc, h.region, h.product)
            if level is None:
                raise InputFileError(where, f"no price floor covers {h.product!r} in {h.region!r}",
                                     f"reserve.holdings[{j}].buy_at_floor", True)
            if h.release_above is not None and level > h.release_above:
                raise InputFileError(where, f"the floor {level:g} is above release_above {h.release_above:g}",
                                     f"reserve.holdings[{j}].buy_at_floor", True)
            h = h.model_copy(update={"buy_at_or_below": level})
        holdings.append(h)
    return reserve.model_copy(update={"holdings": holdings})


def _growth(data: dict, sc: Scenario, where: str, base_year: int, periods: np.ndarray):
    """Per demand entry: the product whose growth applies and its factor in every period."""
    nD = len(sc.demand)
    factor = np.ones((nD, periods.size))
    owner: list[int | None] = [None] * nD
    products: list[str | None] = [None] * nD
    for i, item in enumerate(_list(data, "growth", where)):
        g = _validate(Growth, item, where, f"growth[{i}]")
        _product(g.product, sc, where, f"growth[{i}].product")
        regions = set(_regions(g.regions, sc, where, f"growth[{i}].regions"))
        f = growth_function(g, base_year, where, f"growth[{i}]")
        path = np.array([f(float(t)) for t in periods])
        for e, d in enumerate(sc.demand):
            if d.product == g.product and d.region in regions:
                if owner[e] is not None:
                    raise InputFileError(where, f"demand of {d.product!r} in {d.region!r} is already grown by "
                                                f"growth[{owner[e]}]", f"growth[{i}].regions", str(g.regions))
                owner[e], products[e], factor[e] = i, g.product, path
    return products, factor


def _recycling(data: dict, sc: Scenario, where: str) -> list[tuple[Recycling, float]]:
    out = []
    rates = None
    for i, item in enumerate(_list(data, "recycling", where)):
        r = _validate(Recycling, item, where, f"recycling[{i}]")
        _product(r.product, sc, where, f"recycling[{i}].product")
        rate = r.rate
        if rate is None:
            if rates is None:
                from critmin.data import load

                rates = load("recycling_rates").set_index("mineral")["eol_rir"]
            if r.mineral not in rates.index:
                raise InputFileError(where, f"no recycling rate; minerals are {', '.join(rates.index)}",
                                     f"recycling[{i}].mineral", r.mineral)
            rate = float(rates[r.mineral])
        out.append((r, float(rate)))
    return out


def _disruptions(data: dict, sc: Scenario, where: str):
    events, zones, seen = [], {}, set()
    for i, item in enumerate(_list(data, "disruptions", where)):
        d = _validate(Disruption, item, where, f"disruptions[{i}]")
        if d.id in seen:
            raise InputFileError(where, "duplicate disruption id", f"disruptions[{i}].id", d.id)
        seen.add(d.id)
        for j, k in enumerate(d.products):
            _product(k, sc, where, f"disruptions[{i}].products[{j}]")
        zones[d.id] = (_regions(d.supplier, sc, where, f"disruptions[{i}].supplier"),
                       _regions(d.destinations, sc, where, f"disruptions[{i}].destinations"))
        events.append(d)
    return events, zones


def _uncertainties(data: dict, model: DynamicModel, where: str) -> list:
    """The ``uncertainties:`` section parsed by critmin.ensemble (when installed), targets checked here."""
    items = _list(data, "uncertainties", where)
    if not items:
        return []
    try:
        from critmin.ensemble.uncertainty import parse_uncertainties
    except ImportError:
        raise InputFileError(where, "uncertainties need critmin.ensemble, which is not available", "uncertainties") from None
    from critmin.dynamics.targets import resolve as resolve_target

    parsed = parse_uncertainties(items, where=where)
    for j, u in enumerate(parsed):
        target = getattr(u, "target", None)
        if target is not None:
            try:
                resolve_target(target, model.scenario.product_ids, [d.id for d in model.disruptions],
                               [h.product for h in model.reserve.holdings] if model.reserve else [],
                               model.reserve is not None, where)
            except CritminError as err:
                raise InputFileError(where, str(err).removeprefix(f"{where}: "), f"uncertainties[{j}].target", target) from None
    return list(parsed)
