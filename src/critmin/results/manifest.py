"""The run manifest: what produced the files (scenario hash, data and code versions, certificate) and their hashes.

No timestamps and no absolute paths: the same inputs give the same manifest bytes on any machine
with the same critmin and dataset (docs/decisions/0035-result-files-and-manifest.md).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from critmin.results.execute import Run

MANIFEST = "manifest.json"
FORMAT = "critmin-run/1"


def canonical_json(obj: Any) -> str:
    """Sorted keys, no spaces, UTF-8: one text for one value, whatever the key order of the source file."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def scenario_sha256(scenario: Any) -> str:
    """sha256 of the canonical JSON of the validated scenario (``model_dump``, defaults filled in).

    Hashing the validated model, not the file, makes comments, key order and YAML-vs-JSON
    irrelevant: two files describing the same market have the same hash.
    """
    data = scenario.model_dump(mode="json") if hasattr(scenario, "model_dump") else scenario
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _g(value: float) -> float:
    """12 significant digits: a stable text for solver floats."""
    return float(f"{float(value):.12g}")


def _data_version() -> str:
    from critmin.data import data_version

    return data_version()


def manifest(run: Run, files: list[tuple[str, Path, int]]) -> dict[str, Any]:
    """The manifest of ``run``; ``files`` are ``(name, path, rows)`` of the written tables."""
    import critmin

    result = run.result
    calibration = run.calibration
    fit = None
    if calibration is not None:
        from critmin.world import fit as fitting

        checked = calibration["kind"].isin(fitting.CHECKED)
        worst = float(calibration.loc[checked, "relative"].abs().max()) if checked.any() else 0.0
        reported = float(calibration.loc[~checked, "relative"].abs().max()) if (~checked).any() else None
        fit = {"rows": len(calibration), "checked_kinds": list(fitting.CHECKED),
               "max_abs_relative_error": _g(worst), "tolerance": fitting.TOLERANCE,
               "reported_only_rows": int((~checked).sum()),
               "reported_only_max_abs_relative_error": None if reported is None else _g(reported)}
    solver = {k: (_g(v) if isinstance(v, float) else v) for k, v in result.solver.items() if k != "seconds"}
    return {
        "format": FORMAT,
        "critmin_version": critmin.__version__,
        "data_version": _data_version(),
        "scenario": {"name": run.name, "file": Path(run.source).name, "file_sha256": run.file_sha256,
                     "sha256": run.scenario_sha256},
        "status": result.status,
        "residual": _g(result.residual),
        "tolerance": result.tolerance,
        "worst_condition": result.worst_condition,
        "solver": solver,
        "calibration": fit,
        "files": [{"name": name, "rows": rows, "bytes": path.stat().st_size, "sha256": file_sha256(path)}
                  for name, path, rows in files],
    }


def manifest_text(data: dict[str, Any]) -> str:
    """Indented JSON with the manifest's own key order and a final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
