"""Market concentration of one (mineral, stage, year): shares, HHI, top-n shares.

Pure functions on pandas Series indexed by ISO3, so they can be checked by hand and reused
by the bloc, exposure and GeoPolRisk modules. Formulas and sources: docs/atlas.md.

The residual ``ROW`` row ("other countries", not itemised by the source) is an aggregate of
several producers. It counts in the world total (so shares are shares of the published
world), but it is not one producer: the HHI sums squares over itemised countries only
(a lower bound) and :func:`hhi_bounds` also gives the upper bound that treats ``ROW`` as a
single producer. Top-n shares never count ``ROW`` as a producer.
"""

from __future__ import annotations

import pandas as pd

#: Code of the residual "other countries" row (see docs/decisions/0001-embedded-dataset.md).
OTHER = "ROW"


def shares(quantities: pd.Series, total: float | None = None) -> pd.Series:
    """Each country's share (0-1) of ``total`` (default: the sum of ``quantities``).

    Pass the published world total to get shares as the source states them (country rows may
    differ from it by the source's rounding). NaN quantities count as absent. Raises
    ValueError on negative quantities or a non-positive total: a share of nothing is
    undefined, never silently zero.
    """
    q = quantities.dropna().astype(float)
    if (q < 0).any():
        raise ValueError(f"negative quantities: {q[q < 0].to_dict()}")
    total = float(q.sum()) if total is None else float(total)
    if total <= 0:
        raise ValueError("total quantity is zero: shares are undefined")
    return (q / total).rename("share")


def _itemised(share: pd.Series) -> pd.Series:
    return share.drop(labels=[OTHER], errors="ignore").dropna()


def hhi(share: pd.Series) -> float:
    """Herfindahl-Hirschman index on the 0-10,000 scale: 10,000 x sum of squared shares.

    ``share`` is in 0-1 (as from :func:`shares`); the ``ROW`` residual is left out of the sum
    (see module docstring), so this is the lower bound of :func:`hhi_bounds`.
    """
    s = _itemised(share)
    return float(10_000.0 * (s**2).sum())


def hhi_bounds(share: pd.Series) -> tuple[float, float]:
    """(lower, upper) HHI: ``ROW`` left out of the sum, and ``ROW`` counted as one producer."""
    lower = hhi(share)
    other = float(share.get(OTHER, 0.0) or 0.0)
    return lower, lower + 10_000.0 * other**2


def top_shares(share: pd.Series, n: int) -> float:
    """Sum of the ``n`` largest itemised shares (0-1); ``ROW`` is never a top producer."""
    if n < 1:
        raise ValueError("n must be at least 1")
    return float(_itemised(share).nlargest(n).sum())


def ranked(share: pd.Series) -> pd.Series:
    """Shares sorted largest first, ties by ISO3, with ``ROW`` last (stable, reproducible order)."""
    s = share.dropna()
    frame = pd.DataFrame({"share": s.values, "iso3": s.index})
    frame["is_other"] = frame["iso3"] == OTHER
    frame = frame.sort_values(["is_other", "share", "iso3"], ascending=[True, False, True])
    return pd.Series(frame["share"].values, index=pd.Index(frame["iso3"].values, name="iso3"), name="share")
