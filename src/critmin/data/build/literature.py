"""Build ``stage_shares``: country shares of a stage where only shares are published.

Each figure was read in the document named in ``SOURCES`` (verified with the project's search tool
on 2026-11-22); the document, its section and the wording are in ``table``. Published percentages
are rounded to whole percent, so every row is flagged ``estimate``; rows derived by critmin (a
country implied by a published top-three total, or the residual ``ROW`` that makes a year's shares
sum to 1) say "derived" in ``table``. See docs/decisions/0007-groupings-and-literature-shares.md.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmin.data.build.common import with_provenance
from critmin.errors import DataError

NEWS_TERMS = "Cited figure with attribution (no text reproduced)"

#: source id -> (title, publisher, url, licence, year, note)
SOURCES: dict[str, tuple[str, str, str, str, int, str]] = {
    "iea_gcmo_2024": (
        "Global Critical Minerals Outlook 2024 (rare earth elements: refined production by country, 2023), as reported by SEAISI",
        "International Energy Agency; reported by the South East Asia Iron and Steel Institute",
        "https://seaisi.org/details/24787?type=news-rooms", "IEA report CC BY 4.0; news report cited", 2024,
        "SEAISI news of 3 Jun 2024: 'China, Malaysia, and Australia dominated the total REE refined output in 2023 with a 98% "
        "market share, with China representing 92%'; Malaysia 'a 5% share today'. Same figures in wayenind.com's summary.",
    ),
    "iea_commentary_2025": (
        "IEA commentary on export controls and critical mineral supply concentration (23 Oct 2025), as reported by Rare Earth Exchanges",
        "International Energy Agency; reported by Rare Earth Exchanges",
        "https://rareearthexchanges.com/news/the-mineral-chessboard-iea-sounds-alarm-as-china-tightens-its-grip", NEWS_TERMS, 2025,
        "24 Oct 2025: 'China accounts for 91 percent of global rare-earth separation, 94 percent of permanent-magnet manufacturing'.",
    ),
    "iea_gevo_2024": (
        "Global EV Outlook 2024, section 'Trends in electric vehicle batteries'", "International Energy Agency",
        "https://www.iea.org/reports/global-ev-outlook-2024/trends-in-electric-vehicle-batteries", "CC BY 4.0", 2024,
        "'China represents nearly 90% of global installed cathode active material manufacturing capacity and over 97% of anode "
        "active material manufacturing capacity today.' Capacity, not output: used as a proxy for production shares.",
    ),
    "crma_via_reuters_2023": (
        "Factbox: What are germanium and gallium? (Reuters, citing the Critical Raw Materials Alliance)", "Reuters, via CNA",
        "https://www.channelnewsasia.com/business/materials-germanium-gallium-china-export-restrictions-3604361", NEWS_TERMS, 2023,
        "4 Jul 2023: 'China produces around 60 per cent of the world's germanium, according to ... CRMA, with the rest coming from "
        "Canada, Finland, Russia and the United States.'",
    ),
    "usgs_myb_2017_cobalt": (
        "2017 Minerals Yearbook: Cobalt [advance release], by Kim B. Shedd", "U.S. Geological Survey",
        "https://www.usgs.gov/centers/national-minerals-information-center/cobalt-statistics-and-information",
        "Public domain (U.S. Government work); cite USGS", 2021,
        "Published Aug 2021, p. 19.1: 'world production of refined cobalt increased by 22% to 117,000 metric tons (table 9) ... "
        "China, where 64% of the world's refined cobalt was produced.' Read via the fdocuments.in transcript.",
    ),
}

#: (mineral, stage, year, source, [(iso3, share, table)]); "ROW" rows are added by build_shares.
PUBLISHED: tuple[tuple[str, str, int, str, tuple[tuple[str, float, str], ...]], ...] = (
    ("rare_earths", "refining", 2023, "iea_gcmo_2024", (
        ("CHN", 0.92, "refined REE output 2023: China 92% (published)"),
        ("MYS", 0.05, "refined magnet-REE output: Malaysia 5% 'today' (published)"),
        ("AUS", 0.01, "refined REE output 2023: Australia = top three 98% - 92% - 5% (derived)"),
    )),
    ("rare_earths", "refining", 2025, "iea_commentary_2025", (
        ("CHN", 0.91, "rare-earth separation: China 91% (published, Oct 2025)"),
    )),
    ("rare_earths", "components", 2025, "iea_commentary_2025", (
        ("CHN", 0.94, "permanent-magnet manufacturing: China 94% (published, Oct 2025)"),
    )),
    ("lithium", "components", 2024, "iea_gevo_2024", (
        ("CHN", 0.90, "cathode active material: 'nearly 90%' of installed manufacturing capacity (published, capacity basis)"),
    )),
    ("graphite", "components", 2024, "iea_gevo_2024", (
        ("CHN", 0.97, "anode active material: 'over 97%' of installed manufacturing capacity (published lower bound, capacity basis)"),
    )),
    ("cobalt", "refining", 2017, "usgs_myb_2017_cobalt", (
        ("CHN", 0.64, "p. 19.1 and table 9: refined cobalt 2017, China 64% (published)"),
    )),
    ("germanium", "refining", 2023, "crma_via_reuters_2023", (
        ("CHN", 0.60, "germanium production: China 'around 60 per cent' (published, CRMA)"),
    )),
)


def build_shares() -> pd.DataFrame:
    """``stage_shares`` rows: published shares plus a derived ROW residual per (mineral, stage, year)."""
    parts = []
    for mineral, stage, year, source, rows in PUBLISHED:
        frame = pd.DataFrame(
            [{"mineral": mineral, "stage": stage, "iso3": iso3, "year": year, "share": share, "table": table} for iso3, share, table in rows]
        )
        rest = round(1.0 - frame["share"].sum(), 6)
        if rest < -1e-9:
            raise DataError(f"literature: shares of {mineral}/{stage}/{year} from {source} sum above 1")
        if rest > 1e-9:
            frame.loc[len(frame)] = {"mineral": mineral, "stage": stage, "iso3": "ROW", "year": year, "share": rest,
                                     "table": "other countries: 1 - published shares (derived)"}
        for table, part in frame.groupby("table", sort=False):
            parts.append(with_provenance(part.drop(columns="table"), source=source, table=table,
                                         source_year=SOURCES[source][4], licence=SOURCES[source][3], estimate=True))
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["mineral", "stage", "iso3", "year"], ignore_index=True)


def sources() -> pd.DataFrame:
    cols = ("title", "publisher", "url", "licence", "source_year", "note")
    return pd.DataFrame([{"source": s, **dict(zip(cols, v))} for s, v in SOURCES.items()])


def build(raw: Path) -> dict[str, pd.DataFrame]:
    """Builder protocol: ``stage_shares`` and its ``sources``. ``raw`` is unused (figures come from reports)."""
    return {"stage_shares": build_shares(), "sources": sources()}
