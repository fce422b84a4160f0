"""Calibrated world markets built from the embedded dataset (issue 4, section 1).

``build_world(spec)`` turns a scenario's ``world:`` section into the market fields of a
scenario, calibrated so that its baseline equilibrium reproduces the observed year; see
docs/world-model.md. Submodules: ``chains`` (products per stage), ``regions`` (selection and
grouping), ``observed`` (the observed year), ``flows`` (netting, reconciliation, forest),
``routes`` (refining location and preferred routes by assumption), ``calibrate`` (curves and
trade costs), ``fit`` (calibration table), ``build`` (the entry point).
"""

from __future__ import annotations

from typing import Any

__all__ = ["WorldMarket", "build_world"]


def __getattr__(name: str) -> Any:
    # lazy, so that ``critmin.world.parameters`` stays importable without the dataset
    if name in __all__:
        from critmin.world import build

        return getattr(build, name)
    raise AttributeError(f"module 'critmin.world' has no attribute {name!r}")
