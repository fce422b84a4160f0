"""Run an ensemble into a folder: plan the chunks still to do, stream them to Parquet, consolidate, summarise.

:func:`run_ensemble` is what ``critmin ensemble`` calls. It is resumable: a second call on the same
folder with the same experiment runs only the samples whose part is missing, and the consolidated
files are the same bytes whether the run was interrupted or not, and whichever executor ran it.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from critmin.ensemble import store
from critmin.ensemble.evaluators import SerialEvaluator
from critmin.ensemble.experiment import OUTCOMES, SAMPLES, Experiment
from critmin.ensemble.summary import outcome_summary
from critmin.errors import SolverError


@dataclass(frozen=True)
class EnsembleResult:
    """A finished ensemble: its folder, tables (``samples``, ``outcomes`` and the trajectory tables), summary and manifest."""

    folder: Path
    tables: dict[str, pd.DataFrame]
    summary: pd.DataFrame
    manifest: dict[str, Any]
    sessions: list[dict[str, Any]]

    @property
    def inputs(self) -> pd.DataFrame:
        """The sampled inputs, one row per sample, one column per uncertainty."""
        return self.tables[SAMPLES].set_index("sample").drop(columns=["residual"])


def chunks(todo: Sequence[int], size: int) -> list[tuple[int, ...]]:
    """Consecutive runs of ``todo`` cut into chunks of at most ``size`` (a part always spans consecutive ids)."""
    out: list[tuple[int, ...]] = []
    run: list[int] = []
    for i in sorted(todo):
        if run and (i != run[-1] + 1 or len(run) == size):
            out.append(tuple(run))
            run = []
        run.append(i)
    if run:
        out.append(tuple(run))
    return out


def default_chunk_size(remaining: int, workers: int) -> int:
    """About four chunks per worker (balance) and at most 25 samples per part (little lost on interruption)."""
    return max(1, min(25, math.ceil(remaining / (4 * max(1, workers)))))


def identity(exp: Experiment, scenario: str, scenario_sha256: str) -> dict[str, Any]:
    """What makes two runs the same ensemble (and their files the same bytes)."""
    import critmin

    return {"scenario": scenario, "scenario_sha256": scenario_sha256, "seed": exp.seed, "samples": exp.samples,
            "design": exp.design, "tolerance": exp.tolerance, "critmin": critmin.__version__,
            "uncertainties": [u.model_dump(mode="json") for u in exp.uncertainties]}


def run_ensemble(exp: Experiment, out: Path, *, scenario: str, scenario_sha256: str, evaluator: Any = None,
                 fresh: bool = False, chunk_size: int | None = None,
                 on_chunk: Callable[[int, int], None] | None = None) -> EnsembleResult:
    """Run (or resume) ``exp`` into ``out``; ``on_chunk(samples_done, samples_total)`` is called after each part is written."""
    evaluator = evaluator or SerialEvaluator()
    ident = identity(exp, scenario, scenario_sha256)
    done = store.prepare(out, ident, fresh)
    todo = [i for i in range(exp.samples) if i not in done]
    plan = chunks(todo, chunk_size or default_chunk_size(len(todo), evaluator.workers))
    started, finished = time.perf_counter(), len(done)
    if on_chunk:
        on_chunk(finished, exp.samples)
    try:
        for ids, tables in evaluator(exp, plan):
            store.write_part(out, ids, tables)
            finished += len(ids)
            if on_chunk:
                on_chunk(finished, exp.samples)
    finally:
        store.log_session(out, {"executor": evaluator.name, "workers": evaluator.workers, "resumed_with": len(done),
                                "samples_run": finished - len(done), "wall_s": round(time.perf_counter() - started, 3),
                                "complete": finished == exp.samples})
    return finish(exp, out, ident)


def finish(exp: Experiment, out: Path, ident: dict[str, Any]) -> EnsembleResult:
    """Consolidate the parts, check every residual, write tables, ``summary.csv`` and the manifest."""
    merged = store.consolidate(out, exp.samples)
    residual = np.asarray(merged[SAMPLES].column("residual"))
    if not (residual <= exp.tolerance).all():
        worst = int(np.argmax(residual))
        raise SolverError(f"{out}: sample {worst} has certificate residual {residual[worst]:.3g} > tolerance {exp.tolerance:g}")
    files = []
    for name, table in merged.items():
        store.write_table(table, out / f"{name}.parquet")
        files.append(f"{name}.parquet")
    tables = {name: table.to_pandas() for name, table in merged.items()}
    summary = outcome_summary(tables[OUTCOMES]) if len(tables[OUTCOMES]) else pd.DataFrame()
    store.write_csv(summary, out / store.SUMMARY)
    files.append(store.SUMMARY)
    manifest = store.finish(out, ident, files, {"max_residual": float(residual.max(initial=0.0)),
                                                "tables": {n: int(t.num_rows) for n, t in merged.items()}})
    return EnsembleResult(out, tables, summary, manifest, sessions(out))


def sessions(out: Path) -> list[dict[str, Any]]:
    """The run log: one entry per session that worked on this folder."""
    path = out / store.LOG
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.is_file() else []

