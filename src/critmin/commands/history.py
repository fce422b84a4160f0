"""``critmin history``: the world model against observed export-control episodes (issue 4, section 4).

Prints the comparison table (model, observed, gap); ``-o FILE`` writes the Markdown document
(docs/history/comparison.md is this output), ``--csv`` the compared rows at full precision,
``--json`` rows, rows not compared, and every experiment with its certificate. Numbers come
from :func:`critmin.history.build`; this module only renders them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from critmin.commands import app
from critmin.commands.output import console, emit_csv, emit_json, rich_table


@app.command("history")
def history_command(
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write the comparison as Markdown to FILE."),
    csv_path: Optional[str] = typer.Option(None, "--csv", help="Write the compared rows as CSV to PATH ('-' for stdout)."),
    json_path: Optional[str] = typer.Option(None, "--json", help="Write rows, rows not compared and experiments as JSON to PATH ('-' for stdout)."),
) -> None:
    """Calibrate markets to the year before Chinese export controls, apply them, compare with what happened."""
    from critmin.history import build
    from critmin.history.render import frame, markdown

    h = build()
    if output is not None:
        output.write_text(markdown(h), encoding="utf-8")
    if json_path is not None:
        markets = [{"market": m.id, "episode": m.episode, "unit": m.unit, "price_outside_usd_per_t": m.price,
                    "prices_usd_per_t": m.prices(), "supply": m.supply, "demand": m.demand,
                    "china_exports": m.china_exports, "elasticities": m.elasticities,
                    "sources": [{"input": a, "source": b} for a, b in m.sources]} for m in h.markets]
        emit_json({"rows": h.table, "not_compared": h.not_compared, "markets": markets,
                   "experiments": [{"market": o.market, "experiment": o.experiment, "elasticities": o.bound,
                                    "changes_pct": o.changes, "residual": o.residual,
                                    "baseline_residual": o.baseline_residual, "baseline_fit": o.baseline_fit}
                                   for o in h.outcomes],
                   "max_residual": h.max_residual}, None if json_path == "-" else json_path)
    if csv_path is not None:
        emit_csv(frame(h), None if csv_path == "-" else csv_path)
    if "-" in (json_path, csv_path):
        return
    shown = h.table[["variable", "region", "experiment", "observed", "gap"]].copy()
    shown.insert(3, "model [range]", [f"{r.model:+.1f} [{r.model_low:+.1f}, {r.model_high:+.1f}]" + (" input" if r.input else "")
                                      for r in h.table.itertuples(index=False)])
    console.print(rich_table(shown, title="model against observed (% change; gap in percentage points)",
                             floatfmt="{:+.1f}"))
    console.print(f"{len(h.not_compared)} observed rows not compared (reasons in the Markdown output); "
                  f"largest engine residual {h.max_residual:.1e}")
    if output is not None:
        console.print(f"wrote {output}")
