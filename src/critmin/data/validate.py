"""Validation of the dataset tables (the build output and the embedded copy).

Checks the contract of docs/decisions/0001-embedded-dataset.md: required columns, unique keys,
provenance on every row, known sources/regions/minerals/stages/products, no negative
quantities, one unit per (mineral, stage), country rows (incl. ROW) adding up to the published
world totals within the source's rounding, shares in [0, 1] summing to at most 1, and a
complete ``stages`` table. Every violation names table, column, key and value; all are
collected and raised together as one :class:`~critmin.errors.DataError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from critmin.errors import DataError

PROVENANCE: tuple[str, ...] = ("source", "table", "source_year", "licence", "estimate")
STAGES: tuple[str, ...] = ("mining", "refining", "components", "recycling")
COVERAGE: tuple[str, ...] = ("quantities", "shares", "empty")
#: Shares per (mineral, stage, year) may exceed 1 by this much (published shares are rounded).
SHARE_SUM_SLACK = 0.01


@dataclass(frozen=True)
class Schema:
    key: tuple[str, ...]
    columns: tuple[str, ...]


SCHEMAS: dict[str, Schema] = {
    "sources": Schema(("source",), ("title", "publisher", "url", "licence", "source_year", "note")),
    "regions": Schema(("iso3",), ("name", "kind", "baci_code")),
    "minerals": Schema(("mineral",), ("name", "description")),
    "products": Schema(("product",), ("mineral", "stage", "name", "unit", "description")),
    "stages": Schema(("mineral", "stage"), ("coverage", "unit", "basis", "note")),
    "production": Schema(("mineral", "stage", "iso3", "year"), ("quantity", "unit")),
    "world_totals": Schema(("mineral", "stage", "year"), ("quantity", "unit", "tolerance")),
    "production_crosscheck": Schema(("mineral", "stage", "year", "iso3"), ("unit", "usgs", "wmd", "wmd_over_usgs")),
    "stage_shares": Schema(("mineral", "stage", "iso3", "year"), ("share",)),
    "reserves": Schema(("mineral", "iso3", "year"), ("quantity", "unit", "qualifier")),
    "us_import_sources": Schema(("mineral", "category", "iso3"), ("period", "share")),
    "us_net_import_reliance": Schema(("mineral", "series", "year"), ("percent", "qualifier", "basis")),
    "recycling_rates": Schema(("mineral", "year"), ("eol_rir", "reference_url", "note")),
    "hs_map": Schema(("hs6",), ("description", "mineral", "stage", "product")),
    "trade": Schema(("year", "exporter", "importer", "hs6"), ("mineral", "stage", "value_kusd", "quantity_t")),
    "prices": Schema(("product", "year"), ("mineral", "price", "unit", "usd_per_t", "basis")),
    "governance": Schema(("iso3", "year"), ("wgi",)),
    "blocs": Schema(("bloc",), ("name", "kind", "date", "description")),
    "bloc_members": Schema(("bloc", "iso3"), ("joined",)),
}

REQUIRED_TABLES: tuple[str, ...] = ("sources", "regions", "minerals", "products", "stages", "production", "world_totals")
REGION_COLUMNS: tuple[str, ...] = ("iso3", "exporter", "importer")
NON_NEGATIVE: tuple[str, ...] = ("quantity", "value_kusd", "quantity_t", "price", "usd_per_t", "tolerance", "usgs", "wmd", "percent")
UNIT_INTERVAL: tuple[str, ...] = ("share", "eol_rir")
MAX_SHOWN = 8


def _plain(value: object) -> object:
    """numpy scalars as Python scalars, so messages read 2024, not np.int64(2024)."""
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value


class Violations:
    """Collects violations; :meth:`raise_if_any` raises them as one DataError."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, table: str, column: str, key: object, value: object, problem: str) -> None:
        if isinstance(key, tuple):
            key = tuple(_plain(k) for k in key)
        self.items.append(f"table '{table}', column '{column}', key {key}: value {_plain(value)!r} {problem}")

    def raise_if_any(self) -> None:
        if self.items:
            shown = "; ".join(self.items[:MAX_SHOWN])
            more = f" (and {len(self.items) - MAX_SHOWN} more)" if len(self.items) > MAX_SHOWN else ""
            raise DataError(f"dataset validation failed, {len(self.items)} violation(s): {shown}{more}")


