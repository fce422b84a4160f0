"""Read back a ``critmin run`` output folder, checking every table against the manifest's sha256.

So ``critmin compare`` can compare saved runs without solving again, and a table edited after the
run is caught rather than compared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from critmin.errors import InputFileError
from critmin.results.manifest import FORMAT, MANIFEST, file_sha256

#: Columns read as text even when they look like numbers or like 'NA'.
TEXT = {"region": str, "product": str, "origin": str, "destination": str, "id": str, "level": str, "kind": str,
        "target": str}


@dataclass
class SavedRun:
    """The tables of a saved run (as ``result``), its scenario name and hash."""

    name: str
    scenario_sha256: str
    result: SimpleNamespace
    source: str


def load_run(folder: str | Path) -> SavedRun:
    """Read the folder written by :func:`critmin.results.write_run`; errors name the file and field."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise InputFileError(folder, f"not a critmin run output (no {MANIFEST})")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise InputFileError(path, f"not valid JSON ({err})") from None
    if manifest.get("format") != FORMAT:
        raise InputFileError(path, f"not a run manifest (expected {FORMAT!r})", "format", manifest.get("format"))
    tables = {}
    for entry in manifest["files"]:
        name = entry["name"]
        if not name.endswith(".csv"):
            continue
        csv = folder / name
        if not csv.is_file():
            raise InputFileError(csv, "listed in the manifest but missing")
        if file_sha256(csv) != entry["sha256"]:
            raise InputFileError(csv, "changed since the run (sha256 differs from manifest.json); re-run to compare it")
        tables[name.removesuffix(".csv")] = pd.read_csv(csv, dtype=TEXT, keep_default_na=False, na_values=[""])
    scenario = manifest["scenario"]
    return SavedRun(name=scenario["name"], scenario_sha256=scenario["sha256"], result=SimpleNamespace(**tables),
                    source=str(folder))
