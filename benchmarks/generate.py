"""Seeded random markets with the structure of critical-mineral supply chains, for benchmarks and tests.

A market of ``n_regions`` and ``n_products`` is laid out like a world model of issue 4:
products come in chains (ore -> refined -> component, one chain per "mineral", the last chain
possibly shorter), with

- supply of each ore in a few producing regions only (3 to 6, as mining is concentrated),
- processing of each later stage in a few regions, consuming its input at a yield ratio
  (some components also take a second mineral's refined product, linking chains),
- demand for components in most regions, for refined products in some, for ores in a few,
- transport costs by great-circle distance between random points on the globe (fixed cost
  plus a per-1000-km rate that grows with the stage's unit value); each product can move from
  every producing/processing region to every region and between each region and its nearest
  neighbours (re-export), which keeps the arc count near-linear in regions,
- a bloc with a common external specific tariff and a preferential zone, plus a bilateral
  tariff, an export tax, an export ban and an export quota, all specific (integrable),
  so that the cvxpy reference can solve the same market.

Nothing here is real data: these are synthetic benchmark and test markets, and they are only
ever used as such. The same (n_regions, n_products, seed) always gives the same dict.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

STAGES = ("ore", "ref", "comp")


def _points(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random points on the unit sphere (uniform on the surface)."""
    v = rng.normal(size=(n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _distance_km(p: np.ndarray) -> np.ndarray:
    """Great-circle distances between all pairs of points, Earth radius 6371 km."""
    cos = np.clip(p @ p.T, -1.0, 1.0)
    return 6371.0 * np.arccos(cos)


def _chains(n_products: int) -> list[tuple[str, int, int]]:
    """(product id, chain index, stage index) for n products, filled chain by chain."""
    out = []
    for i in range(n_products):
        chain, stage = divmod(i, len(STAGES))
        out.append((f"{STAGES[stage]}{chain}", chain, stage))
    return out


def generate_market(n_regions: int, n_products: int, seed: int = 0, neighbours: int = 6) -> dict[str, Any]:
    """Return a scenario dict (issue 3 contract) for a synthetic market of the given size."""
    if n_regions < 2 or n_products < 1:
        raise ValueError("need at least 2 regions and 1 product")
    rng = np.random.default_rng([seed, n_regions, n_products])
    regions = [f"R{i:03d}" for i in range(n_regions)]
    dist = _distance_km(_points(rng, n_regions))
    prods = _chains(n_products)
    by_chain: dict[int, list[str]] = {}
    for pid, chain, _ in prods:
        by_chain.setdefault(chain, []).append(pid)

    def few(lo: int, hi: int) -> list[int]:
        k = min(n_regions, int(rng.integers(lo, hi + 1)))
        return sorted(rng.choice(n_regions, size=k, replace=False).tolist())

    products: list[dict[str, Any]] = []
    supply: list[dict[str, Any]] = []
    processing: list[dict[str, Any]] = []
    demand: list[dict[str, Any]] = []
    transport: list[dict[str, Any]] = []
    unit_value: dict[str, float] = {}
    sources: dict[str, list[int]] = {}
    for pid, chain, stage in prods:
        entry: dict[str, Any] = {"id": pid}
        if stage == 0:
            cost = float(rng.uniform(20, 60))
            where = few(3, 6)
            for r in where:
                supply.append(
                    {
                        "region": regions[r],
                        "product": pid,
                        "intercept": round(cost * float(rng.uniform(0.6, 1.4)), 3),
                        "slope": round(float(rng.uniform(0.05, 0.4)), 4),
                        "capacity": round(float(rng.uniform(300, 900)), 1),
                    }
                )
            unit_value[pid] = cost
        else:
            prev = by_chain[chain][stage - 1]
            ratio = round(float(rng.uniform(1.05, 2.5)), 3)
            entry["inputs"] = {prev: ratio}
            if stage == 2 and chain > 0 and rng.random() < 0.5:
                other = by_chain[int(rng.integers(0, chain))]
                if len(other) > 1:
                    entry["inputs"][other[1]] = round(float(rng.uniform(0.1, 0.5)), 3)
            conv = float(rng.uniform(10, 40)) * (stage + 1)
            where = few(2, 5)
            for r in where:
                processing.append(
                    {
                        "region": regions[r],
                        "product": pid,
                        "intercept": round(conv * float(rng.uniform(0.7, 1.3)), 3),
                        "slope": round(float(rng.uniform(0.02, 0.2)), 4),
                        "capacity": round(float(rng.uniform(200, 600)), 1),
                    }
                )
            unit_value[pid] = sum(unit_value[k] * a for k, a in entry["inputs"].items()) + conv
        sources[pid] = where
        products.append(entry)
        # Demand: components almost everywhere, refined products in some regions, ores in a few.
        share = (0.15, 0.4, 0.9)[stage]
        last = by_chain[chain][-1] == pid
        if last:
            share = max(share, 0.9)
        for r in range(n_regions):
            if rng.random() < share:
                demand.append(
                    {
                        "region": regions[r],
                        "product": pid,
                        "intercept": round(unit_value[pid] * float(rng.uniform(1.6, 3.0)), 3),
                        # world demand near 1000 units at a price of twice the unit value,
                        # whatever the number of regions that share it
                        "slope": round(unit_value[pid] * float(rng.uniform(1.0, 3.0)) * share * n_regions / 1000, 4),
                    }
                )

    # Arcs: from sources to everyone, and every region to its nearest neighbours.
    order = np.argsort(dist, axis=1)[:, 1 : neighbours + 1]
    for pid, _, stage in prods:
        fixed = 2.0 + stage
        rate = 0.002 * unit_value[pid] / 50.0 * 1.0  # per km: grows with unit value
        pairs = {(o, d) for o in sources[pid] for d in range(n_regions) if o != d}
        pairs |= {(o, int(d)) for o in range(n_regions) for d in order[o]}
        pairs |= {(int(d), o) for o in range(n_regions) for d in order[o]}
        for o, d in sorted(pairs):
            transport.append(
                {
                    "product": pid,
                    "origin": regions[o],
                    "destination": regions[d],
                    "cost": round(fixed + rate * float(dist[o, d]), 4),
                }
            )

    bloc = sorted(rng.choice(n_regions, size=max(2, math.ceil(0.3 * n_regions)), replace=False).tolist())
    blocs = {"bloc": [regions[i] for i in bloc]}
    outsider = next((i for i in range(n_regions) if i not in bloc), bloc[0])
    last_prod = prods[-1][0]
    first_ore = prods[0][0]
    ore_src = sources[first_ore][0]
    policies: list[dict[str, Any]] = [
        {"kind": "tariff", "product": "*", "origin": "not bloc", "destination": "bloc", "specific": 4.0, "exempt": "bloc"},
        {"kind": "tariff", "product": last_prod, "origin": regions[outsider], "destination": regions[bloc[0]], "specific": 7.5},
        {"kind": "export_tax", "product": first_ore, "origin": regions[ore_src], "destination": "*", "specific": 3.0},
        {"kind": "export_ban", "product": first_ore, "origin": regions[sources[first_ore][-1]], "destination": "bloc"},
        {"kind": "export_quota", "product": first_ore, "origin": regions[ore_src], "destination": "*", "quantity": 100.0},
    ]
    return {
        "name": f"bench-{n_regions}x{n_products}-s{seed}",
        "products": products,
        "regions": regions,
        "blocs": blocs,
        "supply": supply,
        "demand": demand,
        "processing": processing,
        "transport": transport,
        "default_transport_cost": None,
        "policies": policies,
    }
