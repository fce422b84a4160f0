"""The ensemble folder: streamed Parquet parts, resume, consolidation and the manifest (docs/decisions/0067).

Layout of ``DIR``::

    manifest.json               what the ensemble is (seed, samples, scenario hash, ...); on completion
                                also every output file with its sha256 and rows
    parts/part-<a>-<b>/*.parquet one folder per finished chunk (samples a..b), renamed into place whole
    <table>.parquet             consolidated, rows sorted by sample id, written without timestamps
    summary.csv                 p5/p50/p95 per outcome
    run-log.jsonl               per session: executor, workers, samples run, wall time (not hashed)

A chunk's folder appears only when all its tables are written (temporary folder + rename), so a
killed run leaves whole parts only; resuming reads the ids of the parts present and runs the rest.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from critmin.ensemble.experiment import concat
from critmin.errors import CritminError, DataError
from critmin.results.manifest import canonical_json, file_sha256

MANIFEST, PARTS, SUMMARY, LOG = "manifest.json", "parts", "summary.csv", "run-log.jsonl"
FORMAT = "critmin-ensemble/1"
WIDTH = 8  # digits of the sample ids in part names, so names sort in sample order


class EnsembleFolderError(CritminError):
    """The output folder belongs to something else (another ensemble, or not an ensemble)."""


def _write_json(path: Path, obj: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _identity_diff(old: dict[str, Any], new: dict[str, Any]) -> str:
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    return "; ".join(f"{k}: {str(old.get(k))[:60]} here, {str(new.get(k))[:60]} asked" for k in keys)


def prepare(out: Path, identity: dict[str, Any], fresh: bool) -> set[int]:
    """Make ``out`` ready for the ensemble ``identity``; return the sample ids already finished there.

    A folder holding another ensemble (different scenario, seed, samples...) is refused unless
    ``fresh``; a non-empty folder that is not an ensemble is always refused (nothing is wiped that
    critmin did not write).
    """
    identity = {"format": FORMAT, **identity}
    if out.exists() and not out.is_dir():
        raise EnsembleFolderError(f"{out}: output path exists and is a file, not a directory")
    if out.is_dir() and any(out.iterdir()):
        try:
            old = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["identity"]
        except (OSError, ValueError, KeyError, TypeError):
            raise EnsembleFolderError(f"{out}: folder is not empty and holds no critmin ensemble ({MANIFEST}); "
                                      "choose another -o") from None
        if fresh:
            clear(out)
        elif old != identity:
            raise EnsembleFolderError(f"{out}: holds a different ensemble ({_identity_diff(old, identity)}); "
                                      "use another -o, or --fresh to discard it")
    out.mkdir(parents=True, exist_ok=True)
    (out / PARTS).mkdir(exist_ok=True)
    if not (out / MANIFEST).is_file():
        _write_json(out / MANIFEST, {"identity": identity})
    return done_ids(out)


def clear(out: Path) -> None:
    """Remove what an ensemble wrote in ``out`` (parts, tables, summary, report, manifest, log), nothing else."""
    shutil.rmtree(out / PARTS, ignore_errors=True)
    manifest = out / MANIFEST
    if manifest.is_file():
        files = json.loads(manifest.read_text(encoding="utf-8")).get("files", {})
        for name in [*files, LOG, "report.html"]:
            (out / name).unlink(missing_ok=True)
        manifest.unlink()


def _span(name: str) -> tuple[int, int]:
    _, a, b = name.split("-")
    return int(a), int(b)


def parts(out: Path) -> list[tuple[tuple[int, int], Path]]:
    """The finished parts, by sample span, in sample order (temporary folders of killed writes are ignored)."""
    found = [(_span(p.name), p) for p in (out / PARTS).glob("part-*") if p.is_dir()]
    return sorted(found)


def done_ids(out: Path) -> set[int]:
    """Sample ids whose part is written; a part's ``samples`` table lists them."""
    ids: set[int] = set()
    for _, path in parts(out):
        ids.update(int(i) for i in pq.read_table(path / "samples.parquet", columns=["sample"]).column("sample").to_pylist())
    return ids


def write_part(out: Path, ids: Iterable[int], tables: dict[str, pa.Table]) -> Path:
    """Write one finished chunk as ``parts/part-<first>-<last>/`` (temporary folder, then rename)."""
    ids = sorted(ids)
    final = out / PARTS / f"part-{ids[0]:0{WIDTH}d}-{ids[-1]:0{WIDTH}d}"
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=out / PARTS))
    try:
        for name, table in tables.items():
            pq.write_table(table, tmp / f"{name}.parquet", compression="zstd")
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def consolidate(out: Path, samples: int) -> dict[str, pa.Table]:
    """Every table over all parts, rows in sample order; raises if a sample is missing or repeated."""
    found = parts(out)
    expected = 0
    for (a, b), _ in found:
        if a != expected:
            raise DataError(f"{out}: parts do not cover samples {expected}..{a - 1}" if a > expected
                            else f"{out}: samples {a}..{expected - 1} appear in two parts")
        expected = b + 1
    if expected != samples:
        raise DataError(f"{out}: parts cover samples 0..{expected - 1}, not 0..{samples - 1}")
    names = sorted({f.stem for _, p in found for f in p.glob("*.parquet")})
    merged = {}
    for name in names:
        merged[name] = concat([pq.read_table(p / f"{name}.parquet").replace_schema_metadata(None)
                               for _, p in found if (p / f"{name}.parquet").is_file()])
    return merged


def write_table(table: pa.Table, path: Path) -> None:
    """One Parquet file whose bytes depend only on the rows (no timestamps, no pandas metadata; atomic)."""
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table.replace_schema_metadata(None), tmp, compression="zstd")
    os.replace(tmp, path)


def write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_csv(tmp, index=False, lineterminator="\n")
    os.replace(tmp, path)


def finish(out: Path, identity: dict[str, Any], files: list[str], extra: dict[str, Any]) -> dict[str, Any]:
    """Write the completed manifest: identity, ``extra`` facts and every output file with its sha256."""
    described = {}
    for name in sorted(files):
        path = out / name
        entry: dict[str, Any] = {"sha256": file_sha256(path), "bytes": path.stat().st_size}
        if name.endswith(".parquet"):
            entry["rows"] = pq.ParquetFile(path).metadata.num_rows
        described[name] = entry
    manifest = {"identity": {"format": FORMAT, **identity}, **extra, "files": described}
    json.loads(canonical_json(manifest))  # refuses NaN/inf before anything is written
    _write_json(out / MANIFEST, manifest)
    return manifest


def log_session(out: Path, entry: dict[str, Any]) -> None:
    """Append this session's executor, workers, samples run and wall time to ``run-log.jsonl``."""
    with (out / LOG).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True) + "\n")
