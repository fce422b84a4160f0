"""Products per stage for each mineral of the world model, and how each maps onto the data.

A chain lists the model products of one mineral from mine to the last stage with data. Every
figure a chain uses is looked up by id in the parameter tables
(:mod:`critmin.world.parameters`) or the embedded dataset, never typed here; this module only
says *which* row to use and why (docs/decisions/0023-world-chains-and-observed-year.md).

Which stages a mineral gets is decided by what the dataset can observe per country:

- ``graphite``: one stage. Mine output (USGS, gross weight of natural graphite) and BACI trade of
  HS 250410/250490 (gross weight) are in the same unit, so apparent consumption is direct.
- ``lithium`` (decision 0073): hard-rock concentrate (t Li content: the USGS mine output less the
  brine share of ``lithium_deposits``) -> lithium carbonate (t Li2CO3, BACI 283691), converted
  where ``refining_routes.csv`` says; brine output is a supply of carbonate at the brine site
  (``site_supply``). Lithium hydroxide (t LiOH.H2O, BACI 282520) is made from concentrate
  directly in China and Australia (a :class:`Route`, decision 0083) and from carbonate
  (``lioh_per_lce``) elsewhere, with output by country from ``quantities.csv`` (2024 only: other
  years are refused for lithium).
- ``rare_earths``: concentrate (t REO) -> NdPr oxide -> sintered NdFeB magnets. Where
  ``quantities.csv`` has NdPr oxide output for the year (2024), the NdPr stage is re-based on it
  (:class:`TableStage`): separation output by country from the table, oxide recovered from magnet
  scrap as a supply of its own, and all mined concentrate charged to primary NdPr by the REO
  balance (mined REO / primary NdPr output; La/Ce are co-products whose revenue is ignored).
  Other years keep decision 0023's stand-in: the concentrate at Mountain Pass' NdPr share
  (``treo_per_ndpr_oxide``) located by the dataset's ``stage_shares``. Dy and Tb oxide come from
  the ``quantities`` and ``price_points`` tables (location ``table``; 2024 only), and magnets are
  made from NdPr, Dy and Tb oxide (docs/decisions/0045 and 0046).
- ``gallium``: one stage, primary (low-purity) gallium in t Ga. Output by country is the
  dataset's USGS rows (stage ``refining``); there is no HS code, so trade is China's exports by
  destination and U.S. imports by source from ``quantities.csv`` (``trade_table``). China's
  August 2023 licence is part of the baseline as an export quota at observed exports, which is
  what lets importers pay the observed price above China's (``licence``; decisions 0079-0081).
- ``cobalt``: mine output (t Co content; hydroxide, MHP and other intermediates) -> refined
  cobalt (t Co; metal and chemicals). Refining location from ``refining_routes.csv`` (each origin
  checked against BACI's intermediate-grade exports); refined trade is BACI 810510 + 282200 by
  value at the LME price, and the intermediates that mine countries ship are removed by
  reconciliation because those countries refine nothing (they are the mine-stage routes). The
  refining margin rests on the 2024 hydroxide payable, so cobalt calibrates for 2024 only
  (``years``; docs/decisions/0076 and 0077).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TradeCode:
    """A BACI HS6 basket counted towards a model product.

    ``basis`` is ``quantity`` (gross tonnes x ``factor``, the parameter id ``factor_parameter``
    gives the factor as its reciprocal when ``reciprocal``) or ``value`` (thousand USD x 1000 /
    the product's observed price: tonnes of product-equivalent, used for mixed baskets).
    """

    hs6: str
    basis: str = "quantity"
    factor_parameter: str | None = None
    reciprocal: bool = False


@dataclass(frozen=True)
class TableStage:
    """How a processed product is re-based where ``quantities.csv`` has its output for the year.

    Output by country is the table's ``production`` rows (``recycling`` rows become a supply of
    their own, using no input); the one input's coefficient is the balance of the mined input
    over primary output, checked against the ``coefficient`` row of ``input_coefficients.csv``;
    the processing margin is the ``margin`` row of ``conversion_costs.csv``.
    """

    coefficient: str
    margin: str


@dataclass(frozen=True)
class Licence:
    """An export licence in force in the observed year (decision 0079).

    The ``supplier``'s exports are capped at their observed level by an engine ``export_quota``
    that is part of the calibrated baseline, so importers can pay an observed price (dataset
    ``prices.product`` ``importers_price_product``) above the supplier's price plus freight: the
    gap less freight is the licence rent. ``since`` is the first year the licence was in force.
    """

    supplier: str
    importers_price_product: str
    since: int


@dataclass(frozen=True)
class Route:
    """Another recipe for a processed product in some countries (decision 0083).

    The route's output in ``countries`` uses ``input`` at ``1 / prod(via rows)`` units per unit
    (``via``: input_coefficients ids stated as output per input along the skipped stages, e.g. t
    Li2CO3 per t Li then t LiOH.H2O per t Li2CO3), instead of the product's recipe. The input comes
    first from the country's own mine output, then from its converters of the stage skipped. The
    route's margin at exporters' prices must match the ``margin_parameter`` row of
    conversion_costs.csv to that row's rounding (``margin_tolerance``, USD per unit).
    """

    countries: tuple[str, ...]
    input: str
    via: tuple[str, ...]
    margin_parameter: str
    margin_tolerance: float


@dataclass(frozen=True)
class ChainProduct:
    """One model product: a stage of a mineral's chain."""

    id: str
    mineral: str
    stage: str
    name: str
    unit: str
    #: input product id -> parameter id in input_coefficients (units of input per unit of this)
    inputs: dict[str, str] = field(default_factory=dict)
    #: invert the input coefficient (the table row is output per input, e.g. t LCE per t Li)
    invert_input: bool = False
    #: dataset ``prices.product`` of the observed price (None: derived through the chain)
    price_product: str | None = None
    #: conversion_costs parameter id giving the processing margin (products with inputs)
    margin_parameter: str | None = None
    #: elasticities.csv product whose rows apply (supply and demand)
    elasticity_product: str = ""
    #: trade_costs.csv parameter id of the freight share of value
    freight_parameter: str = ""
    trade: tuple[TradeCode, ...] = ()
    #: where output by country comes from: ``production`` (dataset, mining stage), ``shares``
    #: (dataset stage_shares x output implied by the mined input), ``routes`` (refining_routes.csv),
    #: ``table`` (parameters/quantities.csv; trade from its ``exports`` rows)
    location: str = "production"
    #: price_points id (without the ``_<year>`` suffix) of the exporters' price, for ``table`` products
    price_parameter: str | None = None
    #: final demand at this stage
    demand: bool = False
    #: re-basing on quantities.csv output, for years that have it (None: never)
    table_stage: TableStage | None = None
    #: ``lithium_deposits`` resource type whose share of each country's mine output is supplied as
    #: this product at the mine site, using no input (brine sold as carbonate: decision 0073)
    site_supply: str | None = None
    #: trade from the ``exports`` rows of quantities.csv instead of BACI (products without an HS code)
    trade_table: bool = False
    #: an export licence in force in the observed year (None: free trade at observed prices)
    licence: Licence | None = None
    #: the only world years the product calibrates for (None: every year with data), when its margin
    #: rests on one year's observation (cobalt: the 2024 hydroxide payable; decision 0077)
    years: tuple[int, ...] | None = None
    #: other recipes in some countries (hydroxide from concentrate in China and Australia: 0083)
    routes: tuple[Route, ...] = ()


