"""Pydantic schema of the time sections of a scenario file: ``horizon``, ``growth``, ``pipeline``,
``recycling`` and ``disruptions`` (the ``reserve`` section is :mod:`critmin.reserve.rules`).

Every model forbids unknown keys, so a typo is an error naming the field (decision 0051).
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Pos = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Selector = Union[str, list[str]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Horizon(_Strict):
    """Periods from ``start`` (the world's base year by default) to ``end`` inclusive, of length ``step``."""

    start: int | None = None
    end: int
    step: Literal["year", "quarter"] = "year"

    @property
    def dt(self) -> float:
        """Period length in years (flows in the engine are rates per year; stocks change by rate x dt)."""
        return 1.0 if self.step == "year" else 0.25


class Growth(_Strict):
    """Demand growth of ``product`` in ``regions``: a constant ``rate`` per year, a ``series`` of
    growth.csv, or a ``path`` of the embedded lithium demand paths (index relative to the base year)."""

    product: str
    regions: Selector = "*"
    rate: Annotated[float, Field(gt=-1, allow_inf_nan=False)] | None = None
    series: str | None = None
    path: str | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Growth:
        if sum(x is not None for x in (self.rate, self.series, self.path)) != 1:
            raise ValueError("give exactly one of rate, series (growth.csv) or path (lithium_demand_paths)")
        if self.rate is not None and not self.source:
            raise ValueError("a constant growth rate needs a source (document, page or URL)")
        return self


class Project(_Strict):
    """A project written in the scenario file (beside the packaged ones); ``source`` is required."""

    project: str
    product: str
    region: str
    capacity_per_year: Pos
    operating_cost: Annotated[float, Field(allow_inf_nan=False)]
    capital_cost_per_annual_unit: NonNeg = 0.0
    incentive_price: NonNeg | None = None
    status: Literal["committed", "candidate"] = "candidate"
    earliest_start: float
    build_years: NonNeg = 0.0
    ramp_per_year: Pos | None = None
    source: str = Field(min_length=1)
    estimate: bool = False


class Pipeline(_Strict):
    """Projects that may commit: the packaged rows (projects.csv, Busch lithium deposits) of
    ``products`` plus the file's own ``projects``, each candidate committing when its expected
    price reaches its incentive price; ``return_on_capital`` and ``lifetime_years`` turn capital
    cost into the incentive price where none is given."""

    products: list[str] = Field(default_factory=list)
    projects: list[Project] = Field(default_factory=list)
    expectation: Literal["last_price", "reference_price"] = "reference_price"
    return_on_capital: Annotated[float, Field(ge=0, le=1)] = 0.08
    lifetime_years: Annotated[int, Field(ge=1)] = 20
    include_estimates: bool = True


class Recycling(_Strict):
    """Recycled supply of ``product`` in each region: the end-of-life recycling input rate of
    ``mineral`` (embedded ``recycling_rates``, or ``rate``) times the growth of consumption
    ``lag_years`` earlier over the base year (base-year recycling is already in the calibrated supply)."""

    product: str
    mineral: str | None = None
    rate: Share | None = None
    lag_years: Annotated[int, Field(ge=0, le=50)] = 10

    @model_validator(mode="after")
    def _one(self) -> Recycling:
        if (self.mineral is None) == (self.rate is None):
            raise ValueError("give exactly one of mineral (rate from recycling_rates) or rate")
        return self


class Distribution(_Strict):
    """A duration distribution in years: ``uniform`` on [low, high], ``triangular`` (low, mode, high)
    or ``exponential`` with ``mean``."""

    distribution: Literal["uniform", "triangular", "exponential"]
    low: NonNeg | None = None
    mode: NonNeg | None = None
    high: NonNeg | None = None
    mean: Pos | None = None

    @model_validator(mode="after")
    def _params(self) -> Distribution:
        need = {"uniform": ("low", "high"), "triangular": ("low", "mode", "high"), "exponential": ("mean",)}
        missing = [k for k in need[self.distribution] if getattr(self, k) is None]
        if missing:
            raise ValueError(f"{self.distribution} needs {', '.join(missing)}")
        if self.distribution != "exponential" and not (self.low <= (self.mode if self.mode is not None else self.low) <= self.high and self.low < self.high):
            raise ValueError("needs low <= mode <= high and low < high")
        return self

    @property
    def expected(self) -> float:
        if self.distribution == "exponential":
            return float(self.mean)
        if self.distribution == "uniform":
            return 0.5 * (self.low + self.high)
        return (self.low + self.mode + self.high) / 3.0


class Disruption(_Strict):
    """Export controls by ``supplier`` on ``products`` to ``destinations``: a licence withholding
    ``share_withheld`` of the exports the undisrupted market would make in the same period.

    Fixed: ``start`` (a year, may be fractional) and ``duration``. Random: ``probability`` that an
    event starts in any year while none is active (``probability x dt`` per period) and a fixed or
    drawn ``duration``."""

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    supplier: Selector
    products: list[str] = Field(min_length=1)
    destinations: Selector
    share_withheld: Share
    start: float | None = None
    probability: Share | None = None
    duration: Pos | Distribution
    source: str | None = None

    @model_validator(mode="after")
    def _timing(self) -> Disruption:
        if (self.start is None) == (self.probability is None):
            raise ValueError("give exactly one of start (a fixed event) or probability (a random one)")
        return self

    @property
    def random(self) -> bool:
        return self.probability is not None or isinstance(self.duration, Distribution)
