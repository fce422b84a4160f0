"""``critmin run``, ``critmin compare`` and ``critmin report``: result files, differences and the HTML report.

Numbers come from :mod:`critmin.results` (solve, tables, manifest, comparison) and
:mod:`critmin.reports` (the HTML page); this module only parses options and prints summaries.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from critmin.commands import app
from critmin.commands.output import console, emit_csv, emit_json
from critmin.errors import CritminError

if TYPE_CHECKING:
    from rich.table import Table

#: Rows shown per comparison table in the human summary (the files and --json/--csv have them all).
SHOWN = 15


def _table(frame, title: str):
    """A rich table with numbers as in the report: 6 significant digits, whole units above a million."""
    import pandas as pd
    from rich.table import Table

    from critmin.reports.tables import fmt

    table = Table(title=title, title_justify="left")
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in frame.columns]
    for col, num in zip(frame.columns, numeric, strict=True):
        table.add_column(str(col), justify="right" if num else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(fmt(v) for v in row))
    return table


@app.command("run")
def run_command(
    file: Path = typer.Argument(..., help="Scenario file (YAML or JSON)."),
    out: Path = typer.Option(..., "-o", "--out", help="Output directory (created; must be new, empty, or a previous output with --force)."),
    excel: bool = typer.Option(False, "--excel", help="Also write results.xlsx (needs the 'excel' extra: openpyxl)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing critmin output directory."),
) -> None:
    """Solve a scenario and write every result table (CSV and Parquet) with a manifest.json."""
    from critmin.reports import steps
    from critmin.results import execute, write_run

    with steps() as step:
        run = execute(file, step)
        step(f"writing {out}")
        data = write_run(run, out, excel=excel, force=force)
    console.print(f"[bold]{run.name}[/bold]: {run.result.status}; residual {run.result.residual:.2e} "
                  f"(tolerance {run.result.tolerance:g}); {len(data['files'])} files and manifest.json written to {out}")


@app.command("compare")
def compare_command(
    a: Path = typer.Argument(..., help="Reference scenario file, or a `critmin run` output folder (the 'a' side, e.g. the baseline)."),
    b: Path = typer.Argument(..., help="Scenario file or run folder compared with it (the 'b' side)."),
    as_json: bool = typer.Option(False, "--json", help="Print all difference tables as one JSON object."),
    as_csv: bool = typer.Option(False, "--csv", help="Print all difference tables as one long CSV (table, key, measure, a, b, change, change_pct)."),
    out: Optional[Path] = typer.Option(None, "-o", "--out", help="Also write one CSV per table and manifest.json into this directory."),
    force: bool = typer.Option(False, "--force", help="Replace an existing critmin output directory."),
) -> None:
    """Solve two scenarios (or read two saved runs) and list the differences that matter (b minus a), largest first."""
    from critmin.reports import steps
    from critmin.results import compare, execute, load_run, write_comparison

    if as_json and as_csv:
        raise CritminError("compare: choose one of --json and --csv")
    with steps() as step:
        run_a, run_b = ((load_run(p) if p.is_dir() else execute(p, step)) for p in (a, b))
        step("comparing")
        comparison = compare(run_a, run_b)
        if out is not None:
            write_comparison(comparison, out, force=force)
    if as_json:
        emit_json(comparison.to_dict())
    elif as_csv:
        emit_csv(comparison.long())
    else:
        console.print(f"[bold]{comparison.b}[/bold] against [bold]{comparison.a}[/bold] (change = b - a; change_pct = 100 x change / |a|)")
        for name, frame in comparison.tables.items():
            if len(frame):
                more = f" (largest {SHOWN} of {len(frame)})" if len(frame) > SHOWN else ""
                console.print(_table(frame.head(SHOWN), name + more))
            else:
                console.print(f"{name}: no change")
    if out is not None and not (as_json or as_csv):
        console.print(f"difference tables and manifest.json written to {out}")


@app.command("report")
def report_command(
    file: Path = typer.Argument(..., help="Scenario file (YAML or JSON)."),
    against: Optional[Path] = typer.Option(None, "--against", help="Baseline scenario file to compare with."),
    out: Path = typer.Option(..., "-o", "--out", help="HTML file to write (self-contained; opens offline)."),
) -> None:
    """Write one self-contained HTML report: headline numbers, maps, Sankey, prices, welfare, calibration, sources."""
    from critmin.reports import render, steps
    from critmin.results import execute
    from critmin.results.write import write_text_atomic

    with steps() as step:
        run = execute(file, step)
        baseline = execute(against, step) if against is not None else None
        page = render(run, baseline, step)
        step(f"writing {out}")
        write_text_atomic(out, page)
    console.print(_headline_table(run, baseline))
    console.print(f"report of [bold]{run.name}[/bold]" + (f" against [bold]{baseline.name}[/bold]" if baseline else "") +
                  f" written to {out} ({len(page.encode('utf-8')) / 1e6:.1f} MB)")


def _headline_table(run, baseline) -> Table:
    """The report's headline cards as a terminal table, so the main job shows its numbers, not only a path."""
    from rich.table import Table

    from critmin.reports.data import prices_before_after
    from critmin.reports.headline import headline

    base = baseline.result if baseline is not None else None
    table = Table(title=f"Headline: {run.name}" + (f" against {baseline.name}" if baseline else ""), title_justify="left")
    for name, justify in (("measure", "left"), ("value", "right"), ("note", "left")):
        table.add_column(name, justify=justify)
    for label, value, note in headline(run.result, base, prices_before_after(base, run.result, run.scenario)):
        table.add_row(label, value, note)
    return table