CHAINS: dict[str, tuple[ChainProduct, ...]] = {
    "graphite": (
        ChainProduct(
            id="natural_graphite", mineral="graphite", stage="mining", name="Natural graphite",
            unit="t", price_product="graphite_flake", elasticity_product="spherical_graphite",
            freight_parameter="freight_share_bulk_concentrates",
            trade=(TradeCode("250410"), TradeCode("250490")), demand=True,
        ),
    ),
    "lithium": (
        ChainProduct(
            id="spodumene", mineral="lithium", stage="mining",
            name="Hard-rock lithium concentrate (spodumene, lepidolite)", unit="t Li",
            elasticity_product="lithium_carbonate", freight_parameter="freight_share_bulk_concentrates",
        ),
        ChainProduct(
            id="lithium_carbonate", mineral="lithium", stage="refining", name="Lithium carbonate", unit="t Li2CO3",
            inputs={"spodumene": "lce_per_li"}, invert_input=True,
            price_product="lithium_carbonate", margin_parameter="spodumene_to_carbonate_margin_2025",
            elasticity_product="lithium_carbonate", freight_parameter="freight_share_refined_products",
            trade=(TradeCode("283691"),), location="routes", demand=True, site_supply="Brine",
        ),
        ChainProduct(
            id="lithium_hydroxide", mineral="lithium", stage="refining", name="Lithium hydroxide monohydrate",
            unit="t LiOH.H2O", inputs={"lithium_carbonate": "lioh_per_lce"}, invert_input=True,
            price_parameter="lithium_hydroxide_reference", elasticity_product="lithium_carbonate",
            freight_parameter="freight_share_refined_products", trade=(TradeCode("282520"),), location="table",
            demand=True,
            routes=(Route(countries=("CHN", "AUS"), input="spodumene", via=("lce_per_li", "lioh_per_lce"),
                          margin_parameter="spodumene_to_hydroxide_margin_2025", margin_tolerance=0.5),),
        ),
    ),
    "rare_earths": (
        ChainProduct(
            id="re_concentrate", mineral="rare_earths", stage="mining", name="Rare-earth concentrate",
            unit="t REO", elasticity_product="ndpr_oxide", freight_parameter="freight_share_bulk_concentrates",
        ),
        ChainProduct(
            id="ndpr_oxide", mineral="rare_earths", stage="refining", name="NdPr oxide", unit="t",
            inputs={"re_concentrate": "treo_per_ndpr_oxide"}, price_product="ndpr_oxide",
            margin_parameter="concentrate_to_ndpr_oxide_margin_2024q2", elasticity_product="ndpr_oxide",
            freight_parameter="freight_share_refined_products",
            trade=(TradeCode("284690", basis="value"), TradeCode("280530", basis="value")),
            location="shares", demand=True,
            table_stage=TableStage("treo_per_ndpr_oxide_2024", "concentrate_to_ndpr_oxide_margin_2024"),
        ),
        ChainProduct(
            id="dy_oxide", mineral="rare_earths", stage="refining", name="Dysprosium oxide", unit="t",
            price_parameter="dy_oxide_reference", elasticity_product="dy_tb_oxide",
            freight_parameter="freight_share_refined_products", location="table",
        ),
        ChainProduct(
            id="tb_oxide", mineral="rare_earths", stage="refining", name="Terbium oxide", unit="t",
            price_parameter="tb_oxide_reference", elasticity_product="dy_tb_oxide",
            freight_parameter="freight_share_refined_products", location="table",
        ),
        ChainProduct(
            id="ndfeb_magnet", mineral="rare_earths", stage="components", name="Sintered NdFeB magnets", unit="t",
            inputs={"ndpr_oxide": "ndpr_oxide_per_magnet", "dy_oxide": "dy_oxide_per_magnet_2024",
                    "tb_oxide": "tb_oxide_per_magnet_2024"},
            price_parameter="ndfeb_magnet_reference", elasticity_product="ndfeb_magnet",
            freight_parameter="freight_share_refined_products", location="table", demand=True,
        ),
    ),
    "gallium": (
        ChainProduct(
            id="gallium", mineral="gallium", stage="refining", name="Primary (low-purity) gallium", unit="t Ga",
            price_parameter="gallium_china_reference", elasticity_product="refined_gallium",
            freight_parameter="freight_share_refined_products", trade_table=True, demand=True,
            licence=Licence(supplier="CHN", importers_price_product="gallium_metal", since=2023),
        ),
    ),
    "cobalt": (
        ChainProduct(
            id="cobalt_mine", mineral="cobalt", stage="mining", name="Cobalt in mine output (hydroxide, MHP, mattes)",
            unit="t Co", elasticity_product="refined_cobalt", freight_parameter="freight_share_bulk_concentrates",
        ),
        ChainProduct(
            id="refined_cobalt", mineral="cobalt", stage="refining", name="Refined cobalt (metal and chemicals)",
            unit="t Co", inputs={"cobalt_mine": "co_in_intermediate_per_refined"}, price_product="cobalt_metal_lme",
            margin_parameter="cobalt_refining_margin_2024", elasticity_product="refined_cobalt",
            freight_parameter="freight_share_refined_products",
            trade=(TradeCode("810510", basis="value"), TradeCode("282200", basis="value")),
            location="routes", demand=True, years=(2024,),
        ),
    ),
}

