"""``refining_routes.csv``: where mined output is refined, or preferably shipped, by assumption.

Rows of role ``location`` say where a mineral without published refining shares is refined
(lithium); rows of role ``flows`` are preferred destinations of mine output at a stage the
trade data do not cover (rare-earth concentrate). Every row carries its source or reasoning
(docs/decisions/0023 and 0025). ``*`` as origin applies to every origin without its own rows.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from critmin.errors import DataError

ROUTE_COLUMNS = ("mineral", "origin", "destination", "share", "role", "source", "reference", "source_year",
                 "licence", "estimate", "note")
ROLES = ("location", "flows")


def routes(path: Path | None = None) -> pd.DataFrame:
    """``refining_routes.csv``, validated; errors name the file, the 1-based row and the column."""
    path = path or Path(str(resources.files("critmin.world").joinpath("refining_routes.csv")))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)

    def fail(row: int | None, column: str, value: object, message: str) -> DataError:
        where = path.name + (f", row {row}" if row is not None else "")
        return DataError(f"{where}: column '{column}' (value {value!r}): {message}")

    missing = [c for c in ROUTE_COLUMNS if c not in frame.columns]
    if missing:
        raise fail(None, missing[0], None, "column missing from the header")
    share = pd.to_numeric(frame["share"], errors="coerce")
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        if not 0 <= share.iloc[i - 1] <= 1:
            raise fail(i, "share", row.share, "must be a number within 0..1")
        if row.role not in ROLES:
            raise fail(i, "role", row.role, f"must be one of {list(ROLES)}")
        for column in ("mineral", "origin", "destination", "source", "reference", "licence"):
            if not str(getattr(row, column)).strip():
                raise fail(i, column, "", "empty")
        if row.estimate not in ("True", "False"):
            raise fail(i, "estimate", row.estimate, "must be True or False")
    frame = frame.assign(share=share)
    sums = frame.groupby(["mineral", "origin", "role"])["share"].sum()
    if (sums > 1 + 1e-9).any():
        key = sums[sums > 1 + 1e-9].index[0]
        raise fail(None, "share", float(sums[key]), f"shares of {key} add up to more than 1")
    return frame


def route(mineral: str, output: pd.Series, role: str) -> pd.DataFrame:
    """Country output of ``mineral`` sent along ``refining_routes.csv`` rows of ``role``
    (``location``: where it is refined; ``flows``: preferred destinations of mine output)."""
    table = routes()
    table = table[(table["mineral"] == mineral) & (table["role"] == role)]
    if table.empty:
        return pd.DataFrame(columns=["origin", "destination", "quantity"])
    explicit = table[table["origin"] != "*"].set_index("origin")
    fallback = table[table["origin"] == "*"]
    rows = []
    for origin, q in output.items():
        use = explicit.loc[[origin]] if origin in explicit.index else fallback
        if use.empty:
            raise DataError(f"refining_routes.csv: no {role} route for {mineral} from {origin}")
        rows += [(origin, dest, float(q) * float(share)) for dest, share in zip(use["destination"], use["share"])]
    return pd.DataFrame(rows, columns=["origin", "destination", "quantity"])
