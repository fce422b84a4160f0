"""``critmin atlas``, ``blocs``, ``exposure`` and ``overview``: the supply-chain atlas on the CLI.

Rich tables by default, ``--json`` (one object) and ``--csv`` (the main table) for machines.
All numbers come from :mod:`critmin.atlas.summary`; this module only renders them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pandas as pd
import typer

from critmin.commands import app
from critmin.commands.output import console, emit_csv, emit_json, rich_table

JSON = typer.Option(False, "--json", help="Print one JSON object.")
CSV = typer.Option(False, "--csv", help="Print the main table as CSV.")
BLOCS_FILE = typer.Option(None, "--blocs-file", help="YAML file with extra blocs (see `critmin blocs --help`).")


def _pct(value: object) -> str:
    return "n/a" if value is None or (isinstance(value, float) and pd.isna(value)) else f"{100 * float(value):.1f}%"


def _num(value: object, fmt: str = "{:,.0f}") -> str:
    return "n/a" if value is None or (isinstance(value, float) and pd.isna(value)) else fmt.format(float(value))


def _hhi(low: object, high: object) -> str:
    """HHI for display; '>=' marks a lower bound (a large unitemised ROW share, see docs/atlas.md)."""
    if low is None or pd.isna(low):
        return "n/a"
    return ("≥" if high is not None and float(high) > 1.01 * float(low) else "") + _num(low)


@app.command("atlas")
def atlas(
    mineral: str = typer.Option(..., "--mineral", help="Mineral id, e.g. rare_earths."),
    stage: str = typer.Option("mining", "--stage", help="mining, refining, components or recycling."),
    year: Optional[int] = typer.Option(None, "--year", help="Data year (default: the latest with data)."),
    bloc: Optional[str] = typer.Option(None, "--bloc", help="Bloc id or ISO3 code: its share and self-sufficiency."),
    blocs_file: Optional[Path] = BLOCS_FILE,
    as_json: bool = JSON,
    as_csv: bool = CSV,
) -> None:
    """Who produces a mineral at one stage in one year: quantities, shares, HHI, top shares."""
    from critmin.atlas.summary import atlas as build

    result = build(mineral, stage, year, bloc=bloc, blocs_file=blocs_file)
    if as_json:
        emit_json(result)
        return
    countries: pd.DataFrame = result["countries"]
    if as_csv:
        emit_csv(countries)
        return
    if result["coverage"] == "empty":
        console.print(f"{mineral} {stage}: no data (coverage 'empty'). {result['note'] or ''}")
        return
    console.print(
        f"[bold]{mineral} {stage} {result['year']}[/bold] ({result['coverage']}; {result['unit'] or 'shares only'})  "
        f"world total {_num(result['total'])}  HHI {_hhi(result['hhi'], (result['hhi_bounds'] or [None, None])[1])}  "
        f"top-1 {_pct(result['top_share'])}  "
        f"top-3 {_pct(result['top3_share'])}"
    )
    if result["residual"]:
        console.print(f"country rows add up to {_num(result['total'] + result['residual'])} against the published world "
                      f"total {_num(result['total'])} (source rounding); shares are of the published total.", highlight=False)
    shown = countries.assign(share=countries["share"] * 100).rename(columns={"share": "share %"})
    console.print(rich_table(shown, floatfmt="{:,.1f}"))
    if "bloc" in result:
        b = result["bloc"]
        high = f" (up to {_pct(b['share_high'])} with members hidden in ROW)" if (b["share_high"] or 0) > (b["share"] or 0) else ""
        console.print(f"bloc {b['id']} ({len(b['members'])} members): share of world {_pct(b['share'])}{high}, "
                      f"self-sufficiency {_pct(b['self_sufficiency'])}" + (f" — {b['note']}" if b["note"] else ""))
    for s in result["sources"]:
        console.print(f"source: {s['source']} — {s['table']} ({s['licence']})", highlight=False)


@app.command("blocs")
def blocs(blocs_file: Optional[Path] = BLOCS_FILE, as_json: bool = JSON, as_csv: bool = CSV) -> None:
    """Every bloc with its members (ISO3) and sources; user blocs come from --blocs-file."""
    from critmin.atlas.tables import source_list
    from critmin.data import load
    from critmin.data.blocs import load_blocs

    members = load_blocs(blocs_file)
    meta, rows_of = load("blocs").set_index("bloc"), load("bloc_members")
    out = []
    for bloc, codes in members.items():
        if bloc in meta.index:
            m = meta.loc[bloc]
            used = rows_of[rows_of["bloc"] == bloc]
            sources = [{"source": m["source"], "table": m["table"]}] + [
                {"source": s["source"], "table": s["table"], "title": s["title"], "licence": s["licence"]} for s in source_list(used)
            ]
            out.append({"bloc": bloc, "name": m["name"], "kind": m["kind"], "date": m["date"], "estimate": bool(m["estimate"]),
                        "description": m["description"], "members": codes, "sources": sources})
        else:
            out.append({"bloc": bloc, "name": None, "kind": "user", "date": None, "estimate": None,
                        "description": None, "members": codes, "sources": [{"source": str(blocs_file), "table": None}]})
    frame = pd.DataFrame([
        {"bloc": b["bloc"], "name": b["name"], "date": b["date"], "n": len(b["members"]), "members": " ".join(b["members"]),
         "sources": "; ".join(sorted({str(s["source"]) for s in b["sources"][1:] or b["sources"]}))}
        for b in out
    ])
    if as_json:
        emit_json({"blocs": out})
    elif as_csv:
        emit_csv(frame)
    else:
        console.print(rich_table(frame[["bloc", "name", "date", "n", "sources"]], title="Blocs (members: --json or --csv)", floatfmt="{:g}"))


@app.command("exposure")
def exposure(
    importer: str = typer.Option(..., "--importer", help="ISO3 code or bloc id of the importer."),
    supplier: str = typer.Option(..., "--supplier", help="ISO3 code of the supplier."),
    mineral: str = typer.Option(..., "--mineral", help="Mineral id."),
    year: Optional[int] = typer.Option(None, "--year", help="Trade year (default: latest)."),
    basis: str = typer.Option("value", "--basis", help="Import shares on 'value' or 'quantity' (quantity needs one --hs6)."),
    hs6: Optional[list[str]] = typer.Option(None, "--hs6", help="Only these HS92 codes of the mineral (repeatable)."),
    blocs_file: Optional[Path] = BLOCS_FILE,
    as_json: bool = JSON,
    as_csv: bool = CSV,
) -> None:
    """Exposure of an importer to one supplier: direct share of imports and through the chain."""
    from critmin.atlas.summary import exposure as build

    result = build(importer, supplier, mineral, year=year, basis=basis, blocs_file=blocs_file, hs6=hs6)
    table = pd.DataFrame([
        {k: s.get(k) for k in ("stage", "basis", "total_imports", "direct", "chain", "chain_low", "chain_high", "supplier_mine_share", "note")}
        for s in result["stages"]
    ])
    if as_json:
        emit_json(result)
    elif as_csv:
        emit_csv(table)
    else:
        console.print(f"[bold]{result['importer']} ← {result['supplier']}, {mineral}, {result['year']}[/bold]")
        if result["note"]:
            console.print(f"note: {result['note']}", highlight=False)
        for s in result["stages"]:
            if "direct" not in s:
                console.print(f"{s['stage']}: {s['note']}")
                continue
            console.print(
                f"{s['stage']} (HS {', '.join(s['hs6'])}; imports {_num(s['total_imports'])} {s['unit']}): "
                f"direct {_pct(s['direct'])}, through the chain {_pct(s['chain'])} "
                f"(bounds {_pct(s['chain_low'])}-{_pct(s['chain_high'])})" + (f" — {s['note']}" if s["note"] else ""),
                highlight=False,
            )
            top = s["origins"].head(5)
            console.print("  largest origins: " + ", ".join(f"{r.exporter} {_pct(r.share)}" for r in top.itertuples()), highlight=False)
        g = result["geopolrisk"]
        if "score" in g:
            console.print(f"GeoPolRisk score {g['score']:.4f} = HHI {g['hhi']:.4f} x import risk {g['import_risk']:.4f}")
        else:
            console.print(f"GeoPolRisk: {g['note']}")


@app.command("overview")
def overview(
    bloc: str = typer.Option("forge", "--bloc", help="Bloc whose share, self-sufficiency and imports are shown."),
    supplier: str = typer.Option("CHN", "--supplier", help="Supplier whose share of the bloc's imports is shown."),
    as_json: bool = JSON,
    as_csv: bool = CSV,
) -> None:
    """Per mineral: top producers, HHI, the bloc's share; then the bloc's imports and supply risk."""
    from critmin.atlas.summary import imports_overview
    from critmin.atlas.summary import overview as build

    frame, imports = build(bloc), imports_overview(bloc, supplier)
    if as_json:
        emit_json({"bloc": bloc, "supplier": supplier, "minerals": frame, "imports": imports})
        return
    if as_csv:
        emit_csv(frame)
        return
    rows = []
    for r in frame.to_dict("records"):
        def lead(stage: str) -> str:
            if r[f"{stage}_top"] is None or pd.isna(r[f"{stage}_year"]):
                return "no data"
            return f"{int(r[f'{stage}_year'])} {r[f'{stage}_top']} {_pct(r[f'{stage}_top_share'])}"

        ss = r.get("bloc_self_sufficiency")
        rows.append({
            "mineral": r["mineral"], "mining: top": lead("mining"), "HHI": _hhi(r["mining_hhi"], r["mining_hhi_high"]),
            "share": _pct(r.get("bloc_share")),
            "self-suff.": "n/a" if ss is None or pd.isna(ss) else f"{_pct(ss)} ({int(r['balance_year'])})",
            "refining: top": lead("refining"), "HHI ": _hhi(r["refining_hhi"], r["refining_hhi_high"]),
        })
    console.print(rich_table(pd.DataFrame(rows), title=f"Production by stage, latest year (share, self-suff.: bloc {bloc})"))
    console.print("HHI 0-10,000; ≥: lower bound, the source leaves a large share unitemised. n/a: not computable "
                  "from the embedded data (self-sufficiency needs trade in the production unit; docs/atlas.md).", highlight=False)
    shown = pd.DataFrame({
        "mineral": imports["mineral"], "stage": imports["stage"], "year": imports["year"].astype(str),
        "imports kUSD": imports["imports_kusd"].map(_num),
        "top supplier": imports["top_supplier"] + " " + imports["top_share"].map(_pct),
        f"{supplier} direct": imports["direct"].map(_pct), f"{supplier} chain": imports["chain"].map(_pct),
        "GeoPolRisk": imports["geopolrisk"].map(lambda v: _num(v, "{:.3f}")),
    })
    console.print(rich_table(shown, title=f"{bloc} imports from outside the bloc (BACI, value)"))
    console.print(f"chain: share of imports mined or refined in {supplier} (world-pool estimate); "
                  "GeoPolRisk = HHI x governance-weighted import share (Koyamparambath et al. 2024).", highlight=False)
