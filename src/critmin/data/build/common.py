"""Helpers shared by the dataset builders: provenance columns and reproducible writing.

Every builder module in this package exposes ``build(raw: Path) -> dict[str, DataFrame]``
returning whole tables (or parts of tables, concatenated by the orchestrator) that follow
docs/decisions/0001-embedded-dataset.md.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from pathlib import Path

import pandas as pd

#: Provenance columns carried by every row of every embedded table.
PROVENANCE: tuple[str, ...] = ("source", "table", "source_year", "licence", "estimate")


def with_provenance(
    frame: pd.DataFrame,
    *,
    source: str,
    table: str,
    source_year: int,
    licence: str,
    estimate: bool | pd.Series = False,
) -> pd.DataFrame:
    """Return ``frame`` with the provenance columns set (existing ones are overwritten)."""
    out = frame.copy()
    out["source"] = source
    out["table"] = table
    out["source_year"] = int(source_year)
    out["licence"] = licence
    out["estimate"] = estimate if isinstance(estimate, pd.Series) else bool(estimate)
    out["estimate"] = out["estimate"].astype(bool)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Deterministic CSV bytes: fixed line ending, no index, shortest float repr."""
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def gzip_bytes(data: bytes) -> bytes:
    """Gzip with mtime=0 and no file name, so equal input gives equal bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    return sha256(Path(path).read_bytes())
