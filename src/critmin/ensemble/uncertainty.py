"""The ``uncertainties:`` of a scenario: schema, validation and sampling (docs/decisions/0065).

Each uncertainty names a model input (its ``target``, grammar in :mod:`critmin.dynamics.targets`), a
distribution with its parameters, a unit and where the range comes from. Sampling goes through one
path: a point ``u`` of the unit cube (``rng.random`` for Monte Carlo, a Latin hypercube row for
``design="lhs"``) is mapped through each distribution's inverse CDF. Sample ``i`` of seed ``S`` uses
``numpy.random.default_rng([S, i])`` (docs/decisions/0050), so it does not depend on the executor.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import stats

from critmin.errors import InputFileError

Distribution = Literal["uniform", "triangular", "normal", "lognormal", "truncnormal", "choice", "bernoulli"]

#: Parameters each distribution requires (``choice`` may add ``weights``).
PARAMETERS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "sigma"),  # log X ~ Normal(log median, sigma)
    "truncnormal": ("mean", "sd", "low", "high"),
    "choice": ("values",),
    "bernoulli": ("p",),
}
OPTIONAL: dict[str, tuple[str, ...]] = {"choice": ("weights",)}
DESIGNS = ("random", "lhs")


class Uncertainty(BaseModel):
    """One uncertain input: ``target`` receives a number drawn from ``distribution(parameters)``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    target: str = Field(min_length=1)
    distribution: Distribution
    parameters: dict[str, float | list[float]]
    unit: str = Field(min_length=1)
    source: str | None = None
    reason: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Uncertainty:
        if not (self.source or self.reason):
            raise ValueError("give a source or a reason for the range")
        need, extra = PARAMETERS[self.distribution], OPTIONAL.get(self.distribution, ())
        missing = [k for k in need if k not in self.parameters]
        unknown = [k for k in self.parameters if k not in need + extra]
        if missing or unknown:
            raise ValueError(f"{self.distribution} takes parameters {', '.join(need + extra)}; "
                             + (f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"))
        p = self.parameters
        lists = {"values", "weights"}
        for k, v in p.items():
            if isinstance(v, list) != (k in lists):
                raise ValueError(f"parameter {k} must be {'a list of numbers' if k in lists else 'a number'}, got {v!r}")
            if any(not math.isfinite(x) for x in (v if isinstance(v, list) else [v])):
                raise ValueError(f"parameter {k} must be finite, got {v!r}")
        problem = _problem(self.distribution, p)
        if problem:
            raise ValueError(problem)
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF: the values at probabilities ``u`` in [0, 1)."""
        p, d = self.parameters, self.distribution
        if d == "uniform":
            return p["low"] + u * (p["high"] - p["low"])
        if d == "triangular":
            width = p["high"] - p["low"]
            return stats.triang.ppf(u, (p["mode"] - p["low"]) / width, loc=p["low"], scale=width)
        if d == "normal":
            return stats.norm.ppf(u, loc=p["mean"], scale=p["sd"])
        if d == "lognormal":
            return p["median"] * np.exp(p["sigma"] * stats.norm.ppf(u))
        if d == "truncnormal":
            a, b = (p["low"] - p["mean"]) / p["sd"], (p["high"] - p["mean"]) / p["sd"]
            return stats.truncnorm.ppf(u, a, b, loc=p["mean"], scale=p["sd"])
        if d == "choice":
            values = np.asarray(p["values"], dtype=float)
            weights = np.asarray(p.get("weights", [1.0] * len(values)), dtype=float)
            edges = np.cumsum(weights) / weights.sum()
            return values[np.minimum(np.searchsorted(edges, u, side="right"), len(values) - 1)]
        return (u < p["p"]).astype(float)  # bernoulli: 1 with probability p


def _problem(d: str, p: dict[str, Any]) -> str | None:
    """Why these parameters do not define a distribution (None if they do)."""
    if d in ("uniform", "truncnormal") and not p["low"] < p["high"]:
        return f"low ({p['low']}) must be below high ({p['high']})"
    if d == "triangular" and not (p["low"] <= p["mode"] <= p["high"] and p["low"] < p["high"]):
        return f"need low <= mode <= high and low < high, got {p['low']}, {p['mode']}, {p['high']}"
    if d in ("normal", "truncnormal") and not p["sd"] > 0:
        return f"sd must be positive, got {p['sd']}"
    if d == "lognormal" and not (p["median"] > 0 and p["sigma"] > 0):
        return f"median and sigma must be positive, got {p['median']}, {p['sigma']}"
    if d == "choice":
        if not p["values"]:
            return "values must not be empty"
        w = p.get("weights")
        if w is not None and (len(w) != len(p["values"]) or min(w) < 0 or sum(w) <= 0):
            return f"weights must be {len(p['values'])} non-negative numbers with a positive sum, got {w!r}"
    if d == "bernoulli" and not 0 <= p["p"] <= 1:
        return f"p must be in [0, 1], got {p['p']}"
    return None


def _check_target(target: str) -> None:
    """Reject a target the dynamic model does not know (critmin.dynamics.targets), when that module is installed."""
    try:
        targets = importlib.import_module("critmin.dynamics.targets")
    except ModuleNotFoundError as err:
        if err.name not in ("critmin.dynamics", "critmin.dynamics.targets"):
            raise
        return
    targets.check_target(target)


def parse_uncertainties(items: Any, where: str) -> tuple[Uncertainty, ...]:
    """Validate a scenario's ``uncertainties:`` list; errors name the file (``where``), the field and the value."""
    if items is None:
        return ()
    if not isinstance(items, list):
        raise InputFileError(where, f"must be a list of uncertainties, got {type(items).__name__}", "uncertainties")
    out: list[Uncertainty] = []
    for i, item in enumerate(items):
        field = f"uncertainties[{i}]"
        try:
            u = Uncertainty.model_validate(item)
        except ValidationError as err:
            first = err.errors()[0]
            loc = ".".join(str(x) for x in first["loc"])
            value = first.get("input") if first["type"] != "missing" else None
            if not loc and isinstance(item, dict):  # a whole-item check: point at the field it is about
                loc = "source" if "source or a reason" in first["msg"] else "parameters"
                value = item.get(loc)
            shown = value if isinstance(value, (str, int, float, bool)) or value is None else str(value)[:80]
            raise InputFileError(where, first["msg"].removeprefix("Value error, "),
                                 f"{field}.{loc}" if loc else field, shown) from None
        try:
            _check_target(u.target)
        except Exception as err:  # check_target raises ScenarioError; restate it with the file and field
            if not hasattr(err, "exit_code"):
                raise
            raise InputFileError(where, str(err), f"{field}.target", u.target) from None
        for key in ("name", "target"):
            if any(getattr(o, key) == getattr(u, key) for o in out):
                raise InputFileError(where, f"duplicate {key}; each uncertainty needs its own", f"{field}.{key}", getattr(u, key))
        out.append(u)
    return tuple(out)


def sample_rng(seed: int, sample: int) -> np.random.Generator:
    """The generator of sample ``sample`` of an ensemble with seed ``seed`` (docs/decisions/0050)."""
    return np.random.default_rng([seed, sample])


def unit_design(count: int, samples: int, seed: int, design: str) -> np.ndarray | None:
    """The Latin hypercube (``samples`` x ``count``) for ``design="lhs"``; None for Monte Carlo (drawn per sample)."""
    if design not in DESIGNS:
        from critmin.errors import UnknownChoiceError

        raise UnknownChoiceError("design", design, DESIGNS)
    if design == "random" or count == 0:
        return None
    return stats.qmc.LatinHypercube(d=count, rng=np.random.default_rng([seed, samples])).random(samples)


def draw(uncertainties: Sequence[Uncertainty], seed: int, sample: int,
         lhs: np.ndarray | None = None) -> tuple[dict[str, float], np.random.Generator]:
    """Sample ``sample``'s values by target, and its generator (already advanced past the draws) for random events."""
    rng = sample_rng(seed, sample)
    u = rng.random(len(uncertainties)) if lhs is None else lhs[sample]
    values = {x.target: float(x.ppf(np.asarray([ui]))[0]) for x, ui in zip(uncertainties, u, strict=True)}
    return values, rng
