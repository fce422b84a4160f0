"""Schema of the FORGE instruments a scenario's ``policies:`` list may hold besides engine kinds.

``reference_price`` (a price per product and stage in a zone, set by one of three methods and
enforced by an adjustable tariff, a cfd or public purchase) and ``export_controls`` (a supplier
bans or licenses exports). They are data: :func:`critmin.policies.compile_policies` turns them
into the engine's primitives. Models forbid unknown keys so that a typo names its field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from critmin.errors import InputFileError

Selector = Union[str, list[str]]
NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Pos = Annotated[float, Field(gt=0, allow_inf_nan=False)]

#: Policy kinds handled here; every other kind is passed to the engine unchanged.
KINDS = ("reference_price", "export_controls")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PipelineStep(_Strict):
    """Capacity not yet producing (a project from a cost curve): ``capacity`` units at unit ``cost``."""

    region: str
    capacity: Pos
    cost: NonNeg
    name: str | None = None


class ReferencePrice(_Strict):
    """A reference price for ``product`` inside ``zone``.

    ``method``: ``fixed`` (``price``), ``incentive`` (the price at which zone supply, existing plus
    ``pipeline`` steps, covers ``target_share`` of zone demand) or ``cost_plus`` (unit cost of zone
    producers plus a capital charge, see :mod:`critmin.policies.reference`). ``enforcement`` picks
    the engine mechanism; trade inside the zone is never charged.
    """

    kind: Literal["reference_price"]
    product: str
    zone: Selector
    method: Literal["fixed", "incentive", "cost_plus"]
    enforcement: Literal["adjustable_tariff", "cfd", "purchase"] = "adjustable_tariff"
    budget: NonNeg | None = None
    price: Pos | None = None
    target_share: Annotated[float, Field(gt=0, le=1)] | None = None
    pipeline: list[PipelineStep] = Field(default_factory=list)
    operating_cost: NonNeg | None = None
    capital_cost: NonNeg | None = None
    return_on_capital: Annotated[float, Field(ge=0, le=1)] | None = None
    lifetime_years: Annotated[int, Field(ge=1, le=100)] | None = None
    conversion_cost: NonNeg | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _fields_for_method(self) -> ReferencePrice:
        need = {"fixed": ("price",), "incentive": ("target_share",), "cost_plus": ()}[self.method]
        for name in need:
            if getattr(self, name) is None:
                raise ValueError(f"method {self.method!r} needs {name!r}")
        others = {"fixed": ("target_share", "capital_cost", "operating_cost", "return_on_capital", "lifetime_years"),
                  "incentive": ("price", "capital_cost", "operating_cost", "return_on_capital", "lifetime_years"),
                  "cost_plus": ("price", "target_share")}[self.method]
        for name in others:
            if getattr(self, name) is not None:
                raise ValueError(f"{name!r} does not apply to method {self.method!r}")
        if self.pipeline and self.method != "incentive":
            raise ValueError("'pipeline' applies only to method 'incentive'")
        if self.method == "cost_plus":
            capital = (self.capital_cost, self.return_on_capital, self.lifetime_years)
            if any(v is not None for v in capital) and any(v is None for v in capital):
                raise ValueError("a capital charge needs capital_cost, return_on_capital and lifetime_years together")
        if self.budget is not None and self.enforcement != "purchase":
            raise ValueError("budget applies only to enforcement 'purchase'")
        return self


class ExportControls(_Strict):
    """``supplier`` bans (``mode: ban``) or licenses (``mode: license``) exports of ``products`` to
    ``destinations``. A licence is a quota per product: ``quantity`` (units of the product), or
    ``share_withheld`` of the supplier's baseline exports over the same arcs."""

    kind: Literal["export_controls"]
    supplier: Selector
    products: list[str] = Field(min_length=1)
    destinations: Selector = "*"
    mode: Literal["ban", "license"]
    share_withheld: Annotated[float, Field(ge=0, le=1)] | None = None
    quantity: NonNeg | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _licence_terms(self) -> ExportControls:
        given = (self.share_withheld is not None) + (self.quantity is not None)
        if self.mode == "ban" and given:
            raise ValueError("a ban takes neither share_withheld nor quantity")
        if self.mode == "license" and given != 1:
            raise ValueError("a licence needs exactly one of share_withheld or quantity")
        return self


Instrument = Annotated[Union[ReferencePrice, ExportControls], Field(discriminator="kind")]


class _One(BaseModel):
    item: Instrument


def parse(entry: dict[str, Any], where: str, source: str) -> ReferencePrice | ExportControls:
    """Validate one instrument entry; errors name ``source``, ``policies[i].field`` and the value."""
    try:
        return _One.model_validate({"item": entry}).item
    except ValidationError as err:
        first = err.errors()[0]
        loc = [str(p) for p in first["loc"][2:] if not str(p).startswith(("function-", "union"))]
        field = where + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in loc)
        value = first.get("input")
        shown = value if isinstance(value, (str, int, float, bool)) or value is None else str(value)[:80]
        raise InputFileError(source, first["msg"].removeprefix("Value error, "), field, shown) from None
