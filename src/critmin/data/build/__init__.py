"""Build the embedded dataset from the raw public files (``critmin data build``).

:func:`build_all` imports the builder modules, concatenates parts of the same table, derives
``stages``, validates everything and only then writes all files at once (into a temporary
directory that replaces the output directory), plus ``manifest.json`` with the sha256 of
every raw input and output and no timestamps, so equal inputs give equal bytes.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from critmin.data.build.common import PROVENANCE, csv_bytes, gzip_bytes, sha256
from critmin.data.validate import SCHEMAS, validate
from critmin.errors import DataError

#: Builder modules, in the order their parts are concatenated.
OWN_BUILDERS: tuple[str, ...] = ("reference", "usgs", "usgs_us", "wmd")
#: Builders written by other contributors: skipped while absent, required once present.
OTHER_BUILDERS: tuple[str, ...] = ("trade", "governance", "groupings", "literature", "lithium")
#: Tables written gzip-compressed.
GZIP_TABLES: frozenset[str] = frozenset({"trade"})
ENV_RAW = "CRITMIN_RAW_DATA"
EMBEDDED = Path(__file__).resolve().parent.parent / "embedded"


def default_raw() -> Path | None:
    """``$CRITMIN_RAW_DATA``, else ``<repo root>/../shared/data`` for an editable install."""
    if os.environ.get(ENV_RAW):
        return Path(os.environ[ENV_RAW])
    repo = Path(__file__).resolve().parents[4]
    if (repo / "pyproject.toml").is_file() and (repo.parent / "shared" / "data").is_dir():
        return repo.parent / "shared" / "data"
    return None


def resolve_raw(raw: str | Path | None) -> Path:
    """The raw directory to build from, or a DataError saying how to provide one."""
    path = Path(raw) if raw is not None else default_raw()
    if path is None:
        raise DataError(f"no raw data directory: pass --raw DIR or set {ENV_RAW} "
                        "(the raw public files are in ../shared/data next to a source checkout)")
    if not path.is_dir():
        raise DataError(f"raw data directory not found: {path}")
    return path


def _builders() -> list:
    modules = [importlib.import_module(f"critmin.data.build.{name}") for name in OWN_BUILDERS]
    for name in OTHER_BUILDERS:
        try:
            modules.append(importlib.import_module(f"critmin.data.build.{name}"))
        except ModuleNotFoundError as err:
            if err.name != f"critmin.data.build.{name}":
                raise
    return modules


def _concat(parts: dict[str, list[pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    tables = {}
    for name, frames in parts.items():
        frame = pd.concat([f for f in frames if not f.empty] or frames, ignore_index=True)
        if name == "sources":
            # a source row is its own provenance: builders may leave these two out
            frame = frame.assign(table=frame.get("table", pd.Series(index=frame.index, dtype=object)).fillna("sources"),
                                 estimate=frame.get("estimate", pd.Series(index=frame.index, dtype=object)).fillna(False).astype(bool))
            frame = frame.drop_duplicates(ignore_index=True)
            dup = frame["source"][frame["source"].duplicated()]
            if not dup.empty:
                raise DataError(f"table 'sources': source {dup.iloc[0]!r} is defined twice with different fields")
        tables[name] = frame
    return tables


def _tidy(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Columns in contract order (key, columns, extras, provenance), rows sorted by key."""
    schema = SCHEMAS.get(name)
    first = list(schema.key + schema.columns) if schema else []
    cols = [c for c in first if c in frame.columns]
    cols += [c for c in frame.columns if c not in cols and c not in PROVENANCE]
    cols += [c for c in PROVENANCE if c in frame.columns]
    frame = frame[list(dict.fromkeys(cols))]
    if schema and all(c in frame.columns for c in schema.key):
        frame = frame.sort_values(list(schema.key), kind="stable", ignore_index=True)
    return frame


def build_tables(raw: Path) -> dict[str, pd.DataFrame]:
    """All tables, validated, in memory."""
    from critmin.data.build import stages

    parts: dict[str, list[pd.DataFrame]] = {}
    for module in _builders():
        for name, frame in module.build(raw).items():
            parts.setdefault(name, []).append(frame)
    tables = _concat(parts)
    tables["stages"] = stages.derive(tables)
    tables = {name: _tidy(name, tables[name]) for name in sorted(tables)}
    validate(tables)
    return tables


def _raw_hashes(raw: Path) -> dict[str, str]:
    files = sorted(p for p in raw.rglob("*") if p.is_file())
    return {p.relative_to(raw).as_posix(): sha256(p.read_bytes()) for p in files}


def render(tables: dict[str, pd.DataFrame], raw: Path) -> dict[str, bytes]:
    """File name -> bytes for every output file, manifest included."""
    files: dict[str, bytes] = {}
    entries = {}
    for name, frame in tables.items():
        data = csv_bytes(frame)
        file = f"{name}.csv"
        if name in GZIP_TABLES:
            data, file = gzip_bytes(data), f"{name}.csv.gz"
        files[file] = data
        entries[name] = {"file": file, "rows": int(len(frame)), "sha256": sha256(data)}
    digest = sha256("".join(f"{n}:{e['sha256']}\n" for n, e in entries.items()).encode())
    manifest = {"data_version": f"mcs2026-{digest[:12]}", "tables": entries, "raw_inputs": _raw_hashes(raw)}
    files["manifest.json"] = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    return files


def write_atomic(files: dict[str, bytes], out: Path) -> None:
    """Write ``files`` into a fresh directory that then replaces ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-new-", dir=out.parent))
    try:
        for file, data in files.items():
            (tmp / file).write_bytes(data)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=out.parent))
            os.replace(out, old / out.name)
            os.replace(tmp, out)
            shutil.rmtree(old)
        else:
            os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def build_all(raw: str | Path | None = None, out: str | Path | None = None) -> dict[str, bytes]:
    """Build, validate and write the dataset; returns the files written."""
    raw_dir = resolve_raw(raw)
    files = render(build_tables(raw_dir), raw_dir)
    write_atomic(files, Path(out) if out is not None else EMBEDDED)
    return files


def check(raw: str | Path | None = None, embedded: Path = EMBEDDED) -> list[str]:
    """Rebuild in memory and list the files whose bytes differ from ``embedded`` (empty = equal)."""
    raw_dir = resolve_raw(raw)
    files = render(build_tables(raw_dir), raw_dir)
    present = {p.name for p in Path(embedded).glob("*") if p.is_file()} if Path(embedded).is_dir() else set()
    differ = [f for f, data in files.items() if f not in present or (Path(embedded) / f).read_bytes() != data]
    return sorted(differ + [f for f in present - set(files)])