#: The default world: every mineral with a chain (issue 4's list).
DEFAULT_MINERALS: tuple[str, ...] = ("rare_earths", "lithium", "graphite", "cobalt", "gallium")

#: Minerals that calibrate only in some years, and why. A world without an explicit ``minerals``
#: list leaves them out in other years; asking for one of them there is an error that names the
#: missing rows (tests/test_world_build.py checks each entry against that error).
YEAR_LIMITED: dict[str, tuple[tuple[int, ...], str]] = {
    "lithium": ((2024,), "hydroxide output by country is in quantities.csv for 2024 only (decision 0073)"),
    "cobalt": ((2024,), "the refining margin is derived from the 2024 hydroxide payable (decision 0077)"),
    "gallium": ((2024,), "China's exports and prices are in quantities.csv and price_points.csv for 2024 only "
                "(decision 0080)"),
}


def default_minerals(year: int) -> list[str]:
    """The default world's minerals that calibrate in ``year``."""
    return [m for m in DEFAULT_MINERALS if m not in YEAR_LIMITED or year in YEAR_LIMITED[m][0]]


def chain(mineral: str) -> tuple[ChainProduct, ...]:
    """The products of ``mineral`` (KeyError for minerals without a chain; callers check first)."""
    return CHAINS[mineral]


def core(mineral: str) -> tuple[ChainProduct, ...]:
    """The products located from the dataset (mine, then at most one processed stage)."""
    return tuple(p for p in CHAINS[mineral] if p.location != "table")


def table_products(mineral: str) -> tuple[ChainProduct, ...]:
    """The products whose quantities come from ``parameters/quantities.csv``."""
    return tuple(p for p in CHAINS[mineral] if p.location == "table")
