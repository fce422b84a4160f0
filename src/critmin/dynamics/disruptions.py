"""Disruption events: fixed or drawn start and duration, and the share of each period they cover.

A random event may start in any period while no event of the same id is active: with
probability ``probability x dt`` per period (a yearly probability spread over quarters), at the
start of the period. Its duration is fixed or drawn from its distribution. In a period
``[t, t + dt)`` an event covering a fraction ``f`` of it withholds ``share_withheld x f`` of the
period's undisrupted exports (a licence over a whole year that binds for half of it lets
through the other half of the year's flow; decision 0054).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from critmin.dynamics.schema import Disruption, Distribution
from critmin.errors import ScenarioError


@dataclass(frozen=True)
class Event:
    """One occurrence of a disruption: ``[start, start + duration)`` in years."""

    id: str
    start: float
    duration: float
    share_withheld: float

    def coverage(self, t: float, dt: float) -> float:
        """Fraction of the period ``[t, t + dt)`` that the event covers."""
        overlap = min(t + dt, self.start + self.duration) - max(t, self.start)
        return max(0.0, overlap) / dt


def draw_duration(d: Distribution, rng: np.random.Generator) -> float:
    if d.distribution == "uniform":
        return float(rng.uniform(d.low, d.high))
    if d.distribution == "triangular":
        return float(rng.triangular(d.low, d.mode, d.high))
    return float(rng.exponential(d.mean))


def schedule(d: Disruption, periods: np.ndarray, dt: float, rng: np.random.Generator | None,
             overrides: dict[str, float]) -> list[Event]:
    """The events of ``d`` over ``periods`` (period start times); ``overrides`` replace fields
    (``probability``, ``duration``, ``share_withheld``, ``start``) with drawn values."""
    share = float(overrides.get("share_withheld", d.share_withheld))
    duration = overrides.get("duration")

    def length() -> float:
        if duration is not None:
            return float(duration)
        if isinstance(d.duration, Distribution):
            return draw_duration(d.duration, rng)
        return float(d.duration)

    probability = overrides.get("probability", d.probability)
    start = overrides.get("start", d.start)
    fixed = probability is None or ("start" in overrides and "probability" not in overrides)
    if rng is None and (not fixed or (duration is None and isinstance(d.duration, Distribution))):
        raise ScenarioError(f"disruption {d.id!r} is drawn at random here; simulate needs an rng")
    if fixed:
        return [Event(d.id, float(start), length(), share)]
    events: list[Event] = []
    p = min(1.0, float(probability) * dt)
    for t in periods:
        if events and events[-1].start + events[-1].duration > t + 1e-9:
            continue
        if rng.random() < p:
            events.append(Event(d.id, float(t), length(), share))
    return events
