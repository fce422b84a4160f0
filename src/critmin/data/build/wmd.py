"""World Mining Data: production 2018-2023 (and 2024 where USGS has no series), and the
WMD-versus-USGS 2024 cross-check.

USGS MCS 2026 is the series for the years it covers (2024, 2025e); WMD fills every earlier
year and every (mineral, stage, year) that USGS does not publish (copper mine output,
germanium, titanium mineral concentrates, platinum 2024). WMD 2024 figures that USGS also
publishes are not shipped as production: they go to ``production_crosscheck``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from critmin.data.build import usgs
from critmin.data.build.common import with_provenance
from critmin.data.build.reference import CRITMIN_LICENCE, wmd_iso3
from critmin.errors import DataError

SOURCE = "wmd_2026"
LICENCE = "Cite 'World Mining Data'; raw tables not redistributed, only derived series"
YEAR = 2026
FILE = "world-mining-data/production_2018_2024.csv"

# Standard atomic weights (IUPAC 2021, abridged): oxide -> element content factors.
_LI, _NB, _TA, _O = 6.94, 92.906, 180.95, 15.999
LI2O_TO_LI = 2 * _LI / (2 * _LI + _O)
NB2O5_TO_NB = 2 * _NB / (2 * _NB + 5 * _O)
TA2O5_TO_TA = 2 * _TA / (2 * _TA + 5 * _O)


@dataclass(frozen=True)
class Series:
    commodity: str  # WMD commodity name
    unit_in: str  # WMD unit column value
    mineral: str
    stage: str
    unit: str  # shipped unit (same as USGS for the same mineral and stage)
    factor: float  # WMD unit -> shipped unit
    conversion: str = ""


SERIES: tuple[Series, ...] = (
    Series("Rare Earths (REO)", "metr. t", "rare_earths", "mining", "t REO", 1.0),
    Series("Lithium (Li2O)", "metr. t", "lithium", "mining", "t Li content", LI2O_TO_LI,
           f"Li2O content x {LI2O_TO_LI:.5f} (2 Li / Li2O) = Li content"),
    Series("Cobalt", "metr. t", "cobalt", "mining", "t Co content", 1.0),
    Series("Nickel", "metr. t", "nickel", "mining", "t Ni content", 1.0),
    Series("Graphite", "metr. t", "graphite", "mining", "t natural graphite", 1.0),
    Series("Manganese", "metr. t", "manganese", "mining", "t Mn content", 1.0),
    Series("Copper", "metr. t", "copper", "mining", "t Cu content", 1.0),
    Series("Gallium", "metr. t", "gallium", "refining", "t Ga content", 1.0),
    Series("Germanium", "metr. t", "germanium", "refining", "t Ge content", 1.0),
    Series("Antimony", "metr. t", "antimony", "mining", "t Sb content", 1.0),
    Series("Tungsten (W)", "metr. t", "tungsten", "mining", "t W content", 1.0),
    Series("Platinum", "kg", "platinum", "mining", "t Pt", 0.001, "kg / 1000"),
    Series("Palladium", "kg", "palladium", "mining", "t Pd", 0.001, "kg / 1000"),
    Series("Vanadium (V)", "metr. t", "vanadium", "mining", "t V content", 1.0),
    Series("Niobium (Nb2O5)", "metr. t", "niobium", "mining", "t Nb content", NB2O5_TO_NB,
           f"Nb2O5 content x {NB2O5_TO_NB:.5f} (2 Nb / Nb2O5) = Nb content"),
    Series("Tantalum (Ta2O5)", "metr. t", "tantalum", "mining", "t Ta content", TA2O5_TO_TA,
           f"Ta2O5 content x {TA2O5_TO_TA:.5f} (2 Ta / Ta2O5) = Ta content"),
    Series("Titanium (TiO2)", "metr. t", "titanium", "mining", "t TiO2 content", 1.0),
    Series("Tin", "metr. t", "tin", "mining", "t Sn content", 1.0),
)

#: Relative tolerance of WMD world totals: WMD did not update its 'Total' rows after revising
#: some 2020-2022 country figures (largest gap among the shipped series: rare earths 2022,
#: 0.62%), so totals are checked to 1%.
WMD_TOTAL_TOLERANCE = 0.01


def read(raw: Path) -> pd.DataFrame:
    path = raw / FILE
    if not path.is_file():
        raise DataError(f"raw file missing: {path}")
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    missing = {"commodity", "country", "iso3", "year", "quantity", "unit", "flag"} - set(frame.columns)
    if missing:
        raise DataError(f"{path}: missing columns {sorted(missing)}")
    return frame


def _series(frame: pd.DataFrame, spec: Series) -> pd.DataFrame:
    rows = frame[frame["commodity"] == spec.commodity]
    if rows.empty:
        raise DataError(f"{FILE}: field 'commodity' (value {spec.commodity!r}): not found")
    bad = rows[rows["unit"] != spec.unit_in]
    if not bad.empty:
        raise DataError(f"{FILE}: {spec.commodity}: field 'unit' (value {bad['unit'].iloc[0]!r}): expected {spec.unit_in!r}")
    if rows["quantity"].isna().any():
        raise DataError(f"{FILE}: {spec.commodity}: field 'quantity' has empty values")
    table = f"{FILE}: {spec.commodity} ({spec.unit_in})" + (f"; {spec.conversion}" if spec.conversion else "")
    out = pd.DataFrame({
        "mineral": spec.mineral, "stage": spec.stage, "year": rows["year"].astype(int),
        "iso3": [wmd_iso3(c, i) for c, i in zip(rows["country"], rows["iso3"])],
        "quantity": rows["quantity"] * spec.factor, "unit": spec.unit, "table": table,
        "estimate": rows["flag"].eq("e"),
    })
    return out


def _split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Country rows and world totals ('Total' rows, coded DELETE in the raw file)."""
    is_total = frame["iso3"] == "DELETE"
    world = frame[is_total].drop(columns="iso3")
    world = world.assign(tolerance=world["quantity"] * WMD_TOTAL_TOLERANCE)
    return frame[~is_total], world


