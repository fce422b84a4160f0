"""Solve a scenario file into a :class:`Run`: the scenario, its certified result and what the report needs.

The engine's :func:`critmin.solve` does the work; a Run adds what the output layer must know
about where the numbers came from: the scenario's canonical hash, the sha256 of the file, its
header comment block (the documented assumptions of a shipped scenario) and, for a calibrated
world, the calibration table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from critmin.engine.result import TABLES, Result, round_noise
from critmin.results.manifest import scenario_sha256

#: Calibration table of a world scenario, when the scenario or result carries one.
CALIBRATION = "calibration"


@dataclass
class Run:
    """A solved scenario with its provenance; ``tables()`` are the result tables to write."""

    source: str
    scenario: Any
    result: Result
    header: str = ""
    file_sha256: str | None = None

    @property
    def name(self) -> str:
        return self.result.scenario

    @property
    def scenario_sha256(self) -> str:
        return scenario_sha256(self.scenario)

    @property
    def calibration(self) -> pd.DataFrame | None:
        """The calibration fit, looked up on the result first, then on the scenario (world scenarios)."""
        for holder in (self.result, self.scenario):
            table = getattr(holder, CALIBRATION, None)
            if isinstance(table, pd.DataFrame):
                return table
        return None

    def tables(self) -> dict[str, pd.DataFrame]:
        """Result tables in contract order (issue 3), plus ``calibration`` when there is one.

        Floats are rounded to 12 significant digits as in ``critmin solve --json``, so files show
        24.0 rather than 23.999999999999996 and the same inputs give the same bytes.
        """
        out = {name: round_noise(getattr(self.result, name)) for name in TABLES}
        if self.calibration is not None:
            out[CALIBRATION] = round_noise(self.calibration)
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
    from critmin.engine import solve
    from critmin.scenario import load_scenario

    step = step or (lambda label: None)
    path = Path(path)
    step(f"loading {path.name}")
    scenario = load_scenario(path)
    raw = path.read_bytes()
    step(f"solving {scenario.name}")
    result = solve(scenario)
    return Run(source=str(path), scenario=scenario, result=result,
               header=header_comments(raw.decode("utf-8", errors="replace")),
               file_sha256=hashlib.sha256(raw).hexdigest())
