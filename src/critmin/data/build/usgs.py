"""USGS Mineral Commodity Summaries 2026: world production 2024 and 2025e, reserves, prices.

The per-commodity JSON files were extracted from the PDFs by a third party, so every file is
checked against what we expect of it before a number is used: the units note, the label of
the world table, and (for copper and the platinum-group metals, whose tables the extraction
mixed up) an identity with another part of the same file. Each file is mapped to one stage
and converted to metric tons (see docs/decisions/0002-production-series.md).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from critmin.data.build.common import with_provenance
from critmin.data.build.reference import PRODUCTS, norm_name
from critmin.errors import DataError

SOURCE = "usgs_mcs_2026"
LICENCE = "Public domain (U.S. Government work); cite USGS"
YEAR = 2026
FOLDER = "usgs-mcs-2026"


@dataclass(frozen=True)
class WorldTable:
    """How to read one file's world production table."""

    slug: str
    mineral: str
    stage: str
    unit: str
    factor: float  # published unit -> metric tons
    units_note: str  # must occur in the file's units_note ("" = note absent in the extraction)
    label: str  # must occur in world_production_label
    reserves_factor: float | None = None  # published reserves unit -> metric tons (None = same as production)


TABLES: tuple[WorldTable, ...] = (
    WorldTable("rare-earths", "rare_earths", "mining", "t REO", 1.0, "metric tons, rare-earth-oxide (REO) equivalent", "Mine Production"),
    WorldTable("lithium", "lithium", "mining", "t Li content", 1.0, "metric tons, lithium content", "Mine Production"),
    WorldTable("cobalt", "cobalt", "mining", "t Co content", 1.0, "metric tons, cobalt content", "Mine Production"),
    WorldTable("nickel", "nickel", "mining", "t Ni content", 1.0, "metric tons, nickel content", "Mine Production"),
    WorldTable("graphite", "graphite", "mining", "t natural graphite", 1.0, "metric tons unless otherwise", "Mine Production"),
    WorldTable("manganese", "manganese", "mining", "t Mn content", 1000.0, "thousand metric tons", "Mine Production (manganese content)"),
    WorldTable("copper", "copper", "refining", "t Cu content", 1000.0, "thousand metric tons, copper content", "Refinery Production"),
    WorldTable("gallium", "gallium", "refining", "t Ga content", 0.001, "kilograms, gallium content", "Low-Purity Production"),
    WorldTable("antimony", "antimony", "mining", "t Sb content", 1.0, "metric tons, antimony content", "Mine Production"),
    WorldTable("tungsten", "tungsten", "mining", "t W content", 1.0, "metric tons, tungsten content", "Mine Production"),
    WorldTable("platinum-group-metals", "palladium", "mining", "t Pd", 0.001, "Palladium, platinum", "Mine Production"),
    WorldTable("vanadium", "vanadium", "mining", "t V content", 1.0, "metric tons, vanadium content", "Mine Production", reserves_factor=1000.0),
    WorldTable("niobium", "niobium", "mining", "t Nb content", 1.0, "metric tons, niobium content", "Mine Production"),
    WorldTable("tantalum", "tantalum", "mining", "t Ta content", 1.0, "metric tons, tantalum content", "Mine Production"),
    WorldTable("titanium", "titanium", "refining", "t Ti sponge", 1.0, "metric tons unless otherwise", "Sponge Metal Production"),
    WorldTable("tin", "tin", "mining", "t Sn content", 1.0, "", "Mine Production"),
)

#: (slug, price form) -> (product, unit as published, factor to USD per metric ton, basis)
PRICES: dict[tuple[str, str], tuple[str, str, float, str]] = {}
_LB, _OZT = 0.45359237, 0.0311034768  # kg per pound, kg per troy ounce


def _price(slug: str, form: str, product: str, unit: str, to_usd_per_t: float, basis: str) -> None:
    PRICES[(slug, form)] = (product, unit, to_usd_per_t, basis)


