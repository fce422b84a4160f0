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
from critmin.ensemble.discovery import Discovery, default_outcome, discover
from critmin.ensemble.evaluators import SerialEvaluator
from critmin.ensemble.experiment import OUTCOMES, SAMPLES, Experiment
from critmin.ensemble.summary import outcome_summary, region_summary, wide_outcomes
from critmin.errors import DataError, SolverError, UnknownChoiceError

#: Files written beside the tables: per-region summary, PRIM box, feature scores, the report (not hashed: it names
#: the executors of each session).
REGIONS, BOX, SCORES, REPORT = "summary_regions.csv", "discovery_box.csv", "discovery_scores.csv", "report.html"


@dataclass(frozen=True)
class EnsembleResult:
    """A finished ensemble: its folder, tables (``samples``, ``outcomes`` and the trajectory tables), the outcome and
    per-region summaries, scenario discovery (None with the reason in ``discovery_note``), manifest and run log."""

    folder: Path
    tables: dict[str, pd.DataFrame]
    summary: pd.DataFrame
    region_summary: pd.DataFrame
    discovery: Discovery | None
    discovery_note: str
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
                 on_chunk: Callable[[int, int], None] | None = None, worst: str | None = None,
                 share: float = 0.1, html: bool = True) -> EnsembleResult:
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
    return finish(exp, out, ident, worst, share, html)


def finish(exp: Experiment, out: Path, ident: dict[str, Any], worst: str | None = None, share: float = 0.1,
           html: bool = True) -> EnsembleResult:
    """Consolidate the parts, check every residual, write the tables, summaries, scenario discovery of the worst
    ``share`` of outcome ``worst`` (default: :func:`default_outcome`), the manifest and (``html``) ``report.html``."""
    merged = store.consolidate(out, exp.samples)
    residual = np.asarray(merged[SAMPLES].column("residual"))
    if not (residual <= exp.tolerance).all():
        bad = int(np.argmax(residual))
        raise SolverError(f"{out}: sample {bad} has certificate residual {residual[bad]:.3g} > tolerance {exp.tolerance:g}")
    files = []
    for name, table in merged.items():
        store.write_table(table, out / f"{name}.parquet")
        files.append(f"{name}.parquet")
    tables = {name: table.to_pandas() for name, table in merged.items()}
    outcomes = tables.get(OUTCOMES, pd.DataFrame(columns=["sample", "outcome", "value"]))
    summary, regions = outcome_summary(outcomes), region_summary(tables)
    found, note = _discover(tables, outcomes, worst, share)
    written = {store.SUMMARY: summary, REGIONS: regions}
    if found is not None:
        written |= {BOX: found.box.limits, SCORES: found.scores}
    for name, frame in written.items():
        store.write_csv(frame, out / name)
        files.append(name)
    facts = {"max_residual": float(residual.max(initial=0.0)), "tables": {n: int(t.num_rows) for n, t in merged.items()},
             "discovery": None if found is None else {"outcome": found.outcome, "share": share, "worst_samples": found.worst,
                                                      "coverage": found.box.coverage, "density": found.box.density}}
    manifest = store.finish(out, ident, files, facts)
    result = EnsembleResult(out, tables, summary, regions, found, note, manifest, sessions(out))
    if html:  # plotly is imported only where a report is written, not in every worker
        from critmin.reports import ensemble as report

        store.write_text(out / REPORT, report.render(result, regions, found, note))
    return result


def _discover(tables: dict[str, pd.DataFrame], outcomes: pd.DataFrame, worst: str | None,
              share: float) -> tuple[Discovery | None, str]:
    """Scenario discovery when it is possible, else None and why (an explicitly asked outcome must exist)."""
    if not len(outcomes):
        return None, "No scalar outcomes: nothing to explain."
    wide = wide_outcomes(outcomes)
    inputs = tables[SAMPLES].set_index("sample").drop(columns=["residual"])
    if worst is None:
        worst = default_outcome(wide)
        if worst is None:
            return None, "No outcome varies across the samples: nothing to explain."
    elif worst not in wide.columns:
        raise UnknownChoiceError("outcome (--worst)", worst, wide.columns)
    if not (inputs.nunique() > 1).any():
        return None, "No uncertainty varies across the samples (declare uncertainties: in the scenario)."
    try:
        return discover(inputs, wide, worst, share), ""
    except DataError as err:
        return None, str(err)


def sessions(out: Path) -> list[dict[str, Any]]:
    """The run log: one entry per session that worked on this folder."""
    path = out / store.LOG
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.is_file() else []

