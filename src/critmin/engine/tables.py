"""Turn the MCP solution vector into the result tables (original units, scenario order)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmin.engine.model import Model

#: Relative size below which a solved quantity or price is printed as an exact zero.
ZERO = 1e-11


@dataclass
class Solution:
    """The solution in original units, split by block, with solver noise below ZERO cleaned."""

    model: Model
    y: np.ndarray

    def __post_init__(self) -> None:
        m = self.model
        y = np.clip(self.y * m.colscale, m.lower * m.colscale, m.upper * m.colscale)
        # every variable is cleaned at its own column scale, i.e. its product's Pk or Qk
        # (engine/scales.py), so a trace market beside a bulk one is not printed as empty;
        # the free levy v is left as solved
        noise = np.abs(y) < ZERO * m.colscale
        noise[m.block("v")] = False
        y[noise] = 0.0
        self.values = y

    def __getitem__(self, block: str) -> np.ndarray:
        return self.values[self.model.block(block)]

    @property
    def producer_price(self) -> np.ndarray:
        """p + u on cfd markets, p elsewhere (per market)."""
        pp = self["p"].copy()
        for cf in self.model.cfd:
            pp[cf["markets"]] += self.values[cf["ucol"]]
        return pp


def _per_market(m: Model, markets: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """Sum ``values`` per market over the markets that appear in ``markets``; scenario order."""
    nM = m.mkt_region.size
    total = np.bincount(markets, weights=values, minlength=nM) if markets.size else np.zeros(nM)
    present = np.unique(markets)
    return _market_frame(m, present, {"quantity": total[present]})


def _market_frame(m: Model, markets: np.ndarray, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    sc = m.scenario
    regions, products = np.array(sc.region_ids, dtype=object), np.array(sc.product_ids, dtype=object)
    frame = pd.DataFrame({"region": regions[m.mkt_region[markets]], "product": products[m.mkt_product[markets]], **columns})
    return frame.reset_index(drop=True)


def market_tables(sol: Solution) -> dict[str, pd.DataFrame]:
    """prices, producer_prices, supply, demand, processing (per market), processing_entries (per
    processing entry, ``entry`` = its position in the scenario: which route runs) and flows."""
    m = sol.model
    sc = m.scenario
    allm = np.arange(m.mkt_region.size)
    fixed_entries = np.array([i for i, d in enumerate(sc.demand) if d.fixed], dtype=np.int64)
    fixed_markets = np.array([m.market_of[sc.region_ids.index(sc.demand[i].region), sc.product_ids.index(sc.demand[i].product)]
                              for i in fixed_entries], dtype=np.int64)
    dem_markets = np.concatenate([m.dem_market, fixed_markets])
    dem_values = np.concatenate([sol["d"], np.array([sc.demand[i].quantity for i in fixed_entries], dtype=float)])
    x = sol["x"]
    pos = x > 0
    regions, products = np.array(sc.region_ids, dtype=object), np.array(sc.product_ids, dtype=object)
    flows = pd.DataFrame({
        "product": products[m.arc_k[pos]], "origin": regions[m.arc_i[pos]],
        "destination": regions[m.arc_j[pos]], "quantity": x[pos],
    })
    order = np.lexsort((m.arc_j[pos], m.arc_i[pos], m.arc_k[pos]))
    return {
        "prices": _market_frame(m, allm, {"price": sol["p"]}),
        "producer_prices": _market_frame(m, allm, {"price": sol.producer_price}),
        "supply": _per_market(m, m.sup_market, sol["q"]),
        "demand": _per_market(m, dem_markets, dem_values),
        "processing": _per_market(m, m.proc_market, sol["z"]),
        "processing_entries": pd.DataFrame({
            "entry": m.proc_entry, "region": regions[m.mkt_region[m.proc_market]],
            "product": products[m.mkt_product[m.proc_market]], "quantity": sol["z"],
        }),
        "flows": flows.iloc[order].reset_index(drop=True),
    }
