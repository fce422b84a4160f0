"""The result of a simulation: long tables per period, scalar outcomes and the largest residual."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class Trajectory:
    """Tables (``prices``, ``supply``, ``demand``, ``shortfall``, ``capacity``, ``reserve``, ``fiscal``,
    ``events``, ``periods``), outcomes named ``<measure>:<product|total>``, and the largest
    certificate residual over every equilibrium solved (each one passed the engine's certificate)."""

    name: str
    tables: dict[str, pd.DataFrame]
    outcomes: dict[str, float]
    residual: float
    tolerance: float
    draws: dict[str, float] = field(default_factory=dict)
    solver: dict[str, Any] = field(default_factory=dict)

    def headline(self) -> pd.DataFrame:
        """Outcomes as a two-column table (measure, value), in name order."""
        return pd.DataFrame(sorted(self.outcomes.items()), columns=["outcome", "value"])
