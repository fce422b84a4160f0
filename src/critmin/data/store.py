"""Read the embedded dataset: ``load(name)`` returns one table as a pandas DataFrame.

Tables are CSV files listed in ``embedded/manifest.json`` (see
docs/decisions/0001-embedded-dataset.md). Each is parsed once and cached; callers get a copy,
so they cannot corrupt the cache.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pandas as pd

from critmin.errors import DataError

EMBEDDED = Path(__file__).resolve().parent / "embedded"
#: Columns always read as text (codes that look numeric or like 'NA').
TEXT_COLUMNS: tuple[str, ...] = ("hs6", "iso3", "exporter", "importer", "source", "table", "unit", "note", "qualifier")


@functools.lru_cache(maxsize=1)
def manifest() -> dict:
    """The parsed ``manifest.json`` of the embedded dataset."""
    path = EMBEDDED / "manifest.json"
    if not path.is_file():
        raise DataError(f"embedded dataset missing: {path} not found (run `critmin data build`)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: not valid JSON ({err})") from err


def table_names() -> list[str]:
    """Names of the embedded tables, sorted."""
    return sorted(manifest()["tables"])


def data_version() -> str:
    """Content-derived version of the embedded dataset (changes whenever any table changes)."""
    return str(manifest()["data_version"])


@functools.lru_cache(maxsize=None)
def _read(name: str) -> pd.DataFrame:
    entry = manifest()["tables"][name]
    path = EMBEDDED / entry["file"]
    if not path.is_file():
        raise DataError(f"embedded table {name!r} missing: {path} not found (run `critmin data build`)")
    header = pd.read_csv(path, nrows=0).columns
    dtype = {c: "str" for c in TEXT_COLUMNS if c in header}
    frame = pd.read_csv(path, dtype=dtype, keep_default_na=False, na_values=[""])
    if "estimate" in frame.columns:
        frame["estimate"] = frame["estimate"].astype(bool)
    if "baci_code" in frame.columns:
        frame["baci_code"] = frame["baci_code"].astype("Int64")
    if len(frame) != entry["rows"]:
        raise DataError(f"{path}: {len(frame)} rows, manifest says {entry['rows']}")
    return frame


def load(name: str) -> pd.DataFrame:
    """A copy of embedded table ``name``; DataError naming the valid tables if unknown."""
    names = table_names()
    if name not in names:
        raise DataError(f"unknown dataset table {name!r}; tables: {', '.join(names)}")
    return _read(name).copy()


def clear_cache() -> None:
    """Forget cached tables (after a rebuild in the same process)."""
    manifest.cache_clear()
    _read.cache_clear()
