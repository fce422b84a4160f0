"""Small markets shared by test modules (import as ``from markets import TWO_REGION``)."""

#: The README's two-region market without its tariff: exporter X (supply p = 10 + 0.5q, demand
#: p = 100 - q), importer M (supply p = 40 + q, demand p = 120 - q), freight 2 from X to M.
#: Free trade clears where X's export supply 3 p_X - 120 meets M's import demand 160 - 2 p_M with
#: p_M = p_X + 2: p_X = 55.2, p_M = 57.2, 45.6 units shipped.
TWO_REGION = {
    "products": [{"id": "good"}],
    "regions": ["X", "M"],
    "supply": [{"region": "X", "product": "good", "intercept": 10, "slope": 0.5},
               {"region": "M", "product": "good", "intercept": 40, "slope": 1}],
    "demand": [{"region": "X", "product": "good", "intercept": 100, "slope": 1},
               {"region": "M", "product": "good", "intercept": 120, "slope": 1}],
    "transport": [{"product": "good", "origin": "X", "destination": "M", "cost": 2}],
}

#: One region, supply p = 10 + q, demand p = 100 - q: autarky clears at p = 55, q = 45.
ONE_MARKET = {
    "products": [{"id": "good"}],
    "regions": ["A"],
    "supply": [{"region": "A", "product": "good", "intercept": 10, "slope": 1}],
    "demand": [{"region": "A", "product": "good", "intercept": 100, "slope": 1}],
}
