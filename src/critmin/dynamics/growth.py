"""Demand growth factors per demand entry and period, from documented paths.

A growth entry scales the demand of a product in some regions by an index ``g(t)`` relative to
the base year: a constant ``rate`` ((1 + rate)^t), a ``series`` of the packaged growth.csv (its
constant rate per year, with its source), or a ``path`` of the embedded Busch et al. lithium
demand paths (demand in the year over demand in the base year, linear between years). For an
inverse demand ``p = a - b q`` growth by ``g`` gives ``p = a - (b / g) q`` (the quantity at every
price times ``g``); a fixed demand ``q`` becomes ``q g`` (decision 0052).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from critmin.dynamics.schema import Growth
from critmin.errors import InputFileError


@cache
def growth_table() -> pd.DataFrame:
    """The packaged growth series (one row per series, with source and URL)."""
    with resources.files("critmin.dynamics").joinpath("growth.csv").open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle)


@cache
def _lithium_paths() -> pd.DataFrame:
    from critmin.data import load

    return load("lithium_demand_paths")


def growth_function(g: Growth, base_year: int, where: str, field: str):
    """``f(year) -> index`` for one growth entry (index 1 in the base year); errors name the field."""
    if g.rate is not None:
        rate = float(g.rate)
        return lambda year: (1.0 + rate) ** (year - base_year)
    if g.series is not None:
        table = growth_table()
        row = table[table["series"] == g.series]
        if row.empty:
            raise InputFileError(where, f"unknown growth series; series are {', '.join(table['series'])}",
                                 f"{field}.series", g.series)
        rate = float(row["rate_per_year"].iloc[0])
        return lambda year: (1.0 + rate) ** (year - base_year)
    paths = _lithium_paths()
    sel = paths[paths["scenario"] == g.path].sort_values("year")
    if sel.empty:
        raise InputFileError(where, "unknown lithium demand path; paths are the `scenario` values of "
                                    "critmin.data.load('lithium_demand_paths')", f"{field}.path", g.path)
    years, values = sel["year"].to_numpy(dtype=float), sel["demand_kt_li"].to_numpy(dtype=float)
    if not years[0] <= base_year <= years[-1]:
        raise InputFileError(where, f"path covers {years[0]:.0f}-{years[-1]:.0f}, not the base year {base_year}",
                             f"{field}.path", g.path)
    base = float(np.interp(base_year, years, values))
    return lambda year: float(np.interp(year, years, values)) / base

