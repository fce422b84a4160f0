"""Trade arcs and their per-unit charges, as dense (product, origin, destination) arrays.

Built with numpy broadcasting from the scenario's transport entries and trade policies, so a
60-region x 40-product market (141,600 arcs) takes milliseconds and no Python loop over arcs.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat

import numpy as np

from critmin.scenario.schema import Scenario
from critmin.scenario.selectors import resolve


@dataclass(frozen=True)
class ArcCharges:
    """Dense (nK, nR, nR) arrays; ``cost`` is NaN where no arc exists (no route, same region, ban)."""

    cost: np.ndarray
    tariff_specific: np.ndarray
    tariff_ad_valorem: np.ndarray
    export_specific: np.ndarray
    export_ad_valorem: np.ndarray
    banned: np.ndarray


def _mask(sc: Scenario, product, origin, destination) -> np.ndarray:
    k = resolve(product, sc.product_ids, what="product")
    o = resolve(origin, sc.region_ids, sc.blocs)
    d = resolve(destination, sc.region_ids, sc.blocs)
    return k[:, None, None] & o[None, :, None] & d[None, None, :]


def _indices(names: list, index: dict[str, int]) -> np.ndarray:
    """Position of each name in ``index``, -1 for a selector (a list, ``"*"``, a bloc)."""
    try:
        return np.fromiter(map(index.get, names, repeat(-1)), dtype=np.int64, count=len(names))
    except TypeError:  # a list selector is unhashable
        return np.array([index.get(n, -1) if isinstance(n, str) else -1 for n in names], dtype=np.int64)


def _transport(sc: Scenario, cost: np.ndarray) -> None:
    """Apply transport entries in file order. Entries naming one product, origin and destination
    (the common case, thousands of them) are applied in vectorised runs; selector entries
    (``"*"``, blocs, lists) through masks, between the runs, so later entries still override
    earlier ones. Fields are read from each entry's ``vars()`` (pydantic keeps them there):
    3x faster than attribute access on 25,000 entries (decision 0011)."""
    kix = {k: i for i, k in enumerate(sc.product_ids)}
    rix = {r: i for i, r in enumerate(sc.region_ids) if r not in sc.blocs}
    fields = [vars(t) for t in sc.transport]
    if not fields:
        return
    k, o, d = (_indices([f[name] for f in fields], ix) for name, ix in
               (("product", kix), ("origin", rix), ("destination", rix)))
    value = np.fromiter((f["cost"] for f in fields), dtype=float, count=len(fields))
    nr = cost.shape[1]
    flat = cost.reshape(-1)
    simple = (k >= 0) & (o >= 0) & (d >= 0)
    idx = (k * nr + o) * nr + d
    start = 0
    for stop in [*np.flatnonzero(~simple).tolist(), len(fields)]:
        if stop > start:  # a run of simple entries: the last one per arc wins
            run_idx, run_val = idx[start:stop][::-1], value[start:stop][::-1]
            uniq, first = np.unique(run_idx, return_index=True)
            flat[uniq] = run_val[first]
        if stop < len(fields):
            t = sc.transport[stop]
            cost[_mask(sc, t.product, t.origin, t.destination)] = t.cost
        start = stop + 1


def arc_charges(sc: Scenario) -> ArcCharges:
    """Transport costs (later entries override earlier ones) and summed tariffs/taxes per arc."""
    nk, nr = len(sc.products), len(sc.regions)
    shape = (nk, nr, nr)
    default = np.nan if sc.default_transport_cost is None else sc.default_transport_cost
    cost = np.full(shape, default, dtype=float)
    _transport(sc, cost)
    tsp, tav, xsp, xav = (np.zeros(shape) for _ in range(4))
    banned = np.zeros(shape, dtype=bool)
    for pol in sc.policies:
        if pol.kind == "tariff":
            m = _mask(sc, pol.product, pol.origin, pol.destination)
            if pol.exempt is not None:
                m &= ~resolve(pol.exempt, sc.region_ids, sc.blocs)[None, :, None]
            tsp[m] += pol.specific
            tav[m] += pol.ad_valorem
        elif pol.kind == "export_tax":
            m = _mask(sc, pol.product, pol.origin, pol.destination)
            xsp[m] += pol.specific
            xav[m] += pol.ad_valorem
        elif pol.kind == "export_ban":
            banned |= _mask(sc, pol.product, pol.origin, pol.destination)
    eye = np.eye(nr, dtype=bool)[None, :, :]
    cost[np.broadcast_to(eye, shape) | banned] = np.nan
    return ArcCharges(cost, tsp, tav, xsp, xav, banned)
