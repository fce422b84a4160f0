"""``critmin ensemble``: Monte Carlo runs of a dynamic scenario, streamed to Parquet, resumable, with a report.

Numbers come from :mod:`critmin.ensemble`; this module parses options, shows progress and prints
the p5/p50/p95 table (docs/ensembles.md).
"""

from __future__ import annotations

from pathlib import Path

import typer

from critmin.commands import app
from critmin.commands.output import console, rich_table
from critmin.errors import CritminError


def _progress():
    """A rich progress bar (samples done, rate, time left) on stderr, shown only on a terminal."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    err = Console(stderr=True)
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                    console=err, transient=True, disable=not err.is_terminal)


@app.command("ensemble")
def ensemble_command(
    file: Path = typer.Argument(..., help="Dynamic scenario file (with horizon: and uncertainties:)."),
    samples: int = typer.Option(..., "--samples", "-n", help="Number of samples N."),
    out: Path = typer.Option(..., "-o", "--out", help="Output folder (new, or this ensemble's folder to resume)."),
    seed: int = typer.Option(0, "--seed", help="Seed S: sample i uses numpy default_rng([S, i])."),
    workers: int | None = typer.Option(None, "--workers", "-w", help="Local worker processes K (or Dask LocalCluster size)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address, or 'local' for a LocalCluster."),
    resume: bool = typer.Option(True, "--resume/--fresh", help="Resume an interrupted run in -o (default) or discard it."),
    design: str = typer.Option("random", "--design", help="random (Monte Carlo) or lhs (Latin hypercube)."),
    worst: str | None = typer.Option(None, "--worst", help="Outcome whose highest values scenario discovery explains."),
    share: float = typer.Option(0.1, "--share", help="Share of samples counted as worst (0 < share < 1)."),
    chunk_size: int | None = typer.Option(None, "--chunk-size", help="Samples per Parquet part (default: about 4 parts per worker, at most 25)."),
) -> None:
    """Sample the scenario's uncertainties, run the dynamic model for each sample, summarise and explain the worst."""
    from critmin.ensemble import evaluator, run_ensemble
    from critmin.ensemble.scenario import experiment
    from critmin.reports import steps

    if not 0 < share < 1:
        raise CritminError(f"--share must be between 0 and 1, got {share}")
    if chunk_size is not None and chunk_size < 1:
        raise CritminError(f"--chunk-size must be at least 1, got {chunk_size}")
    if scheduler not in (None, "local") and workers is not None:
        raise CritminError("--workers sets the size of a local cluster; a remote scheduler's workers are started with it")
    executor = evaluator(workers, scheduler)
    with steps() as step:
        exp, name, sha = experiment(file, samples, seed, design, step)
    with _progress() as bar:
        task = bar.add_task(f"{name}: samples", total=samples, rate="")
        state: dict[str, float] = {}

        def advance(done: int, total: int) -> None:
            import time

            now = time.perf_counter()
            state.setdefault("t0", now)
            state.setdefault("done0", done)
            ran, spent = done - state["done0"], now - state["t0"]
            bar.update(task, completed=done, rate=f"{ran / spent:.2f} samples/s" if ran and spent > 0 else "")

        result = run_ensemble(exp, out, scenario=name, scenario_sha256=sha, evaluator=executor, fresh=not resume,
                              chunk_size=chunk_size, on_chunk=advance, worst=worst, share=share)
    summary = result.summary
    if len(summary):
        console.print(rich_table(summary[["outcome", "p5", "p50", "p95"]],
                                 title=f"{name}: {samples} samples, seed {seed} (p5 / p50 / p95 over samples)"))
    last = result.sessions[-1] if result.sessions else {}
    found = result.discovery
    if found is not None:
        limits = found.box.limits[found.box.limits["restricted"]]
        ranges = "; ".join(f"{r.input} in [{r.low:.4g}, {r.high:.4g}]" for r in limits.itertuples())
        console.print(f"worst {100 * share:g}% of {found.outcome}: PRIM box {ranges or '(unrestricted)'} "
                      f"(coverage {found.box.coverage:.2f}, density {found.box.density:.2f}); "
                      f"top feature {found.scores['input'].iat[0]} (KS {found.scores['ks'].iat[0]:.2f})")
    elif result.discovery_note:
        console.print(f"scenario discovery: {result.discovery_note}")
    console.print(f"largest residual {result.manifest['max_residual']:.2e}; {last.get('executor', '')} x{last.get('workers', '')}, "
                  f"{last.get('samples_run', 0)} samples run in {last.get('wall_s', 0):.1f} s "
                  f"(resumed with {last.get('resumed_with', 0)}); wrote {out}/report.html")
