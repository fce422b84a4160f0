"""Compose the scenario the engine solves from the file a user writes.

A scenario is either a self-contained market (issue 3) or a market built from the embedded
dataset by a ``world:`` section, possibly with FORGE instruments (``reference_price``,
``export_controls``; issue 4). Composition runs world -> policies -> scenario validation. It sits
above those layers, so that none of them imports a layer above itself; ``critmin.load_scenario``
and ``critmin.solve`` are the functions of this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from critmin.errors import CritminError
from critmin.scenario import Scenario
from critmin.scenario import load_scenario as load_market
from critmin.scenario.loader import read_scenario_file

#: Policy kinds that critmin.policies compiles into engine instruments before validation.
INSTRUMENTS = ("reference_price", "export_controls")


@dataclass(frozen=True)
class Composed:
    """A validated engine scenario and what it was built from."""

    scenario: Scenario
    #: the calibrated world (critmin.world.WorldMarket) when the file has a ``world:`` section
    world: Any = None
    #: compiled FORGE instruments: ``chain`` (reference prices across stages) and ``instruments``
    compiled: dict[str, Any] = field(default_factory=dict)


def needs_pipeline(data: Any) -> bool:
    """True for a scenario mapping with a ``world:`` section or a FORGE instrument among its policies."""
    if not isinstance(data, dict):
        return False
    policies = data.get("policies") or []
    return "world" in data or any(isinstance(p, dict) and p.get("kind") in INSTRUMENTS for p in policies)


def compose(source: str | Path | dict[str, Any] | Scenario, step: Callable[[str], None] | None = None,
            where: str | None = None) -> Composed:
    """Read, expand and validate ``source``; errors name the file, field and value (``where``
    names a dict's origin, e.g. the file it was read from)."""
    if isinstance(source, Scenario):
        return Composed(source)
    step = step or (lambda label: None)
    if isinstance(source, dict):
        data, where = source, where or "<dict>"
    else:
        data, where = read_scenario_file(Path(source)), str(source)
    if not needs_pipeline(data):
        return Composed(load_market(source, where=where if isinstance(source, dict) else None))

    from critmin.policies import compile_policies, engine_scenario
    from critmin.world.build import expand

    try:
        step("building and fitting the calibrated world" if "world" in data else "preparing the market")
        expanded, world = expand(data, source=where)
        step("compiling FORGE instruments")
        compiled = compile_policies(expanded, world.result if world is not None else None, source=where)
        scenario = load_market(engine_scenario(compiled), where=where)
    except CritminError as err:
        _name_the_file(err, where)
        raise
    extras = {k: compiled[k] for k in ("chain", "instruments") if compiled.get(k)}
    return Composed(scenario, world, extras)


def _name_the_file(err: CritminError, where: str) -> None:
    """Prefix ``where`` to an error raised while building a world, unless the message names it already."""
    if where not in str(err) and len(err.args) == 1:
        err.args = (f"{where}: {err.args[0]}",)


def load_scenario(source: str | Path | dict[str, Any] | Scenario) -> Scenario:
    """Read and validate a scenario file (YAML or JSON) or dict, building its ``world:`` if it has one."""
    return compose(source).scenario


def solve(source: str | Path | dict[str, Any] | Scenario, **options: Any):
    """Compose ``source`` and solve it with :func:`critmin.engine.solve` (same options, e.g. ``warm_start``)."""
    from critmin.engine import solve as solve_market

    return solve_market(load_scenario(source), **options)