for _form, _product in (
    ("Lanthanum oxide, 99.5% minimum", "lanthanum_oxide"),
    ("Cerium oxide, 99.5% minimum", "cerium_oxide"),
    ("Mischmetal, 65% cerium, 35% lanthanum", "mischmetal"),
    ("Praseodymium oxide, 99.99% minimum", "praseodymium_oxide"),
    ("Neodymium oxide, 99.5% minimum", "neodymium_oxide"),
    ("Neodymium-praseodymium (NdPr) oxide, 99% minimum", "ndpr_oxide"),
    ("Samarium oxide, 99.5% minimum", "samarium_oxide"),
    ("Europium oxide, 99.99% minimum", "europium_oxide"),
    ("Gadolinium oxide, 99.99% minimum", "gadolinium_oxide"),
):
    _price("rare-earths", _form, _product, "USD/kg", 1000.0, f"{_form}; annual average, FOB China (Argus)")
_price("lithium", "Price, annual average-real, battery-grade lithium carbonate, dollars per metric ton", "lithium_carbonate",
       "USD/t", 1.0, "battery-grade lithium carbonate, annual average of spot and contract assessments (Benchmark)")
_price("cobalt", "U.S. spot, cathode", "cobalt_metal", "USD/lb", 1000 / _LB, "U.S. spot cathode (S&P Global Platts)")
_price("cobalt", "London Metal Exchange (LME), cash", "cobalt_metal_lme", "USD/lb", 1000 / _LB, "LME cash")
_price("nickel", "Dollars per metric ton", "nickel_metal", "USD/t", 1.0, "LME cash, annual average")
_price("graphite", "Flake", "graphite_flake", "USD/t", 1.0, "average unit value of U.S. imports at foreign ports")
_price("graphite", "Lump and chip (Sri Lanka)", "graphite_lump_chip", "USD/t", 1.0, "average unit value of U.S. imports at foreign ports")
_price("graphite", "Amorphous", "graphite_amorphous", "USD/t", 1.0, "average unit value of U.S. imports at foreign ports")
_price("manganese", "Price, average, manganese content, cost, insurance, and freight, China, dollars per metric ton unit",
       "manganese_ore", "USD/mtu Mn", 100.0, "44% Mn metallurgical ore, CIF China (CRU); usd_per_t is per t Mn content")
_price("copper", "U.S. producer, cathode (COMEX + premium)", "copper_cathode", "USc/lb", 10 / _LB, "U.S. producer cathode")
_price("copper", "COMEX, high-grade, first position", "copper_cathode_comex", "USc/lb", 10 / _LB, "COMEX high-grade, first position")
_price("copper", "London Metal Exchange, grade A, cash", "copper_cathode_lme", "USc/lb", 10 / _LB, "LME grade A, cash")
_price("gallium", "Price, average unit value of imports, dollars per kilogram", "gallium_metal", "USD/kg", 1000.0,
       "average customs value of U.S. imports of gallium metal (HTS 8112.92.1000)")
_price("germanium", "Germanium metal", "germanium_metal", "USD/kg", 1000.0, "99.999% minimum, European average (Argus)")
_price("germanium", "Germanium dioxide", "germanium_dioxide", "USD/kg", 1000.0, "European average (Argus)")
_price("antimony", "Price, metal, average, dollars per pound", "antimony_metal", "USD/lb", 1000 / _LB, "99.65% minimum, CIF (Argus)")
_price("tungsten", "Price, concentrate, average in-warehouse Rotterdam, dollars per dry metric ton unit of tungsten trioxide",
       "tungsten_concentrate", "USD/mtu WO3", 100.0, "in-warehouse Rotterdam (Argus); usd_per_t is per t WO3 (1 mtu WO3 = 10 kg WO3 = 7.93 kg W)")
_price("platinum-group-metals", "Palladium", "palladium_metal", "USD/ozt", 1000 / _OZT, "Engelhard unfabricated metal, annual average")
_price("platinum-group-metals", "Platinum", "platinum_metal", "USD/ozt", 1000 / _OZT, "Engelhard unfabricated metal, annual average")
_price("vanadium", "Price, average, vanadium pentoxide, dollars per pound", "vanadium_pentoxide", "USD/lb V2O5", 1000 / _LB,
       "98% V2O5, Chinese annual average (Argus); usd_per_t is per t V2O5")
