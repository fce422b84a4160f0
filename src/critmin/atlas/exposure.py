"""Exposure of an importer (country or bloc) to one supplier, directly and through the chain.

For each stage at which the mineral is traded (BACI), with x_o the share of origin o in the
importer's imports (value basis by default) and s the supplier:

    direct  = x_s
    chain   = x_s + sum_{o != s} x_o * d_os

where d_os is the share of o's feed that was mined in s. BACI does not say where the ore
refined in o came from, and the dataset has no refinery volumes by country, so critmin uses
the *world-pool* assumption d_os = m_s, the supplier's share of world mine production in the
same year (an estimate, flagged as such), and reports the bounds it cannot narrow:
low = x_s (no refiner uses the supplier's ore) and high = x_s + sum_{o != s} x_o when the
supplier mines the mineral at all. For ores and concentrates (stage ``mining``) there is no
upstream stage, so chain = direct. Method and limits: docs/atlas.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from critmin.atlas.tables import StageView, stage_row, stage_view, years
from critmin.atlas.trade import direct_exposure, import_sources


@dataclass(frozen=True)
class StageExposure:
    """Exposure through imports at one traded stage; shares in 0-1.

    ``chain`` and ``chain_high`` are None (with ``note``) when the year has no world mine
    production to attribute upstream origins; ``direct`` is always given.
    """

    stage: str
    year: int
    basis: str
    total_imports: float
    direct: float
    chain: float | None
    chain_low: float
    chain_high: float | None
    upstream_share: float | None  # supplier's world mine share used for d_os (None at the mining stage)
    origins: pd.DataFrame  # exporter, amount, share, via_supplier (share x d_os)
    note: str | None = None


def upstream_view(mineral: str, year: int) -> StageView | None:
    """World mine production of the year, or None when mining has no data for that year."""
    if stage_row(mineral, "mining")["coverage"] == "empty" or int(year) not in years(mineral, "mining"):
        return None
    return stage_view(mineral, "mining", year)


def stage_exposure(rows: pd.DataFrame, importers: Iterable[str], supplier: str, year: int, basis: str = "value") -> StageExposure:
    """Exposure at the single stage of ``rows`` (trade rows of one mineral and one stage)."""
    stages = rows["stage"].unique()
    if len(stages) != 1:
        raise ValueError(f"rows must hold one stage, got {sorted(stages)}")
    stage, mineral = str(stages[0]), str(rows["mineral"].iloc[0])
    sources = import_sources(rows, importers, year, basis=basis)
    x_s = direct_exposure(sources, supplier)
    others = sources["exporter"] != supplier
    note = None
    if stage == "mining":
        m_s, d, high = None, pd.Series(0.0, index=sources.index), x_s
    else:
        up = upstream_view(mineral, year)
        if up is None:
            m_s, d, high = None, pd.Series(float("nan"), index=sources.index), None
            note = f"no world mine production of {mineral} for {year}: exposure through the chain cannot be estimated"
        else:
            m_s = float(up.countries.set_index("iso3")["share"].get(supplier, 0.0))
            d = pd.Series(m_s, index=sources.index)
            high = min(1.0, x_s + (float(sources.loc[others, "share"].sum()) if m_s > 0 else 0.0))
    via = (sources["share"] * d).where(others, sources["share"])
    return StageExposure(
        stage=stage, year=int(year), basis=basis, total_imports=float(sources["amount"].sum()),
        direct=x_s, chain=None if note else float(via.sum()), chain_low=x_s, chain_high=high,
        upstream_share=m_s, origins=sources.assign(via_supplier=via), note=note,
    )
