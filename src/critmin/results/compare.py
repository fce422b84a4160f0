"""``compare(a, b)``: the differences that matter between two results, largest first.

Each table lines up the rows of ``a`` and ``b`` on their keys and gives ``a``, ``b``,
``change = b - a`` and ``change_pct = 100 * change / |a|`` (empty where ``a`` is 0). A quantity
or flow missing on one side is 0 there (nothing produced, nothing shipped); a price missing on
one side stays empty (the market does not exist there) and such rows come last. Rows whose
change is numerical noise (below :data:`NOISE` relative to the values) are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from critmin.engine.result import round_noise

#: Relative size of a change treated as solver noise (the engine solves to ~1e-10 scaled).
NOISE = 1e-9
VALUES = ["a", "b", "change", "change_pct"]

#: table -> (key columns, value columns, fill value for a row missing on one side)
SPECS: dict[str, tuple[list[str], list[str], float]] = {
    "prices": (["region", "product"], ["price"], np.nan),
    "producer_prices": (["region", "product"], ["price"], np.nan),
    "supply": (["region", "product"], ["quantity"], 0.0),
    "demand": (["region", "product"], ["quantity"], 0.0),
    "processing": (["region", "product"], ["quantity"], 0.0),
    "flows": (["product", "origin", "destination"], ["quantity"], 0.0),
    "welfare": (["level", "id"], ["consumer_surplus", "producer_surplus", "processing_surplus", "quota_rent",
                                  "government", "total"], np.nan),
    "policies": (["kind", "product", "target", "occurrence"], ["quantity", "revenue", "rent", "payment", "purchases",
                                                                "spending"], 0.0),
}


@dataclass
class Comparison:
    """Difference tables between result ``a`` (the reference) and result ``b``."""

    a: str
    b: str
    tables: dict[str, pd.DataFrame]
    sides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def header(self) -> dict[str, Any]:
        """Names (and, when known, scenario hashes) of both sides."""
        return {"format": "critmin-compare/1", "a": self.sides.get("a", {"name": self.a}),
                "b": self.sides.get("b", {"name": self.b})}

    def to_dict(self) -> dict[str, Any]:
        return {**self.header(), **{name: frame for name, frame in self.tables.items()}}

    def long(self) -> pd.DataFrame:
        """All tables in one frame: ``table, key, measure`` and the four value columns (for ``--csv``)."""
        parts = []
        for name, frame in self.tables.items():
            keys, values, _ = SPECS[name]
            measure = frame["measure"] if "measure" in frame else pd.Series(values[0], index=frame.index)
            key = frame[keys].astype(str).agg("/".join, axis=1) if len(frame) else pd.Series([], dtype=str)
            parts.append(pd.DataFrame({"table": name, "key": key, "measure": measure, **{c: frame[c] for c in VALUES}}))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["table", "key", "measure", *VALUES])


def _policy_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Policies matched by what they are (kind, product, target), not by their position in the list."""
    out = frame.copy()
    for col in ("product", "target"):
        if col not in out:
            out[col] = ""
        out[col] = out[col].fillna("").astype(str)
    out["occurrence"] = out.groupby(["kind", "product", "target"]).cumcount()
    return out


def _table(name: str, a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    keys, values, fill = SPECS[name]
    if name == "policies":
        a, b = _policy_keys(a), _policy_keys(b)
    values = [v for v in values if v in a.columns or v in b.columns]
    a = a.reindex(columns=keys + values)
    b = b.reindex(columns=keys + values)
    merged = a.merge(b, on=keys, how="outer", suffixes=("_a", "_b"), indicator=True)
    rows = []
    for v in values:
        va, vb = merged[f"{v}_a"].astype(float), merged[f"{v}_b"].astype(float)
        if not np.isnan(fill):
            va = va.where(merged["_merge"] != "right_only", fill)
            vb = vb.where(merged["_merge"] != "left_only", fill)
            if name == "policies":  # a measure a policy does not report (NaN) is nothing collected or paid
                both_nan = va.isna() & vb.isna()
                va, vb = va.fillna(0.0).mask(both_nan), vb.fillna(0.0).mask(both_nan)
        part = merged[keys].copy()
        if len(values) > 1:
            part["measure"] = v
        part["a"], part["b"] = va.to_numpy(), vb.to_numpy()
        rows.append(part)
    frame = pd.concat(rows, ignore_index=True)
    frame = frame[~(frame["a"].isna() & frame["b"].isna())]
    frame["change"] = frame["b"] - frame["a"]
    scale = np.maximum(1.0, np.maximum(frame["a"].abs().fillna(0), frame["b"].abs().fillna(0)))
    matters = ~(frame["change"].abs() <= NOISE * scale)  # keeps rows where one side is missing (NaN change)
    frame = frame[matters].copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * frame["change"] / frame["a"].abs()
    frame["change_pct"] = pct.where(frame["a"] != 0)
    magnitude = frame["change"].abs().fillna(-1.0)
    order = np.lexsort([*(frame[k].astype(str).to_numpy() for k in reversed(keys)), -magnitude.to_numpy()])
    return round_noise(frame.iloc[order].reset_index(drop=True))


def compare(a: Any, b: Any) -> Comparison:
    """Compare results ``a`` and ``b`` (engine Results, or Runs) table by table; see the module docstring."""
    sides = {}
    for label, side in (("a", a), ("b", b)):
        info: dict[str, Any] = {"name": getattr(side, "name", None) or side.scenario}
        if hasattr(side, "scenario_sha256"):
            info["scenario_sha256"] = side.scenario_sha256
        sides[label] = info
    ra, rb = getattr(a, "result", a), getattr(b, "result", b)
    tables = {name: _table(name, getattr(ra, name), getattr(rb, name)) for name in SPECS}
    return Comparison(a=sides["a"]["name"], b=sides["b"]["name"], tables=tables, sides=sides)
