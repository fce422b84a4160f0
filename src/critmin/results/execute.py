"""Solve a scenario file into a :class:`Run`: the scenario, its certified result and what the report needs.

A file with a ``world:`` section or FORGE instruments (``reference_price``, ``export_controls``)
goes through the issue 4 pipeline of :mod:`critmin.compose`: ``critmin.world.build.expand`` (build and fit the calibrated
world), ``critmin.policies.compile_policies`` (instruments -> engine policies, the reference
price chain), then the engine. A self-contained market goes straight to the engine. A Run adds
what the output layer must know about where the numbers came from: the scenario's canonical
hash, the sha256 of the file, its header comment block (the documented assumptions of a shipped
scenario) and, for a calibrated world, the calibration table (docs/decisions/0039).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from critmin.engine.result import TABLES, Result, round_noise
from critmin.results.manifest import scenario_sha256

#: Calibration table of a world scenario, when the world, the result or the scenario carries one.
CALIBRATION = "calibration"

@dataclass
class Run:
    """A solved scenario with its provenance; ``tables()`` are the result tables to write."""

    source: str
    scenario: Any
    result: Result
    header: str = ""
    file_sha256: str | None = None
    #: the calibrated world (critmin.world.WorldMarket) when the file has a ``world:`` section
    world: Any = None
    #: compiled FORGE instruments: ``chain`` (reference prices across stages) and ``instruments``
    compiled: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.result.scenario

    @property
    def scenario_sha256(self) -> str:
        return scenario_sha256(self.scenario)

    @property
    def calibration(self) -> pd.DataFrame | None:
        """The calibration fit: from the world this run built, else an attribute of the result or scenario."""
        for holder in (self.world, self.result, self.scenario):
            table = getattr(holder, CALIBRATION, None)
            if isinstance(table, pd.DataFrame):
                return table
        return None

    @property
    def chain(self) -> pd.DataFrame | None:
        """Reference prices across stages (critmin.policies.chain), when the scenario has reference prices."""
        rows = self.compiled.get("chain")
        return pd.DataFrame(rows) if rows else None

    @property
    def instruments(self) -> pd.DataFrame | None:
        """One row per FORGE instrument: its price, method and the engine policies it became."""
        rows = self.compiled.get("instruments")
        if not rows:
            return None
        flat = [{"index": r.get("index"), "kind": r.get("kind"), "product": r.get("product", ""),
                 "method": r.get("method", ""), "enforcement": r.get("enforcement", ""), "price": r.get("price"),
                 "engine_policies": " ".join(str(i) for i in r.get("engine_policies", [])),
                 "source": r.get("source", ""), "detail": json.dumps(r.get("detail", {}), sort_keys=True, default=str)}
                for r in rows]
        return pd.DataFrame(flat)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Result tables in contract order (issue 3), plus ``calibration``, ``reference_chain`` and
        ``instruments`` when there are some.

        Floats are rounded to 12 significant digits as in ``critmin solve --json``, so files show
        24.0 rather than 23.999999999999996 and the same inputs give the same bytes.
        """
        out = {name: round_noise(getattr(self.result, name)) for name in TABLES}
        for name, table in ((CALIBRATION, self.calibration), ("reference_chain", self.chain),
                            ("instruments", self.instruments)):
            if table is not None:
                out[name] = round_noise(table)
        return out


def header_comments(text: str) -> str:
    """The leading ``#`` comment block of a YAML file, without the ``#`` marks (assumptions, sources)."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("#"):
            if stripped or lines:
                break
            continue
        lines.append(stripped[1:].removeprefix(" "))
    return "\n".join(lines).strip()


def execute(path: str | Path, step: Callable[[str], None] | None = None) -> Run:
    """Load, validate and solve the scenario at ``path``; ``step(label)`` reports progress."""
    from critmin.compose import compose
    from critmin.engine import solve

    step = step or (lambda label: None)
    path = Path(path)
    step(f"loading {path.name}")
    composed = compose(path, step)  # one-line errors for a missing file, bad YAML or a bad field
    scenario, world, compiled = composed.scenario, composed.world, composed.compiled
    raw = path.read_bytes()
    step(f"solving {scenario.name}")
    result = solve(scenario)
    return Run(source=str(path), scenario=scenario, result=result,
               header=header_comments(raw.decode("utf-8", errors="replace")),
               file_sha256=hashlib.sha256(raw).hexdigest(), world=world, compiled=compiled)
