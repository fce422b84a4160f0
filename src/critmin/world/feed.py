"""Which share of each country's lithium mine output comes from brine (decision 0073).

Brine is not traded: an integrated brine operation sells carbonate at its site. The world model
therefore splits each country's USGS mine output (t Li) into hard-rock concentrate, the mining
product, and carbonate supplied at the brine site. The split is the share of brine deposits in
the country's production rate in the embedded ``lithium_deposits`` table (Busch et al. 2024,
rates for 2022, 2023, 2025 and 2030), interpolated linearly to the world year.
"""

from __future__ import annotations

import pandas as pd

from critmin.data.store import load
from critmin.errors import DataError, UnknownChoiceError

#: Years with a production rate in ``lithium_deposits`` and their column.
RATE_COLUMNS: dict[int, str] = {2022: "prod_rate_2022_kt_li_per_y", 2023: "prod_rate_2023_kt_li_per_y",
                                2025: "prod_rate_2025_kt_li_per_y", 2030: "prod_rate_2030_kt_li_per_y"}


def rates(year: int) -> pd.DataFrame:
    """Production rate (kt Li/y) per deposit in ``year``: iso3, resource_type, rate."""
    years = sorted(RATE_COLUMNS)
    if not years[0] <= year <= years[-1]:
        raise UnknownChoiceError("world.year for lithium deposit types (lithium_deposits production rates)", year,
                                 list(range(years[0], years[-1] + 1)))
    d = load("lithium_deposits")
    lo = max(y for y in years if y <= year)
    hi = min(y for y in years if y >= year)
    w = 0.0 if hi == lo else (year - lo) / (hi - lo)
    rate = (1.0 - w) * d[RATE_COLUMNS[lo]].astype(float) + w * d[RATE_COLUMNS[hi]].astype(float)
    return pd.DataFrame({"iso3": d["iso3"].to_numpy(), "resource_type": d["resource_type"].to_numpy(),
                         "rate": rate.to_numpy()})


def type_share(resource_type: str, year: int, mined: pd.Series) -> pd.Series:
    """Share of ``resource_type`` in each producing country's deposit production rate in ``year``
    (index: the countries of ``mined`` with output > 0). A producing country without a producing
    deposit in the table is an error: its output cannot be split."""
    r = rates(year)
    total = r.groupby("iso3")["rate"].sum()
    part = r[r["resource_type"] == resource_type].groupby("iso3")["rate"].sum()
    producing = mined[mined > 0].index
    missing = [c for c in producing if not total.get(c, 0.0) > 0]
    if missing:
        raise DataError(f"lithium_deposits: no producing deposit in {', '.join(missing)} in {year}; its mine output "
                        "cannot be split into brine and hard rock")
    share = part.reindex(producing, fill_value=0.0) / total.reindex(producing)
    return share.astype(float)