_price("niobium", "Price, average unit value, ferroniobium, dollars per kilogram", "ferroniobium", "USD/kg", 1000.0,
       "weighted average unit value of U.S. ferroniobium trade, gross weight")
_price("tantalum", "Price, tantalite, annual average, dollars per kilogram of tantalum oxide (TaO) content", "tantalite",
       "USD/kg Ta2O5", 1000.0, "tantalite, per kg Ta2O5 content (CRU 2021, IREM 2022-24, Asian Metal 2025); usd_per_t is per t Ta2O5")
_price("titanium", "Price, dollars per kilogram", "titanium_sponge", "USD/kg", 1000.0, "sponge, U.S. import landed duty-paid value")
_price("titanium", "Price, dollars per metric ton", "titanium_dioxide_pigment", "USD/t", 1.0, "TiO2 pigment, U.S. import landed duty-paid value")
_price("tin", "New York dealer", "tin_metal", "USc/lb", 10 / _LB, "New York dealer (S&P Global Platts)")
_price("tin", "London Metal Exchange (LME), cash", "tin_metal_lme", "USc/lb", 10 / _LB, "LME cash")

#: Price quotes deliberately not shipped (a duplicate in another unit, or a metal outside the 18 minerals).
IGNORED_PRICES: frozenset[tuple[str, str]] = frozenset({
    ("nickel", "Dollars per pound"),
    ("platinum-group-metals", "Iridium"),
    ("platinum-group-metals", "Rhodium"),
    ("platinum-group-metals", "Ruthenium"),
})

#: Files read for prices (the world tables above plus germanium, which has no world table).
PRICE_SLUGS: tuple[str, ...] = tuple(dict.fromkeys([t.slug for t in TABLES] + ["germanium"]))

PRODUCT_MINERAL: dict[str, str] = {p[0]: p[1] for p in PRODUCTS}

_WORLD = "world total"
_OTHER = ("other", "other countries")


