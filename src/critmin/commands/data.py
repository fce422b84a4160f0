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
