"""Write a trajectory: every table as CSV and Parquet, the outcomes, and a manifest.json.

Same layout and rules as a ``critmin run`` folder (decision 0035): written to a hidden folder and
renamed into place, no timestamps and no absolute paths, so that the same file and seed give the
same bytes (decision 0057).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from critmin.dynamics.model import DynamicModel
from critmin.dynamics.trajectory import Trajectory
from critmin.results.manifest import MANIFEST, file_sha256, manifest_text
from critmin.results.write import staged_dir, write_tables

FORMAT = "critmin-simulation/1"


def _g(value: float) -> float:
    return float(f"{float(value):.12g}")


def write_trajectory(model: DynamicModel, trajectory: Trajectory, out: str | Path, *, seed: int | None,
                     force: bool = False) -> dict[str, Any]:
    """Write the tables (CSV + Parquet), ``outcomes.csv`` and ``manifest.json`` into ``out``; return the manifest."""
    import critmin
    from critmin.data import data_version

    tables = dict(trajectory.tables)
    tables["outcomes"] = trajectory.headline()
    tables = {k: v if len(v.columns) else pd.DataFrame({"empty": []}) for k, v in tables.items()}
    with staged_dir(Path(out), force) as folder:
        files = write_tables(tables, folder)
        source = Path(model.source)
        data = {
            "format": FORMAT,
            "critmin_version": critmin.__version__,
            "data_version": data_version(),
            "scenario": {"name": model.name, "file": source.name,
                         "file_sha256": file_sha256(source) if source.is_file() else None},
            "seed": seed,
            "draws": {k: _g(v) for k, v in sorted(trajectory.draws.items())},
            "periods": int(model.periods.size),
            "period_years": model.dt,
            "first_period": float(model.periods[0]),
            "residual": _g(trajectory.residual),
            "tolerance": trajectory.tolerance,
            "solves": trajectory.solver.get("solves"),
            "files": [{"name": n, "rows": r, "bytes": p.stat().st_size, "sha256": file_sha256(p)} for n, p, r in files],
        }
        (folder / MANIFEST).write_text(manifest_text(data), encoding="utf-8")
    return data
