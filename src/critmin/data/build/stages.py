"""Derive the ``stages`` table: one row per mineral and stage saying what the dataset holds.

``coverage`` is ``quantities`` when ``production`` has rows, ``shares`` when only
``stage_shares`` has rows, and ``empty`` otherwise, so an empty stage is explicit.
"""

from __future__ import annotations

import pandas as pd

from critmin.data.build.common import with_provenance
from critmin.data.build.reference import CRITMIN_LICENCE, STAGES

#: What the quantities measure, per (mineral, stage) with production rows.
BASIS: dict[tuple[str, str], str] = {
    ("rare_earths", "mining"): "mine production, rare-earth-oxide (REO) equivalent of concentrates",
    ("lithium", "mining"): "mine production, lithium content (WMD Li2O content converted to Li)",
    ("cobalt", "mining"): "mine production, cobalt content",
    ("nickel", "mining"): "mine production, nickel content",
    ("graphite", "mining"): "mine production of natural graphite, gross weight",
    ("manganese", "mining"): "mine production, manganese content",
    ("copper", "mining"): "mine production, copper content (WMD only)",
    ("copper", "refining"): "refinery production (primary + secondary), copper content (USGS only)",
    ("gallium", "refining"): "primary low-purity gallium production, gallium content",
    ("germanium", "refining"): "refinery production, germanium content (WMD only)",
    ("antimony", "mining"): "mine production, antimony content",
    ("tungsten", "mining"): "mine production, tungsten content",
    ("platinum", "mining"): "mine production, platinum metal",
    ("palladium", "mining"): "mine production, palladium metal",
    ("vanadium", "mining"): "mine production (incl. vanadiferous slag), vanadium content",
    ("niobium", "mining"): "mine production, niobium content (WMD Nb2O5 content converted to Nb)",
    ("tantalum", "mining"): "mine production, tantalum content (WMD Ta2O5 content converted to Ta)",
    ("titanium", "mining"): "ilmenite, rutile and titaniferous slag, TiO2 content (WMD only)",
    ("titanium", "refining"): "titanium sponge metal production, gross weight (USGS only)",
    ("tin", "mining"): "mine production, tin content",
}


def _years(frame: pd.DataFrame) -> str:
    parts = []
    for source, group in frame.groupby("source"):
        years = sorted(set(int(y) for y in group["year"]))
        parts.append(f"{source} {years[0]}-{years[-1]}" if len(years) > 1 else f"{source} {years[0]}")
    return "; ".join(parts)


def derive(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The stages table for every mineral in ``tables['minerals']`` and every stage."""
    prod = tables.get("production", pd.DataFrame(columns=["mineral", "stage", "unit", "year", "source"]))
    shares = tables.get("stage_shares", pd.DataFrame(columns=["mineral", "stage", "year", "source"]))
    rates = tables.get("recycling_rates", pd.DataFrame(columns=["mineral", "eol_rir", "year"]))
    cross = tables.get("production_crosscheck", pd.DataFrame(columns=["mineral", "stage", "iso3", "wmd_over_usgs"]))
    ratios = cross[(cross["iso3"] == "WLD") & cross["wmd_over_usgs"].notna()]
    ratio = {(m, s): float(r) for m, s, r in zip(ratios["mineral"], ratios["stage"], ratios["wmd_over_usgs"])}
    rows = []
    for mineral in tables["minerals"]["mineral"]:
        for stage in STAGES:
            p = prod[(prod["mineral"] == mineral) & (prod["stage"] == stage)]
            s = shares[(shares["mineral"] == mineral) & (shares["stage"] == stage)]
            if not p.empty:
                row = {"coverage": "quantities", "unit": str(p["unit"].iloc[0]),
                       "basis": BASIS.get((mineral, stage), "production as published"),
                       "note": f"production by country: {_years(p)}"}
                if (mineral, stage) in ratio:
                    row["note"] += (f"; series changes source in 2024: WMD/USGS world 2024 = {ratio[(mineral, stage)]:.3f} "
                                    "(production_crosscheck)")
                if not s.empty:
                    row["note"] += f"; published shares also in stage_shares: {_years(s)}"
            elif not s.empty:
                row = {"coverage": "shares", "unit": "share", "basis": "share of world output as published",
                       "note": f"only shares are published: stage_shares {_years(s)}"}
            else:
                row = {"coverage": "empty", "unit": "", "basis": "", "note": "no by-country data shipped"}
                r = rates[rates["mineral"] == mineral]
                if stage == "recycling" and not r.empty:
                    row["note"] += (f"; world end-of-life recycling input rate {float(r['eol_rir'].iloc[0]):g} "
                                    f"({int(r['year'].iloc[0])}) in recycling_rates")
            rows.append({"mineral": mineral, "stage": stage, **row})
    frame = pd.DataFrame(rows)
    return with_provenance(frame, source="critmin", table="stages derived from production, stage_shares and recycling_rates",
                           source_year=2026, licence=CRITMIN_LICENCE)
