"""The ensemble report: one self-contained HTML page (plotly inlined, same bytes for the same ensemble files).

Sections: the run (seed, samples, design, executors, residual), distributions of the outcomes (table
and histograms), fan charts of prices and shortfall over the horizon (p5-p95 band and median), and
scenario discovery (the PRIM box, its peeling trajectory and the KS feature scores). Figures use the
machinery of :mod:`critmin.reports.html` (fixed div ids, no clock; docs/decisions/0037).
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from critmin.ensemble.discovery import Discovery
from critmin.ensemble.summary import period_quantiles
from critmin.reports.html import CONFIG, STYLE
from critmin.reports.tables import details, table

#: Fan charts: (table, value column, aggregation over regions, title, y axis).
FANS = (("prices", "price", "max", "Highest regional price", "price (USD per unit)"),
        ("shortfall", "shortfall", "sum", "Shortfall, all regions (rate per year)", "shortfall (units per year)"))
BAND = "rgba(0,114,178,0.2)"
LINE = "#0072B2"


def _figure(fig: go.Figure, div_id: str) -> str:
    fig.update_layout(template="plotly_white", margin={"l": 60, "r": 20, "t": 50, "b": 40}, height=420)
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=CONFIG)


def _switch(fig: go.Figure, groups: list[str], per_group: int) -> None:
    """A dropdown showing one group of traces at a time (``per_group`` traces each, in order)."""
    if len(groups) < 2:
        return
    buttons = [{"label": g, "method": "update",
                "args": [{"visible": [j // per_group == i for j in range(len(groups) * per_group)]}, {"title.text": g}]}
               for i, g in enumerate(groups)]
    fig.update_layout(updatemenus=[{"buttons": buttons, "x": 1.0, "xanchor": "right", "y": 1.15, "yanchor": "top"}])


def fan_chart(tables: dict[str, pd.DataFrame], name: str, value: str, how: str, title: str, yaxis: str) -> go.Figure | None:
    """p5-p95 band and median per product over time, one product at a time."""
    frame = tables.get(name)
    if frame is None or not {"product", value}.issubset(frame.columns):
        return None
    x = "time" if "time" in frame.columns else "period"
    q = period_quantiles(frame, value, ["product"], how, x=x)
    fig = go.Figure()
    products = list(dict.fromkeys(q["product"]))
    for i, product in enumerate(products):
        g = q[q["product"] == product]
        visible = i == 0
        fig.add_trace(go.Scatter(x=g[x], y=g["p95"], mode="lines", line={"width": 0}, name="p95", visible=visible,
                                 showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=g[x], y=g["p5"], mode="lines", line={"width": 0}, fill="tonexty", fillcolor=BAND,
                                 name="p5-p95", visible=visible))
        fig.add_trace(go.Scatter(x=g[x], y=g["p50"], mode="lines+markers", line={"color": LINE}, name="median", visible=visible))
    _switch(fig, [f"{title}: {p}" for p in products], 3)
    fig.update_layout(title=f"{title}: {products[0]}", xaxis_title=x, yaxis_title=yaxis)
    return fig


def histograms(outcomes: pd.DataFrame, names: list[str]) -> go.Figure:
    """Distribution over samples of each outcome, one at a time."""
    fig = go.Figure()
    for i, name in enumerate(names):
        values = outcomes.loc[outcomes["outcome"] == name, "value"]
        fig.add_trace(go.Histogram(x=values, nbinsx=30, marker_color=LINE, name=name, visible=i == 0))
    _switch(fig, names, 1)
    fig.update_layout(title=names[0], xaxis_title="value", yaxis_title="samples", showlegend=False)
    return fig


def _facts(result: Any) -> pd.DataFrame:
    ident = result.manifest["identity"]
    executors = ", ".join(f"{s['executor']} x{s['workers']} ({s['samples_run']} samples)" for s in result.sessions)
    rows = [("scenario", ident["scenario"]), ("scenario sha256", ident["scenario_sha256"]), ("seed", str(ident["seed"])),
            ("samples", str(ident["samples"])), ("design", ident["design"]),
            ("sample generator", f"numpy default_rng([{ident['seed']}, i]) for sample i"),
            ("executors (sessions)", executors), ("largest certificate residual", f"{result.manifest['max_residual']:.3e}"),
            ("tolerance", f"{ident['tolerance']:g}"), ("critmin", ident["critmin"])]
    return pd.DataFrame(rows, columns=["ensemble", "value"])


def _uncertainties(result: Any) -> pd.DataFrame:
    rows = [{"name": u["name"], "target": u["target"], "distribution": u["distribution"],
             "parameters": ", ".join(f"{k}={v}" for k, v in u["parameters"].items()), "unit": u["unit"],
             "source or reason": u.get("source") or u.get("reason") or ""} for u in result.manifest["identity"]["uncertainties"]]
    return pd.DataFrame(rows)


def _discovery(found: Discovery | None, note: str) -> str:
    if found is None:
        return f'<p class="note">{html.escape(note)}</p>'
    box = found.box
    shown = box.limits[box.limits["restricted"]]
    traj = box.trajectory
    fig = go.Figure(go.Scatter(x=traj["coverage"], y=traj["density"], mode="lines+markers", marker={"color": LINE},
                               text=[f"step {s}, mass {m:.3f}" for s, m in zip(traj["step"], traj["mass"], strict=True)]))
    fig.update_layout(title="PRIM peeling trajectory", xaxis_title="coverage", yaxis_title="density")
    bars = go.Figure(go.Bar(x=found.scores["ks"], y=found.scores["input"], orientation="h", marker_color=LINE))
    bars.update_layout(title="Feature scores: KS distance, worst samples vs the rest", xaxis_title="KS statistic",
                       yaxis={"autorange": "reversed"})
    return (f"<p>Worst outcomes: the {found.worst} samples in the highest {100 * found.share:g}% of "
            f"<code>{html.escape(found.outcome)}</code>. The PRIM box (Friedman and Fisher 1999; peeling 5% per step, "
            f"then pasting) holds {100 * box.coverage:.1f}% of them (coverage) and they are {100 * box.density:.1f}% of the "
            f"samples inside it (density; {100 * box.mass:.1f}% of all samples are inside).</p>"
            + (table(shown, "PRIM box: the ranges of the uncertainties that concentrate the worst outcomes")
               if len(shown) else '<p class="note">The box restricts no uncertainty.</p>')
            + _figure(fig, "fig-prim") + _figure(bars, "fig-scores")
            + table(found.scores, "Regional sensitivity (Spear and Hornberger 1980): Kolmogorov-Smirnov distance between "
                                  "each input among the worst samples and among the rest")
            + details("Peeling trajectory", table(traj)))


def section(result: Any, region_summary: pd.DataFrame, found: Discovery | None, discovery_note: str = "") -> str:
    """The ensemble section (HTML fragment): facts, outcome distributions, fan charts and scenario discovery."""
    summary = result.summary
    parts = [table(_facts(result)), table(_uncertainties(result), "Uncertainties sampled")]
    if len(summary):
        parts.append(table(summary, "Outcomes over the samples (p5, p50, p95; numpy linear quantiles)"))
        parts.append(_figure(histograms(result.tables["outcomes"], summary["outcome"].tolist()), "fig-outcomes"))
    if len(region_summary):
        parts.append(details("Per product and region (member): shortfall (t), highest price, reserve use",
                             table(region_summary)))
    for name, value, how, title, yaxis in FANS:
        fig = fan_chart(result.tables, name, value, how, title, yaxis)
        if fig is not None:
            parts.append(_figure(fig, f"fig-fan-{name}"))
    parts.append("<h3>Scenario discovery</h3>" + _discovery(found, discovery_note))
    return f'<section id="ensemble"><h2>Ensemble</h2>{"".join(parts)}</section>'


def render(result: Any, region_summary: pd.DataFrame, found: Discovery | None, discovery_note: str = "") -> str:
    """The whole page around :func:`section`."""
    title = f"critmin ensemble: {result.manifest['identity']['scenario']}"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style>\n<script>{get_plotlyjs()}</script></head>\n"
            f"<body><h1>{html.escape(title)}</h1>\n{section(result, region_summary, found, discovery_note)}\n</body></html>\n")
