"""Plotly figures of the report: maps per product, the flow Sankey and prices before/after.

Every figure is built from a table of :mod:`critmin.reports.data`; the same table is printed
under the chart so every drawn number can be read and checked.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from critmin.reports.geo import countries

#: One colour per stage position in the product list (upstream to downstream), colour-blind safe (Okabe-Ito).
PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442", "#999999"]
LAYOUT = {"template": "plotly_white", "margin": {"l": 10, "r": 10, "t": 60, "b": 10}, "font": {"size": 12}}


def _dropdown(products: list[str], traces_per_product: int) -> list[dict]:
    buttons = []
    for i, product in enumerate(products):
        visible = [j // traces_per_product == i for j in range(len(products) * traces_per_product)]
        buttons.append({"label": product, "method": "update", "args": [{"visible": visible}]})
    return [{"buttons": buttons, "direction": "down", "x": 0.5, "xanchor": "center", "y": 1.15, "yanchor": "top",
             "showactive": True, "active": 0}]


def product_map(frame: pd.DataFrame, value: str, products: list[str], names: dict[str, str], title: str,
                colorbar: str, diverging: bool = False) -> go.Figure | None:
    """A world choropleth of ``value`` per region, one product at a time (dropdown); None if no region is a country."""
    on_map = frame[frame["region"].isin(countries()) & frame[value].notna()]
    products = [p for p in products if p in set(on_map["product"])]
    if not products:
        return None
    fig = go.Figure()
    for i, product in enumerate(products):
        part = on_map[on_map["product"] == product]
        z = part[value].astype(float)
        if diverging:
            bound = max(float(z.abs().max()), 1e-12)
            scale = {"colorscale": "RdBu", "reversescale": True, "zmin": -bound, "zmax": bound}
        else:
            scale = {"colorscale": "Blues", "zmin": 0.0, "zmax": max(float(z.max()), 1e-12)}
        fig.add_trace(go.Choropleth(
            locations=part["region"].tolist(), z=z.tolist(), locationmode="ISO-3", name=product, visible=i == 0,
            text=[names.get(r, r) for r in part["region"]], colorbar={"title": {"text": colorbar}},
            hovertemplate="%{text} (%{location})<br>" + colorbar + ": %{z:.4g}<extra>" + product + "</extra>",
            marker={"line": {"color": "#666", "width": 0.4}}, **scale))
    fig.update_layout(title={"text": title}, height=460, updatemenus=_dropdown(products, 1),
                      geo={"scope": "world", "resolution": 110, "showframe": False, "showcoastlines": True,
                           "showland": True, "landcolor": "#eeeeee", "projection": {"type": "natural earth", "rotation": {"lon": 0}},
                           "lonaxis": {"range": [-180, 180]}, "lataxis": {"range": [-58, 84]}},
                      **LAYOUT)
    return fig


def sankey(links: pd.DataFrame, product_order: list[str], region_order: list[str], title: str) -> go.Figure | None:
    """Flows across stages (processing links) and regions (trade links) between markets ``product @ region``."""
    if links.empty:
        return None
    nodes = sorted(set(links["source"]) | set(links["target"]),
                   key=lambda n: (product_order.index(n.split(" @ ")[0]), region_order.index(n.split(" @ ")[1])))
    index = {n: i for i, n in enumerate(nodes)}
    colour = {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(product_order)}
    link_colour = [("rgba(120,120,120,0.35)" if k == "trade" else "rgba(0,114,178,0.30)") for k in links["kind"]]
    fig = go.Figure(go.Sankey(
        arrangement="snap", valueformat=".4g",
        node={"label": nodes, "color": [colour[n.split(" @ ")[0]] for n in nodes], "pad": 12, "thickness": 14},
        link={"source": [index[s] for s in links["source"]], "target": [index[t] for t in links["target"]],
              "value": links["value"].astype(float).tolist(), "color": link_colour,
              "customdata": links["kind"].tolist(),
              "hovertemplate": "%{customdata}: %{source.label} → %{target.label}<br>%{value}<extra></extra>"}))
    fig.update_layout(title={"text": title}, height=max(420, 18 * len(nodes)), **LAYOUT)
    return fig


def price_bars(prices: pd.DataFrame, products: list[str], title: str) -> go.Figure | None:
    """Prices by region, before (baseline) and after, one product at a time (dropdown)."""
    products = [p for p in products if p in set(prices["product"])]
    if not products:
        return None
    has_before = prices["before"].notna().any()
    fig = go.Figure()
    for i, product in enumerate(products):
        part = prices[prices["product"] == product]
        before = [None if (isinstance(v, float) and math.isnan(v)) else v for v in part["before"].tolist()]
        fig.add_trace(go.Bar(x=part["region"].tolist(), y=before, name="baseline", visible=i == 0 and has_before,
                             marker_color="#999999", legendgroup="baseline", showlegend=bool(has_before)))
        fig.add_trace(go.Bar(x=part["region"].tolist(), y=part["after"].tolist(), name="scenario", visible=i == 0,
                             marker_color="#0072B2", legendgroup="scenario"))
    menus = _dropdown(products, 2)
    if not has_before:
        for button in menus[0]["buttons"]:
            button["args"][0]["visible"] = [v and j % 2 == 1 for j, v in enumerate(button["args"][0]["visible"])]
    fig.update_layout(title={"text": title}, barmode="group", height=420, updatemenus=menus,
                      yaxis={"title": {"text": "price (scenario units)"}}, **LAYOUT)
    return fig
