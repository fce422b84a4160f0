"""A linear market under random supply disruptions: a small picklable model with closed forms, used to test
the ensemble machinery independently of the world model (and tested itself against its closed form here).

Demand Q = (a - p) / b, supply Q = k (p - c) / d with k = 1 - loss in a disrupted period and 1 otherwise.
Clearing gives p* = (a d + k b c) / (d + k b). Each period is disrupted with the sampled probability,
drawn from the sample's generator (as critmin.dynamics draws its random events).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from critmin.ensemble import Experiment
from critmin.ensemble.uncertainty import parse_uncertainties

ITEMS = [
    {"name": "demand slope", "target": "elasticity.demand:x", "distribution": "uniform",
     "parameters": {"low": 0.5, "high": 1.5}, "unit": "USD/t per t", "reason": "test range"},
    {"name": "disruption probability", "target": "disruption:x.probability", "distribution": "triangular",
     "parameters": {"low": 0.0, "mode": 0.2, "high": 0.6}, "unit": "per period", "reason": "test range"},
]


@dataclass(frozen=True)
class LinearMarket:
    a: float = 100.0
    c: float = 10.0
    d: float = 1.0
    loss: float = 0.5
    periods: int = 4


@dataclass(frozen=True)
class Trajectory:
    tables: dict[str, pd.DataFrame]
    outcomes: dict[str, float]
    residual: float


def price(m: LinearMarket, b: float, k: float) -> float:
    return (m.a * m.d + k * b * m.c) / (m.d + k * b)


def simulate(m: LinearMarket, draws: dict[str, float], rng: np.random.Generator) -> Trajectory:
    """Period loop: disruption event, clearing price (closed form), demand met; the residual is |D - S|."""
    b, prob = draws["elasticity.demand:x"], draws["disruption:x.probability"]
    undisrupted = (m.a - price(m, b, 1.0)) / b
    rows, residual = [], 0.0
    for t in range(m.periods):
        hit = bool(rng.random() < prob)
        k = 1.0 - m.loss if hit else 1.0
        p = price(m, b, k)
        demand, supply = (m.a - p) / b, k * (p - m.c) / m.d
        residual = max(residual, abs(demand - supply))
        rows.append({"period": 2026 + t, "product": "x", "region": "R", "price": p, "shortfall": undisrupted - demand,
                     "disrupted": hit})
    prices = pd.DataFrame(rows)
    return Trajectory({"prices": prices[["period", "product", "region", "price", "disrupted"]],
                       "shortfall": prices[["period", "product", "region", "shortfall"]]},
                      {"price_max:x": float(prices["price"].max()), "shortfall_t:x": float(prices["shortfall"].sum()),
                       "shortfall_t:total": float(prices["shortfall"].sum())}, residual)


def experiment(samples: int = 24, seed: int = 7, design: str = "random") -> Experiment:
    return Experiment.plan(LinearMarket(), simulate, parse_uncertainties(ITEMS, "test.yaml"), seed, samples,
                           tolerance=1e-9, design=design)


def test_linear_model_matches_its_closed_form():
    """Undisrupted: p* = (a d + b c)/(d + b) = (100 + 10)/2 = 55 at b = 1; disrupted (k = 0.5): (100 + 5)/1.5 = 70."""
    m = LinearMarket()
    assert price(m, 1.0, 1.0) == pytest.approx(55.0)
    assert price(m, 1.0, 0.5) == pytest.approx(70.0)
    traj = simulate(m, {"elasticity.demand:x": 1.0, "disruption:x.probability": 1.0}, np.random.default_rng(0))
    assert traj.tables["prices"]["price"].tolist() == pytest.approx([70.0] * 4)
    assert traj.outcomes["shortfall_t:x"] == pytest.approx(4 * 15.0)  # demand 45 -> 30 each period
    assert traj.residual < 1e-12
