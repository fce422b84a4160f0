"""The supply-chain atlas: who produces, trades and depends on each critical mineral.

Modules (formulas and sources in docs/atlas.md): ``concentration`` (shares, HHI, top-n),
``tables`` (valid choices and the per-stage view with provenance), ``balance`` (bloc share,
apparent consumption, self-sufficiency, import reliance), ``trade`` (import sources),
``exposure`` (direct and through-the-chain exposure), ``geopolrisk`` (GeoPolRisk score) and
``summary`` (the objects the CLI prints).
"""
