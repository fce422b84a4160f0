"""DataFrames as HTML tables: escaped text, numbers to 6 significant digits, right-aligned."""

from __future__ import annotations

import html
import math

import pandas as pd


def fmt(value: object, digits: int = 6) -> str:
    """A number for people: 6 significant digits (whole units above a million), thousands separators; empty for missing."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalars
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if abs(value) >= 10**digits:  # whole units with separators rather than an exponent
            return f"{value:,.0f}"
        return f"{value:,.{digits}g}"
    return str(value)


def table(frame: pd.DataFrame, caption: str | None = None, table_id: str | None = None) -> str:
    """An HTML ``<table>`` of ``frame`` (no index)."""
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in frame.columns]
    head = "".join(f'<th class="{"n" if n else "t"}">{html.escape(str(c))}</th>' for c, n in zip(frame.columns, numeric, strict=True))
    body = []
    for row in frame.itertuples(index=False):
        cells = "".join(f'<td class="{"n" if n else "t"}">{html.escape(fmt(v))}</td>' for v, n in zip(row, numeric, strict=True))
        body.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    ident = f' id="{html.escape(table_id)}"' if table_id else ""
    return f'<div class="tw"><table{ident}>{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def details(summary: str, inner: str, open_: bool = False) -> str:
    """A collapsible block (long tables stay out of the way but in the file)."""
    return f'<details{" open" if open_ else ""}><summary>{html.escape(summary)}</summary>{inner}</details>'
