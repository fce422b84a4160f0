"""Pydantic schema of a scenario file (the contract of issue 3, section 1).

Field names are a contract checked from outside: extend, never rename. Every model forbids
unknown keys so that a typo (``slop: 1``) is an error naming the field, not a silent default.
Cross-references (unknown region, product, bloc) are checked in :mod:`critmin.scenario.checks`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

#: A selector: a region id, a bloc id, ``"*"``, ``"not <bloc or region>"``, or a list of these.
Selector = Union[str, list[str]]
NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Pos = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Product(_Strict):
    """A product at one stage; ``inputs`` are units of each input product per unit processed."""

    id: str
    name: str | None = None
    inputs: dict[str, Pos] = Field(default_factory=dict)


class Region(_Strict):
    id: str
    name: str | None = None


class Supply(_Strict):
    """Inverse supply ``price = intercept + slope * quantity`` with ``0 <= quantity <= capacity``."""

    region: str
    product: str
    intercept: Finite
    slope: NonNeg
    capacity: NonNeg | None = None


class Demand(_Strict):
    """Inverse demand ``price = intercept - slope * quantity`` (slope > 0), or a fixed ``quantity``."""

    region: str
    product: str
    intercept: Finite | None = None
    slope: Pos | None = None
    quantity: NonNeg | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Demand:
        curve = self.intercept is not None or self.slope is not None
        if curve and self.quantity is not None:
            raise ValueError("give either intercept and slope (a demand curve) or quantity (fixed demand), not both")
        if self.quantity is None and (self.intercept is None or self.slope is None):
            raise ValueError("a demand curve needs both intercept and slope (slope > 0); or give quantity")
        return self

    @property
    def fixed(self) -> bool:
        return self.quantity is not None


class Processing(_Strict):
    """Making ``product`` from its inputs in ``region``: marginal cost ``intercept + slope * quantity``.

    ``inputs`` (optional) is this entry's own recipe, units of each input product per unit made; it
    replaces the product's ``inputs`` for this entry only, so that one product can have several
    routes (decision 0082). Without it the entry uses the product's recipe.
    """

    region: str
    product: str
    intercept: Finite = 0.0
    slope: NonNeg = 0.0
    capacity: NonNeg | None = None
    inputs: dict[str, Pos] | None = None

    @model_serializer(mode="wrap")
    def _without_default_recipe(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Leave ``inputs`` out when the entry uses its product's recipe, so that the canonical
        scenario (run folders' scenario.json and its sha256) is the same as before routes existed."""
        data = handler(self)
        if self.inputs is None:
            data.pop("inputs", None)
        return data


class Transport(_Strict):
    """Per-unit cost of moving ``product`` from ``origin`` to ``destination`` (selectors allowed)."""

    product: Selector
    origin: Selector
    destination: Selector
    cost: NonNeg


class _Trade(_Strict):
    product: Selector = "*"
    origin: Selector = "*"
    destination: Selector = "*"


class Tariff(_Trade):
    """Import duty charged by the destination: ``specific`` per unit plus ``ad_valorem`` x origin price."""

    kind: Literal["tariff"]
    specific: NonNeg = 0.0
    ad_valorem: NonNeg = 0.0
    exempt: Selector | None = None


class ExportTax(_Trade):
    """Export duty charged by the origin: ``specific`` per unit plus ``ad_valorem`` x origin price."""

    kind: Literal["export_tax"]
    specific: NonNeg = 0.0
    ad_valorem: NonNeg = 0.0


class ExportBan(_Trade):
    kind: Literal["export_ban"]


class ExportQuota(_Trade):
    """Total exports over the selected arcs are at most ``quantity``; the price gap is a rent."""

    kind: Literal["export_quota"]
    quantity: NonNeg


class PriceFloor(_Strict):
    """A floor ``price`` for ``product`` in ``scope``, held up by one of three mechanisms."""

    kind: Literal["price_floor"]
    product: Selector
    scope: Selector
    price: Pos
    mechanism: Literal["cfd", "purchase", "variable_levy"]
    budget: NonNeg | None = None

    @model_validator(mode="after")
    def _budget_only_for_purchase(self) -> PriceFloor:
        if self.budget is not None and self.mechanism != "purchase":
            raise ValueError("budget applies only to mechanism 'purchase'")
        return self


class Stockpile(_Strict):
    """A fixed ``release`` into, or ``purchase`` from, one region's market."""

    kind: Literal["stockpile"]
    region: str
    product: str
    release: NonNeg | None = None
    purchase: NonNeg | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Stockpile:
        if (self.release is None) == (self.purchase is None):
            raise ValueError("give exactly one of release or purchase")
        return self


Policy = Annotated[
    Union[Tariff, ExportTax, ExportBan, ExportQuota, PriceFloor, Stockpile], Field(discriminator="kind")
]


class Scenario(_Strict):
    """A self-contained market: products and stages, regions, blocs, curves, costs and policies."""

    name: str
    description: str | None = None
    products: list[Product] = Field(min_length=1)
    regions: list[Region] = Field(min_length=1)
    blocs: dict[str, list[str]] = Field(default_factory=dict)
    supply: list[Supply] = Field(default_factory=list)
    demand: list[Demand] = Field(default_factory=list)
    processing: list[Processing] = Field(default_factory=list)
    transport: list[Transport] = Field(default_factory=list)
    default_transport_cost: NonNeg | None = None
    policies: list[Policy] = Field(default_factory=list)
    #: Where the scenario was read from (for error messages); "<dict>" when built in memory.
    _source: str = PrivateAttr(default="<scenario>")

    @field_validator("regions", mode="before")
    @classmethod
    def _region_strings(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"id": str(v)} if isinstance(v, (str, int)) and not isinstance(v, bool) else v for v in value]
        return value

    @property
    def source(self) -> str:
        return self._source

    @cached_property
    def region_ids(self) -> list[str]:
        return [r.id for r in self.regions]

    @cached_property
    def product_ids(self) -> list[str]:
        return [p.id for p in self.products]

    def recipes(self) -> list[dict[str, float]]:
        """The recipe of each processing entry, in entry order: its own ``inputs``, else its product's."""
        by_product = {p.id: p.inputs for p in self.products}
        return [by_product.get(e.product, {}) if e.inputs is None else e.inputs for e in self.processing]
