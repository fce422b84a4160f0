"""The headline numbers of a report: the certificate, the biggest price moves and the welfare and fiscal totals."""

from __future__ import annotations

from typing import Any

import pandas as pd

from critmin.reports.tables import fmt


def _welfare(result: Any, level: str, ident: str, column: str) -> float:
    w = result.welfare
    row = w[(w["level"] == level) & (w["id"] == ident)]
    return float(row[column].iloc[0]) if len(row) else float("nan")


def focus_blocs(result: Any) -> list[str]:
    """Blocs a policy names (in its origin, destination or scope): the ones whose totals make the headline."""
    blocs = result.welfare.loc[result.welfare["level"] == "bloc", "id"].tolist()
    if "target" not in result.policies:
        return []
    words = set(" ".join(result.policies["target"].fillna("").astype(str)).replace(",", " ").split())
    return [b for b in blocs if b in words]


def headline(result: Any, baseline: Any | None, prices: pd.DataFrame) -> list[tuple[str, str, str]]:
    """``(label, value, note)`` cards. ``prices`` is :func:`critmin.reports.data.prices_before_after`."""
    cards = [("equilibrium certificate", f"{result.residual:.2e}",
              f"largest violation of the equilibrium conditions (tolerance {result.tolerance:g}; worst: {result.worst_condition})")]
    blocs = focus_blocs(result)
    if baseline is None:
        cards.append(("world welfare", fmt(_welfare(result, "world", "world", "total")),
                      "consumer + producer + processing surplus + quota rent + government net revenue"))
        for bloc in blocs:
            cards.append((f"{bloc}: government net revenue", fmt(_welfare(result, "bloc", bloc, "government")),
                          "tariff and levy revenue minus cfd payments and purchases"))
        binding = int(result.policies["binding"].sum()) if "binding" in result.policies else 0
        cards.append(("binding policies", f"{binding} of {len(result.policies)}", "policies that changed the equilibrium"))
        return cards
    moved = prices.dropna(subset=["change_pct"])
    moved = moved.iloc[moved["change_pct"].abs().to_numpy().argsort(kind="stable")[::-1]]
    for row in moved.head(3).itertuples(index=False):
        if row.change_pct != 0:
            cards.append((f"price of {row.product} in {row.region}", f"{row.change_pct:+.1f}%",
                          f"{fmt(row.before)} → {fmt(row.after)}"))
    for level, ident in [("world", "world"), *(("bloc", b) for b in blocs)]:
        for column, label in (("total", "welfare"), ("consumer_surplus", "consumer surplus"), ("government", "government net revenue")):
            change = _welfare(result, level, ident, column) - _welfare(baseline, level, ident, column)
            cards.append((f"{ident}: {label}", ("+" if change > 0 else "") + fmt(change), "change against the baseline"))
    return cards
