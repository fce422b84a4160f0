"""``critmin data``: rebuild the embedded dataset, check it, list its sources."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from critmin.commands import app
from critmin.commands.output import console, emit_csv, emit_json, rich_table

data_app = typer.Typer(help="The embedded dataset: build it from the raw sources, list its sources.",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("build")
def build(
    raw: Optional[Path] = typer.Option(None, "--raw", help="Raw data directory (default: $CRITMIN_RAW_DATA, else ../shared/data next to the repository)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output directory (default: the package's embedded dataset)."),
    check: bool = typer.Option(False, "--check", help="Rebuild in memory and report whether the bytes equal the files in --out (default: the embedded ones); writes nothing."),
) -> None:
    """Regenerate the dataset byte for byte from the raw public files, validating it first."""
    from critmin.data import build as builder
    from critmin.data.store import clear_cache
    from critmin.errors import DataError

    if check:
        target = out if out is not None else builder.EMBEDDED
        differ = builder.check(raw, target)
        if differ:
            raise DataError(f"rebuild differs from {target}: {', '.join(differ)}")
        console.print(f"identical: a rebuild reproduces every file in {target}")
        return
    files = builder.build_all(raw, out)
    clear_cache()
    target = out if out is not None else builder.EMBEDDED
    console.print(f"wrote {len(files)} files to {target} (validated)")


@data_app.command("sources")
def sources(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV."),
) -> None:
    """Every source of the dataset with its licence."""
    from critmin.data import load

    frame = load("sources")[["source", "title", "publisher", "source_year", "licence", "url", "note"]]
    if as_json:
        emit_json({"sources": frame})
    elif as_csv:
        emit_csv(frame)
    else:
        console.print(rich_table(frame[["source", "title", "publisher", "source_year", "licence"]],
                                 title="Sources of the embedded dataset", floatfmt="{:g}"))


@data_app.command("tables")
def tables(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The embedded tables with their row counts and the dataset version."""
    import pandas as pd

    from critmin.data.store import data_version, manifest

    entries = manifest()["tables"]
    frame = pd.DataFrame([{"table": name, "file": e["file"], "rows": e["rows"]} for name, e in sorted(entries.items())])
    if as_json:
        emit_json({"data_version": data_version(), "tables": frame})
    else:
        console.print(rich_table(frame, title=f"Embedded dataset {data_version()}", floatfmt="{:,.0f}"))


@data_app.command("validate")
def validate() -> None:
    """Validate the embedded dataset (the checks of the build; exit 3 on any violation)."""
    from critmin.data.store import data_version
    from critmin.data.validate import validate_embedded

    validate_embedded()
    console.print(f"valid: embedded dataset {data_version()} passes every check")


@data_app.command("show")
def show(
    name: str = typer.Argument(..., help="Table name (see `critmin data tables`)."),
    where: list[str] = typer.Option([], "--where", "-w", help="Filter COLUMN=VALUE (repeatable; all must hold)."),
    limit: int = typer.Option(50, "--limit", help="Rows shown in the rich table (JSON and CSV print all)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV."),
) -> None:
    """Print one embedded table, optionally filtered, with its provenance columns."""
    from critmin.data import load
    from critmin.errors import UnknownChoiceError

    frame = load(name)
    for clause in where:
        column, sep, value = clause.partition("=")
        if not sep:
            raise typer.BadParameter(f"expected COLUMN=VALUE, got {clause!r}", param_hint="--where")
        if column not in frame.columns:
            raise UnknownChoiceError(f"column of {name}", column, frame.columns)
        frame = frame[frame[column].astype(str) == value]
    if as_json:
        emit_json({"table": name, "rows": frame})
    elif as_csv:
        emit_csv(frame)
    else:
        title = f"{name}: {len(frame)} rows" + (f" (first {limit})" if len(frame) > limit else "")
        title += "; --csv or --json for the full provenance (table, licence, source_year)"
        brief = frame.drop(columns=[c for c in ("table", "licence", "source_year") if c in frame.columns])
        console.print(rich_table(brief.head(limit), title=title, floatfmt="{:,.10g}"))