def _key_of(frame: pd.DataFrame, name: str, index) -> tuple:
    schema = SCHEMAS.get(name)
    cols = [c for c in (schema.key if schema else frame.columns[:3]) if c in frame.columns]
    return tuple(frame.loc[index, c] for c in cols)


def _report(v: Violations, frame: pd.DataFrame, name: str, column: str, mask: pd.Series, problem: str) -> None:
    for index in frame.index[mask.fillna(False).to_numpy(dtype=bool)]:
        v.add(name, column, _key_of(frame, name, index), frame.loc[index, column], problem)


def _check_structure(v: Violations, name: str, frame: pd.DataFrame) -> None:
    schema = SCHEMAS.get(name)
    needed = (schema.key + schema.columns if schema else ()) + PROVENANCE
    for col in needed:
        if col not in frame.columns:
            v.add(name, col, "(all rows)", None, "is missing: required column")
    for col in PROVENANCE:
        if col in frame.columns:
            _report(v, frame, name, col, frame[col].isna() | frame[col].astype(str).eq(""), "is empty: provenance required")
    if "estimate" in frame.columns and not pd.api.types.is_bool_dtype(frame["estimate"]):
        v.add(name, "estimate", "(all rows)", str(frame["estimate"].dtype), "is not boolean")
    if schema and all(c in frame.columns for c in schema.key):
        for col in schema.key:
            _report(v, frame, name, col, frame[col].isna(), "is empty: key column")
        dup = frame.duplicated(list(schema.key), keep="first")
        _report(v, frame, name, schema.key[0], dup, "duplicates another row's key")


def _check_values(v: Violations, name: str, frame: pd.DataFrame, ref: Mapping[str, set]) -> None:
    if "source" in frame.columns and name != "sources":
        _report(v, frame, name, "source", ~frame["source"].isin(ref["source"]), "is not an id in sources")
    for col in REGION_COLUMNS:
        if col in frame.columns and name != "regions":
            _report(v, frame, name, col, ~frame[col].isin(ref["iso3"]), "is not an iso3 in regions")
    if "mineral" in frame.columns and name != "minerals":
        _report(v, frame, name, "mineral", frame["mineral"].notna() & ~frame["mineral"].isin(ref["mineral"]),
                "is not a mineral in minerals")
    if "stage" in frame.columns:
        _report(v, frame, name, "stage", frame["stage"].notna() & ~frame["stage"].isin(STAGES),
                f"is not a stage ({', '.join(STAGES)})")
    if "product" in frame.columns and name != "products":
        _report(v, frame, name, "product", frame["product"].notna() & ~frame["product"].isin(ref["product"]),
                "is not a product in products")
    for col in NON_NEGATIVE:
        if col in frame.columns:
            values = pd.to_numeric(frame[col], errors="coerce")
            _report(v, frame, name, col, values < 0, "is negative")
    for col in UNIT_INTERVAL:
        if col in frame.columns:
            values = pd.to_numeric(frame[col], errors="coerce")
            _report(v, frame, name, col, (values < 0) | (values > 1), "is outside [0, 1]")


def _check_units(v: Violations, tables: Mapping[str, pd.DataFrame]) -> dict[tuple[str, str], str]:
    units: dict[tuple[str, str], str] = {}
    for name in ("production", "world_totals"):
        frame = tables.get(name)
        if frame is None or not {"mineral", "stage", "unit"} <= set(frame.columns):
            continue
        for (mineral, stage), group in frame.groupby(["mineral", "stage"]):
            found = sorted(set(group["unit"].astype(str)))
            expected = units.setdefault((mineral, stage), found[0])
            for unit in found:
                if unit != expected:
                    v.add(name, "unit", (mineral, stage), unit, f"differs from {expected!r}: one unit per (mineral, stage)")
    return units


def _check_consistency(v: Violations, tables: Mapping[str, pd.DataFrame], units: dict) -> None:
    """Prices: one unit per product and the product's own mineral; reserves: the mining unit."""
    prices, products = tables.get("prices"), tables["products"]
    if prices is not None and not prices.empty:
        owner = dict(zip(products["product"], products["mineral"]))
        for product, group in prices.groupby("product"):
            found = sorted(set(group["unit"].astype(str)))
            if len(found) > 1:
                v.add("prices", "unit", (product,), found, "mixes units: one unit per product")
            minerals = set(group["mineral"]) - {owner.get(product)}
            if minerals:
                v.add("prices", "mineral", (product,), sorted(minerals)[0], f"differs from the product's mineral {owner.get(product)!r}")
    reserves = tables.get("reserves")
    if reserves is not None and not reserves.empty:
        for mineral, group in reserves.groupby("mineral"):
            expected = units.get((mineral, "mining"))
            for unit in sorted(set(group["unit"].astype(str))):
                if expected is not None and unit != expected:
                    v.add("reserves", "unit", (mineral,), unit, f"differs from the mining production unit {expected!r}")


