"""``critmin simulate FILE -o DIR [--seed S]``: one path of a dynamic scenario, period by period.

Numbers come from :mod:`critmin.dynamics`; this module parses options, shows progress and prints
the headline outcomes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from critmin.commands import app
from critmin.commands.output import console


@app.command("simulate")
def simulate_command(
    file: Path = typer.Argument(..., help="Scenario file with a horizon: section (YAML or JSON)."),
    out: Path = typer.Option(..., "-o", "--out", help="Output directory (created; must be new, empty, or a previous output with --force)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the random events (numpy default_rng(seed)); needed when the scenario has random disruptions."),
    force: bool = typer.Option(False, "--force", help="Replace an existing critmin output directory."),
) -> None:
    """Simulate a scenario over its horizon (growth, pipeline, recycling, disruptions, reserve) and write its tables."""
    import numpy as np
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from critmin.dynamics import prepare, simulate
    from critmin.dynamics.files import write_trajectory
    from critmin.reports import steps
    from critmin.reports.tables import fmt

    with steps() as step:
        model = prepare(file, step)
    rng = np.random.default_rng(seed) if seed is not None else None
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("simulating", total=int(model.periods.size))
        trajectory = simulate(model, rng=rng, progress=lambda i, t: bar.update(task, completed=i + 1,
                                                                              description=f"period {t:g}"))
    data = write_trajectory(model, trajectory, out, seed=seed, force=force)
    from rich.table import Table

    table = Table(title=f"Headline: {model.name}, {model.periods[0]:g}-{model.periods[-1] + model.dt - 1:g}"
                        + (f", seed {seed}" if seed is not None else ""), title_justify="left")
    table.add_column("outcome")
    table.add_column("value", justify="right")
    for name, value in sorted(trajectory.outcomes.items()):
        if value != 0 or name.startswith(("shortfall_t", "fiscal")):
            table.add_row(name, fmt(value))
    console.print(table)
    console.print(f"[bold]{model.name}[/bold]: {model.periods.size} periods, {trajectory.solver['solves']} certified "
                  f"equilibria, largest residual {trajectory.residual:.2e} (tolerance {trajectory.tolerance:g}); "
                  f"{len(data['files'])} files and manifest.json written to {out}")
