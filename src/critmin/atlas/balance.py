"""Bloc share of world output, apparent consumption, self-sufficiency and import reliance.

For a group G (one country or a bloc), mineral m, stage s, year t, all in the stage's unit:

    production P   = sum of members' production (members not itemised by the source count 0)
    imports I      = trade into G from non-members;  exports X = trade from G to non-members
    apparent consumption C = P + I - X
    self-sufficiency       = P / C
    net import reliance    = (I - X) / C          (USGS MCS definition, as a share of C)

Trade is tonnes of *product* (gross weight) while production is in content units, so a
balance is only computed where every HS code of (m, s) has a documented content factor into
the stage's unit (``CONTENT``); otherwise :class:`NoDataError` says why. See docs/atlas.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from critmin.atlas.concentration import OTHER
from critmin.atlas.tables import NoDataError, StageView
from critmin.atlas.trade import mineral_flows, trade_years

#: HS6 code -> (stage unit it converts into, tonnes of content per tonne of product, why).
#: Only codes whose gross weight *is* the content unit are listed: the natural-graphite codes
#: (USGS MCS 2026 graphite and WMD report natural graphite in metric tons of graphite, the
#: same gross material BACI weighs under HS 2504). Ores, concentrates, compounds and mixed
#: baskets have variable grades, so no factor is claimed for them.
CONTENT: dict[str, tuple[str, float, str]] = {
    "250410": ("t natural graphite", 1.0, "HS 2504 quantities are tonnes of natural graphite, the unit of graphite mine production"),
    "250490": ("t natural graphite", 1.0, "HS 2504 quantities are tonnes of natural graphite, the unit of graphite mine production"),
}


def bloc_share(view: StageView, members: Iterable[str]) -> float:
    """Members' share (0-1) of world output of the view (ROW is never a member)."""
    share = view.countries.set_index("iso3")["share"]
    inside = sorted(m for m in set(members) if m != OTHER and m in share.index)  # fixed order: same bytes
    return float(share.loc[inside].sum())


@dataclass(frozen=True)
class Balance:
    """Apparent-consumption balance of a group; every figure in ``unit``.

    ``check`` = production + imports - exports - apparent_consumption (0 up to float error).
    """

    members: tuple[str, ...]
    mineral: str
    stage: str
    year: int
    unit: str
    production: float
    imports: float
    exports: float
    apparent_consumption: float
    self_sufficiency: float
    net_import_reliance: float
    hs6: tuple[str, ...]
    missing_quantity_rows: int
    check: float


def content_flows(mineral: str, stage: str, unit: str) -> pd.DataFrame:
    """Trade rows of (mineral, stage) with ``content`` in ``unit``; NoDataError if not convertible."""
    rows = mineral_flows(mineral, stage)
    codes = sorted(str(h) for h in rows["hs6"].unique())
    lacking = [c for c in codes if c not in CONTENT or CONTENT[c][0] != unit]
    if lacking:
        raise NoDataError(
            f"{mineral} {stage}: trade quantities (gross weight of HS {', '.join(lacking)}) cannot be "
            f"converted to '{unit}' without a grade; no balance is computed (docs/atlas.md)"
        )
    rows = rows.copy()
    rows["content"] = rows["quantity_t"].astype(float) * rows["hs6"].map(lambda c: CONTENT[c][1])
    return rows


def balance(view: StageView, members: Iterable[str]) -> Balance:
    """Apparent consumption of the group ``members`` for the view's mineral, stage and year."""
    if view.coverage != "quantities":
        raise NoDataError(f"{view.mineral} {view.stage}: production coverage is '{view.coverage}', no quantities to balance")
    group = sorted(set(members))
    rows = content_flows(view.mineral, view.stage, view.unit)
    year = view.year
    if year not in trade_years(rows):
        raise NoDataError(f"{view.mineral} {view.stage}: no trade data for {year} (BACI years: {trade_years(rows)[0]}-{trade_years(rows)[-1]})")
    rows = rows[rows["year"] == year]
    inbound = rows[rows["importer"].isin(group) & ~rows["exporter"].isin(group)]
    outbound = rows[rows["exporter"].isin(group) & ~rows["importer"].isin(group)]
    q = view.countries.set_index("iso3")["quantity"].astype(float)
    production = float(q.reindex([m for m in group if m != OTHER]).fillna(0.0).sum())
    imports, exports = float(inbound["content"].sum()), float(outbound["content"].sum())
    consumption = production + imports - exports
    if consumption <= 0:
        raise NoDataError(f"{view.mineral} {view.stage} {year}: apparent consumption of the group is {consumption:g} {view.unit} (not positive)")
    missing = int(pd.concat([inbound, outbound])["quantity_t"].isna().sum())
    return Balance(
        members=tuple(group), mineral=view.mineral, stage=view.stage, year=year, unit=view.unit,
        production=production, imports=imports, exports=exports, apparent_consumption=consumption,
        self_sufficiency=production / consumption, net_import_reliance=(imports - exports) / consumption,
        hs6=tuple(sorted(rows["hs6"].unique())), missing_quantity_rows=missing,
        check=production + imports - exports - consumption,
    )


def country_balances(view: StageView) -> pd.DataFrame:
    """Every country's balance for the view (production or trade in the year): columns iso3,
    production, imports, exports, apparent_consumption, self_sufficiency, net_import_reliance.
    Countries with non-positive apparent consumption get NaN ratios (e.g. pure re-exporters)."""
    if view.coverage != "quantities":
        raise NoDataError(f"{view.mineral} {view.stage}: production coverage is '{view.coverage}', no quantities to balance")
    rows = content_flows(view.mineral, view.stage, view.unit)
    if view.year not in trade_years(rows):
        raise NoDataError(f"{view.mineral} {view.stage}: no trade data for {view.year}")
    rows = rows[(rows["year"] == view.year) & (rows["exporter"] != rows["importer"])]
    production = view.countries.set_index("iso3")["quantity"].astype(float).drop(labels=[OTHER], errors="ignore")
    frame = pd.DataFrame({
        "production": production,
        "imports": rows.groupby("importer")["content"].sum(),
        "exports": rows.groupby("exporter")["content"].sum(),
    }).fillna(0.0)
    frame["apparent_consumption"] = frame["production"] + frame["imports"] - frame["exports"]
    positive = frame["apparent_consumption"] > 0
    frame["self_sufficiency"] = (frame["production"] / frame["apparent_consumption"]).where(positive)
    frame["net_import_reliance"] = ((frame["imports"] - frame["exports"]) / frame["apparent_consumption"]).where(positive)
    return frame.rename_axis("iso3").reset_index().sort_values("iso3", ignore_index=True)
