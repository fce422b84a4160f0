"""U.S. import sources and net import reliance from USGS MCS 2026 (the FORGE host's exposure).

``us_import_sources``: share of U.S. imports by source country per import category, averaged
over the period USGS states (2021-24). ``us_net_import_reliance``: net import reliance as a
percentage of apparent consumption, 2021-2025e, with USGS's qualifiers (``>50``: lower bound;
``E``: net exporter, no value).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from critmin.data.build import usgs
from critmin.data.build.common import with_provenance
from critmin.data.build.reference import _regions, norm_name, resolver
from critmin.errors import DataError

#: USGS file -> mineral (PGM categories name the metal and are split below).
FILES: dict[str, str] = {
    "rare-earths": "rare_earths", "lithium": "lithium", "cobalt": "cobalt", "nickel": "nickel",
    "graphite": "graphite", "manganese": "manganese", "copper": "copper", "gallium": "gallium",
    "germanium": "germanium", "antimony": "antimony", "tungsten": "tungsten",
    "platinum-group-metals": "platinum_group_metals", "vanadium": "vanadium", "niobium": "niobium",
    "tantalum": "tantalum", "titanium": "titanium", "tin": "tin",
}
PGM_METALS = {"palladium": "palladium", "platinum": "platinum"}
#: Titanium's two unlabelled net-import-reliance rows, in file order (sponge, then TiO2 pigment:
#: the file's salient statistics stack the two commodities in that order).
TITANIUM_SERIES = ("sponge metal", "titanium dioxide pigment")
#: Shares per category are rounded to whole percent: they must sum to 100 +- this.
SUM_SLACK_PCT = 2.0
NIR = "net import reliance"


def _mineral(slug: str, label: str | None) -> str:
    if slug == "platinum-group-metals" and label and norm_name(label) in PGM_METALS:
        return PGM_METALS[norm_name(label)]
    return FILES[slug]


def _import_sources(slug: str, data: dict, to_iso3) -> list[dict]:
    path = f"{usgs.FOLDER}/{slug}.json"
    rows = []
    for cat in data.get("import_sources_by_category") or []:
        category = cat["category"] or "all imports"
        total = sum(c["share_pct"] for c in cat["countries"])
        if abs(total - 100) > SUM_SLACK_PCT:
            raise DataError(f"{path}: import category {category!r}: shares sum to {total}%, not 100%")
        for c in cat["countries"]:
            iso3 = "ROW" if norm_name(c["country"]) == "other" else to_iso3(c["country"], path)
            rows.append({"mineral": _mineral(slug, cat["category"]), "category": category, "iso3": iso3,
                         "period": data["import_sources_range"], "share": c["share_pct"] / 100,
                         "table": f"{slug}.json: import_sources_by_category ({data['import_sources_range']})"})
    return rows


def _reliance(slug: str, data: dict) -> list[dict]:
    path = f"{usgs.FOLDER}/{slug}.json"
    found = [r for r in data["salient_stats"] if NIR in norm_name(r.get("section") or "")]
    rows = []
    for n, r in enumerate(found):
        if slug == "titanium":
            series = TITANIUM_SERIES[n]
        else:
            series = "total" if NIR in norm_name(r["label"]) else norm_name(r["label"])
        basis = re.sub(r"\s+", " ", r["section"]).strip(" ,")
        if basis.endswith(" of"):
            basis += " [label truncated in the raw extraction]"
        for year_text, raw in r["raw_values"].items():
            text = raw.strip()
            if text == "E":
                value, qualifier = None, "net exporter"
            else:
                value, mark = usgs.parse_number(text, f"{path}: {r['section']} {year_text}")
                qualifier = "lower bound" if mark == ">" else mark
            rows.append({"mineral": _mineral(slug, r["label"]), "series": series, "year": int(year_text[:4]),
                         "percent": value, "qualifier": qualifier,
                         "basis": basis,
                         "table": f"{slug}.json: salient_stats {r['section'].strip(' ,')}",
                         "estimate": year_text.endswith("e")})
    return rows


def build(raw: Path) -> dict[str, pd.DataFrame]:
    to_iso3 = resolver(_regions(raw))
    sources, reliance = [], []
    for slug in FILES:
        data = usgs.load_json(raw, slug)
        sources += _import_sources(slug, data, to_iso3)
        reliance += _reliance(slug, data)
    imports = pd.DataFrame(sources)
    nir = pd.DataFrame(reliance)
    prov = dict(source=usgs.SOURCE, source_year=usgs.YEAR, licence=usgs.LICENCE, table="")
    return {
        "us_import_sources": with_provenance(imports, **prov).assign(table=imports["table"]),
        "us_net_import_reliance": with_provenance(nir, estimate=nir["estimate"], **prov).assign(table=nir["table"]),
    }
