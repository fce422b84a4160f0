"""Imports from bilateral trade (CEPII BACI): flows, import sources, direct exposure.

An importer is one country or a group (a bloc): a group's imports are its members' imports
from non-members (intra-group flows are internal trade, not imports). Shares can be taken on
value (thousand USD, additive across HS codes) or on quantity (tonnes of product, gross
weight: only additive within one product, so quantity shares need a single HS code;
see docs/decisions/0005-hs-mapping-and-trade.md).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from critmin.atlas.tables import NoDataError, check_mineral, check_stage, load
from critmin.errors import CritminError, UnknownChoiceError

BASES: tuple[str, ...] = ("value", "quantity")
COLUMN = {"value": "value_kusd", "quantity": "quantity_t"}
UNIT = {"value": "thousand USD", "quantity": "t (gross weight of product)"}


def mineral_flows(mineral: str, stage: str | None = None, hs6: Iterable[int] | None = None) -> pd.DataFrame:
    """All trade rows of a mineral (optionally one stage or some HS codes); NoDataError if none exist."""
    check_mineral(mineral)
    trade = load("trade")
    rows = trade[trade["mineral"] == mineral]
    if stage is not None:
        check_stage(stage)
        rows = rows[rows["stage"] == stage]
    if hs6 is not None:
        codes = sorted({str(h) for h in hs6})
        valid = sorted(str(h) for h in rows["hs6"].unique())
        for code in codes:
            if code not in valid:
                raise UnknownChoiceError(f"hs6 code for {mineral}", code, valid)
        rows = rows[rows["hs6"].isin(codes)]
    if rows.empty:
        where = mineral if stage is None else f"{mineral} {stage}"
        raise NoDataError(f"no trade data for {where}: no HS92 code of it is in the BACI extract (docs/decisions/0005)")
    return rows


def trade_years(rows: pd.DataFrame) -> list[int]:
    return sorted(int(y) for y in rows["year"].unique())


def check_trade_year(rows: pd.DataFrame, year: int) -> int:
    valid = trade_years(rows)
    if int(year) not in valid:
        raise UnknownChoiceError("trade year", year, valid)
    return int(year)


def imports_of(rows: pd.DataFrame, importers: Iterable[str], year: int) -> pd.DataFrame:
    """Flows into the group ``importers`` from outside it in ``year``."""
    members = set(importers)
    year = check_trade_year(rows, year)
    return rows[(rows["year"] == year) & rows["importer"].isin(members) & ~rows["exporter"].isin(members)]


def _amount(flows: pd.DataFrame, basis: str) -> pd.Series:
    if basis not in BASES:
        raise UnknownChoiceError("basis", basis, BASES)
    if basis == "quantity" and flows["hs6"].nunique() > 1:
        codes = sorted(str(h) for h in flows["hs6"].unique())
        raise CritminError(
            "quantity shares need a single HS code (tonnes of different products do not add up); "
            f"codes here: {codes}; use basis 'value' or pick one hs6"
        )
    return flows[COLUMN[basis]].astype(float)


def import_sources(rows: pd.DataFrame, importers: Iterable[str], year: int, basis: str = "value") -> pd.DataFrame:
    """Partners of the group ``importers``: columns exporter, amount, share (0-1), largest first.

    Flows without a quantity (BACI could not estimate one) are left out of quantity shares.
    """
    flows = imports_of(rows, importers, year)
    amount = _amount(flows, basis)
    by = amount.groupby(flows["exporter"]).sum(min_count=1).dropna()
    total = float(by.sum())
    if total <= 0:
        raise NoDataError(f"no recorded imports into {sorted(set(importers))} in {year} for these codes")
    out = pd.DataFrame({"exporter": by.index, "amount": by.values, "share": by.values / total})
    return out.sort_values(["amount", "exporter"], ascending=[False, True], ignore_index=True)


def direct_exposure(sources: pd.DataFrame, supplier: str) -> float:
    """Supplier's share (0-1) of the importer's imports; 0 when it does not appear among partners."""
    hit = sources.loc[sources["exporter"] == supplier, "share"]
    return float(hit.iloc[0]) if not hit.empty else 0.0
