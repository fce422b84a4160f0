"""Dataset builder: lithium deposits (cost tiers, capacities) and world demand paths.

Source: the supply-model parameters of Busch et al. (2024), "Effects of demand and recycling
on the when and where of lithium extraction", replication repository pmbusch/Lithium-Supply
(MIT licence), files ``Parameters/Deposit.csv`` and ``Parameters/Demand.csv`` as copied into
``lithium-deposits/``. Units follow the repository's script
``Scripts/Supply Model/Prepare Deposit Data/02-DepositParameters.R``: resources in kt Li,
rates in kt Li per year, extraction costs in 2022 USD per tonne of lithium metal (the script
divides by 5.323 to show USD per tonne LCE), expansion cost in USD per tonne-per-year of Li
capacity, opening cost in USD. Costs ``cost1..3`` include royalties and corporate tax computed
by the authors at an assumed price of 20,000 USD/t LCE; ``cost*_notax`` exclude them.

Why a builder and not a hand-made table: the world model derives the lithium mining cost
curve (see :func:`critmin.world.parameters.lithium_cost_curve`) from these rows, and the
dataset contract (docs/decisions/0001) requires them to be rebuilt byte-for-byte from raw.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmin.data.build.common import with_provenance
from critmin.errors import DataError

SOURCE = "busch_2024_lithium"
LICENCE = "MIT (Copyright (c) 2024 Pablo Busch)"
SOURCE_YEAR = 2024
FOLDER = "lithium-deposits"

#: Country names used in Deposit.csv -> ISO 3166-1 alpha-3.
COUNTRY_ISO3: dict[str, str] = {
    "Afghanistan": "AFG", "Argentina": "ARG", "Australia": "AUS", "Austria": "AUT",
    "Bolivia": "BOL", "Brazil": "BRA", "Canada": "CAN", "Chile": "CHL", "China": "CHN",
    "Czech Republic": "CZE", "DR Congo": "COD", "Ethiopia": "ETH", "Finland": "FIN",
    "France": "FRA", "Germany": "DEU", "Ghana": "GHA", "Mali": "MLI", "Mexico": "MEX",
    "Namibia": "NAM", "Peru": "PER", "Portugal": "PRT", "Russia": "RUS", "Serbia": "SRB",
    "Spain": "ESP", "Tanzania": "TZA", "United Kingdom": "GBR", "United States": "USA",
    "Zimbabwe": "ZWE",
}

#: Raw column -> shipped column (the unit is in the name; see the module docstring).
DEPOSIT_COLUMNS: dict[str, str] = {
    "d": "deposit_id",
    "Deposit_Name": "deposit_name",
    "Country": "country",
    "Resource_Type": "resource_type",
    "Resource_Type_orig": "resource_type_detail",
    "Status": "status",
    "Status_Delay": "status_delay",
    "open_mine": "open_mine",
    "Grade_percLi_Reserve": "grade_reserve_pct_li",
    "reserve": "reserve_kt_li",
    "resource_demostrated": "resource_demonstrated_kt_li",
    "resource_inferred": "resource_inferred_kt_li",
    "all_resource": "all_resource_kt_li",
    "cost1": "cost1_usd_per_t_li",
    "cost2": "cost2_usd_per_t_li",
    "cost3": "cost3_usd_per_t_li",
    "cost1_noTax": "cost1_notax_usd_per_t_li",
    "cost2_noTax": "cost2_notax_usd_per_t_li",
    "cost3_noTax": "cost3_notax_usd_per_t_li",
    "cost_source": "cost_source",
    "max_prod_rate": "max_prod_rate_kt_li_per_y",
    "max_ramp_up": "max_ramp_up_kt_li_per_y",
    "cost_expansion": "cost_expansion_usd_per_t_li_per_y",
    "cost_opening": "cost_opening_usd",
    "prod_rate2022": "prod_rate_2022_kt_li_per_y",
    "prod_rate2023": "prod_rate_2023_kt_li_per_y",
    "prod_rate2025": "prod_rate_2025_kt_li_per_y",
    "prod_rate2030": "prod_rate_2030_kt_li_per_y",
    "delay_years": "delay_years",
    "Corporate_Tax_Rate": "corporate_tax_rate",
}

#: Parts of Demand.csv's scenario name, in order (03-CreateDemand.R pastes them with "-").
SCENARIO_PARTS = ("ev_adoption", "chemistry", "battery_capacity", "lifetime", "recycling")

NON_NEGATIVE = [c for c in DEPOSIT_COLUMNS.values() if c.endswith(("_kt_li", "_per_y", "_usd"))
                or "_usd_per_" in c]


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{path}: raw lithium file not found")
    frame = pd.read_csv(path)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
    return frame


def build_deposits(path: Path) -> pd.DataFrame:
    """One row per deposit, source units, ISO3 added; estimate=True where costs are modelled."""
    raw = _read(path, list(DEPOSIT_COLUMNS))
    out = raw[list(DEPOSIT_COLUMNS)].rename(columns=DEPOSIT_COLUMNS)
    unknown = sorted(set(out["country"]) - set(COUNTRY_ISO3))
    if unknown:
        raise DataError(f"{path}: field 'Country': unmapped value(s) {unknown}")
    out.insert(3, "iso3", out["country"].map(COUNTRY_ISO3))
    out["open_mine"] = out["open_mine"].astype(bool)
    for column in NON_NEGATIVE:
        bad = out[out[column] < 0]
        if len(bad):
            row = bad.iloc[0]
            raise DataError(f"{path}: field '{column}' negative for deposit {row['deposit_id']}"
                            f" (value {row[column]!r})")
    tiers = out[["reserve_kt_li", "resource_demonstrated_kt_li", "resource_inferred_kt_li"]]
    off = (tiers.sum(axis=1) - out["all_resource_kt_li"]).abs() > 1e-6
    if off.any():
        row = out[off].iloc[0]
        raise DataError(f"{path}: field 'all_resource' is not reserve + resources for deposit "
                        f"{row['deposit_id']} (value {row['all_resource_kt_li']!r})")
    out = out.sort_values("deposit_id", kind="stable").reset_index(drop=True)
    return with_provenance(
        out, source=SOURCE, table="Parameters/Deposit.csv", source_year=SOURCE_YEAR,
        licence=LICENCE, estimate=out["cost_source"] != "Report",
    )


def build_demand_paths(path: Path) -> pd.DataFrame:
    """World primary lithium demand (kt Li, net of recycling) per scenario and year."""
    raw = _read(path, ["t", "Scenario", "Demand"])
    parts = raw["Scenario"].str.split("-", expand=True)
    if parts.shape[1] != len(SCENARIO_PARTS):
        raise DataError(f"{path}: field 'Scenario' does not have {len(SCENARIO_PARTS)} parts")
    out = pd.DataFrame({"scenario": raw["Scenario"], "year": raw["t"].astype(int)})
    for i, name in enumerate(SCENARIO_PARTS):
        out[name] = parts[i]
    out["demand_kt_li"] = raw["Demand"].astype(float)
    out = out.sort_values(["scenario", "year"], kind="stable").reset_index(drop=True)
    return with_provenance(
        out, source=SOURCE, table="Parameters/Demand.csv", source_year=SOURCE_YEAR,
        licence=LICENCE, estimate=True,
    )


def sources() -> pd.DataFrame:
    """The one source row this builder cites (columns of the contract's `sources` table)."""
    return pd.DataFrame([{
        "source": SOURCE,
        "title": "Effects of demand and recycling on the when and where of lithium extraction"
                 " (replication data: Parameters/Deposit.csv, Parameters/Demand.csv)",
        "publisher": "Busch et al.; GitHub repository pmbusch/Lithium-Supply",
        "url": "https://github.com/pmbusch/Lithium-Supply",
        "licence": LICENCE,
        "source_year": SOURCE_YEAR,
        "note": "Deposit costs in 2022 USD per t Li (divide by 5.323 for USD/t LCE); "
                "costs with cost_source Quantile/Regression are modelled by the authors.",
    }])


def build(raw: Path) -> dict[str, pd.DataFrame]:
    """Builder protocol: ``raw`` is the shared data folder holding ``lithium-deposits/``."""
    folder = Path(raw) / FOLDER
    return {
        "lithium_deposits": build_deposits(folder / "Deposit.csv"),
        "lithium_demand_paths": build_demand_paths(folder / "Demand.csv"),
        "sources": sources(),
    }
