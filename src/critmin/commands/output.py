"""Shared output helpers: rich tables for people, JSON and CSV for machines."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

console = Console()


def _clean(value: Any) -> Any:
    """Make numpy/pandas scalars JSON-safe; NaN becomes null."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return [_clean(r) for r in value.to_dict(orient="records")]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_json(obj: Any) -> str:
    """Deterministic JSON text (sorted keys are *not* used: key order is part of the contract)."""
    return json.dumps(_clean(obj), indent=2, ensure_ascii=False)


def emit_json(obj: Any, path: str | Path | None = None) -> None:
    """Write JSON to ``path`` or stdout."""
    text = to_json(obj) + "\n"
    if path in (None, "-", ""):
        sys.stdout.write(text)
    else:
        Path(path).write_text(text, encoding="utf-8")


def emit_csv(frame: pd.DataFrame, path: str | Path | None = None) -> None:
    """Write a DataFrame as CSV to ``path`` or stdout."""
    if path in (None, "-", ""):
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        frame.to_csv(path, index=False, lineterminator="\n")


def rich_table(frame: pd.DataFrame, title: str | None = None, floatfmt: str = "{:,.4g}") -> Table:
    """A rich Table from a DataFrame, numbers right-aligned."""
    table = Table(title=title, title_justify="left")
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col])
        table.add_column(str(col), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append("" if math.isnan(v) else floatfmt.format(v))
            else:
                cells.append(str(v))
        table.add_row(*cells)
    return table
