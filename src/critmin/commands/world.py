"""``critmin world``: build the calibrated world market and show how well it fits.

Prints the regions and products (with output, price and sources), the fit per row kind and product, and the largest errors;
``--csv`` writes the full calibration table, ``--scenario`` the market as a scenario file
(YAML) to add policies to, ``--json`` everything as one object. Numbers come from
:func:`critmin.world.build_world`; this module only renders them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from critmin.commands import app
from critmin.commands.output import console, emit_csv, emit_json, rich_table


def _split(text: Optional[str]) -> list[str] | str | None:
    if text is None:
        return None
    return text if text in ("all", "auto") else [t.strip() for t in text.split(",") if t.strip()]


@app.command("world")
def world_command(
    year: int = typer.Option(2024, help="Observed year to calibrate to."),
    minerals: Optional[str] = typer.Option(None, help="Comma-separated minerals, or 'all' (default: rare_earths,lithium,graphite)."),
    regions: Optional[str] = typer.Option(None, help="'auto' (default) or comma-separated ISO3 codes to keep."),
    horizon: str = typer.Option("short", help="Elasticity horizon: short or long."),
    bound: str = typer.Option("value", help="Elasticities: value (central), elastic or inelastic end of the table's ranges."),
    csv_path: Optional[str] = typer.Option(None, "--csv", help="Write the calibration table as CSV to PATH ('-' for stdout)."),
    scenario_path: Optional[Path] = typer.Option(None, "--scenario", help="Write the calibrated market as a YAML scenario to PATH."),
    json_path: Optional[str] = typer.Option(None, "--json", help="Write spec, market, calibration and sources as JSON to PATH ('-' for stdout)."),
) -> None:
    """Build the world market from the embedded dataset, solve its baseline and report the fit."""
    import yaml

    from critmin.world import build_world
    from critmin.world.fit import TOLERANCE, largest, summary

    spec: dict = {"year": year, "elasticities": {"horizon": horizon, "bound": bound}}
    if minerals is not None:
        spec["minerals"] = _split(minerals)
    if regions is not None:
        spec["regions"] = _split(regions)
    world = build_world(spec)
    if json_path is not None:
        emit_json({"spec": world.spec, "market": world.market, "calibration": world.calibration,
                   "sources": world.sources()}, None if json_path == "-" else json_path)
        return
    if csv_path is not None:
        emit_csv(world.calibration, None if csv_path == "-" else csv_path)
        if csv_path == "-":
            return
    if scenario_path is not None:
        text = yaml.safe_dump(world.scenario(f"world-{year}"), sort_keys=False, allow_unicode=True)
        scenario_path.write_text(text, encoding="utf-8")
    obs, res = world.observed, world.result
    console.print(f"[bold]world {year}[/bold]: {len(obs.regions)} regions ({', '.join(obs.regions)}), "
                  f"{len(obs.products)} products ({', '.join(p.id for p in obs.products)})")
    console.print(f"baseline residual {res.residual:.2e} (engine tolerance {res.tolerance:g}); calibration tolerance "
                  f"{TOLERANCE:g} of world output or price: passed")
    console.print(rich_table(world.products(), title="products: world output, exporters' price (USD per unit), sources"))
    console.print(rich_table(summary(world.calibration), title="fit by kind and product"))
    console.print(rich_table(largest(world.calibration, 10, kinds=("trade",)),
                             title="largest gaps to observed net trade (reported, not checked)"))
