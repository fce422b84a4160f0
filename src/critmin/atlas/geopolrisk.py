"""Supply risk by the GeoPolRisk method (Gemechu et al. 2016; Koyamparambath et al. 2024).

For an importer c (a country or a group), raw material A, year t:

    GeoPolRisk_Ac = HHI_A x sum_i ( g_i * f_Aic ) / ( p_Ac + F_Ac )

HHI_A on the 0-1 scale over world mine production; f_Aic imports of A into c from i (tonnes,
summed over the material's HS codes, as geopolrisk-py 2.0.1 does); F_Ac = sum_i f_Aic;
p_Ac domestic production (tonnes); g_i = clip((2.5 - WGI_i) / 5, 0, 1), the normalised WGI
Political Stability estimate of partner i in year t, 0.5 when missing, and 0 for partners
inside the importing group. The second factor is the "import risk" (geopolrisk-py: WTA).
Reference implementation read: geopolrisk-py 2.0.1, ``assessment/core.py`` (HHI, importrisk,
GeoPolRisk) and ``assessment/utils.py`` (aggregateTrade); see docs/decisions/0006.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmin.atlas.concentration import hhi, shares
from critmin.atlas.tables import StageView, load

#: Weight of a partner without a WGI score (geopolrisk-py ``wgi_func``).
MISSING_WEIGHT = 0.5


def normalised_wgi(estimate: pd.Series | float) -> pd.Series | float:
    """WGI estimate (about -2.5..2.5, higher = more stable) -> instability weight in [0, 1]."""
    return np.clip((2.5 - estimate) / 5.0, 0.0, 1.0)


def score(hhi01: float, weighted_imports: float, total_imports: float, domestic_production: float) -> tuple[float, float]:
    """(GeoPolRisk score, import risk) from the method's four inputs (pure arithmetic)."""
    denominator = total_imports + domestic_production
    import_risk = weighted_imports / denominator if denominator > 0 else 0.0
    return hhi01 * import_risk, import_risk


@dataclass(frozen=True)
class GeoPolRisk:
    """One GeoPolRisk evaluation with every input, so it can be recomputed by hand."""

    importers: tuple[str, ...]
    mineral: str
    year: int
    hhi: float  # 0-1 scale, over the mining view
    weighted_imports: float
    total_imports: float
    domestic_production: float
    import_risk: float
    score: float
    hs6: tuple[str, ...]
    partners: pd.DataFrame  # exporter, quantity_t, weight


def partner_weights(partners: Iterable[str], year: int, inside: Iterable[str] = ()) -> pd.Series:
    """Normalised WGI of each partner in ``year``; 0.5 if missing; 0 for partners in ``inside``."""
    gov = load("governance")
    gov = gov[gov["year"] == int(year)].set_index("iso3")["wgi"].astype(float)
    codes = list(partners)
    weights = pd.Series(normalised_wgi(gov.reindex(codes)).to_numpy(), index=codes).fillna(MISSING_WEIGHT)
    weights[weights.index.isin(set(inside))] = 0.0
    return weights


def geopolrisk(mining: StageView, flows: pd.DataFrame, importers: Iterable[str]) -> GeoPolRisk:
    """GeoPolRisk of ``importers`` for the mineral of ``mining`` (its world mine production view)
    using the trade rows ``flows`` (all HS codes of the mineral, or a chosen subset).

    Flows inside the group are counted in the totals with weight 0, as in geopolrisk-py's
    ``aggregateTrade``; rows without a quantity count as 0 t (BACI could not estimate one).
    """
    group = sorted(set(importers))
    year = mining.year
    sel = flows[(flows["year"] == year) & flows["importer"].isin(group)]
    by = sel.groupby("exporter")["quantity_t"].sum(min_count=1).fillna(0.0).astype(float)
    weights = partner_weights(by.index, year, inside=group)
    q = mining.countries.set_index("iso3")["quantity"].astype(float)
    share = shares(q)  # of the sum of rows, as geopolrisk-py's HHI
    production = float(q.reindex(group).fillna(0.0).sum())
    numerator, total = float((by * weights).sum()), float(by.sum())
    value, risk = score(hhi(share) / 10_000.0, numerator, total, production)
    partners = pd.DataFrame({"exporter": by.index, "quantity_t": by.values, "weight": weights.values})
    return GeoPolRisk(
        importers=tuple(group), mineral=mining.mineral, year=year, hhi=hhi(share) / 10_000.0,
        weighted_imports=numerator, total_imports=total, domestic_production=production,
        import_risk=risk, score=value, hs6=tuple(sorted(sel["hs6"].unique())),
        partners=partners.sort_values(["quantity_t", "exporter"], ascending=[False, True], ignore_index=True),
    )