def build(raw: Path) -> dict[str, pd.DataFrame]:
    """production and world_totals for years USGS does not cover, and the 2024 cross-check."""
    frame = read(raw)
    covered = usgs.coverage()
    parts = [_series(frame, spec) for spec in SERIES]
    data = pd.concat(parts, ignore_index=True)
    key = list(zip(data["mineral"], data["stage"], data["year"]))
    in_usgs = pd.Series([k in covered for k in key], index=data.index)
    countries, world = _split(data[~in_usgs])
    countries = usgs.add_residual_rows(countries, world)
    cross = crosscheck(data[in_usgs & data["year"].eq(2024)], usgs.build(raw))
    prov = dict(source=SOURCE, source_year=YEAR, licence=LICENCE)
    return {
        "production": with_provenance(countries, table="", estimate=countries["estimate"], **prov).assign(table=countries["table"]),
        "world_totals": with_provenance(world, table="", estimate=world["estimate"], **prov).assign(table=world["table"]),
        "production_crosscheck": cross,
        "recycling_rates": recycling_rates(raw),
    }


def crosscheck(wmd_2024: pd.DataFrame, usgs_tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """WMD 2024 next to USGS MCS 2026 (2024 column), per country and for the world (WLD)."""
    countries, world = _split(wmd_2024)
    wmd = pd.concat([countries, world.assign(iso3="WLD")])
    u_prod = usgs_tables["production"]
    u_world = usgs_tables["world_totals"].assign(iso3="WLD")
    u = pd.concat([u_prod, u_world])
    u = u[u["year"] == 2024]
    keys = ["mineral", "stage", "year", "iso3"]
    merged = pd.merge(
        u[keys + ["unit", "quantity"]].rename(columns={"quantity": "usgs"}),
        wmd[keys + ["quantity"]].rename(columns={"quantity": "wmd"}),
        on=keys, how="outer",
    )
    merged["unit"] = merged.groupby(["mineral", "stage"])["unit"].transform("first")
    merged["wmd_over_usgs"] = (merged["wmd"] / merged["usgs"]).where(merged["usgs"] > 0).round(4)
    merged = merged.sort_values(keys, ignore_index=True)
    return with_provenance(
        merged, source="critmin", source_year=2026, licence=CRITMIN_LICENCE,
        table="usgs_mcs_2026 world_production 2024 vs wmd_2026 production_2018_2024.csv 2024",
    )


COMMODITY_MAP = "world-mining-data/commodity_map.csv"

#: commodity_map.csv sheet -> mineral
RECYCLING_SHEETS: dict[str, str] = {
    "Antimony": "antimony", "Cobalt": "cobalt", "Copper": "copper", "Gallium": "gallium",
    "Germanium": "germanium", "Graphite": "graphite", "Lithium (Li2O)": "lithium",
    "Manganese": "manganese", "Nickel": "nickel", "Niobium (Nb2O5)": "niobium",
    "Palladium": "palladium", "Platinum": "platinum", "Rare Earths (REO)": "rare_earths",
    "Tantalum (Ta2O5)": "tantalum", "Tin": "tin", "Titanium (TiO2)": "titanium",
    "Tungsten (W)": "tungsten", "Vanadium (V)": "vanadium",
}


def recycling_rates(raw: Path) -> pd.DataFrame:
    """World end-of-life recycling input rates (EoL-RIR, 2023) per mineral, from the SCRREEN2
    factsheets as compiled in commodity_map.csv. The reference URL is checked to name the
    mineral's factsheet; where it does not (or is missing) the row says so in ``note``."""
    path = raw / COMMODITY_MAP
    if not path.is_file():
        raise DataError(f"raw file missing: {path}")
    cmap = pd.read_csv(path, keep_default_na=False, na_values=[""])
    rows = []
    for sheet, mineral in RECYCLING_SHEETS.items():
        match = cmap[cmap["sheet"] == sheet]
        if len(match) != 1:
            raise DataError(f"{COMMODITY_MAP}: field 'sheet' (value {sheet!r}): expected exactly one row")
        r = match.iloc[0]
        rate = float(r["eol_recycling_input_rate_2023"])
        if not 0.0 <= rate <= 1.0:
            raise DataError(f"{COMMODITY_MAP}: {sheet}: field 'eol_recycling_input_rate_2023' (value {rate}): not in [0, 1]")
        url = r["reference_url"] if isinstance(r["reference_url"], str) else ""
        stem = sheet.split(" ")[0].upper()
        aliases = {"RARE": "REE", "PALLADIUM": "PGM", "PLATINUM": "PGM"}
        if not url.startswith("http"):
            note = "no factsheet URL in the raw map: figure not traceable to a factsheet"
        elif aliases.get(stem, stem) not in url.upper():
            note = f"raw reference_url names another factsheet ({url.rsplit('/', 1)[-1]}): figure not verified"
        else:
            note = ""
        rows.append({"mineral": mineral, "year": 2023, "eol_rir": rate, "reference_url": url, "note": note,
                     "estimate": bool(note)})
    frame = pd.DataFrame(rows)
    return with_provenance(frame, source="scrreen2_factsheets", source_year=2023,
                           licence="Cite SCRREEN2 factsheets", estimate=frame["estimate"],
                           table=f"{COMMODITY_MAP}: eol_recycling_input_rate_2023")
