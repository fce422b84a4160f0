"""``critmin solve FILE [--json [PATH]]``: the market equilibrium of a scenario file.

A rich summary by default; ``--json`` prints the one JSON object of issue 3 (or writes it to
PATH). Numbers come from :func:`critmin.engine.solve`; this module only renders them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from critmin.commands import app
from critmin.commands.output import console, emit_json, rich_table

#: Rows shown per table in the human summary (the JSON has them all).
SHOWN = 25


@app.command("solve")
def solve_command(
    file: Path = typer.Argument(..., help="Scenario file (YAML or JSON)."),
    path: Optional[Path] = typer.Argument(None, help="With --json: write the JSON to this file instead of stdout."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (to PATH if given)."),
) -> None:
    """Solve a scenario's spatial market equilibrium and certify it (critmin solve FILE [--json [PATH]])."""
    from critmin.compose import solve
    from critmin.errors import CritminError

    if path is not None and not as_json:
        raise CritminError(f"unexpected argument {str(path)!r}: an output PATH goes with --json (critmin solve FILE --json PATH)")
    result = solve(file)
    if as_json:
        emit_json(result.to_dict(), path)
        return
    s = result.solver
    console.print(
        f"[bold]{result.scenario}[/bold]: {result.status}; residual {result.residual:.2e} "
        f"(tolerance {result.tolerance:g}); {s['iterations']} Newton iterations, {s['variables']} variables, "
        f"{s['seconds']:.3f} s"
    )
    for name in ("prices", "producer_prices", "supply", "demand", "processing", "flows"):
        frame = getattr(result, name)
        if name == "producer_prices" and (frame["price"] == result.prices["price"]).all():
            continue
        if len(frame):
            more = f" (first {SHOWN} of {len(frame)})" if len(frame) > SHOWN else ""
            console.print(rich_table(frame.head(SHOWN), title=name + more))
    if len(result.policies):
        cols = [c for c in result.policies.columns if result.policies[c].notna().any()]
        console.print(rich_table(result.policies[cols], title="policies"))
    console.print(rich_table(result.welfare, title="welfare"))
