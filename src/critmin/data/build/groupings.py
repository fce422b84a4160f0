"""Build ``blocs`` and ``bloc_members``: country groupings with a dated, cited row per member.

The groupings are transcribed from the documents named in ``SOURCES`` (each verified when the
table was compiled; see docs/decisions/0007-groupings-and-literature-shares.md). ``joined`` is the
date of the signature/accession in the source, or, where marked ``estimate``, the date of the
earliest verified document that lists the country as a member (a "member by" date).
``EUU`` stands for the European Union / European Commission where it takes part as such.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmin.data.build.common import with_provenance
from critmin.data.build.trade import country_iso3
from critmin.errors import DataError

NEWS_TERMS = "News report; facts cited with attribution (no text reproduced)"
GOV_TERMS = "Public government statement; facts cited with attribution"

#: source id -> (title, publisher, url, licence, year, note)
SOURCES: dict[str, tuple[str, str, str, str, int, str]] = {
    "state_ministerial_2026": (
        "White House convenes 54 nations to counter China's rare earths dominance (U.S. State Department statement on the 2026 Critical Minerals Ministerial)",
        "WorldTribune (reporting the U.S. Department of State)", "https://www.worldtribune.com/", NEWS_TERMS, 2026,
        "5 Feb 2026; copy in ../shared/seeds/004_4cb11fe10d4516d6.txt. Lists the 54 delegations plus the European Commission and the 11 bilateral frameworks/MOUs signed on 4 Feb 2026.",
    ),
    "critmin_forge_assumption": (
        "critmin planning assumption: FORGE membership", "critmin developers",
        "docs/decisions/0007-groupings-and-literature-shares.md", "MIT (critmin)", 2026,
        "FORGE = ministerial participants + USA + the EU27 (the European Commission attended for the EU; trade policy is an exclusive EU competence). Not an official membership list.",
    ),
    "ustr_japan_cma_2023": (
        "United States and Japan Sign Critical Minerals Agreement", "Office of the U.S. Trade Representative",
        "https://ustr.gov/about-us/policy-offices/press-office/press-releases/2023/march/united-states-and-japan-sign-critical-minerals-agreement",
        GOV_TERMS, 2023, "Signed 28 Mar 2023 in Washington.",
    ),
    "kyivindependent_ukraine_2025": (
        "The full text of the US-Ukraine minerals agreement", "Kyiv Independent",
        "https://kyivindependent.com/the-full-text-of-the-us-ukraine-minerals-agreement", NEWS_TERMS, 2025,
        "Agreement on the establishment of a United States-Ukraine Reconstruction Investment Fund, signed 30 Apr 2025.",
    ),
    "allens_australia_2025": (
        "Securing critical supply: a milestone in critical minerals and rare earth cooperation", "Allens",
        "https://www.allens.com.au/insights-news/insights/2025/10/securing-critical-supply-a-milestone-in-critical-minerals-and-rare-earth-cooperation",
        NEWS_TERMS, 2025, "United States-Australia Framework for Securing of Supply in the Mining and Processing of Critical Minerals and Rare Earths, signed 20 Oct 2025.",
    ),
    "thestar_malaysia_2025": (
        "US, Malaysia forge new path in critical minerals cooperation with MOU", "The Star (Malaysia)",
        "https://www.thestar.com.my/news/nation/2025/10/26/us-malaysia-forge-new-path-in-critical-minerals-cooperation-with-mou",
        NEWS_TERMS, 2025, "MOU concerning cooperation to diversify global critical minerals supply chains, signed 26 Oct 2025 in Kuala Lumpur.",
    ),
    "nation_thailand_2025": (
        "Thailand and US sign critical minerals MOU", "The Nation (Thailand)",
        "https://www.nationthailand.com/business/economy/40057378", NEWS_TERMS, 2025,
        "MOU on Cooperation to Diversify Global Critical Minerals Supply Chains and Promote Investments, signed 26 Oct 2025 in Kuala Lumpur.",
    ),
    "mealeys_japan_2025": (
        "US, Japan Sign Critical Minerals Agreement", "Mealey's (LexisNexis)",
        "https://www.mealeys.com/tax-authority/international/articles/2404579/us-japan-sign-critical-minerals-agreement",
        NEWS_TERMS, 2025, "Framework for securing the supply of critical minerals and rare earths, signed Tuesday 28 Oct 2025 in Tokyo.",
    ),
    "astanatimes_kazakhstan_2025": (
        "Kazakhstan, US Sign Landmark Memorandum on Critical Minerals Cooperation", "The Astana Times",
        "https://astanatimes.com/2025/11/kazakhstan-us-sign-landmark-memorandum-on-critical-minerals-cooperation/",
        NEWS_TERMS, 2025, "MOU signed 6 Nov 2025 in Washington.",
    ),
    "aawsat_saudi_2025": (
        "Saudi-US partnership to secure supply chains of uranium and critical minerals", "Asharq Al-Awsat",
        "https://english.aawsat.com/business/5210450-saudi-us-partnership-secure-supply-chains-uranium-and-critical-minerals",
        NEWS_TERMS, 2025, "Strategic Framework for Cooperation on supply chains for uranium, metals, permanent magnets and critical minerals, signed at the White House visit of Tuesday 18 Nov 2025.",
    ),
    "egmont_drc_rwanda_2025": (
        "The Washington agreements: peace for business is not enough", "Egmont Institute",
        "https://www.egmontinstitute.be/the-washington-agreements-peace-for-business-is-not-enough",
        NEWS_TERMS, 2025, "4 Dec 2025: U.S.-DRC Strategic Partnership Agreement and U.S.-Rwanda Framework for Shared Economic Prosperity (minerals access and processing).",
    ),
    "msp_launch_2022": (
        "EU establishes Minerals Security Partnership with 10 other Nations (U.S. State Department media note of 14 Jun 2022)",
        "CRM Alliance", "https://www.crmalliance.eu/post/eu-establishes-minerals-security-partnership-with-10-other-nations",
        NEWS_TERMS, 2022, "Founding partners announced 14 Jun 2022 at PDAC, Toronto.",
    ),
    "msp_joint_statement_2024": (
        "Joint Statement of the Minerals Security Partnership (Toronto principals' meeting, 3 Mar 2024)",
        "U.S. Department of State (as republished by Breaking News International)",
        "https://breakingnewsinternational.com/world-news/joint-statement-of-the-minerals-security-partnership/",
        GOV_TERMS, 2024, "Lists the 14 partner countries and the EU; welcomes Estonia as the newest partner.",
    ),
    "asiaone_pax_silica_2025": (
        "Singapore joins US-led Pax Silica framework", "AsiaOne",
        "https://www.asiaone.com/singapore/pax-silica-usa-singapore-joins-artificial-intelligence", NEWS_TERMS, 2025,
        "Pax Silica Declaration signed 12 Dec 2025 in Washington by Australia, Israel, Japan, Korea, Singapore, the UK and the US.",
    ),
    "thenational_pax_silica_2026": (
        "UAE joins US-led Pax Silica to boost AI goals", "The National (UAE)",
        "https://www.thenationalnews.com/future/technology/2026/01/14/uae-ai-pax-silica-us/", NEWS_TERMS, 2026,
        "UAE signed 14 Jan 2026 in Abu Dhabi; Qatar signed on Monday 12 Jan 2026. The State Department called the UAE the ninth signatory.",
    ),
    "europa_eu_countries": (
        "The 27 member countries of the EU, by year of entry", "European Union (europa.eu)",
        "https://europa.eu/about-eu/countries/index_en.htm", "(c) European Union, reuse authorised with attribution", 2020,
        "Entry dates 01/01/1973, 01/01/1981, 01/01/1986, 01/01/1995, 01/05/2004, 01/01/2007, 01/07/2013; UK left on 31 Jan 2020. "
        "Founders dated 1 Jan 1958 (EEC Treaty in force); the Commission's enlargement glossary "
        "(ec.europa.eu/regional_policy, glossary 'enlargement') gives the same years.",
    ),
    "hajnal_g7_1999": (
        "Summit meetings (book chapter on the G7/G8 summits, 1975-1999)", "Peter I. Hajnal (Taylor & Francis)",
        "https://www.taylorfrancis.com/chapters/edit/10.4324/9780429436406-2/summit-meetings-peter-hajnal", "Cited fact (book chapter)", 1999,
        "First summit at Rambouillet 15-17 Nov 1975 (France, US, UK, Germany, Japan, Italy); Canada joined at San Juan, 27-28 Jun 1976.",
    ),
    "eurostat_oecd_glossary": (
        "Glossary: Organisation for Economic Co-operation and Development (OECD)", "Eurostat (Statistics Explained)",
        "https://ec.europa.eu/eurostat/statistics-explained/index.php?title=Glossary:Organisation_for_Economic_Co-operation_and_Development_(OECD)",
        "(c) European Union, reuse authorised with attribution", 2021, "38 member states with the dates on which they ratified the OECD Convention.",
    ),
}

#: bloc -> (name, kind, date, description)
BLOCS: dict[str, tuple[str, str, str, str]] = {
    "ministerial_2026": ("2026 Critical Minerals Ministerial participants", "meeting", "2026-02-04",
                         "The 54 countries and the European Commission (EUU) whose delegations attended, plus the USA as host."),
    "forge": ("Forum on Resource Geostrategic Engagement (FORGE), planning membership", "planning_assumption", "2026-02-04",
              "PLANNING ASSUMPTION, not an official list: the ministerial participants, the USA and the 27 EU member states "
              "(the Commission attended for the EU, and trade policy is an exclusive EU competence)."),
    "us_bilateral_2026_02": ("US bilateral critical-minerals frameworks and MOUs signed on 4 Feb 2026", "bilateral_agreements", "2026-02-04",
                             "The 11 partners that signed with the USA at the ministerial (the USA itself is not listed)."),
    "us_bilateral": ("US bilateral critical-minerals agreements, frameworks and MOUs (documented)", "bilateral_agreements", "2026-02-04",
                     "Partners of the USA with a documented critical-minerals agreement, framework or MOU; joined = earliest such signature. "
                     "Not exhaustive: only agreements verified against a cited source (the USA itself is not listed)."),
    "msp": ("Minerals Security Partnership", "partnership", "2022-06-14",
            "US-led partnership launched 14 Jun 2022; FORGE is described as its successor (Feb 2026)."),
    "pax_silica": ("Pax Silica Declaration signatories", "declaration", "2025-12-12",
                   "Signatories of the Pax Silica Declaration (economic security of AI, semiconductor and critical-mineral supply chains), as of 14 Jan 2026."),
    "eu27": ("European Union (27 member states)", "union", "2020-02-01", "EU member states since the UK's withdrawal on 31 Jan 2020."),
    "g7": ("Group of Seven", "forum", "1976-06-27", "The seven member countries (the EU participates but is not counted as a member)."),
    "oecd": ("Organisation for Economic Co-operation and Development", "organisation", "1961-09-30", "The 38 member countries."),
}

#: ISO3 of the 54 delegations named in the ministerial statement (seed 004), in the order listed,
#: with the name used there; "the European Commission" is EUU, listed separately.
MINISTERIAL_2026: tuple[tuple[str, str], ...] = (
    ("Angola", "AGO"), ("Argentina", "ARG"), ("Armenia", "ARM"), ("Australia", "AUS"), ("Bahrain", "BHR"),
    ("Belgium", "BEL"), ("Bolivia", "BOL"), ("Brazil", "BRA"), ("Canada", "CAN"), ("Cook Islands", "COK"),
    ("the Czech Republic", "CZE"), ("the Democratic Republic of the Congo", "COD"), ("the Dominican Republic", "DOM"),
    ("Ecuador", "ECU"), ("Estonia", "EST"), ("Finland", "FIN"), ("France", "FRA"), ("Germany", "DEU"),
    ("Greece", "GRC"), ("Guinea", "GIN"), ("India", "IND"), ("Israel", "ISR"), ("Italy", "ITA"), ("Japan", "JPN"),
    ("Jordan", "JOR"), ("Kazakhstan", "KAZ"), ("Kenya", "KEN"), ("Lithuania", "LTU"), ("Malaysia", "MYS"),
    ("Mexico", "MEX"), ("Mongolia", "MNG"), ("Morocco", "MAR"), ("New Zealand", "NZL"), ("Norway", "NOR"),
    ("Oman", "OMN"), ("Pakistan", "PAK"), ("Paraguay", "PRY"), ("Peru", "PER"), ("Philippines", "PHL"),
    ("Poland", "POL"), ("Qatar", "QAT"), ("the Republic of Korea", "KOR"), ("Romania", "ROU"),
    ("Saudi Arabia", "SAU"), ("Sierra Leone", "SLE"), ("Singapore", "SGP"), ("Sweden", "SWE"), ("Thailand", "THA"),
    ("the Netherlands", "NLD"), ("Ukraine", "UKR"), ("the United Arab Emirates", "ARE"), ("the United Kingdom", "GBR"),
    ("Uzbekistan", "UZB"), ("Zambia", "ZMB"),
)

#: The 11 signed on 4 Feb 2026 (seed 004: "signed new bilateral critical minerals frameworks or MOUs with ...").
US_BILATERAL_2026_02: tuple[str, ...] = ("ARG", "COK", "ECU", "GIN", "MAR", "PRY", "PER", "PHL", "ARE", "GBR", "UZB")

#: Earlier US agreements: (iso3, date, source).
US_BILATERAL_EARLIER: tuple[tuple[str, str, str], ...] = (
    ("JPN", "2023-03-28", "ustr_japan_cma_2023"),
    ("UKR", "2025-04-30", "kyivindependent_ukraine_2025"),
    ("AUS", "2025-10-20", "allens_australia_2025"),
    ("MYS", "2025-10-26", "thestar_malaysia_2025"),
    ("THA", "2025-10-26", "nation_thailand_2025"),
    ("KAZ", "2025-11-06", "astanatimes_kazakhstan_2025"),
    ("SAU", "2025-11-18", "aawsat_saudi_2025"),
    ("COD", "2025-12-04", "egmont_drc_rwanda_2025"),
    ("RWA", "2025-12-04", "egmont_drc_rwanda_2025"),
)

MSP_FOUNDERS: tuple[str, ...] = ("USA", "AUS", "CAN", "FIN", "FRA", "DEU", "JPN", "KOR", "SWE", "GBR", "EUU")
#: Listed as partners in the 3 Mar 2024 joint statement; NOR, ITA, IND joined earlier on dates not verified.
MSP_LATER: tuple[tuple[str, bool], ...] = (("NOR", True), ("ITA", True), ("IND", True), ("EST", False))

PAX_SILICA: tuple[tuple[str, str, str], ...] = tuple(
    (iso3, "2025-12-12", "asiaone_pax_silica_2025") for iso3 in ("USA", "AUS", "ISR", "JPN", "KOR", "SGP", "GBR")
) + (("QAT", "2026-01-12", "thenational_pax_silica_2026"), ("ARE", "2026-01-14", "thenational_pax_silica_2026"))

EU27: dict[str, str] = {
    **dict.fromkeys(("BEL", "DEU", "FRA", "ITA", "LUX", "NLD"), "1958-01-01"),
    **dict.fromkeys(("DNK", "IRL"), "1973-01-01"),
    "GRC": "1981-01-01",
    **dict.fromkeys(("ESP", "PRT"), "1986-01-01"),
    **dict.fromkeys(("AUT", "FIN", "SWE"), "1995-01-01"),
    **dict.fromkeys(("CYP", "CZE", "EST", "HUN", "LVA", "LTU", "MLT", "POL", "SVK", "SVN"), "2004-05-01"),
    **dict.fromkeys(("BGR", "ROU"), "2007-01-01"),
    "HRV": "2013-07-01",
}

G7: dict[str, str] = {**dict.fromkeys(("FRA", "DEU", "ITA", "JPN", "GBR", "USA"), "1975-11-15"), "CAN": "1976-06-27"}

#: Dates of ratification of the OECD Convention (Eurostat glossary).
OECD: dict[str, str] = {
    "AUS": "1971-06-07", "AUT": "1961-09-29", "BEL": "1961-09-13", "CAN": "1961-04-10", "CHL": "2010-05-07",
    "COL": "2020-04-28", "CRI": "2021-05-25", "CZE": "1995-12-21", "DNK": "1961-05-30", "EST": "2010-12-09",
    "FIN": "1969-01-28", "FRA": "1961-08-07", "DEU": "1961-09-27", "GRC": "1961-09-27", "HUN": "1996-05-07",
    "ISL": "1961-06-05", "IRL": "1961-08-17", "ISR": "2010-09-07", "ITA": "1962-03-29", "JPN": "1964-04-28",
    "KOR": "1996-12-12", "LVA": "2016-07-01", "LTU": "2018-07-05", "LUX": "1961-12-07", "MEX": "1994-05-18",
    "NLD": "1961-11-13", "NZL": "1973-05-29", "NOR": "1961-07-04", "POL": "1996-11-22", "PRT": "1961-08-04",
    "SVK": "2000-12-14", "SVN": "2010-07-21", "ESP": "1961-08-03", "SWE": "1961-09-28", "CHE": "1961-09-28",
    "TUR": "1961-08-02", "GBR": "1961-05-02", "USA": "1961-04-12",
}


def _member(bloc: str, iso3: str, joined: str, source: str, table: str, estimate: bool = False) -> dict:
    return {"bloc": bloc, "iso3": iso3, "joined": joined, "source": source, "table": table, "estimate": estimate}


def member_rows() -> list[dict]:
    """One dict per (bloc, iso3) with its date and provenance, before validation."""
    seed = "seed 004: 'Delegations from the following countries attended'"
    ministerial = [_member("ministerial_2026", iso3, "2026-02-04", "state_ministerial_2026", seed) for _, iso3 in MINISTERIAL_2026]
    ministerial.append(_member("ministerial_2026", "EUU", "2026-02-04", "state_ministerial_2026", seed + " (the European Commission)"))
    ministerial.append(_member("ministerial_2026", "USA", "2026-02-04", "state_ministerial_2026", "seed 004: hosted by Secretary Rubio"))
    rows = list(ministerial)
    rows += [{**r, "bloc": "forge"} for r in ministerial]
    in_ministerial = {r["iso3"] for r in ministerial}
    rows += [
        _member("forge", iso3, "2026-02-04", "critmin_forge_assumption", "EU27 member state via the European Commission", estimate=True)
        for iso3 in sorted(EU27) if iso3 not in in_ministerial
    ]
    signed = "seed 004: 'signed new bilateral critical minerals frameworks or MOUs with'"
    feb = [_member("us_bilateral_2026_02", iso3, "2026-02-04", "state_ministerial_2026", signed) for iso3 in US_BILATERAL_2026_02]
    rows += feb
    rows += [{**r, "bloc": "us_bilateral"} for r in feb]
    rows += [_member("us_bilateral", iso3, date, src, SOURCES[src][5]) for iso3, date, src in US_BILATERAL_EARLIER]
    rows += [_member("msp", iso3, "2022-06-14", "msp_launch_2022", "founding partners") for iso3 in MSP_FOUNDERS]
    rows += [
        _member("msp", iso3, "2024-03-03", "msp_joint_statement_2024",
                "listed as partner (joined earlier; date not verified)" if member_by else "welcomed as the newest partner", estimate=member_by)
        for iso3, member_by in MSP_LATER
    ]
    rows += [_member("pax_silica", iso3, date, src, "signatory") for iso3, date, src in PAX_SILICA]
    rows += [_member("eu27", iso3, date, "europa_eu_countries", "member countries by year of entry") for iso3, date in EU27.items()]
    rows += [_member("g7", iso3, date, "hajnal_g7_1999", "chapter text: first summits and Canada's accession") for iso3, date in G7.items()]
    rows += [_member("oecd", iso3, date, "eurostat_oecd_glossary", "member states and ratification dates") for iso3, date in OECD.items()]
    return rows


def build_blocs() -> pd.DataFrame:
    rows = [{"bloc": b, "name": n, "kind": k, "date": d, "description": desc} for b, (n, k, d, desc) in BLOCS.items()]
    frame = pd.DataFrame(rows).sort_values("bloc", ignore_index=True)
    estimate = frame["bloc"].eq("forge")
    return with_provenance(frame, source="critmin", table="groupings defined in decision 0007", source_year=2026,
                           licence="MIT (critmin)", estimate=estimate)


def build_members(valid_iso3: set[str]) -> pd.DataFrame:
    """``bloc_members`` with provenance; every code must be a known ISO3 (or EUU)."""
    frame = pd.DataFrame(member_rows())
    unknown = sorted(set(frame["iso3"]) - valid_iso3 - {"EUU"})
    if unknown:
        raise DataError(f"groupings: field 'iso3': codes not among the known countries: {unknown}")
    duplicated = frame[frame.duplicated(["bloc", "iso3"], keep=False)]
    if not duplicated.empty:
        raise DataError(f"groupings: duplicated members: {duplicated[['bloc', 'iso3']].values.tolist()}")
    missing = sorted(set(frame["source"]) - set(SOURCES))
    if missing:
        raise DataError(f"groupings: field 'source': ids without a sources row: {missing}")
    frame = frame.sort_values(["bloc", "iso3"], ignore_index=True)
    parts = []
    for (source, table, estimate), part in frame.groupby(["source", "table", "estimate"], sort=False):
        parts.append(with_provenance(part[["bloc", "iso3", "joined"]], source=source, table=table,
                                     source_year=SOURCES[source][4], licence=SOURCES[source][3], estimate=bool(estimate)))
    return pd.concat(parts).sort_values(["bloc", "iso3"], ignore_index=True)


def sources() -> pd.DataFrame:
    cols = ("title", "publisher", "url", "licence", "source_year", "note")
    return pd.DataFrame([{"source": s, **dict(zip(cols, v))} for s, v in SOURCES.items()])


def build(raw: Path) -> dict[str, pd.DataFrame]:
    """Builder protocol: ``blocs``, ``bloc_members`` (ISO3 checked against BACI's list) and ``sources``."""
    valid = set(country_iso3(Path(raw)).values())
    return {"blocs": build_blocs(), "bloc_members": build_members(valid), "sources": sources()}