def load_json(raw: Path, slug: str) -> dict:
    path = raw / FOLDER / f"{slug}.json"
    if not path.is_file():
        raise DataError(f"raw file missing: {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def parse_number(text: str | None, where: str) -> tuple[float | None, str]:
    """Parse a published cell: returns (value, qualifier). '—' is zero; 'W', 'NA', '( )',
    'Small' are no value; '>1,000' is a lower bound."""
    raw = (text or "").strip()
    if raw in ("—", "-", "–"):
        return 0.0, ""
    if raw in ("", "W", "NA", "( )", "()", "Small", "XX"):
        return None, raw
    qualifier = ">" if raw.startswith(">") else ""
    digits = raw.lstrip(">").replace(",", "")
    if not re.fullmatch(r"\d+(\.\d+)?", digits):
        raise DataError(f"{where}: value {raw!r} is not a number")
    return float(digits), qualifier


def _check(spec: WorldTable, data: dict, path: str) -> None:
    note = data.get("units_note") or ""
    if spec.units_note and spec.units_note not in note:
        raise DataError(f"{path}: field 'units_note' (value {note!r}): expected it to contain {spec.units_note!r}")
    label = data.get("world_production_label") or ""
    if spec.label not in label:
        raise DataError(f"{path}: field 'world_production_label' (value {label!r}): expected {spec.label!r}")
    if (data.get("world_production_year_prev"), data.get("world_production_year_latest")) != ("2024", "2025"):
        raise DataError(f"{path}: world production years are not 2024/2025")


def _salient(data: dict, label: str, section: str, subsection: str | None) -> dict[str, float]:
    for row in data["salient_stats"]:
        if row["label"] == label and row["section"] == section and row["subsection"] == subsection:
            return row["values"]
    raise DataError(f"{data['slug']}.json: salient statistic {label!r} not found")


def _verify_copper(data: dict, rows: list[dict], path: str) -> None:
    """The copper world table is the refinery columns: U.S. row = primary + secondary refinery."""
    primary = _salient(data, "Primary (from ore)", "Production", "Refinery")
    secondary = _salient(data, "Secondary (from scrap)", "Production", "Refinery")
    us = next(r for r in rows if r["country"] == "United States")
    for key, year in (("production_prev_year", "2024"), ("production_latest_year", "2025e")):
        if abs(us[key] - (primary[year] + secondary[year])) > 0.5:
            raise DataError(f"{path}: United States {year} ({us[key]}) is not refinery production "
                            f"({primary[year]} + {secondary[year]}); the world table is not what we expect")


def _verify_pgm(rows: list[dict], path: str) -> None:
    """PGM: the 2025 column is palladium (it equals the palladium split on every row)."""
    for r in rows:
        pd_split = (r.get("sub_metal_production_latest") or {}).get("Palladium")
        if pd_split is None or abs(pd_split - r["production_latest_year"]) > 0.5:
            raise DataError(f"{path}: row {r['country']!r}: 2025 column is not the palladium split")


def _production(spec: WorldTable, data: dict, to_iso3, path: str) -> tuple[list[dict], list[dict]]:
    """Country rows (plus ROW) and world totals of one world table, in metric tons."""
    rows = data["world_production"]
    if spec.slug == "copper":
        _verify_copper(data, rows, path)
    if spec.slug == "platinum-group-metals":
        _verify_pgm(rows, path)
    prod, world = [], []
    for year, key in ((2024, "production_prev_raw"), (2025, "production_latest_raw")):
        series = [(spec.mineral, spec.unit, key, "Palladium")]
        if spec.slug == "platinum-group-metals" and year == 2025:
            series.append(("platinum", "t Pt", None, "Platinum"))
        for mineral, unit, column, metal in series:
            table = f"{spec.slug}.json: world_production ({data['world_production_label']}), {year}{'e' if year == 2025 else ''}"
            if column is None:
                table += f", {metal} split"
            found_world = None
            slack = 0.0  # summed rounding of the itemised rows
            for r in rows:
                where = f"{path}: country {r['country']!r}, {year}"
                if column is None:
                    value = (r.get("sub_metal_production_latest") or {}).get(metal)
                    qualifier = ""
                else:
                    value, qualifier = parse_number(r[column], where)
                if value is None:
                    continue  # withheld (W) or not available: excluded from the world total too
                if qualifier:
                    raise DataError(f"{where}: production value {qualifier!r} is a bound, not a figure")
                note = r.get("note") or ""
                footnotes = [data["footnotes"].get(n.strip(), "") for n in re.findall(r"\d+", note)]
                estimated = year == 2025 or any(f.startswith("Estimated") for f in footnotes)
                record = {"mineral": mineral, "stage": spec.stage, "year": year, "quantity": value * spec.factor,
                          "unit": unit, "table": table, "estimate": estimated}
                name = norm_name(r["country"])
                if name.startswith(_WORLD):
                    found_world = record | {"tolerance": rounding_tolerance(value) * spec.factor}
                    continue
                slack += rounding_tolerance(value) * spec.factor
                if name in _OTHER:
                    prod.append(record | {"iso3": "ROW"})
                else:
                    prod.append(record | {"iso3": to_iso3(r["country"], path)})
            if found_world is None:
                raise DataError(f"{path}: no 'World total' row for {year}")
            found_world["tolerance"] += slack
            world.append(found_world)
    return prod, world


def rounding_tolerance(value: float) -> float:
    """Half the rounding unit of a published figure, read as rounded to its last nonzero
    digit but to no fewer than two significant digits (USGS rounds to no more than three
    significant digits, estimates often to two): 900000 -> 5000, 2310000 -> 5000, 3000 -> 50."""
    number = int(round(abs(value)))
    if number < 10:
        return 0.5
    digits = str(number)
    trailing = len(digits) - len(digits.rstrip("0"))
    return 0.5 * 10 ** min(trailing, len(digits) - 2)


def _reserves(spec: WorldTable, data: dict, to_iso3, path: str) -> list[dict]:
    out = []
    factor = spec.reserves_factor or spec.factor
    mineral = "platinum_group_metals" if spec.slug == "platinum-group-metals" else spec.mineral
    for r in data["world_production"]:
        name = norm_name(r["country"])
        value, qualifier = parse_number(r.get("reserves_raw"), f"{path}: country {r['country']!r}, reserves")
        if value is None or name.startswith(_WORLD):
            continue
        iso3 = "ROW" if name in _OTHER else to_iso3(r["country"], path)
        out.append({"mineral": mineral, "iso3": iso3, "year": 2025, "quantity": value * factor,
                    "unit": "t PGM" if mineral == "platinum_group_metals" else spec.unit,
                    "qualifier": "lower bound" if qualifier == ">" else "",
                    "table": f"{spec.slug}.json: world_production reserves", "estimate": False})
    return out


def _prices(raw: Path) -> list[dict]:
    out = []
    for slug in PRICE_SLUGS:
        data = load_json(raw, slug)
        for quote in data.get("price_quotes") or []:
            key = (slug, quote["form"])
            if key in IGNORED_PRICES:
                continue
            if key not in PRICES:
                raise DataError(f"{slug}.json: field 'price_quotes' (value {quote['form']!r}): unknown price form")
            product, unit, to_t, basis = PRICES[key]
            for year_text, raw_value in quote["raw_values"].items():
                value, _ = parse_number(raw_value, f"{slug}.json: price {quote['form']!r} {year_text}")
                if value is None:
                    continue
                out.append({"product": product, "mineral": PRODUCT_MINERAL[product], "year": int(year_text[:4]), "price": value, "unit": unit,
                            "usd_per_t": round(value * to_t, 6), "basis": basis,
                            "table": f"{slug}.json: price_quotes ({quote['unit_note']})",
                            "estimate": year_text.endswith("e")})
    return out


def build(raw: Path, to_iso3=None) -> dict[str, pd.DataFrame]:
    """production, world_totals, reserves and prices from the USGS MCS 2026 files."""
    if to_iso3 is None:
        from critmin.data.build.reference import _regions, resolver

        to_iso3 = resolver(_regions(raw))
    prod, world, reserves = [], [], []
    for spec in TABLES:
        path = f"{FOLDER}/{spec.slug}.json"
        data = load_json(raw, spec.slug)
        _check(spec, data, path)
        p, w = _production(spec, data, to_iso3, path)
        prod += p
        world += w
        reserves += _reserves(spec, data, to_iso3, path)
    prod_frame, world_frame = pd.DataFrame(prod), pd.DataFrame(world)
    prod_frame = add_residual_rows(prod_frame, world_frame)
    out = {"production": prod_frame, "world_totals": world_frame, "reserves": pd.DataFrame(reserves),
           "prices": pd.DataFrame(_prices(raw))}
    return {name: _provenance(frame) for name, frame in out.items()}


def add_residual_rows(prod: pd.DataFrame, world: pd.DataFrame) -> pd.DataFrame:
    """Add a derived ``ROW`` row where the itemised rows fall short of the world total by more
    than its rounding and the source lists no 'other countries' row, so that rows add up to
    the published total (a shortfall within rounding is left as rounding)."""
    keys = ["mineral", "stage", "year"]
    sums = prod.groupby(keys)["quantity"].sum()
    has_row = prod[prod["iso3"] == "ROW"].set_index(keys).index
    extra = []
    for w in world.itertuples(index=False):
        key = (w.mineral, w.stage, w.year)
        residual = w.quantity - sums.get(key, 0.0)
        if key in has_row or residual <= w.tolerance:
            continue
        extra.append({"mineral": w.mineral, "stage": w.stage, "year": w.year, "iso3": "ROW",
                      "quantity": residual, "unit": w.unit,
                      "table": f"{w.table}; ROW derived = world total minus itemised countries",
                      "estimate": True})
    return pd.concat([prod, pd.DataFrame(extra)], ignore_index=True) if extra else prod


def _provenance(frame: pd.DataFrame) -> pd.DataFrame:
    return with_provenance(frame, source=SOURCE, table="", source_year=YEAR, licence=LICENCE,
                           estimate=frame["estimate"]).assign(table=frame["table"])


def coverage() -> set[tuple[str, str, int]]:
    """(mineral, stage, year) published by the USGS world tables read here."""
    out = {(t.mineral, t.stage, y) for t in TABLES for y in (2024, 2025)}
    return out | {("platinum", "mining", 2025)}  # platinum: only the 2025 split is in the file
