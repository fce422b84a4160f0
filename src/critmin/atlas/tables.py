"""Read and check the atlas inputs: valid minerals, stages, years and countries, and the
per-(mineral, stage, year) production view with its provenance.

Every lookup of a user-given name goes through here, so an unknown mineral, stage, year or
country always raises :class:`~critmin.errors.UnknownChoiceError` listing the valid choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from critmin.atlas.concentration import ranked, shares
from critmin.errors import CritminError, UnknownChoiceError

STAGES: tuple[str, ...] = ("mining", "refining", "components", "recycling")


class NoDataError(CritminError):
    """The embedded data cannot support this figure (no trade code, inconsistent units...)."""


def load(name: str) -> pd.DataFrame:
    """One embedded table (thin indirection over :func:`critmin.data.load`)."""
    from critmin.data import load as data_load

    return data_load(name)


def minerals() -> list[str]:
    return sorted(load("minerals")["mineral"].astype(str))


def check_mineral(mineral: str) -> str:
    valid = minerals()
    if mineral not in valid:
        raise UnknownChoiceError("mineral", mineral, valid)
    return mineral


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise UnknownChoiceError("stage", stage, STAGES)
    return stage


def stage_row(mineral: str, stage: str) -> pd.Series:
    """The ``stages`` row (coverage, unit, basis, note) of a checked mineral and stage."""
    check_mineral(mineral)
    check_stage(stage)
    stages = load("stages")
    row = stages[(stages["mineral"] == mineral) & (stages["stage"] == stage)]
    if row.empty:  # the contract has one row per stage; a gap is reported, not guessed
        return pd.Series({"coverage": "empty", "unit": "", "basis": "", "note": "no row in the stages table"})
    return row.iloc[0]


def years(mineral: str, stage: str) -> list[int]:
    """Years with data for this mineral and stage (quantities or published shares)."""
    coverage = stage_row(mineral, stage)["coverage"]
    table = {"quantities": "production", "shares": "stage_shares"}.get(coverage)
    if table is None:
        return []
    frame = load(table)
    sel = frame[(frame["mineral"] == mineral) & (frame["stage"] == stage)]
    return sorted(int(y) for y in sel["year"].unique())


def check_year(mineral: str, stage: str, year: int) -> int:
    valid = years(mineral, stage)
    if int(year) not in valid:
        raise UnknownChoiceError(f"year for {mineral} {stage}", year, valid or ["none: no data for this stage"])
    return int(year)


def names() -> dict[str, str]:
    """ISO3 -> name from ``regions``."""
    regions = load("regions")
    return dict(zip(regions["iso3"].astype(str), regions["name"].astype(str)))


def check_country(iso3: str) -> str:
    code = iso3.upper()
    known = names()
    if code not in known:
        raise UnknownChoiceError("country", iso3, sorted(known))
    return code


def source_list(rows: pd.DataFrame) -> list[dict]:
    """Distinct provenance of ``rows`` joined with ``sources``: one entry per (source, table)."""
    if rows.empty:
        return []
    catalogue = load("sources").set_index("source")
    used = rows[["source", "table", "source_year"]].drop_duplicates().sort_values(["source", "table"])
    out = []
    for r in used.itertuples(index=False):
        meta = catalogue.loc[r.source] if r.source in catalogue.index else None
        out.append(
            {
                "source": r.source,
                "title": None if meta is None else meta["title"],
                "table": r.table,
                "source_year": int(r.source_year),
                "licence": None if meta is None else meta["licence"],
                "estimate_rows": int(rows.loc[(rows["source"] == r.source) & (rows["table"] == r.table), "estimate"].astype(bool).sum()),
            }
        )
    return out


@dataclass(frozen=True)
class StageView:
    """Who produces one mineral at one stage in one year, with totals and provenance.

    ``countries`` has columns iso3, name, quantity (NaN where only shares are published),
    share (0-1 of the published world total, as the source states it), estimate.
    ``world_total`` is the published world total (the sum of rows when none is published);
    ``residual`` = sum of country quantities - world total (a self-check in ``unit``: the
    source's rounding; None without quantities).
    """

    mineral: str
    stage: str
    year: int | None
    coverage: str
    unit: str
    basis: str
    note: str
    countries: pd.DataFrame
    world_total: float | None
    residual: float | None
    sources: list[dict] = field(default_factory=list)


def stage_view(mineral: str, stage: str, year: int | None) -> StageView:
    """Quantities and shares by country; an ``empty`` stage gives a view with no countries
    (and accepts ``year=None``: it has no years)."""
    row = stage_row(mineral, stage)
    coverage = str(row["coverage"])
    meta = dict(unit=str(row.get("unit", "") or ""), basis=str(row.get("basis", "") or ""), note=str(row.get("note", "") or ""))
    empty = pd.DataFrame(columns=["iso3", "name", "quantity", "share", "estimate"])
    if coverage == "empty":
        return StageView(mineral, stage, None if year is None else int(year), coverage, countries=empty,
                         world_total=None, residual=None, **meta)
    year = check_year(mineral, stage, year)
    label = names()
    if coverage == "quantities":
        prod = load("production")
        rows = prod[(prod["mineral"] == mineral) & (prod["stage"] == stage) & (prod["year"] == year)]
        q = rows.set_index("iso3")["quantity"].astype(float)
        totals = load("world_totals")
        t = totals[(totals["mineral"] == mineral) & (totals["stage"] == stage) & (totals["year"] == year)]
        world = float(t["quantity"].iloc[0]) if not t.empty else float(q.sum())
        residual = float(q.sum()) - world
        share = shares(q, total=world)
        frame = pd.DataFrame({"iso3": q.index, "quantity": q.values})
        sourced = pd.concat([rows, t], ignore_index=True) if not t.empty else rows
    else:
        tab = load("stage_shares")
        rows = tab[(tab["mineral"] == mineral) & (tab["stage"] == stage) & (tab["year"] == year)]
        share = rows.set_index("iso3")["share"].astype(float)
        frame = pd.DataFrame({"iso3": share.index, "quantity": float("nan")})
        world, residual, sourced = None, None, rows
    frame["share"] = frame["iso3"].map(share)
    frame["estimate"] = frame["iso3"].map(rows.set_index("iso3")["estimate"].astype(bool))
    frame["name"] = frame["iso3"].map(lambda c: label.get(c, c))
    order = list(ranked(frame.set_index("iso3")["share"]).index)
    frame = frame.set_index("iso3").loc[order].reset_index()[["iso3", "name", "quantity", "share", "estimate"]]
    return StageView(
        mineral, stage, year, coverage, countries=frame, world_total=world, residual=residual,
        sources=source_list(sourced), **meta,
    )
