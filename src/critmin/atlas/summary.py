"""Assemble atlas results into plain dicts (the JSON contract of the CLI) and the overview table.

Each function validates its inputs through :mod:`critmin.atlas.tables` and returns data only;
rendering is the CLI's job (critmin.commands.atlas).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd

from critmin.atlas.balance import balance, bloc_share
from critmin.atlas.concentration import OTHER, hhi, hhi_bounds, shares, top_shares
from critmin.atlas.exposure import stage_exposure, upstream_view
from critmin.atlas.geopolrisk import geopolrisk
from critmin.atlas.tables import (
    NoDataError, StageView, check_country, check_mineral, load, minerals, names, source_list, stage_row, stage_view, years,
)
from critmin.atlas.trade import UNIT, check_trade_year, mineral_flows, trade_years


def group(selector: str, blocs_file: Path | None = None) -> tuple[str, list[str]]:
    """(label, ISO3 members) of a country code (any case) or bloc id; UnknownChoiceError if neither."""
    from critmin.data.blocs import resolve

    text = selector.strip()
    if text.upper() in names():
        text = text.upper()
    return text, resolve(text, blocs_file)


def hhi_shares(view: StageView) -> pd.Series:
    """Shares for the HHI: of the sum of country quantities, or as published (shares coverage)."""
    frame = view.countries.set_index("iso3")
    return shares(frame["quantity"]) if view.coverage == "quantities" else frame["share"]


def concentration(view: StageView) -> dict:
    """HHI, its bounds and top-n shares of a view (None where the stage is empty).

    Top shares are of the published world total (as the source states them); the HHI uses
    shares of the sum of country rows, so rounding of the world total cannot push it past
    10,000 (the two coincide when the rows add up to the total).
    """
    if view.countries.empty:
        return {"hhi": None, "hhi_bounds": None, "top_share": None, "top3_share": None}
    share = view.countries.set_index("iso3")["share"]
    return {"hhi": hhi(hhi_shares(view)), "hhi_bounds": list(hhi_bounds(hhi_shares(view))),
            "top_share": top_shares(share, 1), "top3_share": top_shares(share, 3)}


def bloc_figures(view: StageView, bloc_id: str, members: list[str]) -> dict:
    """Bloc share of world output and, where units allow, its balance (else the reason)."""
    out: dict = {"id": bloc_id, "members": members, "share": None, "share_high": None, "self_sufficiency": None,
                 "net_import_reliance": None, "balance": None, "note": None}
    if view.countries.empty:
        out["note"] = f"no data: coverage '{view.coverage}'"
        return out
    out["share"] = bloc_share(view, members)
    other = view.countries.loc[view.countries["iso3"] == OTHER, "share"]
    # members not itemised by the source may hide in the residual row: the share's upper bound
    out["share_high"] = out["share"] + (float(other.iloc[0]) if not other.empty else 0.0)
    try:
        b = balance(view, members)
    except NoDataError as err:
        out["note"] = str(err)
        return out
    out.update(self_sufficiency=b.self_sufficiency, net_import_reliance=b.net_import_reliance)
    out["balance"] = {k: v for k, v in asdict(b).items() if k not in ("members", "mineral", "stage")}
    return out


def atlas(mineral: str, stage: str, year: int | None = None, bloc: str | None = None, blocs_file: Path | None = None) -> dict:
    """The ``critmin atlas`` object: one mineral, stage and year (default: the latest with data)."""
    if year is None:
        check_mineral(mineral)
        year = latest_year(mineral, stage)  # None for an empty stage: its view says so
    view = stage_view(mineral, stage, year)
    out = {
        "mineral": view.mineral, "stage": view.stage, "year": view.year, "coverage": view.coverage,
        "unit": view.unit or None, "basis": view.basis or None, "total": view.world_total,
        "residual": view.residual, **concentration(view),
        "countries": view.countries[["iso3", "name", "quantity", "share", "estimate"]],
        "note": view.note or None,
    }
    if bloc is not None:
        label, members = group(bloc, blocs_file)
        out["bloc"] = bloc_figures(view, label, members)
    out["sources"] = view.sources
    return out


def latest_year(mineral: str, stage: str) -> int | None:
    found = years(mineral, stage)
    return found[-1] if found else None


def stage_exposures(rows: pd.DataFrame, members: list[str], supplier: str, year: int, basis: str) -> list[dict]:
    """Per traded stage of ``rows``: direct and chain exposure, or a note saying why not."""
    out = []
    for stage in sorted(rows["stage"].unique()):
        part = rows[rows["stage"] == stage]
        try:
            e = stage_exposure(part, members, supplier, year, basis=basis)
        except NoDataError as err:
            out.append({"stage": stage, "note": str(err)})
            continue
        out.append({
            "stage": e.stage, "basis": e.basis, "total_imports": e.total_imports, "unit": UNIT[basis],
            "direct": e.direct, "chain": e.chain, "chain_low": e.chain_low, "chain_high": e.chain_high,
            "supplier_mine_share": e.upstream_share, "hs6": sorted(str(h) for h in part["hs6"].unique()),
            "origins": e.origins, "note": e.note,
        })
    return out


def supply_risk(mineral: str, rows: pd.DataFrame, members: list[str], year: int) -> dict:
    """GeoPolRisk of the group, or a note when the year has no world mine production."""
    mining = upstream_view(mineral, year)
    if mining is None or mining.coverage != "quantities":
        return {"note": f"no world mine production of {mineral} for {year}: GeoPolRisk needs its HHI"}
    g = geopolrisk(mining, rows, members)
    return {k: v for k, v in asdict(g).items() if k not in ("importers", "mineral")}


def exposure(importer: str, supplier: str, mineral: str, year: int | None = None, basis: str = "value",
             blocs_file: Path | None = None, hs6: list[str] | None = None) -> dict:
    """The ``critmin exposure`` object: per traded stage, direct and chain exposure; GeoPolRisk.

    ``hs6`` restricts the trade to some codes of the mineral (needed for quantity shares).
    """
    check_mineral(mineral)
    label, members = group(importer, blocs_file)
    supplier = check_country(supplier)
    rows = mineral_flows(mineral, hs6=hs6 or None)
    year = trade_years(rows)[-1] if year is None else check_trade_year(rows, year)
    up = upstream_view(mineral, year)
    used = rows[(rows["year"] == year) & rows["importer"].isin(members)]
    inside = supplier in members
    return {
        "importer": label, "members": members, "supplier": supplier, "mineral": mineral, "year": year,
        "note": (f"{supplier} is inside {label}: flows from it are internal, so its direct share is 0 and the chain "
                 "counts only material mined there that comes back through outside refiners") if inside else None,
        "stages": stage_exposures(rows, members, supplier, year, basis),
        "geopolrisk": supply_risk(mineral, rows, members, year),
        "sources": source_list(used) + ([] if up is None else up.sources)
        + source_list(load("governance").query("year == @year")),
    }


def imports_overview(bloc: str = "forge", supplier: str = "CHN") -> pd.DataFrame:
    """Per traded mineral and stage, latest BACI year: the bloc's largest outside supplier, its
    exposure to ``supplier`` (direct and through the chain) and its GeoPolRisk score."""
    label, members = group(bloc)
    supplier = check_country(supplier)
    out = []
    for mineral in minerals():
        try:
            rows = mineral_flows(mineral)
        except NoDataError:
            continue
        year = trade_years(rows)[-1]
        risk = supply_risk(mineral, rows, members, year).get("score")
        for e in stage_exposures(rows, members, supplier, year, "value"):
            if "direct" not in e:
                continue
            top = e["origins"].iloc[0]
            out.append({"mineral": mineral, "stage": e["stage"], "year": year, "imports_kusd": e["total_imports"],
                        "top_supplier": top["exporter"], "top_share": top["share"], "direct": e["direct"],
                        "chain": e["chain"], "geopolrisk": risk})
    return pd.DataFrame(out)


def balance_columns(mineral: str, label: str, members: list[str]) -> dict:
    """Bloc self-sufficiency at the latest year with both mine production and trade (or None)."""
    try:
        trade = trade_years(mineral_flows(mineral, "mining"))
    except NoDataError:
        return {"balance_year": None, "bloc_self_sufficiency": None}
    common = sorted(set(years(mineral, "mining")) & set(trade))
    if not common:
        return {"balance_year": None, "bloc_self_sufficiency": None}
    figures = bloc_figures(stage_view(mineral, "mining", common[-1]), label, members)
    ok = figures["self_sufficiency"] is not None
    return {"balance_year": common[-1] if ok else None, "bloc_self_sufficiency": figures["self_sufficiency"]}


def overview(bloc: str = "forge") -> pd.DataFrame:
    """One row per mineral: latest mining and refining year, leader and its share, HHI, and the
    bloc's share of mine output and self-sufficiency (None where the data do not allow it)."""
    label, members = group(bloc)
    rows = []
    for mineral in minerals():
        row: dict = {"mineral": mineral}
        for stage in ("mining", "refining"):
            y = latest_year(mineral, stage) if stage_row(mineral, stage)["coverage"] != "empty" else None
            row.update({f"{stage}_year": y, f"{stage}_top": None, f"{stage}_top_share": None, f"{stage}_hhi": None,
                        f"{stage}_hhi_high": None})
            if y is None:
                continue
            view = stage_view(mineral, stage, y)
            conc = concentration(view)
            row.update({f"{stage}_top": view.countries.iloc[0]["iso3"], f"{stage}_top_share": conc["top_share"],
                        f"{stage}_hhi": conc["hhi"], f"{stage}_hhi_high": conc["hhi_bounds"][1]})
            if stage == "mining":
                figures = bloc_figures(view, label, members)
                row.update(bloc_share=figures["share"], bloc_share_high=figures["share_high"])
                row.update(balance_columns(mineral, label, members))
        rows.append(row)
    return pd.DataFrame(rows)
