"""The offline world map: the embedded Natural Earth layers and which region ids are countries on it."""

from __future__ import annotations

import functools
import json
from pathlib import Path

ASSET = Path(__file__).resolve().parent / "assets" / "world_110m.json"
#: The name plotly.js looks up in ``window.PlotlyGeoAssets.topojson`` for ``scope=world``, 110m.
TOPOJSON_NAME = "world_110m"


@functools.lru_cache(maxsize=1)
def topojson_text() -> str:
    """The world layers as compact JSON text, for inlining into the report."""
    return json.dumps(json.loads(ASSET.read_text(encoding="utf-8")), separators=(",", ":"))


@functools.lru_cache(maxsize=1)
def countries() -> frozenset[str]:
    """ISO3 ids of the countries drawn on the map."""
    data = json.loads(ASSET.read_text(encoding="utf-8"))
    return frozenset(g["id"] for g in data["objects"]["countries"]["geometries"] if g.get("id"))


def geo_assets_script() -> str:
    """``<script>`` that hands plotly.js the map layers, so it never fetches them from the internet."""
    return ("<script>window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};\n"
            f"window.PlotlyGeoAssets.topojson[{json.dumps(TOPOJSON_NAME)}] = {topojson_text()};</script>")