def _check_totals(v: Violations, tables: Mapping[str, pd.DataFrame]) -> None:
    prod, world = tables.get("production"), tables.get("world_totals")
    if prod is None or world is None or prod.empty:
        return
    keys = ["mineral", "stage", "year"]
    sums = prod.groupby(keys)["quantity"].sum()
    published = world.set_index(keys)
    for key, total in sums.items():
        if key not in published.index:
            v.add("production", "quantity", key, total, "has no published world total in world_totals")
            continue
        row = published.loc[key]
        gap = total - row["quantity"]
        if abs(gap) > row["tolerance"] + 1e-9 * abs(row["quantity"]):
            v.add("production", "quantity", key, total,
                  f"(sum of country rows incl. ROW) differs from the world total {_plain(row['quantity'])!r} "
                  f"by {gap:.6g}, more than the source's rounding {_plain(row['tolerance'])!r}")


def _check_shares(v: Violations, tables: Mapping[str, pd.DataFrame]) -> None:
    shares = tables.get("stage_shares")
    if shares is None or shares.empty:
        return
    sums = shares.groupby(["mineral", "stage", "year"])["share"].sum()
    for key, total in sums.items():
        if total > 1 + SHARE_SUM_SLACK:
            v.add("stage_shares", "share", key, round(float(total), 6), f"sums to more than 1 (+{SHARE_SUM_SLACK} rounding)")


def _check_stages(v: Violations, tables: Mapping[str, pd.DataFrame], units: dict) -> None:
    stages, minerals = tables.get("stages"), tables.get("minerals")
    if stages is None or minerals is None:
        return
    present = set(zip(stages["mineral"], stages["stage"]))
    for mineral in minerals["mineral"]:
        for stage in STAGES:
            if (mineral, stage) not in present:
                v.add("stages", "stage", (mineral, stage), None, "is missing: every mineral needs all 4 stages")
    prod = tables.get("production")
    shares = tables.get("stage_shares")
    with_qty = set(zip(prod["mineral"], prod["stage"])) if prod is not None else set()
    with_shares = set(zip(shares["mineral"], shares["stage"])) if shares is not None else set()
    for row in stages.itertuples(index=False):
        key = (row.mineral, row.stage)
        if row.coverage not in COVERAGE:
            v.add("stages", "coverage", key, row.coverage, f"is not one of {', '.join(COVERAGE)}")
        expected = "quantities" if key in with_qty else "shares" if key in with_shares else "empty"
        if row.coverage != expected:
            v.add("stages", "coverage", key, row.coverage, f"contradicts the data (expected {expected!r})")
        if key in units and row.unit != units[key]:
            v.add("stages", "unit", key, row.unit, f"differs from the production unit {units[key]!r}")


def validate(tables: Mapping[str, pd.DataFrame]) -> None:
    """Raise DataError listing every violation of the dataset contract in ``tables``."""
    v = Violations()
    for name in REQUIRED_TABLES:
        if name not in tables:
            v.add(name, "(table)", "(all rows)", None, "is missing: required table")
    v.raise_if_any()
    ref = {
        "source": set(tables["sources"]["source"]),
        "iso3": set(tables["regions"]["iso3"]),
        "mineral": set(tables["minerals"]["mineral"]),
        "product": set(tables["products"]["product"]),
    }
    for name, frame in tables.items():
        _check_structure(v, name, frame)
        _check_values(v, name, frame, ref)
    v.raise_if_any()  # the cross-table checks below assume well-formed tables
    units = _check_units(v, tables)
    _check_consistency(v, tables, units)
    _check_totals(v, tables)
    _check_shares(v, tables)
    _check_stages(v, tables, units)
    v.raise_if_any()


def validate_embedded() -> None:
    """Validate the dataset shipped in the package."""
    from critmin.data.store import load, table_names

    validate({name: load(name) for name in table_names()})
