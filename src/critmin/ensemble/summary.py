"""Distributions over the samples: p5, p50, p95 per outcome and per period (docs/decisions/0068).

Quantiles are numpy's default (linear interpolation between order statistics, Hyndman and Fan
type 7), computed over the samples of one ensemble; the mean and the extremes come with them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

QUANTILES = (5, 50, 95)


def _stats(values: np.ndarray) -> dict[str, float]:
    q = np.percentile(values, QUANTILES)
    return {"samples": len(values), "mean": float(values.mean()), "min": float(values.min()),
            **{f"p{k}": float(v) for k, v in zip(QUANTILES, q, strict=True)}, "max": float(values.max())}


def outcome_summary(outcomes: pd.DataFrame) -> pd.DataFrame:
    """One row per outcome ``<measure>:<subject>`` (a product, a member or total) with its distribution."""
    rows = []
    for name, group in outcomes.groupby("outcome", sort=True):
        measure, _, subject = str(name).partition(":")
        rows.append({"outcome": name, "measure": measure, "subject": subject, **_stats(group["value"].to_numpy(float))})
    return pd.DataFrame(rows)


def wide_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Outcomes as one row per sample and one column per outcome (for scenario discovery)."""
    wide = outcomes.pivot(index="sample", columns="outcome", values="value").sort_index()
    wide.columns.name = None
    return wide


def period_quantiles(table: pd.DataFrame, value: str, by: Sequence[str], how: str = "sum", x: str = "period") -> pd.DataFrame:
    """p5/p50/p95 over samples of ``value`` per ``x`` (period or time) and ``by`` (e.g. product), after aggregating
    the other keys (regions) within each sample with ``how`` (``sum`` for quantities, ``max``/``mean`` for prices)."""
    keys = ["sample", x, *by]
    per_sample = table.groupby(keys, sort=True)[value].agg(how).reset_index()
    grouped = per_sample.groupby([x, *by], sort=True)[value]
    out = grouped.quantile([q / 100 for q in QUANTILES]).unstack()
    out.columns = [f"p{q}" for q in QUANTILES]
    return out.reset_index()


#: Per (product, region) measures taken from the trajectory tables: name -> (table, column, aggregation
#: over periods within a sample: ``sum_dt`` = sum of rate x period length, ``sum`` or ``max``).
REGION_MEASURES = {
    "shortfall_t": ("shortfall", "shortfall", "sum_dt"),
    "price_max": ("prices", "price", "max"),
    "reserve_released_t": ("reserve", "released_t", "sum"),
    "reserve_bought_t": ("reserve", "bought_t", "sum"),
}


def region_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """p5/p50/p95 over samples per measure, product and region (member), from the per-period tables present."""
    rows = []
    for measure, (name, column, how) in REGION_MEASURES.items():
        table = tables.get(name)
        if table is None or not {"sample", "product", "region", column} <= set(table.columns):
            continue
        values = table[column] * table["dt"] if how == "sum_dt" and "dt" in table.columns else table[column]
        per_sample = values.groupby([table["product"], table["region"], table["sample"]], sort=True).agg(
            "max" if how == "max" else "sum")
        for (product, region), group in per_sample.groupby(level=[0, 1], sort=True):
            rows.append({"measure": measure, "product": product, "region": region, **_stats(group.to_numpy(float))})
    return pd.DataFrame(rows)
