"""Write result files atomically: everything goes to a hidden temporary folder beside the target,
which is renamed into place only when every file is written, so an error never leaves a
half-written output directory (docs/decisions/0035-result-files-and-manifest.md).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from critmin.errors import CritminError
from critmin.results.excel import write_excel
from critmin.results.manifest import MANIFEST, canonical_json, manifest, manifest_text

if TYPE_CHECKING:
    from critmin.results.compare import Comparison
    from critmin.results.execute import Run

SCENARIO_FILE = "scenario.json"
EXCEL_FILE = "results.xlsx"


class OutputExistsError(CritminError):
    """The output path is taken by something critmin must not overwrite."""


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def check_target(out: Path, force: bool) -> None:
    """Refuse a target that is a file, or a non-empty folder unless ``force`` and it is a critmin output.

    ``--force`` only ever replaces a folder holding a critmin ``manifest.json`` (a previous run or
    comparison), so a mistyped ``-o`` can never wipe a folder of other files.
    """
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out}: output path exists and is a file, not a directory")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MANIFEST).is_file():
            raise OutputExistsError(f"{out}: output directory exists, is not empty and is not a critmin output "
                                    f"(no {MANIFEST}); choose another -o")
        if not force:
            raise OutputExistsError(f"{out}: output directory already holds a critmin output; use --force to replace it")


@contextmanager
def staged_dir(out: Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; on success it replaces ``out``, on error it is removed."""
    out = Path(out)
    check_target(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        tmp.chmod(0o777 & ~_umask())
        yield tmp
        if out.exists():
            check_target(out, force)
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            os.replace(out, old / out.name)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_text_atomic(path: Path, text: str) -> None:
    """Write one file through a temporary sibling and ``os.replace`` (never half-written)."""
    path = Path(path)
    if path.is_dir():
        raise OutputExistsError(f"{path}: output path is a directory, expected a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_tables(tables: dict[str, pd.DataFrame], folder: Path, *, parquet: bool = True,
                 excel: bool = False) -> list[tuple[str, Path, int]]:
    """Each table as ``name.csv`` (and ``name.parquet``; all in ``results.xlsx`` if ``excel``)."""
    files = []
    for name, frame in tables.items():
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        files.append((path.name, path, len(frame)))
        if parquet:
            path = folder / f"{name}.parquet"
            frame.to_parquet(path, index=False, engine="pyarrow", compression="zstd")
            files.append((path.name, path, len(frame)))
    if excel:
        path = folder / EXCEL_FILE
        write_excel(tables, path)
        files.append((path.name, path, sum(len(f) for f in tables.values())))
    return files


def write_run(run: Run, out: str | Path, *, excel: bool = False, force: bool = False) -> dict:
    """Write ``run``'s tables, its canonical ``scenario.json`` and ``manifest.json`` into ``out``; return the manifest."""
    with staged_dir(Path(out), force) as folder:
        files = write_tables(run.tables(), folder, excel=excel)
        scenario = folder / SCENARIO_FILE
        scenario.write_text(canonical_json(run.scenario.model_dump(mode="json")), encoding="utf-8")
        files.append((scenario.name, scenario, 1))
        data = manifest(run, files)
        (folder / MANIFEST).write_text(manifest_text(data), encoding="utf-8")
    return data


def write_comparison(comparison: Comparison, out: str | Path, *, force: bool = False) -> dict:
    """Write each comparison table as CSV plus a ``manifest.json`` naming both sides; return the manifest."""
    from critmin.results.manifest import file_sha256

    with staged_dir(Path(out), force) as folder:
        files = write_tables(comparison.tables, folder, parquet=False)
        data = {**comparison.header(),
                "files": [{"name": n, "rows": r, "sha256": file_sha256(p)} for n, p, r in files]}
        (folder / MANIFEST).write_text(manifest_text(data), encoding="utf-8")
    return data
