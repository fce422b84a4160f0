"""Curated world-model parameters: load, validate, and derive the lithium cost curve.

The tables live in ``critmin/world/parameters/*.csv`` (described in the README beside them):
input coefficients between stages, price elasticities, conversion costs, trade costs,
capacities, observed price points and observed quantities for products the dataset lacks. Every row carries its value, unit, optional low/high range and a provenance
(source, reference, source_year, licence, estimate, note). Validation runs on every load,
because a world model calibrated from a mistyped row would be silently wrong; errors name
the file, the row (1-based, header excluded) and the column.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import DataError

#: Table name -> key columns (besides the shared ``parameter`` id) in that file.
TABLES: dict[str, tuple[str, ...]] = {
    "input_coefficients": ("mineral", "output", "input"),
    "elasticities": ("mineral", "product", "side", "horizon"),
    "conversion_costs": ("mineral", "output", "input", "year"),
    "trade_costs": ("mineral", "product", "route"),
    "capacities": ("mineral", "product", "region", "year"),
    "price_points": ("mineral", "product", "market", "period"),
    "quantities": ("mineral", "product", "measure", "region", "partner", "year"),
}

#: Columns every table carries after its keys.
VALUE_COLUMNS: tuple[str, ...] = (
    "value", "unit", "low", "high", "source", "reference", "source_year", "licence",
    "estimate", "note",
)

#: Units a row may use; a new unit must be added here on purpose (and to the README).
UNITS: frozenset[str] = frozenset({
    "t LCE/t Li", "t Li2O/t Li", "t LCE/t Li2O", "t SC6/t LCE", "t LiOH.H2O/t LCE",
    "t REO/t NdPr oxide", "t oxide/t metal", "t NdPr oxide/t magnet", "t Dy oxide/t magnet",
    "t Co/t Co", "t/t", "share", "elasticity", "USD/t", "USD/t REO", "CNY/t", "share of value",
    "kg/y", "t/y", "t", "t Tb oxide/t magnet",
})

#: Source label that marks a modelling assumption (must then be flagged as an estimate).
ASSUMPTION = "critmin assumption"

_FOLDER = "parameters"


def _folder() -> Path:
    return Path(str(resources.files("critmin.world").joinpath(_FOLDER)))


def _fail(path: Path, row: int | None, column: str, value: object, message: str) -> DataError:
    where = f"{path.name}" + (f", row {row}" if row is not None else "")
    return DataError(f"{where}: column '{column}' (value {value!r}): {message}")


def _numeric(frame: pd.DataFrame, path: Path, column: str, required: bool) -> pd.Series:
    raw = frame[column]
    out = pd.to_numeric(raw, errors="coerce")
    for i in np.flatnonzero(out.isna().to_numpy()):
        text = raw.iloc[i]
        if required or not (pd.isna(text) or str(text).strip() == ""):
            raise _fail(path, i + 1, column, text, "not a number")
    return out.astype(float)


def validate(frame: pd.DataFrame, path: Path, keys: tuple[str, ...]) -> pd.DataFrame:
    """Check one raw table (all columns as strings) and return it with typed columns."""
    expected = ("parameter", *keys, *VALUE_COLUMNS)
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise _fail(path, None, missing[0], None, "column missing from the header")
    out = frame.loc[:, list(expected)].copy()
    for column in ("parameter", *keys, "unit", "source", "reference", "licence", "estimate"):
        blank = out[column].isna() | (out[column].astype(str).str.strip() == "")
        if blank.any():
            raise _fail(path, int(np.flatnonzero(blank.to_numpy())[0]) + 1, column, "", "empty")
    dup = out["parameter"].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise _fail(path, i + 1, "parameter", out["parameter"].iloc[i], "duplicate id")
    for column, required in (("value", True), ("low", False), ("high", False),
                             ("source_year", True)):
        out[column] = _numeric(out, path, column, required)
    flags = out["estimate"].astype(str).str.strip().str.lower()
    bad = ~flags.isin({"true", "false"})
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise _fail(path, i + 1, "estimate", out["estimate"].iloc[i], "must be True or False")
    out["estimate"] = flags == "true"
    out["source_year"] = out["source_year"].astype(int)
    for i, row in enumerate(out.itertuples(index=False), start=1):
        if row.unit not in UNITS:
            raise _fail(path, i, "unit", row.unit, f"unknown unit; known: {sorted(UNITS)}")
        if not np.isnan(row.low) and row.low > row.value:
            raise _fail(path, i, "low", row.low, f"above value {row.value}")
        if not np.isnan(row.high) and row.high < row.value:
            raise _fail(path, i, "high", row.high, f"below value {row.value}")
        if row.source == ASSUMPTION and not row.estimate:
            raise _fail(path, i, "estimate", row.estimate, "an assumption must be an estimate")
    return out


def load_parameters(folder: Path | None = None) -> dict[str, pd.DataFrame]:
    """Every parameter table, validated, keyed by table name (see :data:`TABLES`)."""
    base = Path(folder) if folder is not None else _folder()
    tables = {}
    for name, keys in TABLES.items():
        path = base / f"{name}.csv"
        if not path.is_file():
            raise DataError(f"{path}: parameter table not found")
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        tables[name] = validate(raw, path, keys)
    return tables


def parameter(tables: dict[str, pd.DataFrame], table: str, name: str) -> float:
    """The value of one parameter, by table and id (a user error if either is unknown)."""
    if table not in tables:
        raise DataError(f"unknown parameter table {table!r}; valid: {sorted(tables)}")
    rows = tables[table][tables[table]["parameter"] == name]
    if rows.empty:
        raise DataError(f"{table}.csv: unknown parameter {name!r}")
    return float(rows["value"].iloc[0])


def lithium_cost_curve(deposits: pd.DataFrame, capacity: str = "prod_rate_2025_kt_li_per_y",
                       cost: str = "cost1_usd_per_t_li",
                       lce_per_li: float | None = None) -> pd.DataFrame:
    """Merit-order supply curve from the ``lithium_deposits`` table.

    One step per deposit with positive ``capacity`` (kt Li per year), sorted by ``cost``
    (USD per t Li, 2022 dollars); ``cumulative_kt_li_per_y`` is the capacity available at or
    below ``cost_usd_per_t_lce`` (= cost / ``lce_per_li``, by default the input coefficient
    ``lce_per_li``, 5.323, the factor the source itself uses). Ties are broken by deposit id
    so the curve is reproducible.
    """
    if lce_per_li is None:
        lce_per_li = parameter(load_parameters(), "input_coefficients", "lce_per_li")
    for column in ("deposit_id", "deposit_name", "iso3", capacity, cost):
        if column not in deposits.columns:
            raise DataError(f"lithium_deposits: column '{column}' missing")
    steps = deposits.loc[deposits[capacity] > 0,
                         ["deposit_id", "deposit_name", "iso3", capacity, cost]]
    steps = steps.sort_values([cost, "deposit_id"], kind="stable").reset_index(drop=True)
    steps = steps.rename(columns={capacity: "capacity_kt_li_per_y", cost: "cost_usd_per_t_li"})
    steps["cost_usd_per_t_lce"] = steps["cost_usd_per_t_li"] / lce_per_li
    steps["cumulative_kt_li_per_y"] = steps["capacity_kt_li_per_y"].cumsum()
    return steps
